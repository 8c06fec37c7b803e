/**
 * @module evidence/assemble
 * Turns each study's selected resources into the facts the card builders take: findings read from
 * the Observations (src/clinical/read-finding.ts), the study's date, whether it is screening, and
 * each finding's assessment against its guideline. Which resources count was decided before, in
 * evidence/select.ts; nothing here drops or adds a resource.
 */
import type { DiagnosticReport, ImagingStudy, Observation } from 'fhir/r4'
import {
  ageInYears,
  assess,
  defaultClinicalConfig,
  fleischnerScope,
  isScreeningStudy,
  MAX_PRIOR_DEPTH,
  multipleNoduleCount,
  possibleScopeCondition,
  priorChain,
  readFindings,
  smokingRisk as readSmokingRisk,
  type ClinicalConfig,
  type PossibleScope,
  type ScopeFinding,
} from '../clinical/index'
import type { Finding } from '../clinical/types'
import { keyOf, refKey } from '../fhir/reference'
import { datePart, studyInstanceUid } from '../fhir/datatypes'
import { observationStudyRefs, type Selection, type StudySelection } from './select'
import type { EvidenceScope, PatientEvidence, StudyEvidence } from './types'

/** Order statuses that can still happen: what a new follow-up could duplicate. */
export const OPEN_ORDER_STATUSES: ReadonlySet<string> = new Set(['active', 'draft'])

/** The evidence of a selection: studies newest first, each finding assessed. */
export function assembleEvidence(
  selection: Selection,
  scope: EvidenceScope,
  config: ClinicalConfig = defaultClinicalConfig
): PatientEvidence {
  const { own } = selection
  const risk = readSmokingRisk(own.smokingStatus)
  const patientFacts: PatientFacts = {
    ...(own.patient?.birthDate && { birthDate: own.patient.birthDate }),
    risk,
    // Fleischner's scope, from the active Conditions (clinical/conditions.ts).
    ...(() => {
      const excluded = fleischnerScope(own.conditions)
      if (excluded) return { excluded }
      const possibleScope = possibleScopeCondition(own.conditions)
      return possibleScope ? { possibleScope } : {}
    })(),
    // Every Observation of this patient by `Observation/{id}`: the pool prior chains are read from.
    pool: new Map(
      [...own.observations, ...own.priors].flatMap((o) => {
        const key = keyOf(o)
        return key ? [[key, o] as const] : []
      })
    ),
    patientRef: `Patient/${scope.patientId}`,
    priorStudyDate: priorStudyDates(own, selection.studyKeyOf),
  }
  const studies = selection.studies.map((s) => assembleStudy(s, scope, patientFacts, config))
  studies.sort((a, b) => (b.studyDate ?? '').localeCompare(a.studyDate ?? ''))
  return {
    ...(own.patient ? { patient: own.patient } : {}),
    patientId: scope.patientId,
    studies,
    serviceRequests: own.serviceRequests.filter((r) => OPEN_ORDER_STATUSES.has(r.status)),
    smokingRisk: risk,
    conditions: own.conditions,
  }
}

/** What assessing any of the patient's studies needs from the patient's own resources. */
interface PatientFacts {
  birthDate?: string
  risk: PatientEvidence['smokingRisk']
  excluded?: ScopeFinding
  possibleScope?: PossibleScope
  pool: ReadonlyMap<string, Observation>
  patientRef: string
  /** The start of a prior finding's study, for priors with no date of their own. */
  priorStudyDate: (prior: Observation) => string | undefined
}

/**
 * The date of a prior finding's study (the contract dates a prior by "its own effectiveDateTime or
 * its study's started"): the ImagingStudy it names, when the patient's studies include it, else
 * the report that lists it (its effective date, or its study's start). Built on first use: most
 * calls have no prior without a date of its own.
 */
function priorStudyDates(
  own: Selection['own'],
  studyKeyOf: Selection['studyKeyOf']
): (prior: Observation) => string | undefined {
  let byKey: Map<string, string> | undefined
  const index = () => {
    const started = new Map<string, string>()
    for (const s of own.studies) {
      const key = keyOf(s)
      if (key && s.started) started.set(key, s.started)
    }
    const dates = new Map(started)
    for (const r of own.reports) {
      const date =
        r.effectiveDateTime ??
        r.effectivePeriod?.start ??
        (r.imagingStudy ?? []).map((ref) => started.get(studyKeyOf(ref) ?? '')).find(Boolean)
      if (!date) continue
      for (const result of r.result ?? []) {
        const key = refKey(result, 'Observation')
        if (key && !dates.has(key)) dates.set(key, date)
      }
    }
    return dates
  }
  return (prior) => {
    byKey ??= index()
    const fromStudy = observationStudyRefs(prior, studyKeyOf)
      .map((ref) => byKey!.get(ref))
      .find(Boolean)
    return fromStudy ?? (prior.id ? byKey.get(`Observation/${prior.id}`) : undefined)
  }
}

function assembleStudy(
  selected: StudySelection,
  scope: EvidenceScope,
  patient: PatientFacts,
  config: ClinicalConfig
): StudyEvidence {
  const { birthDate, risk } = patient
  const study = withStudyUid(selected.study, scope.studyInstanceUid)
  const reports = selected.reports.map((r) => r.report)
  const findings = dedupeFindings([
    ...selected.reports.flatMap((r) => readFindings(r.report, r.observations)),
    // Findings no report lists are read in the context of a report that lists none (model info).
    ...readUnlisted(
      selected.unlisted,
      reports.find((r) => !r.result?.length)
    ),
  ]).map((f) => withPriors(f, patient))
  const containedFindings = findings
    .filter((f) =>
      reports.some((r) => r.contained?.some((c) => `Observation/${c.id}` === f.observationRef))
    )
    .map((f) => f.observationRef)
  const screening = isScreeningStudy(study, selected.basedOn)
  const studyDate =
    datePart(study.started) ??
    reports.map((r) => datePart(r.effectiveDateTime) ?? datePart(r.issued)).find(Boolean) ??
    findings.map((f) => datePart(f.effective)).find(Boolean)
  const patientAgeYears = birthDate && studyDate ? ageInYears(birthDate, studyDate) : undefined
  const noduleCount = multipleNoduleCount(findings)
  const assessments = findings.map((f) =>
    assess(
      f,
      {
        screening,
        patientAgeYears,
        smokingRisk: risk,
        noduleCount,
        ...(patient.excluded && { scope: patient.excluded }),
        ...(patient.possibleScope && { possibleScope: patient.possibleScope }),
      },
      config
    )
  )
  const key = study.id ? `ImagingStudy/${study.id}` : undefined
  const uid = studyInstanceUid(study)
  return {
    study,
    ...(key ? { studyRef: key } : {}),
    ...(uid ? { studyInstanceUid: uid } : {}),
    ...(selected.endpoint ? { endpoint: selected.endpoint } : {}),
    reports,
    findings,
    assessments,
    ...(containedFindings.length ? { containedFindings } : {}),
    basedOn: selected.basedOn,
    screening,
    ...(studyDate ? { studyDate } : {}),
  }
}

/** A nodule finding with the prior measurements its Observation links (clinical/priors.ts). */
function withPriors(finding: Finding, patient: PatientFacts): Finding {
  const observation = patient.pool.get(finding.observationRef)
  if (!finding.nodule || !observation) return finding
  const priors = priorChain(
    observation,
    patient.pool,
    patient.patientRef,
    MAX_PRIOR_DEPTH,
    patient.priorStudyDate
  )
  return priors.length > 0 ? { ...finding, priors } : finding
}

function readUnlisted(unlisted: Observation[], report: DiagnosticReport | undefined): Finding[] {
  return unlisted.length ? readFindings(report, unlisted) : []
}

function dedupeFindings(findings: Finding[]): Finding[] {
  const seen = new Set<string>()
  return findings.filter((f) => !seen.has(f.observationRef) && !!seen.add(f.observationRef))
}

/** Adds the context's StudyInstanceUID when the ImagingStudy has none (for viewer links). */
function withStudyUid(study: ImagingStudy, uid: string | undefined): ImagingStudy {
  if (!uid || (study.identifier ?? []).some((i) => i.system === 'urn:dicom:uid')) return study
  return {
    ...study,
    identifier: [...(study.identifier ?? []), { system: 'urn:dicom:uid', value: `urn:oid:${uid}` }],
  }
}

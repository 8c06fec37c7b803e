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
  isScreeningStudy,
  multipleNoduleCount,
  readFindings,
  smokingRisk as readSmokingRisk,
  type ClinicalConfig,
} from '../clinical/index'
import type { Finding } from '../clinical/types'
import { datePart, studyInstanceUid } from '../fhir/datatypes'
import type { Selection, StudySelection } from './select'
import type { EvidenceScope, PatientEvidence, StudyEvidence } from './types'

const OPEN_ORDER_STATUSES: ReadonlySet<string> = new Set(['active', 'draft'])

/** The evidence of a selection: studies newest first, each finding assessed. */
export function assembleEvidence(
  selection: Selection,
  scope: EvidenceScope,
  config: ClinicalConfig = defaultClinicalConfig
): PatientEvidence {
  const { own } = selection
  const risk = readSmokingRisk(own.smokingStatus)
  const studies = selection.studies.map((s) =>
    assembleStudy(s, scope, own.patient?.birthDate, risk, config)
  )
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

function assembleStudy(
  selected: StudySelection,
  scope: EvidenceScope,
  birthDate: string | undefined,
  risk: PatientEvidence['smokingRisk'],
  config: ClinicalConfig
): StudyEvidence {
  const study = withStudyUid(selected.study, scope.studyInstanceUid)
  const reports = selected.reports.map((r) => r.report)
  const findings = dedupeFindings([
    ...selected.reports.flatMap((r) => readFindings(r.report, r.observations)),
    // Findings no report lists are read in the context of a report that lists none (model info).
    ...readUnlisted(
      selected.unlisted,
      reports.find((r) => !r.result?.length)
    ),
  ])
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
    assess(f, { screening, patientAgeYears, smokingRisk: risk, noduleCount }, config)
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

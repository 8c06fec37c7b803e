/**
 * @module cards/evidence
 * Groups a patient's FHIR resources per ImagingStudy (reports, finding Observations, Endpoint,
 * basedOn orders) and assesses each finding, so the card builders work on one tidy structure.
 * Reading codes into findings and the guideline rules live in `src/clinical`; this module only
 * decides which resources belong together and which are dropped.
 */
import type {
  DiagnosticReport,
  Endpoint,
  ImagingStudy,
  Observation,
  Patient,
  ServiceRequest,
} from 'fhir/r4'
import {
  ageInYears,
  assess,
  isScreeningStudy,
  latestReports,
  multipleNoduleCount,
  readFindings,
  reportIsUsable,
  defaultClinicalConfig,
  smokingRisk as readSmokingRisk,
  type ClinicalConfig,
} from '../clinical/index'
import type { Assessment, Finding, SmokingRisk } from '../clinical/types'
import { datePart, indexByKey, keyOf, parseRef, refKey, resolveRef, studyInstanceUid } from './refs'

export interface StudyEvidence {
  study: ImagingStudy
  /** `ImagingStudy/{id}`. */
  studyRef?: string
  /** From `ImagingStudy.identifier`; a hook may fill it from its context when the study lacks it. */
  studyInstanceUid?: string
  endpoint?: Endpoint
  /** The usable, latest AI reports on this study (superseded and entered-in-error ones dropped). */
  reports: DiagnosticReport[]
  findings: Finding[]
  /** One per finding, same order. */
  assessments: Assessment[]
  /**
   * `observationRef`s of findings read from Observations contained in a report: they exist only
   * inside the report, so a new order must point at the report instead.
   */
  containedFindings?: string[]
  screening: boolean
  /** YYYY-MM-DD: `ImagingStudy.started`, else the report's effective or issued date. */
  studyDate?: string
}

export interface PatientEvidence {
  patient?: Patient
  /** Patient.id, or the id the studies and reports point at when no Patient was given. */
  patientId?: string
  /** Newest study first. */
  studies: StudyEvidence[]
  /** Orders that can still happen (status active or draft): what a new follow-up could duplicate. */
  serviceRequests: ServiceRequest[]
  smokingRisk: SmokingRisk
}

export interface EvidenceInput {
  patient?: Patient
  studies: ImagingStudy[]
  endpoints: Endpoint[]
  reports: DiagnosticReport[]
  observations: Observation[]
  smokingStatus: Observation[]
  serviceRequests: ServiceRequest[]
}

/** Observation statuses that mean "this finding does not exist". */
const VOID_STATUSES = new Set(['entered-in-error', 'cancelled'])
const OPEN_ORDER_STATUSES = new Set(['active', 'draft'])
const WADO_RS = 'dicom-wado-rs'

/** `ImagingStudy/{id}` refs an Observation points at through derivedFrom or partOf. */
function observationStudyRefs(obs: Observation): string[] {
  return [...(obs.derivedFrom ?? []), ...(obs.partOf ?? [])]
    .map((r) => refKey(r, 'ImagingStudy'))
    .filter((r): r is string => !!r)
}

/** The study's DICOMweb Endpoint: contained or by id, WADO-RS preferred. */
function studyEndpoint(study: ImagingStudy, pool: Map<string, Endpoint>): Endpoint | undefined {
  const refs = [...(study.endpoint ?? []), ...(study.series ?? []).flatMap((s) => s.endpoint ?? [])]
  const found = refs
    .map((r) => resolveRef(r, 'Endpoint', pool, study))
    .filter((e): e is Endpoint => !!e?.address)
  return found.find((e) => e.connectionType?.code === WADO_RS) ?? found[0]
}

/** A report's result Observations, contained or top-level, minus voided ones. */
function reportObservations(
  report: DiagnosticReport,
  pool: Map<string, Observation>
): Observation[] {
  const found: Observation[] = []
  for (const ref of report.result ?? []) {
    const parsed = parseRef(ref.reference)
    // Some producers write `Observation/{id}` for a contained result; look there too.
    const obs =
      resolveRef(ref, 'Observation', pool, report) ??
      (report.contained?.find((r) => r.resourceType === 'Observation' && r.id === parsed.id) as
        Observation | undefined)
    if (obs && !VOID_STATUSES.has(obs.status) && !found.includes(obs)) found.push(obs)
  }
  return found
}

/**
 * Assembles a patient's imaging evidence. Reports attach to a study through
 * `DiagnosticReport.imagingStudy`, else through their results' derivedFrom/partOf, else (when the
 * input holds exactly one study, as in an imaging-study-complete call) to that study. Observations
 * no report lists attach through derivedFrom/partOf. Observations of dropped reports are dropped.
 */
export function assembleEvidence(
  input: EvidenceInput,
  config: ClinicalConfig = defaultClinicalConfig
): PatientEvidence {
  const studiesByKey = indexByKey(input.studies)
  const obsPool = indexByKey(input.observations)
  const endpointPool = indexByKey(input.endpoints)
  const orderPool = indexByKey(input.serviceRequests)
  const onlyStudy = input.studies.length === 1 ? keyOf(input.studies[0]!) : undefined

  // Which study each report belongs to, and which Observations some report claims.
  const reportsByStudy = new Map<string, DiagnosticReport[]>()
  const claimed = new Set<Observation>()
  for (const report of input.reports) {
    const results = reportObservations(report, obsPool)
    results.forEach((o) => claimed.add(o))
    const direct = (report.imagingStudy ?? [])
      .map((r) => refKey(r, 'ImagingStudy'))
      .filter((k): k is string => !!k && studiesByKey.has(k))
    const viaResults = results.flatMap(observationStudyRefs).filter((k) => studiesByKey.has(k))
    const studyKey = direct[0] ?? viaResults[0] ?? onlyStudy
    if (!studyKey) continue
    reportsByStudy.set(studyKey, [...(reportsByStudy.get(studyKey) ?? []), report])
  }

  const orphansByStudy = indexOrphans(input.observations, claimed)

  const patientId = input.patient?.id ?? guessPatientId(input)
  const risk = readSmokingRisk(input.smokingStatus)
  const studies = input.studies.map((study): StudyEvidence => {
    const key = keyOf(study)
    const usable = (key ? (reportsByStudy.get(key) ?? []) : []).filter((r) => reportIsUsable(r))
    const reports = latestReports(usable)
    const findings = dedupeFindings([
      ...reports.flatMap((r) => readFindings(r, reportObservations(r, obsPool))),
      // Results a report did not list are read in its context (model info), when it has no list.
      ...readOrphans(
        key ? orphansByStudy.get(key) : undefined,
        reports.find((r) => !r.result?.length)
      ),
    ])
    const containedFindings = findings
      .filter((f) =>
        reports.some((r) => r.contained?.some((c) => `Observation/${c.id}` === f.observationRef))
      )
      .map((f) => f.observationRef)
    const basedOn = (study.basedOn ?? [])
      .map((r) => resolveRef(r, 'ServiceRequest', orderPool, study))
      .filter((r): r is ServiceRequest => !!r)
    const screening = isScreeningStudy(study, basedOn)
    const studyDate =
      datePart(study.started) ??
      reports.map((r) => datePart(r.effectiveDateTime) ?? datePart(r.issued)).find(Boolean) ??
      findings.map((f) => datePart(f.effective)).find(Boolean)
    const birthDate = input.patient?.birthDate
    const patientAgeYears = birthDate && studyDate ? ageInYears(birthDate, studyDate) : undefined
    const noduleCount = multipleNoduleCount(findings)
    const assessments = findings.map((f) =>
      assess(f, { screening, patientAgeYears, smokingRisk: risk, noduleCount }, config)
    )
    return {
      study,
      ...(key ? { studyRef: key } : {}),
      ...optional('studyInstanceUid', studyInstanceUid(study)),
      ...optional('endpoint', studyEndpoint(study, endpointPool)),
      reports,
      findings,
      assessments,
      ...(containedFindings.length ? { containedFindings } : {}),
      screening,
      ...optional('studyDate', studyDate),
    }
  })
  studies.sort((a, b) => (b.studyDate ?? '').localeCompare(a.studyDate ?? ''))

  return {
    ...optional('patient', input.patient),
    ...optional('patientId', patientId),
    studies,
    serviceRequests: input.serviceRequests.filter((r) => OPEN_ORDER_STATUSES.has(r.status)),
    smokingRisk: risk,
  }
}

/**
 * Unclaimed, non-voided Observations by the study refs they point at, in input order. Built once
 * per call: scanning every Observation for every study made a crafted prefetch cost seconds.
 */
function indexOrphans(
  observations: Observation[],
  claimed: Set<Observation>
): Map<string, Observation[]> {
  const byStudy = new Map<string, Observation[]>()
  for (const o of observations) {
    if (claimed.has(o) || VOID_STATUSES.has(o.status)) continue
    // A set, so an Observation naming the same study twice is still read once.
    for (const key of new Set(observationStudyRefs(o))) {
      const list = byStudy.get(key)
      if (list) list.push(o)
      else byStudy.set(key, [o])
    }
  }
  return byStudy
}

/** Findings from Observations no report lists, attached to the study through derivedFrom/partOf. */
function readOrphans(
  orphans: Observation[] | undefined,
  report: DiagnosticReport | undefined
): Finding[] {
  return orphans?.length ? readFindings(report, orphans) : []
}

function dedupeFindings(findings: Finding[]): Finding[] {
  const seen = new Set<string>()
  return findings.filter((f) => !seen.has(f.observationRef) && !!seen.add(f.observationRef))
}

function guessPatientId(input: EvidenceInput): string | undefined {
  const subjects = [...input.studies, ...input.reports].map((r) => refKey(r.subject, 'Patient'))
  return subjects.find(Boolean)?.slice('Patient/'.length)
}

/** `{ [key]: value }` when value is defined, else `{}`: keeps undefined out of the output. */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }
}

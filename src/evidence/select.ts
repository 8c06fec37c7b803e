/**
 * @module evidence/select
 * Which of the patient's resources are the evidence of each study, in one pass, before anything
 * is read into findings:
 * 1. ownership (evidence/ownership.ts): what names another patient, or nobody, is dropped;
 * 2. retraction: a withdrawn (entered-in-error, cancelled) report takes the Observations it lists
 *    with it, however they point at the study, unless a report still in force lists them too; a
 *    withdrawn Observation is gone even when its report still lists it;
 * 3. membership: a report belongs to the study its `imagingStudy` names, else to the study its
 *    findings name (`derivedFrom`/`partOf`), else, when the hook names it (`diagnosticReportId`),
 *    to the hook's study; Observations no report lists belong to the study they name;
 * 4. currency (evidence/currency.ts): of each study's reports, only the current ones.
 */
import type {
  DiagnosticReport,
  Endpoint,
  ImagingStudy,
  Observation,
  Reference,
  ServiceRequest,
} from 'fhir/r4'
import { referencedStudyUid, studyInstanceUid } from '../fhir/datatypes'
import { indexByKey, keyOf, parseRef, refKey, resolveRef } from '../fhir/reference'
import type { Logger } from '../log'
import { currentReports, isWithdrawn } from './currency'
import { ownResources } from './ownership'
import type { EvidenceScope, GatheredResources } from './types'

/** A report in force and the finding Observations it lists (given or contained), in order. */
export interface ReportSelection {
  report: DiagnosticReport
  observations: Observation[]
}

export interface StudySelection {
  study: ImagingStudy
  endpoint?: Endpoint
  basedOn: ServiceRequest[]
  /** The study's current reports with their findings. */
  reports: ReportSelection[]
  /** Findings no report lists that name this study, not withdrawn or retracted. */
  unlisted: Observation[]
}

export interface Selection {
  /** The patient's own resources (ownership applied), for facts beyond the studies. */
  own: GatheredResources
  /** How this patient's references to a study resolve (by id, or by StudyInstanceUID). */
  studyKeyOf: StudyKeyOf
  studies: StudySelection[]
}

/**
 * Most reports kept per study. One study has an AI report or two and their amendments; currency
 * compares a study's reports pairwise, so thousands naming one study would hold the event loop.
 */
export const MAX_REPORTS_PER_STUDY = 20

const WADO_RS = 'dicom-wado-rs'

/** The `ImagingStudy/{id}` key a reference to a study resolves to, if any. */
export type StudyKeyOf = (reference: Reference) => string | undefined

/**
 * Resolves references to studies: `ImagingStudy/{id}` as the contract writes it, or a logical
 * reference by StudyInstanceUID (accept more, never less) to one of `studies`, the patient's own,
 * so a UID can never pull in another patient's study. The UID index is built on first use.
 */
export function studyKeyResolver(studies: readonly ImagingStudy[]): StudyKeyOf {
  let byUid: Map<string, string> | undefined
  return (reference) => {
    const key = refKey(reference, 'ImagingStudy')
    if (key || !reference.identifier) return key
    const uid = referencedStudyUid(reference)
    if (!uid) return undefined
    if (!byUid) {
      byUid = new Map()
      for (const study of studies) {
        const own = studyInstanceUid(study)
        const studyKey = keyOf(study)
        if (own && studyKey && !byUid.has(own)) byUid.set(own, studyKey)
      }
    }
    return byUid.get(uid)
  }
}

/** Study keys an Observation points at through derivedFrom or partOf. */
export function observationStudyRefs(
  obs: Observation,
  studyKeyOf: StudyKeyOf = (r) => refKey(r, 'ImagingStudy')
): string[] {
  return [...(obs.derivedFrom ?? []), ...(obs.partOf ?? [])].flatMap((r) => studyKeyOf(r) ?? [])
}

/** The key an Observation result is known by: `Observation/{id}`, or `#id` within its report. */
const resultKey = (ref: Reference) => {
  const parsed = parseRef(ref.reference)
  if (parsed.containedId) return undefined
  return parsed.type === 'Observation' && parsed.id ? `Observation/${parsed.id}` : undefined
}

/** A report's listed Observations, contained or top-level, withdrawn ones left out. */
function listedObservations(
  report: DiagnosticReport,
  pool: ReadonlyMap<string, Observation>
): Observation[] {
  const found: Observation[] = []
  for (const ref of report.result ?? []) {
    const parsed = parseRef(ref.reference)
    // Some producers write `Observation/{id}` for a contained result; look there too.
    const obs =
      resolveRef(ref, 'Observation', pool, report) ??
      (report.contained?.find((r) => r.resourceType === 'Observation' && r.id === parsed.id) as
        Observation | undefined)
    if (obs && !isWithdrawn(obs) && !found.includes(obs)) found.push(obs)
  }
  return found
}

/** The study's DICOMweb Endpoint: contained or by id, WADO-RS preferred. */
function studyEndpoint(
  study: ImagingStudy,
  pool: ReadonlyMap<string, Endpoint>
): Endpoint | undefined {
  const refs = [...(study.endpoint ?? []), ...(study.series ?? []).flatMap((s) => s.endpoint ?? [])]
  const found = refs
    .map((r) => resolveRef(r, 'Endpoint', pool, study))
    .filter((e): e is Endpoint => !!e?.address)
  return found.find((e) => e.connectionType?.code === WADO_RS) ?? found[0]
}

/** The selection of each study in scope. Pure apart from warning log lines (ids and counts only). */
export function selectEvidence(
  gathered: GatheredResources,
  scope: EvidenceScope,
  logger?: Logger
): Selection {
  const own = ownResources(gathered, scope.patientId, logger)
  const studies = scope.studyId ? own.studies.filter((s) => s.id === scope.studyId) : own.studies
  const studyKeys = new Set(studies.map(keyOf))
  const studyKeyOf = studyKeyResolver(own.studies)
  const studyRefsOf = (o: Observation) => observationStudyRefs(o, studyKeyOf)

  // Retraction: what withdrawn reports list goes, unless a report in force lists it too.
  const inForce = own.reports.filter((r) => !isWithdrawn(r))
  const listedInForce = new Set(
    inForce.flatMap((r) => (r.result ?? []).flatMap((x) => resultKey(x) ?? []))
  )
  const retracted = new Set(
    own.reports
      .filter(isWithdrawn)
      .flatMap((r) => (r.result ?? []).flatMap((x) => resultKey(x) ?? []))
      .filter((key) => !listedInForce.has(key))
  )
  const observations = own.observations.filter(
    (o) => !isWithdrawn(o) && !retracted.has(keyOf(o) ?? '')
  )
  const obsPool = indexByKey(observations)

  // Membership: each report in force to one study in scope, with its listed findings.
  const claimed = new Set<string>(
    own.reports.flatMap((r) => (r.result ?? []).flatMap((x) => resultKey(x) ?? []))
  )
  const byStudy = new Map<string, ReportSelection[]>()
  const onlyStudy = studies.length === 1 ? keyOf(studies[0]!) : undefined
  for (const report of inForce) {
    const listed = listedObservations(report, obsPool)
    const direct = (report.imagingStudy ?? []).flatMap((r) => studyKeyOf(r) ?? [])
    const named = report.id !== undefined && report.id === scope.reportId
    const studyKey = direct.length
      ? direct.find((k) => studyKeys.has(k))
      : (listed.flatMap(studyRefsOf).find((k) => studyKeys.has(k)) ??
        (named && !listed.some((o) => studyRefsOf(o).length) ? onlyStudy : undefined))
    if (!studyKey) continue
    const list = byStudy.get(studyKey)
    if (list) list.push({ report, observations: listed })
    else byStudy.set(studyKey, [{ report, observations: listed }])
  }

  // Unlisted findings, by the study they name: indexed once, not scanned per study.
  const unlistedByStudy = new Map<string, Observation[]>()
  for (const o of observations) {
    if (claimed.has(keyOf(o) ?? '')) continue
    for (const key of new Set(studyRefsOf(o))) {
      if (!studyKeys.has(key)) continue
      const list = unlistedByStudy.get(key)
      if (list) list.push(o)
      else unlistedByStudy.set(key, [o])
    }
  }

  const endpointPool = indexByKey(own.endpoints)
  const orderPool = indexByKey(own.serviceRequests)
  return {
    own,
    studyKeyOf,
    studies: studies.map((study): StudySelection => {
      const key = keyOf(study) ?? ''
      const current = new Set(
        currentReports(fewPerStudy(byStudy.get(key) ?? [], logger).map((r) => r.report))
      )
      const endpoint = studyEndpoint(study, endpointPool)
      return {
        study,
        ...(endpoint ? { endpoint } : {}),
        basedOn: (study.basedOn ?? []).flatMap(
          (r) => resolveRef(r, 'ServiceRequest', orderPool, study) ?? []
        ),
        reports: (byStudy.get(key) ?? []).filter((r) => current.has(r.report)),
        unlisted: unlistedByStudy.get(key) ?? [],
      }
    }),
  }
}

/** The newest {@link MAX_REPORTS_PER_STUDY} of one study's reports, in input order. */
function fewPerStudy(reports: ReportSelection[], logger?: Logger): ReportSelection[] {
  if (reports.length <= MAX_REPORTS_PER_STUDY) return reports
  const issued = (r: DiagnosticReport) => {
    const time = Date.parse(r.issued ?? '')
    return Number.isNaN(time) ? -Infinity : time
  }
  const kept = new Set(
    [...reports].sort((a, b) => issued(b.report) - issued(a.report)).slice(0, MAX_REPORTS_PER_STUDY)
  )
  logger?.warn('hook.reports_capped', { dropped: reports.length - kept.size })
  return reports.filter((r) => kept.has(r))
}

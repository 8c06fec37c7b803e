/**
 * @module services/evidence
 * Turns a hook's gathered FHIR data into the evidence the card builders take: the patient, the
 * studies with their AI reports and finding Observations, smoking status and open orders. Results
 * a report names but no search returned, and each study's Endpoint, are read by id.
 */
import type { DiagnosticReport, FhirResource, ImagingStudy, Patient, ServiceRequest } from 'fhir/r4'
import { resourcesOf } from '../prefetch'
import { assembleEvidence, type PatientEvidence } from '../cards/evidence'
import { ofType, readMissing, relativeRef, relativeRefs } from './reads'
import type { HookInput } from './types'
import { referenceTo } from '../clinical/fhir-values'
import type { Logger } from '../log'

export interface EvidenceScope {
  /** Only this study (imaging-study-complete); all of the patient's studies otherwise. */
  studyId?: string
  /** A report the event is about, read by id when the searches did not return it. */
  reportId?: string
  /** Fallback DICOM StudyInstanceUID for a study that lacks the identifier. */
  studyInstanceUid?: string
}

export async function collectEvidence(
  input: HookInput,
  scope: EvidenceScope = {}
): Promise<PatientEvidence> {
  const { data, fhir, logger } = input
  const all = (...keys: string[]) => keys.flatMap((k) => resourcesOf(data[k]))
  const patient = ofType(all('patient'), 'Patient')[0] as Patient | undefined
  let studies = ofType(all('study', 'studies'), 'ImagingStudy')
  if (scope.studyId) studies = studies.filter((s) => s.id === scope.studyId)
  const studyRefs = new Set(studies.map((s) => `ImagingStudy/${s.id}`))
  let reports = ofType(all('reports'), 'DiagnosticReport')
  if (scope.reportId && !reports.some((r) => r.id === scope.reportId)) {
    reports.push(
      ...ofType(
        await readMissing(fhir, [`DiagnosticReport/${scope.reportId}`], [], logger),
        'DiagnosticReport'
      )
    )
  }
  // The study's reports; a report that names no study is kept only when the event names it.
  reports = reports.filter((r) =>
    r.imagingStudy?.length
      ? r.imagingStudy.some((ref) => studyRefs.has(relativeRef(ref.reference)))
      : r.id === scope.reportId
  )
  reports = fewReportsPerStudy(reports, logger)
  const observations = ofType(all('findings'), 'Observation')
  const orders = ofType(all('orders'), 'ServiceRequest')

  // Second round, in parallel: results the search missed, Endpoints, the orders studies are based on.
  const have: FhirResource[] = [...observations, ...orders]
  const [results, endpoints, basedOn] = await Promise.all([
    readMissing(
      fhir,
      relativeRefs(reports.flatMap((r: DiagnosticReport) => r.result ?? [])),
      have,
      logger
    ),
    readMissing(fhir, relativeRefs(studies.flatMap((s) => s.endpoint ?? [])), [], logger),
    readMissing(fhir, relativeRefs(studies.flatMap((s) => s.basedOn ?? [])), have, logger),
  ])
  warnUnresolvedEndpoints(input, studies, endpoints)
  return assembleEvidence(
    {
      ...(patient ? { patient } : {}),
      studies: studies.map((s) => withStudyUid(s, scope.studyInstanceUid)),
      endpoints: [
        ...ofType(endpoints, 'Endpoint'),
        ...studies.flatMap((s) => ofType((s.contained ?? []) as FhirResource[], 'Endpoint')),
      ],
      reports,
      observations: [...observations, ...ofType(results, 'Observation')],
      smokingStatus: ofType(all('smoking'), 'Observation'),
      serviceRequests: [...orders, ...ofType(basedOn, 'ServiceRequest')] as ServiceRequest[],
    },
    input.options.clinical
  )
}

/**
 * One log line per call when a study's Endpoint cannot be had (prefetch-only: nothing to read it
 * with) while OHIF data sources are configured: its links then lose their data source and open the
 * viewer's default one. docs/ohif.md says what to do.
 */
function warnUnresolvedEndpoints(
  input: HookInput,
  studies: ImagingStudy[],
  read: FhirResource[]
): void {
  if (input.options.viewer.dataSources.length === 0) return
  const have = new Set([
    ...read.map((r) => `Endpoint/${r.id}`),
    ...studies.flatMap((s) => (s.contained ?? []).map((c) => `#${c.id}`)),
  ])
  const missing = studies.filter((s) => {
    const refs = (s.endpoint ?? []).map((e) => e.reference ?? '')
    return refs.length > 0 && !refs.some((r) => have.has(r.startsWith('#') ? r : relativeRef(r)))
  })
  if (missing.length === 0) return
  input.logger.warn('links.endpoint_unresolved', {
    studies: missing.length,
    reason: input.fhir
      ? 'the Endpoint could not be read'
      : 'no fhirServer to read the Endpoint from (prefetch only)',
    effect: "viewer links use the viewer's default data source",
  })
}

/**
 * Most reports kept per study they name. One study has an AI report or two and their amendments;
 * the card builders compare a study's reports pairwise (which amendment replaces which), so
 * thousands naming one study would hold the event loop for seconds.
 */
export const MAX_REPORTS_PER_STUDY = 20

/** The newest {@link MAX_REPORTS_PER_STUDY} reports of each study named, in the input order. */
function fewReportsPerStudy(reports: DiagnosticReport[], logger: Logger): DiagnosticReport[] {
  const issued = (r: DiagnosticReport) => {
    const time = Date.parse(r.issued ?? '')
    return Number.isNaN(time) ? -Infinity : time
  }
  const perStudy = new Map<string, number>()
  const kept = new Set<DiagnosticReport>()
  for (const report of [...reports].sort((a, b) => issued(b) - issued(a) || 0)) {
    // Keyed as the report reader compares them, so no spelling of a reference escapes the count.
    const studies = new Set(
      (report.imagingStudy ?? []).map((r) => referenceTo(r, 'ImagingStudy') ?? r.reference ?? '')
    )
    if ([...studies].some((s) => (perStudy.get(s) ?? 0) >= MAX_REPORTS_PER_STUDY)) continue
    for (const s of studies) perStudy.set(s, (perStudy.get(s) ?? 0) + 1)
    kept.add(report)
  }
  if (kept.size === reports.length) return reports
  logger.warn('hook.reports_capped', { dropped: reports.length - kept.size })
  return reports.filter((r) => kept.has(r))
}

/** Adds the context's StudyInstanceUID when the ImagingStudy has none (for viewer links). */
function withStudyUid(study: ImagingStudy, uid: string | undefined): ImagingStudy {
  if (!uid || (study.identifier ?? []).some((i) => i.system === 'urn:dicom:uid')) return study
  return {
    ...study,
    identifier: [...(study.identifier ?? []), { system: 'urn:dicom:uid', value: `urn:oid:${uid}` }],
  }
}

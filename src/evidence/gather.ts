/**
 * @module evidence/gather
 * All of a hook call's I/O, in one phase, before any card is built: the prefetch values (already
 * satisfied from the request or the FHIR server by src/prefetch), then the reads no template can
 * express, in parallel rounds, each only for what is not at hand and never fatal (a resource that
 * cannot be read is left out and the card says less):
 * 1. the report the event names (`diagnosticReportId`), when the search did not return it;
 * 2. the Observations the study's reports list, each study's Endpoint and its basedOn orders;
 * 3. the prior finding Observations the findings name through `derivedFrom` (a nodule's earlier
 *    measurements), one round per step back along the chain, at most {@link MAX_PRIOR_DEPTH}.
 * Reads follow only relative references (src/fhir/reference.ts), and only those of resources that
 * name the hook's patient: another patient's report never causes a read.
 */
import type { FhirResource, ImagingStudy, Observation } from 'fhir/r4'
import type { FhirClient } from '../fhir/client'
import { keyOf, readableRefs, refKey } from '../fhir/reference'
import type { Logger } from '../log'
import { resourcesOf, type PrefetchValue } from '../prefetch'
import { MAX_PRIOR_DEPTH } from '../clinical/priors'
import { isWithdrawn } from './currency'
import type { EvidenceScope, GatheredResources } from './types'

/** Where gathering reads from: the satisfied prefetch keys and, when allowed, the FHIR server. */
export interface GatherSource {
  data: Record<string, PrefetchValue>
  fhir: FhirClient | undefined
  logger: Logger
  /**
   * True when OHIF data sources are configured: a study whose Endpoint cannot be had is then
   * logged, as its links lose their data source (docs/ohif.md).
   */
  endpointsMatter?: boolean
}

/** Resources of one type from a list. */
export function ofType<T extends FhirResource['resourceType']>(
  resources: FhirResource[],
  type: T
): Extract<FhirResource, { resourceType: T }>[] {
  return resources.filter(
    (r): r is Extract<FhirResource, { resourceType: T }> => r.resourceType === type
  )
}

/** Reads each `Type/id` not already in `have`, in parallel, through the client's FHIR server. */
export async function readMissing(
  fhir: FhirClient | undefined,
  refs: string[],
  have: FhirResource[],
  logger: Logger
): Promise<FhirResource[]> {
  if (!fhir || refs.length === 0) return []
  const known = new Set(have.map(keyOf))
  const wanted = refs.filter((ref) => !known.has(ref))
  if (wanted.length === 0) return []
  const results = await Promise.allSettled(wanted.map((ref) => fhir.get(ref)))
  const read: FhirResource[] = []
  results.forEach((result, i) => {
    const type = wanted[i]!.split('/')[0]
    if (result.status === 'fulfilled' && result.value.resourceType === type) {
      read.push(result.value)
    } else {
      logger.warn('fhir.read_failed', {
        type,
        reason:
          result.status === 'rejected'
            ? (result.reason as Error).message
            : 'unexpected resource type',
      })
    }
  })
  return read
}

/** Names the hook's patient (resources that name nobody are not followed either). */
const namesPatient = (patientId: string) => (r: { subject?: { reference?: string } }) =>
  refKey(r.subject, 'Patient') === `Patient/${patientId}`

/** Every resource the hook's evidence can draw on: prefetch values plus the reads they lead to. */
export async function gatherResources(
  source: GatherSource,
  scope: EvidenceScope
): Promise<GatheredResources> {
  const { data, fhir, logger } = source
  const all = (...keys: string[]) => keys.flatMap((k) => resourcesOf(data[k]))
  const ours = namesPatient(scope.patientId)
  const studies = ofType(all('study', 'studies'), 'ImagingStudy')
  const reports = ofType(all('reports'), 'DiagnosticReport')
  if (scope.reportId && !reports.some((r) => r.id === scope.reportId)) {
    const named = await readMissing(fhir, [`DiagnosticReport/${scope.reportId}`], [], logger)
    reports.push(...ofType(named, 'DiagnosticReport'))
  }
  const observations = ofType(all('findings'), 'Observation')
  const orders = ofType(all('orders'), 'ServiceRequest')

  // Second round, in parallel: what the study's own reports list, Endpoints, basedOn orders.
  const inScope = studies.filter((s) => ours(s) && (!scope.studyId || s.id === scope.studyId))
  const studyKeys = new Set(inScope.map(keyOf))
  const relevant = reports.filter(
    (r) =>
      ours(r) &&
      !isWithdrawn(r) &&
      (!r.imagingStudy?.length ||
        r.imagingStudy.some((ref) => studyKeys.has(refKey(ref, 'ImagingStudy'))))
  )
  const have: FhirResource[] = [...observations, ...orders]
  const [results, endpoints, basedOn] = await Promise.all([
    readMissing(fhir, readableRefs(relevant.flatMap((r) => r.result ?? [])), have, logger),
    readMissing(fhir, readableRefs(inScope.flatMap((s) => s.endpoint ?? [])), [], logger),
    readMissing(fhir, readableRefs(inScope.flatMap((s) => s.basedOn ?? [])), have, logger),
  ])
  if (source.endpointsMatter) warnUnresolvedEndpoints(source, inScope, endpoints)
  const findings = [...observations, ...ofType(results, 'Observation')]
  const priors = await readPriors(fhir, findings.filter(ours), ours, logger)
  const patient = ofType(all('patient'), 'Patient')[0]
  return {
    ...(patient ? { patient } : {}),
    studies,
    endpoints: ofType(endpoints, 'Endpoint'),
    reports,
    observations: findings,
    smokingStatus: ofType(all('smoking'), 'Observation'),
    serviceRequests: [...orders, ...ofType(basedOn, 'ServiceRequest')],
    conditions: ofType(all('conditions'), 'Condition'),
    priors,
  }
}

/**
 * The prior finding Observations named by `findings` (derivedFrom → Observation) that are not
 * among them, read by id: one round per step back, at most {@link MAX_PRIOR_DEPTH} rounds, only
 * through Observations that name the hook's patient (src/clinical/priors.ts checks again when it
 * builds the chain). Without a FHIR server, the chain is what prefetch holds.
 */
async function readPriors(
  fhir: FhirClient | undefined,
  findings: Observation[],
  ours: (r: Observation) => boolean,
  logger: Logger
): Promise<Observation[]> {
  const priors: Observation[] = []
  if (!fhir) return priors
  const have: FhirResource[] = [...findings]
  let frontier = findings
  for (let depth = 0; depth < MAX_PRIOR_DEPTH && frontier.length > 0; depth++) {
    const named = frontier.flatMap((o) =>
      (o.derivedFrom ?? []).filter((r) => refKey(r, 'Observation'))
    )
    const read = ofType(
      await readMissing(fhir, readableRefs(named), have, logger),
      'Observation'
    ).filter(ours)
    have.push(...read)
    priors.push(...read)
    frontier = read
  }
  return priors
}

/**
 * One log line per call when a study's Endpoint cannot be had (prefetch-only: nothing to read it
 * with) while OHIF data sources are configured: its links then lose their data source and open the
 * viewer's default one. docs/ohif.md says what to do.
 */
function warnUnresolvedEndpoints(
  source: GatherSource,
  studies: ImagingStudy[],
  read: FhirResource[]
): void {
  const have = new Set([
    ...read.map((r) => `Endpoint/${r.id}`),
    ...studies.flatMap((s) => (s.contained ?? []).map((c) => `#${c.id}`)),
  ])
  const missing = studies.filter((s) => {
    const refs = s.endpoint ?? []
    return (
      refs.length > 0 &&
      !refs.some((r) =>
        r.reference?.startsWith('#') ? have.has(r.reference) : have.has(refKey(r, 'Endpoint') ?? '')
      )
    )
  })
  if (missing.length === 0) return
  source.logger.warn('links.endpoint_unresolved', {
    studies: missing.length,
    reason: source.fhir
      ? 'the Endpoint could not be read'
      : 'no fhirServer to read the Endpoint from (prefetch only)',
    effect: "viewer links use the viewer's default data source",
  })
}

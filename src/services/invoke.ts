/**
 * @module services/invoke
 * One hook call, from the parsed JSON body to a CDS response, independent of the web framework
 * (after Medplum's fhir-router): validate the request and the hook's context, decide whether the
 * client's FHIR server may be called, then do all of the call's I/O within the time budget
 * (prefetch, 412 when required data cannot be had, the further reads of src/evidence), select and
 * assemble the evidence, and only then build the cards with the handler's pure, synchronous
 * `build`. Failures are thrown as CdsErrors and turned into responses in one place.
 */
import {
  createFhirClient,
  type Fetch,
  type FhirClient,
  type FhirClientOptions,
} from '../fhir/client'
import { gatherPrefetch } from '../prefetch'
import { badRequest, preconditionFailed } from '../protocol/outcome'
import { cdsRequestSchema, describeIssues, type CdsRequest } from '../protocol/request'
import { buildEvidence, gatherResources } from '../evidence'
import { safeCard } from '../text/card-text'
import { allowedFhirBase } from '../auth/fhir-allowlist'
import type { ShapeReport } from '../fhir/shape'
import type { Caller } from '../auth/verify'
import type { CardOptions } from '../cards/types'
import type { Logger } from '../log'
import type { HookResult, RegisteredHandler, ServiceDefinition } from './types'

export interface InvokeDeps {
  fetch: Fetch
  devMode: boolean
  budgetMs: number
  fhirTimeoutMs: number
  /** FHIR response bytes the call may read in all. */
  fhirMaxCallBytes?: number
  cardOptions: () => CardOptions
  logger: Logger
  /** Told how each FHIR read ended and how long it took (metrics). */
  onFhirRead?: FhirClientOptions['onRead']
}

export async function invokeService(
  service: ServiceDefinition,
  handler: RegisteredHandler,
  body: unknown,
  caller: Caller,
  deps: InvokeDeps
): Promise<HookResult> {
  const started = Date.now()
  const parsed = cdsRequestSchema.safeParse(body)
  if (!parsed.success)
    throw badRequest(`Invalid CDS Hooks request: ${describeIssues(parsed.error)}`)
  const request = parsed.data
  // A context kind is the hook's plain name: for the custom hook, an alias of the reverse-domain
  // name discovery lists, so clients written before the rename keep working.
  if (request.hook !== service.hook && request.hook !== handler.context) {
    const alias = handler.context !== service.hook ? ` (or ${handler.context})` : ''
    throw badRequest(
      `Service ${service.id} answers the ${service.hook} hook${alias}, not ${request.hook}`,
      'hook'
    )
  }
  const prepared = handler.prepare(request)
  if ('error' in prepared) {
    throw badRequest(`Invalid context: ${describeIssues(prepared.error, 'context')}`, 'context')
  }
  const { call } = prepared
  const logger = deps.logger.child({ service: service.id, hookInstance: request.hookInstance })
  const shapeReport: ShapeReport = { dropped: 0, truncated: 0 }
  // FHIR reads, when the call may make them, within the time budget; a call that may not read
  // (prefetch only) waits for nothing and starts no timer.
  const access = fhirAccess(request, caller, deps, logger)
  const reads = access && budgetedClient(access, deps, shapeReport)
  try {
    const fhir = reads?.fhir
    const gathered = await gatherPrefetch({
      templates: service.prefetch ?? {},
      context: request.context,
      prefetch: request.prefetch ?? undefined,
      fhir,
      shapeReport,
    })
    const lacking = handler.required.filter((key) => key in gathered.missing)
    if (lacking.length > 0) {
      logger.warn('hook.precondition_failed', { missing: lacking.join(','), fhirAccess: !!fhir })
      const why = lacking.map((key) => `${key} (${gathered.missing[key]})`).join(', ')
      throw preconditionFailed(
        `Required data could not be obtained from prefetch${fhir ? ' or the FHIR server' : ' and no usable fhirServer with fhirAuthorization was given'}: ${why}`
      )
    }
    const options = deps.cardOptions()
    // The rest of the call's I/O (reads no template expresses), then pure selection and assembly.
    const resources = await gatherResources(
      {
        data: gathered.data,
        fhir,
        logger,
        endpointsMatter: options.viewer.dataSources.length > 0,
      },
      call.scope
    )
    const evidence = buildEvidence(resources, call.scope, options.clinical, logger)
    const result = call.build(evidence, options, logger)
    logger.info('hook.answered', {
      cards: result.cards.length,
      prefetched: Object.values(gathered.sources).filter((s) => s === 'prefetch').length,
      fetched: Object.values(gathered.sources).filter((s) => s === 'fetched').length,
      missing: Object.keys(gathered.missing).length,
      ms: Date.now() - started,
    })
    // Every card's text passes one last escaping step, whoever built it.
    return { ...result, cards: result.cards.map(safeCard) }
  } finally {
    reads?.stop()
    // Counts only: what was left out says something about the data, never what it was.
    if (shapeReport.dropped + shapeReport.truncated > 0)
      logger.warn('fhir.shape_repaired', { ...shapeReport })
  }
}

/** Where and how the call may read from the client's FHIR server. */
interface FhirAccess {
  baseUrl: string
  token?: string
}

/**
 * The client's FHIR server may be called only with its access token and only when the caller's
 * trust entry allows that server (no SSRF). Development mode relaxes both, loudly.
 */
function fhirAccess(
  request: CdsRequest,
  caller: Caller,
  deps: InvokeDeps,
  logger: Logger
): FhirAccess | undefined {
  if (!request.fhirServer) return undefined
  const token = request.fhirAuthorization?.access_token
  if (!token && !deps.devMode) return undefined
  const baseUrl = allowedFhirBase(caller, request.fhirServer)
  if (!baseUrl) {
    logger.warn('fhir.server_not_allowed', { iss: caller.iss })
    return undefined
  }
  return { baseUrl, ...(token ? { token } : {}) }
}

/**
 * The call's FHIR client, cut off when the hook's time budget is spent. The budget is a timer
 * cleared by `stop()` when the call ends, not AbortSignal.timeout(): that one would fire after
 * every call, budget spent or not, and build a DOMException for nothing.
 */
function budgetedClient(
  access: FhirAccess,
  deps: InvokeDeps,
  shapeReport: ShapeReport
): { fhir: FhirClient; stop(): void } {
  const budget = new AbortController()
  const timer = setTimeout(
    () => budget.abort(new DOMException('Hook time budget spent', 'TimeoutError')),
    deps.budgetMs
  )
  const fhir = createFhirClient({
    baseUrl: access.baseUrl,
    shapeReport,
    ...(access.token ? { accessToken: access.token } : {}),
    fetch: deps.fetch,
    timeoutMs: deps.fhirTimeoutMs,
    ...(deps.fhirMaxCallBytes !== undefined ? { maxTotalBytes: deps.fhirMaxCallBytes } : {}),
    deadline: budget.signal,
    ...(deps.onFhirRead ? { onRead: deps.onFhirRead } : {}),
  })
  return { fhir, stop: () => clearTimeout(timer) }
}

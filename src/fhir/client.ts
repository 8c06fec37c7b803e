/**
 * @module fhir/client
 * A small FHIR R4 REST client over the `fetch` it is given (global fetch on Node and Workers, a
 * mock in tests). Every request carries the bearer token when there is one, has its own timeout
 * and is also cut off by the hook's overall deadline, body included. The token only goes under
 * the FHIR base: no absolute URLs, no dot segments, no paging links elsewhere. Bodies are read up
 * to a size cap, shape-checked (src/fhir/shape.ts), and one client makes a bounded number of
 * requests. Anything that is not a FHIR JSON resource is an error, never a crash.
 */
import type { Bundle, FhirResource } from 'fhir/r4'
import { trimLeadingSlashes, trimTrailingSlashes } from '../text/index'
import { sanitizeResource, type ShapeReport } from './shape'
import { isPlainPath } from './url-path'
import type { FhirReadOutcome } from '../observe'

export type Fetch = (input: Request | string | URL, init?: RequestInit) => Promise<Response>

export interface FhirClientOptions {
  /** The FHIR base URL from the request's `fhirServer`, without a trailing slash. */
  baseUrl: string
  accessToken?: string
  fetch: Fetch
  /** Time allowed for one request. */
  timeoutMs: number
  /** Aborts every request when the hook's budget is spent. */
  deadline?: AbortSignal
  /** Largest response body accepted, in bytes (a misbehaving server must not exhaust memory). */
  maxBytes?: number
  /**
   * Response bytes this client reads in all, every response together (one client serves one hook
   * call): a hundred responses under `maxBytes` each must not hold gigabytes either.
   */
  maxTotalBytes?: number
  /** Most Bundle pages followed for one search. */
  maxPages?: number
  /** Most requests this client makes in all (one client serves one hook call). */
  maxRequests?: number
  /** Most requests in flight at once. */
  maxConcurrent?: number
  /** Tallies what the shape check left out of each response (for the hook's log line). */
  shapeReport?: ShapeReport
  /** Told how each request ended and how long it took, in seconds (metrics). */
  onRead?: (outcome: FhirReadOutcome, seconds: number) => void
}

/** Why a FHIR request failed, in words safe to log and to put in an OperationOutcome. */
export class FhirRequestError extends Error {
  override name = 'FhirRequestError'
  constructor(
    message: string,
    readonly status?: number
  ) {
    super(message)
  }
}

export interface FhirClient {
  readonly baseUrl: string
  /** GET a relative URL (`Patient/1`, `Observation?patient=...`); resolves the resource. */
  get(relativeUrl: string): Promise<FhirResource>
  /**
   * Follows `next` links of a searchset Bundle and returns one Bundle with every entry. Stops
   * after `maxPages` pages (the client's default without it) or once it holds more than
   * `maxEntries`; the result keeps a `next` link only then, when pages were left unread.
   */
  allPages(bundle: Bundle, limits?: { maxEntries?: number; maxPages?: number }): Promise<Bundle>
}

/** How a failed request ended, for metrics: the status class, a timeout, or anything else. */
function readOutcome(err: unknown, signal: AbortSignal): FhirReadOutcome {
  if (signal.aborted) return 'timeout'
  const status = err instanceof FhirRequestError ? err.status : undefined
  if (status !== undefined) return status >= 500 ? 'http_5xx' : 'http_4xx'
  return 'error'
}

export function createFhirClient(options: FhirClientOptions): FhirClient {
  // The parsed, normalised base (the allowlist compared this form, so requests must use it too).
  const baseUrl = new URL(options.baseUrl)
  const basePath = trimTrailingSlashes(baseUrl.pathname)
  const base = `${baseUrl.origin}${basePath}`
  const maxTotalBytes = options.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES
  const maxBytes = Math.min(options.maxBytes ?? 20 * 1024 * 1024, maxTotalBytes)
  // Bytes read so far by every response of this client, shared by requests in flight at once.
  const held = { bytes: 0, max: maxTotalBytes }
  const maxPages = options.maxPages ?? 20
  const maxRequests = options.maxRequests ?? 100
  const maxConcurrent = options.maxConcurrent ?? 10
  const headers: Record<string, string> = { accept: 'application/fhir+json, application/json' }
  if (options.accessToken) headers.authorization = `Bearer ${options.accessToken}`
  let started = 0
  let running = 0
  const waiting: (() => void)[] = []

  /** True when `url` lies under the base path on the base origin: where the token may go. */
  const underBase = (url: URL) =>
    url.origin === baseUrl.origin &&
    (url.pathname === basePath || url.pathname.startsWith(`${basePath}/`))

  async function request(url: string): Promise<FhirResource> {
    // A hook call may read only so much: a report naming 10 000 results, or a server paging
    // forever, must not turn one call into thousands of requests with the user's token.
    if (++started > maxRequests)
      throw new FhirRequestError('FHIR request limit for this call reached')
    const { deadline } = options
    // At most maxConcurrent in flight; a finished request hands its slot to the next in line.
    if (running < maxConcurrent) running++
    else await new Promise<void>((resolve) => waiting.push(resolve))
    // One controller and a timer cleared on completion, rather than AbortSignal.timeout() joined
    // with the deadline by AbortSignal.any(): those timers stay armed after the response, and each
    // later fires, builds a DOMException and dispatches abort events for nothing (about 0.1 ms of
    // main-thread time per hook call that reads from FHIR; see docs/performance.md).
    const controller = new AbortController()
    const timer = setTimeout(
      () => controller.abort(new DOMException('FHIR request timed out', 'TimeoutError')),
      options.timeoutMs
    )
    const onDeadline = () => controller.abort(deadline?.reason)
    if (deadline?.aborted) onDeadline()
    else deadline?.addEventListener('abort', onDeadline, { once: true })
    const began = options.onRead ? performance.now() : 0
    try {
      const resource = await fetchResource(url, controller.signal)
      options.onRead?.('ok', (performance.now() - began) / 1000)
      return resource
    } catch (err) {
      options.onRead?.(readOutcome(err, controller.signal), (performance.now() - began) / 1000)
      throw err
    } finally {
      clearTimeout(timer)
      deadline?.removeEventListener('abort', onDeadline)
      const next = waiting.shift()
      if (next) next()
      else running--
    }
  }

  async function fetchResource(url: string, signal: AbortSignal): Promise<FhirResource> {
    let res: Response
    try {
      // No redirects: they would lead the access token to a URL the allowlist never checked.
      res = await abortable(options.fetch(url, { headers, signal, redirect: 'manual' }), signal)
    } catch {
      throw new FhirRequestError(
        signal.aborted ? 'FHIR server did not answer in time' : 'FHIR server unreachable'
      )
    }
    if (!res.ok) {
      // Not awaited: a stream that never confirms its cancellation must not hold the hook.
      void res.body?.cancel().catch(() => {})
      throw new FhirRequestError(`FHIR server answered ${res.status}`, res.status)
    }
    const length = Number(res.headers.get('content-length') ?? 0)
    if (length > maxBytes || held.bytes + length > held.max) {
      void res.body?.cancel().catch(() => {})
      throw new FhirRequestError(tooLarge(length > maxBytes))
    }
    const text = await readCapped(res, maxBytes, held, signal)
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      throw new FhirRequestError('FHIR server sent a body that is not FHIR JSON')
    }
    const resource = sanitizeResource(body, options.shapeReport)
    if (!resource) throw new FhirRequestError('FHIR server sent a body that is not a FHIR resource')
    return resource
  }

  function resolve(relativeUrl: string): string {
    if (/^[a-z][a-z0-9+.-]*:|^\/\//i.test(relativeUrl))
      throw new FhirRequestError('absolute URLs are not followed')
    // Dot segments, encoded separators and `;` would climb out of the base path
    // (`Observation/..`, `DiagnosticReport/..%2f..%2fadmin`, `Patient/..;/admin`): the token is
    // for the FHIR base, nothing beside it.
    if (!isPlainPath(relativeUrl)) throw new FhirRequestError('FHIR path not allowed')
    const url = new URL(`${base}/${trimLeadingSlashes(relativeUrl)}`)
    if (!underBase(url)) throw new FhirRequestError('FHIR path not allowed')
    return url.href
  }

  return {
    baseUrl: base,
    get: async (relativeUrl) => request(resolve(relativeUrl)),
    async allPages(first, limits = {}) {
      const maxEntries = limits.maxEntries ?? Infinity
      const pageCap = limits.maxPages ?? maxPages
      const entries = [...(first.entry ?? [])]
      const seen = new Set<string>()
      let next = nextLink(first)
      for (let page = 1; next && page < pageCap && entries.length <= maxEntries; page++) {
        let url: URL | undefined
        try {
          // Checked as written, like a relative read: the parser would resolve `..` first.
          url = isPlainPath(next) ? new URL(next, `${base}/`) : undefined
        } catch {
          url = undefined
        }
        // Paging links are followed only under the FHIR base the allowlist admitted (no SSRF
        // through `next`), with a plain path (no dot segment, encoded separator or `;`), and
        // never twice (a server whose next page is itself). Such a link ends the search: it is
        // no page left unread.
        if (!url || !underBase(url) || seen.has(url.href)) {
          next = undefined
          break
        }
        seen.add(url.href)
        const bundle = await request(url.href)
        if (bundle.resourceType !== 'Bundle')
          throw new FhirRequestError('next page is not a Bundle')
        entries.push(...(bundle.entry ?? []))
        next = nextLink(bundle)
      }
      const { link: _link, ...rest } = first
      return {
        ...rest,
        total: entries.length,
        entry: entries,
        ...(next ? { link: [{ relation: 'next', url: next }] } : {}),
      }
    },
  }
}

/** Settles with `promise`, or rejects when `signal` aborts first, whether or not the fetch listens. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // The fetch still settles (it rejects on the aborted signal): handle that, or Node reports an
    // unhandled rejection, which ends the process by default.
    promise.catch(() => {})
    return Promise.reject(signal.reason)
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(err)
      }
    )
  })
}

/** Default of `maxTotalBytes`: 32 MiB, far above one patient's imaging data (CDS_FHIR_MAX_CALL_BYTES). */
export const DEFAULT_MAX_TOTAL_BYTES = 32 * 1024 * 1024

/** Why a body was refused: too large alone, or over what the call may read in all. */
const tooLarge = (alone: boolean) =>
  alone ? 'FHIR response too large' : 'FHIR data for this call over its total size limit'

/**
 * The body as text, read chunk by chunk and cut off past `maxBytes`, or once the client's
 * responses together pass `held.max`: a server that streams without a Content-Length (or lies in
 * it) must not make the service buffer gigabytes first.
 */
async function readCapped(
  res: Response,
  maxBytes: number,
  held: { bytes: number; max: number },
  signal: AbortSignal
): Promise<string> {
  if (!res.body) return ''
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const { done, value } = await abortable(reader.read(), signal)
      if (done) break
      size += value.byteLength
      held.bytes += value.byteLength
      if (size > maxBytes || held.bytes > held.max)
        throw new FhirRequestError(tooLarge(size > maxBytes))
      chunks.push(value)
    }
  } catch (err) {
    reader.cancel().catch(() => {})
    if (err instanceof FhirRequestError) throw err
    throw new FhirRequestError(
      signal.aborted ? 'FHIR server did not answer in time' : 'FHIR server broke off its answer'
    )
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return new TextDecoder().decode(bytes)
}

/** The `next` link of a Bundle, if any. */
export function nextLink(bundle: Bundle): string | undefined {
  return bundle.link?.find((l) => l.relation === 'next')?.url
}

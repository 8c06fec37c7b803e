/**
 * @module fhir/client
 * A small FHIR R4 REST client over the `fetch` it is given (global fetch on Node and Workers, a
 * mock in tests). Every request carries the bearer token when there is one, has its own timeout
 * and is also cut off by the hook's overall deadline. Anything that is not a FHIR JSON resource
 * is an error, never a crash; resources are shape-checked (src/fhir/shape.ts) before use.
 */
import type { Bundle, FhirResource } from 'fhir/r4'
import { sanitizeResource, type ShapeReport } from './shape'

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
  /** Most Bundle pages followed for one search. */
  maxPages?: number
  /** Tallies what the shape check left out of each response (for the hook's log line). */
  shapeReport?: ShapeReport
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
  /** Follows `next` links of a searchset Bundle and returns one Bundle with every entry. */
  allPages(bundle: Bundle): Promise<Bundle>
}

export function createFhirClient(options: FhirClientOptions): FhirClient {
  const base = options.baseUrl.replace(/\/+$/, '')
  const origin = new URL(base).origin
  const maxBytes = options.maxBytes ?? 20 * 1024 * 1024
  const maxPages = options.maxPages ?? 20
  const headers: Record<string, string> = { accept: 'application/fhir+json, application/json' }
  if (options.accessToken) headers.authorization = `Bearer ${options.accessToken}`

  async function request(url: string): Promise<FhirResource> {
    // One controller and a timer cleared on completion, rather than AbortSignal.timeout() joined
    // with the deadline by AbortSignal.any(): those timers stay armed after the response, and each
    // later fires, builds a DOMException and dispatches abort events for nothing (about 0.1 ms of
    // main-thread time per hook call that reads from FHIR; see docs/performance.md).
    const controller = new AbortController()
    const timer = setTimeout(
      () => controller.abort(new DOMException('FHIR request timed out', 'TimeoutError')),
      options.timeoutMs
    )
    const { deadline } = options
    const onDeadline = () => controller.abort(deadline?.reason)
    if (deadline?.aborted) onDeadline()
    else deadline?.addEventListener('abort', onDeadline, { once: true })
    try {
      return await fetchResource(url, controller.signal)
    } finally {
      clearTimeout(timer)
      deadline?.removeEventListener('abort', onDeadline)
    }
  }

  async function fetchResource(url: string, signal: AbortSignal): Promise<FhirResource> {
    let res: Response
    try {
      // No redirects: they would lead the access token to a URL the allowlist never checked.
      res = await options.fetch(url, { headers, signal, redirect: 'manual' })
    } catch (err) {
      const timedOut =
        (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError'
      throw new FhirRequestError(
        timedOut ? 'FHIR server did not answer in time' : 'FHIR server unreachable'
      )
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {})
      throw new FhirRequestError(`FHIR server answered ${res.status}`, res.status)
    }
    const length = Number(res.headers.get('content-length') ?? 0)
    if (length > maxBytes) {
      await res.body?.cancel().catch(() => {})
      throw new FhirRequestError('FHIR response too large')
    }
    let body: unknown
    try {
      const text = await res.text()
      if (text.length > maxBytes) throw new Error('too large')
      body = JSON.parse(text)
    } catch {
      throw new FhirRequestError('FHIR server sent a body that is not FHIR JSON')
    }
    const resource = sanitizeResource(body, options.shapeReport)
    if (!resource) throw new FhirRequestError('FHIR server sent a body that is not a FHIR resource')
    return resource
  }

  function resolve(relativeUrl: string): string {
    if (/^[a-z][a-z0-9+.-]*:/i.test(relativeUrl))
      throw new FhirRequestError('absolute URLs are not followed')
    return `${base}/${relativeUrl.replace(/^\/+/, '')}`
  }

  return {
    baseUrl: base,
    get: (relativeUrl) => request(resolve(relativeUrl)),
    async allPages(first) {
      const entries = [...(first.entry ?? [])]
      let next = nextLink(first)
      for (let page = 1; next && page < maxPages; page++) {
        let url: URL
        try {
          url = new URL(next, base)
        } catch {
          break // a next link that is no URL ends the search, it does not fail it
        }
        // Paging links are followed only on the FHIR server's own origin (no SSRF through `next`).
        if (url.origin !== origin) break
        const bundle = await request(url.toString())
        if (bundle.resourceType !== 'Bundle')
          throw new FhirRequestError('next page is not a Bundle')
        entries.push(...(bundle.entry ?? []))
        next = nextLink(bundle)
      }
      const { link: _link, ...rest } = first
      return { ...rest, total: entries.length, entry: entries }
    },
  }
}

/** The `next` link of a Bundle, if any. */
export function nextLink(bundle: Bundle): string | undefined {
  return bundle.link?.find((l) => l.relation === 'next')?.url
}

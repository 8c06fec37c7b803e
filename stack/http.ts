/**
 * @module stack/http
 * The HTTP client of the stack's tools (bridge, AI results writer): Basic or bearer auth, JSON in
 * and out, and retries with exponential backoff (plus jitter, honouring `Retry-After`) on network
 * errors, 408, 429 and 5xx, so an outage of the PACS or the FHIR server delays work instead of
 * losing it. Credentials never appear in errors or logs.
 */
import { setTimeout as sleep } from 'node:timers/promises'

/** How a tool authenticates to one server. */
export type Auth =
  | { kind: 'none' }
  | { kind: 'basic'; user: string; password: string }
  | { kind: 'bearer'; token: string }

export interface RetryPolicy {
  /** Attempts in all (1 = no retry). */
  attempts: number
  /** First delay; doubled each attempt, up to `maxDelayMs`. */
  baseDelayMs: number
  maxDelayMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 500, maxDelayMs: 30_000 }

export interface HttpClientOptions {
  baseUrl: string
  auth?: Auth
  retry?: RetryPolicy
  /** Called before each retry (for a log line); never given credentials. */
  onRetry?: (info: { url: string; attempt: number; delayMs: number; reason: string }) => void
  /** Per-request timeout. */
  timeoutMs?: number
}

export interface HttpResponse {
  status: number
  headers: Headers
  body: string
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown
}

/** A request that failed for good: its status (0 for a network error) and what the server said. */
export class HttpError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body?: string
  ) {
    super(message)
  }
}

/** Builds the auth from the environment: `<PREFIX>_TOKEN`, or `<PREFIX>_USER` + `_PASSWORD`. */
export function authFromEnv(env: Record<string, string | undefined>, prefix: string): Auth {
  const token = env[`${prefix}_TOKEN`]
  if (token) return { kind: 'bearer', token }
  const user = env[`${prefix}_USER`]
  if (user) return { kind: 'basic', user, password: env[`${prefix}_PASSWORD`] ?? '' }
  return { kind: 'none' }
}

export function authorizationHeader(auth: Auth | undefined): string | undefined {
  if (!auth || auth.kind === 'none') return undefined
  if (auth.kind === 'bearer') return `Bearer ${auth.token}`
  return `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`
}

const RETRIABLE = new Set([408, 425, 429, 500, 502, 503, 504])

export interface HttpClient {
  readonly baseUrl: string
  /** Sends one request; `path` is relative to the base URL (or absolute under it). */
  request(
    method: string,
    path: string,
    init?: { body?: string; headers?: Record<string, string>; okStatuses?: number[] }
  ): Promise<HttpResponse>
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '')
  const retry = options.retry ?? DEFAULT_RETRY
  const authorization = authorizationHeader(options.auth)
  return {
    baseUrl,
    async request(method, path, init = {}) {
      const url = /^https?:\/\//.test(path) ? path : `${baseUrl}/${path.replace(/^\/+/, '')}`
      const headers: Record<string, string> = { ...init.headers }
      if (authorization) headers.authorization = authorization
      for (let attempt = 1; ; attempt++) {
        let reason: string
        let retryAfterMs: number | undefined
        try {
          const response = await fetch(url, {
            method,
            headers,
            ...(init.body !== undefined ? { body: init.body } : {}),
            signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
          })
          const body = await response.text()
          const ok = init.okStatuses?.includes(response.status) ?? response.ok
          if (ok)
            return { status: response.status, headers: response.headers, body, json: parse(body) }
          if (!RETRIABLE.has(response.status) || attempt >= retry.attempts) {
            throw new HttpError(
              `${method} ${url} answered HTTP ${response.status}${summary(body)}`,
              response.status,
              body
            )
          }
          reason = `HTTP ${response.status}`
          retryAfterMs = retryAfter(response.headers.get('retry-after'))
        } catch (err) {
          if (err instanceof HttpError) throw err
          if (attempt >= retry.attempts) {
            throw new HttpError(`${method} ${url} failed: ${(err as Error).message}`, 0)
          }
          reason = (err as Error).message
        }
        const backoff = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1))
        const delayMs = retryAfterMs ?? Math.round(backoff * (0.5 + Math.random() / 2))
        options.onRetry?.({ url, attempt, delayMs, reason })
        await sleep(delayMs)
      }
    },
  }
}

function parse(body: string): unknown {
  try {
    return body ? JSON.parse(body) : undefined
  } catch {
    return undefined
  }
}

/** A short, single-line excerpt of an error body (an OperationOutcome's diagnostics when it is one). */
function summary(body: string): string {
  const json = parse(body) as { issue?: { diagnostics?: string; details?: { text?: string } }[] }
  const said =
    json?.issue
      ?.map((i) => i.diagnostics ?? i.details?.text)
      .filter(Boolean)
      .join('; ') || body.replace(/\s+/g, ' ').trim()
  return said ? `: ${said.slice(0, 300)}` : ''
}

function retryAfter(value: string | null): number | undefined {
  if (!value) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.min(Math.max(0, seconds * 1000), 60_000)
  const date = Date.parse(value)
  return Number.isFinite(date) ? Math.min(Math.max(0, date - Date.now()), 60_000) : undefined
}

/**
 * @module protocol/outcome
 * Errors as FHIR OperationOutcomes, normalised in one place (after Medplum's `outcomes.ts`).
 * Every non-2xx response body the service produces is built here.
 */
import type { OperationOutcome } from 'fhir/r4'

/** The OperationOutcome issue codes this service uses. */
export type IssueCode =
  | 'invalid'
  | 'structure'
  | 'required'
  | 'not-found'
  | 'not-supported'
  | 'login'
  | 'forbidden'
  | 'too-costly'
  | 'throttled'
  | 'transient'
  | 'incomplete'
  | 'timeout'
  | 'exception'

/** An error that carries an HTTP status and a message safe to show to the client. */
export class CdsError extends Error {
  /** Seconds a client should wait before trying again (a 429 or 503's `Retry-After`). */
  retryAfterSeconds?: number

  constructor(
    readonly status: number,
    message: string,
    readonly code: IssueCode = 'invalid',
    readonly expression?: string
  ) {
    super(message)
    this.name = 'CdsError'
  }
}

/** `error` with a Retry-After of `seconds`. */
function retryAfter(error: CdsError, seconds: number | undefined): CdsError {
  if (seconds !== undefined) error.retryAfterSeconds = seconds
  return error
}

/** Builds a one-issue OperationOutcome. */
export function operationOutcome(
  message: string,
  code: IssueCode = 'invalid',
  expression?: string
): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: [
      {
        severity: code === 'exception' || code === 'timeout' ? 'fatal' : 'error',
        code,
        diagnostics: message,
        ...(expression ? { expression: [expression] } : {}),
      },
    ],
  }
}

export const badRequest = (message: string, expression?: string) =>
  new CdsError(400, message, 'invalid', expression)
export const notFound = (message: string) => new CdsError(404, message, 'not-found')
export const preconditionFailed = (message: string) => new CdsError(412, message, 'incomplete')
/** 401 says nothing about why: the reason goes to the log only (CDS Hooks T6). */
export const unauthorized = () => new CdsError(401, 'Unauthorized', 'login')
export const payloadTooLarge = (limit: number) =>
  new CdsError(413, `Request body exceeds the limit of ${limit} bytes`, 'too-costly')

export const tooManyRequests = (message: string, retryAfterSeconds?: number) =>
  retryAfter(new CdsError(429, message, 'throttled'), retryAfterSeconds)
/** 503: a dependency is down for now; the client may retry (after `retryAfterSeconds`). */
export const serviceUnavailable = (message: string, retryAfterSeconds?: number) =>
  retryAfter(new CdsError(503, message, 'transient'), retryAfterSeconds)

/** True when a FHIR resource is an OperationOutcome (a failed prefetch, for example). */
export function isOperationOutcome(value: unknown): value is OperationOutcome {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { resourceType?: unknown }).resourceType === 'OperationOutcome'
  )
}

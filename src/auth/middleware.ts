/**
 * @module auth/middleware
 * Hono middleware that authenticates every CDS call (discovery, service, feedback) with the
 * client's JWT and puts the {@link Caller} on the context. It must run after CORS so preflights
 * never need a token (CDS Hooks C2), and it never logs or echoes the token.
 */
import type { MiddlewareHandler } from 'hono'
import type { Logger } from '../log'
import { noopObserver, type Observer } from '../observe'
import { unauthorized } from '../protocol/outcome'
import { AuthError, type AuthFailure, type Caller, type JwtVerifier } from './verify'

/** Context variables set by {@link cdsAuth}: `c.get('caller')`. */
export type AuthVariables = { caller: Caller }

declare module 'hono' {
  interface ContextVariableMap {
    /** The authenticated CDS client (set by `cdsAuth`). */
    caller: Caller
  }
}

export interface CdsAuthOptions {
  /** Undefined only in dev mode without a trust file. */
  verifier: JwtVerifier | undefined
  /** Accept calls without Authorization (the caller becomes {@link devCaller}). Never in production. */
  devMode: boolean
  logger: Logger
  /** Counts rejections by reason (metrics). */
  observer?: Observer
}

/** The caller of an unauthenticated request in dev mode: may use any FHIR server. */
export const devCaller = (): Caller => ({ iss: 'dev-mode', jti: '', fhirAllowlist: 'any' })

// RFC 6750 b64token after a case-insensitive scheme.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i

/**
 * @param options - the verifier, dev mode flag and logger
 * @returns middleware that sets `caller` or throws `unauthorized()` (401, no detail)
 * @throws Error at construction when there is neither a verifier nor dev mode
 * @example app.use('/cds-services/*', cdsAuth({ verifier, devMode: false, logger }))
 */
export const cdsAuth = (
  options: CdsAuthOptions
): MiddlewareHandler<{ Variables: AuthVariables }> => {
  const { verifier, devMode, logger } = options
  const observer = options.observer ?? noopObserver
  if (!verifier && !devMode) {
    throw new Error('cdsAuth: a JWT verifier (trust file) is required unless dev mode is on')
  }

  return async function cdsAuth(c, next) {
    if (c.req.method === 'OPTIONS') return next()
    const path = c.req.path
    const reject = (reason: AuthFailure, iss?: string): never => {
      // iss is unverified and attacker-chosen: cap it. The token itself is never logged.
      logger.warn('auth.rejected', { reason, iss: iss?.slice(0, 200), path })
      observer.authRejected(reason)
      throw unauthorized()
    }

    const authorization = c.req.header('Authorization')
    if (authorization === undefined) {
      if (!devMode) return reject('missing_token')
      c.set('caller', devCaller())
      return next()
    }
    const token = BEARER.exec(authorization)?.[1]
    if (token === undefined) return reject('malformed_authorization')
    if (!verifier) {
      // Dev mode without a trust file: there is nothing to check the token against.
      c.set('caller', devCaller())
      return next()
    }

    let caller: Caller
    try {
      caller = await verifier.verify(token, path)
    } catch (err) {
      if (err instanceof AuthError) return reject(err.reason, err.iss)
      logger.error('auth.verifier_failed', {
        error: err instanceof Error ? err.name : 'unknown',
        path,
      })
      return reject('internal_error')
    }
    c.set('caller', caller)
    return next()
  }
}

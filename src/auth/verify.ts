/**
 * @module auth/verify
 * Verifies the JWT a CDS client sends with every call (CDS Hooks 2.0 §Trusting CDS Clients,
 * T1–T7): trusted issuer, asymmetric algorithm on the issuer's list, audience equal to the invoked
 * endpoint, short lifetime, signature with the issuer's own key, and a `jti` never seen before.
 * Failures carry a reason for the log; the client only ever sees a bare 401.
 * @see docs/security.md
 */
import { compactVerify, decodeJwt, decodeProtectedHeader, type JWSHeaderParameters } from 'jose'
import { trimTrailingSlashes } from '../text/index'
import type { Logger } from '../log'
import { createKeySource, KeySourceError, type KeySource } from './jwks'
import type { ReplayStore } from './replay'
import type { IssuerConfig, TrustConfig } from './trust'
import { parseHttpUrl, type FhirAllowlist } from './url'

/** The authenticated CDS client of a request. */
export interface Caller {
  iss: string
  tenant?: string
  jti: string
  /** FHIR base URLs this client may send as `fhirServer`, parsed at start (`'any'` in dev mode). */
  fhirAllowlist: FhirAllowlist
}

/** Why a token was refused. For logs and tests only: never sent to the client. */
export type AuthFailure =
  | 'missing_token'
  | 'malformed_authorization'
  | 'token_too_large'
  | 'malformed_token'
  | 'bad_typ'
  | 'missing_kid'
  | 'unsupported_header'
  | 'untrusted_iss'
  | 'alg_not_allowed'
  | 'jku_not_allowed'
  | 'bad_aud'
  | 'missing_exp'
  | 'expired'
  | 'missing_iat'
  | 'iat_in_future'
  | 'nbf_in_future'
  | 'lifetime_too_long'
  | 'missing_jti'
  | 'tenant_not_allowed'
  | 'unknown_kid'
  | 'ambiguous_kid'
  | 'jwks_unavailable'
  | 'bad_signature'
  | 'replayed_jti'
  | 'replay_store_unavailable'
  | 'internal_error'

export class AuthError extends Error {
  /**
   * @param reason - what failed (log only)
   * @param iss - the token's claimed issuer when it could be decoded (unverified; log only)
   */
  constructor(
    readonly reason: AuthFailure,
    readonly iss?: string
  ) {
    super(`JWT rejected: ${reason}`)
    this.name = 'AuthError'
  }
}

export interface JwtVerifierOptions {
  trust: TrustConfig
  /** Public base URL of this service as clients see it (behind proxies it differs from the inbound URL). */
  publicUrl: string
  replayStore: ReplayStore
  /** WHATWG fetch for remote JWKS (injectable for tests). */
  fetch?: typeof fetch
  /** Tolerance for clock differences, in seconds, unless the issuer sets its own. Default 60. */
  clockSkewSeconds?: number
  /**
   * Longest accepted `exp - iat`, in seconds (plus skew), unless the issuer sets its own.
   * Default 300, as the sandbox and Inferno issue.
   */
  maxLifetimeSeconds?: number
  /** Milliseconds clock (injectable for tests). */
  now?: () => number
  /** Minimum time between JWKS fetches for one issuer, in ms. Default 60 000. */
  jwksCooldownMs?: number
  /** JWKS fetch timeout, in ms. Default 5 000. */
  jwksTimeoutMs?: number
  /** Receives JWKS fetch failures (`auth.jwks_fetch_failed`). */
  logger?: Logger
}

export interface JwtVerifier {
  /**
   * @param token - the compact JWT from `Authorization: Bearer`
   * @param requestPath - path of the invoked endpoint, e.g. `/cds-services/x/feedback`
   * @throws AuthError
   */
  verify(token: string, requestPath: string): Promise<Caller>
  /** True when every trusted issuer's keys are at hand (for readiness checks). */
  keysReady(): Promise<boolean>
}

// Three base64url parts; the signature part is never empty for the algorithms we accept.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/
const MAX_TOKEN_LENGTH = 16 * 1024
const MAX_JTI_LENGTH = 256

/** Normalised form for `aud` and `jku` comparison: parsed, one trailing slash dropped. */
function normalizeUrl(value: string): string | undefined {
  const url = parseHttpUrl(value)
  return url ? url.href.replace(/\/$/, '') : undefined
}

/** Joins the public base URL and a request path without doubling or dropping the slash. */
function endpointUrl(publicUrl: string, requestPath: string): string | undefined {
  const path = requestPath.startsWith('/') ? requestPath : `/${requestPath}`
  return normalizeUrl(trimTrailingSlashes(publicUrl) + path)
}

const isNumericDate = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value)

/**
 * Creates the verifier once at start-up: key sources (and their caches) live as long as it does.
 * @throws Error if `publicUrl` is not an absolute http(s) URL
 * @example
 * const verifier = createJwtVerifier({ trust, publicUrl: 'https://cds.example.org', replayStore })
 * const caller = await verifier.verify(token, '/cds-services')
 */
export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const { publicUrl, replayStore } = options
  if (!parseHttpUrl(publicUrl)) {
    throw new Error(`createJwtVerifier: publicUrl must be an absolute http(s) URL: ${publicUrl}`)
  }
  const now = options.now ?? Date.now

  const issuers = new Map<string, { config: IssuerConfig; keys: KeySource; jku?: string }>()
  for (const config of options.trust.issuers) {
    const keys = createKeySource(config, {
      fetch: options.fetch,
      cooldownMs: options.jwksCooldownMs,
      timeoutMs: options.jwksTimeoutMs,
      logger: options.logger,
      now,
    })
    // The only jku a token may name: the configured one (never fetched), else the JWKS URL.
    const accepted = config.jku ?? config.jwksUrl
    issuers.set(config.iss, { config, keys, jku: accepted && normalizeUrl(accepted) })
  }

  async function verify(token: string, requestPath: string): Promise<Caller> {
    if (token.length > MAX_TOKEN_LENGTH) throw new AuthError('token_too_large')
    if (!COMPACT_JWS.test(token)) throw new AuthError('malformed_token')

    let header: JWSHeaderParameters
    let claims: Record<string, unknown>
    try {
      header = decodeProtectedHeader(token) as JWSHeaderParameters
      claims = decodeJwt(token)
    } catch {
      throw new AuthError('malformed_token')
    }
    const iss = typeof claims.iss === 'string' ? claims.iss : undefined
    const fail = (reason: AuthFailure): never => {
      throw new AuthError(reason, iss)
    }

    // Header (T2). Everything here is still unverified: it only selects the issuer and key.
    if (typeof header.typ !== 'string' || header.typ.toLowerCase() !== 'jwt') fail('bad_typ')
    if (typeof header.kid !== 'string' || header.kid === '') fail('missing_kid')
    // Unencoded payloads are no JWT; embedded or linked keys are never used, so say so loudly.
    if ('b64' in header || 'jwk' in header || 'x5u' in header || 'x5c' in header) {
      fail('unsupported_header')
    }

    const issuer = iss === undefined ? undefined : issuers.get(iss)
    if (!issuer) return fail('untrusted_iss')
    const { config } = issuer
    const skew = config.clockSkewSeconds ?? options.clockSkewSeconds ?? 60
    const maxLifetime = config.maxTokenLifetimeSeconds ?? options.maxLifetimeSeconds ?? 300
    // Covers `none` and HS* too: the trust schema only admits asymmetric algorithms.
    if (!(config.algorithms as string[]).includes(String(header.alg))) fail('alg_not_allowed')
    if (header.jku !== undefined) {
      const jku = typeof header.jku === 'string' ? normalizeUrl(header.jku) : undefined
      if (!issuer.jku || jku !== issuer.jku) fail('jku_not_allowed')
    }

    // Claims (T3, T4): cheap checks before any crypto or JWKS fetch.
    const expected = endpointUrl(publicUrl, requestPath)
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
    const audOk = audiences.some(
      (aud) => typeof aud === 'string' && expected !== undefined && normalizeUrl(aud) === expected
    )
    if (!audOk) fail('bad_aud')

    const nowSeconds = now() / 1000
    const { exp, iat, nbf, jti, tenant } = claims
    if (!isNumericDate(exp)) return fail('missing_exp')
    if (exp + skew <= nowSeconds) fail('expired')
    if (!isNumericDate(iat)) return fail('missing_iat')
    if (iat - skew > nowSeconds) fail('iat_in_future')
    if (nbf !== undefined && (!isNumericDate(nbf) || nbf - skew > nowSeconds)) fail('nbf_in_future')
    if (exp - iat > maxLifetime + skew) fail('lifetime_too_long')
    if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) {
      return fail('missing_jti')
    }
    if (tenant !== undefined && typeof tenant !== 'string') fail('tenant_not_allowed')
    if (config.tenants && !config.tenants.includes(tenant as string)) fail('tenant_not_allowed')

    // Signature, over exactly the bytes decoded above.
    try {
      await compactVerify(token, (protectedHeader) => issuer.keys.getKey(protectedHeader), {
        algorithms: config.algorithms,
      })
    } catch (err) {
      if (err instanceof KeySourceError) fail(err.reason)
      if ((err as { code?: unknown }).code === 'ERR_JOSE_ALG_NOT_ALLOWED') fail('alg_not_allowed')
      fail('bad_signature')
    }

    // Only now, so forged tokens cannot burn jti values. Scoped per issuer: jti is unique per issuer.
    // A store that cannot answer (Redis down) fails closed: a 401, never an unchecked token.
    // Failing open is a wrapper the operator chooses (`failOpenReplayStore`).
    let fresh: boolean
    try {
      fresh = await replayStore.checkAndRemember(JSON.stringify([iss, jti]), (exp + skew) * 1000)
    } catch {
      return fail('replay_store_unavailable')
    }
    if (!fresh) fail('replayed_jti')

    return {
      iss: config.iss,
      ...(typeof tenant === 'string' ? { tenant } : {}),
      jti,
      fhirAllowlist: config.fhirAllowlist,
    }
  }

  async function keysReady(): Promise<boolean> {
    const states = await Promise.all([...issuers.values()].map((issuer) => issuer.keys.ready()))
    return states.every(Boolean)
  }

  return { verify, keysReady }
}

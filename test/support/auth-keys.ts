/**
 * @module test/support/auth-keys
 * Helpers for the auth tests: throwaway key pairs, tokens with any header or claim changed, and a
 * JWKS server played by an injected fetch. Test code only.
 */
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose'
import { createLogger } from '../../src/log'

export const PUBLIC_URL = 'https://cds.example.org'
export const ISS = 'https://ehr.example.org'
export const JWKS_URL = 'https://ehr.example.org/.well-known/jwks.json'
/** A fixed "now" in epoch seconds. */
export const NOW = 1_800_000_000

export interface TestKey {
  alg: 'ES384' | 'RS384' | 'ES256'
  kid: string
  privateKey: CryptoKey
  publicKey: CryptoKey
  /** Public JWK with kid, alg and use. */
  jwk: JWK
}

export async function makeKey(alg: TestKey['alg'] = 'ES384', kid = `${alg}-key`): Promise<TestKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
  return { alg, kid, privateKey, publicKey, jwk }
}

export interface TokenOptions {
  header?: Record<string, unknown>
  claims?: Record<string, unknown>
  /** Claims to leave out. */
  omit?: string[]
  /** Path of the endpoint the aud names; default `/cds-services`. */
  path?: string
  /** Issue time in epoch seconds; default {@link NOW}. */
  iat?: number
}

/** A valid token for `/cds-services` at {@link NOW}, unless options change it. */
export async function makeToken(key: TestKey, options: TokenOptions = {}): Promise<string> {
  const iat = options.iat ?? NOW
  const claims: Record<string, unknown> = {
    iss: ISS,
    aud: PUBLIC_URL + (options.path ?? '/cds-services'),
    iat,
    exp: iat + 300,
    jti: crypto.randomUUID(),
    ...options.claims,
  }
  for (const name of options.omit ?? []) delete claims[name]
  const header = { alg: key.alg, typ: 'JWT', kid: key.kid, ...options.header }
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key.privateKey)
}

const b64url = (value: unknown) =>
  btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')

/** Joins raw header and payload with any signature part (for unsigned and forged tokens). */
export function rawToken(header: unknown, claims: unknown, signature = ''): string {
  return `${b64url(header)}.${b64url(claims)}.${signature}`
}

/** Default valid claims as a plain object, for raw tokens. */
export function claimsAt(iat = NOW, path = '/cds-services'): Record<string, unknown> {
  return { iss: ISS, aud: PUBLIC_URL + path, iat, exp: iat + 300, jti: crypto.randomUUID() }
}

/**
 * A JWKS host played by an injected fetch: serves `jwks`, or fails as told, and records calls.
 */
export function fakeJwksHost(initial: { keys: JWK[] }) {
  const host = {
    jwks: initial as { keys: JWK[] } | undefined,
    /** 'ok', an HTTP status to answer with, 'throw' (network error) or 'hang' (never answers). */
    mode: 'ok' as 'ok' | 'throw' | 'hang' | number,
    calls: [] as string[],
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input instanceof Request ? input.url : input)
      host.calls.push(url)
      if (host.mode === 'throw') throw new TypeError('fetch failed')
      if (host.mode === 'hang') {
        return new Promise<Response>((_, reject) => {
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason))
        })
      }
      if (typeof host.mode === 'number') return new Response('unavailable', { status: host.mode })
      return Response.json(host.jwks)
    }) as typeof fetch,
  }
  return host
}

/** A logger that keeps every line, for assertions on what was (not) logged. */
export function captureLogger() {
  const lines: string[] = []
  const logger = createLogger({ level: 'debug', write: (line) => lines.push(line) })
  return { logger, lines }
}

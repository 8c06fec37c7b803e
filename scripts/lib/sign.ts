/**
 * @module scripts/lib/sign
 * Signs the JWT a CDS client sends with each call (CDS Hooks 2.0 T2/T3), shaped like the sandbox's:
 * `typ: JWT`, `kid`, optional `jku`; `iss`, `aud`, `iat`, `exp`, `jti`, optional `tenant`.
 * Runtime-neutral (jose + Web Crypto), so the hook client, the demo and tests share it.
 */
import { importJWK, SignJWT, type CryptoKey, type JWK, type KeyObject } from 'jose'

export interface SignCdsJwtOptions {
  /** Private key: a CryptoKey or Node KeyObject, or a private JWK (imported here). */
  privateKey: CryptoKey | KeyObject | JWK
  /** Key id; defaults to the JWK's `kid` when `privateKey` is a JWK. */
  kid?: string
  /** Default ES384 (CDS Hooks recommends ES384 or RS384). */
  alg?: string
  iss: string
  /** The exact URL of the endpoint being called (discovery, service or feedback). */
  aud: string | string[]
  tenant?: string
  /** Default 300 s, as the sandbox and Inferno issue. */
  lifetimeSeconds?: number
  /** Optional `jku` header (the URL where the client publishes its JWKS). */
  jku?: string
  /** Default: a random UUID. */
  jti?: string
  /** Issue time in epoch seconds; default now. */
  iat?: number
}

const isJwk = (key: unknown): key is JWK =>
  typeof key === 'object' && key !== null && 'kty' in key && !('type' in key)

/**
 * @returns the compact JWT
 * @throws Error when no kid is given or derivable, or the JWK is not a private key
 * @example
 * const jwt = await signCdsJwt({ privateKey: jwk, iss: 'https://ehr.example.org', aud: url })
 */
export async function signCdsJwt(options: SignCdsJwtOptions): Promise<string> {
  const alg = options.alg ?? 'ES384'
  let key: CryptoKey | KeyObject | JWK | Uint8Array = options.privateKey
  let kid = options.kid
  if (isJwk(key)) {
    if (typeof key.d !== 'string') throw new Error('signCdsJwt: the JWK is not a private key')
    kid ??= key.kid
    key = await importJWK(key, alg)
  }
  if (!kid) throw new Error('signCdsJwt: kid is required (pass kid, or a JWK that has one)')
  const iat = options.iat ?? Math.floor(Date.now() / 1000)
  const claims: Record<string, unknown> = options.tenant ? { tenant: options.tenant } : {}
  return new SignJWT(claims)
    .setProtectedHeader({ alg, typ: 'JWT', kid, ...(options.jku ? { jku: options.jku } : {}) })
    .setIssuer(options.iss)
    .setAudience(options.aud)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (options.lifetimeSeconds ?? 300))
    .setJti(options.jti ?? crypto.randomUUID())
    .sign(key)
}

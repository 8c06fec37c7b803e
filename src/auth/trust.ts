/**
 * @module auth/trust
 * The trust file: which CDS clients (JWT issuers) this service accepts, where their public keys
 * come from, which algorithms and tenants they may use and which FHIR servers they may point us at.
 * Parsed once at start-up; every mistake is reported with its path so a bad file fails loudly.
 * @see docs/security.md
 */
import * as z from 'zod'
import { isLoopbackHost, parseFhirAllowlist, parseFhirServerBase, parseHttpUrl } from './url'

/** Asymmetric JWS algorithms only: CDS Hooks forbids `none` and HMAC (T5). */
export const SIGNING_ALGORITHMS = [
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
] as const
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number]

/** The algorithms CDS Hooks recommends; used when an issuer lists none. */
export const DEFAULT_ALGORITHMS: readonly SigningAlgorithm[] = ['ES384', 'RS384']

// JWK members that only private or symmetric keys have.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const
const REQUIRED_MEMBERS: Record<'EC' | 'RSA' | 'OKP', readonly string[]> = {
  EC: ['crv', 'x', 'y'],
  RSA: ['n', 'e'],
  OKP: ['crv', 'x'],
}

const comment = z.string().optional()

const algorithm = z.enum(SIGNING_ALGORITHMS, {
  error: (issue) =>
    `${JSON.stringify(issue.input)} is not an accepted algorithm: use ${SIGNING_ALGORITHMS.join(', ')} (none and HS* are never accepted)`,
})

const publicJwk = z
  .looseObject({
    kty: z.enum(['EC', 'RSA', 'OKP'], {
      error: 'kty must be EC, RSA or OKP (symmetric "oct" keys are not allowed)',
    }),
    kid: z.string({ error: 'every pinned key needs a kid' }).min(1, 'kid must not be empty'),
    use: z.literal('sig', { error: 'use must be "sig" when present' }).optional(),
    alg: algorithm.optional(),
  })
  .superRefine((key, ctx) => {
    for (const member of PRIVATE_MEMBERS) {
      if (member in key) {
        ctx.addIssue({
          code: 'custom',
          path: [member],
          message:
            'private key material must never be in a trust file (publish the public key only)',
        })
      }
    }
    for (const member of REQUIRED_MEMBERS[key.kty]) {
      if (typeof key[member] !== 'string') {
        ctx.addIssue({
          code: 'custom',
          path: [member],
          message: `an ${key.kty} public key needs the string member "${member}"`,
        })
      }
    }
  })

const jwks = z
  .strictObject({ keys: z.array(publicJwk).min(1, 'a pinned JWKS needs at least one key') })
  .superRefine((set, ctx) => {
    const seen = new Set<string>()
    set.keys.forEach((key, index) => {
      if (seen.has(key.kid)) {
        ctx.addIssue({
          code: 'custom',
          path: ['keys', index, 'kid'],
          message: `duplicate kid "${key.kid}" (kids must be unique within a JWKS)`,
        })
      }
      seen.add(key.kid)
    })
  })

// We fetch from this URL, so it must be https (plain http only to this machine).
const jwksUrl = z.string().superRefine((value, ctx) => {
  const url = parseHttpUrl(value)
  if (!url) {
    ctx.addIssue({ code: 'custom', message: 'must be an absolute http(s) URL without fragment' })
  } else if (url.protocol !== 'https:' && !isLoopbackHost(url.hostname)) {
    ctx.addIssue({ code: 'custom', message: 'must use https (http is allowed for loopback only)' })
  }
})

// Only compared with the token's jku header, never fetched.
const jkuUrl = z.string().superRefine((value, ctx) => {
  if (!parseHttpUrl(value)) {
    ctx.addIssue({ code: 'custom', message: 'must be an absolute http(s) URL without fragment' })
  }
})

const fhirServer = z.string().superRefine((value, ctx) => {
  const parsed = parseFhirServerBase(value)
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed })
})

const issuer = z
  .strictObject({
    _note: comment,
    _warning: comment,
    iss: z.string({ error: 'iss is required' }).min(1, 'iss must not be empty'),
    /** Where the issuer's JWKS is fetched (and cached); exclusive with `jwks`. */
    jwksUrl: jwksUrl.optional(),
    /** A pinned JWKS; exclusive with `jwksUrl`. */
    jwks: jwks.optional(),
    /** The only `jku` header value accepted; defaults to `jwksUrl`. Never fetched. */
    jku: jkuUrl.optional(),
    algorithms: z
      .array(algorithm)
      .min(1, 'list at least one algorithm, or leave it out for the default')
      .default([...DEFAULT_ALGORITHMS]),
    /** When given, the token's `tenant` claim must be one of these. */
    tenants: z.array(z.string().min(1, 'a tenant must not be empty')).min(1).optional(),
    /** FHIR base URLs this client may send as `fhirServer`. */
    fhirServers: z.array(fhirServer).default([]),
    /**
     * Longest accepted `exp - iat`, in seconds (the clock skew is added). The spec sets no
     * maximum; our default, 300, is what the sandbox and Inferno issue. The jti is remembered
     * that long, so an hour is the most allowed.
     */
    maxTokenLifetimeSeconds: z
      .number({ error: 'must be a number of seconds' })
      .int('must be a whole number of seconds')
      .min(1, 'must be at least 1 second')
      .max(3600, 'must be at most 3600 seconds (CDS Hooks asks for short-lived tokens)')
      .optional(),
    /** Tolerated difference between the issuer's clock and ours, in seconds (default 60). */
    clockSkewSeconds: z
      .number({ error: 'must be a number of seconds' })
      .int('must be a whole number of seconds')
      .min(0, 'must not be negative')
      .max(300, 'must be at most 300 seconds')
      .optional(),
  })
  .superRefine((entry, ctx) => {
    if ((entry.jwksUrl === undefined) === (entry.jwks === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['jwksUrl'],
        message: 'give exactly one of jwksUrl (fetched and cached) or jwks (pinned keys)',
      })
    }
  })
  // Parsed once here, at start-up; the allowlist check on every call uses the parsed bases.
  .transform((entry) => ({ ...entry, fhirAllowlist: parseFhirAllowlist(entry.fhirServers) }))

const trustFile = z
  .strictObject({
    _note: comment,
    _warning: comment,
    issuers: z.array(issuer).min(1, 'trust at least one issuer'),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>()
    file.issuers.forEach((entry, index) => {
      if (seen.has(entry.iss)) {
        ctx.addIssue({
          code: 'custom',
          path: ['issuers', index, 'iss'],
          message: `duplicate issuer "${entry.iss}"`,
        })
      }
      seen.add(entry.iss)
    })
  })

export type TrustConfig = z.output<typeof trustFile>
export type IssuerConfig = TrustConfig['issuers'][number]
export type PinnedJwks = NonNullable<IssuerConfig['jwks']>

/** `issuers[0].jwks.keys[1].kid` style path for a zod issue. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`
  }
  return out || '(root)'
}

/**
 * CDS Hooks 2.0 requires https for `fhirServer` when production data flows: a plain-http FHIR
 * server is allowed on loopback only (a local test server), or in development mode.
 */
function plainHttpFhirServers(trust: TrustConfig): string[] {
  return trust.issuers.flatMap((issuer, i) =>
    issuer.fhirServers.flatMap((entry, j) => {
      const base = parseFhirServerBase(entry)
      if (typeof base === 'string' || base.protocol !== 'http:' || isLoopbackHost(base.hostname))
        return []
      return [
        `- issuers[${i}].fhirServers[${j}]: ${JSON.stringify(entry)} must use https ` +
          '(plain http is allowed for loopback hosts only, or with CDS_DEV_MODE=1)',
      ]
    })
  )
}

/**
 * Validates a parsed trust file.
 * @param json - the trust file's JSON value
 * @param options.devMode - development mode: plain-http FHIR servers are allowed on any host
 * @returns the config with defaults filled in
 * @throws Error listing every invalid value with its path
 * @example parseTrustConfig(JSON.parse(await readFile('config/trust.json', 'utf8')))
 */
export function parseTrustConfig(json: unknown, options: { devMode?: boolean } = {}): TrustConfig {
  const result = trustFile.safeParse(json)
  if (result.success) {
    const lines = options.devMode ? [] : plainHttpFhirServers(result.data)
    if (lines.length === 0) return result.data
    throw new Error(`Invalid trust config:\n${lines.join('\n')}`)
  }
  const lines = result.error.issues.map((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : []
    if (keys.length > 0) {
      return keys.map((key) => `- ${formatPath([...issue.path, key])}: unknown field`).join('\n')
    }
    return `- ${formatPath(issue.path)}: ${issue.message}`
  })
  throw new Error(`Invalid trust config:\n${lines.join('\n')}`)
}

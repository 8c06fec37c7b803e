import { readFileSync } from 'node:fs'
import { exportSPKI, SignJWT } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { signCdsJwt } from '../../scripts/lib/sign'
import { createMemoryReplayStore, type ReplayStore } from './replay'
import {
  captureLogger,
  claimsAt,
  fakeJwksHost,
  ISS,
  JWKS_URL,
  makeKey,
  makeToken,
  NOW,
  PUBLIC_URL,
  rawToken,
  type TestKey,
} from '../../test/support/auth-keys'
import { parseTrustConfig, type TrustConfig } from './trust'
import { AuthError, createJwtVerifier, type AuthFailure, type JwtVerifierOptions } from './verify'

let es: TestKey
let rs: TestKey
let stranger: TestKey

beforeAll(async () => {
  es = await makeKey('ES384', 'es-1')
  rs = await makeKey('RS384', 'rs-1')
  stranger = await makeKey('ES384', 'es-1') // same kid, different key
})

function pinnedTrust(extra: Record<string, unknown> = {}): TrustConfig {
  return parseTrustConfig({
    issuers: [
      {
        iss: ISS,
        jwks: { keys: [es.jwk, rs.jwk] },
        fhirServers: ['https://fhir.example.org/r4'],
        ...extra,
      },
    ],
  })
}

function verifier(overrides: Partial<JwtVerifierOptions> = {}) {
  return createJwtVerifier({
    trust: pinnedTrust(),
    publicUrl: PUBLIC_URL,
    replayStore: createMemoryReplayStore(),
    now: () => NOW * 1000,
    ...overrides,
  })
}

async function reasonOf(promise: Promise<unknown>): Promise<AuthFailure> {
  try {
    await promise
  } catch (err) {
    if (err instanceof AuthError) return err.reason
    throw err
  }
  throw new Error('expected the token to be rejected')
}

describe('createJwtVerifier: accepted tokens', () => {
  it('accepts a valid ES384 token and returns the caller', async () => {
    const token = await makeToken(es, { claims: { jti: 'jti-1' } })
    expect(await verifier().verify(token, '/cds-services')).toEqual({
      iss: ISS,
      jti: 'jti-1',
      fhirAllowlist: [{ protocol: 'https:', hostname: 'fhir.example.org', port: '', path: '/r4' }],
    })
  })

  it('accepts a valid RS384 token', async () => {
    const token = await makeToken(rs, { path: '/cds-services/svc' })
    await expect(verifier().verify(token, '/cds-services/svc')).resolves.toMatchObject({ iss: ISS })
  })

  it('accepts tokens made by the hook client signer (scripts/lib/sign.ts)', async () => {
    const token = await signCdsJwt({
      privateKey: es.privateKey,
      kid: es.kid,
      iss: ISS,
      aud: `${PUBLIC_URL}/cds-services/svc/feedback`,
      tenant: 't1',
      iat: NOW,
    })
    const v = verifier({ trust: pinnedTrust({ tenants: ['t1'] }) })
    await expect(v.verify(token, '/cds-services/svc/feedback')).resolves.toMatchObject({
      tenant: 't1',
    })
  })

  it('tolerates a trailing slash on either side of aud, and typ in any case', async () => {
    const withSlash = await makeToken(es, { path: '/cds-services/' })
    await expect(verifier().verify(withSlash, '/cds-services')).resolves.toBeTruthy()
    const without = await makeToken(es, { header: { typ: 'jwt' } })
    await expect(verifier().verify(without, '/cds-services/')).resolves.toBeTruthy()
    const v = verifier({ publicUrl: `${PUBLIC_URL}/` })
    await expect(v.verify(await makeToken(es), '/cds-services')).resolves.toBeTruthy()
  })

  it('accepts an aud array that contains this endpoint', async () => {
    const token = await makeToken(es, {
      claims: { aud: ['https://other.example.org/cds-services', `${PUBLIC_URL}/cds-services`] },
    })
    await expect(verifier().verify(token, '/cds-services')).resolves.toBeTruthy()
  })

  it('accepts clock differences within the skew and the longest allowed lifetime', async () => {
    const v = verifier()
    const late = await makeToken(es, { iat: NOW - 330 }) // exp = NOW - 30
    await expect(v.verify(late, '/cds-services')).resolves.toBeTruthy()
    const early = await makeToken(es, { iat: NOW + 30 })
    await expect(v.verify(early, '/cds-services')).resolves.toBeTruthy()
    const long = await makeToken(es, { claims: { exp: NOW + 360 } })
    await expect(v.verify(long, '/cds-services')).resolves.toBeTruthy()
  })
})

describe('createJwtVerifier: rejections', () => {
  const cases: [string, () => Promise<string>, AuthFailure][] = [
    ['malformed token', async () => 'not.a.jwt!', 'malformed_token'],
    ['two-part token', async () => 'abc.def', 'malformed_token'],
    ['undecodable header', async () => 'e30x.e30.c2ln', 'malformed_token'],
    ['oversized token', async () => `${'a'.repeat(17_000)}.e30.c2ln`, 'token_too_large'],
    [
      'alg none without signature',
      async () => rawToken({ alg: 'none', typ: 'JWT', kid: 'es-1' }, claimsAt()),
      'malformed_token',
    ],
    [
      'alg none with a dummy signature',
      async () => rawToken({ alg: 'none', typ: 'JWT', kid: 'es-1' }, claimsAt(), 'c2ln'),
      'alg_not_allowed',
    ],
    [
      'HS256 signed with the public key bytes',
      async () => {
        const secret = new TextEncoder().encode(await exportSPKI(es.publicKey))
        return new SignJWT(claimsAt())
          .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: 'es-1' })
          .sign(secret)
      },
      'alg_not_allowed',
    ],
    [
      'algorithm not on the issuer list (ES256)',
      async () => makeToken(await makeKey('ES256', 'es-1')),
      'alg_not_allowed',
    ],
    ['missing typ', async () => makeToken(es, { header: { typ: undefined } }), 'bad_typ'],
    ['typ at+jwt', async () => makeToken(es, { header: { typ: 'at+jwt' } }), 'bad_typ'],
    ['missing kid', async () => makeToken(es, { header: { kid: undefined } }), 'missing_kid'],
    ['unknown kid', async () => makeToken(es, { header: { kid: 'nope' } }), 'unknown_kid'],
    [
      'embedded jwk header',
      async () => makeToken(es, { header: { jwk: es.jwk } }),
      'unsupported_header',
    ],
    [
      'untrusted iss',
      async () => makeToken(es, { claims: { iss: 'https://evil.example.org' } }),
      'untrusted_iss',
    ],
    ['missing iss', async () => makeToken(es, { omit: ['iss'] }), 'untrusted_iss'],
    [
      'foreign jku',
      async () => makeToken(es, { header: { jku: 'https://evil.example.org/jwks.json' } }),
      'jku_not_allowed',
    ],
    [
      'wrong aud (another host)',
      async () => makeToken(es, { claims: { aud: 'https://evil.example.org/cds-services' } }),
      'bad_aud',
    ],
    [
      "another service's aud",
      async () => makeToken(es, { path: '/cds-services/other-service' }),
      'bad_aud',
    ],
    [
      'aud of the feedback endpoint on the service endpoint',
      async () => makeToken(es, { path: '/cds-services/feedback' }),
      'bad_aud',
    ],
    ['aud prefix only', async () => makeToken(es, { path: '' }), 'bad_aud'],
    ['missing aud', async () => makeToken(es, { omit: ['aud'] }), 'bad_aud'],
    ['expired', async () => makeToken(es, { iat: NOW - 400 }), 'expired'],
    ['missing exp', async () => makeToken(es, { omit: ['exp'] }), 'missing_exp'],
    ['iat in the future', async () => makeToken(es, { iat: NOW + 61 }), 'iat_in_future'],
    ['missing iat', async () => makeToken(es, { omit: ['iat'] }), 'missing_iat'],
    [
      'nbf in the future',
      async () => makeToken(es, { claims: { nbf: NOW + 120 } }),
      'nbf_in_future',
    ],
    [
      'lifetime too long',
      async () => makeToken(es, { claims: { exp: NOW + 361 } }),
      'lifetime_too_long',
    ],
    ['missing jti', async () => makeToken(es, { omit: ['jti'] }), 'missing_jti'],
    ['empty jti', async () => makeToken(es, { claims: { jti: '' } }), 'missing_jti'],
    ['signed by another key with the same kid', async () => makeToken(stranger), 'bad_signature'],
    [
      'tampered payload',
      async () => {
        const [header, , signature] = (await makeToken(es)).split('.')
        const forged = rawToken({}, { ...claimsAt(), jti: 'forged' }).split('.')[1]
        return `${header}.${forged}.${signature}`
      },
      'bad_signature',
    ],
  ]

  it.each(cases)('rejects %s', async (_name, make, reason) => {
    expect(await reasonOf(verifier().verify(await make(), '/cds-services'))).toBe(reason)
  })

  it('rejects a replayed jti, scoped per issuer', async () => {
    const v = verifier()
    const token = await makeToken(es)
    await v.verify(token, '/cds-services')
    expect(await reasonOf(v.verify(token, '/cds-services'))).toBe('replayed_jti')
  })

  it('refuses the token when the replay store cannot answer (fail closed)', async () => {
    const replayStore: ReplayStore = {
      checkAndRemember: () => Promise.reject(new Error('connection refused')),
    }
    const token = await makeToken(es)
    expect(await reasonOf(verifier({ replayStore }).verify(token, '/cds-services'))).toBe(
      'replay_store_unavailable'
    )
  })

  it('remembers the jti until exp + skew', async () => {
    const seen: [string, number][] = []
    const replayStore: ReplayStore = {
      checkAndRemember: async (jti, expiresAtMs) => (seen.push([jti, expiresAtMs]), true),
    }
    await verifier({ replayStore }).verify(
      await makeToken(es, { claims: { jti: 'j' } }),
      '/cds-services'
    )
    expect(seen).toEqual([[JSON.stringify([ISS, 'j']), (NOW + 300 + 60) * 1000]])
  })

  it('verifies the signature before recording the jti (forgeries cannot burn ids)', async () => {
    const v = verifier()
    const forged = await makeToken(stranger, { claims: { jti: 'victim' } })
    expect(await reasonOf(v.verify(forged, '/cds-services'))).toBe('bad_signature')
    const genuine = await makeToken(es, { claims: { jti: 'victim' } })
    await expect(v.verify(genuine, '/cds-services')).resolves.toMatchObject({ jti: 'victim' })
  })

  it('checks the tenant against the issuer list when one is given', async () => {
    const v = verifier({ trust: pinnedTrust({ tenants: ['t1', 't2'] }) })
    expect(await reasonOf(v.verify(await makeToken(es), '/cds-services'))).toBe(
      'tenant_not_allowed'
    )
    const wrong = await makeToken(es, { claims: { tenant: 't3' } })
    expect(await reasonOf(v.verify(wrong, '/cds-services'))).toBe('tenant_not_allowed')
    const notString = await makeToken(es, { claims: { tenant: ['t1'] } })
    expect(await reasonOf(v.verify(notString, '/cds-services'))).toBe('tenant_not_allowed')
    const right = await makeToken(es, { claims: { tenant: 't2' } })
    await expect(v.verify(right, '/cds-services')).resolves.toMatchObject({ tenant: 't2' })
  })

  it('passes a tenant through when the issuer has no tenant list', async () => {
    const token = await makeToken(es, { claims: { tenant: 'any' } })
    await expect(verifier().verify(token, '/cds-services')).resolves.toMatchObject({
      tenant: 'any',
    })
  })

  it('uses the configured clock skew and max lifetime', async () => {
    const v = verifier({ clockSkewSeconds: 0, maxLifetimeSeconds: 60 })
    expect(await reasonOf(v.verify(await makeToken(es), '/cds-services'))).toBe('lifetime_too_long')
    const late = await makeToken(es, { iat: NOW - 30, claims: { exp: NOW } })
    expect(await reasonOf(v.verify(late, '/cds-services'))).toBe('expired')
  })

  it('takes the max lifetime and clock skew from the trust entry of the issuer', async () => {
    // Today's defaults: 300 s of lifetime, 60 s of skew.
    const hour = await makeToken(es, { iat: NOW, claims: { exp: NOW + 3600 } })
    expect(await reasonOf(verifier().verify(hour, '/cds-services'))).toBe('lifetime_too_long')
    const lenient = verifier({ trust: pinnedTrust({ maxTokenLifetimeSeconds: 3600 }) })
    await expect(lenient.verify(hour, '/cds-services')).resolves.toMatchObject({ iss: ISS })
    // 30 s behind our clock: inside the default skew, outside an issuer's 10 s.
    const ahead = await makeToken(es, { iat: NOW + 30, claims: { exp: NOW + 300 } })
    await expect(verifier().verify(ahead, '/cds-services')).resolves.toMatchObject({ iss: ISS })
    const strict = verifier({ trust: pinnedTrust({ clockSkewSeconds: 10 }) })
    const ahead2 = await makeToken(es, { iat: NOW + 30, claims: { exp: NOW + 300 } })
    expect(await reasonOf(strict.verify(ahead2, '/cds-services'))).toBe('iat_in_future')
  })

  it('records the unverified iss on the error for the log', async () => {
    const token = await makeToken(es, { claims: { iss: 'https://evil.example.org' } })
    const err = await verifier()
      .verify(token, '/cds-services')
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AuthError)
    expect((err as AuthError).iss).toBe('https://evil.example.org')
    expect((err as AuthError).message).not.toContain(token)
  })

  it('refuses a publicUrl that is not an absolute URL', () => {
    expect(() => verifier({ publicUrl: 'cds.example.org' })).toThrow(/publicUrl/)
  })
})

describe('createJwtVerifier: issuers with a JWKS URL', () => {
  function remote(host: ReturnType<typeof fakeJwksHost>, clock: { now: number }, extra = {}) {
    const { logger, lines } = captureLogger()
    const v = createJwtVerifier({
      trust: parseTrustConfig({ issuers: [{ iss: ISS, jwksUrl: JWKS_URL, ...extra }] }),
      publicUrl: PUBLIC_URL,
      replayStore: createMemoryReplayStore(),
      fetch: host.fetch,
      now: () => clock.now * 1000,
      jwksTimeoutMs: 100,
      logger,
    })
    return { v, lines }
  }
  const at = (key: TestKey, clock: { now: number }, options = {}) =>
    makeToken(key, { iat: clock.now, ...options })

  it('fetches keys once and caches them across requests', async () => {
    const host = fakeJwksHost({ keys: [es.jwk] })
    const clock = { now: NOW }
    const { v } = remote(host, clock)
    await Promise.all([
      v.verify(await at(es, clock), '/cds-services'),
      v.verify(await at(es, clock), '/cds-services'),
    ])
    clock.now += 300
    await v.verify(await at(es, clock), '/cds-services')
    expect(host.calls).toEqual([JWKS_URL])
  })

  it('accepts jku equal to the configured jwksUrl, and never fetches a jku from the token', async () => {
    const host = fakeJwksHost({ keys: [es.jwk] })
    const clock = { now: NOW }
    const { v } = remote(host, clock)
    await v.verify(await at(es, clock, { header: { jku: JWKS_URL } }), '/cds-services')
    const evil = await at(es, clock, { header: { jku: 'https://evil.example.org/jwks.json' } })
    expect(await reasonOf(v.verify(evil, '/cds-services'))).toBe('jku_not_allowed')
    expect(host.calls).toEqual([JWKS_URL])
  })

  it('picks up a rotated key after refetch, but refetches at most once per cooldown', async () => {
    const host = fakeJwksHost({ keys: [es.jwk] })
    const clock = { now: NOW }
    const { v } = remote(host, clock)
    await v.verify(await at(es, clock), '/cds-services')
    expect(host.calls).toHaveLength(1)

    const rotated = await makeKey('ES384', 'es-2')
    host.jwks = { keys: [es.jwk, rotated.jwk] }
    // Within the cooldown of the first fetch, an unknown kid does not fetch.
    clock.now += 30
    expect(await reasonOf(v.verify(await at(rotated, clock), '/cds-services'))).toBe('unknown_kid')
    expect(host.calls).toHaveLength(1)

    clock.now += 31
    await expect(v.verify(await at(rotated, clock), '/cds-services')).resolves.toBeTruthy()
    expect(host.calls).toHaveLength(2)

    // A second unknown kid right after: no new fetch.
    const unknown = await makeKey('ES384', 'es-3')
    expect(await reasonOf(v.verify(await at(unknown, clock), '/cds-services'))).toBe('unknown_kid')
    expect(host.calls).toHaveLength(2)
    // Both known keys still work meanwhile.
    await expect(v.verify(await at(es, clock), '/cds-services')).resolves.toBeTruthy()
    expect(host.calls).toHaveLength(2)
  })

  it('drops a key the issuer removed once the cache is refreshed', async () => {
    const host = fakeJwksHost({ keys: [es.jwk] })
    const clock = { now: NOW }
    const { v } = remote(host, clock)
    await v.verify(await at(es, clock), '/cds-services')
    const next = await makeKey('ES384', 'es-2')
    host.jwks = { keys: [next.jwk] }
    clock.now += 601 // past the 10 min max age
    expect(await reasonOf(v.verify(await at(es, clock), '/cds-services'))).toBe('unknown_kid')
    await expect(v.verify(await at(next, clock), '/cds-services')).resolves.toBeTruthy()
  })

  it.each(['throw', 503, 'hang'] as const)(
    'keeps the cached keys through an outage (%s)',
    async (mode) => {
      const host = fakeJwksHost({ keys: [es.jwk] })
      const clock = { now: NOW }
      const { v, lines } = remote(host, clock)
      await v.verify(await at(es, clock), '/cds-services')

      host.mode = mode
      clock.now += 700 // keys are stale: a refresh is attempted and fails
      await expect(v.verify(await at(es, clock), '/cds-services')).resolves.toBeTruthy()
      expect(host.calls).toHaveLength(2)
      expect(lines.some((l) => l.includes('auth.jwks_fetch_failed'))).toBe(true)
      expect(lines.some((l) => l.includes('"keptCachedKeys":true'))).toBe(true)

      // Still within the cooldown: neither a known nor an unknown kid fetches again.
      await expect(v.verify(await at(es, clock), '/cds-services')).resolves.toBeTruthy()
      const unknown = await makeKey('ES384', 'es-9')
      expect(await reasonOf(v.verify(await at(unknown, clock), '/cds-services'))).toBe(
        'unknown_kid'
      )
      expect(host.calls).toHaveLength(2)

      // Back up after the cooldown.
      host.mode = 'ok'
      clock.now += 61
      await v.verify(await at(es, clock), '/cds-services')
      expect(host.calls).toHaveLength(3)
    }
  )

  it('fails closed when the JWKS has never been reachable, without a fetch per request', async () => {
    const host = fakeJwksHost({ keys: [es.jwk] })
    host.mode = 'throw'
    const clock = { now: NOW }
    const { v } = remote(host, clock)
    expect(await reasonOf(v.verify(await at(es, clock), '/cds-services'))).toBe('jwks_unavailable')
    expect(await reasonOf(v.verify(await at(es, clock), '/cds-services'))).toBe('jwks_unavailable')
    expect(host.calls).toHaveLength(1)
  })

  it('does not follow redirects or accept documents that are not a JWKS', async () => {
    for (const reply of [
      new Response(null, { status: 302, headers: { location: 'https://evil.example.org/' } }),
      Response.json({ not: 'a jwks' }),
      Response.json({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'es-1' }] }),
      new Response('{ not json'),
    ]) {
      const seen: RequestInit[] = []
      const fetchStub = (async (_url: RequestInfo | URL, init?: RequestInit) => {
        seen.push(init ?? {})
        return reply
      }) as typeof fetch
      const v = createJwtVerifier({
        trust: parseTrustConfig({ issuers: [{ iss: ISS, jwksUrl: JWKS_URL }] }),
        publicUrl: PUBLIC_URL,
        replayStore: createMemoryReplayStore(),
        fetch: fetchStub,
        now: () => NOW * 1000,
      })
      expect(await reasonOf(v.verify(await makeToken(es), '/cds-services'))).toBe(
        'jwks_unavailable'
      )
      expect(seen[0]?.redirect).toBe('manual')
    }
  })

  it('ignores private members a JWKS host should not have served', async () => {
    const host = fakeJwksHost({ keys: [{ ...es.jwk, d: 'AAAA' }] })
    const clock = { now: NOW }
    const { v } = remote(host, clock)
    await expect(v.verify(await at(es, clock), '/cds-services')).resolves.toBeTruthy()
  })
})

describe('the CDS Hooks sandbox token shape against the dev trust file', () => {
  const SANDBOX_KID = '44823f3d-0b01-4a6c-a80e-b9d3e8a7226f'
  const SANDBOX_JKU = 'https://sandbox.cds-hooks.org/.well-known/jwks.json'
  const devTrust = () =>
    JSON.parse(
      readFileSync(new URL('../../config/trust.dev-sandbox.UNSAFE.json', import.meta.url), 'utf8')
    )
  let sandboxLike: TestKey

  beforeAll(async () => {
    sandboxLike = await makeKey('ES384', SANDBOX_KID)
  })

  // The sandbox's private key is not in this repo, so pin our own key under its kid in an
  // otherwise unchanged copy of the dev trust file.
  function devVerifier(pinOurKey: boolean) {
    const json = devTrust()
    if (pinOurKey) json.issuers[0].jwks.keys[0] = sandboxLike.jwk
    return createJwtVerifier({
      trust: parseTrustConfig(json),
      publicUrl: 'http://localhost:8787',
      replayStore: createMemoryReplayStore(),
      now: () => NOW * 1000,
      fetch: () => Promise.reject(new Error('must not fetch')),
    })
  }
  const sandboxToken = (key: TestKey, jku = SANDBOX_JKU) =>
    new SignJWT({
      iss: 'https://sandbox.cds-hooks.org',
      aud: 'http://localhost:8787/cds-services/imaging-followup',
      iat: NOW,
      exp: NOW + 300,
      jti: crypto.randomUUID(),
    })
      .setProtectedHeader({ alg: 'ES384', typ: 'JWT', kid: SANDBOX_KID, jku })
      .sign(key.privateKey)

  it('accepts the sandbox header (kid + configured jku) without fetching the jku', async () => {
    const caller = await devVerifier(true).verify(
      await sandboxToken(sandboxLike),
      '/cds-services/imaging-followup'
    )
    expect(caller).toMatchObject({ iss: 'https://sandbox.cds-hooks.org' })
    expect(caller.fhirAllowlist).toContainEqual(
      expect.objectContaining({ hostname: 'launch.smarthealthit.org', path: '' })
    )
  })

  it('checks the signature against the pinned sandbox key', async () => {
    expect(
      await reasonOf(
        devVerifier(false).verify(await sandboxToken(sandboxLike), '/cds-services/imaging-followup')
      )
    ).toBe('bad_signature')
  })

  it('refuses any other jku for the sandbox issuer', async () => {
    const token = await sandboxToken(sandboxLike, 'https://evil.example.org/.well-known/jwks.json')
    expect(await reasonOf(devVerifier(true).verify(token, '/cds-services/imaging-followup'))).toBe(
      'jku_not_allowed'
    )
  })

  it('refuses a jku for a pinned issuer that configured none', async () => {
    const token = await makeToken(es, { header: { jku: JWKS_URL } })
    expect(await reasonOf(verifier().verify(token, '/cds-services'))).toBe('jku_not_allowed')
  })
})

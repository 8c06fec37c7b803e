import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseTrustConfig } from './trust'

const key = {
  kty: 'EC',
  crv: 'P-384',
  kid: 'k1',
  x: 'dw_JGR8nB2I6XveNxUOl2qk699ZPLM2nYI5STSdiEl9avAkrm3CkfYMbrrjr8laB',
  y: 'Sm3mLE-n1zYNla_aiE3cb3nZsL51RbC7ysw3q8aJLxGm-hx79RPMYpITDjp7kgzy',
}
const issuer = (extra: Record<string, unknown> = {}) => ({
  iss: 'https://ehr.example.org',
  jwksUrl: 'https://ehr.example.org/jwks.json',
  ...extra,
})
const errorOf = (json: unknown): string => {
  try {
    parseTrustConfig(json)
  } catch (err) {
    return (err as Error).message
  }
  throw new Error('expected parseTrustConfig to throw')
}

describe('parseTrustConfig', () => {
  it('fills in default algorithms and fhirServers', () => {
    const config = parseTrustConfig({ issuers: [issuer()] })
    expect(config.issuers[0]).toEqual({
      iss: 'https://ehr.example.org',
      jwksUrl: 'https://ehr.example.org/jwks.json',
      algorithms: ['ES384', 'RS384'],
      fhirServers: [],
      fhirAllowlist: [],
    })
  })

  it('accepts pinned keys, tenants, fhirServers, jku and comment fields', () => {
    const config = parseTrustConfig({
      _warning: 'dev only',
      _note: 'n',
      issuers: [
        {
          _note: 'issuer note',
          iss: 'urn:example:ehr',
          jwks: { keys: [key] },
          jku: 'https://ehr.example.org/jwks.json',
          algorithms: ['ES384', 'EdDSA', 'PS256'],
          tenants: ['t1'],
          fhirServers: ['https://fhir.example.org/r4', 'http://localhost:*'],
        },
      ],
    })
    expect(config.issuers[0]?.tenants).toEqual(['t1'])
  })

  it.each([['none'], ['HS256'], ['HS384'], ['HS512'], ['RSA1_5'], ['es384']])(
    'rejects algorithm %s, naming its path',
    (alg) => {
      expect(errorOf({ issuers: [issuer({ algorithms: ['ES384', alg] })] })).toContain(
        `issuers[0].algorithms[1]: "${alg}" is not an accepted algorithm`
      )
    }
  )

  it('requires exactly one of jwksUrl and jwks', () => {
    expect(errorOf({ issuers: [{ iss: 'a' }] })).toContain('exactly one of jwksUrl')
    expect(errorOf({ issuers: [issuer({ jwks: { keys: [key] } })] })).toContain(
      'issuers[0].jwksUrl: give exactly one of jwksUrl'
    )
  })

  it('rejects duplicate issuers', () => {
    expect(errorOf({ issuers: [issuer(), issuer()] })).toContain(
      'issuers[1].iss: duplicate issuer "https://ehr.example.org"'
    )
  })

  it('rejects a JWKS URL over plain http except on loopback', () => {
    expect(errorOf({ issuers: [issuer({ jwksUrl: 'http://ehr.example.org/jwks' })] })).toContain(
      'issuers[0].jwksUrl: must use https'
    )
    expect(() =>
      parseTrustConfig({ issuers: [issuer({ jwksUrl: 'http://127.0.0.1:8080/jwks.json' })] })
    ).not.toThrow()
    expect(errorOf({ issuers: [issuer({ jwksUrl: 'jwks.json' })] })).toContain(
      'issuers[0].jwksUrl: must be an absolute'
    )
  })

  it('rejects fhirServers that are not absolute http(s) URLs', () => {
    const message = errorOf({
      issuers: [
        issuer({
          fhirServers: [
            'https://ok.example.org/r4',
            'fhir.example.org/r4',
            'ftp://fhir.example.org',
            'https://user:pw@fhir.example.org',
            'https://fhir.example.org/r4?_format=json',
            '*',
          ],
        }),
      ],
    })
    expect(message).not.toContain('fhirServers[0]')
    for (const index of [1, 2, 3, 4, 5])
      expect(message).toContain(`issuers[0].fhirServers[${index}]`)
  })

  it('rejects private, symmetric, kid-less or duplicate pinned keys', () => {
    const message = errorOf({
      issuers: [
        {
          iss: 'a',
          jwks: {
            keys: [
              { ...key, d: 'secret' },
              { kty: 'oct', kid: 's', k: 'c2VjcmV0' },
              { ...key, kid: undefined },
              { kty: 'RSA', kid: 'r', e: 'AQAB' },
            ],
          },
        },
        { iss: 'b', jwks: { keys: [key, { ...key }] } },
      ],
    })
    expect(message).toContain('issuers[0].jwks.keys[0].d: private key material')
    expect(message).toContain('issuers[0].jwks.keys[1].kty: kty must be EC, RSA or OKP')
    expect(message).toContain('issuers[0].jwks.keys[2].kid: every pinned key needs a kid')
    expect(message).toContain('issuers[0].jwks.keys[3].n: an RSA public key needs')
    expect(message).toContain('issuers[1].jwks.keys[1].kid: duplicate kid "k1"')
  })

  it('rejects unknown fields (typos must not be ignored) and empty files', () => {
    expect(errorOf({ issuers: [issuer({ jwks_uri: 'x' })] })).toContain(
      'issuers[0].jwks_uri: unknown field'
    )
    expect(errorOf({ issuers: [] })).toContain('issuers: trust at least one issuer')
    expect(errorOf(null)).toContain('(root)')
  })

  it('lists every problem in one Error', () => {
    const message = errorOf({
      issuers: [issuer({ algorithms: ['none'] }), issuer({ iss: '', fhirServers: ['x'] })],
    })
    expect(message.split('\n')[0]).toBe('Invalid trust config:')
    expect(message).toContain('issuers[0].algorithms[0]')
    expect(message).toContain('issuers[1].iss')
    expect(message).toContain('issuers[1].fhirServers[0]')
  })

  it('parses the development trust file, which warns it is unsafe', () => {
    const json = JSON.parse(
      readFileSync(new URL('../../config/trust.dev-sandbox.UNSAFE.json', import.meta.url), 'utf8')
    )
    const config = parseTrustConfig(json)
    expect(config._warning).toMatch(/UNSAFE FOR PRODUCTION/)
    expect(config.issuers).toHaveLength(1)
    expect(config.issuers[0]).toMatchObject({
      iss: 'https://sandbox.cds-hooks.org',
      jku: 'https://sandbox.cds-hooks.org/.well-known/jwks.json',
      algorithms: ['ES384'],
    })
    expect(config.issuers[0]?.jwks?.keys[0]?.kid).toBe('44823f3d-0b01-4a6c-a80e-b9d3e8a7226f')
  })

  it('requires https for fhirServers outside loopback, with a clear error, except in dev mode', () => {
    const file = {
      issuers: [
        issuer({
          fhirServers: [
            'https://fhir.example.org/r4',
            'http://localhost:*',
            'http://127.0.0.1:8080/fhir',
            'http://[::1]/fhir',
            'http://fhir.example.org/r4',
          ],
        }),
      ],
    }
    expect(errorOf(file)).toBe(
      'Invalid trust config:\n- issuers[0].fhirServers[4]: "http://fhir.example.org/r4" must use ' +
        'https (plain http is allowed for loopback hosts only, or with CDS_DEV_MODE=1)'
    )
    expect(parseTrustConfig(file, { devMode: true }).issuers[0]?.fhirServers).toHaveLength(5)
    const loopbackOnly = { issuers: [issuer({ fhirServers: ['http://localhost:*'] })] }
    expect(parseTrustConfig(loopbackOnly).issuers[0]?.fhirServers).toEqual(['http://localhost:*'])
  })

  it('takes a maximum token lifetime and clock skew per issuer, within sane bounds', () => {
    const config = parseTrustConfig({
      issuers: [issuer({ maxTokenLifetimeSeconds: 900, clockSkewSeconds: 5 })],
    })
    expect(config.issuers[0]).toMatchObject({ maxTokenLifetimeSeconds: 900, clockSkewSeconds: 5 })
    expect(errorOf({ issuers: [issuer({ maxTokenLifetimeSeconds: 86400 })] })).toContain(
      'issuers[0].maxTokenLifetimeSeconds: must be at most 3600 seconds'
    )
    expect(errorOf({ issuers: [issuer({ maxTokenLifetimeSeconds: '300' })] })).toContain(
      'issuers[0].maxTokenLifetimeSeconds: must be a number of seconds'
    )
    expect(errorOf({ issuers: [issuer({ clockSkewSeconds: -1 })] })).toContain(
      'issuers[0].clockSkewSeconds: must not be negative'
    )
  })
})

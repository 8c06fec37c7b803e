import { Hono } from 'hono'
import { beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../log'
import { CdsError, operationOutcome } from '../protocol/outcome'
import { cdsAuth, type AuthVariables } from './middleware'
import { createMemoryReplayStore } from './replay'
import {
  captureLogger,
  ISS,
  makeKey,
  makeToken,
  NOW,
  PUBLIC_URL,
  type TestKey,
} from '../../test/support/auth-keys'
import { parseTrustConfig } from './trust'
import { createJwtVerifier, type Caller, type JwtVerifier } from './verify'

let key: TestKey
let verifier: JwtVerifier

beforeAll(async () => {
  key = await makeKey('ES384', 'k1')
})

function makeVerifier(): JwtVerifier {
  return createJwtVerifier({
    trust: parseTrustConfig({
      issuers: [{ iss: ISS, jwks: { keys: [key.jwk] }, fhirServers: ['https://fhir.example.org'] }],
    }),
    publicUrl: PUBLIC_URL,
    replayStore: createMemoryReplayStore(),
    now: () => NOW * 1000,
  })
}

/** An app shaped like the service: error handler turning CdsErrors into OperationOutcomes. */
function makeApp(options: { verifier?: JwtVerifier; devMode?: boolean }) {
  const { logger, lines } = captureLogger()
  const app = new Hono<{ Variables: AuthVariables }>()
  app.onError((err, c) => {
    if (err instanceof CdsError) {
      return c.json(operationOutcome(err.message, err.code), err.status as 401)
    }
    return c.json(operationOutcome('Internal error', 'exception'), 500)
  })
  app.options('*', (c) => c.body(null, 204))
  app.use('*', cdsAuth({ verifier: options.verifier, devMode: options.devMode ?? false, logger }))
  app.get('/cds-services', (c) => {
    // Typed without a cast: the ContextVariableMap augmentation and AuthVariables agree.
    const caller: Caller = c.get('caller')
    return c.json(caller)
  })
  app.post('/cds-services/:id', (c) => c.json(c.var.caller))
  return { app, lines }
}

const call = (app: Hono<{ Variables: AuthVariables }>, path: string, init: RequestInit = {}) =>
  app.request(`http://internal:8080${path}`, init)
const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } })

describe('cdsAuth', () => {
  beforeAll(() => {
    verifier = makeVerifier()
  })

  it('sets the caller for a valid token', async () => {
    const { app, lines } = makeApp({ verifier: makeVerifier() })
    const res = await call(app, '/cds-services', bearer(await makeToken(key)))
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({
      iss: ISS,
      fhirAllowlist: [{ protocol: 'https:', hostname: 'fhir.example.org', port: '', path: '' }],
    })
    expect(lines).toEqual([])
  })

  it('checks aud against the public URL plus the request path', async () => {
    const { app } = makeApp({ verifier: makeVerifier() })
    const path = '/cds-services/imaging-followup'
    const ok = await call(app, path, { method: 'POST', ...bearer(await makeToken(key, { path })) })
    expect(ok.status).toBe(200)
    const other = await call(app, path, { method: 'POST', ...bearer(await makeToken(key)) })
    expect(other.status).toBe(401)
  })

  it('answers 401 with an OperationOutcome that gives no detail', async () => {
    const { app } = makeApp({ verifier })
    for (const init of [
      {},
      bearer(await makeToken(key, { iat: NOW - 3600 })),
      bearer('garbage'),
      { headers: { Authorization: 'Basic dXNlcjpwdw==' } },
    ]) {
      const res = await call(app, '/cds-services', init)
      expect(res.status).toBe(401)
      expect(await res.json()).toEqual({
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'login', diagnostics: 'Unauthorized' }],
      })
    }
  })

  it('logs one auth.rejected line with reason, iss and path, never the token', async () => {
    const { app, lines } = makeApp({ verifier })
    const token = await makeToken(key, { path: '/cds-services/other' })
    const res = await call(app, '/cds-services', bearer(token))
    expect(res.status).toBe(401)
    expect(lines).toHaveLength(1)
    const line = JSON.parse(lines[0] as string)
    expect(line).toMatchObject({
      level: 'warn',
      event: 'auth.rejected',
      reason: 'bad_aud',
      iss: ISS,
      path: '/cds-services',
    })
    for (const part of token.split('.')) expect(lines[0]).not.toContain(part)
  })

  it('does not log a token that fails to parse either', async () => {
    const { app, lines } = makeApp({ verifier })
    const secretish = 'eyJhbGciOiJFUzM4NCJ9.c2VjcmV0LXBheWxvYWQ.c2lnbmF0dXJl'
    await call(app, '/cds-services', bearer(`${secretish}x!`))
    await call(app, '/cds-services', bearer(secretish))
    expect(lines).toHaveLength(2)
    for (const line of lines) expect(line).not.toContain('c2VjcmV0')
    expect(lines.map((l) => JSON.parse(l).reason)).toEqual([
      'malformed_authorization',
      'malformed_token',
    ])
  })

  it('rejects a missing token outside dev mode', async () => {
    const { app, lines } = makeApp({ verifier })
    expect((await call(app, '/cds-services')).status).toBe(401)
    expect(JSON.parse(lines[0] as string)).toMatchObject({ reason: 'missing_token' })
  })

  it('lets CORS preflights through without a token', async () => {
    const { app, lines } = makeApp({ verifier })
    const res = await call(app, '/cds-services/x', {
      method: 'OPTIONS',
      headers: { Origin: 'https://sandbox.cds-hooks.org', 'Access-Control-Request-Method': 'POST' },
    })
    expect(res.status).toBe(204)
    expect(lines).toEqual([])
  })

  it('turns unexpected verifier failures into a 401 too', async () => {
    const broken: JwtVerifier = {
      verify: () => Promise.reject(new RangeError('store down')),
      keysReady: async () => true,
    }
    const { app, lines } = makeApp({ verifier: broken })
    const res = await call(app, '/cds-services', bearer(await makeToken(key)))
    expect(res.status).toBe(401)
    expect(lines.map((l) => JSON.parse(l).event)).toEqual(['auth.verifier_failed', 'auth.rejected'])
    expect(lines.join('\n')).not.toContain('store down')
  })

  describe('dev mode', () => {
    it('accepts a request without Authorization as the dev caller', async () => {
      const { app } = makeApp({ verifier, devMode: true })
      const res = await call(app, '/cds-services')
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ iss: 'dev-mode', jti: '', fhirAllowlist: 'any' })
    })

    it('still verifies a token that is present', async () => {
      const { app } = makeApp({ verifier, devMode: true })
      const bad = await call(app, '/cds-services', bearer('garbage'))
      expect(bad.status).toBe(401)
      const good = await call(app, '/cds-services', bearer(await makeToken(key)))
      expect(await good.json()).toMatchObject({ iss: ISS })
    })

    it('without a verifier, accepts any bearer token as the dev caller', async () => {
      const { app } = makeApp({ devMode: true })
      const res = await call(app, '/cds-services', bearer(await makeToken(key)))
      expect(await res.json()).toMatchObject({ iss: 'dev-mode' })
    })
  })

  it('refuses to be built without a verifier outside dev mode', () => {
    expect(() => cdsAuth({ verifier: undefined, devMode: false, logger: silentLogger })).toThrow(
      /verifier/
    )
  })
})

/**
 * @module test/support/harness
 * Builds the app as a deployment would (JWT trust with a test issuer, an allowlisted FHIR
 * server) and calls it in-process with signed tokens. Every response is checked by the response
 * validator before a test sees it.
 */
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose'
import { createApp, type AppDeps } from '../../src/app'
import { parseConfig, type AppConfig } from '../../src/config'
import { createLogger, type Logger } from '../../src/log'
import { createMemoryFeedbackSink } from '../../src/feedback'
import { expectValidResponse } from './validate-responses'

export const PUBLIC_URL = 'https://cds.test'
export const FHIR_BASE = 'https://fhir.test/r4'
export const ISSUER = 'https://ehr.test'
export const ACCESS_TOKEN = 'secret-access-token-7f3a'

/** The fhirAuthorization an EHR sends with a hook call (CDS Hooks 2.0 §2.3). */
export const fhirAuthorization = (accessToken = ACCESS_TOKEN) => ({
  access_token: accessToken,
  token_type: 'Bearer',
  expires_in: 300,
  scope: 'patient/*.read',
  subject: 'imaging-cds',
})

export interface Harness {
  config: AppConfig
  app: ReturnType<typeof createApp>
  logs: string[]
  /**
   * Registers cards as issued to the test issuer, as a hook call would, so feedback about them
   * is accepted (feedback is taken only for cards issued to its sender).
   */
  issueCards(uuids: string[], service?: string): Promise<void>
  /** Signs a token for `path` (the audience), as the trusted EHR would. */
  token(path: string, claims?: Record<string, unknown>): Promise<string>
  /** GET or POST with a fresh signed token; validates the response by kind. */
  call(
    path: string,
    body?: unknown,
    init?: { headers?: Record<string, string>; raw?: string }
  ): Promise<Response>
}

let keys: Promise<{ privateKey: CryptoKey; jwk: Record<string, unknown> }> | undefined
function testKeys() {
  keys ??= generateKeyPair('ES384').then(async ({ privateKey, publicKey }) => ({
    privateKey,
    jwk: { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'ES384', use: 'sig' },
  }))
  return keys
}

export async function createHarness(
  env: Record<string, string> = {},
  deps: AppDeps = {},
  fhirServers: string[] = [FHIR_BASE]
): Promise<Harness> {
  const { privateKey, jwk } = await testKeys()
  const trust = { issuers: [{ iss: ISSUER, jwks: { keys: [jwk] }, fhirServers }] }
  const config = parseConfig({
    CDS_PUBLIC_URL: PUBLIC_URL,
    CDS_TRUST: JSON.stringify(trust),
    CDS_CORS_ORIGINS: 'https://ehr.test',
    OHIF_VIEWER_URL: 'https://viewer.test',
    // Generous, so no test depends on how busy the machine is; budget tests set their own.
    CDS_HOOK_BUDGET_MS: '10000',
    ...env,
  })
  const logs: string[] = []
  const logger: Logger = createLogger({ level: 'debug', write: (line) => logs.push(line) })
  const feedbackSink = deps.feedbackSink ?? createMemoryFeedbackSink(logger)
  const app = createApp(config, {
    logger,
    now: () => new Date('2026-11-29T12:00:00Z'),
    feedbackSink,
    ...deps,
  })
  const token = (path: string, claims: Record<string, unknown> = {}) =>
    new SignJWT({ jti: crypto.randomUUID(), ...claims })
      .setProtectedHeader({ alg: 'ES384', typ: 'JWT', kid: 'test-key' })
      .setIssuer(ISSUER)
      .setAudience(`${PUBLIC_URL}${path}`)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey)
  return {
    config,
    app,
    logs,
    token,
    async issueCards(uuids, service = 'imaging-ai-findings') {
      await feedbackSink.cardsIssued(
        service,
        { iss: ISSUER },
        uuids.map((uuid) => ({
          uuid,
          findingKind: 'pulmonary-nodule',
          observationRef: `Observation/${uuid}`,
        }))
      )
    },
    async call(path, body, init = {}) {
      const headers: Record<string, string> = {
        authorization: `Bearer ${await token(path)}`,
        ...(body !== undefined || init.raw !== undefined
          ? { 'content-type': 'application/json' }
          : {}),
        ...init.headers,
      }
      const res = await app.request(`http://localhost${path}`, {
        method: body !== undefined || init.raw !== undefined ? 'POST' : 'GET',
        headers,
        ...(init.raw !== undefined
          ? { body: init.raw }
          : body !== undefined
            ? { body: JSON.stringify(body) }
            : {}),
      })
      const kind =
        path === '/cds-services' ? 'discovery' : path.endsWith('/feedback') ? 'feedback' : 'service'
      await expectValidResponse(res, kind)
      return res
    },
  }
}

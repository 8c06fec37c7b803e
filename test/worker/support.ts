/**
 * @module test/worker/support
 * Runs the bundled Worker in workerd through Miniflare, in several configurations at once (one
 * Miniflare worker each: its own isolate, bindings and secrets). Outgoing fetches from the Worker
 * go to {@link outbound}, which plays the FHIR server (fixture data) and a remote JWKS host and
 * records what it was asked. Tokens are signed here (ES384) for the trust file passed to the
 * Worker as its `CDS_TRUST` secret.
 */
import { dirname } from 'node:path'
import { Miniflare, Response as MfResponse, type WorkerOptions } from 'miniflare'
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose'
import { inject } from 'vitest'
import { loadFixtureResources } from '../../fixtures'
import { expectValidResponse, type ResponseKind } from '../support/validate-responses'
import { createFhirStore } from './fhir-mock'

export const PUBLIC_URL = 'https://cds.test'
export const FHIR_BASE = 'https://fhir.test/r4'
export const ISSUER = 'https://ehr.test'
export const REMOTE_ISSUER = 'https://remote-ehr.test'
export const REMOTE_JWKS_URL = `${REMOTE_ISSUER}/.well-known/jwks.json`
export const ACCESS_TOKEN = 'fhir-access-token-3b9e51'
export const SCENARIO = 'screening-4a'

/** The Worker configurations under test; each name is one Miniflare worker. */
export type WorkerName =
  | 'cds' // production-like: Durable Object replay guard, feedback in KV
  | 'cds-twin' // same config, another isolate, sharing the Durable Object namespace of 'cds'
  | 'cds-kv' // replay guard in KV
  | 'cds-kv-twin' // another isolate sharing that KV namespace
  | 'cds-memory' // no bindings: memory replay and feedback; body limit 2048 bytes
  | 'cds-memory-twin'
  | 'cds-dev' // CDS_DEV_MODE=1, no trust file, no public URL
  | 'cds-bad-trust' // CDS_TRUST is not JSON
  | 'cds-no-url' // trust but no CDS_PUBLIC_URL

export interface SeenRequest {
  url: string
  authorization: string | null
}

export interface WorkerHarness {
  mf: Miniflare
  /** Outgoing requests the Worker made, in order (FHIR and JWKS). */
  seen: SeenRequest[]
  /** Every console line the Workers wrote. */
  logs: string[]
  /** Signs a token for `path` as the trusted EHR (or the remote-JWKS issuer). */
  token(
    path: string,
    options?: { issuer?: 'pinned' | 'remote' | 'stranger'; claims?: object }
  ): Promise<string>
  /** A KV namespace binding of a worker, to look at what it stored. */
  kv(binding: string, worker: WorkerName): Promise<TestKv>
  /** Calls a Worker; a fresh token unless `token` is given (null: none). Validates the response. */
  call(worker: WorkerName, path: string, options?: CallOptions): Promise<Response>
}

/** The KV calls the tests make (Miniflare types KV with workers-types, not installed here). */
export interface TestKv {
  list(options: { prefix: string }): Promise<{ keys: { name: string; expiration?: number }[] }>
  get(key: string, type: 'json'): Promise<unknown>
}

export interface CallOptions {
  body?: unknown
  raw?: string
  token?: string | null
  headers?: Record<string, string>
  method?: string
  /** false: skip the CDS response validation (preflight, health check). */
  validate?: boolean
}

async function keyPair(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('ES384')
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES384', use: 'sig' }
  return { privateKey, jwk }
}

export async function startWorkers(): Promise<WorkerHarness> {
  const [pinned, remote, stranger] = await Promise.all([
    keyPair('pinned-key'),
    keyPair('remote-key'),
    keyPair('pinned-key'), // same kid, other key: a forged token
  ])
  const trust = JSON.stringify({
    issuers: [
      {
        iss: ISSUER,
        jwks: { keys: [pinned.jwk] },
        algorithms: ['ES384'],
        fhirServers: [FHIR_BASE],
      },
      { iss: REMOTE_ISSUER, jwksUrl: REMOTE_JWKS_URL, fhirServers: [FHIR_BASE] },
    ],
  })
  const fhir = createFhirStore(loadFixtureResources(SCENARIO), FHIR_BASE)
  const seen: SeenRequest[] = []
  const logs: string[] = []

  async function outbound(request: Request): Promise<MfResponse> {
    seen.push({ url: request.url, authorization: request.headers.get('authorization') })
    if (request.url === REMOTE_JWKS_URL) {
      // Slow enough that concurrent first requests share one fetch across request contexts.
      await new Promise((resolve) => setTimeout(resolve, 50))
      return MfResponse.json({ keys: [remote.jwk] })
    }
    if (request.url.startsWith(`${FHIR_BASE}/`)) {
      if (request.headers.get('authorization') !== `Bearer ${ACCESS_TOKEN}`)
        return MfResponse.json({ resourceType: 'OperationOutcome' }, { status: 401 })
      const { status, body } = fhir.get(request.url)
      return MfResponse.json(body, {
        status,
        headers: { 'content-type': 'application/fhir+json' },
      })
    }
    return new MfResponse('no such host in the test network', { status: 502 })
  }

  const bundle = inject('workerBundle')
  // Module names are relative to modulesRoot, which must contain the bundle.
  const script = { modules: true, scriptPath: bundle, modulesRoot: dirname(bundle) } as const
  const runtime = {
    compatibilityDate: inject('compatibilityDate'),
    compatibilityFlags: inject('compatibilityFlags'),
    outboundService: outbound as unknown as WorkerOptions['outboundService'],
  }
  const production = {
    CDS_PUBLIC_URL: PUBLIC_URL,
    CDS_TRUST: trust,
    CDS_CORS_ORIGINS: 'https://ehr.test',
    OHIF_VIEWER_URL: 'https://viewer.test',
    CDS_LOG_LEVEL: 'debug',
  }
  // Each worker answers its own host name, so dispatchFetch (which, unlike getWorker().fetch,
  // lets an Origin header through for CORS) can reach any of them.
  const worker = (name: WorkerName, options: Partial<WorkerOptions>): WorkerOptions =>
    ({
      name,
      routes: [`${name}.workers.test/*`],
      ...script,
      ...runtime,
      ...options,
    }) as WorkerOptions
  const twins = (name: WorkerName, twin: WorkerName, options: Partial<WorkerOptions>) => [
    worker(name, options),
    worker(twin, options),
  ]

  const mf = new Miniflare({
    cf: false,
    handleStructuredLogs: ({ message }: { message: string }) => {
      logs.push(message)
      // Our own lines are JSON; anything else is workerd telling why something broke.
      if (!message.startsWith('{')) process.stderr.write(`workerd: ${message}\n`)
    },
    workers: [
      worker('cds', {
        // A number and a JSON object as [vars] give them: the entry turns them into text.
        bindings: {
          ...production,
          CDS_HOOK_BUDGET_MS: 3000,
          OHIF_DATA_SOURCES: { 'http://127.0.0.1:8042/dicom-web': 'orthanc' },
        },
        durableObjects: { CDS_JTI_DO: 'JtiReplayGuard' },
        kvNamespaces: { CDS_FEEDBACK_KV: 'feedback' },
      }),
      worker('cds-twin', {
        bindings: production,
        durableObjects: { CDS_JTI_DO: { className: 'JtiReplayGuard', scriptName: 'cds' } },
      }),
      ...twins('cds-kv', 'cds-kv-twin', {
        bindings: production,
        kvNamespaces: { CDS_JTI_KV: 'jti' },
      }),
      ...twins('cds-memory', 'cds-memory-twin', {
        bindings: { ...production, CDS_BODY_LIMIT_BYTES: '2048' },
      }),
      worker('cds-dev', { bindings: { CDS_DEV_MODE: '1', CDS_PUBLIC_URL: '' } }),
      worker('cds-bad-trust', { bindings: { ...production, CDS_TRUST: '{"issuers": [' } }),
      worker('cds-no-url', { bindings: { ...production, CDS_PUBLIC_URL: '' } }),
    ],
  })
  await mf.ready

  const token: WorkerHarness['token'] = (path, options = {}) => {
    const issuer = options.issuer ?? 'pinned'
    const key = issuer === 'remote' ? remote : issuer === 'stranger' ? stranger : pinned
    return new SignJWT({ jti: crypto.randomUUID(), ...options.claims })
      .setProtectedHeader({ alg: 'ES384', typ: 'JWT', kid: key.jwk.kid! })
      .setIssuer(issuer === 'remote' ? REMOTE_ISSUER : ISSUER)
      .setAudience(`${PUBLIC_URL}${path}`)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key.privateKey as CryptoKey)
  }

  const call: WorkerHarness['call'] = async (name, path, options = {}) => {
    const bearer = options.token === undefined ? await token(path) : options.token
    const hasBody = options.body !== undefined || options.raw !== undefined
    const res = (await mf.dispatchFetch(`https://${name}.workers.test${path}`, {
      method: options.method ?? (hasBody ? 'POST' : 'GET'),
      headers: {
        ...(bearer !== null ? { authorization: `Bearer ${bearer}` } : {}),
        ...(hasBody ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      ...(options.raw !== undefined
        ? { body: options.raw }
        : options.body !== undefined
          ? { body: JSON.stringify(options.body) }
          : {}),
    })) as unknown as Response
    if (options.validate !== false) await expectValidResponse(res, kindOf(path))
    return res
  }

  const kv: WorkerHarness['kv'] = async (binding, name) =>
    (await mf.getKVNamespace(binding, name)) as unknown as TestKv

  return { mf, seen, logs, token, kv, call }
}

function kindOf(path: string): ResponseKind {
  if (path === '/cds-services') return 'discovery'
  return path.endsWith('/feedback') ? 'feedback' : 'service'
}

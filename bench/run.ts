/**
 * @module bench
 * `npm run bench`: hook latency and throughput against a bare Hono route on the same server
 * stack, reported as ratios (absolute numbers depend on the machine; ratios travel). Runs with
 * real JWT verification (a fresh signed token per request, signed before the run) and the
 * screening fixture: once answered from prefetch, once fetching everything from an in-process
 * FHIR server.
 */
import autocannon from 'autocannon'
import { Hono } from 'hono'
import { serve } from '@hono/node-server'
import { exportJWK, generateKeyPair } from 'jose'
import { parseConfig } from '../src/config'
import { startServer } from '../src/node'
import { createLogger } from '../src/log'
import { signCdsJwt } from '../scripts/lib/sign'
import { startFhirServer } from '../demo/fhir-server'
import { loadFixtureResources, imagingStudyCompleteRequest } from '../fixtures'
import type { Bundle, FhirResource } from 'fhir/r4'

const seconds = Number(process.env.BENCH_SECONDS ?? 5)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10)

async function measure(
  name: string,
  url: string,
  opts: { method?: 'GET' | 'POST'; body?: string; tokens?: string[] }
) {
  let i = 0
  const result = await autocannon({
    url,
    duration: seconds,
    connections,
    requests: [
      {
        method: opts.method ?? 'GET',
        ...(opts.body ? { body: opts.body, headers: { 'content-type': 'application/json' } } : {}),
        setupRequest: (req) => {
          if (!opts.tokens) return req
          const token = opts.tokens[i++ % opts.tokens.length]
          return {
            ...req,
            headers: { ...req.headers, authorization: `Bearer ${token}` },
          }
        },
      },
    ],
  })
  const non2xx = result.non2xx + result.errors
  return {
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx,
  }
}

async function main() {
  // Baseline: a bare Hono route on @hono/node-server, the same stack the service runs on.
  const bare = new Hono().get('/', (c) => c.json({ cards: [] }))
  const bareServer = serve({ fetch: bare.fetch, port: 0, hostname: '127.0.0.1' })
  await new Promise((r) => bareServer.once('listening', r))
  const bareUrl = `http://127.0.0.1:${(bareServer.address() as { port: number }).port}/`

  const fhir = await startFhirServer({ resources: loadFixtureResources() })
  const { privateKey, publicKey } = await generateKeyPair('ES384')
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES384' }
  const trust = {
    issuers: [{ iss: 'https://bench.test', jwks: { keys: [jwk] }, fhirServers: [fhir.url] }],
  }
  const port = 18000 + Math.floor(Math.random() * 1000)
  const publicUrl = `http://127.0.0.1:${port}`
  const config = parseConfig({
    PORT: String(port),
    CDS_PUBLIC_URL: publicUrl,
    CDS_TRUST: JSON.stringify(trust),
    OHIF_VIEWER_URL: 'https://viewer.example.org',
    CDS_LOG_LEVEL: 'error',
  })
  const service = await startServer(config, { logger: createLogger({ level: 'error' }) })
  const path = '/cds-services/imaging-ai-findings'
  // Every request needs its own jti (replays are refused), so tokens are signed before each run.
  const tokensFor = (aud: string) =>
    Promise.all(
      Array.from({ length: seconds * 4000 }, () =>
        signCdsJwt({
          privateKey,
          kid: 'bench',
          iss: 'https://bench.test',
          aud: `${publicUrl}${aud}`,
        })
      )
    )
  const base = imagingStudyCompleteRequest('screening-4a')
  const resources = loadFixtureResources('screening-4a')
  const byType = (type: string): Bundle => ({
    resourceType: 'Bundle',
    type: 'searchset',
    entry: resources
      .filter((r) => r.resourceType === type)
      .map((resource) => ({ resource: resource as FhirResource })),
  })
  const prefetch = {
    patient: resources.find((r) => r.resourceType === 'Patient'),
    study: resources.find((r) => r.resourceType === 'ImagingStudy'),
    reports: byType('DiagnosticReport'),
    findings: byType('Observation'),
    smoking: { resourceType: 'Bundle', type: 'searchset', entry: [] },
    orders: byType('ServiceRequest'),
  }
  const fhirAuthorization = {
    access_token: 'bench-token',
    token_type: 'Bearer',
    expires_in: 300,
    scope: 'patient/*.read',
    subject: 'imaging-cds',
  }
  const withPrefetch = JSON.stringify({
    ...base,
    fhirServer: fhir.url,
    fhirAuthorization,
    prefetch,
  })
  const fetching = JSON.stringify({ ...base, fhirServer: fhir.url, fhirAuthorization })

  const rows = [
    await measure('bare Hono route', bareUrl, {}),
    await measure('discovery (JWT verified)', `${service.url}/cds-services`, {
      tokens: await tokensFor('/cds-services'),
    }),
    await measure('imaging-study-complete, prefetch', `${service.url}${path}`, {
      method: 'POST',
      body: withPrefetch,
      tokens: await tokensFor(path),
    }),
    await measure('imaging-study-complete, FHIR fetch', `${service.url}${path}`, {
      method: 'POST',
      body: fetching,
      tokens: await tokensFor(path),
    }),
  ]
  const baseline = rows[0]!
  console.log(`\n${seconds}s per run, ${connections} connections\n`)
  console.log('| run | req/s | p50 ms | p99 ms | throughput vs bare | non-2xx |')
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |')
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${(r.rps / baseline.rps).toFixed(3)} | ${r.non2xx} |`
    )
  }
  await service.close()
  await fhir.close()
  bareServer.close()
  process.exit(0)
}

void main()

/**
 * More than one instance, as operators run them: two `node dist/node.js` processes sharing one
 * Redis replay store (a token used on A is refused on B), what happens while Redis is unreachable
 * (fail closed by default, open when configured; hooks keep answering either way), /readyz, and
 * /metrics on its own port and behind a token.
 * Needs Redis (CDS_TEST_REDIS_URL; .ci/run starts one).
 */
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  listening,
  runService,
  serverUrl,
  stopService,
  testClient,
  type ServiceProcess,
} from './support/service-process'

const PUBLIC_URL = 'https://cds.instances.test'
const HOOK = '/cds-services/imaging-ai-findings'
const body = readFileSync('fixtures/requests/imaging-study-complete-prefetch.json', 'utf8')
const client = testClient()
const redisUrl = serverUrl('CDS_TEST_REDIS_URL')

const baseEnv = (extra: Record<string, string> = {}) => ({
  PORT: '0',
  CDS_PUBLIC_URL: PUBLIC_URL,
  CDS_TRUST: client.trust(),
  CDS_FEEDBACK_DB: ':memory:',
  ...extra,
})

const post = (url: string, token: string) =>
  fetch(`${url}${HOOK}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body,
  })

/** A loopback port with nothing listening (Redis "down"). */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await new Promise((r) => server.once('listening', r))
  const { port } = server.address() as { port: number }
  await new Promise((r) => server.close(r))
  return port
}

const started: ServiceProcess[] = []
async function start(env: Record<string, string>) {
  const proc = runService(env)
  started.push(proc)
  return { proc, url: await listening(proc) }
}
afterAll(async () => {
  await Promise.all(started.map((proc) => stopService(proc)))
})

describe.skipIf(!redisUrl)('two instances sharing a Redis replay store', () => {
  let a: string
  let b: string
  let metricsA: string
  beforeAll(async () => {
    const env = baseEnv({
      CDS_REPLAY_STORE: redisUrl!,
      CDS_METRICS_PORT: '0',
    })
    const [first, second] = await Promise.all([start(env), start(env)])
    a = first.url
    b = second.url
    metricsA = first.proc.output().match(/"event":"startup.metrics","url":"([^"]+)"/)![1]!
    expect(first.proc.output()).toContain('"store":"redis"')
    expect(first.proc.output()).toContain('closed: while Redis is unreachable')
    expect(first.proc.output()).not.toMatch(/redis:\/\/[^"]*:[^"@]*@/) // no password in logs
  })

  it('refuses on B a token already used on A, and the reverse', async () => {
    const token = client.token(PUBLIC_URL, HOOK)
    expect((await post(a, token)).status).toBe(200)
    const replayed = await post(b, token)
    expect(replayed.status).toBe(401)
    expect(await replayed.text()).not.toContain('replay') // 401 without detail
    const other = client.token(PUBLIC_URL, HOOK)
    expect((await post(b, other)).status).toBe(200)
    expect((await post(a, other)).status).toBe(401)
  })

  it('says both are ready, Redis included', async () => {
    for (const url of [a, b]) {
      const res = await fetch(`${url}/readyz`)
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({
        status: 'ready',
        checks: { trustKeys: 'ok', redis: 'ok' },
      })
    }
  })

  it('counts requests, cards and rejections in Prometheus format on its own port only', async () => {
    const res = await fetch(metricsA)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/plain')
    const text = await res.text()
    expect(text).toMatch(
      /cds_http_requests_total\{endpoint="service",service="imaging-ai-findings",hook="[a-z.-]*imaging-study-complete",status="200"\} [1-9]/
    )
    expect(text).toMatch(/cds_http_request_duration_seconds_bucket\{le="0.005",endpoint="service"/)
    expect(text).toMatch(
      /cds_cards_total\{service="imaging-ai-findings",indicator="warning",finding_kind="pulmonary-nodule"\} [1-9]/
    )
    expect(text).toMatch(/cds_auth_rejections_total\{reason="replayed_jti"\} 1/)
    expect(text).toContain('cds_process_resident_memory_bytes')
    // Not on the service's port.
    expect((await fetch(`${a}/metrics`)).status).toBe(404)
  })
})

describe.skipIf(!redisUrl)('while Redis is unreachable', () => {
  it('fails closed by default: 401 at once, the log says why, /readyz is 503', async () => {
    const { proc, url } = await start(
      baseEnv({ CDS_REPLAY_STORE: `redis://127.0.0.1:${await closedPort()}` })
    )
    const res = await post(url, client.token(PUBLIC_URL, HOOK))
    expect(res.status).toBe(401)
    const ready = await fetch(`${url}/readyz`)
    expect(ready.status).toBe(503)
    expect(await ready.json()).toMatchObject({ checks: { redis: 'down', trustKeys: 'ok' } })
    expect(proc.output()).toContain('"reason":"replay_store_unavailable"')
    expect(proc.output()).toContain('replay.redis_unavailable')
    // Liveness does not depend on Redis: the process is fine, only replay checks are not.
    expect((await fetch(`${url}/healthz`)).status).toBe(200)
  })

  it('fails open when configured: cards keep coming, each unchecked call is logged', async () => {
    const { proc, url } = await start(
      baseEnv({
        CDS_REPLAY_STORE: `redis://127.0.0.1:${await closedPort()}`,
        CDS_REPLAY_STORE_FAILURE: 'open',
      })
    )
    expect(proc.output()).toContain('open: while Redis is unreachable')
    const res = await post(url, client.token(PUBLIC_URL, HOOK))
    expect(res.status).toBe(200)
    expect(((await res.json()) as { cards: unknown[] }).cards).toHaveLength(1)
    expect(proc.output()).toContain('auth.replay_unchecked')
    // Still taking traffic, and saying what is missing.
    const ready = await fetch(`${url}/readyz`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toMatchObject({ status: 'degraded', checks: { redis: 'down' } })
  })
})

describe('metrics behind a token on the service port', () => {
  let url: string
  const token = 'metrics-token-0123456789abcdef'
  beforeAll(async () => {
    ;({ url } = await start(baseEnv({ CDS_METRICS_TOKEN: token })))
  })

  it('serves /metrics only with the token', async () => {
    expect((await fetch(`${url}/metrics`)).status).toBe(401)
    const wrong = await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer nope' } })
    expect(wrong.status).toBe(401)
    const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('# TYPE cds_http_requests_total counter')
  })

  it('refuses a short token at start', async () => {
    const proc = runService(baseEnv({ CDS_METRICS_TOKEN: 'short' }))
    started.push(proc)
    await new Promise((r) => proc.child.once('exit', r))
    expect(proc.child.exitCode).toBe(1)
    expect(proc.output()).toContain('CDS_METRICS_TOKEN: must be at least 16 characters')
  })
})

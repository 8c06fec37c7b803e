/**
 * @module scripts/soak
 * `npm run soak -- --seconds N --rate R`: a long, steady, mixed load on the built service
 * (`node dist/node.js`, started here on loopback with a fresh key pair, trust file, SQLite
 * feedback store and metrics port; run `npm run build` first), then a summary: requests, errors,
 * 5xx, p50/p99 latency, the service's event-loop delay and memory at start and end.
 *
 * The mix, per second of load (open loop: requests go out at the rate whatever the answers do):
 * the three hooks with full prefetch and their own signed ES384 JWTs, discovery, feedback on the
 * cards just issued, and bad requests (no token, a replayed token, malformed JSON, a wrong hook,
 * an invalid context) that must be refused with the right 4xx.
 *
 * Bounded: loopback only, at most 3600 s and 2000 requests per second. Exits 1 when any answer was
 * not the expected one (a 5xx above all).
 *
 *   npm run soak -- --seconds 300 --rate 100
 *   CDS_FEEDBACK_DB=postgres://... CDS_REPLAY_STORE=redis://... npm run soak -- --seconds 300
 */
import { spawn } from 'node:child_process'
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs, promisify } from 'node:util'

const MAX_SECONDS = 3600
const MAX_RATE = 2000
const PUBLIC_URL = 'https://cds.soak.test'
const ISS = 'https://ehr.soak.test'

const signAsync = promisify(sign)
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

async function token(key: KeyObject, path: string, jti = randomUUID()): Promise<string> {
  const iat = Math.floor(Date.now() / 1000)
  const claims = { iss: ISS, aud: PUBLIC_URL + path, iat, exp: iat + 300, jti }
  const input = `${b64url({ alg: 'ES384', typ: 'JWT', kid: 'soak' })}.${b64url(claims)}`
  const signature = await signAsync('sha384', Buffer.from(input), {
    key,
    dsaEncoding: 'ieee-p1363',
  })
  return `${input}.${signature.toString('base64url')}`
}

interface Service {
  url: string
  metricsUrl: string
  stop(): Promise<void>
}

/** Starts `node dist/node.js` on loopback; resolves once it listens. */
async function startService(env: Record<string, string>): Promise<Service> {
  const child = spawn(process.execPath, ['--enable-source-maps', 'dist/node.js'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  child.stdout.on('data', (d: Buffer) => {
    // Keep the start-up lines; the request log (info, the default level) is read and dropped.
    if (out.length < 100_000) out += d
  })
  for (let i = 0; i < 400; i++) {
    const url = out.match(/"event":"startup.listening","url":"([^"]+)"/)?.[1]
    const metricsUrl = out.match(/"event":"startup.metrics","url":"([^"]+)"/)?.[1]
    if (url && metricsUrl) {
      return {
        url,
        metricsUrl,
        stop: () =>
          new Promise((resolve) => {
            child.once('exit', () => resolve())
            child.kill('SIGTERM')
          }),
      }
    }
    if (child.exitCode !== null) throw new Error(`the service exited: ${out}`)
    await new Promise((r) => setTimeout(r, 25))
  }
  child.kill('SIGKILL')
  throw new Error('the service did not start (run `npm run build` first?)')
}

/** The service's own memory and event-loop delay, from its Prometheus metrics. */
async function serviceStats(metricsUrl: string) {
  const text = await (await fetch(metricsUrl)).text()
  const value = (name: string) => Number(text.match(new RegExp(`^${name} (\\S+)$`, 'm'))?.[1])
  return {
    rssMb: value('cds_process_resident_memory_bytes') / 2 ** 20,
    heapMb: value('cds_nodejs_heap_size_used_bytes') / 2 ** 20,
    loopP50Ms: value('cds_nodejs_eventloop_lag_p50_seconds') * 1000,
    loopP99Ms: value('cds_nodejs_eventloop_lag_p99_seconds') * 1000,
  }
}

type Kind =
  | 'imaging'
  | 'order-select'
  | 'patient-view'
  | 'discovery'
  | 'feedback'
  | 'bad: no token'
  | 'bad: replayed token'
  | 'bad: malformed JSON'
  | 'bad: wrong hook'
  | 'bad: invalid context'

/** Out of 20 requests. */
const MIX: [Kind, number][] = [
  ['imaging', 6],
  ['order-select', 3],
  ['patient-view', 3],
  ['discovery', 1],
  ['feedback', 3],
  ['bad: no token', 1],
  ['bad: replayed token', 1],
  ['bad: malformed JSON', 1],
  ['bad: wrong hook', 0.5],
  ['bad: invalid context', 0.5],
]

const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '60' },
      rate: { type: 'string', default: '50' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    console.log('Usage: npm run soak -- [--seconds 60] [--rate 50]  (npm run build first)')
    return 0
  }
  const seconds = Number(values.seconds)
  const rate = Number(values.rate)
  if (!(seconds > 0 && seconds <= MAX_SECONDS) || !(rate > 0 && rate <= MAX_RATE)) {
    console.error(`--seconds must be 1..${MAX_SECONDS} and --rate 1..${MAX_RATE}`)
    return 2
  }

  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' })
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'soak', alg: 'ES384' }
  const dir = mkdtempSync(join(tmpdir(), 'imaging-cds-soak-'))
  const service = await startService({
    HOST: '127.0.0.1',
    PORT: '0',
    CDS_PUBLIC_URL: PUBLIC_URL,
    CDS_TRUST: JSON.stringify({ issuers: [{ iss: ISS, jwks: { keys: [jwk] }, fhirServers: [] }] }),
    // The shared stores an operator runs several instances with, when given: feedback in
    // PostgreSQL, the JWT replay store in Redis. SQLite and memory otherwise.
    CDS_FEEDBACK_DB: process.env.CDS_FEEDBACK_DB || join(dir, 'feedback.sqlite'),
    CDS_FEEDBACK_OUTBOX: join(dir, 'feedback-outbox.sqlite'),
    ...(process.env.CDS_REPLAY_STORE ? { CDS_REPLAY_STORE: process.env.CDS_REPLAY_STORE } : {}),
    // One signed client sends all the load: the per-client feedback limit would answer 429.
    CDS_FEEDBACK_RATE_LIMIT: '0',
    CDS_METRICS_PORT: '0',
  })

  const bodies = {
    imaging: readFileSync('fixtures/requests/imaging-study-complete-prefetch.json', 'utf8'),
    'order-select': readFileSync('fixtures/requests/order-select-prefetch.json', 'utf8'),
    'patient-view': readFileSync('fixtures/requests/patient-view-prefetch.json', 'utf8'),
  }
  const paths = {
    imaging: '/cds-services/imaging-ai-findings',
    'order-select': '/cds-services/imaging-ai-order-check',
    'patient-view': '/cds-services/imaging-ai-outstanding',
  }
  const issuedCards: string[] = []
  const usedTokens: string[] = []
  let feedbackSeq = 0

  /** One request of `kind`: what to send and which status is the right answer. */
  async function request(kind: Kind): Promise<{ path: string; init: RequestInit; ok: number }> {
    const json = { 'content-type': 'application/json' }
    const signed = async (path: string) => {
      const jwt = await token(privateKey, path)
      if (usedTokens.length < 1000) usedTokens.push(jwt)
      return { authorization: `Bearer ${jwt}` }
    }
    switch (kind) {
      case 'imaging':
      case 'order-select':
      case 'patient-view': {
        const path = paths[kind]
        return {
          path,
          init: {
            method: 'POST',
            headers: { ...json, ...(await signed(path)) },
            body: bodies[kind],
          },
          ok: 200,
        }
      }
      case 'discovery':
        return { path: '/cds-services', init: { headers: await signed('/cds-services') }, ok: 200 }
      case 'feedback': {
        const path = `${paths.imaging}/feedback`
        // Before the first imaging answer there is no issued card yet: a uuid the service never
        // issued must then be refused (400), since outcomes count only for its own cards.
        const issued = issuedCards[feedbackSeq % Math.max(1, issuedCards.length)]
        const card = issued ?? randomUUID()
        const outcomeTimestamp = new Date(Date.UTC(2026, 0, 1) + feedbackSeq++ * 1000).toISOString()
        const body = JSON.stringify({
          feedback: [{ card, outcome: 'overridden', outcomeTimestamp }],
        })
        return {
          path,
          init: { method: 'POST', headers: { ...json, ...(await signed(path)) }, body },
          ok: issued ? 200 : 400,
        }
      }
      case 'bad: no token':
        return {
          path: paths.imaging,
          init: { method: 'POST', headers: json, body: bodies.imaging },
          ok: 401,
        }
      case 'bad: replayed token': {
        const jwt = usedTokens[0] ?? 'x.y.z'
        const headers = { ...json, authorization: `Bearer ${jwt}` }
        return {
          path: paths.imaging,
          init: { method: 'POST', headers, body: bodies.imaging },
          ok: 401,
        }
      }
      case 'bad: malformed JSON':
        return {
          path: paths.imaging,
          init: {
            method: 'POST',
            headers: { ...json, ...(await signed(paths.imaging)) },
            body: '{"hook":',
          },
          ok: 400,
        }
      case 'bad: wrong hook':
        return {
          path: paths['order-select'],
          init: {
            method: 'POST',
            headers: { ...json, ...(await signed(paths['order-select'])) },
            body: bodies['patient-view'],
          },
          ok: 400,
        }
      case 'bad: invalid context': {
        const body = JSON.parse(bodies['patient-view']) as Record<string, unknown>
        body.context = { patientId: ['not', 'an', 'id'], userId: 42 }
        return {
          path: paths['patient-view'],
          init: {
            method: 'POST',
            headers: { ...json, ...(await signed(paths['patient-view'])) },
            body: JSON.stringify(body),
          },
          ok: 400,
        }
      }
    }
  }

  const total = MIX.reduce((sum, [, weight]) => sum + weight, 0)
  const pick = (): Kind => {
    let r = Math.random() * total
    for (const [kind, weight] of MIX) if ((r -= weight) < 0) return kind
    return 'imaging'
  }
  const latencies: number[] = []
  const byKind = new Map<Kind, { sent: number; wrong: number }>()
  let fiveXx = 0
  let errors = 0
  let inFlight = 0
  const statusesWrong = new Map<string, number>()

  async function fire(kind: Kind) {
    const entry = byKind.get(kind) ?? { sent: 0, wrong: 0 }
    byKind.set(kind, entry)
    entry.sent++
    inFlight++
    try {
      const { path, init, ok } = await request(kind)
      const started = performance.now()
      const res = await fetch(service.url + path, { ...init, signal: AbortSignal.timeout(30_000) })
      const text = await res.text()
      latencies.push(performance.now() - started)
      if (res.status >= 500) fiveXx++
      if (res.status !== ok) {
        entry.wrong++
        errors++
        const key = `${kind}: ${res.status}`
        statusesWrong.set(key, (statusesWrong.get(key) ?? 0) + 1)
      } else if (kind === 'imaging' && issuedCards.length < 1000) {
        const { cards } = JSON.parse(text) as { cards: { uuid?: string }[] }
        for (const card of cards) if (card.uuid) issuedCards.push(card.uuid)
      }
    } catch (err) {
      entry.wrong++
      errors++
      const key = `${kind}: ${(err as Error).name}`
      statusesWrong.set(key, (statusesWrong.get(key) ?? 0) + 1)
    } finally {
      inFlight--
    }
  }

  const atStart = await serviceStats(service.metricsUrl)
  const stores =
    (process.env.CDS_FEEDBACK_DB?.startsWith('postgres') ? 'PostgreSQL' : 'SQLite') +
    ' feedback' +
    (process.env.CDS_REPLAY_STORE ? ', Redis replay store' : '')
  console.log(
    `soak: ${seconds} s at ${rate} requests/s against ${service.url} (node dist/node.js, ` +
      `${stores}, ES384 JWTs); service at start: RSS ${atStart.rssMb.toFixed(1)} MB, ` +
      `heap ${atStart.heapMb.toFixed(1)} MB`
  )
  const started = Date.now()
  const samples: { at: number; rssMb: number; heapMb: number; loopP99Ms: number }[] = []
  const TICK_MS = 10
  let due = 0
  let sent = 0
  await new Promise<void>((resolve) => {
    let lastSample = started
    const timer = setInterval(() => {
      const elapsed = Date.now() - started
      if (elapsed >= seconds * 1000) {
        clearInterval(timer)
        resolve()
        return
      }
      due = Math.floor((elapsed / 1000) * rate)
      // Never more than 10 000 outstanding: a stalled service must not exhaust this process.
      while (sent < due && inFlight < 10_000) {
        sent++
        void fire(pick())
      }
      if (Date.now() - lastSample >= 30_000) {
        lastSample = Date.now()
        void serviceStats(service.metricsUrl).then((s) => {
          samples.push({ at: (Date.now() - started) / 1000, ...s })
          console.log(
            `  ${((Date.now() - started) / 1000).toFixed(0)} s: ${sent} sent, ${errors} wrong, ` +
              `${fiveXx} 5xx; service RSS ${s.rssMb.toFixed(1)} MB, heap ${s.heapMb.toFixed(1)} MB, ` +
              `event-loop delay p99 ${s.loopP99Ms.toFixed(1)} ms`
          )
        })
      }
    }, TICK_MS)
  })
  while (inFlight > 0) await new Promise((r) => setTimeout(r, 20))
  const atEnd = await serviceStats(service.metricsUrl)
  await service.stop()
  rmSync(dir, { recursive: true, force: true })

  const sorted = latencies.sort((a, b) => a - b)
  console.log('')
  console.log(`| | value |`)
  console.log(`| --- | ---: |`)
  console.log(`| duration, target rate | ${seconds} s, ${rate} req/s |`)
  console.log(`| requests sent | ${sent} (${(sent / seconds).toFixed(1)} req/s) |`)
  console.log(`| wrong answers (unexpected status or no answer) | ${errors} |`)
  console.log(`| 5xx | ${fiveXx} |`)
  console.log(
    `| latency p50 / p99 / max | ${percentile(sorted, 50).toFixed(1)} / ${percentile(sorted, 99).toFixed(1)} / ${(sorted.at(-1) ?? 0).toFixed(1)} ms |`
  )
  console.log(
    `| service event-loop delay p50 / p99, start | ${atStart.loopP50Ms.toFixed(1)} / ${atStart.loopP99Ms.toFixed(1)} ms |`
  )
  console.log(
    `| service event-loop delay p50 / p99, end | ${atEnd.loopP50Ms.toFixed(1)} / ${atEnd.loopP99Ms.toFixed(1)} ms |`
  )
  console.log(
    `| service RSS, start / end | ${atStart.rssMb.toFixed(1)} / ${atEnd.rssMb.toFixed(1)} MB |`
  )
  console.log(
    `| service heap used, start / end | ${atStart.heapMb.toFixed(1)} / ${atEnd.heapMb.toFixed(1)} MB |`
  )
  if (samples.length > 1) {
    const rss = samples.map((s) => s.rssMb)
    console.log(
      `| service RSS over the run (every 30 s), min / max | ${Math.min(...rss).toFixed(1)} / ${Math.max(...rss).toFixed(1)} MB |`
    )
  }
  console.log('')
  console.log('| request kind | sent | wrong |')
  console.log('| --- | ---: | ---: |')
  for (const [kind] of MIX) {
    const entry = byKind.get(kind)
    console.log(`| ${kind} | ${entry?.sent ?? 0} | ${entry?.wrong ?? 0} |`)
  }
  for (const [key, count] of statusesWrong) console.log(`wrong: ${key} x ${count}`)
  return errors > 0 || fiveXx > 0 ? 1 : 0
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err)
    process.exit(1)
  }
)

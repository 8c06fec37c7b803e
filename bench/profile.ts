/**
 * @module bench/profile
 * CPU profile of the hook path without HTTP or a load generator: `app.request` in a loop, one call
 * at a time, each with its own pre-signed ES384 JWT, on the app as src/node.ts builds it (SQLite
 * feedback store, global fetch). Prints where the time goes and writes a `.cpuprofile` that
 * Chrome DevTools or speedscope opens.
 *
 *   npx tsx bench/profile.ts [prefetch|fetch|discovery|dev] [requests]
 *
 * `dev` is the call issue 13's targets are set on: development mode (no JWT), the README's
 * full-prefetch request (fixtures/requests/imaging-study-complete-prefetch.json), no FHIR server.
 * `fetch` sends no prefetch, so the service reads everything through its FHIR client (`prefetch`
 * still reads the study's Endpoint). FHIR replies are recorded from the in-memory Medplum server
 * during the warm-up and replayed from memory while profiling, so the profile shows our fetch path
 * (client, JSON, paging, evidence) and none of Medplum's work.
 * `PROFILE_OUT` names the output file (default: a file in the OS temp directory); `PROFILE_CPU=0`
 * only times the calls (for A/B comparisons).
 */
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { tmpdir } from 'node:os'
import { performance } from 'node:perf_hooks'
import { join } from 'node:path'
import { createApp } from '../src/app'
import { parseConfig } from '../src/config'
import { createLogger } from '../src/log'
import { openSqliteFeedbackSink } from '../src/node/feedback-sqlite'
import type { Fetch } from '../src/fhir/client'
import { startFhirServer } from '../demo/fhir-server'
import { loadFixtureResources } from '../fixtures'
import { BENCH_ISSUER, benchJwk, hookBodies, HOOK_PATH, signTokens } from './fixtures'

const mode = process.argv[2] ?? 'prefetch'
const count = Number(process.argv[3] ?? 2000)
const warmup = Math.min(500, count)
const PUBLIC_URL = 'https://cds.bench.test'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

/**
 * Records each FHIR reply the first time its URL is fetched (from the real server) and serves
 * the same bytes from memory afterwards.
 */
function replayingFetch(real: Fetch): { fetch: Fetch; replayOnly(): void; calls(): number } {
  const replies = new Map<string, { status: number; type: string; body: string }>()
  let live = true
  let calls = 0
  const fetch: Fetch = async (input, init) => {
    calls++
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    let reply = replies.get(url)
    if (!reply) {
      if (!live) throw new Error(`no recorded reply for ${url}`)
      const res = await real(input, init)
      reply = {
        status: res.status,
        type: res.headers.get('content-type') ?? '',
        body: await res.text(),
      }
      replies.set(url, reply)
    }
    return new Response(reply.body, {
      status: reply.status,
      headers: { 'content-type': reply.type },
    })
  }
  return { fetch, replayOnly: () => (live = false), calls: () => calls }
}

/**
 * Where a frame's code lives: our module, a package, Node itself, or V8's own states. `(idle)` is
 * the main thread waiting, mostly for ES384 verification on the libuv pool; samples taken then are
 * sometimes charged to the native frame that queued the job (`run`), so read those two together.
 */
function area(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame
  if (url === '') {
    if (functionName === '(idle)') return '(idle: waiting for the libuv pool or I/O)'
    if (functionName === '(garbage collector)') return '(garbage collector)'
    return '(native code)'
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg) return pkg[1]!
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0]
  const own = /\/(src|demo|bench|fixtures)\/(.*)$/.exec(url)
  return own ? `${own[1]}/${own[2]}` : url
}

function summarise(profile: CpuProfile, calls: number) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const selfUs = new Map<number, number>()
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
  })
  // tsx compiles each module to one line, so a line number says little: the function and file do.
  const label = (n: ProfileNode) =>
    n.callFrame.url === ''
      ? `${n.callFrame.functionName} (native)`
      : `${n.callFrame.functionName || '(anonymous)'} ${area(n.callFrame)}`
  const self = new Map<string, number>()
  const areas = new Map<string, number>()
  const inclusive = new Map<string, number>()
  // Inclusive time per function, counting a function once per stack (recursion).
  const walk = (id: number, onStack: Set<string>): number => {
    const node = byId.get(id)!
    let total = selfUs.get(id) ?? 0
    const key = label(node)
    const nested = onStack.has(key)
    if (!nested) onStack.add(key)
    for (const child of node.children ?? []) total += walk(child, onStack)
    if (!nested) {
      onStack.delete(key)
      inclusive.set(key, (inclusive.get(key) ?? 0) + total)
    }
    const own = selfUs.get(id) ?? 0
    self.set(key, (self.get(key) ?? 0) + own)
    areas.set(area(node.callFrame), (areas.get(area(node.callFrame)) ?? 0) + own)
    return total
  }
  const root = profile.nodes[0]!
  const totalUs = walk(root.id, new Set())
  const perCall = (us: number) => (us / calls / 1000).toFixed(3)
  const top = (map: Map<string, number>, n: number, filter: (k: string) => boolean = () => true) =>
    [...map]
      .filter(([k]) => filter(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(
        ([k, us]) =>
          `  ${perCall(us).padStart(7)} ms  ${((100 * us) / totalUs).toFixed(1).padStart(5)} %  ${k}`
      )
      .join('\n')
  console.log(`\n${mode}: ${calls} calls, ${perCall(totalUs)} ms per call (wall, one at a time)\n`)
  console.log('Self time by area, per call:\n' + top(areas, 15))
  console.log('\nSelf time by function, per call:\n' + top(self, 25))
  console.log(
    '\nInclusive time of our own functions, per call:\n' +
      top(inclusive, 25, (k) => / (src|bench)\//.test(k))
  )
}

async function main() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' })
  const resources = loadFixtureResources()
  const fhir = await startFhirServer({ resources })
  const fhirUrl = fhir.url
  const replay = replayingFetch((input, init) => fetch(input, init))
  const dev = mode === 'dev'
  const config = parseConfig({
    ...(dev ? { CDS_DEV_MODE: '1' } : {}),
    CDS_PUBLIC_URL: PUBLIC_URL,
    CDS_TRUST: JSON.stringify({
      issuers: [
        { iss: BENCH_ISSUER, jwks: { keys: [benchJwk(publicKey)] }, fhirServers: [fhirUrl] },
      ],
    }),
    OHIF_VIEWER_URL: 'https://viewer.example.org',
    CDS_LOG_LEVEL: 'error',
  })
  const logger = createLogger({ level: 'error' })
  const dataDir = mkdtempSync(join(tmpdir(), 'imaging-cds-profile-'))
  const feedbackSink = openSqliteFeedbackSink(join(dataDir, 'feedback.sqlite'), logger)
  const app = createApp(config, { logger, feedbackSink, fetch: replay.fetch })

  const path = mode === 'discovery' ? '/cds-services' : HOOK_PATH
  const { withPrefetch, fetching } = hookBodies(fhirUrl)
  const body = dev
    ? readFileSync(
        new URL('../fixtures/requests/imaging-study-complete-prefetch.json', import.meta.url),
        'utf8'
      )
    : mode === 'discovery'
      ? undefined
      : mode === 'fetch'
        ? fetching
        : withPrefetch
  const tokens = dev ? [] : await signTokens(privateKey, `${PUBLIC_URL}${path}`, 4 * count + warmup)
  const call = async () => {
    const res = await app.request(`http://localhost${path}`, {
      method: body ? 'POST' : 'GET',
      headers: {
        ...(dev ? {} : { authorization: `Bearer ${tokens.pop()}` }),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body } : {}),
    })
    const text = await res.text()
    if (res.status !== 200) throw new Error(`${res.status}: ${text.slice(0, 300)}`)
  }

  for (let i = 0; i < warmup; i++) await call()
  replay.replayOnly()
  const reads = replay.calls() / warmup
  await fhir.close()

  // Timed first without the profiler (its sampling slows calls down): three rounds, the median.
  // Event-loop time is the main thread's share; ES384 verification runs on the libuv pool.
  const rounds = Array.from({ length: 3 }, () => ({ wall: 0, cpu: 0, loop: 0 }))
  for (const round of rounds) {
    const cpuBefore = process.cpuUsage()
    const loopBefore = performance.eventLoopUtilization()
    const started = performance.now()
    for (let i = 0; i < count; i++) await call()
    round.wall = (performance.now() - started) / count
    const cpu = process.cpuUsage(cpuBefore)
    round.cpu = (cpu.user + cpu.system) / 1000 / count
    round.loop = performance.eventLoopUtilization(loopBefore).active / count
  }
  const median = (key: 'wall' | 'cpu' | 'loop') =>
    rounds
      .map((r) => r[key])
      .sort((a, b) => a - b)[1]!
      .toFixed(3)
  const timing =
    `Unprofiled, one call at a time (median of 3 x ${count}): ${median('wall')} ms wall, ` +
    `${median('loop')} ms on the event loop, ${median('cpu')} ms CPU on all threads per call; ` +
    `${reads} FHIR reads per call.`
  if (process.env.PROFILE_CPU === '0') {
    console.log(`${mode}: ${timing}`)
  } else {
    const session = new Session()
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: 100 })
    await session.post('Profiler.start')
    for (let i = 0; i < count; i++) await call()
    const { profile } = (await session.post('Profiler.stop')) as unknown as {
      profile: CpuProfile
    }
    session.disconnect()
    const out = process.env.PROFILE_OUT ?? join(tmpdir(), `imaging-cds-${mode}.cpuprofile`)
    writeFileSync(out, JSON.stringify(profile))
    summarise(profile, count)
    console.log(`\n${timing}\nProfile: ${out}`)
  }
  feedbackSink.close()
  rmSync(dataDir, { recursive: true, force: true })
}

void main()

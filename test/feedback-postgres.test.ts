/**
 * Feedback in PostgreSQL (issue 13) against the real PostgreSQL that .ci/run starts on loopback
 * (CDS_TEST_POSTGRES_URL): migrations at start (once, whoever starts first), outcomes shared and
 * idempotent across instances (two `node dist/node.js` processes on one database), the client
 * rule of issue 14, the report read from PostgreSQL, and what happens while PostgreSQL is
 * unreachable (a TCP relay in front of it is cut): hooks keep answering, feedback is answered as
 * pending, retried and stored once PostgreSQL answers again, /readyz says so, and nothing is
 * dropped without a count in the log. Each test has a schema of its own. No timing is asserted:
 * waits are for conditions, with a generous guard.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer, connect, type Server, type Socket } from 'node:net'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { createHarness, type Harness } from './support/harness'
import { dropSchemas, freshDatabase, outboxPath, scratchOutbox } from './support/postgres'
import {
  listening,
  runService,
  serverUrl,
  stopService,
  testClient,
  type ServiceProcess,
} from './support/service-process'
import { createLogger, silentLogger, type Logger } from '../src/log'
import {
  openPostgresFeedbackSink,
  readPostgresFeedbackReport,
  type PostgresFeedbackSink,
} from '../src/node/feedback-postgres'
import type { FeedbackItem } from '../src/feedback'
import type { FeedbackOutbox } from '../src/node/feedback-outbox'
import type { CardMeta } from '../src/cards/types'

const url = serverUrl('CDS_TEST_POSTGRES_URL')
const SERVICE = 'imaging-ai-findings'
const FINDINGS = `/cds-services/${SERVICE}`
const FEEDBACK = `${FINDINGS}/feedback`
const CLIENT = { iss: 'https://ehr.test', tenant: 'north' }
const AT = '2026-11-29T10:05:31Z'

const sinks: PostgresFeedbackSink[] = []
afterAll(async () => {
  await Promise.all(sinks.map((s) => s.close()))
  await dropSchemas()
})

const open = (to: string, logger: Logger = silentLogger, options = {}) => {
  const sink = openPostgresFeedbackSink(to, logger, {
    outbox: scratchOutbox(),
    maxRetryMs: 200,
    ...options,
  })
  sinks.push(sink)
  return sink
}

const card = (n: number, extra: Partial<CardMeta> = {}): CardMeta => ({
  uuid: `00000000-0000-5000-8000-${String(n).padStart(12, '0')}`,
  findingKind: 'pulmonary-nodule',
  category: '4A',
  modelName: 'LungNoduleAI',
  modelVersion: '2.1.0',
  observationRef: `Observation/n${n}`,
  ...extra,
})
const overridden = (uuid: string, at = AT, userComment?: string): FeedbackItem => ({
  card: uuid,
  outcome: 'overridden',
  outcomeTimestamp: at,
  overrideReason: {
    reason: { system: 'urn:imaging-cds:override-reason', code: 'disagree' },
    ...(userComment ? { userComment } : {}),
  },
})

/** Waits for `condition` (polling); the guard only keeps a broken run from hanging. */
async function until(condition: () => boolean | Promise<boolean>, what: string) {
  for (let i = 0; i < 3000; i++) {
    if (await condition()) return
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`never happened: ${what}`)
}

describe.skipIf(!url)('PostgreSQL feedback store', () => {
  it('applies its migrations once, whichever instance starts first', async () => {
    const db = await freshDatabase(url!)
    const [a, b, c] = [open(db), open(db), open(db)]
    await Promise.all([a.migrate(), b.migrate(), c.migrate()])
    const client = new pg.Client({ connectionString: db })
    await client.connect()
    const { rows } = await client.query('SELECT version FROM imaging_cds_migrations')
    await client.end()
    expect(rows).toEqual([{ version: 1 }])
  })

  it('stores outcomes once across instances, only about cards issued to their sender', async () => {
    const db = await freshDatabase(url!)
    const [a, b] = [open(db), open(db)]
    await a.migrate()
    await a.cardsIssued(SERVICE, CLIENT, [card(1)])
    // Registered without the hook waiting; a call queued after it resolves once it is written.
    await a.record(SERVICE, CLIENT, [])
    const item = overridden(card(1).uuid)
    const [onA, onB] = await Promise.all([
      a.record(SERVICE, CLIENT, [item]),
      b.record(SERVICE, CLIENT, [item, item]),
    ])
    expect(onA.stored + onB.stored).toBe(1)
    expect(onA.duplicates + onB.duplicates).toBe(2)
    // Another issuer, or the same issuer's other tenant: refused.
    for (const other of [{ iss: 'https://other.test', tenant: 'north' }, { iss: CLIENT.iss }])
      expect(
        await b.record(SERVICE, other, [overridden(card(1).uuid, '2026-11-30T00:00:00Z')])
      ).toEqual({ stored: 0, duplicates: 0, notIssued: [0] })
    expect(await a.outcomes()).toMatchObject([
      {
        iss: CLIENT.iss,
        tenant: 'north',
        card: card(1).uuid,
        category: '4A',
        hasUserComment: false,
      },
    ])
  })

  it('never stores comment text, and reports rates like the SQLite store', async () => {
    const db = await freshDatabase(url!)
    const sink = open(db)
    await sink.migrate()
    await sink.cardsIssued(SERVICE, CLIENT, [
      card(1),
      card(2, { category: '2', modelVersion: '2.2.0' }),
    ])
    await sink.record(SERVICE, CLIENT, [
      overridden(card(1).uuid, '2026-11-01T00:00:00Z', 'Jane Doe MRN 4471-22'),
      { card: card(1).uuid, outcome: 'accepted', outcomeTimestamp: '2026-11-02T00:00:00Z' },
      overridden(card(2).uuid, '2026-11-03T00:00:00+01:00'),
    ])
    const client = new pg.Client({ connectionString: db })
    await client.connect()
    const dump = JSON.stringify((await client.query('SELECT * FROM feedback_outcomes')).rows)
    await client.end()
    expect(dump).not.toContain('4471-22')
    expect((await sink.outcomes())[0]).toMatchObject({ hasUserComment: true })
    const report = await readPostgresFeedbackReport(db)
    expect(report).toMatchObject({ total: 3, accepted: 1, overridden: 2, unknownCards: 0 })
    expect(Object.fromEntries(report.byCategory.map((r) => [r.key, r.total]))).toEqual({
      '4A': 2,
      '2': 1,
    })
    expect(report.byModelVersion.map((r) => r.key).sort()).toEqual([
      'LungNoduleAI 2.1.0',
      'LungNoduleAI 2.2.0',
    ])
    // `since` compares in UTC: 2026-11-03T00:00+01:00 is 2026-11-02T23:00Z.
    expect((await sink.report({ since: '2026-11-02T23:30:00Z' })).total).toBe(0)
    expect((await sink.report({ since: '2026-11-02T00:00:00Z' })).total).toBe(2)
  })

  it('npm run feedback:report reads PostgreSQL and never prints the password', async () => {
    const db = await freshDatabase(url!)
    const sink = open(db)
    await sink.migrate()
    await sink.cardsIssued(SERVICE, CLIENT, [card(1)])
    await sink.record(SERVICE, CLIENT, [overridden(card(1).uuid)])
    const withPassword = new URL(db)
    withPassword.password = 'not-needed-s3cret' // trust authentication ignores it
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'scripts/feedback-report.ts', '--db', withPassword.href],
      { encoding: 'utf8' }
    )
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    expect(run.stdout).toContain('Card feedback: 1 outcome (0 accepted, 1 overridden)')
    expect(run.stdout).toContain('LungNoduleAI 2.1.0')
    expect(run.stdout).not.toContain('s3cret')
  })
})

/** A TCP relay to PostgreSQL that can be cut (every connection closed, none accepted) and mended. */
function relay(target: URL) {
  const sockets = new Set<Socket>()
  let server: Server | undefined
  let port = 0
  const up = () =>
    new Promise<void>((resolve) => {
      server = createServer((inbound) => {
        const outbound = connect(Number(target.port), target.hostname)
        for (const s of [inbound, outbound]) {
          sockets.add(s)
          s.on('close', () => sockets.delete(s))
          s.on('error', () => {
            inbound.destroy()
            outbound.destroy()
          })
        }
        inbound.pipe(outbound).pipe(inbound)
      })
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as { port: number }).port
        resolve()
      })
    })
  const down = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      server!.close(() => resolve())
    })
  return {
    up,
    down,
    /** `db` with its host and port replaced by the relay's. */
    via(db: string) {
      const through = new URL(db)
      through.host = `127.0.0.1:${port}`
      return through.href
    },
  }
}

/**
 * A migrated store reached through a relay that can be cut; its log lines, and what it reported
 * as settled after the answer (`stored:1`, `failed:2`).
 */
async function behindRelay(options: { maxPending?: number; outbox?: FeedbackOutbox } = {}) {
  const db = await freshDatabase(url!)
  const cut = relay(new URL(db))
  await cut.up()
  const lines: string[] = []
  const settled: string[] = []
  const sink = open(cut.via(db), createLogger({ write: (line) => lines.push(line) }), {
    ...options,
    onSettled: (_s: string, outcome: string, n: number) => n && settled.push(`${outcome}:${n}`),
  })
  await sink.migrate()
  return { db, sink, cut, lines, settled }
}

/** An outbox that fails as told (a full or broken disk), else passes through to a real one. */
function faultyOutbox(fail: {
  append?: boolean
  read?: boolean
  removeOnce?: boolean
}): FeedbackOutbox {
  const real = scratchOutbox()
  return {
    ...real,
    append(entries) {
      if (fail.append) throw Object.assign(new Error('disk full'), { code: 'SQLITE_FULL' })
      real.append(entries)
    },
    oldest(limit) {
      if (fail.read) throw Object.assign(new Error('I/O error'), { code: 'SQLITE_IOERR' })
      return real.oldest(limit)
    },
    remove(ids) {
      // A crash after PostgreSQL committed and before the rows left the outbox.
      if (fail.removeOnce) {
        fail.removeOnce = false
        throw new Error('killed before the outbox was updated')
      }
      real.remove(ids)
    },
  }
}

describe.skipIf(!url)('while PostgreSQL is unreachable', () => {
  const hook = (h: Harness) =>
    h.call(
      FINDINGS,
      JSON.parse(readFileSync('fixtures/requests/imaging-study-complete-prefetch.json', 'utf8'))
    )

  it('hooks answer, feedback is answered pending, retried and stored once PostgreSQL is back', async () => {
    const { sink, cut, lines, settled } = await behindRelay()
    const h = await createHarness(
      {},
      { feedbackSink: sink, degradedWithout: { postgres: sink.ping } }
    )
    await cut.down()

    // Cards keep coming; the card registration waits in the queue.
    const res = await hook(h)
    expect(res.status).toBe(200)
    const { cards } = (await res.json()) as { cards: { uuid: string }[] }
    const uuid = cards[0]!.uuid
    // Feedback is answered (pending), counted, and /readyz says PostgreSQL is down: degraded, still
    // taking traffic (hooks do not need PostgreSQL).
    const fb = await h.call(FEEDBACK, { feedback: [overridden(uuid)] })
    expect(fb.status).toBe(200)
    expect(await fb.json()).toEqual({})
    expect(sink.pending()).toBe(1)
    const ready = await h.app.request('http://localhost/readyz')
    expect(ready.status).toBe(200)
    expect(await ready.json()).toMatchObject({ status: 'degraded', checks: { postgres: 'down' } })
    expect(lines.filter((l) => l.includes('"feedback.postgres_unavailable"'))).toHaveLength(1)

    await cut.up()
    await until(() => sink.pending() === 0, 'pending outcomes written')
    expect(settled).toContain('stored:1')
    expect(await sink.outcomes()).toMatchObject([{ card: uuid, iss: 'https://ehr.test' }])
    expect(lines.some((l) => l.includes('"feedback.outcome"') && l.includes(uuid))).toBe(true)
    expect(await (await h.app.request('http://localhost/readyz')).json()).toMatchObject({
      status: 'ready',
      checks: { postgres: 'ok' },
    })
    // Posted again now: a duplicate, not a second outcome.
    expect((await h.call(FEEDBACK, { feedback: [overridden(uuid)] })).status).toBe(200)
    expect(await sink.outcomes()).toHaveLength(1)
  })

  it('refuses with 503 and Retry-After once the outbox holds maxPending outcomes; a stop keeps them there', async () => {
    const { sink, cut, lines, settled } = await behindRelay({ maxPending: 2 })
    await cut.down()
    const h = await createHarness({}, { feedbackSink: sink })
    const two = [overridden(card(1).uuid), overridden(card(2).uuid)]
    expect((await h.call(FEEDBACK, { feedback: two })).status).toBe(200)
    const full = await h.call(FEEDBACK, { feedback: [overridden(card(3).uuid)] })
    expect(full.status).toBe(503)
    expect(full.headers.get('retry-after')).toBe('30')
    expect(await full.text()).toContain('retry later')
    expect(sink.held()).toEqual({ outcomes: 2, cards: 0 })
    await sink.close()
    expect(settled).toEqual([])
    expect(lines.some((l) => l.includes('"feedback.lost_on_shutdown"'))).toBe(false)
    expect(lines.find((l) => l.includes('"feedback.outbox_kept"'))).toContain('"outcomes":2')
    await cut.up()
  })
})

describe.skipIf(!url)('when neither PostgreSQL nor the outbox can take feedback', () => {
  it('answers 503 with Retry-After, never 200; sent again once PostgreSQL is back, it is stored once', async () => {
    const fail = { append: true }
    const { sink, cut, lines } = await behindRelay({ outbox: faultyOutbox(fail) })
    const h = await createHarness({}, { feedbackSink: sink })
    await cut.down()
    const res = await h.call(
      FINDINGS,
      JSON.parse(readFileSync('fixtures/requests/imaging-study-complete-prefetch.json', 'utf8'))
    )
    expect(res.status).toBe(200)
    const uuid = ((await res.json()) as { cards: { uuid: string }[] }).cards[0]!.uuid
    // The first call finds PostgreSQL down while waiting for it; the next knows it already.
    for (let i = 0; i < 2; i++) {
      const refused = await h.call(FEEDBACK, { feedback: [overridden(uuid)] })
      expect(refused.status).toBe(503)
      expect(refused.headers.get('retry-after')).toBe('30')
      expect(await refused.json()).toMatchObject({ issue: [{ code: 'transient' }] })
    }
    expect(sink.pending()).toBe(0)
    expect(lines.some((l) => l.includes('"feedback.outbox_failed"'))).toBe(true)

    await cut.up()
    // The card, kept in memory meanwhile, reaches PostgreSQL; the client's retry is then stored.
    await until(async () => {
      const again = await h.call(FEEDBACK, { feedback: [overridden(uuid)] })
      return again.status === 200 && JSON.stringify(await again.json()) === '{}'
    }, 'feedback taken once PostgreSQL is back')
    expect(await sink.outcomes()).toHaveLength(1)
  })
})

describe.skipIf(!url)('draining the outbox', () => {
  it('is idempotent: a crash after PostgreSQL committed and before the outbox forgot stores nothing twice', async () => {
    const fail = { removeOnce: true }
    const { sink, cut, settled } = await behindRelay({ outbox: faultyOutbox(fail) })
    await cut.down()
    await sink.cardsIssued(SERVICE, CLIENT, [card(1), card(2)])
    const items = [overridden(card(1).uuid), overridden(card(2).uuid)]
    expect(await sink.record(SERVICE, CLIENT, items)).toMatchObject({ pending: 2 })
    expect(sink.held()).toEqual({ outcomes: 2, cards: 2 })
    await cut.up()
    await until(() => sink.pending() === 0 && !fail.removeOnce, 'outbox drained twice')
    expect(await sink.outcomes()).toHaveLength(2)
    // The first pass stored them; the second found them already there.
    expect(settled).toEqual(['stored:2', 'duplicate:2'])
  })

  it('an outbox that cannot be read for a while keeps no call waiting, and is drained once it can', async () => {
    const fail = { read: true }
    const { sink, settled } = await behindRelay({ outbox: faultyOutbox(fail) })
    await sink.cardsIssued(SERVICE, CLIENT, [card(1)])
    // PostgreSQL answers, but the outbox (read first) cannot be: the call is kept on disk, pending.
    expect(await sink.record(SERVICE, CLIENT, [overridden(card(1).uuid)])).toMatchObject({
      pending: 1,
    })
    fail.read = false
    await until(() => sink.pending() === 0, 'outbox drained')
    expect(settled).toEqual(['stored:1'])
    expect(await sink.outcomes()).toHaveLength(1)
  })

  it('at start: what a stopped instance left in its outbox is written by the next one', async () => {
    const path = outboxPath()
    const { db, sink, cut } = await behindRelay({ outbox: scratchOutbox(path) })
    await cut.down()
    await sink.cardsIssued(SERVICE, CLIENT, [card(1)])
    expect(await sink.record(SERVICE, CLIENT, [overridden(card(1).uuid)])).toMatchObject({
      pending: 1,
    })
    await sink.close()
    const next = open(db, silentLogger, { outbox: scratchOutbox(path) })
    expect(next.held()).toEqual({ outcomes: 1, cards: 1 })
    await until(() => next.pending() === 0, 'outbox drained at start')
    expect(await next.outcomes()).toMatchObject([{ card: card(1).uuid }])
    await cut.up()
  })
})

describe.skipIf(!url)('two service processes on one PostgreSQL', () => {
  const PUBLIC_URL = 'https://cds.pg.test'
  const client = testClient('https://ehr.pg.test')
  const procs: ServiceProcess[] = []
  afterAll(async () => {
    await Promise.all(procs.map((p) => stopService(p, 'SIGTERM')))
  })

  it('share cards and outcomes: issued on A, fed back on B, stored once; /readyz checks it', async () => {
    const db = await freshDatabase(url!)
    const withPassword = new URL(db)
    withPassword.password = 'not-needed-s3cret' // trust authentication ignores it
    const env = {
      PORT: '0',
      CDS_PUBLIC_URL: PUBLIC_URL,
      CDS_TRUST: client.trust(),
      CDS_FEEDBACK_DB: withPassword.href,
      CDS_METRICS_TOKEN: 'metrics-token-0123456789',
    }
    // One outbox per instance.
    procs.push(
      runService({ ...env, CDS_FEEDBACK_OUTBOX: outboxPath() }),
      runService({ ...env, CDS_FEEDBACK_OUTBOX: outboxPath() })
    )
    const [a, b] = await Promise.all(procs.map(listening))
    const post = (base: string, path: string, body: unknown) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${client.token(PUBLIC_URL, path)}`,
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      })
    const issued = await post(
      a!,
      FINDINGS,
      readFileSync('fixtures/requests/imaging-study-complete-prefetch.json', 'utf8')
    )
    expect(issued.status).toBe(200)
    const uuid = ((await issued.json()) as { cards: { uuid: string }[] }).cards[0]!.uuid
    const item = { feedback: [overridden(uuid)] }
    // The card reaches PostgreSQL just after the hook answered: B may have to ask again.
    await until(async () => {
      const res = await post(b!, FEEDBACK, item)
      return res.status === 200 && JSON.stringify(await res.json()) === '{}'
    }, 'feedback on B about the card issued on A')
    expect((await post(a!, FEEDBACK, item)).status).toBe(200)
    const outcomes = await readPostgresFeedbackReport(db)
    expect(outcomes).toMatchObject({ total: 1, byCategory: [{ key: '4A', total: 1 }] })
    for (const base of [a, b]) {
      const ready = await fetch(`${base}/readyz`)
      expect(await ready.json()).toEqual({
        status: 'ready',
        checks: { trustKeys: 'ok', postgres: 'ok' },
        feedbackOutbox: { outcomes: 0, cards: 0 },
      })
    }
    expect(procs[0]!.output()).toContain('"startup.feedback_store","store":"postgres"')
    expect(procs[0]!.output()).not.toContain('s3cret')
    const metrics = await fetch(`${b}/metrics`, {
      headers: { authorization: 'Bearer metrics-token-0123456789' },
    })
    const text = await metrics.text()
    expect(text).toContain('cds_feedback_pending 0')
    expect(text).toMatch(
      /cds_feedback_entries_total\{service="imaging-ai-findings",outcome="stored"\} 1/
    )
  })
})

describe.skipIf(!url)('a service process killed during a PostgreSQL outage', () => {
  const procs: ServiceProcess[] = []
  afterAll(async () => {
    await Promise.all(procs.map((p) => stopService(p)))
  })
  const TOKEN = 'metrics-token-0123456789'
  type Outbox = { outcomes: number; cards: number }

  /** One column of a query's rows; none while the tables do not exist yet. */
  async function column(db: string, sql: string): Promise<string[]> {
    const client = new pg.Client({ connectionString: db })
    await client.connect()
    try {
      return (await client.query<{ v: string }>(sql)).rows.map((r) => r.v)
    } catch {
      return []
    } finally {
      await client.end()
    }
  }
  /** Outcome time stamps in PostgreSQL, one per stored outcome (repeats kept). */
  const storedTimestamps = (db: string) =>
    column(
      db,
      `SELECT to_char(outcome_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS v
       FROM feedback_outcomes`
    )
  const issuedCards = (db: string) => column(db, 'SELECT uuid AS v FROM feedback_issued_cards')

  const issue = async (base: string) => {
    const res = await fetch(`${base}${FINDINGS}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: readFileSync('fixtures/requests/imaging-study-complete-prefetch.json'),
    })
    expect(res.status).toBe(200)
    return ((await res.json()) as { cards: { uuid: string }[] }).cards[0]!.uuid
  }

  it('keeps every outcome answered 200 in the outbox through SIGKILL; once PostgreSQL is back each is stored once', async () => {
    const db = await freshDatabase(url!)
    const cut = relay(new URL(db))
    await cut.up()
    const env = {
      PORT: '0',
      CDS_DEV_MODE: '1',
      CDS_FEEDBACK_DB: cut.via(db),
      CDS_FEEDBACK_OUTBOX: outboxPath(),
      CDS_FEEDBACK_RATE_LIMIT: '0',
      CDS_METRICS_TOKEN: TOKEN,
    }
    const first = runService(env)
    procs.push(first)
    const base = await listening(first)
    // One card issued while PostgreSQL answers (and written there), one during the outage (kept
    // in the outbox with the outcomes about it).
    const before = await issue(base)
    await until(async () => (await issuedCards(db)).includes(before), 'card in PostgreSQL')
    await cut.down()
    const during = await issue(base)

    // Concurrent clients until enough were answered, then SIGKILL (no drain, no close).
    const answered: string[] = []
    const other: number[] = []
    let sent = 0
    let killed = false
    const client = async () => {
      while (!killed) {
        const n = sent++
        const at = new Date(Date.UTC(2026, 10, 29) + n * 1000).toISOString().replace('.000', '')
        try {
          const res = await fetch(`${base}${FEEDBACK}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ feedback: [overridden(n % 2 ? before : during, at)] }),
          })
          if (res.status === 200 && JSON.stringify(await res.json()) === '{}') answered.push(at)
          else other.push(res.status)
        } catch {
          // The connection died with the process: not answered, so nothing was promised.
        }
      }
    }
    const clients = Array.from({ length: 8 }, client)
    await until(() => answered.length >= 100 || other.length > 0, '100 outcomes answered')
    killed = true
    await stopService(first, 'SIGKILL')
    await Promise.all(clients)
    expect(other).toEqual([])
    expect(await storedTimestamps(db)).toEqual([])

    // Restarted while PostgreSQL is still down: the outbox is read back and /readyz says what it holds.
    const second = runService(env)
    procs.push(second)
    const base2 = await listening(second)
    const ready = await fetch(`${base2}/readyz`)
    expect(ready.status).toBe(200)
    const held = (await ready.json()) as { status: string; checks: unknown; feedbackOutbox: Outbox }
    expect(held.status).toBe('degraded')
    expect(held.checks).toEqual({ postgres: 'down' })
    expect(held.feedbackOutbox.outcomes).toBeGreaterThanOrEqual(answered.length)
    expect(held.feedbackOutbox.cards).toBeGreaterThanOrEqual(1)
    expect(second.output()).toContain('"feedback.outbox_draining"')

    await cut.up()
    await until(async () => {
      const res = await fetch(`${base2}/readyz`)
      const body = (await res.json()) as { status: string; feedbackOutbox: Outbox }
      const drained = body.feedbackOutbox.outcomes + body.feedbackOutbox.cards === 0
      return res.status === 200 && body.status === 'ready' && drained
    }, 'the outbox drained to PostgreSQL')
    const stored = await storedTimestamps(db)
    // Every outcome answered 200 is there, and nothing is there twice (some sent as the process
    // died may be there too: written to the outbox, not yet answered).
    expect(answered.filter((t) => !stored.includes(t))).toEqual([])
    expect(new Set(stored).size).toBe(stored.length)
    expect(stored.length).toBeLessThanOrEqual(sent)
    const metrics = await fetch(`${base2}/metrics`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    })
    expect(await metrics.text()).toContain('cds_feedback_pending 0')
  })
})

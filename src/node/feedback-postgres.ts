/**
 * @module node/feedback-postgres
 * A FeedbackSink on PostgreSQL (`CDS_FEEDBACK_DB=postgres://...`, node-postgres, Node only), shared
 * by every instance: the same tables as the SQLite store (cards with the client they were issued
 * to, outcomes keyed UNIQUE on `feedbackKey`), so an outcome posted to two instances, or twice, is
 * stored once. Migrations are applied at start under an advisory lock (instances starting together
 * wait for each other) and recorded in `imaging_cds_migrations`.
 *
 * PostgreSQL being down never fails a hook, and an outcome answered 200 is never lost: cards
 * issued and outcomes received go through one ordered queue written in transactions. When a write
 * fails, the queue moves to the local outbox on disk (src/node/feedback-outbox.ts, one SQLite file
 * per instance), and while PostgreSQL stays unreachable, or the outbox still holds older entries,
 * new ones join the outbox in order; it is drained to PostgreSQL when it answers again (retried,
 * backing off to every 10 s) and at start. Outcomes of a call that went to the outbox are answered
 * 200 as pending (`pending()`, the `cds_feedback_pending` metric) and checked against their cards
 * when written; when neither PostgreSQL nor the outbox can take them (the outbox cannot be written,
 * or holds `maxPending` outcomes) the call is answered 503 with Retry-After. Rows leave the outbox
 * only after PostgreSQL committed them, and a drain repeated after a crash stores nothing twice (the
 * card uuid and the outcome key are UNIQUE). What is refused later is logged with counts and
 * reported through `onSettled`. Free-text `userComment` is never stored.
 */
import pg from 'pg'
import {
  feedbackKey,
  logOutcome,
  type FeedbackRecord,
  type FeedbackSink,
  type RecordResult,
} from '../feedback'
import {
  buildReport,
  utcTimestamp,
  type FeedbackReport,
  type ReportOptions,
} from '../feedback/report'
import {
  reportInput,
  toMeta,
  toStoredOutcome,
  type IssuedRow,
  type OutcomeRow,
  type StoredOutcome,
} from '../feedback/rows'
import type { FeedbackOutcome } from '../observe'
import type { Logger } from '../log'
import { serviceUnavailable } from '../protocol/outcome'
import { redactUrl } from '../log/redact-url'
import type { FeedbackOutbox, OutboxEntry } from './feedback-outbox'

/** True for a `CDS_FEEDBACK_DB` naming a PostgreSQL database. */
export const isPostgresUrl = (value: string) => /^postgres(ql)?:\/\//i.test(value)

/** Schema changes in order; each runs once, in a transaction, and is recorded by its version. */
const MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'issued cards and outcomes, with the client',
    sql: `
CREATE TABLE feedback_issued_cards (
  uuid TEXT PRIMARY KEY,
  iss TEXT NOT NULL,
  tenant TEXT NOT NULL DEFAULT '',
  service TEXT NOT NULL,
  finding_kind TEXT NOT NULL,
  category TEXT,
  model_name TEXT,
  model_version TEXT,
  observation_ref TEXT NOT NULL,
  suggestion_uuid TEXT,
  first_issued TIMESTAMPTZ NOT NULL
);
CREATE TABLE feedback_outcomes (
  id BIGSERIAL PRIMARY KEY,
  feedback_key TEXT NOT NULL UNIQUE,
  service TEXT NOT NULL,
  iss TEXT NOT NULL,
  tenant TEXT NOT NULL DEFAULT '',
  card_uuid TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'overridden')),
  override_reason_code TEXT,
  override_reason_system TEXT,
  accepted_suggestions JSONB NOT NULL DEFAULT '[]',
  has_user_comment BOOLEAN NOT NULL DEFAULT FALSE,
  outcome_timestamp TIMESTAMPTZ NOT NULL,
  received_at TIMESTAMPTZ NOT NULL,
  finding_kind TEXT NOT NULL,
  category TEXT,
  model_name TEXT,
  model_version TEXT,
  observation_ref TEXT NOT NULL
);
CREATE INDEX feedback_outcomes_time ON feedback_outcomes (outcome_timestamp);
`,
  },
]

/** pg_advisory_xact_lock key: "imaging-cds migrations". */
const MIGRATION_LOCK = 7_310_842_115

export interface PostgresFeedbackSinkOptions {
  /**
   * Where cards and outcomes wait while PostgreSQL cannot take them (the sink closes it). Required:
   * without it an outcome answered 200 could be lost.
   */
  outbox: FeedbackOutbox
  /** Outcomes held in the outbox; beyond it a call is refused (503). Default 100 000. */
  maxPending?: number
  /**
   * Cards held while PostgreSQL is unreachable (in the outbox; in memory when it fails, oldest
   * forgotten first); beyond it new ones are not kept (logged). Default 500 000.
   */
  maxPendingCards?: number
  /** The 503's Retry-After, in seconds. Default 30. */
  retryAfterSeconds?: number
  /** Longest wait for a connection or a statement, in ms. Default 2000. */
  timeoutMs?: number
  /** Longest pause between retries, in ms. Default 10 000. */
  maxRetryMs?: number
  /** Outcomes settled after their call was answered: stored, duplicate, rejected, failed. */
  onSettled?: (serviceId: string, outcome: FeedbackOutcome, count: number) => void
  now?: () => Date
}

export interface PostgresFeedbackSink extends FeedbackSink {
  /** The URL without its password. */
  readonly where: string
  /** Applies the migrations (at start; retried by the queue when PostgreSQL was down). */
  migrate(): Promise<void>
  /** True when PostgreSQL answers (for /readyz). */
  ping(): Promise<boolean>
  /** Outcomes answered 200 but not yet in PostgreSQL: those the outbox holds. */
  pending(): number
  /** What the outbox holds: outcomes and cards waiting for PostgreSQL. */
  held(): { outcomes: number; cards: number }
  report(options?: ReportOptions): Promise<FeedbackReport>
  /** Every stored outcome, oldest first (for inspection and tests). */
  outcomes(): Promise<StoredOutcome[]>
  /** Writes what is pending (one last try), keeps the rest in the outbox, closes both. */
  close(): Promise<void>
}

/** How a waiting call is answered: written, moved to the outbox (pending), or refused (503). */
type Answer = RecordResult | 'pending' | Error

/** A write in the queue: an outcomes entry carries its waiting call's answer until written. */
type Entry = OutboxEntry & { answer?: (result: Answer) => void }
type OutcomesEntry = Extract<OutboxEntry, { kind: 'outcomes' }>

/** Entries written to PostgreSQL in one transaction. */
const BATCH = 100

/**
 * Opens a pool and returns at once; call `migrate()` at start (the Node entry does, and logs
 * when PostgreSQL is unreachable: writes then wait in the queue until it answers).
 */
export function openPostgresFeedbackSink(
  url: string,
  logger: Logger,
  options: PostgresFeedbackSinkOptions
): PostgresFeedbackSink {
  const where = redactUrl(url)
  const { outbox } = options
  const timeoutMs = options.timeoutMs ?? 2000
  const maxPending = options.maxPending ?? 100_000
  const maxPendingCards = options.maxPendingCards ?? 500_000
  const retryAfterSeconds = options.retryAfterSeconds ?? 30
  const maxRetryMs = options.maxRetryMs ?? 10_000
  const now = options.now ?? (() => new Date())
  const onSettled = options.onSettled ?? (() => {})
  const pool = new pg.Pool({
    connectionString: url,
    max: 4,
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
    query_timeout: timeoutMs,
    idleTimeoutMillis: 30_000,
  })
  // An idle connection dropped by the server: the pool replaces it; the queue notices failures.
  pool.on('error', () => {})

  let migrated = false
  const queue: Entry[] = []
  let flushing: Promise<void> | undefined
  let retryTimer: ReturnType<typeof setTimeout> | undefined
  let retryMs = 250
  let healthy: boolean | undefined
  let closed = false

  /** In the memory queue: outcomes of calls waiting for their answer, cards not yet written. */
  const queuedOutcomes = () =>
    queue.reduce((n, e) => n + (e.kind === 'outcomes' ? e.items.length : 0), 0)
  const queuedCards = () => queue.reduce((n, e) => n + (e.kind === 'cards' ? e.cards.length : 0), 0)
  const outboxHolds = () => {
    const held = outbox.held()
    return held.outcomes + held.cards > 0
  }
  /** New entries join the outbox while PostgreSQL is known down or older ones wait there. */
  const spilling = () => retryTimer !== undefined || outboxHolds()
  const unavailable = () =>
    serviceUnavailable('The feedback store is unavailable; retry later', retryAfterSeconds)
  const errorName = (err: unknown) =>
    (err as NodeJS.ErrnoException)?.code ?? (err as Error)?.name ?? 'Error'

  /** Says what the outbox holds (as `event`), when it holds anything. */
  function logHeld(event: string, message: string) {
    const held = outbox.held()
    if (held.outcomes + held.cards > 0) logger.warn(event, { path: outbox.path, ...held, message })
  }
  logHeld(
    'feedback.outbox_draining',
    'feedback kept in the outbox by an earlier run is written to PostgreSQL first'
  )

  function setHealthy(ok: boolean, err?: unknown) {
    if (ok && healthy !== true) logger.info('feedback.postgres_connected', { url: where })
    if (!ok && healthy !== false)
      logger.error('feedback.postgres_unavailable', {
        url: where,
        error: errorName(err),
        outbox: outbox.path,
        message: 'feedback is kept in the outbox on disk and retried; hooks keep answering',
      })
    healthy = ok
  }

  /** Appends to the outbox (in order, all or none); false, logged, when it cannot be written. */
  function toOutbox(entries: Entry[]): boolean {
    try {
      outbox.append(entries.map(({ answer: _answer, ...entry }) => entry as OutboxEntry))
      return true
    } catch (err) {
      logger.error('feedback.outbox_failed', {
        path: outbox.path,
        error: errorName(err),
        message: 'while PostgreSQL is unreachable too, feedback calls are answered 503',
      })
      return false
    }
  }

  /**
   * PostgreSQL failed: the memory queue moves to the outbox and its waiting calls are answered
   * pending. When the outbox cannot take it either, they are answered 503 and their outcomes leave
   * the queue (the client sends them again); cards stay in memory, retried.
   */
  function spillQueue() {
    if (queue.length === 0) return
    const waiting = queue.filter((e) => e.answer)
    if (toOutbox(queue)) {
      queue.length = 0
      for (const entry of waiting) entry.answer!('pending')
      return
    }
    for (const entry of waiting) {
      queue.splice(queue.indexOf(entry), 1)
      entry.answer!(unavailable())
    }
  }

  /**
   * Runs `work` in one transaction on a client of the pool. A connection dropped while the client
   * is checked out is also reported as an `error` event, which must be heard (unheard, it would
   * end the process); the statement in flight fails anyway. A client that failed is discarded.
   */
  async function transaction<T>(work: (db: pg.PoolClient) => Promise<T>): Promise<T> {
    const db = await pool.connect()
    const dropped = () => {}
    db.on('error', dropped)
    let failed: Error | undefined
    try {
      await db.query('BEGIN')
      const result = await work(db)
      await db.query('COMMIT')
      return result
    } catch (err) {
      failed = err as Error
      await db.query('ROLLBACK').catch(() => {})
      throw err
    } finally {
      db.off('error', dropped)
      db.release(failed)
    }
  }

  async function migrate(): Promise<void> {
    if (migrated) return
    await transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
      await client.query(`CREATE TABLE IF NOT EXISTS imaging_cds_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)`)
      const { rows } = await client.query<{ version: number }>(
        'SELECT version FROM imaging_cds_migrations'
      )
      const applied = new Set(rows.map((r) => r.version))
      for (const migration of MIGRATIONS) {
        if (applied.has(migration.version)) continue
        await client.query(migration.sql)
        await client.query(
          'INSERT INTO imaging_cds_migrations (version, name, applied_at) VALUES ($1, $2, now())',
          [migration.version, migration.name]
        )
        logger.info('feedback.postgres_migrated', { version: migration.version })
      }
    })
    migrated = true
  }

  async function writeCards(db: pg.PoolClient, entry: Extract<OutboxEntry, { kind: 'cards' }>) {
    for (const meta of entry.cards) {
      await db.query(
        `INSERT INTO feedback_issued_cards (uuid, iss, tenant, service, finding_kind, category,
           model_name, model_version, observation_ref, suggestion_uuid, first_issued)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (uuid) DO NOTHING`,
        [
          meta.uuid,
          entry.client.iss,
          entry.client.tenant ?? '',
          entry.serviceId,
          meta.findingKind,
          meta.category ?? null,
          meta.modelName ?? null,
          meta.modelVersion ?? null,
          meta.observationRef,
          meta.suggestionUuid ?? null,
          entry.at,
        ]
      )
    }
  }

  async function writeOutcomes(db: pg.PoolClient, entry: OutcomesEntry) {
    const stored: FeedbackRecord[] = []
    const notIssued: number[] = []
    for (const [index, item] of entry.items.entries()) {
      const { rows } = await db.query<IssuedRow>(
        'SELECT * FROM feedback_issued_cards WHERE uuid = $1 AND iss = $2 AND tenant = $3',
        [item.card, entry.client.iss, entry.client.tenant ?? '']
      )
      const card = rows[0]
      if (!card) {
        notIssued.push(index)
        continue
      }
      const finding = toMeta(card)
      const reason = item.overrideReason?.reason
      const inserted = await db.query(
        `INSERT INTO feedback_outcomes (feedback_key, service, iss, tenant, card_uuid, outcome,
           override_reason_code, override_reason_system, accepted_suggestions, has_user_comment,
           outcome_timestamp, received_at, finding_kind, category, model_name, model_version,
           observation_ref)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
         ON CONFLICT (feedback_key) DO NOTHING`,
        [
          feedbackKey(entry.serviceId, entry.client, item),
          entry.serviceId,
          entry.client.iss,
          entry.client.tenant ?? '',
          item.card,
          item.outcome,
          reason?.code ?? null,
          reason?.system ?? null,
          JSON.stringify((item.acceptedSuggestions ?? []).map((s) => s.id)),
          // Whether a comment was given, never its text: free text can hold PHI.
          Boolean(item.overrideReason?.userComment?.trim()),
          utcTimestamp(item.outcomeTimestamp),
          entry.at,
          finding.findingKind,
          finding.category ?? null,
          finding.modelName ?? null,
          finding.modelVersion ?? null,
          finding.observationRef,
        ]
      )
      if (inserted.rowCount === 1)
        stored.push({ ...item, serviceId: entry.serviceId, client: entry.client, finding })
    }
    return { stored, notIssued }
  }

  /** Writes `batch` in one transaction; what became of each outcomes entry. */
  async function write(batch: Entry[]) {
    const results: { entry: Entry; stored: FeedbackRecord[]; notIssued: number[] }[] = []
    await migrate()
    await transaction(async (db) => {
      for (const entry of batch) {
        if (entry.kind === 'cards') await writeCards(db, entry)
        else results.push({ entry, ...(await writeOutcomes(db, entry)) })
      }
    })
    return results
  }

  /**
   * Writes the outbox, oldest first, then the memory queue, one transaction per batch; rows leave
   * the outbox only once committed. On failure the queue moves to the outbox and a retry is set.
   */
  async function flush(): Promise<void> {
    while (!closed) {
      let fromOutbox: { id: number; entry: OutboxEntry }[]
      try {
        fromOutbox = outbox.oldest(BATCH)
      } catch (err) {
        // Unreadable for now: tried again later (its entries come first, so nothing overtakes them).
        logger.error('feedback.outbox_failed', { path: outbox.path, error: errorName(err) })
        spillQueue()
        return scheduleRetry()
      }
      const batch: Entry[] =
        fromOutbox.length > 0 ? fromOutbox.map((row) => row.entry) : queue.slice(0, BATCH)
      if (batch.length === 0) return
      let results: Awaited<ReturnType<typeof write>>
      try {
        results = await write(batch)
      } catch (err) {
        setHealthy(false, err)
        spillQueue()
        scheduleRetry()
        return
      }
      setHealthy(true)
      retryMs = 250
      let removed = true
      if (fromOutbox.length > 0) {
        try {
          outbox.remove(fromOutbox.map((row) => row.id))
        } catch (err) {
          // Committed but still in the outbox: written again later, stored once all the same.
          logger.error('feedback.outbox_failed', { path: outbox.path, error: errorName(err) })
          removed = false
        }
      } else {
        // By identity: entries may have been appended (or old cards dropped) meanwhile.
        for (const entry of batch) queue.splice(queue.indexOf(entry), 1)
      }
      // Logged after commit, so a logged outcome is a stored one.
      for (const { entry, stored, notIssued } of results) {
        if (entry.kind !== 'outcomes') continue
        for (const record of stored) logOutcome(logger, record)
        const result = {
          stored: stored.length,
          duplicates: entry.items.length - stored.length - notIssued.length,
          notIssued,
        }
        if (entry.answer) entry.answer(result)
        else settleLate(entry, result)
      }
      if (!removed) return scheduleRetry()
    }
  }

  /** Outcomes answered as pending, now written: counted and, when refused, logged. */
  function settleLate(entry: OutcomesEntry, result: RecordResult) {
    onSettled(entry.serviceId, 'stored', result.stored)
    onSettled(entry.serviceId, 'duplicate', result.duplicates)
    if (result.notIssued.length > 0) {
      onSettled(entry.serviceId, 'rejected', result.notIssued.length)
      logger.warn('feedback.refused_after_retry', {
        service: entry.serviceId,
        entries: result.notIssued.length,
        reason: 'not a card this service issued to this client',
      })
    }
  }

  function scheduleRetry() {
    if (retryTimer || closed) return
    retryTimer = setTimeout(() => {
      retryTimer = undefined
      void kick()
    }, retryMs)
    retryTimer.unref?.()
    retryMs = Math.min(retryMs * 2, maxRetryMs)
  }

  function kick(): Promise<void> {
    if (retryTimer) return Promise.resolve() // waiting out a failure: the timer flushes
    flushing ??= flush().finally(() => {
      flushing = undefined
      // Appended while the last pass was ending: write it now rather than with the next entry.
      if (!closed && !retryTimer && (queue.length > 0 || outboxHolds())) void kick()
    })
    return flushing
  }

  // Whatever an earlier run left in the outbox is written at start.
  if (outboxHolds()) void kick()

  return {
    where,
    migrate,
    async cardsIssued(serviceId, client, cards) {
      if (cards.length === 0 || closed) return
      const entry: Entry = { kind: 'cards', serviceId, client, cards, at: now() }
      // Not awaited by anyone: a hook call never waits for the feedback store.
      if (spilling()) {
        if (outbox.held().cards + cards.length > maxPendingCards) {
          logger.warn('feedback.cards_dropped', { cards: cards.length, reason: 'outbox full' })
          return
        }
        if (toOutbox([entry])) return void kick()
      }
      queue.push(entry)
      // Bounded in memory (the outbox failed too): the oldest cards go first (logged with a count).
      let over = queuedCards() - maxPendingCards
      while (over > 0) {
        const index = queue.findIndex((e) => e.kind === 'cards')
        const dropped = queue.splice(index, 1)[0] as Extract<Entry, { kind: 'cards' }>
        over -= dropped.cards.length
        logger.warn('feedback.cards_dropped', { cards: dropped.cards.length })
      }
      void kick()
    },
    async record(serviceId, client, items) {
      if (closed) throw unavailable()
      const entry: Entry = { kind: 'outcomes', serviceId, client, items, at: now() }
      // PostgreSQL known down, or older entries still in the outbox: this call joins them there,
      // answered as pending once it is on disk; 503 when it cannot be.
      if (spilling()) {
        if (outbox.held().outcomes + items.length > maxPending || !toOutbox([entry]))
          throw unavailable()
        void kick()
        return { stored: 0, duplicates: 0, notIssued: [], pending: items.length }
      }
      if (queuedOutcomes() + items.length > maxPending) throw unavailable()
      const answered = new Promise<Answer>((answer) => {
        queue.push({ ...entry, answer })
      })
      void kick()
      const answer = await answered
      if (answer instanceof Error) throw answer
      return answer === 'pending'
        ? { stored: 0, duplicates: 0, notIssued: [], pending: items.length }
        : answer
    },
    async ping() {
      try {
        await pool.query('SELECT 1')
        return true
      } catch {
        return false
      }
    },
    pending: () => outbox.held().outcomes,
    held: () => outbox.held(),
    async report(reportOptions = {}) {
      return readPostgresReport(pool, reportOptions)
    },
    async outcomes() {
      const { rows } = await pool.query<OutcomeRow>(`${OUTCOMES} ORDER BY id`)
      return rows.map(toStoredOutcome)
    },
    async close() {
      if (closed) return
      if (retryTimer) clearTimeout(retryTimer)
      retryTimer = undefined
      await (flushing ?? Promise.resolve())
      // One last try, then what is left stays on disk for the next start.
      if (queue.length > 0 || outboxHolds()) await flush()
      if (retryTimer) clearTimeout(retryTimer)
      retryTimer = undefined
      closed = true
      spillQueue()
      const lostCards = queuedCards()
      if (lostCards > 0) logger.error('feedback.lost_on_shutdown', { cards: lostCards, url: where })
      queue.length = 0
      logHeld('feedback.outbox_kept', 'written to PostgreSQL when it answers, at the next start')
      outbox.close()
      await pool.end()
    },
  }
}

/** Outcomes in the shape every store reads back (src/feedback/rows.ts), oldest first. */
const OUTCOMES = `
SELECT service, iss, tenant, card_uuid, outcome, override_reason_code, override_reason_system,
  accepted_suggestions::text AS accepted_suggestions, has_user_comment::int AS has_user_comment,
  to_char(outcome_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
    AS outcome_timestamp,
  to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS received_at,
  finding_kind AS kind, category AS cat, model_name AS mname, model_version AS mversion,
  observation_ref AS obs
FROM feedback_outcomes`

async function readPostgresReport(
  db: pg.Pool | pg.Client,
  options: ReportOptions
): Promise<FeedbackReport> {
  const { rows } = await db.query<OutcomeRow>(
    `${OUTCOMES} ${options.since ? 'WHERE outcome_timestamp >= $1' : ''} ORDER BY id`,
    options.since ? [utcTimestamp(options.since)] : []
  )
  return buildReport(rows.map(reportInput))
}

/**
 * The report from a PostgreSQL store, for `npm run feedback:report` (read only: one SELECT).
 * @throws when PostgreSQL cannot be reached or holds no feedback tables
 */
export async function readPostgresFeedbackReport(
  url: string,
  options: ReportOptions = {}
): Promise<FeedbackReport> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 })
  await client.connect()
  try {
    return await readPostgresReport(client, options)
  } finally {
    await client.end()
  }
}

/**
 * @module node/feedback-postgres
 * A FeedbackSink on PostgreSQL (`CDS_FEEDBACK_DB=postgres://...`, node-postgres, Node only), shared
 * by every instance: the same tables as the SQLite store (cards with the client they were issued
 * to, outcomes keyed UNIQUE on `feedbackKey`), so an outcome posted to two instances, or twice, is
 * stored once. Migrations are applied at start under an advisory lock (instances starting together
 * wait for each other) and recorded in `imaging_cds_migrations`.
 *
 * PostgreSQL being down never fails a hook and never silently drops feedback: cards issued and
 * outcomes received go through one ordered queue written in transactions. When a write fails, the
 * queue is kept and retried (backing off to every 10 s); outcomes of a call that could not be
 * written are answered 200 as pending (`pending()`, the `cds_feedback_pending` metric) and are
 * checked against their cards when written. What is refused or lost later is logged with counts and
 * reported through `onSettled`: refused when the card was not issued to the sender, failed when the
 * queue is full (the call is answered 503 instead) or when the process stops with outcomes still
 * pending (`feedback.lost_on_shutdown`). Free-text `userComment` is never stored.
 */
import pg from 'pg'
import {
  feedbackKey,
  logOutcome,
  type FeedbackClient,
  type FeedbackItem,
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
import type { CardMeta } from '../cards/types'
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
  /** Outcomes held while PostgreSQL is unreachable; beyond it a call is refused (503). */
  maxPending?: number
  /** Cards held while PostgreSQL is unreachable; beyond it the oldest are forgotten (logged). */
  maxPendingCards?: number
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
  /** Outcomes answered but not yet written. */
  pending(): number
  report(options?: ReportOptions): Promise<FeedbackReport>
  /** Every stored outcome, oldest first (for inspection and tests). */
  outcomes(): Promise<StoredOutcome[]>
  /** Writes what is pending (one last try), then closes the pool. */
  close(): Promise<void>
}

type Entry =
  | { kind: 'cards'; serviceId: string; client: FeedbackClient; cards: CardMeta[]; at: Date }
  | {
      kind: 'outcomes'
      serviceId: string
      client: FeedbackClient
      items: FeedbackItem[]
      at: Date
      /** Set while the call waits for its answer; cleared once it was answered as pending. */
      answer?: (result: RecordResult | undefined) => void
    }

/**
 * Opens a pool and returns at once; call `migrate()` at start (the Node entry does, and logs
 * when PostgreSQL is unreachable: writes then wait in the queue until it answers).
 */
export function openPostgresFeedbackSink(
  url: string,
  logger: Logger,
  options: PostgresFeedbackSinkOptions = {}
): PostgresFeedbackSink {
  const where = redactUrl(url)
  const timeoutMs = options.timeoutMs ?? 2000
  const maxPending = options.maxPending ?? 10_000
  const maxPendingCards = options.maxPendingCards ?? 50_000
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

  const pendingOutcomes = () =>
    queue.reduce((n, e) => n + (e.kind === 'outcomes' ? e.items.length : 0), 0)
  const pendingCards = () =>
    queue.reduce((n, e) => n + (e.kind === 'cards' ? e.cards.length : 0), 0)

  function setHealthy(ok: boolean, err?: unknown) {
    if (ok && healthy !== true) logger.info('feedback.postgres_connected', { url: where })
    if (!ok && healthy !== false)
      logger.error('feedback.postgres_unavailable', {
        url: where,
        error: (err as NodeJS.ErrnoException)?.code ?? (err as Error)?.name,
        pending: pendingOutcomes(),
        message: 'feedback is held in memory and retried; hooks keep answering',
      })
    healthy = ok
  }

  async function migrate(): Promise<void> {
    if (migrated) return
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
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
      await client.query('COMMIT')
      migrated = true
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {})
      throw err
    } finally {
      client.release()
    }
  }

  async function writeCards(db: pg.PoolClient, entry: Extract<Entry, { kind: 'cards' }>) {
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

  async function writeOutcomes(db: pg.PoolClient, entry: Extract<Entry, { kind: 'outcomes' }>) {
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

  /** Writes the queue in order, one transaction per batch; on failure keeps it and retries. */
  async function flush(): Promise<void> {
    while (queue.length > 0 && !closed) {
      const batch = queue.slice(0, 100)
      const results: { entry: Entry; stored: FeedbackRecord[]; notIssued: number[] }[] = []
      try {
        await migrate()
        const db = await pool.connect()
        try {
          await db.query('BEGIN')
          for (const entry of batch) {
            if (entry.kind === 'cards') await writeCards(db, entry)
            else results.push({ entry, ...(await writeOutcomes(db, entry)) })
          }
          await db.query('COMMIT')
        } catch (err) {
          await db.query('ROLLBACK').catch(() => {})
          throw err
        } finally {
          db.release()
        }
      } catch (err) {
        setHealthy(false, err)
        // Calls still waiting are answered now, as pending; their outcomes stay queued.
        for (const entry of queue)
          if (entry.kind === 'outcomes' && entry.answer) {
            entry.answer(undefined)
            delete entry.answer
          }
        scheduleRetry()
        return
      }
      setHealthy(true)
      retryMs = 250
      // By identity: entries may have been appended (or old cards dropped) meanwhile.
      for (const entry of batch) queue.splice(queue.indexOf(entry), 1)
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
    }
  }

  /** Outcomes answered as pending, now written: counted and, when refused, logged. */
  function settleLate(entry: Extract<Entry, { kind: 'outcomes' }>, result: RecordResult) {
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
    })
    return flushing
  }

  return {
    where,
    migrate,
    async cardsIssued(serviceId, client, cards) {
      if (cards.length === 0 || closed) return
      queue.push({ kind: 'cards', serviceId, client, cards, at: now() })
      // Bounded while PostgreSQL is down: the oldest cards go first (logged with a count).
      let over = pendingCards() - maxPendingCards
      while (over > 0) {
        const index = queue.findIndex((e) => e.kind === 'cards')
        const dropped = queue.splice(index, 1)[0] as Extract<Entry, { kind: 'cards' }>
        over -= dropped.cards.length
        logger.warn('feedback.cards_dropped', { cards: dropped.cards.length })
      }
      // Not awaited: a hook call never waits for the feedback store.
      void kick()
    },
    async record(serviceId, client, items) {
      if (pendingOutcomes() + items.length > maxPending)
        throw serviceUnavailable('The feedback store is unavailable; retry later')
      const pending = { stored: 0, duplicates: 0, notIssued: [], pending: items.length }
      // Known to be unreachable (waiting to retry): queued and answered at once as pending.
      if (retryTimer) {
        queue.push({ kind: 'outcomes', serviceId, client, items, at: now() })
        return pending
      }
      const answered = new Promise<RecordResult | undefined>((answer) => {
        queue.push({ kind: 'outcomes', serviceId, client, items, at: now(), answer })
      })
      void kick()
      // Not written (PostgreSQL unreachable): accepted as pending, checked when written.
      return (await answered) ?? pending
    },
    async ping() {
      try {
        await pool.query('SELECT 1')
        return true
      } catch {
        return false
      }
    },
    pending: pendingOutcomes,
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
      // One last try for what is pending, then say what could not be written.
      if (queue.length > 0) await flush()
      closed = true
      const lost = pendingOutcomes()
      if (lost > 0) {
        logger.error('feedback.lost_on_shutdown', { outcomes: lost, url: where })
        for (const entry of queue)
          if (entry.kind === 'outcomes') onSettled(entry.serviceId, 'failed', entry.items.length)
      }
      queue.length = 0
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

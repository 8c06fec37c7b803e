/**
 * @module node/feedback-sqlite
 * A FeedbackSink on SQLite (better-sqlite3, Node only), so card outcomes outlive the process and
 * can be read back as acceptance and override rates per finding kind, category and model version:
 * the signal a radiology AI team watches for model drift.
 *
 * Two tables: `issued_cards` (what each card uuid was about, first time it was issued) and
 * `outcomes` (one row per distinct feedback item, keyed UNIQUE on `feedbackKey`, with the card's
 * facts copied in when known). Free-text `userComment` is never stored (it can hold PHI), only
 * whether one was given.
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import {
  feedbackKey,
  logOutcome,
  sameClient,
  type FeedbackClient,
  type FeedbackItem,
  type FeedbackRecord,
  type FeedbackSink,
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
import type { Logger } from '../log'

export type { StoredOutcome } from '../feedback/rows'

/** Where feedback is stored when CDS_FEEDBACK_DB is not set (relative to the working directory). */
export const DEFAULT_FEEDBACK_DB = 'data/feedback.sqlite'

export interface SqliteFeedbackSink extends FeedbackSink {
  /** Path as opened (`:memory:` for a transient store). */
  readonly path: string
  report(options?: ReportOptions): FeedbackReport
  /** Every stored outcome, oldest first (for inspection and tests). */
  outcomes(): StoredOutcome[]
  close(): void
}

/**
 * Version 2 added the client (`iss`, `tenant`) to both tables: cards are issued to a client and
 * take feedback from that client only. Older files are migrated in place at open; their cards
 * have no client, so they take no new feedback (their uuids are no longer issued anyway).
 */
const SCHEMA_VERSION = 2

const SCHEMA = `
CREATE TABLE IF NOT EXISTS issued_cards (
  uuid TEXT PRIMARY KEY,
  service TEXT NOT NULL,
  finding_kind TEXT NOT NULL,
  category TEXT,
  model_name TEXT,
  model_version TEXT,
  observation_ref TEXT NOT NULL,
  suggestion_uuid TEXT,
  first_issued TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outcomes (
  id INTEGER PRIMARY KEY,
  feedback_key TEXT NOT NULL UNIQUE,
  service TEXT NOT NULL,
  card_uuid TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'overridden')),
  override_reason_code TEXT,
  override_reason_system TEXT,
  accepted_suggestions TEXT NOT NULL DEFAULT '[]',
  has_user_comment INTEGER NOT NULL DEFAULT 0,
  outcome_timestamp TEXT NOT NULL,
  received_at TEXT NOT NULL,
  finding_kind TEXT,
  category TEXT,
  model_name TEXT,
  model_version TEXT,
  observation_ref TEXT
);
CREATE INDEX IF NOT EXISTS outcomes_card ON outcomes (card_uuid);
CREATE INDEX IF NOT EXISTS outcomes_time ON outcomes (outcome_timestamp);
`

/** Columns added by version 2, per table (ALTER TABLE ... ADD COLUMN when missing). */
const CLIENT_COLUMNS = ['iss TEXT', "tenant TEXT NOT NULL DEFAULT ''"]

/**
 * The outcome's facts, falling back to the issued card for outcomes stored before their card
 * was registered (stores of version 1).
 */
const OUTCOME_VIEW = `
SELECT o.*,
  COALESCE(o.finding_kind, c.finding_kind) AS kind,
  COALESCE(o.category, c.category) AS cat,
  COALESCE(o.model_name, c.model_name) AS mname,
  COALESCE(o.model_version, c.model_version) AS mversion,
  COALESCE(o.observation_ref, c.observation_ref) AS obs
FROM outcomes o LEFT JOIN issued_cards c ON c.uuid = o.card_uuid
`

/** Creates the tables, or brings an older store to {@link SCHEMA_VERSION}. */
function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number
  if (version >= SCHEMA_VERSION) return
  db.transaction(() => {
    db.exec(SCHEMA)
    for (const table of ['issued_cards', 'outcomes']) {
      const columns = new Set(
        (db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name)
      )
      for (const column of CLIENT_COLUMNS) {
        if (!columns.has(column.split(' ')[0]!))
          db.exec(`ALTER TABLE ${table} ADD COLUMN ${column}`)
      }
    }
    db.pragma(`user_version = ${SCHEMA_VERSION}`)
  })()
}

/**
 * Opens (creating when needed) the feedback store at `path`. The parent directory is created.
 * `:memory:` gives a store that is lost on close; callers must choose it explicitly.
 */
export function openSqliteFeedbackSink(
  path: string,
  logger: Logger,
  options: { now?: () => Date } = {}
): SqliteFeedbackSink {
  const now = options.now ?? (() => new Date())
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path)
  // WAL: the report script can read while the service writes.
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('busy_timeout = 5000')
  migrate(db)

  // Prepared once; better-sqlite3 statements are reusable and synchronous.
  const insertCard = db.prepare(`
    INSERT INTO issued_cards (uuid, iss, tenant, service, finding_kind, category, model_name,
      model_version, observation_ref, suggestion_uuid, first_issued)
    VALUES (@uuid, @iss, @tenant, @service, @findingKind, @category, @modelName, @modelVersion,
      @observationRef, @suggestionUuid, @firstIssued)
    ON CONFLICT (uuid) DO NOTHING`)
  const selectCard = db.prepare<[string], IssuedRow>('SELECT * FROM issued_cards WHERE uuid = ?')
  const insertOutcome = db.prepare(`
    INSERT OR IGNORE INTO outcomes (feedback_key, service, iss, tenant, card_uuid, outcome,
      override_reason_code, override_reason_system, accepted_suggestions, has_user_comment,
      outcome_timestamp, received_at, finding_kind, category, model_name, model_version,
      observation_ref)
    VALUES (@key, @service, @iss, @tenant, @card, @outcome, @reasonCode, @reasonSystem,
      @accepted, @hasComment, @outcomeTimestamp, @receivedAt, @findingKind, @category,
      @modelName, @modelVersion, @observationRef)`)
  const selectOutcomes = db.prepare<[], OutcomeRow>(`${OUTCOME_VIEW} ORDER BY o.id`)
  const selectOutcomesSince = db.prepare<[string], OutcomeRow>(
    `${OUTCOME_VIEW} WHERE o.outcome_timestamp >= ? ORDER BY o.id`
  )

  const registerCards = db.transaction(
    (serviceId: string, client: FeedbackClient, cards: CardMeta[]) => {
      const firstIssued = now().toISOString()
      for (const meta of cards) {
        insertCard.run({
          uuid: meta.uuid,
          iss: client.iss,
          tenant: client.tenant ?? '',
          service: serviceId,
          findingKind: meta.findingKind,
          category: meta.category ?? null,
          modelName: meta.modelName ?? null,
          modelVersion: meta.modelVersion ?? null,
          observationRef: meta.observationRef,
          suggestionUuid: meta.suggestionUuid ?? null,
          firstIssued,
        })
      }
    }
  )

  const storeOutcomes = db.transaction(
    (serviceId: string, client: FeedbackClient, items: FeedbackItem[]) => {
      const receivedAt = now().toISOString()
      const stored: FeedbackRecord[] = []
      const notIssued: number[] = []
      items.forEach((item, index) => {
        const card = selectCard.get(item.card)
        if (
          !card ||
          card.iss === null ||
          !sameClient({ iss: card.iss, tenant: card.tenant }, client)
        )
          return void notIssued.push(index)
        const finding = toMeta(card)
        const reason = item.overrideReason?.reason
        const result = insertOutcome.run({
          key: feedbackKey(serviceId, client, item),
          service: serviceId,
          iss: client.iss,
          tenant: client.tenant ?? '',
          card: item.card,
          outcome: item.outcome,
          reasonCode: reason?.code ?? null,
          reasonSystem: reason?.system ?? null,
          accepted: JSON.stringify((item.acceptedSuggestions ?? []).map((s) => s.id)),
          // Whether a comment was given, never its text: free text can hold PHI.
          hasComment: item.overrideReason?.userComment?.trim() ? 1 : 0,
          outcomeTimestamp: utcTimestamp(item.outcomeTimestamp),
          receivedAt,
          findingKind: finding.findingKind,
          category: finding.category ?? null,
          modelName: finding.modelName ?? null,
          modelVersion: finding.modelVersion ?? null,
          observationRef: finding.observationRef,
        })
        if (result.changes === 1) stored.push({ ...item, serviceId, client, finding })
      })
      return { stored, notIssued }
    }
  )

  return {
    path,
    async cardsIssued(serviceId, client, cards) {
      if (cards.length > 0) registerCards(serviceId, client, cards)
    },
    async record(serviceId, client, items) {
      const { stored, notIssued } = storeOutcomes(serviceId, client, items)
      // Logged after commit, so a logged outcome is a stored one.
      for (const record of stored) logOutcome(logger, record)
      return {
        stored: stored.length,
        duplicates: items.length - stored.length - notIssued.length,
        notIssued,
      }
    },
    report(reportOptions = {}) {
      const rows = reportOptions.since
        ? selectOutcomesSince.iterate(utcTimestamp(reportOptions.since))
        : selectOutcomes.iterate()
      return buildReport(mapRows(rows, reportInput))
    },
    outcomes: () => selectOutcomes.all().map(toStoredOutcome),
    close: () => {
      if (db.open) db.close()
    },
  }
}

function* mapRows<T, U>(rows: Iterable<T>, map: (row: T) => U): Iterable<U> {
  for (const row of rows) yield map(row)
}

/**
 * Reads the report from a store file without writing to it (read-only; the service may be
 * running and writing at the same time, which WAL allows).
 * @throws when the file does not exist or is not a feedback store
 */
export function readFeedbackReport(path: string, options: ReportOptions = {}): FeedbackReport {
  const db = new Database(path, { readonly: true, fileMustExist: true })
  try {
    const sql = `${OUTCOME_VIEW}${options.since ? ' WHERE o.outcome_timestamp >= ?' : ''}`
    const rows = db
      .prepare<unknown[], OutcomeRow>(sql)
      .iterate(...(options.since ? [utcTimestamp(options.since)] : []))
    return buildReport(mapRows(rows, reportInput))
  } finally {
    db.close()
  }
}

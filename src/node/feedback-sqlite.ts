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
import { feedbackKey, logOutcome, type FeedbackItem, type FeedbackSink } from '../feedback'
import type { CardMeta } from '../cards/types'
import type { FindingKind } from '../clinical/types'
import type { Logger } from '../log'

/** Where feedback is stored when CDS_FEEDBACK_DB is not set (relative to the working directory). */
export const DEFAULT_FEEDBACK_DB = 'data/feedback.sqlite'

/** One stored outcome as read back (no comment text: only whether there was one). */
export interface StoredOutcome {
  service: string
  card: string
  outcome: 'accepted' | 'overridden'
  overrideReasonCode?: string
  overrideReasonSystem?: string
  acceptedSuggestions: string[]
  hasUserComment: boolean
  outcomeTimestamp: string
  receivedAt: string
  findingKind?: string
  category?: string
  modelName?: string
  modelVersion?: string
  observationRef?: string
}

/** Acceptance and override counts for one group (a finding kind, a category, a model version). */
export interface ReportRow {
  /** The group's value; `(unknown)` when the card was never registered, `(none)` for no value. */
  key: string
  total: number
  accepted: number
  overridden: number
  /** accepted / total, 0..1 (0 when total is 0). */
  acceptedRate: number
  overriddenRate: number
  /** Most frequent override reason codes, most frequent first (at most 3). */
  topOverrideReasons: { code: string; system?: string; count: number }[]
}

export interface FeedbackReport {
  total: number
  accepted: number
  overridden: number
  /** Outcomes whose card this store never saw issued (so no kind, category or model). */
  unknownCards: number
  byFindingKind: ReportRow[]
  byCategory: ReportRow[]
  /** Keyed `model-name model-version`. */
  byModelVersion: ReportRow[]
}

export interface ReportOptions {
  /** Only outcomes at or after this ISO timestamp (outcomeTimestamp). */
  since?: string
}

export interface SqliteFeedbackSink extends FeedbackSink {
  /** Path as opened (`:memory:` for a transient store). */
  readonly path: string
  report(options?: ReportOptions): FeedbackReport
  /** Every stored outcome, oldest first (for inspection and tests). */
  outcomes(): StoredOutcome[]
  close(): void
}

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

/**
 * The outcome's facts, falling back to the issued card for outcomes stored before their card
 * was registered (another instance issued it, or the feedback raced the card).
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

interface IssuedRow {
  uuid: string
  finding_kind: string
  category: string | null
  model_name: string | null
  model_version: string | null
  observation_ref: string
  suggestion_uuid: string | null
}

interface OutcomeRow {
  service: string
  card_uuid: string
  outcome: 'accepted' | 'overridden'
  override_reason_code: string | null
  override_reason_system: string | null
  accepted_suggestions: string
  has_user_comment: number
  outcome_timestamp: string
  received_at: string
  kind: string | null
  cat: string | null
  mname: string | null
  mversion: string | null
  obs: string | null
}

const TOP_REASONS = 3

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
  db.exec(SCHEMA)

  // Prepared once; better-sqlite3 statements are reusable and synchronous.
  const insertCard = db.prepare(`
    INSERT INTO issued_cards (uuid, service, finding_kind, category, model_name, model_version,
      observation_ref, suggestion_uuid, first_issued)
    VALUES (@uuid, @service, @findingKind, @category, @modelName, @modelVersion,
      @observationRef, @suggestionUuid, @firstIssued)
    ON CONFLICT (uuid) DO NOTHING`)
  const selectCard = db.prepare<[string], IssuedRow>('SELECT * FROM issued_cards WHERE uuid = ?')
  const insertOutcome = db.prepare(`
    INSERT OR IGNORE INTO outcomes (feedback_key, service, card_uuid, outcome,
      override_reason_code, override_reason_system, accepted_suggestions, has_user_comment,
      outcome_timestamp, received_at, finding_kind, category, model_name, model_version,
      observation_ref)
    VALUES (@key, @service, @card, @outcome, @reasonCode, @reasonSystem, @accepted,
      @hasComment, @outcomeTimestamp, @receivedAt, @findingKind, @category, @modelName,
      @modelVersion, @observationRef)`)
  const selectOutcomes = db.prepare<[], OutcomeRow>(`${OUTCOME_VIEW} ORDER BY o.id`)
  const selectOutcomesSince = db.prepare<[string], OutcomeRow>(
    `${OUTCOME_VIEW} WHERE o.outcome_timestamp >= ? ORDER BY o.id`
  )

  const registerCards = db.transaction((serviceId: string, cards: CardMeta[]) => {
    const firstIssued = now().toISOString()
    for (const meta of cards) {
      insertCard.run({
        uuid: meta.uuid,
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
  })

  const storeOutcomes = db.transaction((serviceId: string, items: FeedbackItem[]) => {
    const receivedAt = now().toISOString()
    const stored: { item: FeedbackItem; finding: CardMeta | undefined }[] = []
    for (const item of items) {
      const finding = toMeta(selectCard.get(item.card))
      const reason = item.overrideReason?.reason
      const result = insertOutcome.run({
        key: feedbackKey(serviceId, item),
        service: serviceId,
        card: item.card,
        outcome: item.outcome,
        reasonCode: reason?.code ?? null,
        reasonSystem: reason?.system ?? null,
        accepted: JSON.stringify((item.acceptedSuggestions ?? []).map((s) => s.id)),
        // Whether a comment was given, never its text: free text can hold PHI.
        hasComment: item.overrideReason?.userComment?.trim() ? 1 : 0,
        outcomeTimestamp: utcTimestamp(item.outcomeTimestamp),
        receivedAt,
        findingKind: finding?.findingKind ?? null,
        category: finding?.category ?? null,
        modelName: finding?.modelName ?? null,
        modelVersion: finding?.modelVersion ?? null,
        observationRef: finding?.observationRef ?? null,
      })
      if (result.changes === 1) stored.push({ item, finding })
    }
    return stored
  })

  return {
    path,
    async cardsIssued(serviceId, cards) {
      if (cards.length > 0) registerCards(serviceId, cards)
    },
    async record(serviceId, items) {
      const stored = storeOutcomes(serviceId, items)
      // Logged after commit, so a logged outcome is a stored one.
      for (const { item, finding } of stored) {
        logOutcome(logger, { ...item, serviceId, ...(finding ? { finding } : {}) })
      }
      return { stored: stored.length, duplicates: items.length - stored.length }
    },
    report(reportOptions = {}) {
      const rows = reportOptions.since
        ? selectOutcomesSince.all(utcTimestamp(reportOptions.since))
        : selectOutcomes.all()
      return buildReport(rows)
    },
    outcomes: () => selectOutcomes.all().map(toStoredOutcome),
    close: () => {
      if (db.open) db.close()
    },
  }
}

/** UTC ISO form, so `since` filters compare like with like whatever offset the client sent. */
function utcTimestamp(value: string): string {
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? value : new Date(ms).toISOString()
}

function toMeta(row: IssuedRow | undefined): CardMeta | undefined {
  if (!row) return undefined
  return {
    uuid: row.uuid,
    findingKind: row.finding_kind as FindingKind,
    observationRef: row.observation_ref,
    ...(row.category !== null ? { category: row.category } : {}),
    ...(row.model_name !== null ? { modelName: row.model_name } : {}),
    ...(row.model_version !== null ? { modelVersion: row.model_version } : {}),
    ...(row.suggestion_uuid !== null ? { suggestionUuid: row.suggestion_uuid } : {}),
  }
}

function toStoredOutcome(row: OutcomeRow): StoredOutcome {
  const optional = (value: string | null) => value ?? undefined
  const out: StoredOutcome = {
    service: row.service,
    card: row.card_uuid,
    outcome: row.outcome,
    acceptedSuggestions: JSON.parse(row.accepted_suggestions) as string[],
    hasUserComment: row.has_user_comment === 1,
    outcomeTimestamp: row.outcome_timestamp,
    receivedAt: row.received_at,
  }
  const fields = {
    overrideReasonCode: optional(row.override_reason_code),
    overrideReasonSystem: optional(row.override_reason_system),
    findingKind: optional(row.kind),
    category: optional(row.cat),
    modelName: optional(row.mname),
    modelVersion: optional(row.mversion),
    observationRef: optional(row.obs),
  }
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) (out as unknown as Record<string, unknown>)[key] = value
  }
  return out
}

const UNKNOWN = '(unknown)'
const NONE = '(none)'

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
      .all(...(options.since ? [utcTimestamp(options.since)] : []))
    return buildReport(rows)
  } finally {
    db.close()
  }
}

/**
 * Groups outcomes into rates. Done in TypeScript over the rows rather than in SQL: the volumes
 * are clinician clicks (thousands, not millions) and the top-reasons-per-group step is clearer.
 */
function buildReport(rows: OutcomeRow[]): FeedbackReport {
  const known = (row: OutcomeRow) => row.kind !== null
  const group = (keyOf: (row: OutcomeRow) => string) => {
    const groups = new Map<string, OutcomeRow[]>()
    for (const row of rows) {
      const key = keyOf(row)
      groups.set(key, [...(groups.get(key) ?? []), row])
    }
    return [...groups.entries()]
      .map(([key, members]) => reportRow(key, members))
      .sort((a, b) => b.total - a.total || a.key.localeCompare(b.key))
  }
  return {
    total: rows.length,
    accepted: rows.filter((r) => r.outcome === 'accepted').length,
    overridden: rows.filter((r) => r.outcome === 'overridden').length,
    unknownCards: rows.filter((r) => !known(r)).length,
    byFindingKind: group((r) => r.kind ?? UNKNOWN),
    byCategory: group((r) => (known(r) ? (r.cat ?? NONE) : UNKNOWN)),
    byModelVersion: group((r) =>
      known(r) ? `${r.mname ?? NONE} ${r.mversion ?? NONE}`.trim() : UNKNOWN
    ),
  }
}

function reportRow(key: string, rows: OutcomeRow[]): ReportRow {
  const accepted = rows.filter((r) => r.outcome === 'accepted').length
  const overridden = rows.filter((r) => r.outcome === 'overridden').length
  const reasons = new Map<string, { code: string; system?: string; count: number }>()
  for (const row of rows) {
    if (row.outcome !== 'overridden') continue
    const code = row.override_reason_code ?? NONE
    const id = `${row.override_reason_system ?? ''}|${code}`
    const entry = reasons.get(id) ?? {
      code,
      ...(row.override_reason_system ? { system: row.override_reason_system } : {}),
      count: 0,
    }
    entry.count++
    reasons.set(id, entry)
  }
  const total = rows.length
  return {
    key,
    total,
    accepted,
    overridden,
    acceptedRate: total ? accepted / total : 0,
    overriddenRate: total ? overridden / total : 0,
    topOverrideReasons: [...reasons.values()]
      .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code))
      .slice(0, TOP_REASONS),
  }
}

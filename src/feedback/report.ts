/**
 * @module feedback/report
 * Acceptance and override rates from stored outcomes, by finding kind, category and model version
 * (a version whose override rate climbs is the drift signal a radiology AI team watches). Shared by
 * every store (SQLite, PostgreSQL); one pass over the rows, so 40 000 outcomes cost 40 000 steps.
 */

/** One stored outcome as the report reads it: `null` where the card's facts are unknown. */
export interface ReportInput {
  outcome: 'accepted' | 'overridden'
  findingKind: string | null
  category: string | null
  modelName: string | null
  modelVersion: string | null
  reasonCode: string | null
  reasonSystem: string | null
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

const UNKNOWN = '(unknown)'
const NONE = '(none)'
const TOP_REASONS = 3

/** Counts of one group as they accumulate. */
interface Tally {
  accepted: number
  overridden: number
  reasons: Map<string, { code: string; system?: string; count: number }>
}

/** UTC ISO form, so `since` filters compare like with like whatever offset the client sent. */
export function utcTimestamp(value: string): string {
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? value : new Date(ms).toISOString()
}

/** Groups outcomes into rates in one pass over `rows`. */
export function buildReport(rows: Iterable<ReportInput>): FeedbackReport {
  const groups = {
    byFindingKind: new Map<string, Tally>(),
    byCategory: new Map<string, Tally>(),
    byModelVersion: new Map<string, Tally>(),
  }
  let total = 0
  let unknownCards = 0
  for (const row of rows) {
    total++
    const known = row.findingKind !== null
    if (!known) unknownCards++
    add(groups.byFindingKind, row.findingKind ?? UNKNOWN, row)
    add(groups.byCategory, known ? (row.category ?? NONE) : UNKNOWN, row)
    const model = `${row.modelName ?? NONE} ${row.modelVersion ?? NONE}`.trim()
    add(groups.byModelVersion, known ? model : UNKNOWN, row)
  }
  const rowsOf = (tallies: Map<string, Tally>) =>
    [...tallies.entries()]
      .map(([key, tally]) => reportRow(key, tally))
      .sort((a, b) => b.total - a.total || a.key.localeCompare(b.key))
  // Every outcome is in exactly one finding-kind group: its totals are the report's.
  const kinds = [...groups.byFindingKind.values()]
  return {
    total,
    accepted: kinds.reduce((sum, t) => sum + t.accepted, 0),
    overridden: kinds.reduce((sum, t) => sum + t.overridden, 0),
    unknownCards,
    byFindingKind: rowsOf(groups.byFindingKind),
    byCategory: rowsOf(groups.byCategory),
    byModelVersion: rowsOf(groups.byModelVersion),
  }
}

function add(tallies: Map<string, Tally>, key: string, row: ReportInput): void {
  let tally = tallies.get(key)
  if (!tally) {
    tally = { accepted: 0, overridden: 0, reasons: new Map() }
    tallies.set(key, tally)
  }
  if (row.outcome === 'accepted') {
    tally.accepted++
    return
  }
  tally.overridden++
  const code = row.reasonCode ?? NONE
  const id = `${row.reasonSystem ?? ''}|${code}`
  const reason = tally.reasons.get(id)
  if (reason) reason.count++
  else
    tally.reasons.set(id, {
      code,
      ...(row.reasonSystem ? { system: row.reasonSystem } : {}),
      count: 1,
    })
}

function reportRow(key: string, tally: Tally): ReportRow {
  const total = tally.accepted + tally.overridden
  return {
    key,
    total,
    accepted: tally.accepted,
    overridden: tally.overridden,
    acceptedRate: total ? tally.accepted / total : 0,
    overriddenRate: total ? tally.overridden / total : 0,
    topOverrideReasons: [...tally.reasons.values()]
      .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code))
      .slice(0, TOP_REASONS),
  }
}

/**
 * @module scripts/feedback-report
 * Prints the feedback store's acceptance and override rates as tables: by finding kind, by
 * category and by model version (a version whose override rate climbs is the drift signal a
 * radiology AI team watches). Reads the SQLite file read-only, or PostgreSQL with one SELECT, so
 * it is safe while the service runs.
 *
 *   npm run feedback:report [-- --db data/feedback.sqlite | postgres://...] [--since 2026-11-01] [--json]
 */
import { existsSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { DEFAULT_FEEDBACK_DB, readFeedbackReport } from '../src/node/feedback-sqlite'
import { isPostgresUrl, readPostgresFeedbackReport } from '../src/node/feedback-postgres'
import { redactUrl } from '../src/log/redact-url'
import type { FeedbackReport, ReportRow } from '../src/feedback/report'
import { stripControls } from '../src/text/index'

const usage = `Usage: npm run feedback:report -- [--db <path or postgres:// URL>, default CDS_FEEDBACK_DB or ${DEFAULT_FEEDBACK_DB}]
  [--since <ISO date: only outcomes at or after it>] [--json]`

const percent = (rate: number) => `${(rate * 100).toFixed(1)} %`

function table(title: string, keyHeader: string, rows: ReportRow[]): string {
  const header = [keyHeader, 'outcomes', 'accepted', 'overridden', 'top override reasons']
  // Keys and reason codes are stored client and producer text: no control or bidi character
  // reaches the operator's terminal (ESC and BEL sequences act on it).
  const body = rows.map((r) => [
    stripControls(r.key),
    String(r.total),
    percent(r.acceptedRate),
    percent(r.overriddenRate),
    r.topOverrideReasons.map((x) => `${stripControls(x.code)} (${x.count})`).join(', ') || '-',
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)))
  // Key and reasons read left to right; the numbers line up on the right.
  const line = (cells: string[]) =>
    cells
      .map((cell, i) =>
        i === 0 || i === cells.length - 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)
      )
      .join('  ')
      .trimEnd()
  return [
    title,
    `  ${line(header)}`,
    `  ${widths.map((w) => '-'.repeat(w)).join('  ')}`,
    ...(body.length ? body.map((row) => `  ${line(row)}`) : ['  (no outcomes)']),
  ].join('\n')
}

/** The report as plain-text tables (shared with the demo). */
export function formatFeedbackReport(report: FeedbackReport, source?: string): string {
  const head =
    `Card feedback: ${report.total} outcome${report.total === 1 ? '' : 's'} ` +
    `(${report.accepted} accepted, ${report.overridden} overridden)` +
    (source ? ` in ${stripControls(source)}` : '')
  const unknown = report.unknownCards
    ? `\n${report.unknownCards} outcome(s) are about cards this store never saw issued: shown as (unknown).`
    : ''
  return [
    head + unknown,
    table('By finding kind', 'finding kind', report.byFindingKind),
    table('By category (Lung-RADS / Fleischner)', 'category', report.byCategory),
    table('By AI model version', 'model version', report.byModelVersion),
  ].join('\n\n')
}

/**
 * What the script prints: the tables, or JSON. Either way no control or bidi character from a
 * stored string reaches the terminal (JSON escapes C0 controls itself; C1 and bidi are removed).
 */
export function renderFeedbackReport(
  report: FeedbackReport,
  options: { json?: boolean; source?: string } = {}
): string {
  return options.json
    ? stripControls(JSON.stringify(report, null, 2), true)
    : formatFeedbackReport(report, options.source)
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      db: { type: 'string' },
      since: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    console.log(usage)
    return 0
  }
  const path = values.db ?? (process.env.CDS_FEEDBACK_DB?.trim() || DEFAULT_FEEDBACK_DB)
  const postgres = isPostgresUrl(path)
  if (!postgres && (path === ':memory:' || !existsSync(path))) {
    console.error(`No feedback store at ${path}. Pass --db <path> (the service's CDS_FEEDBACK_DB).`)
    console.error(usage)
    return 1
  }
  if (values.since !== undefined && Number.isNaN(Date.parse(values.since))) {
    console.error(`--since ${values.since} is not a date (use e.g. 2026-11-01)`)
    return 2
  }
  const since = values.since === undefined ? undefined : new Date(values.since).toISOString()
  const options = since ? { since } : {}
  const report = postgres
    ? await readPostgresFeedbackReport(path, options)
    : readFeedbackReport(path, options)
  const source = postgres ? redactUrl(path) : path
  console.log(renderFeedbackReport(report, { json: values.json, source }))
  return 0
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => {
      process.exitCode = code
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err)
      process.exitCode = 1
    }
  )
}

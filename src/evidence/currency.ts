/**
 * @module evidence/currency
 * Which AI results are current: the one place that says so (docs/architecture.md, "currency").
 *
 * - A resource whose status is `entered-in-error` or `cancelled` is withdrawn: it does not exist
 *   for the service, whatever still lists it.
 * - Of two reports on the same study from the same producer (a shared Device, else the same model
 *   name, else no producer named on either), the later-issued one replaces the earlier one when
 *   {@link REPLACES} says its status replaces the other's: a final, amended or corrected report
 *   replaces an earlier preliminary one; an amended or corrected report also replaces an earlier
 *   final (or earlier revision). Two finals, or a later preliminary, stand side by side: nothing
 *   says one withdrew the other, and a card may say more, never less.
 * - Reports without an `issued` time are never replaced and replace nothing.
 *
 * Callers group reports by study first (src/evidence/select.ts decides which study a report
 * belongs to, through `imagingStudy` or its findings), so "same study" is the caller's grouping.
 */
import type { DiagnosticReport } from 'fhir/r4'
import { readModelInfo } from '../clinical/reports'
import { refKey } from '../fhir/reference'

/** Statuses that withdraw a resource (DiagnosticReport, Observation, ServiceRequest alike). */
const WITHDRAWN: ReadonlySet<string> = new Set(['entered-in-error', 'cancelled'])

/** True for a resource withdrawn as entered-in-error or cancelled. */
export const isWithdrawn = (resource: { status?: string }) => WITHDRAWN.has(resource.status ?? '')

type ReportStatus = DiagnosticReport['status']

const PRELIMINARY: readonly ReportStatus[] = ['registered', 'partial', 'preliminary']
const ANY_RESULT: readonly ReportStatus[] = [
  ...PRELIMINARY,
  'final',
  'amended',
  'corrected',
  'appended',
]

/** For each status of a later report, the statuses of earlier reports it replaces. */
export const REPLACES: Readonly<Record<ReportStatus, readonly ReportStatus[]>> = {
  registered: [],
  partial: [],
  preliminary: [],
  final: PRELIMINARY,
  amended: ANY_RESULT,
  corrected: ANY_RESULT,
  appended: ANY_RESULT,
  cancelled: [],
  'entered-in-error': [],
  unknown: [],
}

/** What currency compares of a report, read once per report rather than once per pair. */
interface ReportFacts {
  report: DiagnosticReport
  devices: string[]
  /** Lower-cased model name. */
  name?: string
  issued: number
}

function reportFacts(report: DiagnosticReport): ReportFacts {
  const name = readModelInfo(report).name?.toLowerCase()
  const time = report.issued ? Date.parse(report.issued) : NaN
  return {
    report,
    devices: (report.performer ?? []).flatMap((r) => refKey(r, 'Device') ?? []),
    ...(name !== undefined && { name }),
    issued: Number.isNaN(time) ? NaN : time,
  }
}

/** Same producer: a shared Device, or the same model name, or no producer named on either. */
function sameProducer(a: ReportFacts, b: ReportFacts): boolean {
  if (a.devices.some((d) => b.devices.includes(d))) return true
  if (a.name && b.name) return a.name === b.name
  return !a.name && !b.name && a.devices.length === 0 && b.devices.length === 0
}

/** The statuses a report of `status` replaces; none for a status FHIR does not define. */
const replacedBy = (status: string): readonly string[] =>
  Object.hasOwn(REPLACES, status) ? REPLACES[status as ReportStatus] : []

function replaces(newer: ReportFacts, older: ReportFacts): boolean {
  if (newer === older || !(newer.issued > older.issued)) return false
  return replacedBy(newer.report.status).includes(older.report.status) && sameProducer(newer, older)
}

/**
 * The current reports of one study: withdrawn ones dropped, and each report that a later one
 * replaces (see the module comment) dropped. Input order is kept.
 */
export function currentReports(reports: readonly DiagnosticReport[]): DiagnosticReport[] {
  const standing = reports.filter((r) => !isWithdrawn(r))
  // A report alone on its study has nothing to be replaced by: its facts need not be read.
  if (standing.length < 2) return standing
  const facts = standing.map(reportFacts)
  // Only statuses that replace something can replace: few per study, so pairs stay few.
  const replacing = facts.filter((f) => replacedBy(f.report.status).length > 0)
  return facts.filter((f) => !replacing.some((newer) => replaces(newer, f))).map((f) => f.report)
}

/**
 * @module clinical/reports
 * AI DiagnosticReports: which are usable, which supersede which, and the AI model that produced
 * them (the model-metadata extension, else a contained or referenced Device).
 */
import type { DiagnosticReport, Device } from 'fhir/r4'
import { modelMetadataExtensionUrls } from './codes'
import { quantityFraction, referenceTo, subExtension } from './fhir-values'
import type { ModelInfo } from './types'

const withdrawn = new Set(['entered-in-error', 'cancelled'])
const revisions = new Set(['amended', 'corrected'])

/** False for reports withdrawn as entered-in-error or cancelled. */
export function reportIsUsable(report: DiagnosticReport | undefined): report is DiagnosticReport {
  return Boolean(report) && !withdrawn.has(report?.status ?? '')
}

/** The AI model of a report: the metadata extension first, a contained Device as a fallback. */
export function readModelInfo(report: DiagnosticReport | undefined): ModelInfo {
  const model: ModelInfo = {}
  const extension = report?.extension?.find((e) =>
    (modelMetadataExtensionUrls as readonly string[]).includes(e.url)
  )
  if (extension) {
    const text = (url: string) => subExtension(extension, url)?.valueString?.trim() || undefined
    const name = text('model-name')
    const version = text('model-version')
    const clearance = text('fda-clearance')
    const score = subExtension(extension, 'confidence-score')
    const confidence = quantityFraction(
      score?.valueDecimal ?? (score?.valueString ? Number(score.valueString) : undefined)
    )
    Object.assign(model, {
      ...(name && { name }),
      ...(version && { version }),
      ...(confidence !== undefined && { confidence }),
      ...(clearance && { clearance }),
    })
  }
  const device = performerDevice(report)
  const deviceName = device?.deviceName?.[0]?.name?.trim()
  const deviceVersion = device?.version?.[0]?.value?.trim()
  if (!model.name && deviceName) model.name = deviceName
  if (!model.version && deviceVersion) model.version = deviceVersion
  if (!model.name) {
    const display = report?.performer?.find((p) => referenceTo(p, 'Device'))?.display?.trim()
    if (display) model.name = display
  }
  return model
}

function performerDevice(report: DiagnosticReport | undefined): Device | undefined {
  const devices = (report?.contained ?? []).filter((r): r is Device => r.resourceType === 'Device')
  const byRef = devices.find((d) => report?.performer?.some((p) => p.reference === `#${d.id}`))
  return byRef ?? devices[0]
}

const studiesOf = (report: DiagnosticReport) =>
  (report.imagingStudy ?? []).flatMap((r) => referenceTo(r, 'ImagingStudy') ?? [])

const devicesOf = (report: DiagnosticReport) =>
  (report.performer ?? []).flatMap((r) => referenceTo(r, 'Device') ?? [])

/** What supersession compares of a report, read once per report rather than once per pair. */
interface ReportFacts {
  report: DiagnosticReport
  studies: string[]
  devices: string[]
  /** Lower-cased model name. */
  name?: string
  issued: number
  revision: boolean
}

function reportFacts(report: DiagnosticReport): ReportFacts {
  const name = readModelInfo(report).name?.toLowerCase()
  return {
    report,
    studies: studiesOf(report),
    devices: devicesOf(report),
    ...(name !== undefined && { name }),
    issued: issuedAt(report),
    revision: revisions.has(report.status),
  }
}

/** Same producer: a shared Device, or the same model name, or no producer named on either. */
function sameSource(a: ReportFacts, b: ReportFacts): boolean {
  if (a.devices.some((d) => b.devices.includes(d))) return true
  if (a.name && b.name) return a.name === b.name
  return !a.name && !b.name && a.devices.length === 0 && b.devices.length === 0
}

const issuedAt = (report: DiagnosticReport) => {
  const time = report.issued ? Date.parse(report.issued) : NaN
  return Number.isNaN(time) ? -Infinity : time
}

/** True when `newer` is an amendment or correction issued after `older` for the same study. */
function supersedes(newer: ReportFacts, older: ReportFacts): boolean {
  if (newer.report === older.report || !newer.revision) return false
  if (newer.issued <= older.issued) return false
  return newer.studies.some((s) => older.studies.includes(s)) && sameSource(newer, older)
}

/**
 * The usable reports that no later amended or corrected report replaces. A report is replaced
 * by an amended/corrected one with a later `issued`, for the same ImagingStudy and from the same
 * device or model. Input order is kept; reports without a study reference are never replaced.
 */
export function latestReports(reports: readonly DiagnosticReport[]): DiagnosticReport[] {
  const facts = reports.filter(reportIsUsable).map(reportFacts)
  // Only revisions supersede, and only within a shared study: grouping them by study first keeps
  // each report's comparisons to the few that could replace it.
  const revisionsByStudy = new Map<string, ReportFacts[]>()
  for (const f of facts) {
    if (!f.revision) continue
    for (const study of new Set(f.studies)) {
      const list = revisionsByStudy.get(study)
      if (list) list.push(f)
      else revisionsByStudy.set(study, [f])
    }
  }
  return facts
    .filter(
      (f) => !f.studies.some((s) => revisionsByStudy.get(s)?.some((newer) => supersedes(newer, f)))
    )
    .map((f) => f.report)
}

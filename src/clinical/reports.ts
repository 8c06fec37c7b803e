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

/** Same producer: a shared Device, or the same model name, or no producer named on either. */
function sameSource(a: DiagnosticReport, b: DiagnosticReport): boolean {
  const [devicesA, devicesB] = [devicesOf(a), devicesOf(b)]
  if (devicesA.some((d) => devicesB.includes(d))) return true
  const [nameA, nameB] = [
    readModelInfo(a).name?.toLowerCase(),
    readModelInfo(b).name?.toLowerCase(),
  ]
  if (nameA && nameB) return nameA === nameB
  return !nameA && !nameB && devicesA.length === 0 && devicesB.length === 0
}

const issuedAt = (report: DiagnosticReport) => {
  const time = report.issued ? Date.parse(report.issued) : NaN
  return Number.isNaN(time) ? -Infinity : time
}

/** True when `newer` is an amendment or correction issued after `older` for the same study. */
function supersedes(newer: DiagnosticReport, older: DiagnosticReport): boolean {
  if (newer === older || !revisions.has(newer.status)) return false
  if (issuedAt(newer) <= issuedAt(older)) return false
  const olderStudies = studiesOf(older)
  return studiesOf(newer).some((s) => olderStudies.includes(s)) && sameSource(newer, older)
}

/**
 * The usable reports that no later amended or corrected report replaces. A report is replaced
 * by an amended/corrected one with a later `issued`, for the same ImagingStudy and from the same
 * device or model. Input order is kept; reports without a study reference are never replaced.
 */
export function latestReports(reports: readonly DiagnosticReport[]): DiagnosticReport[] {
  const usable = reports.filter(reportIsUsable)
  return usable.filter((report) => !usable.some((other) => supersedes(other, report)))
}

/**
 * @module clinical/reports
 * The AI model that produced a DiagnosticReport: the model-metadata extension, else a contained
 * or referenced Device. Which reports are current is src/evidence/currency.ts's to say.
 */
import type { DiagnosticReport, Device } from 'fhir/r4'
import { modelMetadataExtensionUrls } from './codes'
import { refKey } from '../fhir/reference'
import { quantityFraction, subExtension } from './fhir-values'
import type { ModelInfo } from './types'

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
    const display = report?.performer?.find((p) => refKey(p, 'Device'))?.display?.trim()
    if (display) model.name = display
  }
  return model
}

function performerDevice(report: DiagnosticReport | undefined): Device | undefined {
  const devices = (report?.contained ?? []).filter((r): r is Device => r.resourceType === 'Device')
  const byRef = devices.find((d) => report?.performer?.some((p) => p.reference === `#${d.id}`))
  return byRef ?? devices[0]
}

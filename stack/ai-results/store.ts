/**
 * @module stack/ai-results/store
 * `storeAiResult(fhir, json)`: validates one AI run, resolves what it refers to (the ImagingStudy
 * by StudyInstanceUID, prior findings, the resources of an earlier run of the same model on the same
 * study) and writes everything as one FHIR transaction. Every check happens before the
 * transaction: bad input gets an `AiResultError` naming the field, and nothing is written.
 */
import type { Bundle, DiagnosticReport, Device, ImagingStudy, Observation } from 'fhir/r4'
import { studyIdentifier } from '../bridge/map'
import { search, tokenParam, transaction } from '../fhir'
import type { HttpClient } from '../http'
import {
  buildTransaction,
  deviceIdentifier,
  findingIdentifier,
  reportIdentifier,
  type Resolved,
} from './build'
import { AiResultError, parseAiResult, type AiResult } from './schema'

export interface StoredAiResult {
  outcome: 'created' | 'updated'
  diagnosticReport: string
  observations: string[]
  device: string
}

async function one<T extends Observation | DiagnosticReport | Device | ImagingStudy>(
  fhir: HttpClient,
  type: T['resourceType'],
  identifier: { system?: string; value?: string },
  field: string
): Promise<T | undefined> {
  const found = await search<T>(fhir, type, `identifier=${tokenParam(identifier)}`)
  if (found.length > 1) {
    throw new AiResultError(
      field,
      `${found.length} ${type} resources carry identifier ${identifier.value}; fix the data by hand`
    )
  }
  return found[0]
}

export async function storeAiResult(fhir: HttpClient, input: unknown): Promise<StoredAiResult> {
  const result = parseAiResult(input)
  const resolved = await resolve(fhir, result)
  const response = await transaction(fhir, buildTransaction(result, resolved))
  return summarise(response, resolved, result)
}

async function resolve(fhir: HttpClient, result: AiResult): Promise<Resolved> {
  const studyUid = result.study.studyInstanceUid
  const model = result.model.name
  const study = await one<ImagingStudy>(
    fhir,
    'ImagingStudy',
    studyIdentifier(studyUid),
    'study.studyInstanceUid'
  )
  if (!study?.id) {
    throw new AiResultError(
      'study.studyInstanceUid',
      `no ImagingStudy with identifier urn:oid:${studyUid} on the FHIR server (bridge the study first: npm run bridge)`
    )
  }
  if (!study.subject?.reference?.startsWith('Patient/')) {
    throw new AiResultError(
      'study.studyInstanceUid',
      `ImagingStudy/${study.id} has no Patient subject`
    )
  }

  // A key image must be an image of this study.
  result.findings.forEach((finding, index) => {
    const key = finding.keyImage
    if (!key || !study.series?.length) return
    const series = study.series.find((s) => s.uid === key.seriesInstanceUid)
    if (!series) {
      throw new AiResultError(
        `findings[${index}].keyImage.seriesInstanceUid`,
        `series ${key.seriesInstanceUid} is not in ImagingStudy/${study.id}`
      )
    }
    if (
      key.sopInstanceUid &&
      series.instance?.length &&
      !series.instance.some((i) => i.uid === key.sopInstanceUid)
    ) {
      throw new AiResultError(
        `findings[${index}].keyImage.sopInstanceUid`,
        `instance ${key.sopInstanceUid} is not in series ${key.seriesInstanceUid}`
      )
    }
  })

  const priorIds = new Map<string, string>()
  for (const [index, finding] of result.findings.entries()) {
    const prior = finding.prior
    if (!prior) continue
    const field = `findings[${index}].prior`
    const identifier = findingIdentifier(
      prior.studyInstanceUid,
      prior.model ?? model,
      prior.findingId
    )
    const observation = await one<Observation>(fhir, 'Observation', identifier, field)
    if (!observation?.id) {
      throw new AiResultError(field, `no finding Observation with identifier ${identifier.value}`)
    }
    if (observation.subject?.reference !== study.subject.reference) {
      throw new AiResultError(field, `the prior finding belongs to another patient than this study`)
    }
    priorIds.set(finding.id, observation.id)
  }

  const report = await one<DiagnosticReport>(
    fhir,
    'DiagnosticReport',
    reportIdentifier(studyUid, model),
    'model.name'
  )
  const device = await one<Device>(
    fhir,
    'Device',
    deviceIdentifier(model, result.model.version),
    'model'
  )
  const observationIds = new Map<string, string>()
  for (const [index, finding] of result.findings.entries()) {
    const existing = await one<Observation>(
      fhir,
      'Observation',
      findingIdentifier(studyUid, model, finding.id),
      `findings[${index}].id`
    )
    if (existing?.id) observationIds.set(finding.id, existing.id)
  }
  // Findings of the previous run that this run no longer reports.
  const kept = new Set(observationIds.values())
  const stale: Observation[] = []
  for (const ref of report?.result ?? []) {
    const id = ref.reference?.match(/^Observation\/([^/]+)$/)?.[1]
    if (!id || kept.has(id)) continue
    const { json } = await fhir.request('GET', `Observation/${encodeURIComponent(id)}`, {
      headers: { accept: 'application/fhir+json' },
      okStatuses: [200, 404, 410],
    })
    const old = json as Observation | undefined
    if (old?.resourceType === 'Observation' && old.status !== 'entered-in-error') {
      const { meta: _meta, ...rest } = old
      stale.push(rest)
    }
  }
  return {
    imagingStudy: study as ImagingStudy & { id: string },
    ...(report?.id ? { reportId: report.id } : {}),
    ...(device?.id ? { deviceId: device.id } : {}),
    observationIds,
    priorIds,
    stale,
  }
}

function summarise(response: Bundle, resolved: Resolved, result: AiResult): StoredAiResult {
  const locations = (response.entry ?? []).map((e, index) => {
    const status = e.response?.status ?? ''
    if (!/^2\d\d/.test(status)) {
      throw new Error(`The FHIR server refused transaction entry ${index}: ${status}`)
    }
    const fromResource = e.resource?.id ? `${e.resource.resourceType}/${e.resource.id}` : undefined
    return fromResource ?? e.response?.location?.split('/_history')[0] ?? ''
  })
  const n = result.findings.length
  return {
    outcome: resolved.reportId ? 'updated' : 'created',
    device: locations[0]!,
    observations: locations.slice(1, 1 + n),
    diagnosticReport: locations[1 + n]!,
  }
}

/**
 * @module stack/bridge/bridge
 * The DICOMweb-to-FHIR bridge: for each study a DICOMweb server lists (QIDO-RS: study, series,
 * instances; any conformant server, not only Orthanc), it finds the Patient by identifier (never
 * creating one), makes sure the server's Endpoint exists, and creates or updates the study's
 * ImagingStudy by its StudyInstanceUID identifier. A second run over unchanged data writes nothing.
 */
import type { ImagingStudy, Patient } from 'fhir/r4'
import { TAG, text, type DicomJson } from '../dicom-json'
import { search, tokenParam, upsertByIdentifier, type UpsertOutcome } from '../fhir'
import type { HttpClient } from '../http'
import {
  dicomWebEndpoint,
  ENDPOINT_IDENTIFIER_SYSTEM,
  studyIdentifier,
  toImagingStudy,
} from './map'

export interface BridgeOptions {
  dicomweb: HttpClient
  fhir: HttpClient
  /** The Endpoint address viewers and the service should use (default: the DICOMweb base URL). */
  endpointAddress?: string
  /** The identifier system of DICOM PatientID (0010,0020) at this site. */
  patientIdentifierSystem: string
  accessionSystem?: string
  timezone?: string
  log?: (line: string) => void
}

/** What happened to one study. */
export interface StudyResult {
  studyInstanceUid: string
  outcome: UpsertOutcome | 'no-patient' | 'ambiguous-patient' | 'failed'
  imagingStudyId?: string
  message?: string
}

/** Study-level attributes asked for beyond QIDO-RS's defaults (zone, procedure, description). */
const STUDY_FIELDS = [TAG.TimezoneOffsetFromUTC, TAG.ProcedureCodeSequence, TAG.StudyDescription]
const SERIES_FIELDS = [TAG.SeriesDescription, TAG.SeriesDate, TAG.SeriesTime]
const PAGE = 100
const DICOM_JSON = { accept: 'application/dicom+json' }

const includes = (tags: readonly string[]) => tags.map((t) => `includefield=${t}`).join('&')

async function qido(dicomweb: HttpClient, path: string): Promise<DicomJson[]> {
  const { json, status } = await dicomweb.request('GET', path, {
    headers: DICOM_JSON,
    okStatuses: [200, 204],
  })
  if (status === 204 || json === undefined) return []
  if (!Array.isArray(json)) throw new Error(`QIDO-RS ${path} did not answer a JSON array`)
  return json as DicomJson[]
}

/** Every StudyInstanceUID the DICOMweb server lists, page by page. */
export async function listStudies(dicomweb: HttpClient): Promise<string[]> {
  const uids: string[] = []
  for (let offset = 0; ; offset += PAGE) {
    const page = await qido(dicomweb, `studies?limit=${PAGE}&offset=${offset}`)
    for (const study of page) {
      const uid = text(study, TAG.StudyInstanceUID)
      if (uid) uids.push(uid)
    }
    if (page.length < PAGE) return uids
  }
}

/** Bridges every study the server lists; one failure does not stop the others. */
export async function bridgeAll(options: BridgeOptions): Promise<StudyResult[]> {
  const results: StudyResult[] = []
  for (const uid of await listStudies(options.dicomweb)) {
    results.push(await bridgeStudy(options, uid))
  }
  return results
}

/** Endpoint ids already ensured in this process, by address. */
const endpointIds = new WeakMap<HttpClient, Map<string, string>>()

async function ensureEndpoint(options: BridgeOptions): Promise<string> {
  const address = (options.endpointAddress ?? options.dicomweb.baseUrl).replace(/\/+$/, '')
  const known = endpointIds.get(options.fhir) ?? new Map<string, string>()
  endpointIds.set(options.fhir, known)
  const cached = known.get(address)
  if (cached) return cached
  const { id } = await upsertByIdentifier(options.fhir, dicomWebEndpoint(address), {
    system: ENDPOINT_IDENTIFIER_SYSTEM,
    value: address,
  })
  known.set(address, id)
  return id
}

/** Bridges one study. Never throws: failures come back as `failed` with the reason. */
export async function bridgeStudy(options: BridgeOptions, uid: string): Promise<StudyResult> {
  const log = options.log ?? (() => {})
  try {
    const result = await bridgeStudyOrThrow(options, uid)
    log(
      `${uid}: ${result.outcome}${result.message ? ` (${result.message})` : ''}${result.imagingStudyId ? ` ImagingStudy/${result.imagingStudyId}` : ''}`
    )
    return result
  } catch (err) {
    const message = (err as Error).message
    log(`${uid}: failed (${message})`)
    return { studyInstanceUid: uid, outcome: 'failed', message }
  }
}

async function bridgeStudyOrThrow(options: BridgeOptions, uid: string): Promise<StudyResult> {
  const { dicomweb, fhir } = options
  const u = encodeURIComponent(uid)
  const [study] = await qido(dicomweb, `studies?StudyInstanceUID=${u}&${includes(STUDY_FIELDS)}`)
  if (!study) return { studyInstanceUid: uid, outcome: 'failed', message: 'not found by QIDO-RS' }

  const patientId = text(study, TAG.PatientID)
  if (!patientId) {
    return { studyInstanceUid: uid, outcome: 'no-patient', message: 'the study has no PatientID' }
  }
  const identifier = { system: options.patientIdentifierSystem, value: patientId }
  const patients = await search<Patient>(fhir, 'Patient', `identifier=${tokenParam(identifier)}`)
  if (patients.length === 0) {
    return {
      studyInstanceUid: uid,
      outcome: 'no-patient',
      message: `no Patient with identifier ${identifier.system}|${patientId}; the bridge does not create patients`,
    }
  }
  if (patients.length > 1) {
    return {
      studyInstanceUid: uid,
      outcome: 'ambiguous-patient',
      message: `${patients.length} Patients carry identifier ${identifier.system}|${patientId}`,
    }
  }

  const seriesList = await qido(dicomweb, `studies/${u}/series?${includes(SERIES_FIELDS)}`)
  const series = []
  for (const s of seriesList) {
    const seriesUid = text(s, TAG.SeriesInstanceUID)
    if (!seriesUid) continue
    const instances = await qido(
      dicomweb,
      `studies/${u}/series/${encodeURIComponent(seriesUid)}/instances?includefield=${TAG.NumberOfFrames}`
    )
    series.push({ series: s, instances })
  }
  if (!study[TAG.ProcedureCodeSequence]) {
    // QIDO-RS servers may leave sequences out (Orthanc does): read it from one instance's metadata.
    const first = series.find((s) => s.instances.length > 0)
    const sop = first && text(first.instances[0]!, TAG.SOPInstanceUID)
    const seriesUid = first && text(first.series, TAG.SeriesInstanceUID)
    if (sop && seriesUid) {
      const [metadata] = await qido(
        dicomweb,
        `studies/${u}/series/${encodeURIComponent(seriesUid)}/instances/${encodeURIComponent(sop)}/metadata`
      )
      const procedure = metadata?.[TAG.ProcedureCodeSequence]
      if (procedure) study[TAG.ProcedureCodeSequence] = procedure
    }
  }
  const endpointId = await ensureEndpoint(options)
  const imagingStudy: ImagingStudy = toImagingStudy(
    { study, series },
    {
      patientReference: `Patient/${patients[0]!.id}`,
      endpointReference: `Endpoint/${endpointId}`,
      ...(options.accessionSystem ? { accessionSystem: options.accessionSystem } : {}),
      ...(options.timezone ? { timezone: options.timezone } : {}),
    }
  )
  const { id, outcome } = await upsertByIdentifier(fhir, imagingStudy, studyIdentifier(uid))
  return { studyInstanceUid: uid, outcome, imagingStudyId: id }
}

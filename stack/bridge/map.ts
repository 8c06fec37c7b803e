/**
 * @module stack/bridge/map
 * DICOM JSON (QIDO-RS study, series and instance answers) to the contract's FHIR R4 ImagingStudy
 * and its DICOMweb Endpoint. Pure: the caller gathers the QIDO answers and resolves the Patient.
 * Output order is deterministic (series by number then UID, instances likewise), so mapping the
 * same PACS content twice gives equal JSON and the bridge can tell "unchanged" from "changed".
 */
import type { Coding, Endpoint, ImagingStudy, ImagingStudySeries, Identifier } from 'fhir/r4'
import { dicomDateTime, integer, items, TAG, text, texts, type DicomJson } from '../dicom-json'

export const DICOM_UID_SYSTEM = 'urn:dicom:uid'
export const DCM_SYSTEM = 'http://dicom.nema.org/resources/ontology/DCM'
/** The system of the identifier the bridge gives each DICOMweb Endpoint (its address). */
export const ENDPOINT_IDENTIFIER_SYSTEM = 'urn:imaging-cds:dicomweb-endpoint'
const ENDPOINT_CONNECTION_TYPE: Coding = {
  system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type',
  code: 'dicom-wado-rs',
  display: 'DICOM WADO-RS',
}

/** DICOM coding scheme designators (PS3.16 8) with a FHIR system the service knows. */
const CODING_SCHEMES: Record<string, string> = {
  LN: 'http://loinc.org',
  SCT: 'http://snomed.info/sct',
  RADLEX: 'http://radlex.org',
  DCM: DCM_SYSTEM,
  C4: 'http://www.ama-assn.org/go/cpt',
  UCUM: 'http://unitsofmeasure.org',
}

/** One series as QIDO-RS returns it, with its instances. */
export interface QidoSeries {
  series: DicomJson
  instances: DicomJson[]
}

/** Everything QIDO-RS says about one study. */
export interface QidoStudy {
  study: DicomJson
  series: QidoSeries[]
}

export interface MapOptions {
  /** `Patient/{id}` of the matched patient. */
  patientReference: string
  /** `Endpoint/{id}` of the DICOMweb server the study was read from. */
  endpointReference: string
  /** System of the accession number identifier (site-specific; the identifier keeps its type). */
  accessionSystem?: string
  /** Zone for DICOM times that carry none (e.g. `+01:00`); without one, only dates are kept. */
  timezone?: string
}

/** `urn:oid:<uid>`, the contract's ImagingStudy identifier value. */
export const studyIdentifier = (studyInstanceUid: string): Identifier => ({
  system: DICOM_UID_SYSTEM,
  value: `urn:oid:${studyInstanceUid}`,
})

/** The Endpoint for a DICOMweb base URL, identified by that URL (so each server gets one). */
export function dicomWebEndpoint(address: string): Endpoint {
  return {
    resourceType: 'Endpoint',
    identifier: [{ system: ENDPOINT_IDENTIFIER_SYSTEM, value: address }],
    status: 'active',
    connectionType: ENDPOINT_CONNECTION_TYPE,
    name: `DICOMweb ${address}`,
    payloadType: [{ text: 'DICOM' }],
    payloadMimeType: ['application/dicom'],
    address,
  }
}

/**
 * @throws Error naming the missing attribute when the study has no StudyInstanceUID or a series
 *   or instance has no UID (QIDO-RS must return them; a study without them cannot be linked).
 */
export function toImagingStudy(qido: QidoStudy, options: MapOptions): ImagingStudy {
  const { study } = qido
  const uid = text(study, TAG.StudyInstanceUID)
  if (!uid) throw new Error('QIDO-RS study without StudyInstanceUID (0020000D)')
  const zone = text(study, TAG.TimezoneOffsetFromUTC) ?? options.timezone
  const series = qido.series.map((s) => toSeries(s, zone)).sort(bySeriesOrder)
  const instanceCount = series.reduce((n, s) => n + (s.numberOfInstances ?? 0), 0)
  const modalities = dedupe([
    ...texts(study, TAG.ModalitiesInStudy),
    ...series.map((s) => s.modality.code ?? ''),
  ])
  const accession = text(study, TAG.AccessionNumber)
  const started = dicomDateTime(text(study, TAG.StudyDate), text(study, TAG.StudyTime), zone)
  const description = text(study, TAG.StudyDescription)
  const procedureCode = items(study, TAG.ProcedureCodeSequence).flatMap((item) => {
    const coding = toCoding(item)
    return coding ? [{ coding: [coding], ...(coding.display ? { text: coding.display } : {}) }] : []
  })
  return {
    resourceType: 'ImagingStudy',
    identifier: [
      studyIdentifier(uid),
      ...(accession
        ? [
            {
              type: {
                coding: [
                  {
                    system: 'http://terminology.hl7.org/CodeSystem/v2-0203',
                    code: 'ACSN',
                    display: 'Accession ID',
                  },
                ],
              },
              ...(options.accessionSystem ? { system: options.accessionSystem } : {}),
              value: accession,
            },
          ]
        : []),
    ],
    status: 'available',
    ...(modalities.length
      ? { modality: modalities.map((code) => ({ system: DCM_SYSTEM, code })) }
      : {}),
    subject: { reference: options.patientReference },
    ...(started ? { started } : {}),
    endpoint: [{ reference: options.endpointReference }],
    numberOfSeries: series.length,
    numberOfInstances: instanceCount,
    ...(procedureCode.length ? { procedureCode } : {}),
    ...(description ? { description } : {}),
    ...(series.length ? { series } : {}),
  }
}

function toSeries({ series, instances }: QidoSeries, zone: string | undefined): ImagingStudySeries {
  const uid = text(series, TAG.SeriesInstanceUID)
  if (!uid) throw new Error('QIDO-RS series without SeriesInstanceUID (0020000E)')
  const number = integer(series, TAG.SeriesNumber)
  const description = text(series, TAG.SeriesDescription)
  const started = dicomDateTime(text(series, TAG.SeriesDate), text(series, TAG.SeriesTime), zone)
  const mapped = instances
    .map((instance) => {
      const sop = text(instance, TAG.SOPInstanceUID)
      if (!sop)
        throw new Error(`QIDO-RS instance of series ${uid} without SOPInstanceUID (00080018)`)
      const sopClass = text(instance, TAG.SOPClassUID)
      const n = integer(instance, TAG.InstanceNumber)
      return {
        uid: sop,
        // R4 requires sopClass; an instance without one is still listed, as "unknown".
        sopClass: sopClass
          ? { system: 'urn:ietf:rfc:3986', code: `urn:oid:${sopClass}` }
          : { system: 'urn:ietf:rfc:3986', code: 'urn:oid:unknown' },
        ...(n !== undefined ? { number: n } : {}),
      }
    })
    .sort(byNumberThenUid)
  return {
    uid,
    ...(number !== undefined ? { number } : {}),
    // Modality is type 1 in DICOM; a server that omits it still gets a valid R4 series ("OT").
    modality: { system: DCM_SYSTEM, code: text(series, TAG.Modality) ?? 'OT' },
    ...(description ? { description } : {}),
    // Instances, not frames: a multi-frame image is one instance.
    numberOfInstances: mapped.length,
    ...(started ? { started } : {}),
    ...(mapped.length ? { instance: mapped } : {}),
  }
}

/** A DICOM code sequence item as a FHIR Coding; schemes the service does not know keep no system. */
function toCoding(item: DicomJson): Coding | undefined {
  const code = text(item, TAG.CodeValue)
  const display = text(item, TAG.CodeMeaning)
  if (!code && !display) return undefined
  const system = CODING_SCHEMES[text(item, TAG.CodingSchemeDesignator)?.toUpperCase() ?? '']
  return {
    ...(system ? { system } : {}),
    ...(code ? { code } : {}),
    ...(display ? { display } : {}),
  }
}

/** Numbered before unnumbered, then by UID: the same order on every run. */
function byNumberThenUid(a: { number?: number; uid: string }, b: { number?: number; uid: string }) {
  const an = a.number ?? Number.POSITIVE_INFINITY
  const bn = b.number ?? Number.POSITIVE_INFINITY
  return an !== bn ? an - bn : a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0
}
const bySeriesOrder = byNumberThenUid

const dedupe = (values: string[]) => [...new Set(values.filter((v) => v !== ''))]

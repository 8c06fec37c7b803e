/**
 * @module stack/dicom-json
 * Reading DICOM JSON (PS3.18 F.2), the body of every QIDO-RS answer: objects keyed by the 8-hex
 * tag, each `{ vr, Value? }`. Plain functions over plain objects; no I/O.
 */

/** One attribute of a DICOM JSON object. */
export interface DicomAttribute {
  vr: string
  Value?: unknown[]
  InlineBinary?: string
  BulkDataURI?: string
}

/** One DICOM JSON object (a study, series or instance in a QIDO-RS answer). */
export type DicomJson = Record<string, DicomAttribute | undefined>

/** Tags read by the stack (PS3.6 keywords). */
export const TAG = {
  SOPClassUID: '00080016',
  SOPInstanceUID: '00080018',
  StudyDate: '00080020',
  SeriesDate: '00080021',
  StudyTime: '00080030',
  SeriesTime: '00080031',
  AccessionNumber: '00080050',
  Modality: '00080060',
  ModalitiesInStudy: '00080061',
  CodeValue: '00080100',
  CodingSchemeDesignator: '00080102',
  CodeMeaning: '00080104',
  TimezoneOffsetFromUTC: '00080201',
  StudyDescription: '00081030',
  ProcedureCodeSequence: '00081032',
  SeriesDescription: '0008103E',
  PatientName: '00100010',
  PatientID: '00100020',
  IssuerOfPatientID: '00100021',
  StudyInstanceUID: '0020000D',
  SeriesInstanceUID: '0020000E',
  SeriesNumber: '00200011',
  InstanceNumber: '00200013',
  NumberOfStudyRelatedSeries: '00201206',
  NumberOfStudyRelatedInstances: '00201208',
  NumberOfSeriesRelatedInstances: '00201209',
  NumberOfFrames: '00280008',
} as const

/** The first value of an attribute as trimmed text, or undefined when absent or empty. */
export function text(obj: DicomJson, tag: string): string | undefined {
  const value = obj[tag]?.Value?.[0]
  if (value === undefined || value === null) return undefined
  if (typeof value === 'object') {
    // PN: { Alphabetic: 'FAMILY^GIVEN' }
    const alphabetic = (value as { Alphabetic?: unknown }).Alphabetic
    return typeof alphabetic === 'string' && alphabetic.trim() ? alphabetic.trim() : undefined
  }
  const s = String(value).trim()
  return s === '' ? undefined : s
}

/** Every value of a multi-valued attribute as text (CS `ModalitiesInStudy`, for example). */
export function texts(obj: DicomJson, tag: string): string[] {
  return (obj[tag]?.Value ?? [])
    .map((v) => (typeof v === 'string' || typeof v === 'number' ? String(v).trim() : ''))
    .filter((v) => v !== '')
}

/** An IS/US/DS value as an integer, or undefined when absent or not a whole number. */
export function integer(obj: DicomJson, tag: string): number | undefined {
  const raw = obj[tag]?.Value?.[0]
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : NaN
  return Number.isInteger(n) ? n : undefined
}

/** The items of a sequence (SQ) attribute. */
export function items(obj: DicomJson, tag: string): DicomJson[] {
  return (obj[tag]?.Value ?? []).filter((v): v is DicomJson => typeof v === 'object' && v !== null)
}

/**
 * A DICOM DA (+ optional TM and timezone offset) as a FHIR dateTime. FHIR needs a zone whenever a
 * time is given, so without `TimezoneOffsetFromUTC` (or a configured zone) only the date is kept:
 * a wrong hour is worse than no hour.
 * @example dicomDateTime('20261116', '140500.000', '+0100') // '2026-11-16T14:05:00+01:00'
 */
export function dicomDateTime(
  date: string | undefined,
  time?: string,
  offset?: string
): string | undefined {
  const d = date?.match(/^(\d{4})(\d{2})(\d{2})$/)
  if (!d) return undefined
  const day = `${d[1]}-${d[2]}-${d[3]}`
  const zone = fhirZone(offset)
  const t = time?.match(/^(\d{2})(\d{2})?(\d{2})?/)
  if (!t || zone === undefined) return day
  return `${day}T${t[1]}:${t[2] ?? '00'}:${t[3] ?? '00'}${zone}`
}

/** `+0100` / `-0530` / `Z` / `+01:00` as FHIR's `+01:00`, `Z` for zero. */
function fhirZone(offset: string | undefined): string | undefined {
  if (!offset) return undefined
  if (offset === 'Z') return 'Z'
  const m = offset.match(/^([+-])(\d{2}):?(\d{2})$/)
  if (!m) return undefined
  return m[2] === '00' && m[3] === '00' ? 'Z' : `${m[1]}${m[2]}:${m[3]}`
}

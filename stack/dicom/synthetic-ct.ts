/**
 * @module stack/dicom/synthetic-ct
 * Synthetic chest CT studies written with dcmjs: a body with two lungs, optional structures (a
 * nodule, a contrast-filled artery with a filling defect) placed in millimetres, and on every image
 * a burned-in label "SERIES s IMAGE i/n" so a person can tell which image a viewer shows. UIDs are
 * derived from a seed, so the same spec always gives the same study (a rerun stores nothing new).
 */
import { createHash } from 'node:crypto'
import dcmjs from 'dcmjs'
import { burnText } from './font'

const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2'
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1'
const IMPLEMENTATION_CLASS_UID = uidFrom('imaging-cds synthetic ct implementation')
const ROWS = 320
const COLUMNS = 320
const PIXEL_SPACING_MM = 1.1
const INTERCEPT = -1024

/** A sphere (a nodule) or an axial cylinder running through every slice (a vessel). */
export interface Structure {
  shape: 'sphere' | 'cylinder'
  /** Centre in millimetres from the image centre: x to the patient's left, y posterior. */
  x: number
  y: number
  /** For spheres: the instance number of the slice through the centre. */
  slice?: number
  diameterMm: number
  hu: number
}

export interface SeriesSpec {
  number: number
  description: string
  slices: number
  sliceThicknessMm: number
  /** Display window (centre, width) in HU. */
  window: [number, number]
  structures?: Structure[]
}

export interface StudySpec {
  /** Makes every UID; the same seed gives the same study. */
  seed: string
  patient: { id: string; name: string; birthDate: string; sex: 'M' | 'F' | 'O' }
  accession: string
  /** DICOM DA and TM, UTC. */
  date: string
  time: string
  description: string
  procedure?: { code: string; scheme: string; meaning: string }
  series: SeriesSpec[]
}

export interface GeneratedStudy {
  studyInstanceUid: string
  series: { uid: string; number: number; instances: { uid: string; number: number }[] }[]
  /** DICOM Part 10 files, ready for STOW-RS. */
  files: Uint8Array[]
}

/** A DICOM UID under the UUID-derived root 2.25 (PS3.5 B.2), from a hash of `seed`. */
export function uidFrom(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex').slice(0, 32)
  return `2.25.${BigInt(`0x${hex}`) >> 1n}`
}

export function generateStudy(spec: StudySpec): GeneratedStudy {
  const studyUid = uidFrom(`${spec.seed}/study`)
  const frameOfReference = uidFrom(`${spec.seed}/frame-of-reference`)
  const out: GeneratedStudy = { studyInstanceUid: studyUid, series: [], files: [] }
  for (const series of spec.series) {
    const seriesUid = uidFrom(`${spec.seed}/series/${series.number}`)
    const instances: { uid: string; number: number }[] = []
    for (let n = 1; n <= series.slices; n++) {
      const sopUid = uidFrom(`${spec.seed}/series/${series.number}/instance/${n}`)
      instances.push({ uid: sopUid, number: n })
      const z = -(n - 1) * series.sliceThicknessMm
      const pixels = renderSlice(series, n)
      burnText(pixels, COLUMNS, `SERIES ${series.number} IMAGE ${n}/${series.slices}`, {
        x: 8,
        y: 8,
        scale: 2,
        value: 2000 - INTERCEPT,
      })
      const dataset: Record<string, unknown> = {
        _meta: {
          FileMetaInformationVersion: { Value: [new Uint8Array([0, 1]).buffer], vr: 'OB' },
          MediaStorageSOPClassUID: { Value: [CT_IMAGE_STORAGE], vr: 'UI' },
          MediaStorageSOPInstanceUID: { Value: [sopUid], vr: 'UI' },
          TransferSyntaxUID: { Value: [EXPLICIT_VR_LITTLE_ENDIAN], vr: 'UI' },
          ImplementationClassUID: { Value: [IMPLEMENTATION_CLASS_UID], vr: 'UI' },
        },
        _vrMap: { PixelData: 'OW' },
        SpecificCharacterSet: 'ISO_IR 100',
        ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
        SOPClassUID: CT_IMAGE_STORAGE,
        SOPInstanceUID: sopUid,
        StudyDate: spec.date,
        SeriesDate: spec.date,
        StudyTime: spec.time,
        SeriesTime: spec.time,
        TimezoneOffsetFromUTC: '+0000',
        AccessionNumber: spec.accession,
        Modality: 'CT',
        Manufacturer: 'imaging-cds synthetic CT (not a real scanner)',
        ReferringPhysicianName: '',
        StudyDescription: spec.description,
        SeriesDescription: series.description,
        ...(spec.procedure
          ? {
              ProcedureCodeSequence: [
                {
                  CodeValue: spec.procedure.code,
                  CodingSchemeDesignator: spec.procedure.scheme,
                  CodeMeaning: spec.procedure.meaning,
                },
              ],
            }
          : {}),
        PatientName: spec.patient.name,
        PatientID: spec.patient.id,
        PatientBirthDate: spec.patient.birthDate,
        PatientSex: spec.patient.sex,
        BurnedInAnnotation: 'YES',
        SliceThickness: series.sliceThicknessMm,
        KVP: 120,
        StudyInstanceUID: studyUid,
        SeriesInstanceUID: seriesUid,
        StudyID: spec.accession,
        SeriesNumber: series.number,
        InstanceNumber: n,
        ImagePositionPatient: [
          (-COLUMNS / 2) * PIXEL_SPACING_MM,
          (-ROWS / 2) * PIXEL_SPACING_MM,
          z,
        ],
        ImageOrientationPatient: [1, 0, 0, 0, 1, 0],
        FrameOfReferenceUID: frameOfReference,
        PositionReferenceIndicator: '',
        SliceLocation: z,
        SamplesPerPixel: 1,
        PhotometricInterpretation: 'MONOCHROME2',
        Rows: ROWS,
        Columns: COLUMNS,
        PixelSpacing: [PIXEL_SPACING_MM, PIXEL_SPACING_MM],
        BitsAllocated: 16,
        BitsStored: 16,
        HighBit: 15,
        PixelRepresentation: 0,
        WindowCenter: series.window[0],
        WindowWidth: series.window[1],
        RescaleIntercept: INTERCEPT,
        RescaleSlope: 1,
        RescaleType: 'HU',
        PixelData: [pixels.buffer],
      }
      out.files.push(new Uint8Array(dcmjs.data.datasetToBuffer(dataset)))
    }
    out.series.push({ uid: seriesUid, number: series.number, instances })
  }
  return out
}

/** Stored values (HU - intercept) of one axial slice. */
function renderSlice(series: SeriesSpec, instance: number): Uint16Array {
  const pixels = new Uint16Array(ROWS * COLUMNS)
  const z = (instance - 1) * series.sliceThicknessMm
  for (let row = 0; row < ROWS; row++) {
    const y = (row - ROWS / 2) * PIXEL_SPACING_MM
    for (let col = 0; col < COLUMNS; col++) {
      const x = (col - COLUMNS / 2) * PIXEL_SPACING_MM
      let hu = -1000 // air
      if (inEllipse(x, y, 0, 0, 150, 105)) hu = 40 // soft tissue
      if (inEllipse(x, y, -68, -5, 52, 78) || inEllipse(x, y, 68, -5, 52, 78)) hu = -860 // lungs
      if (inEllipse(x, y, 0, 55, 14, 14)) hu = 700 // spine
      for (const s of series.structures ?? []) {
        const r = s.diameterMm / 2
        if (s.shape === 'cylinder') {
          if (inEllipse(x, y, s.x, s.y, r, r)) hu = s.hu
        } else {
          const dz = z - ((s.slice ?? 1) - 1) * series.sliceThicknessMm
          const rr = r * r - dz * dz
          if (rr > 0 && (x - s.x) ** 2 + (y - s.y) ** 2 <= rr) hu = s.hu
        }
      }
      pixels[row * COLUMNS + col] = hu - INTERCEPT
    }
  }
  return pixels
}

const inEllipse = (x: number, y: number, cx: number, cy: number, rx: number, ry: number) =>
  ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1

/**
 * Stores files by STOW-RS (PS3.18 10.5): one multipart/related request per batch.
 * @throws Error when the server does not accept every instance
 */
export async function stowRs(
  dicomweb: string,
  files: Uint8Array[],
  headers: Record<string, string> = {}
): Promise<void> {
  const BATCH = 20
  for (let i = 0; i < files.length; i += BATCH) {
    const boundary = `imaging-cds-${createHash('sha1').update(String(Math.random())).digest('hex')}`
    const parts: Uint8Array[] = []
    for (const file of files.slice(i, i + BATCH)) {
      parts.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`))
      parts.push(file)
      parts.push(Buffer.from('\r\n'))
    }
    parts.push(Buffer.from(`--${boundary}--\r\n`))
    const response = await fetch(`${dicomweb.replace(/\/+$/, '')}/studies`, {
      method: 'POST',
      headers: {
        ...headers,
        accept: 'application/dicom+json',
        'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
      },
      body: Buffer.concat(parts),
    })
    const text = await response.text()
    if (!response.ok)
      throw new Error(`STOW-RS answered HTTP ${response.status}: ${text.slice(0, 300)}`)
    // 00081198 FailedSOPSequence lists what the server refused.
    const failed = (JSON.parse(text || '{}') as Record<string, { Value?: unknown[] }>)['00081198']
    if (failed?.Value?.length) throw new Error(`STOW-RS refused ${failed.Value.length} instance(s)`)
  }
}

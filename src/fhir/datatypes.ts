/**
 * @module fhir/datatypes
 * Small readers for FHIR datatypes the evidence and the cards share: the date part of a dateTime,
 * a study's DICOM StudyInstanceUID.
 */
import type { ImagingStudy } from 'fhir/r4'

/** The date part (YYYY-MM-DD) of a FHIR date or dateTime. */
export function datePart(value: string | undefined): string | undefined {
  const match = value?.match(/^\d{4}-\d{2}-\d{2}/)
  return match?.[0]
}

/** StudyInstanceUID from `ImagingStudy.identifier` (`urn:dicom:uid`, value `urn:oid:<uid>`). */
export function studyInstanceUid(study: ImagingStudy): string | undefined {
  const ids = study.identifier ?? []
  const dicom =
    ids.find((i) => i.system === 'urn:dicom:uid' && i.value) ??
    ids.find((i) => i.value?.startsWith('urn:oid:'))
  const value = dicom?.value?.trim()
  if (!value) return undefined
  const uid = value.replace(/^urn:oid:/, '')
  return /^[0-9.]+$/.test(uid) ? uid : undefined
}

/**
 * @module fhir/datatypes
 * Small readers for FHIR datatypes the evidence and the cards share: the date part of a dateTime,
 * a study's DICOM StudyInstanceUID, the UID a logical reference names.
 */
import type { Identifier, ImagingStudy, Reference } from 'fhir/r4'

/** The date part (YYYY-MM-DD) of a FHIR date or dateTime. */
export function datePart(value: string | undefined): string | undefined {
  const match = value?.match(/^\d{4}-\d{2}-\d{2}/)
  return match?.[0]
}

/** The UID of a DICOM identifier (`urn:dicom:uid`, value `urn:oid:<uid>`); undefined otherwise. */
function dicomUid(identifier: Identifier | undefined): string | undefined {
  const value = identifier?.value?.trim()
  if (!value || (identifier!.system !== 'urn:dicom:uid' && !value.startsWith('urn:oid:')))
    return undefined
  const uid = value.replace(/^urn:oid:/, '')
  return /^[0-9.]+$/.test(uid) ? uid : undefined
}

/** StudyInstanceUID from `ImagingStudy.identifier` (`urn:dicom:uid`, value `urn:oid:<uid>`). */
export function studyInstanceUid(study: ImagingStudy): string | undefined {
  const ids = study.identifier ?? []
  const dicom =
    ids.find((i) => i.system === 'urn:dicom:uid' && i.value) ??
    ids.find((i) => i.value?.startsWith('urn:oid:'))
  return dicomUid(dicom)
}

/**
 * The StudyInstanceUID a logical reference names (`{identifier: {system: "urn:dicom:uid", value:
 * "urn:oid:<uid>"}}`, type absent or `ImagingStudy`), as producers that know a study only by its
 * DICOM UID write it.
 */
export function referencedStudyUid(reference: Reference | undefined): string | undefined {
  if (!reference || (reference.type !== undefined && reference.type !== 'ImagingStudy'))
    return undefined
  return dicomUid(reference.identifier)
}

/**
 * @module cards/refs
 * Small FHIR reference helpers for the card builders: parse `Type/id` (relative, absolute,
 * versioned or contained `#id`), resolve contained resources, read DICOM UIDs. Liberal on input,
 * because producers differ (ai-findings-fhir.md: "be liberal in what you accept").
 */
import type { CodeableConcept, ImagingStudy, Reference, Resource } from 'fhir/r4'

export interface ParsedRef {
  type?: string
  id?: string
  /** Set for `#id` references to contained resources. */
  containedId?: string
}

/** Parses `Type/id`, `https://server/fhir/Type/id/_history/2` and `#id`. */
export function parseRef(reference: string | undefined): ParsedRef {
  if (!reference) return {}
  if (reference.startsWith('#')) return { containedId: reference.slice(1) }
  const path = reference.split(/[?#]/)[0] ?? ''
  const parts = path.split('/').filter(Boolean)
  const history = parts.indexOf('_history')
  const upTo = history >= 0 ? parts.slice(0, history) : parts
  const id = upTo[upTo.length - 1]
  const type = upTo[upTo.length - 2]
  if (!type || !id || !/^[A-Z][A-Za-z]+$/.test(type)) return {}
  return { type, id }
}

/** `Type/id` for a reference of the given type, or undefined. */
export function refKey(reference: Reference | undefined, type: string): string | undefined {
  const parsed = parseRef(reference?.reference)
  return parsed.type === type && parsed.id ? `${type}/${parsed.id}` : undefined
}

/** `Type/id` of a resource. */
export function keyOf(resource: Resource): string | undefined {
  return resource.id ? `${resource.resourceType}/${resource.id}` : undefined
}

/** Resolves a reference against a resource's `contained` list and a pool of resources. */
export function resolveRef<T extends Resource>(
  reference: Reference | undefined,
  type: T['resourceType'],
  pool: Map<string, T>,
  container?: { contained?: Resource[] }
): T | undefined {
  const parsed = parseRef(reference?.reference)
  if (parsed.containedId) {
    const found = container?.contained?.find(
      (r) => r.id === parsed.containedId && r.resourceType === type
    )
    return found as T | undefined
  }
  if (parsed.type !== type || !parsed.id) return undefined
  return pool.get(`${type}/${parsed.id}`)
}

/** Indexes resources by `Type/id`. */
export function indexByKey<T extends Resource>(resources: T[]): Map<string, T> {
  const map = new Map<string, T>()
  for (const r of resources) {
    const key = keyOf(r)
    if (key && !map.has(key)) map.set(key, r)
  }
  return map
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

/** True when any coding of the concept matches one of the `system|code` keys. */
export function hasCoding(concept: CodeableConcept | undefined, keys: Set<string>): boolean {
  return (concept?.coding ?? []).some((c) => c.code && keys.has(`${c.system ?? ''}|${c.code}`))
}

/** True when the concept carries no usable code (missing, `coding: [{}]`, text only). */
export function hasNoCode(concept: CodeableConcept | undefined): boolean {
  return !(concept?.coding ?? []).some((c) => c.code && c.code.trim())
}

/** The date part (YYYY-MM-DD) of a FHIR date or dateTime. */
export function datePart(value: string | undefined): string | undefined {
  const match = value?.match(/^\d{4}-\d{2}-\d{2}/)
  return match?.[0]
}

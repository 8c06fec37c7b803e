/**
 * @module evidence/ownership
 * Data of one patient never reaches another's cards. Every gathered resource must name the hook's
 * patient (`subject` or `patient`, whatever the reference's base URL) or it is dropped; so are the
 * resources contained in a kept one that name someone else (a contained resource without a
 * subject is the container's). Resource types that hold no patient data (Endpoint, an unassigned
 * Device) need no subject. A patient-data resource that names nobody is dropped too: nothing says
 * it is this patient's, and a card may say less about data it cannot place, never show another
 * person's finding. Dropped resources are logged by type and a fingerprint of their id only (an id
 * can itself identify a patient; the fingerprint lets an operator who holds an id find its line).
 */
import type { Reference, Resource } from 'fhir/r4'
import { keyOf, refKey } from '../fhir/reference'
import type { Logger } from '../log'
import type { GatheredResources } from './types'

/** Types that hold a patient's clinical data and must name the patient. */
const PATIENT_DATA: ReadonlySet<string> = new Set([
  'ImagingStudy',
  'DiagnosticReport',
  'Observation',
  'ServiceRequest',
  'Condition',
  'Procedure',
  'Encounter',
])

/** Most dropped resources named in the log line; the count says how many there were. */
const MAX_LOGGED_IDS = 20

/**
 * `Type#xxxxxxxx`: the type and an FNV-1a hash of the resource's `Type/id` (or of its container's
 * key and `#id` for a contained one). Not a secret, not reversible from the log alone.
 */
export function fingerprint(key: string): string {
  let hash = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  const type = key.match(/^[A-Za-z]+/)?.[0] ?? 'Resource'
  return `${type}#${(hash >>> 0).toString(16).padStart(8, '0')}`
}

type Verdict = 'own' | 'other' | 'unplaced'

/** Whose a resource is, by its own fields only (contained resources are looked at separately). */
function verdict(resource: Resource, patientRef: string): Verdict {
  if (resource.resourceType === 'Patient') return keyOf(resource) === patientRef ? 'own' : 'other'
  const { subject, patient } = resource as { subject?: Reference; patient?: Reference }
  if (!subject && !patient) return PATIENT_DATA.has(resource.resourceType) ? 'unplaced' : 'own'
  const names = (ref: Reference | undefined) => !ref || refKey(ref, 'Patient') === patientRef
  return names(subject) && names(patient) ? 'own' : 'other'
}

/** The resource without the contained resources of another patient (a copy only if any go). */
function withoutOthersContained<T extends Resource>(
  resource: T,
  patientRef: string,
  dropped: string[]
): T {
  const contained = (resource as { contained?: Resource[] }).contained
  if (!contained?.length) return resource
  const kept = contained.filter((c) => {
    const named = c as { subject?: Reference; patient?: Reference }
    const mine = !named.subject && !named.patient && c.resourceType !== 'Patient'
    if (mine || verdict(c, patientRef) === 'own') return true
    dropped.push(`${keyOf(resource) ?? resource.resourceType}#${c.id ?? ''}`)
    return false
  })
  return kept.length === contained.length ? resource : { ...resource, contained: kept }
}

/**
 * Only what belongs to `patientId`, from every field of the gathered resources. Pure apart from
 * one warning log line naming what was dropped.
 */
export function ownResources(
  gathered: GatheredResources,
  patientId: string,
  logger?: Logger
): GatheredResources {
  const patientRef = `Patient/${patientId}`
  const dropped: string[] = []
  const keep = <T extends Resource>(resource: T): T | undefined => {
    if (verdict(resource, patientRef) !== 'own') {
      dropped.push(keyOf(resource) ?? resource.resourceType)
      return undefined
    }
    return withoutOthersContained(resource, patientRef, dropped)
  }
  const all = <T extends Resource>(resources: T[]): T[] => {
    const kept: T[] = []
    for (const resource of resources) {
      const mine = keep(resource)
      if (mine) kept.push(mine)
    }
    return kept
  }
  const patient = gathered.patient && keep(gathered.patient)
  // Every field, typed: a field added to GatheredResources fails to compile until it is checked here.
  const own: GatheredResources = {
    ...(patient ? { patient } : {}),
    studies: all(gathered.studies),
    endpoints: all(gathered.endpoints),
    reports: all(gathered.reports),
    observations: all(gathered.observations),
    smokingStatus: all(gathered.smokingStatus),
    serviceRequests: all(gathered.serviceRequests),
    conditions: all(gathered.conditions),
    priors: all(gathered.priors),
  }
  if (dropped.length > 0) {
    logger?.warn('evidence.not_this_patient', {
      dropped: dropped.length,
      refs: dropped.slice(0, MAX_LOGGED_IDS).map(fingerprint).join(','),
    })
  }
  return own
}

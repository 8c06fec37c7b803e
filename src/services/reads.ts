/**
 * @module services/reads
 * Reads that prefetch templates cannot express: the Observations a report's `result` names, a
 * study's Endpoint, its basedOn orders. Done in parallel, only for what is not already at hand,
 * and never fatal: a resource that cannot be read is left out and the card says less.
 */
import type { FhirResource, Reference } from 'fhir/r4'
import type { FhirClient } from '../fhir/client'
import type { Logger } from '../log'

/** `Type/id` of a relative or absolute reference (version suffix dropped); '' for others. */
export function relativeRef(reference: string | undefined): string {
  const match = reference?.match(
    /(?:^|\/)([A-Z][A-Za-z]+\/[A-Za-z0-9.-]{1,64})(?:\/_history\/[^/]+)?$/
  )
  return match?.[1] ?? ''
}

/**
 * `Type/id` of every reference, deduplicated, skipping contained (`#id`) and absolute ones, and
 * ids that are dot segments (`Observation/..` would read the FHIR base itself).
 */
export function relativeRefs(refs: (Reference | undefined)[]): string[] {
  const out = new Set<string>()
  for (const ref of refs) {
    const value = ref?.reference
    if (value && /^[A-Za-z]+\/(?!\.+$)[A-Za-z0-9.-]{1,64}$/.test(value)) out.add(value)
  }
  return [...out]
}

/** The `Type/id` a resource is known by. */
export const refOf = (r: FhirResource) => `${r.resourceType}/${r.id}`

/** Reads each reference not already in `have`, in parallel, through the client's FHIR server. */
export async function readMissing(
  fhir: FhirClient | undefined,
  refs: string[],
  have: FhirResource[],
  logger: Logger
): Promise<FhirResource[]> {
  const known = new Set(have.map(refOf))
  const wanted = refs.filter((ref) => !known.has(ref))
  if (!fhir || wanted.length === 0) return []
  const results = await Promise.allSettled(wanted.map((ref) => fhir.get(ref)))
  const read: FhirResource[] = []
  results.forEach((result, i) => {
    if (result.status === 'fulfilled' && result.value.resourceType === wanted[i]!.split('/')[0]) {
      read.push(result.value)
    } else {
      logger.warn('fhir.read_failed', {
        type: wanted[i]!.split('/')[0],
        reason:
          result.status === 'rejected'
            ? (result.reason as Error).message
            : 'unexpected resource type',
      })
    }
  })
  return read
}

/** Resources of one type from a list. */
export function ofType<T extends FhirResource['resourceType']>(
  resources: FhirResource[],
  type: T
): Extract<FhirResource, { resourceType: T }>[] {
  return resources.filter(
    (r): r is Extract<FhirResource, { resourceType: T }> => r.resourceType === type
  )
}

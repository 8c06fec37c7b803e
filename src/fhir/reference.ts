/**
 * @module fhir/reference
 * The one FHIR reference parser of the service. Liberal in what it reads (relative `Type/id`,
 * absolute `https://server/fhir/Type/id`, versioned `.../_history/2`, contained `#id`), strict in
 * what it follows: only relative `Type/id` references are ever read from a FHIR server
 * ({@link readableRef}), so a crafted absolute URL can never send a request elsewhere.
 */
import type { Reference, Resource } from 'fhir/r4'

export interface ParsedRef {
  type?: string
  id?: string
  /** Set for `#id` references to contained resources. */
  containedId?: string
}

/** A FHIR id (R4: up to 64 of `A-Z a-z 0-9 - .`), never a dot segment such as `..`. */
const FHIR_ID = /^(?!\.+$)[A-Za-z0-9.-]{1,64}$/
const RESOURCE_TYPE = /^[A-Z][A-Za-z]+$/

const HASH = 0x23
const HISTORY = '_history'
const DOTS = /^\.+$/

/**
 * Parses `Type/id`, `https://server/fhir/Type/id/_history/2` and `#id`; `{}` for anything else.
 * One pass over the reference, no intermediate arrays: it runs for every reference of every
 * resource a hook call reads. The type and id are the last two non-empty path segments before the
 * first `_history` segment, the query and the fragment.
 */
export function parseRef(reference: string | undefined): ParsedRef {
  if (!reference) return {}
  if (reference.charCodeAt(0) === HASH)
    return reference.length > 1 ? { containedId: reference.slice(1) } : {}
  let end = reference.length
  const query = reference.indexOf('?')
  if (query >= 0) end = query
  const fragment = reference.indexOf('#')
  if (fragment >= 0 && fragment < end) end = fragment
  let typeStart = -1
  let typeEnd = -1
  let idStart = -1
  let idEnd = -1
  for (let start = 0; start < end;) {
    let stop = reference.indexOf('/', start)
    if (stop < 0 || stop > end) stop = end
    if (stop > start) {
      if (stop - start === HISTORY.length && reference.startsWith(HISTORY, start)) break
      typeStart = idStart
      typeEnd = idEnd
      idStart = start
      idEnd = stop
    }
    start = stop + 1
  }
  if (typeStart < 0) return {}
  const type = reference.slice(typeStart, typeEnd)
  const id = reference.slice(idStart, idEnd)
  if (!RESOURCE_TYPE.test(type) || DOTS.test(id)) return {}
  return { type, id }
}

/**
 * `Type/id` of a reference when it points at a resource of `type`, whatever its base URL or version
 * suffix; undefined for other types, contained (`#id`) and logical references.
 */
export function refKey(reference: Reference | undefined, type: string): string | undefined {
  const parsed = parseRef(reference?.reference)
  return parsed.type === type && parsed.id ? `${type}/${parsed.id}` : undefined
}

/** `Type/id` of whatever resource a reference points at; undefined for contained and logical ones. */
export function anyRefKey(reference: Reference | undefined): string | undefined {
  const parsed = parseRef(reference?.reference)
  return parsed.type && parsed.id ? `${parsed.type}/${parsed.id}` : undefined
}

/** True when `reference` points at the resource `type/id`, or at `#id` among contained ones. */
export function refersTo(reference: Reference | undefined, type: string, id: string): boolean {
  const parsed = parseRef(reference?.reference)
  if (parsed.containedId !== undefined) return parsed.containedId === id
  return parsed.type === type && parsed.id === id
}

/** `Type/id` of a resource; undefined without an id. */
export function keyOf(resource: Resource): string | undefined {
  return resource.id ? `${resource.resourceType}/${resource.id}` : undefined
}

/**
 * The `Type/id` a reference may be read by from the client's FHIR server: relative references
 * only. Absolute ones (another server), contained ones and dot-segment ids are never followed.
 */
export function readableRef(reference: Reference | undefined): string | undefined {
  const value = reference?.reference
  if (!value) return undefined
  // Exactly one slash, with a type before it and an id after it.
  const slash = value.indexOf('/')
  if (slash <= 0 || value.indexOf('/', slash + 1) >= 0) return undefined
  if (!RESOURCE_TYPE.test(value.slice(0, slash)) || !FHIR_ID.test(value.slice(slash + 1)))
    return undefined
  return value
}

/** {@link readableRef} of each reference, once each, in order. */
export function readableRefs(refs: readonly (Reference | undefined)[]): string[] {
  const out = new Set<string>()
  for (const ref of refs) {
    const key = readableRef(ref)
    if (key) out.add(key)
  }
  return [...out]
}

/** Resolves a reference against a resource's `contained` list and a pool of resources. */
export function resolveRef<T extends Resource>(
  reference: Reference | undefined,
  type: T['resourceType'],
  pool: ReadonlyMap<string, T>,
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

/** Indexes resources by `Type/id`; the first of a repeated id wins. */
export function indexByKey<T extends Resource>(resources: readonly T[]): Map<string, T> {
  const map = new Map<string, T>()
  for (const r of resources) {
    const key = keyOf(r)
    if (key && !map.has(key)) map.set(key, r)
  }
  return map
}

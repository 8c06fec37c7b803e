/**
 * @module fhir/shape
 * FHIR JSON from outside (prefetch, the FHIR server, `draftOrders`) checked against the JSON types
 * FHIR R4 gives the elements this service reads, before any of it reaches the clinical code. That
 * code trusts the `fhir/r4` types: `identifier: 1` or `entry: [null]` would otherwise throw deep in
 * a card builder and turn a client's or server's mistake into a 500. What does not fit is left out,
 * as the finding reader already does with values it cannot read: an element of the wrong type, an
 * array item that is not an object, a date that is not a calendar date. Elements the service never
 * reads are kept untouched. Objects are cleaned in place: they are freshly parsed JSON owned by the
 * request, and copying megabytes of prefetch for every call would cost more than it protects.
 *
 * Repeating elements are capped (`maxItems`), because the card builders compare some of them
 * pairwise: a report naming 10 000 performers must not hold the event loop for seconds. Strings
 * are bounded in length where they enter (codes and ids, URLs and references, free text each
 * with its own cap): a longer one is dropped like a value of the wrong type and counted in
 * `tooLong`, so a megabyte-long coding system never reaches a parser, a matcher or a card.
 */
import type { FhirResource } from 'fhir/r4'

/** Where a shape is applied: how deep in nested resources, and the tally of what was left out. */
interface Walk {
  depth: number
  report: ShapeReport
}

/** Cleans a value: returns it (possibly altered in place) or undefined when it is unusable. */
type Shape = (value: unknown, walk: Walk) => unknown

/** What was left out, for one warning log line per request (counts only, never values). */
export interface ShapeReport {
  /** Elements and array items dropped for a wrong JSON type or an unreadable date. */
  dropped: number
  /** Array items cut off beyond an element's cap. */
  truncated: number
  /** Strings dropped for being longer than their element's cap (also counted in `dropped`). */
  tooLong?: number
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * Longest strings kept, in UTF-16 units. Far above real data (a LOINC system is 16 characters, a
 * paging link a few hundred, a report conclusion a few thousand), low enough that no string
 * costs more than a normal resource does.
 */
export const MAX_CHARS = {
  /** ids, codes, coding systems, statuses, units, UIDs. */
  code: 1024,
  /** References, paging links, endpoint addresses, extension URLs. */
  url: 8192,
  /** Displays, texts, descriptions, conclusions, names. */
  text: 16_384,
} as const

/** A string of at most `max` characters; a longer one is dropped and tallied. */
const bounded =
  (max: number): Shape =>
  (value, walk) => {
    if (typeof value !== 'string') return undefined
    if (value.length <= max) return value
    walk.report.tooLong = (walk.report.tooLong ?? 0) + 1
    return undefined
  }
const code = bounded(MAX_CHARS.code)
const url = bounded(MAX_CHARS.url)
const text = bounded(MAX_CHARS.text)
const number: Shape = (value) =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined
const boolean: Shape = (value) => (typeof value === 'boolean' ? value : undefined)

// FHIR date, dateTime and instant: a year, optionally month and day, optionally a time and zone.
const DATE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?)?)?$/

/** Days in a month (1-12); setUTCFullYear, unlike Date.UTC, leaves years below 100 alone. */
function daysInMonth(year: number, month: number): number {
  const day = new Date(0)
  day.setUTCFullYear(year, month, 0)
  return day.getUTCDate()
}

/**
 * A FHIR date, dateTime or instant whose month and day exist. The follow-up arithmetic throws on
 * 2026-02-31 (a wrong due date must never reach an order), so such a value is dropped here.
 */
const date: Shape = (value, walk) => {
  if (typeof value !== 'string' || code(value, walk) === undefined) return undefined
  const match = DATE.exec(value.trim())
  if (!match) return undefined
  const [, year, month, day] = match
  if (month === undefined) return value
  if (Number(month) < 1 || Number(month) > 12) return undefined
  if (day === undefined) return value
  const ok = Number(day) >= 1 && Number(day) <= daysInMonth(Number(year), Number(month))
  return ok ? value : undefined
}

/** Default cap on a repeating element: far above real data, low enough to bound pairwise work. */
const MAX_ITEMS = 100

/**
 * An array of at most `maxItems` items, each checked. Like objects, it is kept as it is when every
 * item passes unchanged (the usual case); a copy is made from the first item that is dropped or
 * replaced, and for the cap.
 */
function arrayOf(item: Shape, maxItems = MAX_ITEMS): Shape {
  return (value, walk) => {
    if (!Array.isArray(value)) return undefined
    const length = Math.min(value.length, maxItems)
    if (value.length > maxItems) walk.report.truncated += value.length - maxItems
    let kept: unknown[] | undefined
    for (let i = 0; i < length; i++) {
      const cleaned = item(value[i], walk)
      if (!kept && cleaned !== undefined && cleaned === value[i]) continue
      kept ??= value.slice(0, i)
      if (cleaned === undefined) walk.report.dropped++
      else kept.push(cleaned)
    }
    return kept ?? (length < value.length ? value.slice(0, length) : value)
  }
}

/** An object with the given elements checked; other members are kept as they are. */
function object(fields: Record<string, Shape>): Shape {
  const keys = Object.keys(fields)
  return (value, walk) => {
    if (!isObject(value)) return undefined
    for (const key of keys) {
      if (!Object.hasOwn(value, key)) continue
      const cleaned = fields[key]!(value[key], walk)
      if (cleaned === undefined) {
        walk.report.dropped++
        delete value[key]
      } else value[key] = cleaned
    }
    return value
  }
}

const coding = object({ system: code, version: code, code, display: text })
const codeableConcept = object({ coding: arrayOf(coding), text })
const reference = object({ reference: url, type: code, display: text })
// Links between resources (derivedFrom, basedOn, reasonReference, ...): real data has one to
// three. The card builders match them against every study, report and order of the patient, so
// each extra reference multiplies that work; a report's result list is capped separately.
const MAX_LINKS = 10
const links = arrayOf(reference, MAX_LINKS)
const identifier = object({ system: code, value: code })
const quantity = object({
  value: number,
  comparator: code,
  unit: code,
  system: code,
  code,
})
const period = object({ start: date, end: date })
const timing = object({ event: arrayOf(date) })

// Extensions nest (the model-metadata extension has sub-extensions). Two levels are all anyone
// writes; deeper ones are dropped rather than recursed into, so hostile nesting cannot overflow
// the stack.
const extensionFields = {
  url,
  valueString: text,
  valueCode: code,
  valueUri: url,
  valueDecimal: number,
  valueInteger: number,
  valueBoolean: boolean,
}
const innerExtension = object({ ...extensionFields, extension: () => undefined })
const extension = object({ ...extensionFields, extension: arrayOf(innerExtension) })

/** The elements read per resource type (see the `fhir/r4` property reads in src/clinical, src/cards). */
const resourceFields: Record<string, Record<string, Shape>> = {
  Patient: { birthDate: date, gender: code },
  ImagingStudy: {
    status: code,
    started: date,
    description: text,
    subject: reference,
    identifier: arrayOf(identifier),
    modality: arrayOf(coding),
    endpoint: links,
    basedOn: links,
    procedureCode: arrayOf(codeableConcept),
    reasonCode: arrayOf(codeableConcept),
    series: arrayOf(
      object({ uid: code, modality: coding, endpoint: links, description: text }),
      1000
    ),
  },
  DiagnosticReport: {
    status: code,
    code: codeableConcept,
    category: arrayOf(codeableConcept),
    subject: reference,
    effectiveDateTime: date,
    effectivePeriod: period,
    issued: date,
    performer: links,
    imagingStudy: links,
    result: arrayOf(reference),
    conclusion: text,
  },
  Observation: {
    status: code,
    code: codeableConcept,
    category: arrayOf(codeableConcept),
    subject: reference,
    bodySite: codeableConcept,
    device: reference,
    derivedFrom: links,
    partOf: links,
    effectiveDateTime: date,
    effectiveInstant: date,
    effectivePeriod: period,
    issued: date,
    valueCodeableConcept: codeableConcept,
    valueQuantity: quantity,
    valueString: text,
    component: arrayOf(
      object({
        code: codeableConcept,
        valueQuantity: quantity,
        valueCodeableConcept: codeableConcept,
        valueString: text,
        valueInteger: number,
        valueBoolean: boolean,
      })
    ),
  },
  ServiceRequest: {
    status: code,
    intent: code,
    priority: code,
    code: codeableConcept,
    category: arrayOf(codeableConcept),
    subject: reference,
    reasonCode: arrayOf(codeableConcept),
    reasonReference: links,
    occurrenceDateTime: date,
    occurrencePeriod: period,
    occurrenceTiming: timing,
    authoredOn: date,
  },
  Endpoint: { status: code, address: url, connectionType: coding },
  Device: {
    deviceName: arrayOf(object({ name: text, type: code })),
    version: arrayOf(object({ value: text })),
  },
  Bundle: {
    type: code,
    total: number,
    link: arrayOf(object({ relation: code, url })),
    // Entries are counted per prefetch key by the caller; this cap only bounds a single page.
    entry: arrayOf(object({ fullUrl: url, resource: nested }), 100_000),
  },
}

// A Bundle's entries are one level down, their contained resources one more. Contained resources
// hold no further contained ones (FHIR rule dom-2); anything deeper is dropped, not recursed into.
const MAX_RESOURCE_DEPTH = 2
/** R4 resource types are at most about 30 characters long: 64 is ample. */
const MAX_RESOURCE_TYPE = 64

/** A resource one level below the current one (a Bundle entry or a contained resource). */
function nested(value: unknown, walk: Walk): unknown {
  return resource(value, { depth: walk.depth + 1, report: walk.report })
}

const commonFields = { id: code, extension: arrayOf(extension), contained: arrayOf(nested) }
const otherResource = object(commonFields)
const resourceShapes = new Map(
  Object.entries(resourceFields).map(([type, fields]) => [
    type,
    object({ ...commonFields, ...fields }),
  ])
)

function resource(value: unknown, walk: Walk): FhirResource | undefined {
  if (!isObject(value) || typeof value.resourceType !== 'string') return undefined
  // A resource type is a short word; a megabyte of one is no resource at all.
  if (value.resourceType.length > MAX_RESOURCE_TYPE) return undefined
  if (walk.depth > MAX_RESOURCE_DEPTH) return undefined
  const shape = resourceShapes.get(value.resourceType) ?? otherResource
  shape(value, walk)
  return value as unknown as FhirResource
}

/**
 * Cleans one FHIR resource or Bundle (and its entries and contained resources) in place.
 * @returns the resource, or undefined when `value` is not a FHIR resource at all
 * @example const resource = sanitizeResource(JSON.parse(body), report)
 */
export function sanitizeResource(
  value: unknown,
  report: ShapeReport = { dropped: 0, truncated: 0 }
): FhirResource | undefined {
  return resource(value, { depth: 0, report })
}

/**
 * @module cards/wording-facts
 * What the wording (`cards/en.ts`, read as `words`) is told about a finding or an order: a
 * nodule's size, solidness and site rounded as its guideline rounds, a finding's name, an order's
 * name, status and date. The sentences themselves stay in `cards/`; this module only picks facts.
 */
import type { ServiceRequest } from 'fhir/r4'
import { words, type NoduleFacts, type OrderFacts } from '../../cards/index'
import type { Assessment, Finding } from '../clinical/types'
import { orderDate, orderName } from './orders'
import { keyOf } from '../fhir/reference'

/** A nodule's facts for the wording, its size rounded the way its guideline rounds. */
export function noduleFacts(a: Assessment): NoduleFacts {
  const n = a.finding.nodule
  const decimals = a.guideline === 'fleischner-2017' ? 0 : 1
  const mean =
    n?.meanDiameterMm ??
    (n?.longAxisMm !== undefined && n.shortAxisMm !== undefined
      ? (n.longAxisMm + n.shortAxisMm) / 2
      : undefined)
  return {
    guideline: a.guideline,
    ...(a.category ? { category: a.category } : {}),
    ...(mean !== undefined ? { sizeMm: mean } : {}),
    decimals,
    ...(n?.solidness ? { solidness: n.solidness } : {}),
    ...(a.finding.location ? { site: a.finding.location } : {}),
  }
}

/** Name of a finding for summaries: the wording's own name for known kinds, else the code's. */
export const findingName = (f: Finding) => words.findingName(f.kind, f.name)

/** A finding in a few words: `Lung-RADS 4A 8.6 mm solid nodule, RUL` or `pulmonary embolism`. */
export const findingShortName = (a: Assessment) =>
  a.finding.kind === 'pulmonary-nodule' ? words.shortNodule(noduleFacts(a)) : findingName(a.finding)

/** A finding without its category: `8.6 mm solid nodule, RUL` or `pulmonary embolism`. */
export const findingPhrase = (a: Assessment) =>
  a.finding.kind === 'pulmonary-nodule'
    ? words.nodulePhrase(noduleFacts(a))
    : findingName(a.finding)

/** An existing order's facts, for "already ordered" and "duplicates" lines. */
export function orderFacts(order: ServiceRequest): OrderFacts {
  const date = orderDate(order)
  const ref = keyOf(order)
  return {
    name: orderName(order),
    status: order.status,
    ...(date ? { date } : {}),
    ...(ref ? { ref } : {}),
  }
}

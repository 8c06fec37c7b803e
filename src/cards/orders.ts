/**
 * @module cards/orders
 * Which orders are imaging orders, which code family they belong to, when a follow-up is due, and
 * whether an existing order already covers a finding's follow-up. Shared by the study, patient-view
 * and order-select cards so "already ordered" means the same thing on all three.
 */
import type { CodeableConcept, ServiceRequest } from 'fhir/r4'
import { followUpDate } from '../clinical/index'
import type { Assessment, FollowUp } from '../clinical/types'
import { trimTrailingSlashes } from '../text/index'
import { datePart, parseRef } from './refs'
import type { CardOptions, OrderKind } from './types'

export type OrderFamily = 'chest-ct' | 'pet-ct'

const LOINC = 'http://loinc.org'
const RADLEX = 'http://radlex.org'
const CPT = 'http://www.ama-assn.org/go/cpt'
/** SNOMED "Imaging" (procedure), the usual ServiceRequest.category of imaging orders. */
const IMAGING_CATEGORY = ['http://snomed.info/sct', '363679005'] as const

/** Chest CT codes of the input contract ("Imaging orders in order-select"). */
const CHEST_CT: readonly (readonly [string, string])[] = [
  ...['29252-4', '24627-2', '24628-0', '79086-5', '87279-6'].map((c) => [LOINC, c] as const),
  ...['RPID16', 'RPID17', 'RPID18', 'RPID6002', 'RPID6000', 'RPID6001'].map(
    (c) => [RADLEX, c] as const
  ),
  ...['71250', '71260', '71270', '71271'].map((c) => [CPT, c] as const),
]
/** FDG PET/CT (clinical-reference.md §3.1, §3.2). */
const PET_CT: readonly (readonly [string, string])[] = [
  [LOINC, '81555-5'],
  [RADLEX, 'RPID6017'],
  [RADLEX, 'RPID6018'],
]

const sameSystem = (a: string | undefined, b: string) =>
  !a || trimTrailingSlashes(a.trim()).toLowerCase() === trimTrailingSlashes(b).toLowerCase()

/** True when any coding carries one of the pairs; a coding without a system matches on its code. */
function carries(
  concept: CodeableConcept | undefined,
  pairs: readonly (readonly [string, string])[]
) {
  return (concept?.coding ?? []).some((c) =>
    pairs.some(([system, code]) => c.code?.trim() === code && sameSystem(c.system, system))
  )
}

/** The family a follow-up order kind belongs to. */
export const followUpFamily = (order: OrderKind): OrderFamily =>
  order === 'pet-ct' ? 'pet-ct' : 'chest-ct'

/**
 * How an order's code reads: a family it belongs to, `unknown` when it carries no code yet (the
 * sandbox's `coding: [{}]` before a procedure is picked), `other` otherwise.
 */
export function orderFamily(
  code: CodeableConcept | undefined,
  options: Pick<CardOptions, 'orderCodes'>
): OrderFamily | 'unknown' | 'other' {
  const configured = (kind: OrderKind) =>
    [[options.orderCodes[kind].system, options.orderCodes[kind].code]] as const
  if (
    carries(code, CHEST_CT) ||
    carries(code, configured('ldct')) ||
    carries(code, configured('ct-chest'))
  )
    return 'chest-ct'
  if (carries(code, PET_CT) || carries(code, configured('pet-ct'))) return 'pet-ct'
  const coded = (code?.coding ?? []).some((c) => c.code?.trim())
  return coded ? 'other' : 'unknown'
}

/** An imaging order: one of our families, uncoded yet, or categorised as imaging. */
export function isImagingOrder(
  order: ServiceRequest,
  options: Pick<CardOptions, 'orderCodes'>
): boolean {
  const family = orderFamily(order.code, options)
  if (family !== 'other') return true
  return (order.category ?? []).some((c) => carries(c, [IMAGING_CATEGORY]))
}

/** True when the order carries exactly the configured code for `kind`. */
export function hasOrderCode(
  order: ServiceRequest,
  kind: OrderKind,
  options: Pick<CardOptions, 'orderCodes'>
): boolean {
  const { system, code } = options.orderCodes[kind]
  return carries(order.code, [[system, code]])
}

/** When a follow-up is due (YYYY-MM-DD) and the ±1 month window an order may fall in. */
export interface DueWindow {
  /** The due date, or the start of a range. */
  start: string
  /** The end of a range (Fleischner "6–12 months"). */
  end?: string
  /** One month before `start`: an order earlier than this is early. */
  low: string
  /** One month after the end (or the due date). */
  high: string
}

/** The dates the wording shows of a due window: the due date, and the end of a range. */
export function dueDates(window: DueWindow): { start: string; end?: string } {
  return { start: window.start, ...(window.end ? { end: window.end } : {}) }
}

/** The due window of a follow-up, counted from the study date with the clinical `followUpDate`. */
export function dueWindow(studyDate: string, followUp: FollowUp): DueWindow {
  const { from, to } = followUp.months
  const last = to !== undefined && to !== from ? to : from
  return {
    start: followUpDate(studyDate, from),
    ...(last !== from ? { end: followUpDate(studyDate, last) } : {}),
    low: followUpDate(studyDate, Math.max(0, from - 1)),
    high: followUpDate(studyDate, last + 1),
  }
}

/** The date an order is for: its occurrence, else undefined (not scheduled yet). */
export function orderDate(order: ServiceRequest): string | undefined {
  return (
    datePart(order.occurrenceDateTime) ??
    datePart(order.occurrencePeriod?.start) ??
    datePart(order.occurrenceTiming?.event?.[0])
  )
}

/** True when the order's reasonReference points at one of the Observations. */
export function orderIsFor(order: ServiceRequest, observationRefs: string[]): boolean {
  return (order.reasonReference ?? []).some((r) => {
    const parsed = parseRef(r.reference)
    return parsed.type === 'Observation' && observationRefs.includes(`Observation/${parsed.id}`)
  })
}

/** True when the order is for this patient (or names no patient we could compare). */
export function orderIsForPatient(order: ServiceRequest, patientId: string | undefined): boolean {
  const subject = parseRef(order.subject?.reference)
  return !patientId || subject.type !== 'Patient' || subject.id === patientId
}

/** An open order with what matching reads of it, read once. */
interface IndexedOrder {
  order: ServiceRequest
  /** Position among the patient's orders: the first match in input order wins. */
  position: number
  family: ReturnType<typeof orderFamily>
  date?: string
  authored?: string
}

/**
 * The patient's orders indexed for `findEquivalentOrder`: by the Observations their
 * reasonReference names, and (lazily) by the follow-up kind they could cover. Built once per
 * order list, because checking every card subject against every order made a crafted prefetch
 * cost seconds.
 */
interface OrderIndex {
  patientId: string | undefined
  options: Pick<CardOptions, 'orderCodes'>
  /** The list's length when indexed: a list that has grown since is indexed anew. */
  length: number
  /** `Observation/{id}` → the first order whose reasonReference names it. */
  byReason: Map<string, IndexedOrder>
  mine: IndexedOrder[]
  byKind: Map<OrderKind, IndexedOrder[]>
}

/** One index per order list; the lists are built per hook call, so this lives as long as it. */
const indexes = new WeakMap<readonly ServiceRequest[], OrderIndex>()

function orderIndex(
  orders: readonly ServiceRequest[],
  patientId: string | undefined,
  options: Pick<CardOptions, 'orderCodes'>
): OrderIndex {
  const cached = indexes.get(orders)
  if (
    cached &&
    cached.patientId === patientId &&
    cached.options === options &&
    cached.length === orders.length
  )
    return cached
  const mine = orders
    .filter((o) => orderIsForPatient(o, patientId))
    .map((order, position): IndexedOrder => {
      const date = orderDate(order)
      const authored = datePart(order.authoredOn)
      return {
        order,
        position,
        family: orderFamily(order.code, options),
        ...(date !== undefined && { date }),
        ...(authored !== undefined && { authored }),
      }
    })
  const byReason = new Map<string, IndexedOrder>()
  for (const entry of mine) {
    for (const r of entry.order.reasonReference ?? []) {
      const parsed = parseRef(r.reference)
      const key = `Observation/${parsed.id}`
      if (parsed.type === 'Observation' && !byReason.has(key)) byReason.set(key, entry)
    }
  }
  const index = { patientId, options, length: orders.length, byReason, mine, byKind: new Map() }
  indexes.set(orders, index)
  return index
}

/** The patient's orders of the kind's code or code family, in input order. */
function ordersOfKind(index: OrderIndex, kind: OrderKind): IndexedOrder[] {
  let list = index.byKind.get(kind)
  if (!list) {
    const family = followUpFamily(kind)
    list = index.mine.filter(
      (o) => hasOrderCode(o.order, kind, index.options) || o.family === family
    )
    index.byKind.set(kind, list)
  }
  return list
}

/**
 * The existing order that already covers a follow-up (the assessment's, or `followUp`, e.g. its
 * optional PET/CT): one whose reasonReference is the finding, whatever its code (the guideline's
 * options are alternatives: once one is ordered for the finding, it has been acted on), or one
 * with the same order code or code family for a date within ±1 month of the due window. An
 * order with no date counts when it was authored on or after the study.
 */
export function findEquivalentOrder(
  assessment: Assessment,
  observationRefs: string[],
  studyDate: string | undefined,
  orders: readonly ServiceRequest[],
  patientId: string | undefined,
  options: Pick<CardOptions, 'orderCodes'>,
  followUp: FollowUp | undefined = assessment.followUp
): ServiceRequest | undefined {
  const index = orderIndex(orders, patientId, options)
  let byReason: IndexedOrder | undefined
  for (const ref of observationRefs) {
    const found = index.byReason.get(ref)
    if (found && (!byReason || found.position < byReason.position)) byReason = found
  }
  if (byReason) return byReason.order
  if (!followUp || !studyDate) return undefined
  const family = followUpFamily(followUp.order)
  const window = dueWindow(studyDate, followUp)
  // PET/CT is never an interval exam in these guidelines: any open PET/CT after the study covers
  // the "may be considered" option, whatever date it was booked for.
  const high = family === 'pet-ct' ? '9999-12-31' : window.high
  return ordersOfKind(index, followUp.order).find(({ date, authored }) => {
    if (date) return date >= window.low && date <= high
    return !!authored && authored >= studyDate
  })?.order
}

/** Days from `a` to `b` (YYYY-MM-DD), positive when b is later. */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000)
}

/** `date` (YYYY-MM-DD) shifted by whole months, for look-back windows (not clinical due dates). */
export function shiftMonths(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  const target = new Date(Date.UTC(y, m - 1 + months, 1))
  const lastDay = new Date(
    Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)
  ).getUTCDate()
  target.setUTCDate(Math.min(d, lastDay))
  return target.toISOString().slice(0, 10)
}

/** The order's name for a detail line: the configured display, its text, or its first display. */
export function orderName(order: ServiceRequest): string {
  const coding = order.code?.coding?.find((c) => c.display || c.code)
  return order.code?.text ?? coding?.display ?? coding?.code ?? 'imaging order'
}

/**
 * @module cards/orders
 * Which orders are imaging orders, which exam family they are (src/clinical/exam-families, with
 * this site's codes), when a follow-up is due, and whether an existing order covers a finding's
 * follow-up. Shared by the study, patient-view and order-select cards so "already ordered" means
 * the same thing on all three. The rules are the clinical module's; this file reads FHIR for them.
 */
import type { CodeableConcept, ServiceRequest } from 'fhir/r4'
import {
  dueWindow as clinicalDueWindow,
  examFamilyOf,
  orderCoverage,
  type CandidateFacts,
  type DueWindow,
  type ExamFamily,
  type ExamReading,
  type FollowUpTarget,
} from '../clinical/index'
import { codingsOf } from '../clinical/fhir-values'
import type { Assessment, FollowUp } from '../clinical/types'
import { datePart } from '../fhir/datatypes'
import { parseRef } from '../fhir/reference'
import { trimTrailingSlashes } from '../text/index'
import type { CardOptions, OrderKind } from './types'

export type { DueWindow }

/** SNOMED "Imaging" (procedure), the usual ServiceRequest.category of imaging orders. */
const IMAGING_CATEGORY = ['http://snomed.info/sct', '363679005'] as const

const sameSystem = (a: string | undefined, b: string) =>
  !a || trimTrailingSlashes(a.trim()).toLowerCase() === trimTrailingSlashes(b).toLowerCase()

/** The order kind whose configured code places an order of a family. */
const kindOfFamily: Partial<Record<ExamFamily, OrderKind>> = {
  'screening-ldct': 'ldct',
  'diagnostic-chest-ct': 'ct-chest',
  'pet-ct': 'pet-ct',
}

/** The order kind that names an exam of this family, when there is one. */
export const orderKindOf = (family: ExamReading): OrderKind | undefined =>
  family === 'uncoded' || family === 'other' ? undefined : kindOfFamily[family]

/**
 * What an order's or study's code reads as: the site's exam codes first, then the built-in
 * families, then this site's configured follow-up order codes (so our own suggestion is always
 * recognised); `uncoded` for the sandbox's `coding: [{}]`.
 */
export function examOf(
  code: CodeableConcept | undefined,
  options: Pick<CardOptions, 'orderCodes' | 'clinical'>
): ExamReading {
  const codings = codingsOf(code)
  const reading = examFamilyOf(codings, options.clinical.examCodes)
  if (reading !== 'other') return reading
  for (const [kind, family] of [
    ['ldct', 'screening-ldct'],
    ['ldct-interval', 'screening-ldct'],
    ['ct-chest', 'diagnostic-chest-ct'],
    ['pet-ct', 'pet-ct'],
  ] as const) {
    const { system, code: value } = options.orderCodes[kind]
    if (codings.some((c) => c.code === value && sameSystem(c.system, system))) return family
  }
  return 'other'
}

/** An imaging order: of a known family, uncoded yet, or categorised as imaging. */
export function isImagingOrder(
  order: ServiceRequest,
  options: Pick<CardOptions, 'orderCodes' | 'clinical'>
): boolean {
  if (examOf(order.code, options) !== 'other') return true
  return (order.category ?? []).some((c) =>
    codingsOf(c).some(
      (coding) =>
        coding.code === IMAGING_CATEGORY[1] && sameSystem(coding.system, IMAGING_CATEGORY[0])
    )
  )
}

/** The dates the wording shows of a due window: the due date, and the end of a range. */
export function dueDates(window: DueWindow): { start: string; end?: string } {
  return { start: window.due, ...(window.end ? { end: window.end } : {}) }
}

/** The due window of a follow-up, with this site's tolerance (docs/clinical-rules.md). */
export function dueWindow(
  studyDate: string,
  followUp: Pick<FollowUp, 'order' | 'months' | 'optional'>,
  options: Pick<CardOptions, 'clinical'>
): DueWindow {
  return clinicalDueWindow(studyDate, followUp, options.clinical.dueToleranceDays)
}

/** The date an order is for: its occurrence, else undefined (not scheduled yet). */
export function orderDate(order: ServiceRequest): string | undefined {
  return (
    datePart(order.occurrenceDateTime) ??
    datePart(order.occurrencePeriod?.start) ??
    datePart(order.occurrenceTiming?.event?.[0])
  )
}

/** True when the order is for this patient (or names no patient we could compare). */
function orderIsForPatient(order: ServiceRequest, patientId: string | undefined): boolean {
  const subject = parseRef(order.subject?.reference)
  return !patientId || subject.type !== 'Patient' || subject.id === patientId
}

/** What coverage reads of an order: its family, the findings it names, its dates. */
export function candidateOf(
  order: ServiceRequest,
  options: Pick<CardOptions, 'orderCodes' | 'clinical'>
): CandidateFacts {
  const date = orderDate(order)
  const authored = datePart(order.authoredOn)
  const reasons = (order.reasonReference ?? []).flatMap((r) => {
    const parsed = parseRef(r.reference)
    return parsed.type && parsed.id ? [`${parsed.type}/${parsed.id}`] : []
  })
  return {
    family: examOf(order.code, options),
    reasons,
    ...(date !== undefined && { date }),
    ...(authored !== undefined && { authored }),
  }
}

/** An open order with what coverage reads of it. */
interface IndexedOrder {
  order: ServiceRequest
  facts: CandidateFacts
}

/**
 * A list of orders as coverage reads them: the patient's own, each read once. Built once per
 * order list and hook call by the card builders and passed down, because checking every card
 * subject against every order, reading each again, made a crafted prefetch cost seconds.
 */
export interface OrderIndex {
  readonly orders: readonly IndexedOrder[]
}

/** Indexes `orders` for coverage: those of `patientId`, each read once. */
export function indexOrders(
  orders: readonly ServiceRequest[],
  patientId: string | undefined,
  options: Pick<CardOptions, 'orderCodes' | 'clinical'>
): OrderIndex {
  return {
    orders: orders
      .filter((o) => orderIsForPatient(o, patientId))
      .map((order) => ({ order, facts: candidateOf(order, options) })),
  }
}

/**
 * For a finding with no guideline follow-up (a critical or unknown finding): the first open order
 * that names it as its reason, whatever the exam. It documents that the finding was acted on.
 */
export function orderNamingFinding(
  assessment: Assessment,
  index: OrderIndex
): ServiceRequest | undefined {
  const ref = assessment.finding.observationRef
  if (!ref) return undefined
  return index.orders.find((o) => o.facts.reasons.includes(ref))?.order
}

/** The follow-up target of an assessment's finding: its Observation and report, its study date. */
export function followUpTarget(
  assessment: Assessment,
  studyDate: string,
  followUp: FollowUp,
  options: Pick<CardOptions, 'clinical'>
): FollowUpTarget {
  const f = assessment.finding
  return {
    followUp,
    studyDate,
    findingRefs: [f.observationRef].filter(Boolean),
    reportRefs: f.reportRef ? [f.reportRef] : [],
    toleranceDays: options.clinical.dueToleranceDays,
  }
}

/**
 * The existing order that covers a follow-up (the assessment's, or `followUp`, e.g. its optional
 * PET/CT): the first, in input order, of an accepted exam family, for this finding (its
 * Observation, its report, or no finding as reason), dated within the due window, or undated and
 * written after the study for a work-up to arrange now (`orderCoverage`).
 */
export function findEquivalentOrder(
  assessment: Assessment,
  studyDate: string | undefined,
  index: OrderIndex,
  options: Pick<CardOptions, 'orderCodes' | 'clinical'>,
  followUp: FollowUp | undefined = assessment.followUp
): ServiceRequest | undefined {
  if (!followUp || !studyDate || index.orders.length === 0) return undefined
  const base = followUpTarget(assessment, studyDate, followUp, options)
  const target = { ...base, window: dueWindow(studyDate, followUp, options) }
  return index.orders.find((o) => orderCoverage(o.facts, target).covers)?.order
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

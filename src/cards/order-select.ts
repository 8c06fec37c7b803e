/**
 * @module cards/order-select
 * order-select: when the clinician selects an imaging order, check it against the patient's open
 * AI findings (within `findingsWindowMonths`, with a follow-up not yet done) and say, per finding,
 * whether the selected order MATCHES the recommended follow-up (an accepted exam family, inside
 * the due window), is EARLY or LATE (and by how much), DUPLICATES an order already placed, or is
 * the WRONG EXAM (docs/clinical-rules.md, "Coverage"); with an `update` suggestion that fixes the
 * draft. An imaging order whose procedure is not picked yet (`code.coding: [{}]`) gets a shorter
 * card that offers the recommended code.
 */
import type { Bundle, ServiceRequest } from 'fhir/r4'
import { fitSummary, words } from '../../cards/index'
import { judgeOrder, type OrderVerdict } from '../clinical/index'
import { cardMeta, cardSource, overrideReasons } from './shared-fields'
import { detailMarkdown } from './detail'
import { OPEN_ORDER_STATUSES, type PatientEvidence } from '../evidence'
import { findingShortName, orderFacts } from './wording-facts'
import { coveringOrder, followUpDone } from './follow-up'
import { studyLinks } from './links'
import {
  candidateOf,
  followUpTarget,
  isImagingOrder,
  orderDate,
  indexOrders,
  type OrderIndex,
  orderName,
} from './orders'
import { keyOf, parseRef } from '../fhir/reference'
import { recentSubjects, todayOf, type CardSubject } from './subjects'
import type { Card, CardOptions, IssuedCard, Suggestion } from './types'
import { cardUuid, suggestionUuid } from './uuid'
import { findEmptyValues } from '../protocol/validate'

export const ORDER_SELECT_HOOK = 'order-select'

/** The ServiceRequests of the draftOrders Bundle (which may lack `Bundle.type`). */
function draftServiceRequests(
  draftOrders: Bundle | undefined
): { order: ServiceRequest; fullUrl?: string }[] {
  return (draftOrders?.entry ?? [])
    .filter((e) => e.resource?.resourceType === 'ServiceRequest')
    .map((e) => ({
      order: e.resource as ServiceRequest,
      ...(e.fullUrl ? { fullUrl: e.fullUrl } : {}),
    }))
}

/** True when a selection (`ServiceRequest/{id}`, or the entry's fullUrl) names this draft. */
function isSelected(
  entry: { order: ServiceRequest; fullUrl?: string },
  selections: string[]
): boolean {
  return selections.some((sel) => {
    if (entry.fullUrl && sel === entry.fullUrl) return true
    const parsed = parseRef(sel)
    return parsed.type === 'ServiceRequest' && !!entry.order.id && parsed.id === entry.order.id
  })
}

/**
 * Cards for the selected imaging orders against open AI findings, one per finding. No imaging
 * order among the selections, or no open finding: `[]`.
 */
export function orderSelectCards(
  patient: PatientEvidence,
  draftOrders: Bundle | undefined,
  selections: string[],
  options: CardOptions,
  hook: string = ORDER_SELECT_HOOK
): IssuedCard[] {
  const drafts = draftServiceRequests(draftOrders)
  const selected = drafts.filter((d) => isSelected(d, selections)).map((d) => d.order)
  const imaging = selected.filter((o) => isImagingOrder(o, options))
  if (!imaging.length) return []
  // Other orders of the session count as placed only with the status placed orders need.
  const otherDrafts = drafts
    .map((d) => d.order)
    .filter((o) => !selected.includes(o) && OPEN_ORDER_STATUSES.has(o.status))
  const selectedKeys = new Set(selected.map(keyOf).filter(Boolean))
  // Already placed orders, minus the selections themselves (a client may also have saved them).
  const placed = indexOrders(
    [...patient.serviceRequests.filter((o) => !selectedKeys.has(keyOf(o))), ...otherDrafts],
    patient.patientId,
    options
  )

  const today = todayOf(options)
  const open = recentSubjects(patient, options).filter(
    (s) => !!s.lead.followUp && !followUpDone(s, patient, options)
  )

  const cards: IssuedCard[] = []
  for (const subject of open) {
    const card = verdictCard(subject, imaging, placed, patient, options, hook, today)
    if (card) cards.push(card)
  }
  return cards
}

/** The selected order changed as the verdict suggests: the due date, the recommended code. */
function updatedOrder(
  order: ServiceRequest,
  change: NonNullable<OrderVerdict['update']>,
  options: CardOptions
): ServiceRequest {
  const { occurrencePeriod: _p, occurrenceTiming: _t, ...rest } = order
  const updated: ServiceRequest = {
    ...(change.date ? rest : order),
    ...(change.date ? { occurrenceDateTime: change.date } : {}),
    ...(change.order
      ? { code: { coding: [{ ...options.orderCodes[change.order] }] } }
      : order.code
        ? { code: { ...order.code, coding: (order.code.coding ?? []).filter((c) => c.code) } }
        : {}),
  }
  // The sandbox's drafts carry empty arrays (`reasonCode: []`); a response never carries empties.
  return Object.fromEntries(
    Object.entries(updated).filter(([, v]) => !(Array.isArray(v) && v.length === 0))
  ) as unknown as ServiceRequest
}

/** Verdicts the selection is judged by, best first: a fitting exam, an uncoded one, any. */
const preference: Readonly<Record<OrderVerdict['verdict'], number>> = {
  matches: 0,
  duplicate: 0,
  early: 0,
  late: 0,
  uncoded: 1,
  'wrong-exam': 2,
}

/**
 * The card for one open finding, judging the selection most like one of its follow-ups
 * (`judgeOrder`): matches, early or late (by how much), wrong exam, duplicate, or no code yet;
 * with an `update` suggestion that moves the draft to the due date or gives it the recommended
 * exam's code, and the finding's viewer link. Undefined when the selection is a different exam
 * and the follow-up is already ordered: nothing to warn about.
 */
function verdictCard(
  subject: CardSubject,
  imaging: ServiceRequest[],
  placed: OrderIndex,
  patient: PatientEvidence,
  options: CardOptions,
  hook: string,
  today: string
): IssuedCard | undefined {
  const a = subject.lead
  const study = subject.study
  const followUps = [a.followUp!, ...(a.additionalFollowUps ?? [])]
  const { followUp: _, ...target } = followUpTarget(a, study.studyDate!, a.followUp!, options)
  const placedFacts = placed.orders.map((o) => o.facts)
  const judged = imaging
    .map((order) => ({
      order,
      verdict: judgeOrder(candidateOf(order, options), followUps, target, placedFacts, today),
    }))
    .filter((j): j is { order: ServiceRequest; verdict: OrderVerdict } => !!j.verdict)
    .sort((x, y) => preference[x.verdict.verdict] - preference[y.verdict.verdict])
  const pick = judged[0]
  if (!pick) return undefined
  const { order: selection, verdict: v } = pick
  if (v.verdict === 'wrong-exam' && coveringOrder(subject, placed, options)) return undefined // a different exam, and the follow-up is already ordered

  const d = words.detail.orderSelect
  const window = v.window
  const orderLabel = options.orderCodes[v.followUp.order].display
  const selectedName = orderName(selection)
  const when = orderDate(selection) ?? today
  const early = words.early(v.days ?? 0)
  const late = words.late(v.days ?? 0)
  const existing = v.duplicateOf !== undefined ? placed.orders[v.duplicateOf]?.order : undefined
  const verdictLine = {
    matches: () => d.matches(orderLabel, window.due, selectedName),
    early: () => d.early(orderLabel, window.due, selectedName, when, early),
    late: () => d.late(orderLabel, window.end ?? window.due, selectedName, when, late, window.now),
    duplicate: () => d.duplicate(orderFacts(existing!)),
    'wrong-exam': () =>
      d.wrongExam(orderLabel, window.due, selectedName, words.examName(v.selected), window.now),
    uncoded: () => d.unknownCode(orderLabel, window.due),
  }[v.verdict]()

  const summary = words.summary.orderSelect({
    verdict:
      v.verdict === 'wrong-exam'
        ? 'different'
        : v.verdict === 'uncoded'
          ? 'unknown-code'
          : v.verdict,
    what: findingShortName(a),
    order: v.followUp.order,
    due: window.due,
    now: window.now,
    ...(v.verdict === 'early' ? { early } : {}),
    ...(v.verdict === 'late' ? { late } : {}),
    ...(v.verdict === 'wrong-exam' ? { selected: words.examName(v.selected) } : {}),
  })
  const uuid = cardUuid(hook, a.finding.observationRef, a.category, options.uuidNamespace)
  const links = studyLinks(
    study,
    options,
    a.finding.keyImage,
    words.links.priorStudy(study.studyDate)
  )
  const reason = words.order.shortReason(a.guideline, a.category)
  const change = v.update && {
    ...(v.update.order ? { order: options.orderCodes[v.update.order].display } : {}),
    ...(v.update.date ? { date: v.update.date } : {}),
  }
  // An update carries the whole order: only offer one for a draft that is a valid ServiceRequest.
  const updatable =
    typeof selection.status === 'string' &&
    typeof selection.intent === 'string' &&
    typeof selection.subject?.reference === 'string' &&
    v.update !== undefined &&
    findEmptyValues(updatedOrder(selection, v.update, options)).length === 0
  const suggestions: Suggestion[] =
    v.update && change && updatable
      ? [
          {
            label: words.suggestion.update(change, reason),
            uuid: suggestionUuid(
              hook,
              a.finding.observationRef,
              v.update.order ? options.orderCodes[v.update.order].code : 'update',
              v.update.date ?? window.due,
              options.uuidNamespace
            ),
            isRecommended: !a.lowConfidence,
            actions: [
              {
                type: 'update',
                description: words.suggestion.updateAction(change, reason),
                resource: updatedOrder(selection, v.update, options),
              },
            ],
          },
        ]
      : []
  const state = { window, ...(existing ? { existing } : {}) }
  const card: Card = {
    uuid,
    summary: fitSummary(summary),
    indicator: ['early', 'late', 'duplicate', 'wrong-exam'].includes(v.verdict)
      ? 'warning'
      : 'info',
    detail: detailMarkdown(subject, state, options, { lead: [verdictLine] }),
    source: cardSource(options),
    ...(suggestions.length ? { suggestions, selectionBehavior: 'at-most-one' as const } : {}),
    overrideReasons: overrideReasons(),
    ...(links.length ? { links } : {}),
  }
  return {
    card,
    meta: {
      ...cardMeta(subject, uuid),
      ...(suggestions[0]?.uuid ? { suggestionUuid: suggestions[0].uuid } : {}),
    },
  }
}

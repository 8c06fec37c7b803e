/**
 * @module cards/order-select
 * order-select: when the clinician selects an imaging order, check it against the patient's open
 * AI findings (within `findingsWindowMonths`, with a follow-up not yet done) and say, per finding,
 * whether the selected order MATCHES the recommended follow-up (same family, due within ±1 month),
 * is EARLY (and by how much), DUPLICATES an order already placed, or is a different exam. An
 * imaging order whose procedure is not picked yet (`code.coding: [{}]`) gets a shorter card.
 */
import type { Bundle, ServiceRequest } from 'fhir/r4'
import { fitSummary, words } from '../../cards/index'
import { cardMeta, cardSource, overrideReasons } from './card-parts'
import { detailMarkdown } from './detail'
import type { PatientEvidence } from './evidence'
import { findingShortName, orderFacts } from './facts'
import { coveringOrder, followUpDone } from './follow-up'
import { studyLinks } from './links'
import {
  daysBetween,
  dueWindow,
  followUpFamily,
  isImagingOrder,
  orderDate,
  orderFamily,
  orderName,
} from './orders'
import { keyOf, parseRef } from './refs'
import { recentSubjects, todayOf, type CardSubject } from './subjects'
import type { Card, CardOptions, IssuedCard } from './types'
import { cardUuid } from './uuid'

export const ORDER_SELECT_HOOK = 'order-select'

export type OrderVerdict = 'matches' | 'early' | 'duplicate' | 'different' | 'unknown-code'

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
export async function orderSelectCards(
  patient: PatientEvidence,
  draftOrders: Bundle | undefined,
  selections: string[],
  options: CardOptions,
  hook: string = ORDER_SELECT_HOOK
): Promise<IssuedCard[]> {
  const drafts = draftServiceRequests(draftOrders)
  const selected = drafts.filter((d) => isSelected(d, selections)).map((d) => d.order)
  const imaging = selected.filter((o) => isImagingOrder(o, options))
  if (!imaging.length) return []
  const otherDrafts = drafts.map((d) => d.order).filter((o) => !selected.includes(o))
  const selectedKeys = new Set(selected.map(keyOf).filter(Boolean))
  // Already placed orders, minus the selections themselves (a client may also have saved them).
  const placed = [
    ...patient.serviceRequests.filter((o) => !selectedKeys.has(keyOf(o))),
    ...otherDrafts,
  ]

  const today = todayOf(options)
  const open = recentSubjects(patient, options).filter(
    (s) => !!s.lead.followUp && !followUpDone(s, patient, options)
  )

  const cards: IssuedCard[] = []
  for (const subject of open) {
    const card = await verdictCard(subject, imaging, placed, patient, options, hook, today)
    if (card) cards.push(card)
  }
  return cards
}

/**
 * The card for one open finding, judging the selection most like its follow-up. Undefined when
 * the selection is a different exam and the follow-up is already ordered: nothing to warn about.
 */
async function verdictCard(
  subject: CardSubject,
  imaging: ServiceRequest[],
  placed: ServiceRequest[],
  patient: PatientEvidence,
  options: CardOptions,
  hook: string,
  today: string
): Promise<IssuedCard | undefined> {
  const a = subject.lead
  const followUp = a.followUp!
  const study = subject.study
  const family = followUpFamily(followUp.order)
  const existing = coveringOrder(subject, placed, patient.patientId, options)
  // The selection to judge: one of the recommended family first, then an uncoded one.
  const same = imaging.find((o) => orderFamily(o.code, options) === family)
  const uncoded = imaging.find((o) => orderFamily(o.code, options) === 'unknown')
  const selection = same ?? uncoded ?? imaging[0]!
  const window = dueWindow(study.studyDate!, followUp)
  const when = orderDate(selection) ?? today

  let verdict: OrderVerdict
  if (same) verdict = existing ? 'duplicate' : when < window.low ? 'early' : 'matches'
  else if (uncoded) verdict = 'unknown-code'
  else if (existing)
    return undefined // a different exam, and the follow-up is already ordered
  else verdict = 'different'

  const d = words.detail.orderSelect
  const orderLabel = options.orderCodes[followUp.order].display
  const selectedName = orderName(selection)
  const early = words.early(daysBetween(when, window.start))
  const verdictLine = {
    matches: () => d.matches(orderLabel, window.start, selectedName),
    early: () => d.early(orderLabel, window.start, selectedName, when, early),
    duplicate: () => d.duplicate(orderFacts(existing!)),
    different: () => d.different(orderLabel, window.start, selectedName),
    'unknown-code': () => d.unknownCode(orderLabel, window.start),
  }[verdict]()

  const summary = words.summary.orderSelect({
    verdict,
    what: findingShortName(a),
    order: followUp.order,
    due: window.start,
    ...(verdict === 'early' ? { early } : {}),
  })
  const uuid = await cardUuid(hook, a.finding.observationRef, a.category)
  const links = studyLinks(
    study,
    options,
    a.finding.keyImage,
    words.links.priorStudy(study.studyDate)
  )
  const state = { window, ...(existing ? { existing } : {}) }
  const card: Card = {
    uuid,
    summary: fitSummary(summary),
    indicator: verdict === 'early' || verdict === 'duplicate' ? 'warning' : 'info',
    detail: detailMarkdown(subject, state, options, { lead: [verdictLine] }),
    source: cardSource(options),
    overrideReasons: overrideReasons(),
    ...(links.length ? { links } : {}),
  }
  return { card, meta: cardMeta(subject, uuid) }
}

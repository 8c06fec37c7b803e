/**
 * @module cards/study-card
 * Cards for one imaging study whose AI results just arrived (the imaging-study-complete hook):
 * one card per non-nodule finding and one card for all of the study's nodules, led by the most
 * suspicious one. Each card comes back with its {@link CardMeta} (`IssuedCard`), in display order.
 * Every sentence comes from `cards/` through `words`.
 */
import type { ServiceRequest } from 'fhir/r4'
import { fitSummary, words, type Plan } from '../../cards/index'
import { noFollowUpReason } from '../clinical/assess'
import { cardMeta, cardSource, overrideReasons } from './shared-fields'
import { detailMarkdown } from './detail'
import type { PatientEvidence, StudyEvidence } from '../evidence'
import { findingName, noduleFacts } from './wording-facts'
import { followUpState, type FollowUpState } from './follow-up'
import { studyLabel, studyLinks } from './links'
import { examOf, indexOrders, orderKindOf, orderName, type OrderIndex } from './orders'
import { cardSubjects, type CardSubject } from './subjects'
import { additionalSuggestions, followUpSuggestion } from './suggestions'
import type { Card, CardOptions, IssuedCard } from './types'
import { cardUuid } from './uuid'

/** The hook name hashed into these cards' uuids (stable even if the served hook is renamed). */
export const STUDY_HOOK = 'imaging-study-complete'

/**
 * What was ordered, for "… already ordered", named by the order's own exam family (an LDCT is
 * never called a CT chest); an order of no follow-up kind (tissue sampling, referral) by its name.
 */
function ordered(existing: ServiceRequest, options: CardOptions): Plan {
  const kind = orderKindOf(examOf(existing.code, options))
  return kind ? { kind: 'ordered', order: kind } : { kind: 'ordered', name: orderName(existing) }
}

/** What the summary of a finding card says, for the imaging-study-complete hook. */
export function findingSummary(
  subject: CardSubject,
  state: FollowUpState,
  options: CardOptions
): string {
  const a = subject.lead
  const f = a.finding
  if (f.kind === 'pulmonary-nodule') {
    const plan: Plan = a.followUp
      ? state.existing
        ? ordered(state.existing, options)
        : {
            kind: 'follow-up',
            order: a.followUp.order,
            months: a.followUp.months,
            ...(a.followUp.optional ? { optional: true } : {}),
            ...(a.followUp.then ? { then: a.followUp.then } : {}),
          }
      : {
          kind: 'none',
          guideline: a.guideline,
          ...(noFollowUpReason(a) ? { why: noFollowUpReason(a)! } : {}),
        }
    return words.summary.nodules({
      ...noduleFacts(a),
      more: subject.others.length,
      plan,
      lowConfidence: a.lowConfidence,
    })
  }
  const study = studyLabel(subject.study)
  if (f.kind === 'unknown')
    return words.summary.unknown({
      name: f.name,
      ...(study ? { study } : {}),
      lowConfidence: a.lowConfidence,
    })
  return words.summary.finding({
    name: findingName(f),
    ...(study ? { study } : {}),
    critical: a.indicator === 'critical',
    lowConfidence: a.lowConfidence,
    ...(f.confidence !== undefined ? { confidence: f.confidence } : {}),
  })
}

/**
 * One finding card: summary, detail, follow-up suggestion (or "already ordered" in the detail),
 * override reasons and viewer links. `summary` and `lead` let other hooks reuse it with their own
 * wording on top.
 */
export function findingCard(
  subject: CardSubject,
  patient: PatientEvidence,
  patientOrders: OrderIndex,
  options: CardOptions,
  hook: string,
  custom: { summary?: (state: FollowUpState) => string; lead?: string[] } = {}
): IssuedCard {
  const a = subject.lead
  const f = a.finding
  const state = followUpState(subject, patientOrders, options)
  const suggestion = followUpSuggestion(subject, state, patient, options, hook)
  const further = additionalSuggestions(subject, state, patient, patientOrders, options, hook)
  const suggestions = [...(suggestion ? [suggestion] : []), ...further.map((o) => o.suggestion)]
  const links = studyLinks(subject.study, options, f.keyImage)
  const uuid = cardUuid(hook, f.observationRef, a.category, options.uuidNamespace)
  const card: Card = {
    uuid,
    summary: fitSummary((custom.summary ?? ((s) => findingSummary(subject, s, options)))(state)),
    indicator: a.indicator,
    detail: detailMarkdown(subject, state, options, {
      ...(custom.lead ? { lead: custom.lead } : {}),
      suggested: !!suggestion,
      offered: further.map((o) => o.followUp),
    }),
    source: cardSource(options),
    // At most one is recommended (the follow-up); the clinician picks at most one to create.
    ...(suggestions.length ? { suggestions, selectionBehavior: 'at-most-one' as const } : {}),
    overrideReasons: overrideReasons(),
    ...(links.length ? { links } : {}),
  }
  return {
    card,
    meta: cardMeta(
      subject,
      uuid,
      suggestion?.uuid,
      further.flatMap((o) => (o.suggestion.uuid ? [o.suggestion.uuid] : []))
    ),
  }
}

/**
 * Cards for one study: most urgent first. Returns `{ card, meta }` pairs; pass `meta` to the
 * feedback store so feedback on `card.uuid` can be tied back to the finding.
 */
export function studyCards(
  study: StudyEvidence,
  patient: PatientEvidence,
  options: CardOptions,
  hook: string = STUDY_HOOK
): IssuedCard[] {
  const patientOrders = indexOrders(patient.serviceRequests, patient.patientId, options)
  return cardSubjects(study).map((s) => findingCard(s, patient, patientOrders, options, hook))
}

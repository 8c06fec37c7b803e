/**
 * @module cards/suggestions
 * A card's suggestions: the follow-up the guideline recommends, and the optional further orders
 * it allows beside it (PET/CT). Each is one `create` action holding a draft ServiceRequest
 * (`follow-up-order`); labels and descriptions come from `words.suggestion`.
 */
import { words } from '../../cards/index'
import { isArrangeNow } from '../clinical/index'
import type { FollowUp } from '../clinical/types'
import type { PatientEvidence } from '../evidence'
import { coveringOrder, type FollowUpState } from './follow-up'
import { draftOrder } from './follow-up-order'
import { dueDates, dueWindow, type DueWindow, type OrderIndex } from './orders'
import type { CardSubject } from './subjects'
import type { CardOptions, Suggestion } from './types'
import { suggestionUuid } from './uuid'

/**
 * Makes the `create` suggestions of one card. The recommended follow-up and the further orders
 * differ only in label and recommendation, so both share this: the uuid hashes the finding, the
 * order code and the due date (a repeat call gives the same uuid, and feedback finds it).
 */
function orderSuggestions(
  subject: CardSubject,
  patientId: string,
  options: CardOptions,
  hook: string
) {
  const a = subject.lead
  const shortReason = words.order.shortReason(a.guideline, a.category)
  return function orderSuggestion(
    followUp: FollowUp,
    window: DueWindow,
    label: string,
    isRecommended: boolean
  ): Suggestion {
    const code = options.orderCodes[followUp.order]
    return {
      label,
      uuid: suggestionUuid(
        hook,
        a.finding.observationRef,
        code.code,
        window.due,
        options.uuidNamespace
      ),
      isRecommended,
      actions: [
        {
          type: 'create',
          description: words.suggestion.action(code.display, shortReason, isArrangeNow(followUp)),
          resource: draftOrder(subject, followUp, window, patientId, options),
        },
      ],
    }
  }
}

/**
 * The follow-up suggestion: one `create` action with a draft/proposal ServiceRequest, when the
 * assessment has a follow-up, the study date and patient are known, and no order covers it yet.
 */
export function followUpSuggestion(
  subject: CardSubject,
  state: FollowUpState,
  patient: PatientEvidence,
  options: CardOptions,
  hook: string
): Suggestion | undefined {
  const a = subject.lead
  const followUp = a.followUp
  if (!followUp || !state.window || state.existing || !patient.patientId) return undefined
  const shortReason = words.order.shortReason(a.guideline, a.category)
  const label = isArrangeNow(followUp)
    ? words.suggestion.labelNow(followUp.order, shortReason)
    : words.suggestion.label(followUp.order, dueDates(state.window), shortReason)
  // An optional follow-up (Fleischner "optional CT at 12 months") is offered, not recommended;
  // so is any follow-up of a finding the AI is unsure of: the card asks to verify it first.
  const isRecommended = !followUp.optional && !a.lowConfidence
  const suggest = orderSuggestions(subject, patient.patientId, options, hook)
  return suggest(followUp, state.window, label, isRecommended)
}

/**
 * The guideline's optional further orders beside the follow-up: PET/CT for Lung-RADS 4A/4B/4X
 * with a solid nodule or solid component ≥ 8 mm, Fleischner solid > 8 mm or a solid component
 * > 8 mm. Offered, never recommended (the guideline says "may be considered", and the card's one
 * recommendation stays the follow-up, as `at-most-one` requires). They are alternatives to the
 * follow-up, so none is offered once the follow-up is ordered, nor when an equivalent order
 * (an open PET/CT after the study) exists.
 */
export function additionalSuggestions(
  subject: CardSubject,
  state: FollowUpState,
  patient: PatientEvidence,
  patientOrders: OrderIndex,
  options: CardOptions,
  hook: string
): { followUp: FollowUp; suggestion: Suggestion }[] {
  const a = subject.lead
  const studyDate = subject.study.studyDate
  const patientId = patient.patientId
  if (!studyDate || !patientId || state.existing) return []
  const shortReason = words.order.shortReason(a.guideline, a.category)
  const suggest = orderSuggestions(subject, patientId, options, hook)
  const offered: { followUp: FollowUp; suggestion: Suggestion }[] = []
  for (const followUp of a.additionalFollowUps ?? []) {
    if (coveringOrder(subject, patientOrders, options, followUp)) continue
    const label = words.suggestion.consider(followUp.order, shortReason, followUp.because)
    const suggestion = suggest(followUp, dueWindow(studyDate, followUp, options), label, false)
    offered.push({ followUp, suggestion })
  }
  return offered
}

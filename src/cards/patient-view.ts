/**
 * @module cards/patient-view
 * patient-view: one card per outstanding AI finding of the last `findingsWindowMonths` — one that
 * needs a follow-up, is critical, or needs review (a kind imaging-cds does not know, a nodule no
 * rule could assess) — that has neither an
 * order covering its follow-up nor a later study that did it (`orderCoverage` / `studyCoverage`,
 * docs/clinical-rules.md "Coverage").
 * A study's nodules count as one finding (the exam-level category is its most suspicious nodule's).
 */
import { words } from '../../cards/index'
import { isArrangeNow, needsReview } from '../clinical/index'
import type { PatientEvidence } from '../evidence'
import { findingShortName } from './wording-facts'
import { followUpDone, followUpState, type FollowUpState } from './follow-up'
import { findingCard } from './study-card'
import { indexOrders } from './orders'
import { recentSubjects, todayOf } from './subjects'
import type { CardOptions, IssuedCard } from './types'

export const PATIENT_VIEW_HOOK = 'patient-view'

/** Cards for a patient's outstanding AI findings, newest study first, most urgent first. */
export function patientViewCards(
  patient: PatientEvidence,
  options: CardOptions,
  hook: string = PATIENT_VIEW_HOOK
): IssuedCard[] {
  const today = todayOf(options)
  const patientOrders = indexOrders(patient.serviceRequests, patient.patientId, options)
  const overdue = (state: FollowUpState) =>
    !!state.window && today > (state.window.end ?? state.window.due)
  // Each subject's follow-up state computed once: it decides whether the finding is open and
  // what its detail says.
  const outstanding = recentSubjects(patient, options).flatMap((subject) => {
    const { lead } = subject
    // Unknown findings and unassessed nodules are listed too: no rule closes them, so nothing
    // else will (needsReview, src/clinical/assess.ts).
    if (!lead.followUp && lead.indicator !== 'critical' && !needsReview(lead)) return []
    const state = followUpState(subject, patientOrders, options)
    if (state.existing || followUpDone(subject, patient, options)) return []
    return [{ subject, state }]
  })

  return outstanding.map(({ subject, state: open }) => {
    const studyDate = subject.study.studyDate!
    const critical = subject.lead.indicator === 'critical'
    return findingCard(subject, patient, patientOrders, options, hook, {
      summary: (state) =>
        words.summary.openFinding({
          what: findingShortName(subject.lead),
          studyDate,
          ...(subject.lead.followUp && state.window
            ? {
                order: subject.lead.followUp.order,
                due: state.window.due,
                now: isArrangeNow(subject.lead.followUp),
              }
            : {}),
          overdue: overdue(state),
        }),
      lead: [
        words.detail.openSince(studyDate, overdue(open)),
        ...(critical ? [words.detail.criticalOpen] : []),
      ],
    })
  })
}

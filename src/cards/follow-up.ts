/**
 * @module cards/follow-up
 * Where a card subject's follow-up stands: when it is due, whether an open order covers it, and
 * whether a later study shows it was done. Every hook asks these the same way, so a finding reads
 * as "ordered" or "done" alike on all three; the rules are `orderCoverage` / `studyCoverage`.
 */
import type { ServiceRequest } from 'fhir/r4'
import { studyCoverage } from '../clinical/index'
import type { FollowUp } from '../clinical/types'
import type { PatientEvidence } from '../evidence'
import {
  dueWindow,
  examOf,
  findEquivalentOrder,
  followUpTarget,
  orderNamingFinding,
  type DueWindow,
  type OrderIndex,
} from './orders'
import type { CardSubject } from './subjects'
import type { CardOptions } from './types'

/** The follow-up of a subject: its due window, and an existing order that already covers it. */
export interface FollowUpState {
  window?: DueWindow
  existing?: ServiceRequest
}

/**
 * The order among `orders` that covers the subject's follow-up (or `followUp`, one of its
 * optional further orders): see `findEquivalentOrder`. The order must be for the lead nodule
 * (its Observation or report, or no finding as reason): an order for another nodule of the card
 * is not this one's follow-up.
 */
export function coveringOrder(
  subject: CardSubject,
  index: OrderIndex,
  options: CardOptions,
  followUp: FollowUp | undefined = subject.lead.followUp
): ServiceRequest | undefined {
  const { lead, study } = subject
  return findEquivalentOrder(lead, study.studyDate, index, options, followUp)
}

/**
 * Where the subject's follow-up stands among the patient's open orders (`patientOrders`, indexed
 * once per call). A finding with no guideline follow-up (critical, unknown) counts as acted on
 * when an order names it as its reason.
 */
export function followUpState(
  subject: CardSubject,
  patientOrders: OrderIndex,
  options: CardOptions
): FollowUpState {
  const { lead, study } = subject
  const existing = lead.followUp
    ? coveringOrder(subject, patientOrders, options)
    : orderNamingFinding(lead, patientOrders)
  const window =
    lead.followUp && study.studyDate
      ? dueWindow(study.studyDate, lead.followUp, options)
      : undefined
  return { ...(window ? { window } : {}), ...(existing ? { existing } : {}) }
}

/**
 * True when a later study shows the follow-up was done: its procedure is of an accepted exam
 * family and it was performed inside the due window (`studyCoverage`). A chest CT for another
 * reason days after the study is not the follow-up; orders alone never count as done.
 */
export function followUpDone(
  subject: CardSubject,
  patient: PatientEvidence,
  options: CardOptions
): boolean {
  const followUp = subject.lead.followUp
  const since = subject.study.studyDate
  if (!followUp || !since) return false
  const target = followUpTarget(subject.lead, since, followUp, options)
  return patient.studies.some((s) => {
    if (s === subject.study || !s.studyDate) return false
    const families = (s.study.procedureCode ?? []).map((c) => examOf(c, options))
    return families.some((family) => studyCoverage({ family, date: s.studyDate! }, target).covers)
  })
}

/**
 * @module cards/follow-up
 * Where a card subject's follow-up stands: when it is due, whether an open order already covers
 * it, and whether a later study shows it was done. Every hook asks these the same way, so a
 * finding reads as "ordered" or "done" alike on all three.
 */
import type { ServiceRequest } from 'fhir/r4'
import type { FollowUp } from '../clinical/types'
import type { PatientEvidence } from './evidence'
import {
  dueWindow,
  findEquivalentOrder,
  followUpFamily,
  orderFamily,
  type DueWindow,
} from './orders'
import { subjectRefs, type CardSubject } from './subjects'
import type { CardOptions } from './types'

/** The follow-up of a subject: its due window, and an existing order that already covers it. */
export interface FollowUpState {
  window?: DueWindow
  existing?: ServiceRequest
}

/**
 * The order among `orders` that already covers the subject's follow-up (or `followUp`, one of
 * its optional further orders): see `findEquivalentOrder`. Any of the card's findings counts as
 * the order's reason, since a study's nodules share one card and one follow-up.
 */
export function coveringOrder(
  subject: CardSubject,
  orders: ServiceRequest[],
  patientId: string | undefined,
  options: CardOptions,
  followUp: FollowUp | undefined = subject.lead.followUp
): ServiceRequest | undefined {
  const { lead, study } = subject
  return findEquivalentOrder(
    lead,
    subjectRefs(subject),
    study.studyDate,
    orders,
    patientId,
    options,
    followUp
  )
}

/** Where the subject's follow-up stands among the patient's open orders (and `extraOrders`). */
export function followUpState(
  subject: CardSubject,
  patient: PatientEvidence,
  options: CardOptions,
  extraOrders: ServiceRequest[] = []
): FollowUpState {
  const { lead, study } = subject
  // The patient's own list when there is nothing to add, so every subject of a call shares one
  // order index (see `findEquivalentOrder`) instead of indexing a fresh copy each time.
  const orders = extraOrders.length
    ? [...patient.serviceRequests, ...extraOrders]
    : patient.serviceRequests
  const existing = coveringOrder(subject, orders, patient.patientId, options)
  const window =
    lead.followUp && study.studyDate ? dueWindow(study.studyDate, lead.followUp) : undefined
  return { ...(window ? { window } : {}), ...(existing ? { existing } : {}) }
}

/**
 * True when the follow-up has evidently happened: a later study of the same code family, or a
 * later study the nodule AI read (a chest CT), exists. Orders alone do not count as done.
 */
export function followUpDone(
  subject: CardSubject,
  patient: PatientEvidence,
  options: CardOptions
): boolean {
  const followUp = subject.lead.followUp
  const since = subject.study.studyDate
  if (!followUp || !since) return false
  const family = followUpFamily(followUp.order)
  return patient.studies.some(
    (s) =>
      s !== subject.study &&
      !!s.studyDate &&
      s.studyDate > since &&
      ((s.study.procedureCode ?? []).some((c) => orderFamily(c, options) === family) ||
        (family === 'chest-ct' && s.findings.some((f) => f.kind === 'pulmonary-nodule')))
  )
}

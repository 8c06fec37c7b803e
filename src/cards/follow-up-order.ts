/**
 * @module cards/follow-up-order
 * The draft/proposal ServiceRequest a follow-up suggestion creates: the configured order code,
 * the due date or window, the finding as its reason (with the Lung-RADS RadLex code), the study
 * as supporting info, and a note that says why. Its sentences come from `words.order`.
 */
import type { ServiceRequest } from 'fhir/r4'
import { words } from '../../cards/index'
import { isArrangeNow, lungRadsRadlex } from '../clinical/index'
import type { FollowUp, LungRadsCategory } from '../clinical/types'
import { findingPhrase } from './wording-facts'
import type { DueWindow } from './orders'
import { parseRef } from '../fhir/reference'
import type { CardSubject } from './subjects'
import type { CardOptions } from './types'

/**
 * What the order's reasonReference points at: the finding Observation, or its report when the
 * Observation is contained there (a contained resource cannot be referenced from outside).
 */
function reasonReference(subject: CardSubject): string | undefined {
  const f = subject.lead.finding
  if (subject.study.containedFindings?.includes(f.observationRef)) return f.reportRef
  return parseRef(f.observationRef).type === 'Observation' ? f.observationRef : undefined
}

/**
 * The draft/proposal ServiceRequest for one follow-up of the subject's lead finding.
 *
 * A "now" follow-up (Lung-RADS 4B/4X diagnostic CT, the optional PET/CT) is a work-up to arrange
 * promptly, not an interval, so its order carries no occurrence date and `priority: urgent`. The
 * study date would put the order in the past (and on a patient-view months later it would read as
 * long overdue the moment it is created); today's date would ask for a same-day slot, which no
 * guideline row calls for. FHIR `urgent` ("actioned promptly, higher priority than routine") is the
 * lowest priority above routine: "do not wait for an interval", leaving the date to scheduling.
 */
export function draftOrder(
  subject: CardSubject,
  followUp: FollowUp,
  window: DueWindow,
  patientId: string,
  options: CardOptions
): ServiceRequest {
  const a = subject.lead
  const code = options.orderCodes[followUp.order]
  const reason = words.order.reason(a.guideline, a.category)
  const rid =
    a.guideline === 'lung-rads-v2022' && a.category
      ? lungRadsRadlex[a.category as LungRadsCategory]
      : undefined
  const reasonRef = reasonReference(subject)
  const { due: start, end } = window
  const now = isArrangeNow(followUp)
  return {
    resourceType: 'ServiceRequest',
    status: 'draft',
    intent: 'proposal',
    ...(now ? { priority: 'urgent' as const } : {}),
    code: {
      coding: [{ system: code.system, code: code.code, display: code.display }],
      text: code.display,
    },
    subject: { reference: `Patient/${patientId}` },
    ...(now ? {} : end ? { occurrencePeriod: { start, end } } : { occurrenceDateTime: start }),
    ...(reasonRef ? { reasonReference: [{ reference: reasonRef }] } : {}),
    reasonCode: [
      {
        ...(rid
          ? {
              coding: [
                { system: 'http://radlex.org', code: rid, display: `Lung-RADS ${a.category}` },
              ],
            }
          : {}),
        text: reason,
      },
    ],
    ...(subject.study.studyRef ? { supportingInfo: [{ reference: subject.study.studyRef }] } : {}),
    note: [
      {
        text: words.order.note(reason, findingPhrase(a), subject.study.studyDate, now),
      },
    ],
  }
}

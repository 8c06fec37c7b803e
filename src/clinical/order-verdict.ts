/**
 * @module clinical/order-verdict
 * order-select's judgement of a selected imaging order against a finding's follow-ups: it
 * matches, is early or late (by how many days), is the wrong exam, duplicates an order already
 * placed, or has no code yet; with the change that would make it right (move it to the due date,
 * or give it the recommended exam's code). Pure: facts in, verdict out; the card words it.
 */
import {
  acceptedFamilies,
  dueWindow,
  orderCoverage,
  type CandidateFacts,
  type DueWindow,
  type ExamReading,
  type FollowUpTarget,
} from './exam-families'
import type { FollowUp } from './types'

export type OrderVerdictKind = 'matches' | 'early' | 'late' | 'wrong-exam' | 'duplicate' | 'uncoded'

export interface OrderVerdict {
  verdict: OrderVerdictKind
  /** The follow-up the selection was judged against (the recommended one for a wrong exam). */
  followUp: FollowUp
  window: DueWindow
  /** Early: days before the due date; late: days after the due date (a range: after its end). */
  days?: number
  /** What the selection reads as. */
  selected: ExamReading
  /** Index in `placed` of the order it duplicates. */
  duplicateOf?: number
  /**
   * The change that makes the selection the follow-up: a new date (YYYY-MM-DD), and/or the order
   * kind whose configured code it should carry. Absent when nothing needs changing.
   */
  update?: { date?: string; order?: FollowUp['order'] }
}

/**
 * Judges `selected` against the finding's follow-ups (`followUps[0]` is the recommended one; the
 * rest are options such as an optional PET/CT). The selection is matched to the first follow-up
 * that accepts its family; with none, it is the wrong exam for the recommended one. An undated
 * selection is judged as if booked `today`.
 */
export function judgeOrder(
  selected: CandidateFacts,
  followUps: readonly FollowUp[],
  target: Omit<FollowUpTarget, 'followUp'>,
  placed: readonly CandidateFacts[],
  today: string
): OrderVerdict | undefined {
  const recommended = followUps[0]
  if (!recommended) return undefined
  const windowOf = (f: FollowUp) => dueWindow(target.studyDate, f, target.toleranceDays)
  /** The date to move an order to: the due date, or today when that has passed. */
  const moveTo = (w: DueWindow) => (w.now || w.due < today ? today : w.due)

  if (selected.family === 'uncoded') {
    const window = windowOf(recommended)
    return {
      verdict: 'uncoded',
      followUp: recommended,
      window,
      selected: selected.family,
      update: { order: recommended.order, ...(window.now ? {} : { date: moveTo(window) }) },
    }
  }
  const family = selected.family
  const followUp =
    family === 'other' ? undefined : followUps.find((f) => acceptedFamilies(f).includes(family))
  if (!followUp) {
    const window = windowOf(recommended)
    const date = selected.date ?? today
    const dateOff = !window.now && (date < window.low || date > window.high)
    return {
      verdict: 'wrong-exam',
      followUp: recommended,
      window,
      selected: selected.family,
      update: { order: recommended.order, ...(dateOff ? { date: moveTo(window) } : {}) },
    }
  }
  const full: FollowUpTarget = { ...target, followUp }
  const window = windowOf(followUp)
  const duplicateOf = placed.findIndex((o) => orderCoverage(o, full).covers)
  if (duplicateOf >= 0)
    return { verdict: 'duplicate', followUp, window, selected: selected.family, duplicateOf }
  const coverage = orderCoverage({ ...selected, reasons: [], date: selected.date ?? today }, full)
  if (coverage.covers) return { verdict: 'matches', followUp, window, selected: selected.family }
  const verdict = coverage.because === 'late' ? 'late' : 'early'
  const date = moveTo(window)
  // An undated order for a late work-up is already "as soon as possible": nothing to move.
  const update = selected.date && date !== selected.date ? { update: { date } } : {}
  return {
    verdict,
    followUp,
    window,
    ...(coverage.days !== undefined ? { days: coverage.days } : {}),
    selected: selected.family,
    ...(verdict === 'early' && !selected.date ? { update: { date } } : update),
  }
}

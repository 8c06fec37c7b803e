/**
 * @module cards/subjects
 * Which findings share a card: a study's nodules share one, led by the most suspicious; every
 * other finding has its own. Cards come most urgent first. The hooks that look back over a
 * patient's studies (patient-view, order-select) take the subjects of the findings window.
 */
import { suspicionRank } from '../clinical/index'
import type { Assessment } from '../clinical/types'
import type { PatientEvidence, StudyEvidence } from '../evidence'
import { shiftMonths } from './orders'
import type { CardOptions } from './types'

/** Findings that share one card: a study's nodules (lead + others), or one other finding. */
export interface CardSubject {
  study: StudyEvidence
  lead: Assessment
  /** The study's other nodules, most suspicious first. */
  others: Assessment[]
}

const INDICATOR_RANK = { critical: 2, warning: 1, info: 0 } as const

/** Cards of a study in display order: most urgent first; one subject for all nodules. */
export function cardSubjects(study: StudyEvidence): CardSubject[] {
  const nodules = study.assessments
    .filter((a) => a.finding.kind === 'pulmonary-nodule')
    // Stable sort: equal ranks keep the report's order.
    .sort((a, b) => suspicionRank(b) - suspicionRank(a))
  const subjects: CardSubject[] = study.assessments
    .filter((a) => a.finding.kind !== 'pulmonary-nodule')
    .map((lead) => ({ study, lead, others: [] }))
  const [lead, ...others] = nodules
  if (lead) subjects.push({ study, lead, others })
  return subjects.sort(
    (a, b) => INDICATOR_RANK[b.lead.indicator] - INDICATOR_RANK[a.lead.indicator]
  )
}

/** `Observation/{id}` of every finding on the card. */
export const subjectRefs = (s: CardSubject) =>
  [s.lead, ...s.others].map((a) => a.finding.observationRef)

/** Today (YYYY-MM-DD) by the options' clock, not the machine's, so tests and replays can fix it. */
export const todayOf = (options: Pick<CardOptions, 'now'>) => options.now.toISOString().slice(0, 10)

/**
 * The subjects of the studies in the findings window: dated within the last
 * `findingsWindowMonths`, up to today. An undated study is left out, as nothing says it is recent.
 */
export function recentSubjects(
  patient: PatientEvidence,
  options: Pick<CardOptions, 'now' | 'findingsWindowMonths'>
): CardSubject[] {
  const today = todayOf(options)
  const since = shiftMonths(today, -options.findingsWindowMonths)
  return patient.studies
    .filter((s) => !!s.studyDate && s.studyDate >= since && s.studyDate <= today)
    .flatMap(cardSubjects)
}

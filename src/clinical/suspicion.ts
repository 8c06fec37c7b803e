/**
 * @module clinical/suspicion
 * Orders assessments by suspicion, so a study's most suspicious nodule can lead its card (the
 * Lung-RADS exam category is that of the single most suspicious nodule).
 */
import type { Indicator } from './assess'
import { lungRadsRank } from './lung-rads'
import { noduleDiameters } from './measure'
import type { Assessment, LungRadsCategory } from './types'

const indicatorWeight: Readonly<Record<Indicator, number>> = { info: 0, warning: 1, critical: 2 }

/** How far a category sits up its guideline's scale; 0 when there is none. */
function categoryWeight(assessment: Assessment): number {
  const { guideline, category, followUp } = assessment
  if (!category) return 0
  if (guideline === 'lung-rads-v2022') return lungRadsRank(category as LungRadsCategory) + 1
  if (guideline !== 'fleischner-2017') return 0
  // Fleischner rows have no ordinal: an earlier or firmer follow-up means a more suspicious row.
  if (!followUp) return 1
  if (followUp.optional) return 2
  return followUp.months.from <= 3 ? 4 : 3
}

/**
 * A number that orders assessments by suspicion, to pick the study's lead nodule: indicator
 * first (so a low-confidence finding ranks below confident ones), then the guideline category,
 * then the mean diameter. Higher is more suspicious.
 */
export function suspicionRank(assessment: Assessment): number {
  const { d } = noduleDiameters(
    assessment.finding.nodule ?? { change: 'baseline', benignFeature: false }
  )
  return (
    indicatorWeight[assessment.indicator] * 1_000_000 +
    categoryWeight(assessment) * 1_000 +
    Math.min(d ?? 0, 999)
  )
}

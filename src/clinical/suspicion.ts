/**
 * @module clinical/suspicion
 * Orders assessments by suspicion, so a study's most suspicious nodule can lead its card (the
 * Lung-RADS exam category is that of the single most suspicious nodule), and counts the distinct
 * nodules Fleischner's "multiple" rows are about.
 */
import { lungRadsRank } from './lung-rads'
import { noduleDiameters } from './measure'
import type { Assessment, Finding, LungRadsCategory } from './types'

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
 * A number that orders assessments by suspicion, to pick the study's lead nodule: the guideline
 * category first, then the mean diameter. Higher is more suspicious. The AI's confidence only
 * labels a finding ("low confidence"): a 17 mm nodule at 42 % still leads a 9 mm one at 88 %.
 */
export function suspicionRank(assessment: Assessment): number {
  const { d } = noduleDiameters(
    assessment.finding.nodule ?? { change: 'baseline', benignFeature: false }
  )
  return categoryWeight(assessment) * 1_000 + Math.min(d ?? 0, 999)
}

/**
 * How many distinct nodules a study's findings hold, for Fleischner's "single" or "multiple":
 * nodules with a benign feature (calcified granuloma, fat) do not count, nor does a finding that
 * is another's prior measurement, nor a duplicate (a second finding at the same site with the
 * same mean diameter, to 0.1 mm, and solidness: two reports of one nodule).
 */
export function multipleNoduleCount(findings: readonly Finding[]): number {
  const nodules = findings.filter((f) => f.kind === 'pulmonary-nodule' && f.nodule)
  const priors = new Set(
    nodules.flatMap((f) => (f.priors ?? []).map((p) => p.observationRef).filter(Boolean))
  )
  const seen = new Set<string>()
  let count = 0
  for (const f of nodules) {
    if (f.nodule!.benignFeature || priors.has(f.observationRef)) continue
    const { d } = noduleDiameters(f.nodule!)
    const key =
      d === undefined ? undefined : `${f.location ?? ''}|${d}|${f.nodule!.solidness ?? ''}`
    if (key !== undefined) {
      if (seen.has(key)) continue
      seen.add(key)
    }
    count += 1
  }
  return count
}

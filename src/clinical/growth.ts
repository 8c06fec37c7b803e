/**
 * @module clinical/growth
 * Change of a nodule computed from its own measurements: a pure function over the current
 * measurement and the prior ones the AI linked (the finding's `derivedFrom` chain, newest first).
 * Lung-RADS v2022 (docs/clinical-rules.md, "Growth from priors"):
 * - growth is an increase in mean diameter of more than 1.5 mm within 12 months; the nearest
 *   prior is also compared whatever the interval (annual exams are rarely exactly 12 months
 *   apart; a larger nodule is read as growing, the safer reading, and the card says so);
 * - slow growth is a solid or part-solid nodule that grows over several exams (at least two
 *   priors, never smaller from one exam to the next, more than 1.5 mm in all) without meeting
 *   the growth rule;
 * - a solid component is new when the prior had none (a ground-glass prior) and growing when it
 *   grew by more than 1.5 mm (the growth rule applied to the component).
 * Diameters are compared as Lung-RADS rounds them, to 0.1 mm.
 */
import { noduleDiameters, toTenthMm } from './measure'
import type { NoduleHistoryEntry, PriorMeasurement } from './types'

/** Increase in mean diameter (mm, rounded to 0.1) above which a nodule is growing. */
export const GROWTH_MM = 1.5
/** The growth rule's interval, in days (12 months). */
export const GROWTH_WINDOW_DAYS = 366

/** One exam's measurement of the nodule (date YYYY-MM-DD or a dateTime). */
export type NoduleMeasurement = PriorMeasurement
type HistoryEntry = NoduleHistoryEntry

export interface ComputedGrowth {
  /** From the priors; undefined when no prior had a comparable size. */
  change?: 'growing' | 'stable' | 'decreased'
  slowGrowth: boolean
  solidComponent?: 'new' | 'growing'
  /** Change in mean diameter since the nearest prior, and the months between them. */
  sinceNearest?: { mm: number; months?: number; date?: string }
  /** Current exam first, then each prior, newest first. */
  history: HistoryEntry[]
  /** How the change was computed, for the card's caveats. */
  notes: string[]
}

const day = (date: string | undefined) => {
  const time = Date.parse((date ?? '').slice(0, 10) + 'T00:00:00Z')
  return Number.isNaN(time) ? undefined : time / 86_400_000
}
const fmt = (mm: number) => `${mm > 0 ? '+' : ''}${mm.toFixed(1)} mm`

function entry(m: NoduleMeasurement): HistoryEntry {
  const { d, s } = noduleDiameters(m.nodule)
  return {
    ...(m.date && { date: m.date.slice(0, 10) }),
    ...(d !== undefined && { meanMm: d }),
    ...(m.nodule.sizeUnusable && { sizeUnusable: true }),
    ...(s !== undefined && { solidMm: s }),
    ...(m.nodule.solidness && { solidness: m.nodule.solidness }),
    ...(m.observationRef && { observationRef: m.observationRef }),
  }
}

/**
 * The change of `current` computed from `priors` (any order; sorted newest first here). Priors
 * dated after the current exam are left out; undated ones are shown in the history but only
 * used when they are the only ones.
 */
export function computeGrowth(
  current: NoduleMeasurement,
  priors: readonly NoduleMeasurement[]
): ComputedGrowth {
  const notes: string[] = []
  const now = entry(current)
  const today = day(current.date)
  const dated = priors
    .map((p) => ({ p, e: entry(p), at: day(p.date) }))
    .filter(({ at }) => today === undefined || at === undefined || at <= today)
    .sort((a, b) => (b.at ?? -Infinity) - (a.at ?? -Infinity))
  const history = [now, ...dated.map(({ e }) => e)]
  const sized = dated.filter(({ e }) => e.meanMm !== undefined)
  const result: ComputedGrowth = { slowGrowth: false, history, notes }
  if (now.meanMm === undefined || sized.length === 0) return result

  const nearest = sized[0]!
  const delta = toTenthMm(now.meanMm - nearest.e.meanMm!)
  const days = today !== undefined && nearest.at !== undefined ? today - nearest.at : undefined
  const months = days !== undefined ? Math.round(days / 30.44) : undefined
  result.sinceNearest = {
    mm: delta,
    ...(months !== undefined && { months }),
    ...(nearest.e.date && { date: nearest.e.date }),
  }
  const withinYear = sized.filter(
    ({ at }) => today !== undefined && at !== undefined && today - at <= GROWTH_WINDOW_DAYS
  )
  const grewWithinYear = withinYear.some(({ e }) => toTenthMm(now.meanMm! - e.meanMm!) > GROWTH_MM)
  if (grewWithinYear || delta > GROWTH_MM) {
    result.change = 'growing'
    if (!grewWithinYear)
      notes.push(
        `Mean diameter ${fmt(delta)} since ${nearest.e.date ?? 'the prior exam'}${months !== undefined ? ` (${months} months)` : ''}: the growth rule is > ${GROWTH_MM} mm within 12 months; read as growing, the safer reading.`
      )
  } else if (delta < -GROWTH_MM) result.change = 'decreased'
  else result.change = 'stable'

  // Slow growth: solid or part-solid, ≥ 3 exams, never smaller, > 1.5 mm in all.
  const series = [now.meanMm, ...sized.map(({ e }) => e.meanMm!)]
  const neverSmaller = series.every((mm, i) => i === series.length - 1 || mm >= series[i + 1]!)
  const total = toTenthMm(now.meanMm - series[series.length - 1]!)
  const solidish = current.nodule.solidness !== 'ground-glass'
  if (
    result.change !== 'growing' &&
    solidish &&
    sized.length >= 2 &&
    neverSmaller &&
    total > GROWTH_MM
  ) {
    result.slowGrowth = true
    notes.push(
      `Slow growth: mean diameter ${fmt(total)} over ${series.length} exams without meeting the growth rule.`
    )
  }

  // Solid component of a part-solid nodule: new (the prior was ground glass) or growing.
  if (current.nodule.solidness === 'part-solid' && now.solidMm !== undefined) {
    const prior = nearest.e
    if (prior.solidness === 'ground-glass') result.solidComponent = 'new'
    else if (prior.solidMm !== undefined && toTenthMm(now.solidMm - prior.solidMm) > GROWTH_MM)
      result.solidComponent = 'growing'
    if (result.solidComponent)
      notes.push(
        `Solid component ${result.solidComponent === 'new' ? 'new since' : 'grown since'} ${prior.date ?? 'the prior exam'}: ${now.solidMm.toFixed(1)} mm${prior.solidMm !== undefined ? ` (was ${prior.solidMm.toFixed(1)} mm)` : ' (was ground glass)'}.`
      )
  }
  return result
}

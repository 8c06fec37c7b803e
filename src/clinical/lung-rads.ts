/**
 * @module clinical/lung-rads
 * The Lung-RADS v2022 evaluator: finds the row of `lungRadsRows` that fits a nodule, and the
 * follow-up of its category. Diameters are rounded half-up to 0.1 mm before any comparison.
 */
import { inBounds, noduleDiameters } from './measure'
import {
  lungRadsCategories,
  lungRadsPetCt,
  lungRadsRows,
  type LungRadsNoduleType,
  type LungRadsRow,
} from './lung-rads-table'
import type { FollowUp, LungRadsCategory, NoduleChange, NoduleFacts } from './types'

export interface LungRadsResult {
  category?: LungRadsCategory
  row?: LungRadsRow
  /** The measurement whose absence kept every row from applying. */
  missing?: 'diameter' | 'solid-component'
  /** Assumptions made, or why no category was given; the assessment shows them as caveats. */
  notes: string[]
}

/** Categories in order of suspicion; 0 (incomplete) counts as the lowest. */
export const lungRadsOrder: readonly LungRadsCategory[] = ['0', '1', '2', '3', '4A', '4B', '4X']

/** Position of a category in `lungRadsOrder`: higher is more suspicious. */
export const lungRadsRank = (category: LungRadsCategory) => lungRadsOrder.indexOf(category)

/** The more suspicious of two categories. */
export const moreSuspicious = (a: LungRadsCategory, b: LungRadsCategory) =>
  lungRadsRank(a) >= lungRadsRank(b) ? a : b

/** The row families a nodule is read against, most specific first. */
function rowTypes(nodule: NoduleFacts, notes: string[]): LungRadsNoduleType[] {
  const { position, solidness } = nodule
  if (position === 'airway-segmental' || position === 'airway-subsegmental') return [position]
  if (solidness === 'part-solid' || solidness === 'ground-glass') return [solidness]
  if (!solidness) notes.push('Solidness not given: assessed as a solid nodule.')
  // Juxtapleural rows apply to solid nodules only; above 10 mm they are read as solid.
  if (position === 'juxtapleural' || position === 'perifissural') return ['juxtapleural', 'solid']
  return ['solid']
}

function findRow(
  types: readonly LungRadsNoduleType[],
  change: NoduleChange,
  d: number | undefined,
  s: number | undefined
): { row?: LungRadsRow; missing?: LungRadsResult['missing'] } {
  let missing: LungRadsResult['missing']
  for (const type of types) {
    for (const row of lungRadsRows) {
      if (row.type !== type || !row.change.includes(change)) continue
      if (row.d) {
        if (d === undefined) {
          missing ??= 'diameter'
          continue
        }
        if (!inBounds(d, row.d)) continue
      }
      if (row.s) {
        if (s === undefined) {
          missing ??= 'solid-component'
          continue
        }
        if (!inBounds(s, row.s)) continue
      }
      return { row }
    }
  }
  return missing ? { missing } : {}
}

/**
 * The Lung-RADS v2022 category of one nodule and the row that gives it. Benign features give 1
 * whatever the size. A stable or smaller nodule of a type with no such row is categorised by size
 * as at baseline, with a note: stepped management needs the prior category, which the AI lacks.
 * A growing nodule with no growth row for its size is categorised by size as new (threshold
 * crossing, §1.1), with a note.
 */
export function lungRadsCategory(nodule: NoduleFacts): LungRadsResult {
  const notes: string[] = []
  if (nodule.benignFeature) {
    const row = lungRadsRows.find((r) => r.type === 'benign-feature')
    if (row) return { category: row.category, row, notes }
  }
  const types = rowTypes(nodule, notes)
  const { d, s } = noduleDiameters(nodule)
  let found = findRow(types, nodule.change, d, s)
  if (!found.row && !found.missing && ['stable', 'decreased'].includes(nodule.change)) {
    const asBaseline = findRow(types, 'baseline', d, s)
    if (asBaseline.row) {
      notes.push(
        `Nodule is ${nodule.change}: categorised by size as at baseline. Lung-RADS stepped management (3 stable at 6 months → 2; 4A stable at 3 months → 3) needs the prior category and may lower it.`
      )
      found = asBaseline
    }
  }
  if (!found.row && !found.missing && nodule.change === 'growing') {
    // §1.1 "threshold crossing": a nodule that enlarges into a higher size category is
    // re-categorised by size. The only sized row family with no growing row is a non-solid
    // nodule ≥ 30 mm; reading it as new (3) beats giving a growing nodule no category at all.
    const asNew = findRow(types, 'new', d, s)
    if (asNew.row?.d) {
      notes.push(
        `Growing ${types[0]} nodule with no Lung-RADS row for growth at this size: categorised by size as new. Consider 4X if it has suspicious features (e.g. a non-solid nodule that doubles within a year).`
      )
      found = asNew
    }
  }
  if (found.row) return { category: found.row.category, row: found.row, notes }
  if (found.missing === 'diameter') {
    notes.push('No nodule diameter given: no Lung-RADS category computed.')
  } else if (found.missing === 'solid-component') {
    notes.push(
      'No solid-component size given for a part-solid nodule: no Lung-RADS category computed.'
    )
  } else {
    notes.push(
      `No Lung-RADS v2022 row fits a ${nodule.change} ${types[0]} nodule${d !== undefined ? ` of ${d} mm` : ''}: no category computed.`
    )
  }
  return { ...(found.missing && { missing: found.missing }), notes }
}

/** The solid size PET/CT advice looks at: the solid component, or the whole solid nodule. */
function solidSize(nodule: NoduleFacts): { mm?: number; what: string } {
  const { d, s } = noduleDiameters(nodule)
  if (nodule.solidness === 'part-solid')
    return { ...(s !== undefined && { mm: s }), what: 'solid component' }
  if (nodule.solidness === 'ground-glass') return { what: 'non-solid nodule' }
  return { ...(d !== undefined && { mm: d }), what: 'solid nodule' }
}

/**
 * Management of a category: its text, the interval order, and an optional PET/CT when the
 * category allows it and the solid nodule or solid component is at least 8 mm.
 */
export function lungRadsManagement(
  category: LungRadsCategory,
  nodule: NoduleFacts | undefined
): { management: string; followUp?: FollowUp; additionalFollowUps: FollowUp[] } {
  const info = lungRadsCategories[category]
  const from = info.petCtFromSolidMm
  const solid = nodule && solidSize(nodule)
  const petCt = from !== undefined && solid?.mm !== undefined && solid.mm >= from
  return {
    management: info.management,
    ...(info.followUp && { followUp: info.followUp }),
    additionalFollowUps: petCt ? [{ ...lungRadsPetCt, because: `${solid.what} ≥ ${from} mm` }] : [],
  }
}

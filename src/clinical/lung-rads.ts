/**
 * @module clinical/lung-rads
 * The Lung-RADS v2022 evaluator: finds the row of `lungRadsRows` that fits a nodule, and the
 * follow-up of its category. Diameters are rounded half-up to 0.1 mm before any comparison.
 */
import { inBounds, noduleDiameters } from './measure'
import {
  lungRadsCategories,
  lungRadsFourX,
  lungRadsPetCt,
  lungRadsRows,
  lungRadsSteppedRows,
  type LungRadsNoduleType,
  type LungRadsRow,
} from './lung-rads-table'
import type { FollowUp, LungRadsCategory, NoduleChange, NoduleFacts } from './types'

/** What the prior chain adds to a nodule's own facts (see `computeGrowth`). */
export interface LungRadsHistory {
  slowGrowth?: boolean
  solidComponent?: 'new' | 'growing'
  /** The nodule's category at the prior exam, for stepped management. */
  priorCategory?: LungRadsCategory
}

export interface LungRadsResult {
  category?: LungRadsCategory
  /** The row that gave the category (a size row, a stepped-management or 4X row in words). */
  row?: Pick<LungRadsRow, 'id' | 'category' | 'rule'>
  /** The measurement whose absence kept every row from applying. */
  missing?: 'diameter' | 'solid-component'
  /** Assumptions made, or why no category was given; the assessment shows them as caveats. */
  notes: string[]
}

/**
 * Categories in order of suspicion, for the exam category and for disagreements. 0 (incomplete:
 * for the AI, a suspected infectious or inflammatory process) asks for an LDCT in 1–3 months,
 * sooner than 4A's 3 months, so it ranks above 4A and below the work-up categories 4B and 4X.
 */
export const lungRadsOrder: readonly LungRadsCategory[] = ['1', '2', '3', '4A', '0', '4B', '4X']

/** Position of a category in `lungRadsOrder`: higher is more suspicious. */
export const lungRadsRank = (category: LungRadsCategory) => lungRadsOrder.indexOf(category)

/** The more suspicious of two categories. */
export const moreSuspicious = (a: LungRadsCategory, b: LungRadsCategory) =>
  lungRadsRank(a) >= lungRadsRank(b) ? a : b

/** The row families a nodule is read against, most specific first. */
function rowTypes(nodule: NoduleFacts, notes: string[]): LungRadsNoduleType[] {
  const { position, solidness } = nodule
  if (nodule.cyst) return ['atypical-cyst']
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
      if (row.slowGrowth || row.solidComponent || row.cyst) continue
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

/** Rows that need a computed or coded fact (slow growth, solid component, cyst): all that apply. */
function factRows(
  types: readonly LungRadsNoduleType[],
  nodule: NoduleFacts,
  history: LungRadsHistory,
  s: number | undefined
): LungRadsRow[] {
  return lungRadsRows.filter((row) => {
    if (!types.includes(row.type) || !row.change.includes(nodule.change)) return false
    if (row.slowGrowth) return !!history.slowGrowth
    if (row.solidComponent)
      return (
        !!history.solidComponent &&
        row.solidComponent.includes(history.solidComponent) &&
        s !== undefined &&
        (!row.s || inBounds(s, row.s))
      )
    if (row.cyst) {
      const { type, change } = row.cyst
      return (
        (!type || !!nodule.cyst?.types.includes(type)) &&
        (!change || !!nodule.cyst?.changes?.includes(change))
      )
    }
    return false
  })
}

const higher = <T extends { category: LungRadsCategory }>(a: T | undefined, b: T | undefined) =>
  !a ? b : !b ? a : lungRadsRank(b.category) > lungRadsRank(a.category) ? b : a

/**
 * The Lung-RADS v2022 category of one nodule and the row that gives it, in four steps:
 * 1. benign features give 1, with a caveat, unless the nodule grows or is new and ≥ 8 mm;
 * 2. the size rows of its type (a stable or smaller nodule of a type with no such row is read by
 *    size as at baseline, a growing one with no growth row by size as new, both with a note);
 * 3. the rows that need the prior chain or cyst codes (slow growth, a new or growing solid
 *    component, atypical cysts) raise it when they give more; stepped management (a stable
 *    nodule whose prior was 3 or 4A) lowers it when nothing raised it;
 * 4. suspicious features make a category 3 or 4 nodule 4X.
 */
export function lungRadsCategory(
  nodule: NoduleFacts,
  history: LungRadsHistory = {}
): LungRadsResult {
  const airway = nodule.position === 'airway-segmental' || nodule.position === 'airway-subsegmental'
  if (!nodule.solidness && nodule.solidComponentMm !== undefined && !nodule.cyst && !airway)
    return solidnessUnknownWithSolidComponent(nodule, history)
  const notes: string[] = []
  const { d, s } = noduleDiameters(nodule)
  const growing = nodule.change === 'growing' || !!history.slowGrowth
  const largeNew = nodule.change === 'new' && d !== undefined && d >= 8
  if (nodule.benignFeature) {
    const row = lungRadsRows.find((r) => r.type === 'benign-feature')
    if (row && !growing && !largeNew) {
      notes.push(
        'Category 1 rests on the benign calcification or macroscopic fat the AI reports: confirm the pattern on the images. Growth, or a new nodule of 8 mm or more, would not be benign.'
      )
      return { category: row.category, row, notes }
    }
    notes.push(
      `Benign calcification or fat is reported, but the nodule is ${growing ? 'growing' : 'new and 8 mm or more'}: categorised by its size and change, not as benign.`
    )
  }
  const types = rowTypes(nodule, notes)
  let found = findRow(types, nodule.change, d, s)
  let steppable = false
  if (!found.row && !found.missing && ['stable', 'decreased'].includes(nodule.change)) {
    const asBaseline = findRow(types, 'baseline', d, s)
    if (asBaseline.row) {
      steppable = true
      if (!history.priorCategory)
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
  let best: LungRadsResult['row'] = found.row
  for (const row of factRows(types, nodule, history, s)) best = higher(best, row)
  const raised = best !== found.row
  if (!raised && history.priorCategory && (steppable || found.row)) {
    const stepped = lungRadsSteppedRows.find(
      (r) =>
        r.prior === history.priorCategory &&
        r.change.includes(nodule.change) &&
        !(nodule.position && r.except?.includes(nodule.position))
    )
    if (stepped) best = stepped
  }
  if (best) {
    const features = nodule.suspiciousFeatures ?? []
    const always = features.filter((f) => lungRadsFourX.always.includes(f))
    const counted = features.filter((f) => lungRadsFourX.features.includes(f))
    if (always.length > 0 || (counted.length > 0 && lungRadsFourX.from.includes(best.category))) {
      const named = (always.length > 0 ? always : counted).join(', ')
      return {
        category: '4X',
        row: {
          id: '4X-suspicious-features',
          category: '4X',
          rule: `Category ${best.category} nodule (${best.rule}) with suspicious features: ${named}`,
        },
        notes,
      }
    }
    if (counted.length > 0)
      notes.push(
        `Suspicious features reported (${counted.join(', ')}) on a category ${best.category} nodule: 4X is for category 3 or 4 nodules. Review the images.`
      )
    return { category: best.category, row: best, notes }
  }
  if (found.missing === 'diameter') {
    notes.push(
      nodule.sizeUnusable
        ? 'No usable nodule diameter: no Lung-RADS category computed.'
        : 'No nodule diameter given: no Lung-RADS category computed.'
    )
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

/**
 * No solidness, but a solid-component size: the nodule may be part-solid, whose rows can give more
 * than the solid ones (a 12 mm nodule with a 9 mm solid component is 4B part-solid, 4A solid). Both
 * readings are tried and the higher category is kept, the safer reading (docs/clinical-rules.md,
 * "Solidness not given").
 */
function solidnessUnknownWithSolidComponent(
  nodule: NoduleFacts,
  history: LungRadsHistory
): LungRadsResult {
  const asSolid = lungRadsCategory({ ...nodule, solidness: 'solid' }, history)
  const asPartSolid = lungRadsCategory({ ...nodule, solidness: 'part-solid' }, history)
  const partSolidHigher =
    asPartSolid.category !== undefined &&
    (asSolid.category === undefined ||
      lungRadsRank(asPartSolid.category) > lungRadsRank(asSolid.category))
  const chosen = partSolidHigher ? asPartSolid : asSolid
  const named = (result: LungRadsResult) => result.category ?? 'no category'
  return {
    ...chosen,
    notes: [
      `Solidness not given, but a solid-component size is: read as solid (${named(asSolid)}) and as part-solid (${named(asPartSolid)}); the higher category is used, the safer reading.`,
      ...chosen.notes,
    ],
  }
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

/**
 * @module clinical/fleischner
 * Fleischner Society 2017 recommendations for incidental nodules as data (docs/clinical-rules.md,
 * "Fleischner 2017": solid and subsolid tables; MacMahon et al., Radiology 2017;284:228-243) and the evaluator that picks a row. Sizes are the average diameter
 * rounded half-up to a whole millimetre: bands < 6, 6–8 (6, 7 and 8 mm) and > 8 (9 mm and up).
 */
import { averageDiameterMm, inBounds, toWholeMm, type Bounds } from './measure'
import type { FollowUp, NoduleFacts, SmokingRisk } from './types'

/**
 * `subsolid` rows cover multiple ground-glass and part-solid nodules together; `benign-feature`
 * is a nodule with benign calcification or macroscopic fat, whatever its density.
 */
export type FleischnerNoduleType =
  'solid' | 'ground-glass' | 'part-solid' | 'subsolid' | 'benign-feature'

export interface FleischnerRow {
  /** Used as the assessment category, e.g. `solid-single-6-8-high-risk`. */
  id: string
  nodule: FleischnerNoduleType
  /** `any`: the row applies to one nodule or several alike. */
  multiplicity: 'single' | 'multiple' | 'any'
  /** Band of the average diameter, whole mm. */
  size: FleischnerSizeBand
  /** Band of the solid component's average diameter, whole mm (part-solid only). */
  solidComponent?: FleischnerSizeBand
  /** The patient risk the row is for; absent when the row does not depend on risk. */
  risk?: 'low' | 'high'
  recommendation: string
  followUp?: FollowUp
  additionalFollowUps?: FollowUp[]
  /** Offer `additionalFollowUps` only when the solid component is in this band. */
  additionalFollowUpsIf?: { solidComponent: FleischnerSizeBand }
  /** Rows the indicator mapping (§4.3) raises to a warning: solid > 8 mm, solid component ≥ 6 mm. */
  highSuspicion?: boolean
}

/** The size bands of the tables, as printed and as whole-mm bounds (6–8 means 6, 7 or 8 mm). */
export const fleischnerSizeBands = {
  'under-6': { text: '< 6 mm', bounds: { max: 6 } },
  '6-8': { text: '6–8 mm', bounds: { min: 6, max: 9 } },
  'over-8': { text: '> 8 mm', bounds: { min: 9 } },
  '6-plus': { text: '≥ 6 mm', bounds: { min: 6 } },
  any: { text: 'any size', bounds: {} },
} as const satisfies Record<string, { text: string; bounds: Bounds }>

export type FleischnerSizeBand = keyof typeof fleischnerSizeBands

const ct = (from: number, to?: number): FollowUp => ({
  order: 'ct-chest',
  months: to === undefined ? { from } : { from, to },
})
const optionalCtAt12: FollowUp = { ...ct(12), optional: true }
/** The second step of the 6–8 mm and multiple > 8 mm rows: "then (consider) CT at 18–24 months". */
const then18to24 = (firstFrom: number, firstTo: number, optional: boolean): FollowUp => ({
  ...ct(firstFrom, firstTo),
  then: { months: { from: 18, to: 24 }, ...(optional && { optional }) },
})
/** PET/CT is one of several options in these rows, to arrange now rather than at an interval. */
const petCtOption = (because: string): FollowUp => ({
  order: 'pet-ct',
  months: { from: 0 },
  optional: true,
  because,
})

/**
 * The rows of §2.2 and §2.3; within a nodule type and multiplicity they do not overlap.
 *
 * The benign-feature row is not in the §2.2/§2.3 tables: Fleischner 2017 manages indeterminate
 * nodules, and a nodule with a benign calcification pattern or macroscopic fat (granuloma,
 * hamartoma) needs no follow-up [U: from the 2017 paper's scope, not from the reference's
 * tables; it mirrors the Lung-RADS benign-feature override of §1.3]. Without it a 12 mm calcified
 * granuloma got "consider CT at 3 months, PET/CT, or tissue sampling".
 */
// prettier-ignore
export const fleischnerRows: readonly FleischnerRow[] = [
  { id: 'benign-feature', nodule: 'benign-feature', multiplicity: 'any', size: 'any',
    recommendation: 'No routine follow-up: benign calcification or macroscopic fat is not an indeterminate nodule.' },

  { id: 'solid-single-under-6-low-risk', nodule: 'solid', multiplicity: 'single', size: 'under-6', risk: 'low',
    recommendation: 'No routine follow-up.' },
  { id: 'solid-single-under-6-high-risk', nodule: 'solid', multiplicity: 'single', size: 'under-6', risk: 'high',
    recommendation: 'Optional CT at 12 months.', followUp: optionalCtAt12 },
  { id: 'solid-single-6-8-low-risk', nodule: 'solid', multiplicity: 'single', size: '6-8', risk: 'low',
    recommendation: 'CT at 6–12 months, then consider CT at 18–24 months.', followUp: then18to24(6, 12, true) },
  { id: 'solid-single-6-8-high-risk', nodule: 'solid', multiplicity: 'single', size: '6-8', risk: 'high',
    recommendation: 'CT at 6–12 months, then CT at 18–24 months.', followUp: then18to24(6, 12, false) },
  { id: 'solid-single-over-8', nodule: 'solid', multiplicity: 'single', size: 'over-8',
    recommendation: 'Consider CT at 3 months, PET/CT, or tissue sampling.', followUp: ct(3),
    additionalFollowUps: [petCtOption('solid nodule > 8 mm')], highSuspicion: true },

  { id: 'solid-multiple-under-6-low-risk', nodule: 'solid', multiplicity: 'multiple', size: 'under-6', risk: 'low',
    recommendation: 'No routine follow-up.' },
  { id: 'solid-multiple-under-6-high-risk', nodule: 'solid', multiplicity: 'multiple', size: 'under-6', risk: 'high',
    recommendation: 'Optional CT at 12 months.', followUp: optionalCtAt12 },
  { id: 'solid-multiple-6-8-low-risk', nodule: 'solid', multiplicity: 'multiple', size: '6-8', risk: 'low',
    recommendation: 'CT at 3–6 months, then consider CT at 18–24 months.', followUp: then18to24(3, 6, true) },
  { id: 'solid-multiple-6-8-high-risk', nodule: 'solid', multiplicity: 'multiple', size: '6-8', risk: 'high',
    recommendation: 'CT at 3–6 months, then CT at 18–24 months.', followUp: then18to24(3, 6, false) },
  { id: 'solid-multiple-over-8-low-risk', nodule: 'solid', multiplicity: 'multiple', size: 'over-8', risk: 'low',
    recommendation: 'CT at 3–6 months, then consider CT at 18–24 months.', followUp: then18to24(3, 6, true), highSuspicion: true },
  { id: 'solid-multiple-over-8-high-risk', nodule: 'solid', multiplicity: 'multiple', size: 'over-8', risk: 'high',
    recommendation: 'CT at 3–6 months, then CT at 18–24 months.', followUp: then18to24(3, 6, false), highSuspicion: true },

  { id: 'ground-glass-single-under-6', nodule: 'ground-glass', multiplicity: 'single', size: 'under-6',
    recommendation: 'No routine follow-up (for certain suspicious nodules, consider CT at 2 and 4 years).' },
  { id: 'ground-glass-single-6-plus', nodule: 'ground-glass', multiplicity: 'single', size: '6-plus',
    recommendation: 'CT at 6–12 months to confirm persistence, then CT every 2 years until 5 years.', followUp: ct(6, 12) },
  { id: 'part-solid-single-under-6', nodule: 'part-solid', multiplicity: 'single', size: 'under-6',
    recommendation: 'No routine follow-up.' },
  { id: 'part-solid-single-6-plus-solid-under-6', nodule: 'part-solid', multiplicity: 'single', size: '6-plus', solidComponent: 'under-6',
    recommendation: 'CT at 3–6 months to confirm persistence; if unchanged and the solid component stays < 6 mm, annual CT for at least 5 years.',
    followUp: ct(3, 6) },
  { id: 'part-solid-single-solid-6-plus', nodule: 'part-solid', multiplicity: 'single', size: '6-plus', solidComponent: '6-plus',
    recommendation: 'CT at 3–6 months. Suspicious morphology (lobulated margins, cystic components), a growing solid component, or a solid component > 8 mm: PET/CT, biopsy or resection.',
    followUp: ct(3, 6), additionalFollowUps: [petCtOption('solid component > 8 mm')],
    additionalFollowUpsIf: { solidComponent: 'over-8' }, highSuspicion: true },
  { id: 'subsolid-multiple-under-6', nodule: 'subsolid', multiplicity: 'multiple', size: 'under-6',
    recommendation: 'CT at 3–6 months; if stable, consider CT at 2 and 4 years.', followUp: ct(3, 6) },
  { id: 'subsolid-multiple-6-plus', nodule: 'subsolid', multiplicity: 'multiple', size: '6-plus',
    recommendation: 'CT at 3–6 months; then manage by the most suspicious nodule.', followUp: ct(3, 6) },
]

const typeNames: Record<FleischnerNoduleType, string> = {
  solid: 'Solid nodule',
  'ground-glass': 'Ground-glass nodule',
  'part-solid': 'Part-solid nodule',
  subsolid: 'Subsolid nodules',
  'benign-feature': 'Nodule with benign calcification or macroscopic fat',
}

/** A row in words, e.g. "Solid nodule, single, 6–8 mm, high risk". */
export function fleischnerRule(row: FleischnerRow): string {
  return [
    typeNames[row.nodule],
    row.multiplicity !== 'any' && row.multiplicity,
    row.size !== 'any' && fleischnerSizeBands[row.size].text,
    row.solidComponent && `solid component ${fleischnerSizeBands[row.solidComponent].text}`,
    row.risk && `${row.risk} risk`,
  ]
    .filter(Boolean)
    .join(', ')
}

/**
 * Fleischner's rows assume a newly found nodule. When the AI compared with a prior exam, the
 * card says what that comparison means for the row, so a growing nodule is not read as
 * "no routine follow-up" without comment.
 */
const changeNotes: Readonly<Record<NoduleFacts['change'], readonly string[]>> = {
  baseline: [],
  new: [],
  growing: [
    'Growing since the prior exam: the Fleischner rows are for newly found nodules and do not allow for growth, which is suspicious. Compare with the prior and consider work-up.',
  ],
  stable: [
    'Stable since the prior exam: the Fleischner row assumes a newly found nodule; documented stability may mean less or no further follow-up. Compare with the prior.',
  ],
  decreased: [
    'Smaller than on the prior exam, which favours a benign or inflammatory cause; the Fleischner row assumes a newly found nodule. Compare with the prior.',
  ],
}

export interface FleischnerResult {
  row?: FleischnerRow
  /** The row's further orders that apply to this nodule (the PET/CT option). */
  additionalFollowUps: FollowUp[]
  /** The average diameter and solid component as compared, whole mm. */
  averageMm?: number
  solidComponentMm?: number
  /** Solid > 8 mm, or a solid component ≥ 6 mm (also among multiple subsolid nodules). */
  highSuspicion: boolean
  missing?: 'diameter' | 'solid-component'
  /** Assumptions made, or why no row applies; the assessment shows them as caveats. */
  notes: string[]
}

/**
 * The Fleischner 2017 row for one nodule. Unknown patient risk is read as high (the safer
 * interval) and noted when the row depends on risk. Missing solidness is read as solid.
 */
export function fleischnerRow(
  nodule: NoduleFacts,
  patient: { multiple: boolean; risk: SmokingRisk }
): FleischnerResult {
  if (!nodule.solidness && nodule.solidComponentMm !== undefined && !nodule.benignFeature)
    return solidnessUnknownWithSolidComponent(nodule, patient)
  return rowFor(nodule, patient)
}

/** How much a result asks for: suspicion, then a follow-up that is not optional, then sooner. */
function urgency(result: FleischnerResult): number[] {
  const followUp = result.row?.followUp
  return [
    result.highSuspicion ? 1 : 0,
    followUp && !followUp.optional ? 1 : 0,
    followUp ? -followUp.months.from : -Infinity,
    followUp ? -(followUp.months.to ?? followUp.months.from) : -Infinity,
  ]
}

/**
 * No solidness, but a solid-component size: the nodule may be part-solid, whose rows can ask for
 * more (7 mm with a 5 mm solid component: CT at 3–6 months part-solid, 6–12 months solid). Both
 * readings are tried and the one asking for more is kept, the safer reading (docs/clinical-rules.md,
 * "Solidness not given").
 */
function solidnessUnknownWithSolidComponent(
  nodule: NoduleFacts,
  patient: { multiple: boolean; risk: SmokingRisk }
): FleischnerResult {
  const asSolid = rowFor({ ...nodule, solidness: 'solid' }, patient)
  const asPartSolid = rowFor({ ...nodule, solidness: 'part-solid' }, patient)
  const [a, b] = [urgency(asSolid), urgency(asPartSolid)]
  const firstDiff = a.findIndex((x, i) => x !== b[i])
  const partSolidMore = !!asPartSolid.row && firstDiff >= 0 && b[firstDiff]! > a[firstDiff]!
  const chosen = partSolidMore ? asPartSolid : asSolid
  return {
    ...chosen,
    notes: [
      `Solidness not given, but a solid-component size is: read as solid and as part-solid; the ${partSolidMore ? 'part-solid' : 'solid'} reading asks for more and is used, the safer reading.`,
      ...chosen.notes,
    ],
  }
}

function rowFor(
  nodule: NoduleFacts,
  patient: { multiple: boolean; risk: SmokingRisk }
): FleischnerResult {
  const notes: string[] = []
  // Whole mm from the measured values, not from the 0.1 mm Lung-RADS figure (no double rounding).
  const average = averageDiameterMm(nodule)
  const averageMm = average !== undefined ? toWholeMm(average) : undefined
  const solidComponentMm =
    nodule.solidComponentMm !== undefined ? toWholeMm(nodule.solidComponentMm) : undefined
  const multiplicity = patient.multiple ? 'multiple' : 'single'
  if (!nodule.solidness) notes.push('Solidness not given: assessed as a solid nodule.')
  const solidness = nodule.solidness ?? 'solid'
  const type: FleischnerNoduleType = nodule.benignFeature
    ? 'benign-feature'
    : solidness !== 'solid' && patient.multiple
      ? 'subsolid'
      : solidness
  const risk = patient.risk === 'low' ? 'low' : 'high'
  if (nodule.benignFeature) {
    // The benign call is the AI's; a wrong one would drop a follow-up, so the reader is told.
    notes.push(
      'The AI reports benign calcification or macroscopic fat: no follow-up is recommended for a benign-appearing nodule. Confirm the pattern on the images.'
    )
  }
  notes.push(...changeNotes[nodule.change])
  const highSuspicion = (row?: FleischnerRow) =>
    Boolean(row?.highSuspicion) ||
    (solidness === 'part-solid' && solidComponentMm !== undefined && solidComponentMm >= 6)

  const benign = fleischnerRows.find((r) => r.nodule === 'benign-feature')
  if (type === 'benign-feature' && benign) {
    return {
      row: benign,
      ...(averageMm !== undefined && { averageMm }),
      ...(solidComponentMm !== undefined && { solidComponentMm }),
      highSuspicion: false,
      additionalFollowUps: [],
      notes,
    }
  }
  if (averageMm === undefined) {
    notes.push(
      nodule.sizeUnusable
        ? 'No usable nodule diameter: no Fleischner recommendation computed.'
        : 'No nodule diameter given: no Fleischner recommendation computed.'
    )
    return { missing: 'diameter', highSuspicion: highSuspicion(), additionalFollowUps: [], notes }
  }
  const candidates = fleischnerRows.filter(
    (r) =>
      r.nodule === type &&
      (r.multiplicity === multiplicity || r.multiplicity === 'any') &&
      (r.risk === undefined || r.risk === risk) &&
      inBounds(averageMm, fleischnerSizeBands[r.size].bounds)
  )
  const needsSolid = candidates.some((r) => r.solidComponent) && solidComponentMm === undefined
  const row = candidates.find(
    (r) =>
      !r.solidComponent ||
      (solidComponentMm !== undefined &&
        inBounds(solidComponentMm, fleischnerSizeBands[r.solidComponent].bounds))
  )
  const sizes = { averageMm, ...(solidComponentMm !== undefined && { solidComponentMm }) }
  if (!row) {
    notes.push(
      needsSolid
        ? 'No solid-component size given for a part-solid nodule: no Fleischner recommendation computed.'
        : `No Fleischner 2017 row fits a ${multiplicity} ${type} nodule of ${averageMm} mm.`
    )
    return {
      ...sizes,
      ...(needsSolid && { missing: 'solid-component' as const }),
      highSuspicion: highSuspicion(),
      additionalFollowUps: [],
      notes,
    }
  }
  if (row.risk && patient.risk === 'unknown') {
    notes.push('Smoking status unknown or not recorded: managed as high risk.')
  }
  // Part-solid, solid component ≥ 6 mm: PET/CT (or biopsy, resection) is for a solid component
  // > 8 mm, suspicious morphology, or a growing solid component (assess.ts handles growth). The
  // AI's coded suspicious features (spiculation first among them) are read as suspicious
  // morphology, the safer reading (docs/clinical-rules.md, "Fleischner 2017").
  const conditionMet =
    !row.additionalFollowUpsIf ||
    (solidComponentMm !== undefined &&
      inBounds(
        solidComponentMm,
        fleischnerSizeBands[row.additionalFollowUpsIf.solidComponent].bounds
      ))
  const features = nodule.suspiciousFeatures ?? []
  const morphology = !conditionMet && row.additionalFollowUpsIf && features.length > 0
  if (morphology)
    notes.push(
      `Suspicious features reported (${features.join(', ')}): read as the suspicious morphology for which Fleischner 2017 advises PET/CT, biopsy or resection.`
    )
  const additionalFollowUps = conditionMet
    ? [...(row.additionalFollowUps ?? [])]
    : morphology
      ? [petCtOption(`suspicious features: ${features.join(', ')}`)]
      : []
  return { row, ...sizes, highSuspicion: highSuspicion(row), additionalFollowUps, notes }
}

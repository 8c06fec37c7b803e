/**
 * @module clinical/lung-rads-table
 * ACR Lung-RADS v2022 as data: the per-nodule rows and the category summary
 * of ACR Lung-RADS v2022 (docs/clinical-rules.md, "Lung-RADS rows implemented"). The evaluator in `lung-rads.ts` only walks these rows; a change to the guideline
 * is a change here.
 */
import type { Bounds } from './measure'
import type {
  CystChange,
  CystType,
  FollowUp,
  LungRadsCategory,
  NoduleChange,
  NodulePosition,
  SuspiciousFeature,
} from './types'

/** Which family of rows a nodule is read against. */
export type LungRadsNoduleType =
  | 'benign-feature'
  | 'airway-segmental'
  | 'airway-subsegmental'
  | 'juxtapleural'
  | 'solid'
  | 'part-solid'
  | 'ground-glass'
  | 'atypical-cyst'

export interface LungRadsRow {
  id: string
  type: LungRadsNoduleType
  /** The change contexts the row applies to. */
  change: readonly NoduleChange[]
  /** Bounds on the total mean diameter `d`, mm rounded to 0.1. */
  d?: Bounds
  /** Bounds on the solid-component mean diameter `s`, mm rounded to 0.1. */
  s?: Bounds
  category: LungRadsCategory
  /** The row in words, for the card detail. */
  rule: string
  /** Applies only to a nodule that grew slowly over several exams (computed from priors). */
  slowGrowth?: true
  /** Applies only to a part-solid nodule whose solid component is new or growing. */
  solidComponent?: readonly ('new' | 'growing')[]
  /** Atypical cysts: the wall type the row is for, and the coded cyst change it needs. */
  cyst?: { type?: CystType; change?: CystChange }
}

const anyChange: readonly NoduleChange[] = ['baseline', 'new', 'growing', 'stable', 'decreased']

/**
 * The rows, grouped by type and left unformatted so each reads as a line of the guideline's
 * table. Within a type no two rows overlap (a test checks this), so their order does not matter.
 *
 * Two readings of the printed table are made explicit here:
 * - Part-solid: "new total d < 6 → 3" and "new solid component s < 4 → 4A / s ≥ 4 → 4B" overlap
 *   for a new nodule under 6 mm; read literally the first row could never apply. The specific
 *   small-nodule row wins, so the new-solid-component rows start at d ≥ 6 (as in v1.1 wording).
 * - Airway segmental 4A includes `new`: the reference flags "baseline or new" as the likely ACR
 *   wording, and a new airway nodule is no less suspicious than one seen at baseline.
 * Rows with `slowGrowth`, `solidComponent` or `cyst` need facts computed from the prior chain
 * or coded for cysts; the evaluator tries them beside the size rows and keeps the higher category.
 * Not encodable from the contract's inputs, so absent: the infectious airway path (0 or 2 for
 * tubular endobronchial opacities) and the infection overrides of §1.4 (the AI asserts 0).
 */
// prettier-ignore
export const lungRadsRows: readonly LungRadsRow[] = [
  { id: 'benign-feature', type: 'benign-feature', change: anyChange, category: '1',
    rule: 'Benign features: complete, central, popcorn or concentric-ring calcification, or macroscopic fat' },

  { id: 'airway-subsegmental', type: 'airway-subsegmental', change: ['baseline', 'new', 'stable'], category: '2',
    rule: 'Airway nodule, subsegmental, at baseline, new, or stable' },
  { id: 'airway-segmental-baseline-new', type: 'airway-segmental', change: ['baseline', 'new'], category: '4A',
    rule: 'Airway nodule, segmental or more proximal, at baseline or new' },
  { id: 'airway-segmental-persistent', type: 'airway-segmental', change: ['stable', 'growing'], category: '4B',
    rule: 'Airway nodule, segmental or more proximal, stable or growing at the 3-month follow-up' },

  { id: 'juxtapleural-lt10', type: 'juxtapleural', change: ['baseline', 'new'], d: { max: 10 }, category: '2',
    rule: 'Juxtapleural (or perifissural) solid nodule, mean diameter < 10 mm, at baseline or new' },

  { id: 'solid-baseline-lt6', type: 'solid', change: ['baseline'], d: { max: 6 }, category: '2',
    rule: 'Solid nodule, baseline, < 6 mm' },
  { id: 'solid-new-lt4', type: 'solid', change: ['new'], d: { max: 4 }, category: '2',
    rule: 'Solid nodule, new, < 4 mm' },
  { id: 'solid-baseline-6-8', type: 'solid', change: ['baseline'], d: { min: 6, max: 8 }, category: '3',
    rule: 'Solid nodule, baseline, 6 to < 8 mm' },
  { id: 'solid-new-4-6', type: 'solid', change: ['new'], d: { min: 4, max: 6 }, category: '3',
    rule: 'Solid nodule, new, 4 to < 6 mm' },
  { id: 'solid-baseline-8-15', type: 'solid', change: ['baseline'], d: { min: 8, max: 15 }, category: '4A',
    rule: 'Solid nodule, baseline, 8 to < 15 mm' },
  { id: 'solid-growing-lt8', type: 'solid', change: ['growing'], d: { max: 8 }, category: '4A',
    rule: 'Solid nodule, growing, < 8 mm' },
  { id: 'solid-new-6-8', type: 'solid', change: ['new'], d: { min: 6, max: 8 }, category: '4A',
    rule: 'Solid nodule, new, 6 to < 8 mm' },
  { id: 'solid-baseline-ge15', type: 'solid', change: ['baseline'], d: { min: 15 }, category: '4B',
    rule: 'Solid nodule, baseline, ≥ 15 mm' },
  { id: 'solid-new-growing-ge8', type: 'solid', change: ['new', 'growing'], d: { min: 8 }, category: '4B',
    rule: 'Solid nodule, new or growing, ≥ 8 mm' },

  { id: 'part-solid-baseline-lt6', type: 'part-solid', change: ['baseline'], d: { max: 6 }, category: '2',
    rule: 'Part-solid nodule, baseline, total < 6 mm' },
  { id: 'part-solid-baseline-s-lt6', type: 'part-solid', change: ['baseline'], d: { min: 6 }, s: { max: 6 }, category: '3',
    rule: 'Part-solid nodule, baseline, total ≥ 6 mm with solid component < 6 mm' },
  { id: 'part-solid-new-lt6', type: 'part-solid', change: ['new'], d: { max: 6 }, category: '3',
    rule: 'Part-solid nodule, new, total < 6 mm' },
  { id: 'part-solid-baseline-s-6-8', type: 'part-solid', change: ['baseline'], d: { min: 6 }, s: { min: 6, max: 8 }, category: '4A',
    rule: 'Part-solid nodule, baseline, total ≥ 6 mm with solid component 6 to < 8 mm' },
  { id: 'part-solid-new-s-lt4', type: 'part-solid', change: ['new'], d: { min: 6 }, s: { max: 4 }, category: '4A',
    rule: 'Part-solid nodule, new, total ≥ 6 mm with solid component < 4 mm' },
  { id: 'part-solid-growing-s-lt4', type: 'part-solid', change: ['growing'], s: { max: 4 }, category: '4A',
    rule: 'Part-solid nodule, growing, solid component < 4 mm' },
  { id: 'part-solid-baseline-s-ge8', type: 'part-solid', change: ['baseline'], d: { min: 6 }, s: { min: 8 }, category: '4B',
    rule: 'Part-solid nodule, baseline, solid component ≥ 8 mm' },
  { id: 'part-solid-new-s-ge4', type: 'part-solid', change: ['new'], d: { min: 6 }, s: { min: 4 }, category: '4B',
    rule: 'Part-solid nodule, new, total ≥ 6 mm with solid component ≥ 4 mm' },
  { id: 'part-solid-growing-s-ge4', type: 'part-solid', change: ['growing'], s: { min: 4 }, category: '4B',
    rule: 'Part-solid nodule, growing, solid component ≥ 4 mm' },
  { id: 'part-solid-component-new-growing-lt4', type: 'part-solid', change: anyChange, solidComponent: ['new', 'growing'], s: { max: 4 }, category: '4A',
    rule: 'Part-solid nodule with a new or growing solid component < 4 mm' },
  { id: 'part-solid-component-new-growing-ge4', type: 'part-solid', change: anyChange, solidComponent: ['new', 'growing'], s: { min: 4 }, category: '4B',
    rule: 'Part-solid nodule with a new or growing solid component ≥ 4 mm' },

  { id: 'solid-slow-growth', type: 'solid', change: anyChange, slowGrowth: true, category: '4B',
    rule: 'Solid nodule with slow growth over several exams' },
  { id: 'part-solid-slow-growth', type: 'part-solid', change: anyChange, slowGrowth: true, category: '4B',
    rule: 'Part-solid nodule with slow growth over several exams' },

  // A growing GGN ≥ 30 mm has no row of its own; the evaluator reads it by size as new (threshold
  // crossing, §1.1). 4X needs suspicious features the AI does not report.
  { id: 'ground-glass-lt30', type: 'ground-glass', change: anyChange, d: { max: 30 }, category: '2',
    rule: 'Non-solid nodule < 30 mm (baseline, new, growing or unchanged)' },
  { id: 'ground-glass-ge30-stable', type: 'ground-glass', change: ['stable', 'decreased'], d: { min: 30 }, category: '2',
    rule: 'Non-solid nodule ≥ 30 mm, stable or slowly growing' },
  { id: 'ground-glass-ge30-baseline-new', type: 'ground-glass', change: ['baseline', 'new'], d: { min: 30 }, category: '3',
    rule: 'Non-solid nodule ≥ 30 mm, at baseline or new' },

  // Atypical pulmonary cysts (thick-walled or multilocular), §1.3. The printed table gives a
  // thick-walled cyst 4A and a growing cystic component of one 3; both are kept as printed.
  { id: 'cyst-thick-walled-growing', type: 'atypical-cyst', change: ['growing'], cyst: { type: 'thick-walled' }, category: '3',
    rule: 'Atypical cyst: growing cystic component (mean diameter) of a thick-walled cyst' },
  { id: 'cyst-thick-walled', type: 'atypical-cyst', change: ['baseline', 'new'], cyst: { type: 'thick-walled' }, category: '4A',
    rule: 'Atypical cyst: thick-walled cyst' },
  { id: 'cyst-multilocular-baseline', type: 'atypical-cyst', change: ['baseline', 'new'], cyst: { type: 'multilocular' }, category: '4A',
    rule: 'Atypical cyst: multilocular cyst at baseline' },
  { id: 'cyst-became-multilocular', type: 'atypical-cyst', change: anyChange, cyst: { change: 'became-multilocular' }, category: '4A',
    rule: 'Atypical cyst: thin- or thick-walled cyst that becomes multilocular' },
  { id: 'cyst-wall-growing', type: 'atypical-cyst', change: anyChange, cyst: { type: 'thick-walled', change: 'wall-growing' }, category: '4B',
    rule: 'Atypical cyst: thick-walled cyst with growing wall thickness or nodularity' },
  { id: 'cyst-multilocular-growing', type: 'atypical-cyst', change: ['growing'], cyst: { type: 'multilocular' }, category: '4B',
    rule: 'Atypical cyst: growing multilocular cyst (mean diameter)' },
  { id: 'cyst-loculation-increased', type: 'atypical-cyst', change: anyChange, cyst: { type: 'multilocular', change: 'loculation-increased' }, category: '4B',
    rule: 'Atypical cyst: multilocular cyst with increased loculation or new or increased opacity' },
]

/** Stepped management (§1.4): a stable or smaller nodule after an interval LDCT steps down. */
export interface LungRadsSteppedRow {
  id: string
  /** The category of the nodule at the prior exam. */
  prior: LungRadsCategory
  change: readonly NoduleChange[]
  /** Positions the row does not apply to. */
  except?: readonly NodulePosition[]
  category: LungRadsCategory
  rule: string
}

// prettier-ignore
export const lungRadsSteppedRows: readonly LungRadsSteppedRow[] = [
  { id: 'stepped-3-stable', prior: '3', change: ['stable', 'decreased'], category: '2',
    rule: 'Category 3 at the prior exam, stable or smaller at the 6-month LDCT' },
  { id: 'stepped-4A-stable', prior: '4A', change: ['stable', 'decreased'], except: ['airway-segmental', 'airway-subsegmental'], category: '3',
    rule: 'Category 4A at the prior exam, stable or smaller at the 3-month LDCT (not airway nodules)' },
]

/**
 * 4X (§1.2): a category 3 or 4 nodule with features that raise the suspicion of lung cancer. A
 * ground-glass nodule that doubles within a year is the table's own example, so it makes 4X
 * whatever the size category.
 */
export const lungRadsFourX: {
  from: readonly LungRadsCategory[]
  features: readonly SuspiciousFeature[]
  always: readonly SuspiciousFeature[]
} = {
  from: ['3', '4A', '4B'],
  features: ['spiculation', 'lymphadenopathy', 'metastatic-disease', 'ggn-doubling'],
  always: ['ggn-doubling'],
}

export interface LungRadsCategoryInfo {
  descriptor: string
  management: string
  /** The interval order; `months.from: 0` means a work-up to arrange now, not an interval. */
  followUp?: FollowUp
  /** PET/CT may be considered when the solid nodule or solid component is at least 8 mm. */
  petCtFromSolidMm?: number
}

/** PET/CT is only ever "may be considered": an optional order to arrange now. */
export const lungRadsPetCt: FollowUp = { order: 'pet-ct', months: { from: 0 }, optional: true }

const workUp: Omit<LungRadsCategoryInfo, 'descriptor'> = {
  management:
    'Referral for further clinical evaluation: diagnostic chest CT with or without contrast; PET/CT may be considered if there is a solid nodule or solid component ≥ 8 mm; tissue sampling. The choice depends on clinical evaluation, patient preference and risk of malignancy.',
  followUp: { order: 'ct-chest', months: { from: 0 } },
  petCtFromSolidMm: 8,
}

/** Category summary (§1.2): management text and the follow-up order for each category. */
export const lungRadsCategories: Readonly<Record<LungRadsCategory, LungRadsCategoryInfo>> = {
  '0': {
    descriptor: 'Incomplete',
    management:
      'Prior CT being located: compare with the prior. Lungs not fully evaluable: additional LDCT. Suspected infectious or inflammatory process: LDCT in 1–3 months.',
    // The infectious path's interval, the one with an order; the other two paths need no order.
    followUp: { order: 'ldct-interval', months: { from: 1, to: 3 } },
  },
  '1': {
    descriptor: 'Negative',
    management: 'Continue annual screening with LDCT in 12 months.',
    followUp: { order: 'ldct', months: { from: 12 } },
  },
  '2': {
    descriptor: 'Benign appearance or behavior',
    management: 'Continue annual screening with LDCT in 12 months.',
    followUp: { order: 'ldct', months: { from: 12 } },
  },
  '3': {
    descriptor: 'Probably benign',
    management: 'LDCT in 6 months.',
    followUp: { order: 'ldct-interval', months: { from: 6 } },
  },
  '4A': {
    descriptor: 'Suspicious',
    management:
      'LDCT in 3 months; PET/CT may be considered if there is a solid nodule or solid component ≥ 8 mm.',
    followUp: { order: 'ldct-interval', months: { from: 3 } },
    petCtFromSolidMm: 8,
  },
  '4B': { descriptor: 'Very suspicious', ...workUp },
  '4X': {
    descriptor:
      'Category 3 or 4 nodule with additional features or imaging findings that increase the suspicion of lung cancer',
    ...workUp,
  },
}

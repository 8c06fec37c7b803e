/**
 * @module clinical/lung-rads.test
 * Every Lung-RADS v2022 row, tested at its boundaries, plus the category summary.
 */
import { describe, expect, it } from 'vitest'
import {
  lungRadsCategory,
  lungRadsManagement,
  moreSuspicious,
  type LungRadsHistory,
} from './lung-rads'
import {
  lungRadsCategories,
  lungRadsRows,
  lungRadsSteppedRows,
  type LungRadsNoduleType,
} from './lung-rads-table'
import { inBounds } from './measure'
import type { LungRadsCategory, NoduleChange, NoduleFacts } from './types'

const nodule = (facts: Partial<NoduleFacts>): NoduleFacts => ({
  change: 'baseline',
  benignFeature: false,
  solidness: 'solid',
  ...facts,
})

type Case = [
  name: string,
  facts: Partial<NoduleFacts>,
  category: LungRadsCategory,
  row: string,
  history?: LungRadsHistory,
]

// prettier-ignore
const cases: Case[] = [
  ['benign fat overrides a part-solid nodule', { meanDiameterMm: 12, solidComponentMm: 9, solidness: 'part-solid', benignFeature: true }, '1', 'benign-feature'],
  ['benign calcification on a new 7.9 mm nodule', { meanDiameterMm: 7.9, change: 'new', benignFeature: true }, '1', 'benign-feature'],
  // Issue 11: the benign flag gave 1 even for a new 21 mm nodule; never over growth or new ≥ 8 mm.
  ['benign flag on a new 8.0 mm nodule is not benign', { meanDiameterMm: 8.0, change: 'new', benignFeature: true }, '4B', 'solid-new-growing-ge8'],
  ['benign flag on a new 21 mm nodule is not benign', { meanDiameterMm: 21, change: 'new', benignFeature: true }, '4B', 'solid-new-growing-ge8'],
  ['benign flag on a growing 5 mm nodule is not benign', { meanDiameterMm: 5, change: 'growing', benignFeature: true }, '4A', 'solid-growing-lt8'],

  ['solid baseline 5.9', { meanDiameterMm: 5.9 }, '2', 'solid-baseline-lt6'],
  ['solid baseline 5.94 rounds to 5.9', { meanDiameterMm: 5.94 }, '2', 'solid-baseline-lt6'],
  ['solid baseline 5.96 rounds to 6.0', { meanDiameterMm: 5.96 }, '3', 'solid-baseline-6-8'],
  ['solid baseline 5.95 (tie) rounds up to 6.0', { meanDiameterMm: 5.95 }, '3', 'solid-baseline-6-8'],
  ['solid baseline from axes 6.0 and 5.9 (mean 5.95)', { longAxisMm: 6.0, shortAxisMm: 5.9 }, '3', 'solid-baseline-6-8'],
  ['solid baseline from axes 6.1 and 5.8 (5.9499… in binary)', { longAxisMm: 6.1, shortAxisMm: 5.8 }, '3', 'solid-baseline-6-8'],
  ['solid baseline 6.0', { meanDiameterMm: 6.0 }, '3', 'solid-baseline-6-8'],
  ['solid baseline 7.9', { meanDiameterMm: 7.9 }, '3', 'solid-baseline-6-8'],
  ['solid baseline 8.0', { meanDiameterMm: 8.0 }, '4A', 'solid-baseline-8-15'],
  ['solid baseline 14.9', { meanDiameterMm: 14.9 }, '4A', 'solid-baseline-8-15'],
  ['solid baseline 15.0', { meanDiameterMm: 15.0 }, '4B', 'solid-baseline-ge15'],
  ['solid new 3.9', { meanDiameterMm: 3.9, change: 'new' }, '2', 'solid-new-lt4'],
  ['solid new 4.0', { meanDiameterMm: 4.0, change: 'new' }, '3', 'solid-new-4-6'],
  ['solid new 5.9', { meanDiameterMm: 5.9, change: 'new' }, '3', 'solid-new-4-6'],
  ['solid new 6.0', { meanDiameterMm: 6.0, change: 'new' }, '4A', 'solid-new-6-8'],
  ['solid new 7.9', { meanDiameterMm: 7.9, change: 'new' }, '4A', 'solid-new-6-8'],
  ['solid new 8.0', { meanDiameterMm: 8.0, change: 'new' }, '4B', 'solid-new-growing-ge8'],
  ['solid growing 3.0', { meanDiameterMm: 3.0, change: 'growing' }, '4A', 'solid-growing-lt8'],
  ['solid growing 7.9', { meanDiameterMm: 7.9, change: 'growing' }, '4A', 'solid-growing-lt8'],
  ['solid growing 8.0', { meanDiameterMm: 8.0, change: 'growing' }, '4B', 'solid-new-growing-ge8'],
  ['missing solidness is read as solid', { meanDiameterMm: 8.0, solidness: undefined }, '4A', 'solid-baseline-8-15'],

  ['juxtapleural baseline 9.9', { meanDiameterMm: 9.9, position: 'juxtapleural' }, '2', 'juxtapleural-lt10'],
  ['juxtapleural new 9.9', { meanDiameterMm: 9.9, position: 'juxtapleural', change: 'new' }, '2', 'juxtapleural-lt10'],
  ['perifissural baseline 9.0', { meanDiameterMm: 9.0, position: 'perifissural' }, '2', 'juxtapleural-lt10'],
  ['juxtapleural baseline 10.0 is read as solid', { meanDiameterMm: 10.0, position: 'juxtapleural' }, '4A', 'solid-baseline-8-15'],
  ['juxtapleural growing 7.0 is read as solid', { meanDiameterMm: 7.0, position: 'juxtapleural', change: 'growing' }, '4A', 'solid-growing-lt8'],
  ['juxtapleural part-solid is read as part-solid', { meanDiameterMm: 7, solidComponentMm: 3, position: 'juxtapleural', solidness: 'part-solid' }, '3', 'part-solid-baseline-s-lt6'],

  ['airway subsegmental baseline, no size needed', { position: 'airway-subsegmental' }, '2', 'airway-subsegmental'],
  ['airway subsegmental new', { position: 'airway-subsegmental', change: 'new' }, '2', 'airway-subsegmental'],
  ['airway subsegmental stable', { position: 'airway-subsegmental', change: 'stable' }, '2', 'airway-subsegmental'],
  ['airway segmental baseline', { position: 'airway-segmental', meanDiameterMm: 4 }, '4A', 'airway-segmental-baseline-new'],
  ['airway segmental new', { position: 'airway-segmental', change: 'new' }, '4A', 'airway-segmental-baseline-new'],
  ['airway segmental stable at follow-up', { position: 'airway-segmental', change: 'stable' }, '4B', 'airway-segmental-persistent'],
  ['airway segmental growing', { position: 'airway-segmental', change: 'growing' }, '4B', 'airway-segmental-persistent'],

  ['part-solid baseline total 5.9', { solidness: 'part-solid', meanDiameterMm: 5.9, solidComponentMm: 3 }, '2', 'part-solid-baseline-lt6'],
  ['part-solid baseline total 5.9, no solid size needed', { solidness: 'part-solid', meanDiameterMm: 5.9 }, '2', 'part-solid-baseline-lt6'],
  ['part-solid baseline total 6.0, s 5.9', { solidness: 'part-solid', meanDiameterMm: 6.0, solidComponentMm: 5.9 }, '3', 'part-solid-baseline-s-lt6'],
  ['part-solid baseline s 6.0', { solidness: 'part-solid', meanDiameterMm: 12, solidComponentMm: 6.0 }, '4A', 'part-solid-baseline-s-6-8'],
  ['part-solid baseline s 7.9', { solidness: 'part-solid', meanDiameterMm: 12, solidComponentMm: 7.9 }, '4A', 'part-solid-baseline-s-6-8'],
  ['part-solid baseline s 8.0', { solidness: 'part-solid', meanDiameterMm: 12, solidComponentMm: 8.0 }, '4B', 'part-solid-baseline-s-ge8'],
  ['part-solid new total 5.9', { solidness: 'part-solid', meanDiameterMm: 5.9, solidComponentMm: 3, change: 'new' }, '3', 'part-solid-new-lt6'],
  ['part-solid new total 6.0, s 3.9', { solidness: 'part-solid', meanDiameterMm: 6.0, solidComponentMm: 3.9, change: 'new' }, '4A', 'part-solid-new-s-lt4'],
  ['part-solid new total 6.0, s 4.0', { solidness: 'part-solid', meanDiameterMm: 6.0, solidComponentMm: 4.0, change: 'new' }, '4B', 'part-solid-new-s-ge4'],
  ['part-solid growing s 3.9', { solidness: 'part-solid', meanDiameterMm: 9, solidComponentMm: 3.9, change: 'growing' }, '4A', 'part-solid-growing-s-lt4'],
  ['part-solid growing s 4.0', { solidness: 'part-solid', meanDiameterMm: 9, solidComponentMm: 4.0, change: 'growing' }, '4B', 'part-solid-growing-s-ge4'],
  ['part-solid growing without total size', { solidness: 'part-solid', solidComponentMm: 5, change: 'growing' }, '4B', 'part-solid-growing-s-ge4'],
  // Issue 11: a GGN that grows a new 5 mm solid component at stable total size got 3.
  ['part-solid stable total, new solid component 5', { solidness: 'part-solid', meanDiameterMm: 16, solidComponentMm: 5, change: 'stable' }, '4B', 'part-solid-component-new-growing-ge4', { solidComponent: 'new' }],
  ['part-solid, new solid component 3.9', { solidness: 'part-solid', meanDiameterMm: 16, solidComponentMm: 3.9, change: 'stable' }, '4A', 'part-solid-component-new-growing-lt4', { solidComponent: 'new' }],
  ['part-solid, new solid component 4.0', { solidness: 'part-solid', meanDiameterMm: 16, solidComponentMm: 4.0, change: 'stable' }, '4B', 'part-solid-component-new-growing-ge4', { solidComponent: 'new' }],
  ['part-solid, growing solid component 3.0', { solidness: 'part-solid', meanDiameterMm: 16, solidComponentMm: 3.0, change: 'stable' }, '4A', 'part-solid-component-new-growing-lt4', { solidComponent: 'growing' }],
  ['part-solid baseline s 8.0 keeps 4B over a new small component row', { solidness: 'part-solid', meanDiameterMm: 16, solidComponentMm: 8.0 }, '4B', 'part-solid-baseline-s-ge8', { solidComponent: 'growing' }],

  ['solid slow growth 5 mm', { meanDiameterMm: 5, change: 'stable' }, '4B', 'solid-slow-growth', { slowGrowth: true }],
  ['part-solid slow growth', { solidness: 'part-solid', meanDiameterMm: 9, solidComponentMm: 2, change: 'stable' }, '4B', 'part-solid-slow-growth', { slowGrowth: true }],
  ['juxtapleural slow growth is read as solid', { meanDiameterMm: 8, position: 'juxtapleural', change: 'stable' }, '4B', 'solid-slow-growth', { slowGrowth: true }],

  ['GGN baseline 29.9', { solidness: 'ground-glass', meanDiameterMm: 29.9 }, '2', 'ground-glass-lt30'],
  ['GGN growing 29.9', { solidness: 'ground-glass', meanDiameterMm: 29.9, change: 'growing' }, '2', 'ground-glass-lt30'],
  ['GGN new 12', { solidness: 'ground-glass', meanDiameterMm: 12, change: 'new' }, '2', 'ground-glass-lt30'],
  ['GGN baseline 30.0', { solidness: 'ground-glass', meanDiameterMm: 30.0 }, '3', 'ground-glass-ge30-baseline-new'],
  ['GGN new 30.0', { solidness: 'ground-glass', meanDiameterMm: 30.0, change: 'new' }, '3', 'ground-glass-ge30-baseline-new'],
  ['GGN stable 30.0', { solidness: 'ground-glass', meanDiameterMm: 30.0, change: 'stable' }, '2', 'ground-glass-ge30-stable'],
  ['GGN decreased 35', { solidness: 'ground-glass', meanDiameterMm: 35, change: 'decreased' }, '2', 'ground-glass-ge30-stable'],
  ['GGN ≥ 30 slowly growing stays 2', { solidness: 'ground-glass', meanDiameterMm: 35, change: 'stable' }, '2', 'ground-glass-ge30-stable', { slowGrowth: true }],

  ['thick-walled cyst at baseline', { meanDiameterMm: 20, cyst: { types: ['thick-walled'] } }, '4A', 'cyst-thick-walled'],
  ['thick-walled cyst, new', { meanDiameterMm: 20, change: 'new', cyst: { types: ['thick-walled'] } }, '4A', 'cyst-thick-walled'],
  ['thick-walled cyst, growing cystic component', { meanDiameterMm: 20, change: 'growing', cyst: { types: ['thick-walled'] } }, '3', 'cyst-thick-walled-growing'],
  ['multilocular cyst at baseline', { cyst: { types: ['multilocular'] } }, '4A', 'cyst-multilocular-baseline'],
  ['thin-walled cyst that became multilocular', { change: 'stable', cyst: { types: ['thin-walled'], changes: ['became-multilocular'] } }, '4A', 'cyst-became-multilocular'],
  ['thick-walled cyst, wall growing', { change: 'stable', cyst: { types: ['thick-walled'], changes: ['wall-growing'] } }, '4B', 'cyst-wall-growing'],
  ['multilocular cyst, growing', { change: 'growing', cyst: { types: ['multilocular'] } }, '4B', 'cyst-multilocular-growing'],
  ['multilocular cyst, loculation increased', { change: 'stable', cyst: { types: ['multilocular'], changes: ['loculation-increased'] } }, '4B', 'cyst-loculation-increased'],

  ['prior 3, stable at 6 months → 2', { meanDiameterMm: 7, change: 'stable' }, '2', 'stepped-3-stable', { priorCategory: '3' }],
  ['prior 3, smaller → 2', { meanDiameterMm: 6, change: 'decreased' }, '2', 'stepped-3-stable', { priorCategory: '3' }],
  ['prior 4A, stable at 3 months → 3', { meanDiameterMm: 9, change: 'stable' }, '3', 'stepped-4A-stable', { priorCategory: '4A' }],
  ['prior 4A airway nodule stable → 4B, never stepped down', { position: 'airway-segmental', change: 'stable' }, '4B', 'airway-segmental-persistent', { priorCategory: '4A' }],
  ['prior 3, growing → not stepped', { meanDiameterMm: 7, change: 'growing' }, '4A', 'solid-growing-lt8', { priorCategory: '3' }],
  ['prior 4A stable with slow growth → 4B, not stepped', { meanDiameterMm: 9, change: 'stable' }, '4B', 'solid-slow-growth', { priorCategory: '4A', slowGrowth: true }],
]

describe('lungRadsCategory: one case per row, at its boundaries', () => {
  it.each(cases)('%s → %s (%s)', (_name, facts, category, rowId, history) => {
    const result = lungRadsCategory(nodule(facts), history)
    expect(result.category).toBe(category)
    expect(result.row?.id).toBe(rowId)
  })

  it('covers every row of the table', () => {
    const tested = new Set(cases.map(([, , , row]) => row))
    const ids = [...lungRadsRows, ...lungRadsSteppedRows].map((r) => r.id)
    expect(ids.filter((id) => !tested.has(id))).toEqual([])
  })

  it('says category 1 rests on the benign feature, and why it is set aside', () => {
    const benign = lungRadsCategory(nodule({ meanDiameterMm: 5, benignFeature: true }))
    expect(benign.notes.join(' ')).toMatch(/confirm the pattern on the images/)
    const grown = lungRadsCategory(
      nodule({ meanDiameterMm: 21, change: 'new', benignFeature: true })
    )
    expect(grown.notes.join(' ')).toMatch(/new and 8 mm or more: categorised by its size/)
  })
})

describe('lungRadsCategory: gaps and assumptions', () => {
  it('notes that missing solidness was read as solid', () => {
    expect(lungRadsCategory(nodule({ meanDiameterMm: 5, solidness: undefined })).notes).toEqual([
      'Solidness not given: assessed as a solid nodule.',
    ])
  })

  // Audit: a 12 mm nodule with a 9 mm solid component and no solidness was read as solid (4A);
  // as part-solid it is 4B (baseline solid component ≥ 8 mm).
  it.each([
    [{ meanDiameterMm: 12, solidComponentMm: 9 }, '4B', 'solid (4A) and as part-solid (4B)'],
    [
      { meanDiameterMm: 7, solidComponentMm: 5, change: 'new' as const },
      '4B',
      'solid (4A) and as part-solid (4B)',
    ],
    [{ meanDiameterMm: 9, solidComponentMm: 5 }, '4A', 'solid (4A) and as part-solid (3)'],
  ])(
    'no solidness but a solid component %o: the higher of the solid and part-solid readings, %s',
    (facts, category, said) => {
      const result = lungRadsCategory(nodule({ ...facts, solidness: undefined }))
      expect(result.category).toBe(category)
      expect(result.notes[0]).toContain(said)
      expect(result.notes[0]).toContain('the higher category is used, the safer reading')
    }
  )

  it('gives no category and says why when the diameter is missing', () => {
    const result = lungRadsCategory(nodule({}))
    expect(result.category).toBeUndefined()
    expect(result.missing).toBe('diameter')
    expect(result.notes.join(' ')).toMatch(/No nodule diameter/)
  })

  it('gives no category for a baseline part-solid ≥ 6 mm without its solid component', () => {
    const result = lungRadsCategory(nodule({ solidness: 'part-solid', meanDiameterMm: 9 }))
    expect(result.category).toBeUndefined()
    expect(result.missing).toBe('solid-component')
  })

  it('categorises a stable solid nodule by size as at baseline, with a stepped-management note', () => {
    const result = lungRadsCategory(nodule({ meanDiameterMm: 7, change: 'stable' }))
    expect(result.category).toBe('3')
    expect(result.row?.id).toBe('solid-baseline-6-8')
    expect(result.notes.join(' ')).toMatch(/stepped management/)
  })

  it('categorises a decreased 16 mm solid nodule as at baseline (4B)', () => {
    expect(lungRadsCategory(nodule({ meanDiameterMm: 16, change: 'decreased' })).category).toBe(
      '4B'
    )
  })

  it('categorises a growing GGN ≥ 30 mm by size as new (3), not "no category", with a 4X note', () => {
    const result = lungRadsCategory(
      nodule({ solidness: 'ground-glass', meanDiameterMm: 31, change: 'growing' })
    )
    expect(result.category).toBe('3')
    expect(result.row?.id).toBe('ground-glass-ge30-baseline-new')
    expect(result.notes.join(' ')).toMatch(/categorised by size as new.*4X/)
  })

  it('keeps a growing GGN of 29.9 mm in its own row (2)', () => {
    const result = lungRadsCategory(
      nodule({ solidness: 'ground-glass', meanDiameterMm: 29.9, change: 'growing' })
    )
    expect([result.category, result.notes]).toEqual(['2', []])
  })

  it('has no row for a growing subsegmental airway nodule', () => {
    const result = lungRadsCategory(nodule({ position: 'airway-subsegmental', change: 'growing' }))
    expect(result.category).toBeUndefined()
  })
})

describe('4X', () => {
  it.each([
    ['spiculation on a 3', { meanDiameterMm: 7 }, ['spiculation'], '4X'],
    ['lymphadenopathy on a 4A', { meanDiameterMm: 9 }, ['lymphadenopathy'], '4X'],
    ['metastatic disease on a 4B', { meanDiameterMm: 16 }, ['metastatic-disease'], '4X'],
    ['spiculation on a 2 stays 2, with a note', { meanDiameterMm: 5 }, ['spiculation'], '2'],
    [
      'a ground-glass nodule that doubles',
      { solidness: 'ground-glass', meanDiameterMm: 12 },
      ['ggn-doubling'],
      '4X',
    ],
  ] as const)('%s', (_name, facts, features, category) => {
    const result = lungRadsCategory(nodule({ ...facts, suspiciousFeatures: [...features] }))
    expect(result.category).toBe(category)
    if (category === '4X') expect(result.row?.rule).toMatch(/suspicious features/)
    else expect(result.notes.join(' ')).toMatch(/4X is for category 3 or 4/)
  })
})

describe('lungRadsRows: the data itself', () => {
  const changes: NoduleChange[] = ['baseline', 'new', 'growing', 'stable', 'decreased']
  const types = [...new Set(lungRadsRows.map((r) => r.type))] as LungRadsNoduleType[]

  it('has no two rows of one type that both apply to the same nodule', () => {
    const overlaps: string[] = []
    for (const type of types) {
      for (const change of changes) {
        for (let d10 = 0; d10 <= 400; d10 += 1) {
          for (let s10 = 0; s10 <= d10; s10 += 5) {
            const [d, s] = [d10 / 10, s10 / 10]
            const matching = lungRadsRows.filter(
              (r) =>
                r.type === type &&
                !r.slowGrowth &&
                !r.solidComponent &&
                !r.cyst &&
                r.change.includes(change) &&
                (!r.d || inBounds(d, r.d)) &&
                (!r.s || inBounds(s, r.s))
            )
            if (matching.length > 1)
              overlaps.push(`${change} d=${d} s=${s}: ${matching.map((r) => r.id)}`)
          }
        }
      }
    }
    expect(overlaps.slice(0, 5)).toEqual([])
  })

  it('uses unique row ids', () => {
    const ids = lungRadsRows.map((r) => r.id)
    expect(new Set(ids).size).toBe(ids.length)
  })
})

describe('category summary and follow-up', () => {
  it.each([
    ['1', 'ldct', 12],
    ['2', 'ldct', 12],
    ['3', 'ldct-interval', 6],
    ['4A', 'ldct-interval', 3],
    ['4B', 'ct-chest', 0],
    ['4X', 'ct-chest', 0],
  ] as const)('category %s → %s at %i months', (category, order, months) => {
    expect(lungRadsCategories[category].followUp).toEqual({ order, months: { from: months } })
  })

  // Issue 11: category 0 created no order.
  it('gives category 0 its 1–3 month interval LDCT', () => {
    expect(lungRadsCategories['0'].followUp).toEqual({
      order: 'ldct-interval',
      months: { from: 1, to: 3 },
    })
    expect(lungRadsCategories['0'].management).toMatch(/1–3 months/)
  })

  it('offers optional PET/CT for 4A only with a solid nodule ≥ 8 mm', () => {
    const pet = { order: 'pet-ct', months: { from: 0 }, optional: true }
    expect(lungRadsManagement('4A', nodule({ meanDiameterMm: 8.0 })).additionalFollowUps).toEqual([
      { ...pet, because: 'solid nodule ≥ 8 mm' },
    ])
    expect(
      lungRadsManagement('4A', nodule({ meanDiameterMm: 7.9, change: 'growing' }))
        .additionalFollowUps
    ).toEqual([])
  })

  it('looks at the solid component, not the total, of a part-solid nodule', () => {
    const partSolid = (s: number) =>
      nodule({ solidness: 'part-solid', meanDiameterMm: 20, solidComponentMm: s })
    expect(lungRadsManagement('4A', partSolid(7.9)).additionalFollowUps).toEqual([])
    expect(lungRadsManagement('4B', partSolid(8.0)).additionalFollowUps).toEqual([
      { order: 'pet-ct', months: { from: 0 }, optional: true, because: 'solid component ≥ 8 mm' },
    ])
  })

  it('never offers PET/CT for 1-3 or for a ground-glass nodule', () => {
    expect(lungRadsManagement('3', nodule({ meanDiameterMm: 9 })).additionalFollowUps).toEqual([])
    const ggn = nodule({ solidness: 'ground-glass', meanDiameterMm: 40 })
    expect(lungRadsManagement('4B', ggn).additionalFollowUps).toEqual([])
  })
})

describe('moreSuspicious', () => {
  it.each([
    ['2', '4A', '4A'],
    ['4B', '3', '4B'],
    ['4X', '4B', '4X'],
    // Issue 11: an asserted 0 ranked below every computed category. Its LDCT in 1–3 months is
    // sooner than 4A's 3 months; 4B and 4X call for work-up now.
    ['0', '1', '0'],
    ['0', '3', '0'],
    ['0', '4A', '0'],
    ['0', '4B', '4B'],
    ['0', '4X', '4X'],
  ] as const)('%s vs %s → %s', (a, b, expected) => {
    expect(moreSuspicious(a, b)).toBe(expected)
    expect(moreSuspicious(b, a)).toBe(expected)
  })
})

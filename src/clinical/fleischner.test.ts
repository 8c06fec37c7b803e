/**
 * @module clinical/fleischner.test
 * Every Fleischner 2017 row, tested at its whole-millimetre boundaries.
 */
import { describe, expect, it } from 'vitest'
import { fleischnerRow, fleischnerRows, fleischnerRule, fleischnerSizeBands } from './fleischner'
import { inBounds } from './measure'
import type { FollowUp, NoduleFacts, SmokingRisk } from './types'

const nodule = (facts: Partial<NoduleFacts>): NoduleFacts => ({
  change: 'baseline',
  benignFeature: false,
  solidness: 'solid',
  ...facts,
})

type Case = [
  name: string,
  facts: Partial<NoduleFacts>,
  patient: { multiple?: boolean; risk?: SmokingRisk },
  row: string,
]

const low = { risk: 'low' } as const
const high = { risk: 'high' } as const
const multipleLow = { multiple: true, risk: 'low' } as const
const multipleHigh = { multiple: true, risk: 'high' } as const
const lowSingle = { multiple: false, risk: 'low' } as const

// prettier-ignore
const cases: Case[] = [
  ['solid single 5.4 rounds to 5, low risk', { meanDiameterMm: 5.4 }, low, 'solid-single-under-6-low-risk'],
  ['solid single 5.4, high risk', { meanDiameterMm: 5.4 }, high, 'solid-single-under-6-high-risk'],
  ['solid single 5.5 rounds to 6, low risk', { meanDiameterMm: 5.5 }, low, 'solid-single-6-8-low-risk'],
  ['solid single 6, high risk', { meanDiameterMm: 6 }, high, 'solid-single-6-8-high-risk'],
  ['solid single 8.4 rounds to 8, high risk', { meanDiameterMm: 8.4 }, high, 'solid-single-6-8-high-risk'],
  ['solid single 8.5 rounds to 9', { meanDiameterMm: 8.5 }, low, 'solid-single-over-8'],
  ['solid single 9, high risk', { meanDiameterMm: 9 }, high, 'solid-single-over-8'],
  ['solid multiple 5.4, low risk', { meanDiameterMm: 5.4 }, multipleLow, 'solid-multiple-under-6-low-risk'],
  ['solid multiple 5.4, high risk', { meanDiameterMm: 5.4 }, multipleHigh, 'solid-multiple-under-6-high-risk'],
  ['solid multiple 5.5, low risk', { meanDiameterMm: 5.5 }, multipleLow, 'solid-multiple-6-8-low-risk'],
  ['solid multiple 8.4, high risk', { meanDiameterMm: 8.4 }, multipleHigh, 'solid-multiple-6-8-high-risk'],
  ['solid multiple 8.5, low risk', { meanDiameterMm: 8.5 }, multipleLow, 'solid-multiple-over-8-low-risk'],
  ['solid multiple 8.5, high risk', { meanDiameterMm: 8.5 }, multipleHigh, 'solid-multiple-over-8-high-risk'],
  ['ground-glass single 5.4', { solidness: 'ground-glass', meanDiameterMm: 5.4 }, low, 'ground-glass-single-under-6'],
  ['ground-glass single 5.5', { solidness: 'ground-glass', meanDiameterMm: 5.5 }, high, 'ground-glass-single-6-plus'],
  ['part-solid single 5.4', { solidness: 'part-solid', meanDiameterMm: 5.4, solidComponentMm: 2 }, low, 'part-solid-single-under-6'],
  ['part-solid single 5.5, solid 5.4', { solidness: 'part-solid', meanDiameterMm: 5.5, solidComponentMm: 5.4 }, low, 'part-solid-single-6-plus-solid-under-6'],
  ['part-solid single 12, solid 5.5', { solidness: 'part-solid', meanDiameterMm: 12, solidComponentMm: 5.5 }, low, 'part-solid-single-solid-6-plus'],
  ['ground-glass multiple 5.4', { solidness: 'ground-glass', meanDiameterMm: 5.4 }, multipleLow, 'subsolid-multiple-under-6'],
  ['part-solid multiple 5.5', { solidness: 'part-solid', meanDiameterMm: 5.5, solidComponentMm: 2 }, multipleHigh, 'subsolid-multiple-6-plus'],
  ['benign calcification overrides a 20 mm solid nodule', { meanDiameterMm: 20, benignFeature: true }, high, 'benign-feature'],
]

describe('fleischnerRow: one case per row, at its boundaries', () => {
  it.each(cases)('%s → %s', (_name, facts, patient, rowId) => {
    const result = fleischnerRow(nodule(facts), {
      multiple: patient.multiple ?? false,
      risk: patient.risk ?? 'low',
    })
    expect(result.row?.id).toBe(rowId)
  })

  it('covers every row of the table', () => {
    const tested = new Set(cases.map(([, , , row]) => row))
    expect(fleischnerRows.map((r) => r.id).filter((id) => !tested.has(id))).toEqual([])
  })

  it('rounds the measured average once, to whole mm: axes 5.6 and 5.3 (5.45) → 5, not 5.5 → 6', () => {
    const result = fleischnerRow(nodule({ longAxisMm: 5.6, shortAxisMm: 5.3 }), lowSingle)
    expect(result.averageMm).toBe(5)
    expect(result.row?.id).toBe('solid-single-under-6-low-risk')
  })

  it('rounds a given mean of 5.45 mm to 5 and 8.45 mm to 8 (no 0.1 mm step first)', () => {
    expect(fleischnerRow(nodule({ meanDiameterMm: 5.45 }), lowSingle).averageMm).toBe(5)
    const r = fleischnerRow(nodule({ meanDiameterMm: 8.45 }), lowSingle)
    expect([r.averageMm, r.row?.id]).toEqual([8, 'solid-single-6-8-low-risk'])
  })

  it('rounds the solid component once too: 5.45 mm is 5 (solid component < 6)', () => {
    const r = fleischnerRow(
      nodule({ solidness: 'part-solid', meanDiameterMm: 12, solidComponentMm: 5.45 }),
      lowSingle
    )
    expect(r.solidComponentMm).toBe(5)
    expect(r.row?.id).toBe('part-solid-single-6-plus-solid-under-6')
  })

  it('still rounds a true tie up: axes 5.6 and 5.4 (5.5) → 6', () => {
    expect(fleischnerRow(nodule({ longAxisMm: 5.6, shortAxisMm: 5.4 }), lowSingle).averageMm).toBe(
      6
    )
  })
})

describe('follow-up encoding', () => {
  const followUpOf = (id: string) => fleischnerRows.find((r) => r.id === id)?.followUp

  it.each<[string, FollowUp | undefined]>([
    ['solid-single-under-6-low-risk', undefined],
    ['solid-single-under-6-high-risk', { order: 'ct-chest', months: { from: 12 }, optional: true }],
    [
      'solid-single-6-8-low-risk',
      {
        order: 'ct-chest',
        months: { from: 6, to: 12 },
        then: { months: { from: 18, to: 24 }, optional: true },
      },
    ],
    ['solid-single-over-8', { order: 'ct-chest', months: { from: 3 } }],
    [
      'solid-multiple-6-8-high-risk',
      { order: 'ct-chest', months: { from: 3, to: 6 }, then: { months: { from: 18, to: 24 } } },
    ],
    ['ground-glass-single-under-6', undefined],
    ['ground-glass-single-6-plus', { order: 'ct-chest', months: { from: 6, to: 12 } }],
    ['part-solid-single-under-6', undefined],
    ['part-solid-single-solid-6-plus', { order: 'ct-chest', months: { from: 3, to: 6 } }],
    ['subsolid-multiple-under-6', { order: 'ct-chest', months: { from: 3, to: 6 } }],
  ])('%s → %j', (id, followUp) => {
    expect(followUpOf(id)).toEqual(followUp)
  })

  it('encodes every "then (consider) CT at 18–24 months" of the text, and no other', () => {
    for (const row of fleischnerRows) {
      const text = row.recommendation
      const then = /then (consider )?CT at 18–24 months/.exec(text)
      expect([row.id, row.followUp?.then]).toEqual([
        row.id,
        then ? { months: { from: 18, to: 24 }, ...(then[1] ? { optional: true } : {}) } : undefined,
      ])
    }
  })

  it('offers PET/CT as an option for solid > 8 mm and a solid component > 8 mm, saying why', () => {
    const pet = (because: string) => [
      { order: 'pet-ct', months: { from: 0 }, optional: true, because },
    ]
    expect(fleischnerRows.find((r) => r.id === 'solid-single-over-8')?.additionalFollowUps).toEqual(
      pet('solid nodule > 8 mm')
    )
    expect(
      fleischnerRows.find((r) => r.id === 'part-solid-single-solid-6-plus')?.additionalFollowUps
    ).toEqual(pet('solid component > 8 mm'))
  })

  it.each<[number, number]>([
    [6, 0],
    [8.4, 0],
    [8.5, 1],
    [12, 1],
  ])(
    'part-solid, solid component %f mm: %i PET/CT option (only > 8 mm, whole mm)',
    (solid, count) => {
      const result = fleischnerRow(
        nodule({ solidness: 'part-solid', meanDiameterMm: 20, solidComponentMm: solid }),
        lowSingle
      )
      expect(result.row?.id).toBe('part-solid-single-solid-6-plus')
      expect(result.highSuspicion).toBe(true)
      expect(result.additionalFollowUps).toHaveLength(count)
    }
  )

  it('solid > 8 mm always has the PET/CT option; rows without one give none', () => {
    expect(
      fleischnerRow(nodule({ meanDiameterMm: 9 }), lowSingle).additionalFollowUps
    ).toHaveLength(1)
    expect(fleischnerRow(nodule({ meanDiameterMm: 7 }), lowSingle).additionalFollowUps).toEqual([])
  })

  it('words a row the way the guideline prints it', () => {
    const row = fleischnerRows.find((r) => r.id === 'solid-single-6-8-high-risk')
    expect(row && fleischnerRule(row)).toBe('Solid nodule, single, 6–8 mm, high risk')
    const over8 = fleischnerRows.find((r) => r.id === 'solid-single-over-8')
    expect(over8 && fleischnerRule(over8)).toBe('Solid nodule, single, > 8 mm')
  })
})

describe('high suspicion (warning rows)', () => {
  it.each<[string, Partial<NoduleFacts>, boolean, boolean]>([
    ['solid 8.4 (8 mm)', { meanDiameterMm: 8.4 }, false, false],
    ['solid 8.5 (9 mm)', { meanDiameterMm: 8.5 }, false, true],
    ['solid multiple 9 mm', { meanDiameterMm: 9 }, true, true],
    [
      'part-solid, solid 5.4',
      { solidness: 'part-solid', meanDiameterMm: 10, solidComponentMm: 5.4 },
      false,
      false,
    ],
    [
      'part-solid, solid 5.5',
      { solidness: 'part-solid', meanDiameterMm: 10, solidComponentMm: 5.5 },
      false,
      true,
    ],
    [
      'multiple part-solid, solid 6',
      { solidness: 'part-solid', meanDiameterMm: 10, solidComponentMm: 6 },
      true,
      true,
    ],
    ['ground-glass 20 mm', { solidness: 'ground-glass', meanDiameterMm: 20 }, false, false],
  ])('%s → %s', (_name, facts, multiple, expected) => {
    expect(fleischnerRow(nodule(facts), { multiple, risk: 'high' }).highSuspicion).toBe(expected)
  })
})

describe('fleischnerRow: risk, gaps and notes', () => {
  it('treats unknown risk as high and says so', () => {
    const result = fleischnerRow(nodule({ meanDiameterMm: 4 }), {
      multiple: false,
      risk: 'unknown',
    })
    expect(result.row?.id).toBe('solid-single-under-6-high-risk')
    expect(result.notes).toContain('Smoking status unknown or not recorded: managed as high risk.')
  })

  it('does not mention risk when the row does not depend on it', () => {
    const result = fleischnerRow(nodule({ solidness: 'ground-glass', meanDiameterMm: 7 }), {
      multiple: false,
      risk: 'unknown',
    })
    expect(result.row?.id).toBe('ground-glass-single-6-plus')
    expect(result.notes).toEqual([])
  })

  it('gives no row without a diameter', () => {
    const result = fleischnerRow(nodule({}), lowSingle)
    expect(result.row).toBeUndefined()
    expect(result.missing).toBe('diameter')
  })

  it('gives no row for a part-solid ≥ 6 mm without its solid component', () => {
    const result = fleischnerRow(nodule({ solidness: 'part-solid', meanDiameterMm: 8 }), lowSingle)
    expect(result.row).toBeUndefined()
    expect(result.missing).toBe('solid-component')
  })

  it('reads missing solidness as solid, with a note', () => {
    const result = fleischnerRow(nodule({ solidness: undefined, meanDiameterMm: 7 }), lowSingle)
    expect(result.row?.id).toBe('solid-single-6-8-low-risk')
    expect(result.notes).toContain('Solidness not given: assessed as a solid nodule.')
  })

  // Audit: a spiculated part-solid nodule with a 7 mm solid component got no PET/CT option, though
  // the row advises PET/CT, biopsy or resection for suspicious morphology.
  it('part-solid, solid component 6–8 mm: suspicious features add the PET/CT option, and say why', () => {
    const plain = fleischnerRow(
      nodule({ solidness: 'part-solid', meanDiameterMm: 12, solidComponentMm: 7 }),
      lowSingle
    )
    expect(plain.row?.id).toBe('part-solid-single-solid-6-plus')
    expect(plain.additionalFollowUps).toEqual([])
    const spiculated = fleischnerRow(
      nodule({
        solidness: 'part-solid',
        meanDiameterMm: 12,
        solidComponentMm: 7,
        suspiciousFeatures: ['spiculation'],
      }),
      lowSingle
    )
    expect(spiculated.additionalFollowUps).toEqual([
      {
        order: 'pet-ct',
        months: { from: 0 },
        optional: true,
        because: 'suspicious features: spiculation',
      },
    ])
    expect(spiculated.notes.join(' ')).toContain(
      'Suspicious features reported (spiculation): read as the suspicious morphology'
    )
  })

  // Audit: a 7 mm nodule with a 5 mm solid component and no solidness got the solid 6–8 mm row
  // (CT at 6–12 months); read as part-solid it is CT at 3–6 months.
  it.each<[Partial<NoduleFacts>, { multiple?: boolean; risk: SmokingRisk }, string, string]>([
    [
      { meanDiameterMm: 7, solidComponentMm: 5 },
      lowSingle,
      'part-solid-single-6-plus-solid-under-6',
      'part-solid',
    ],
    [
      { meanDiameterMm: 4, solidComponentMm: 2 },
      multipleLow,
      'subsolid-multiple-under-6',
      'part-solid',
    ],
    [{ meanDiameterMm: 12, solidComponentMm: 9 }, lowSingle, 'solid-single-over-8', 'solid'],
    [{ meanDiameterMm: 5, solidComponentMm: 3 }, high, 'solid-single-under-6-high-risk', 'solid'],
  ])(
    'no solidness but a solid component %o: the reading that asks for more (%s)',
    (facts, patient, row, reading) => {
      const result = fleischnerRow(nodule({ ...facts, solidness: undefined }), {
        risk: patient.risk,
        multiple: patient.multiple ?? false,
      })
      expect(result.row?.id).toBe(row)
      expect(result.notes[0]).toBe(
        `Solidness not given, but a solid-component size is: read as solid and as part-solid; the ${reading} reading asks for more and is used, the safer reading.`
      )
    }
  )

  it.each<[string, Partial<NoduleFacts>, boolean]>([
    ['a 12 mm calcified solid nodule', { meanDiameterMm: 12 }, false],
    ['several calcified nodules', { meanDiameterMm: 7 }, true],
    [
      'a part-solid nodule with fat',
      { solidness: 'part-solid', meanDiameterMm: 14, solidComponentMm: 9 },
      false,
    ],
    ['a benign nodule without a size', {}, false],
  ])(
    'benign calcification or fat: %s → no routine follow-up, not high suspicion',
    (_n, facts, multiple) => {
      const result = fleischnerRow(nodule({ ...facts, benignFeature: true }), {
        multiple,
        risk: 'high',
      })
      expect(result.row?.id).toBe('benign-feature')
      expect(result.row?.followUp).toBeUndefined()
      expect(result.row?.additionalFollowUps).toBeUndefined()
      expect(result.highSuspicion).toBe(false)
      expect(result.missing).toBeUndefined()
      expect(result.notes.join(' ')).toMatch(/benign calcification or macroscopic fat.*Confirm/)
    }
  )

  it('words the benign row without a size band or multiplicity', () => {
    const row = fleischnerRows.find((r) => r.id === 'benign-feature')!
    expect(fleischnerRule(row)).toBe('Nodule with benign calcification or macroscopic fat')
  })

  it.each<[NoduleFacts['change'], RegExp]>([
    ['growing', /Growing since the prior exam.*consider work-up/],
    ['stable', /Stable since the prior exam.*Compare with the prior/],
    ['decreased', /Smaller than on the prior exam.*Compare with the prior/],
  ])('a %s nodule keeps its size row and says what the comparison means', (change, note) => {
    const result = fleischnerRow(nodule({ meanDiameterMm: 4, change }), lowSingle)
    expect(result.row?.id).toBe('solid-single-under-6-low-risk')
    expect(result.notes.join(' ')).toMatch(note)
  })

  it('adds no comparison note for a baseline or new nodule', () => {
    for (const change of ['baseline', 'new'] as const)
      expect(fleischnerRow(nodule({ meanDiameterMm: 4, change }), lowSingle).notes).toEqual([])
  })
})

describe('fleischnerRows: the data itself', () => {
  it('has no two rows that apply to the same nodule and patient', () => {
    const overlaps: string[] = []
    for (const a of fleischnerRows) {
      for (const b of fleischnerRows) {
        if (a.id >= b.id || a.nodule !== b.nodule || a.multiplicity !== b.multiplicity) continue
        if (a.risk && b.risk && a.risk !== b.risk) continue
        for (let size = 0; size <= 40; size++) {
          for (let solid = 0; solid <= size; solid++) {
            const fits = (r: typeof a) =>
              inBounds(size, fleischnerSizeBands[r.size].bounds) &&
              (!r.solidComponent || inBounds(solid, fleischnerSizeBands[r.solidComponent].bounds))
            if (fits(a) && fits(b)) overlaps.push(`${a.id} / ${b.id} at ${size}/${solid}`)
          }
        }
      }
    }
    expect(overlaps.slice(0, 5)).toEqual([])
  })
})

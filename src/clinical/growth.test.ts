/**
 * @module clinical/growth.test
 * Growth from a list of dated measurements, at the boundaries of the Lung-RADS growth rule.
 */
import { describe, expect, it } from 'vitest'
import { computeGrowth, type NoduleMeasurement } from './growth'
import type { NoduleFacts } from './types'

const m = (date: string, facts: Partial<NoduleFacts>): NoduleMeasurement => ({
  date,
  nodule: { change: 'baseline', benignFeature: false, solidness: 'solid', ...facts },
})

describe('computeGrowth', () => {
  it.each([
    [5.5, 7.0, 'stable'],
    [5.4, 7.0, 'growing'],
    [7.0, 5.5, 'stable'],
    [7.0, 5.4, 'decreased'],
  ])('prior %f → now %f mm: %s', (before, now, change) => {
    const g = computeGrowth(m('2025-06-01', { meanDiameterMm: now }), [
      m('2024-12-01', { meanDiameterMm: before }),
    ])
    expect(g.change).toBe(change)
  })

  it('counts growth against any prior within 12 months', () => {
    const g = computeGrowth(m('2025-06-01', { meanDiameterMm: 7 }), [
      m('2025-03-01', { meanDiameterMm: 6.5 }),
      m('2024-07-01', { meanDiameterMm: 5.4 }),
    ])
    expect(g.change).toBe('growing')
    expect(g.notes).toEqual([])
  })

  it('reads growth over more than 12 months as growing, and says so', () => {
    const g = computeGrowth(m('2025-06-01', { meanDiameterMm: 7 }), [
      m('2024-03-01', { meanDiameterMm: 5 }),
    ])
    expect(g.change).toBe('growing')
    expect(g.notes.join(' ')).toMatch(/within 12 months; read as growing/)
  })

  it('finds slow growth over three exams, never for ground glass', () => {
    const priors = [
      m('2024-01-01', { meanDiameterMm: 5.2 }),
      m('2023-01-01', { meanDiameterMm: 4.4 }),
    ]
    expect(computeGrowth(m('2025-01-01', { meanDiameterMm: 6.0 }), priors).slowGrowth).toBe(true)
    const ggn = m('2025-01-01', { meanDiameterMm: 6.0, solidness: 'ground-glass' })
    expect(computeGrowth(ggn, priors).slowGrowth).toBe(false)
    // A dip in between is not steady growth.
    const dip = [m('2024-01-01', { meanDiameterMm: 4.0 }), m('2023-01-01', { meanDiameterMm: 4.4 })]
    expect(computeGrowth(m('2025-01-01', { meanDiameterMm: 5.0 }), dip).slowGrowth).toBe(false)
  })

  it('finds a new and a growing solid component', () => {
    const now = m('2025-06-01', {
      meanDiameterMm: 16,
      solidComponentMm: 5,
      solidness: 'part-solid',
    })
    expect(
      computeGrowth(now, [m('2024-12-01', { meanDiameterMm: 16, solidness: 'ground-glass' })])
        .solidComponent
    ).toBe('new')
    expect(
      computeGrowth(now, [
        m('2024-12-01', { meanDiameterMm: 16, solidComponentMm: 3.4, solidness: 'part-solid' }),
      ]).solidComponent
    ).toBe('growing')
    expect(
      computeGrowth(now, [
        m('2024-12-01', { meanDiameterMm: 16, solidComponentMm: 3.5, solidness: 'part-solid' }),
      ]).solidComponent
    ).toBeUndefined()
  })

  it('lists the history newest first and ignores priors dated after the exam', () => {
    const g = computeGrowth(m('2025-06-01', { meanDiameterMm: 7 }), [
      m('2023-06-01', { meanDiameterMm: 6 }),
      m('2026-01-01', { meanDiameterMm: 2 }),
      m('2024-06-01', { meanDiameterMm: 6.5 }),
    ])
    expect(g.history.map((h) => h.date)).toEqual(['2025-06-01', '2024-06-01', '2023-06-01'])
    expect(g.sinceNearest).toEqual({ mm: 0.5, months: 12, date: '2024-06-01' })
  })
})

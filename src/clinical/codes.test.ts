/**
 * @module clinical/codes.test
 * Lobe displays (finding kinds: finding-kinds.test.ts).
 */
import { describe, expect, it } from 'vitest'
import { lobeDisplay } from './codes'
import { roundHalfUp } from './measure'

const SCT = 'http://snomed.info/sct'

describe('lobeDisplay', () => {
  it.each([
    [[{ system: SCT, code: '42400003' }], 'RUL'],
    [[{ system: 'http://radlex.org', code: 'RID1310' }], 'RML'],
    [
      [
        { system: SCT, code: '45653009' },
        { system: SCT, code: '24028007' },
      ],
      'RUL',
    ],
    [
      [
        { system: SCT, code: '90572001' },
        { system: SCT, code: '24028007' },
      ],
      'RLL',
    ],
    [[{ system: SCT, code: '45653009' }], 'upper lobe'],
    [[{ system: SCT, code: '44029006' }], undefined],
  ])('%j → %s', (codings, display) => {
    expect(lobeDisplay(codings)).toBe(display)
  })
})

describe('roundHalfUp', () => {
  it.each([
    [5.95, 1, 6.0],
    [5.949, 1, 5.9],
    [(6.0 + 5.9) / 2, 1, 6.0],
    [(6.1 + 5.8) / 2, 1, 6.0], // stored as 5.9499999…: a naive Math.round gives 5.9
    [1.05, 1, 1.1],
    [8.5, 0, 9],
    [8.49, 0, 8],
    [5.5, 0, 6],
  ])('%f to %i places → %f', (value, decimals, expected) => {
    expect(roundHalfUp(value, decimals)).toBe(expected)
  })
})

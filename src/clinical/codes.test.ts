/**
 * @module clinical/codes.test
 * Finding kinds by any coding, and lobe displays.
 */
import { describe, expect, it } from 'vitest'
import { findingKindOf, lobeDisplay } from './codes'
import { roundHalfUp } from './measure'

const SCT = 'http://snomed.info/sct'

describe('findingKindOf', () => {
  it.each([
    [[{ system: SCT, code: '786838002' }], 'pulmonary-nodule'],
    [[{ system: SCT, code: '427359005' }], 'pulmonary-nodule'],
    [[{ system: 'http://radlex.org', code: 'RID50149' }], 'pulmonary-nodule'],
    [[{ system: SCT, code: '59282003' }], 'pulmonary-embolism'],
    [[{ system: SCT, code: '1386000' }], 'intracranial-hemorrhage'],
    [[{ system: SCT, code: '36118008' }], 'pneumothorax'],
    [[{ system: SCT, code: '308546005' }], 'aortic-dissection'],
    [[{ system: SCT, code: '33737001' }], 'rib-fracture'],
    [
      [
        { system: 'http://example.org/local', code: 'x' },
        { system: `${SCT}/`, code: '36118008' },
      ],
      'pneumothorax',
    ],
    [[{}, { display: 'something' }], 'unknown'],
    [[], 'unknown'],
  ])('%j → %s', (codings, kind) => {
    expect(findingKindOf(codings)).toBe(kind)
  })
})

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

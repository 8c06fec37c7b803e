/**
 * @module clinical/phrases.test
 * The phrase lists, one case per phrase, and the texts issue 11 names as regression cases: each
 * was read the wrong way before (change as baseline, part-solid as ground glass, an ex-smoker as
 * never).
 */
import type { Observation } from 'fhir/r4'
import { describe, expect, it } from 'vitest'
import { smokingRisk } from './context'
import { changePhrases, matchPhrases, smokingPhrases, solidnessPhrases } from './phrases'
import { readNoduleFacts } from './read-nodule'

const Q = 'urn:imaging-cds:finding-qualifier'
const nodule = (change?: string, solidness?: string): Observation => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://snomed.info/sct', code: '786838002' }] },
  component: [
    ...(change
      ? [
          {
            code: { coding: [{ system: Q, code: 'change' }] },
            valueCodeableConcept: { text: change },
          },
        ]
      : []),
    ...(solidness
      ? [
          {
            code: { coding: [{ system: 'http://radlex.org', code: 'RID46010' }] },
            valueCodeableConcept: { text: solidness },
          },
        ]
      : []),
  ],
})

describe('change phrases (issue 11: change given as text was read as baseline)', () => {
  it.each([
    ['Increased compared with initial CT', 'growing'],
    ['New since first screening', 'new'],
    ['Larger than on baseline exam', 'growing'],
    ['Newly detected', 'new'],
    ['Interval appearance', 'new'],
    ['Progression', 'growing'],
  ])('reads "%s" as %s through the nodule reader', (text, change) => {
    const notes: string[] = []
    const facts = readNoduleFacts(nodule(text), notes)
    expect(facts.change).toBe(change)
    expect(facts.changeUnread).toBeUndefined()
    expect(notes).toEqual([])
  })

  it.each([
    ['No interval growth', 'stable'],
    ['no significant change', 'stable'],
    ['not increased', 'stable'],
    ['without change', 'stable'],
    ['Growing, previously stable', 'growing'],
    ['grew 2 mm', 'growing'],
    ['enlarging', 'growing'],
    ['bigger', 'growing'],
    ['Decreased in size', 'decreased'],
    ['smaller than on the baseline exam', 'decreased'],
    ['shrinking', 'decreased'],
    ['regressed', 'decreased'],
    ['reduced', 'decreased'],
    ['interval development', 'new'],
    ['not seen on the prior', 'new'],
    ['Stable compared with initial CT', 'stable'],
    ['unchanged', 'stable'],
    ['Baseline', 'baseline'],
    ['initial exam', 'baseline'],
    ['first screening', 'baseline'],
    ['no prior available', 'baseline'],
  ])('reads "%s" as %s', (text, change) => {
    expect(matchPhrases(changePhrases, [text])).toBe(change)
  })

  it('leaves words it cannot read unread, flagged for the assessment', () => {
    const notes: string[] = []
    const facts = readNoduleFacts(nodule('see report'), notes)
    expect(facts.change).toBe('baseline')
    expect(facts.changeUnread).toBe(true)
    expect(notes).toContain('Change since prior read as baseline.')
  })

  it('lets a code win over its text', () => {
    const obs = nodule()
    obs.component = [
      {
        code: { coding: [{ system: Q, code: 'change' }] },
        valueCodeableConcept: { coding: [{ system: Q, code: 'new' }], text: 'stable' },
      },
    ]
    expect(readNoduleFacts(obs, []).change).toBe('new')
  })
})

describe('solidness phrases', () => {
  it('reads "Ground-glass nodule with solid component" as part-solid (issue 11)', () => {
    expect(
      readNoduleFacts(nodule(undefined, 'Ground-glass nodule with solid component'), []).solidness
    ).toBe('part-solid')
  })

  it.each([
    ['part-solid', 'part-solid'],
    ['partially solid', 'part-solid'],
    ['semi-solid', 'part-solid'],
    ['mixed attenuation', 'part-solid'],
    ['GGN with a small solid part', 'part-solid'],
    ['ground glass', 'ground-glass'],
    ['non-solid', 'ground-glass'],
    ['GGO', 'ground-glass'],
    ['solid', 'solid'],
    ['Solid nodule', 'solid'],
    ['soft tissue', undefined],
  ])('reads "%s" as %s', (text, solidness) => {
    expect(matchPhrases(solidnessPhrases, [text])).toBe(solidness)
  })
})

describe('smoking phrases', () => {
  it.each([
    ['Ex-smoker, currently non-smoker', 'former'],
    ['Ex smoker', 'former'],
    ['Former smoker', 'former'],
    ['Quit 2010', 'former'],
    ['stopped smoking in 2015', 'former'],
    ['past smoker', 'former'],
    ['history of smoking', 'former'],
    ['Never smoker', 'never'],
    ['Non-smoker', 'never'],
    ['lifelong non-smoker', 'never'],
    ['Current every day smoker', 'current'],
    ['Smokes 10 a day', 'current'],
    ['Some days', 'current'],
    ['unknown', undefined],
  ])('reads "%s" as %s', (text, history) => {
    expect(matchPhrases(smokingPhrases, [text])).toBe(history)
  })

  it('gives an ex-smoker who is "currently non-smoker" high Fleischner risk (issue 11)', () => {
    const status: Observation = {
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '72166-2' }] },
      effectiveDateTime: '2024-01-01',
      valueCodeableConcept: { text: 'Ex-smoker, currently non-smoker' },
    }
    expect(smokingRisk([status])).toBe('high')
  })
})

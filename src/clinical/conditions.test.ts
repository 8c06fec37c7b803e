/**
 * @module clinical/conditions.test
 * Fleischner scope from the patient's active Conditions: each code list at its edges, and a
 * condition the lists cannot classify never excluding.
 */
import type { Condition } from 'fhir/r4'
import { describe, expect, it } from 'vitest'
import { fleischnerScope, possibleScopeCondition } from './conditions'

const ICD = 'http://hl7.org/fhir/sid/icd-10-cm'
const SCT = 'http://snomed.info/sct'
const condition = (system: string, code: string, extra: Partial<Condition> = {}): Condition => ({
  resourceType: 'Condition',
  subject: { reference: 'Patient/p1' },
  clinicalStatus: {
    coding: [
      { system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' },
    ],
  },
  code: { coding: [{ system, code }] },
  ...extra,
})

describe('fleischnerScope', () => {
  it.each([
    [ICD, 'C00.0', 'malignancy'],
    [ICD, 'C34.11', 'malignancy'],
    [ICD, 'C96.9', 'malignancy'],
    [SCT, '363346000', 'malignancy'],
    [ICD, 'D80.0', 'immunosuppressed'],
    [ICD, 'D84.9', 'immunosuppressed'],
    [ICD, 'B20', 'immunosuppressed'],
    [ICD, 'Z94.0', 'immunosuppressed'],
    [SCT, '370388006', 'immunosuppressed'],
  ])('%s %s → %s', (system, code, exclusion) => {
    expect(fleischnerScope([condition(system, code)])?.exclusion).toBe(exclusion)
  })

  it.each([
    [ICD, 'C97'],
    [ICD, 'D00.0'],
    [ICD, 'D79.9'],
    [ICD, 'D85'],
    [ICD, 'Z95.1'],
    [ICD, 'J44.9'],
    [SCT, '38341003'],
  ])('%s %s does not exclude', (system, code) => {
    expect(fleischnerScope([condition(system, code)])).toBeUndefined()
  })

  it('ignores resolved, remitted and refuted conditions', () => {
    const resolved = condition(ICD, 'C34.1', {
      clinicalStatus: { coding: [{ code: 'resolved' }] },
    })
    const refuted = condition(ICD, 'C34.1', {
      verificationStatus: { coding: [{ code: 'refuted' }] },
    })
    expect(fleischnerScope([resolved, refuted])).toBeUndefined()
  })

  it('names the condition and prefers malignancy', () => {
    const scope = fleischnerScope([
      condition(ICD, 'Z94.0'),
      {
        ...condition(ICD, 'C34.11'),
        code: { text: 'Adenocarcinoma of RUL', coding: [{ system: ICD, code: 'C34.11' }] },
      },
    ])
    expect(scope).toEqual({ exclusion: 'malignancy', condition: 'Adenocarcinoma of RUL' })
  })
})

// Audit: a cancer coded as a SNOMED CT descendant (no terminology server to place it) was silent:
// Fleischner applied with no word that the patient may have cancer.
describe('possibleScopeCondition', () => {
  const named = (display: string, extra: Partial<Condition> = {}) =>
    condition(SCT, '999999999', {
      code: { coding: [{ system: SCT, code: '999999999', display }] },
      ...extra,
    })

  it.each([
    'Non-small cell lung cancer',
    'Adenocarcinoma of breast',
    'Malignant melanoma of skin',
    'Diffuse large B-cell lymphoma',
    'Chronic lymphocytic leukemia',
    'Metastatic disease',
    'Kidney transplant recipient',
    'Immunosuppressed state',
    'HIV infection',
  ])('"%s" reads like a scope exclusion', (display) => {
    expect(possibleScopeCondition([named(display)])).toEqual({ condition: display, why: 'uncoded' })
  })

  it.each([
    'Family history of cancer',
    'Screening for malignant neoplasm of breast',
    'Fear of cancer',
    'No history of cancer',
    'Essential hypertension',
  ])('"%s" does not', (display) => {
    expect(possibleScopeCondition([named(display)])).toBeUndefined()
  })

  it('only an active, unrefuted condition counts, and the code text is read too', () => {
    const resolved = named('Lung cancer', {
      clinicalStatus: { coding: [{ code: 'resolved' }] },
    })
    expect(possibleScopeCondition([resolved])).toBeUndefined()
    const refuted = named('Lung cancer', { verificationStatus: { coding: [{ code: 'refuted' }] } })
    expect(possibleScopeCondition([refuted])).toBeUndefined()
    const text = condition(SCT, '254637007', { code: { text: 'NSCLC, stage IIIA adenocarcinoma' } })
    expect(possibleScopeCondition([text])).toEqual({
      condition: 'NSCLC, stage IIIA adenocarcinoma',
      why: 'uncoded',
    })
  })

  // A cancer in remission is not active, so it does not exclude, but it is a known cancer: the
  // card says Fleischner may not apply (the safer reading), rather than nothing.
  describe('a malignancy in remission', () => {
    const remission = { clinicalStatus: { coding: [{ code: 'remission' }] } }
    it.each([
      ['ICD-10 C34.11', condition(ICD, 'C34.11', remission), 'C34.11'],
      ['SNOMED CT 363346000', condition(SCT, '363346000', remission), '363346000'],
      ['its words', named('Hodgkin lymphoma', remission), 'Hodgkin lymphoma'],
      [
        'its text first',
        condition(ICD, 'C50.911', { ...remission, code: { text: 'Breast cancer, in remission' } }),
        'Breast cancer, in remission',
      ],
    ])('%s: possible scope, why remission', (_, c, name) => {
      expect(fleischnerScope([c])).toBeUndefined()
      expect(possibleScopeCondition([c])).toEqual({ condition: name, why: 'remission' })
    })

    it('not when it is no malignancy, refuted, or resolved', () => {
      expect(possibleScopeCondition([condition(ICD, 'D84.9', remission)])).toBeUndefined()
      expect(possibleScopeCondition([named('Asthma', remission)])).toBeUndefined()
      const refuted = condition(ICD, 'C34.11', {
        ...remission,
        verificationStatus: { coding: [{ code: 'refuted' }] },
      })
      expect(possibleScopeCondition([refuted])).toBeUndefined()
      const resolved = condition(ICD, 'C34.11', {
        clinicalStatus: { coding: [{ code: 'resolved' }] },
      })
      expect(possibleScopeCondition([resolved])).toBeUndefined()
    })
  })
})

/**
 * @module clinical/conditions.test
 * Fleischner scope from the patient's active Conditions: each code list at its edges, and a
 * condition the lists cannot classify never excluding.
 */
import type { Condition } from 'fhir/r4'
import { describe, expect, it } from 'vitest'
import { fleischnerScope } from './conditions'

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

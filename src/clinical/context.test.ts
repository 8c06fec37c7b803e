/**
 * @module clinical/context.test
 * Screening detection, smoking risk, age and follow-up dates.
 */
import type { CodeableConcept, ImagingStudy, Observation, ServiceRequest } from 'fhir/r4'
import { describe, expect, it } from 'vitest'
import { ageInYears, followUpDate, isScreeningStudy, smokingRisk } from './context'

const study = (extra: Partial<ImagingStudy> = {}): ImagingStudy => ({
  resourceType: 'ImagingStudy',
  id: 's1',
  status: 'available',
  subject: { reference: 'Patient/p1' },
  ...extra,
})
const order = (code: CodeableConcept, reasonCode?: CodeableConcept[]): ServiceRequest => ({
  resourceType: 'ServiceRequest',
  status: 'active',
  intent: 'order',
  subject: { reference: 'Patient/p1' },
  code,
  ...(reasonCode && { reasonCode }),
})
const loinc = (code: string): CodeableConcept => ({
  coding: [{ system: 'http://loinc.org', code }],
})

describe('isScreeningStudy', () => {
  it.each<[string, CodeableConcept]>([
    ['LOINC 79086-5', loinc('79086-5')],
    ['LOINC 87279-6', loinc('87279-6')],
    ['RadLex RPID6002', { coding: [{ system: 'http://radlex.org', code: 'RPID6002' }] }],
    ['CPT 71271', { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '71271' }] }],
    ['text "CT Chest Screening WO contr"', { text: 'CT Chest Screening WO contr' }],
    [
      'HCPCS G0297',
      {
        coding: [
          { system: 'http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets', code: 'G0297' },
        ],
      },
    ],
    [
      'SNOMED CT 16334891000119106',
      { coding: [{ system: 'http://snomed.info/sct', code: '16334891000119106' }] },
    ],
  ])('is true for a procedureCode of %s', (_name, code) => {
    expect(isScreeningStudy(study({ procedureCode: [code] }))).toBe(true)
  })

  it('is true when the basedOn order carries the screening code', () => {
    expect(
      isScreeningStudy(study({ procedureCode: [loinc('29252-4')] }), [order(loinc('79086-5'))])
    ).toBe(true)
  })

  it.each([['Lung cancer screening'], ['Annual LDCT screening, 30 pack-years']])(
    'is true for a reason saying "%s"',
    (text) => {
      expect(isScreeningStudy(study({ reasonCode: [{ text }] }))).toBe(true)
      expect(isScreeningStudy(study(), [order(loinc('29252-4'), [{ text }])])).toBe(true)
    }
  )

  // Issue 11: Lung-RADS follow-up exams coded as diagnostic chest CT got Fleischner.
  it.each<[string, CodeableConcept]>([
    ['CPT 71250', { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '71250' }] }],
    ['LOINC 29252-4', loinc('29252-4')],
  ])('is true for a %s follow-up exam with a Lung-RADS reason', (_name, code) => {
    const reason = [{ text: 'Lung-RADS 4A follow-up' }]
    expect(isScreeningStudy(study({ procedureCode: [code], reasonCode: reason }))).toBe(true)
    expect(isScreeningStudy(study(), [order(code, reason)])).toBe(true)
    expect(isScreeningStudy(study({ procedureCode: [code] }))).toBe(false)
  })

  it('is true for an order whose reasonReference names a Lung-RADS category', () => {
    const followUp = { ...order(loinc('29252-4')), reasonReference: [{ display: 'Lung-RADS 3' }] }
    expect(isScreeningStudy(study(), [followUp])).toBe(true)
  })

  it('is true for an ICD-10 Z12.2 reason', () => {
    const reason = { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'Z12.2' }] }
    expect(isScreeningStudy(study({ reasonCode: [reason] }))).toBe(true)
  })

  it.each([
    ['a diagnostic chest CT', study({ procedureCode: [loinc('29252-4')] }), []],
    ['no codes at all', study(), []],
    ['an empty coding', study({ procedureCode: [{ coding: [{}] }] }), []],
    [
      'screening for another organ',
      study({ reasonCode: [{ text: 'Colorectal cancer screening' }] }),
      [],
    ],
    // Issue 11: the word "screen" alone selected Lung-RADS.
    [
      'screening for metastatic disease',
      study({
        procedureCode: [loinc('24628-0')],
        reasonCode: [{ text: 'Screening for metastatic disease' }],
      }),
      [],
    ],
    [
      'pre-transplant screening',
      study({ reasonCode: [{ text: 'Pre-transplant screening' }] }),
      [order(loinc('29252-4'), [{ text: 'Pre-transplant screening' }])],
    ],
    [
      'a chest CT screening for metastases',
      study({ procedureCode: [{ text: 'CT chest screening for metastases' }] }),
      [],
    ],
    [
      'a CTA for pulmonary embolism',
      study({ reasonCode: [{ text: 'Suspected PE' }] }),
      [order(loinc('24628-0'))],
    ],
  ] as const)('is false for %s', (_name, s, basedOn) => {
    expect(isScreeningStudy(s, [...basedOn])).toBe(false)
  })
})

const SCT = 'http://snomed.info/sct'
const smoking = (
  code: string | undefined,
  effective: string,
  extra: Partial<Observation> = {}
): Observation => ({
  resourceType: 'Observation',
  status: 'final',
  code: loinc('72166-2'),
  effectiveDateTime: effective,
  ...(code && { valueCodeableConcept: { coding: [{ system: SCT, code }] } }),
  ...extra,
})

describe('smokingRisk', () => {
  it.each([
    ['449868002', 'high'],
    ['428041000124106', 'high'],
    ['8517006', 'high'],
    ['77176002', 'high'],
    ['266919005', 'low'],
    ['266927001', 'unknown'],
    ['999999999', 'unknown'],
  ] as const)('reads SNOMED %s as %s', (code, risk) => {
    expect(smokingRisk([smoking(code, '2024-01-01')])).toBe(risk)
  })

  it('uses the latest observation', () => {
    const former = smoking('8517006', '2020-05-01')
    const never = smoking('266919005', '2023-05-01')
    expect(smokingRisk([never, former])).toBe('low')
    expect(smokingRisk([former, smoking('449868002', '2024-02-01T09:00:00Z')])).toBe('high')
  })

  it('ignores entered-in-error observations and other codes', () => {
    const wrong = smoking('449868002', '2024-01-01', { status: 'entered-in-error' })
    const other = smoking('449868002', '2024-01-01', { code: loinc('8867-4') })
    expect(smokingRisk([smoking('266919005', '2020-01-01'), wrong, other])).toBe('low')
  })

  it.each([
    ['Never smoker', 'low'],
    ['Former smoker', 'high'],
    ['Current every day smoker', 'high'],
    ['Unknown if ever smoked', 'unknown'],
  ] as const)('reads the text "%s" as %s', (text, risk) => {
    expect(
      smokingRisk([smoking(undefined, '2024-01-01', { valueCodeableConcept: { text } })])
    ).toBe(risk)
  })

  it('is unknown without any smoking status', () => {
    expect(smokingRisk([])).toBe('unknown')
  })
})

describe('ageInYears', () => {
  it.each([
    ['1989-03-15', '2024-03-14', 34],
    ['1989-03-15', '2024-03-15', 35],
    ['1989-03-15', '2024-03-15T00:30:00+14:00', 35],
    ['1960-02-29', '2024-02-28', 63],
    ['1960-02-29', '2024-02-29', 64],
    ['1989', '2024-01-01', 35],
    ['1989-06', '2024-05-31', 34],
  ])('born %s, on %s → %i', (born, on, age) => {
    expect(ageInYears(born, on)).toBe(age)
  })

  it('gives NaN for a date it cannot read', () => {
    expect(ageInYears('unknown', '2024-01-01')).toBeNaN()
    expect(ageInYears('1989-13-01', '2024-01-01')).toBeNaN()
  })
})

describe('followUpDate', () => {
  it.each([
    ['2024-01-31', 1, '2024-02-29'],
    ['2023-01-31', 1, '2023-02-28'],
    ['2024-03-31', 6, '2024-09-30'],
    ['2024-11-15', 3, '2025-02-15'],
    ['2024-01-31', 12, '2025-01-31'],
    ['2024-05-10', 0, '2024-05-10'],
    ['2024-08-31T23:30:00-05:00', 6, '2025-02-28'],
    ['20240131', 1, '2024-02-29'],
  ])('%s + %i months → %s', (date, months, expected) => {
    expect(followUpDate(date, months)).toBe(expected)
  })

  it('rejects a bad date and fractional months', () => {
    expect(() => followUpDate('soon', 3)).toThrow(RangeError)
    expect(() => followUpDate('2024-02-30', 3)).toThrow(RangeError)
    expect(() => followUpDate('2024-01-01', 1.5)).toThrow(RangeError)
  })
})

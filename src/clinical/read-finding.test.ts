/**
 * @module clinical/read-finding.test
 * readFindings on Observations and DiagnosticReports shaped as the input contract says (docs/clinical-rules.md), including
 * the sloppy variants real producers send.
 */
import type { DiagnosticReport, Observation, ObservationComponent } from 'fhir/r4'
import { describe, expect, it } from 'vitest'
import { parseLungRadsCategory, readFindings } from './read-finding'

const SCT = 'http://snomed.info/sct'
const RADLEX = 'http://radlex.org'
const DCM = 'http://dicom.nema.org/resources/ontology/DCM'
const Q = 'urn:imaging-cds:finding-qualifier'

const mm = (system: string, code: string, value: number, unit = 'mm'): ObservationComponent => ({
  code: { coding: [{ system, code }] },
  valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
})
const coded = (
  system: string,
  code: string,
  valueSystem: string,
  value: string
): ObservationComponent => ({
  code: { coding: [{ system, code }] },
  valueCodeableConcept: { coding: [{ system: valueSystem, code: value }] },
})
const qualifier = (code: string, value: string) => coded(Q, code, Q, value)

/** The contract's example nodule Observation. */
const contractNodule = (): Observation => ({
  resourceType: 'Observation',
  id: 'nodule-1',
  status: 'final',
  category: [
    {
      coding: [
        { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'imaging' },
      ],
    },
  ],
  code: { coding: [{ system: SCT, code: '786838002', display: 'Pulmonary nodule' }] },
  subject: { reference: 'Patient/p1' },
  derivedFrom: [{ reference: 'ImagingStudy/abc' }],
  device: { reference: 'Device/nodule-detector-v2' },
  bodySite: {
    coding: [{ system: SCT, code: '42400003', display: 'Structure of upper lobe of right lung' }],
  },
  component: [
    mm(RADLEX, 'RID50155', 9.4),
    mm(SCT, '103339001', 10.1),
    mm(SCT, '103340004', 8.7),
    coded(RADLEX, 'RID46010', RADLEX, 'RID5741'),
    {
      code: {
        coding: [
          { system: SCT, code: '1362105002' },
          { system: RADLEX, code: 'RID50134' },
        ],
      },
      valueCodeableConcept: {
        coding: [{ system: RADLEX, code: 'RID50139', display: 'Lung-RADS 4A' }],
      },
    },
    mm(DCM, '111012', 92, '%'),
  ],
})

const observation = (id: string, extra: Partial<Observation> = {}): Observation => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: SCT, code: '786838002' }] },
  ...extra,
})

const report = (extra: Partial<DiagnosticReport> = {}): DiagnosticReport => ({
  resourceType: 'DiagnosticReport',
  id: 'r1',
  status: 'final',
  code: { text: 'AI lung nodule analysis' },
  imagingStudy: [{ reference: 'ImagingStudy/abc' }],
  effectiveDateTime: '2024-03-01T10:00:00Z',
  extension: [
    {
      url: 'http://example.org/fhir/StructureDefinition/ai-model-metadata',
      extension: [
        { url: 'model-name', valueString: 'NoduleNet' },
        { url: 'model-version', valueString: '2.1.0' },
        { url: 'confidence-score', valueDecimal: 0.87 },
        { url: 'fda-clearance', valueString: 'K123456' },
      ],
    },
  ],
  ...extra,
})

const readOne = (obs: Observation, r?: DiagnosticReport) => {
  const findings = readFindings(r, [obs])
  expect(findings).toHaveLength(1)
  return findings[0]!
}

describe('readFindings: the contract example', () => {
  it('reads every component of the example nodule', () => {
    const finding = readOne(
      contractNodule(),
      report({ result: [{ reference: 'Observation/nodule-1' }] })
    )
    expect(finding).toMatchObject({
      observationRef: 'Observation/nodule-1',
      reportRef: 'DiagnosticReport/r1',
      studyRef: 'ImagingStudy/abc',
      kind: 'pulmonary-nodule',
      name: 'Pulmonary nodule',
      status: 'final',
      location: 'RUL',
      assertedLungRads: '4A',
      confidence: 0.92,
      effective: '2024-03-01T10:00:00Z',
      model: { name: 'NoduleNet', version: '2.1.0', confidence: 0.87, clearance: 'K123456' },
      nodule: {
        meanDiameterMm: 9.4,
        longAxisMm: 10.1,
        shortAxisMm: 8.7,
        solidness: 'solid',
        change: 'baseline',
        benignFeature: false,
      },
    })
    expect(finding.notes).toBeUndefined()
  })

  it('accepts the service’s own model-metadata canonical', () => {
    const r = report()
    r.extension![0]!.url = 'urn:imaging-cds:ai-model-metadata'
    expect(readOne(contractNodule(), r).model.name).toBe('NoduleNet')
  })

  it('falls back to the report confidence-score when the finding has no DCM 111012', () => {
    const obs = contractNodule()
    obs.component = obs.component!.filter((c) => c.code.coding?.[0]?.code !== '111012')
    expect(readOne(obs, report()).confidence).toBe(0.87)
  })
})

describe('readFindings: nodule components', () => {
  it('computes the mean from the axes when it is not given, unrounded (each guideline rounds)', () => {
    const obs = observation('o', {
      component: [mm(SCT, '103339001', 10.1), mm(SCT, '103340004', 8.7)],
    })
    expect(readOne(obs).nodule?.meanDiameterMm).toBeCloseTo(9.4, 10)
    const tie = observation('o', {
      component: [mm(SCT, '103339001', 6.0), mm(SCT, '103340004', 5.9)],
    })
    expect(readOne(tie).nodule?.meanDiameterMm).toBeCloseTo(5.95, 10)
    // Fleischner must see 5.45 (→ 5 mm), not a 0.1 mm figure of 5.5 (→ 6 mm).
    const fleischnerTie = observation('o', {
      component: [mm(SCT, '103339001', 5.6), mm(SCT, '103340004', 5.3)],
    })
    expect(readOne(fleischnerTie).nodule?.meanDiameterMm).toBeCloseTo(5.45, 10)
  })

  // Audit: a given mean of 7.2 mm beside axes of 10 × 8 mm (average 9.0, the guidelines' own
  // definition of the mean) was used as 7.2: Lung-RADS 3 instead of 4A.
  it('uses the larger of a given mean and the axes’ average, and says why when they differ', () => {
    const smaller = observation('o', {
      component: [mm(RADLEX, 'RID50155', 7.2), mm(SCT, '103339001', 10), mm(SCT, '103340004', 8)],
    })
    const read = readOne(smaller)
    expect(read.nodule?.meanDiameterMm).toBe(9)
    expect(read.notes).toEqual([
      'Mean diameter 7.2 mm is given, but the long and short axes (10 × 8 mm) average 9 mm: the larger, 9 mm, is used, the safer reading.',
    ])
    const larger = observation('o', {
      component: [mm(RADLEX, 'RID50155', 9.6), mm(SCT, '103339001', 10), mm(SCT, '103340004', 8)],
    })
    expect(readOne(larger).nodule?.meanDiameterMm).toBe(9.6)
    // The contract's example: 9.4 given, 10.1 × 8.7 averages 9.4; nothing to say.
    const agree = observation('o', {
      component: [
        mm(RADLEX, 'RID50155', 9.4),
        mm(SCT, '103339001', 10.1),
        mm(SCT, '103340004', 8.7),
      ],
    })
    expect(readOne(agree).nodule?.meanDiameterMm).toBeCloseTo(9.4, 10)
    expect(readOne(agree).notes).toBeUndefined()
  })

  it('converts cm to mm and notes a unit it cannot read', () => {
    expect(
      readOne(observation('o', { component: [mm(RADLEX, 'RID50155', 1.2, 'cm')] })).nodule
        ?.meanDiameterMm
    ).toBe(12)
    const odd = readOne(observation('o', { component: [mm(RADLEX, 'RID50155', 200, 'mm3')] }))
    expect(odd.nodule?.meanDiameterMm).toBeUndefined()
    expect(odd.nodule?.sizeUnusable).toBe(true)
    expect(odd.notes).toEqual([
      'Mean diameter unit "mm3" not understood.',
      'Sizes not assessed: review the measurements on the images.',
    ])
  })

  it.each([
    [-50, 'mm'],
    [0, 'mm'],
    [300.1, 'mm'],
    [31, 'cm'],
    [1e300, 'mm'],
  ])('does not assess a size of %s %s (outside the physical range) and says why', (value, unit) => {
    const odd = readOne(
      observation('o', {
        component: [mm(RADLEX, 'RID50155', value, unit), mm(SCT, '103339001', 9, 'mm')],
      })
    )
    expect(odd.nodule?.meanDiameterMm).toBeUndefined()
    // The other sizes are not assessed either: they are as suspect as the one that cannot be.
    expect(odd.nodule?.longAxisMm).toBeUndefined()
    expect(odd.nodule?.sizeUnusable).toBe(true)
    expect(odd.notes?.join(' ')).toContain('outside the physical range')
  })

  it.each([
    [300, 'mm', 300],
    [0.1, 'mm', 0.1],
    [30, 'cm', 300],
  ])('assesses a size of %s %s at the edge of the physical range', (value, unit, mmValue) => {
    const edge = readOne(observation('o', { component: [mm(RADLEX, 'RID50155', value, unit)] }))
    expect(edge.nodule?.meanDiameterMm).toBe(mmValue)
    expect(edge.nodule?.sizeUnusable).toBeUndefined()
  })

  // Audit: a size sent as valueString or valueInteger was skipped silently, and the card said
  // "not measured by the AI".
  it.each([
    [
      { valueString: '9 mm' },
      'Mean diameter is given as valueString "9 mm", not as a quantity in mm.',
    ],
    [{ valueInteger: 9 }, 'Mean diameter is given as valueInteger 9, not as a quantity in mm.'],
    [
      { valueRange: { low: { value: 8 }, high: { value: 10 } } },
      'Mean diameter is given as valueRange, not as a quantity in mm.',
    ],
  ])('does not assess a size given as %o, and says what was sent', (value, note) => {
    const odd = readOne(
      observation('o', {
        component: [{ code: { coding: [{ system: RADLEX, code: 'RID50155' }] }, ...value }],
      })
    )
    expect(odd.nodule?.sizeUnusable).toBe(true)
    expect(odd.notes?.[0]).toBe(note)
  })

  it('a size component with no value at all (dataAbsentReason) is not measured, not unusable', () => {
    const absent = readOne(
      observation('o', {
        component: [
          {
            code: { coding: [{ system: RADLEX, code: 'RID50155' }] },
            dataAbsentReason: { coding: [{ code: 'not-performed' }] },
          },
        ],
      })
    )
    expect(absent.nodule?.sizeUnusable).toBeUndefined()
    expect(absent.nodule?.meanDiameterMm).toBeUndefined()
  })

  it('does not assess a size component with no numeric value', () => {
    const odd = readOne(
      observation('o', {
        component: [
          {
            code: { coding: [{ system: RADLEX, code: 'RID50155' }] },
            valueQuantity: { unit: 'mm' },
          },
        ],
      })
    )
    expect(odd.nodule?.sizeUnusable).toBe(true)
    expect(odd.notes?.[0]).toBe('Mean diameter has no numeric value.')
  })

  it.each(['>', '>=', '<', '<='] as const)(
    'does not assess a size given with the comparator %s (a bound, not a measurement)',
    (comparator) => {
      const bound = mm(RADLEX, 'RID50155', 8)
      bound.valueQuantity!.comparator = comparator
      const odd = readOne(observation('o', { component: [bound, mm(SCT, '103339001', 9)] }))
      expect(odd.nodule?.meanDiameterMm).toBeUndefined()
      expect(odd.nodule?.longAxisMm).toBeUndefined()
      expect(odd.nodule?.sizeUnusable).toBe(true)
      expect(odd.notes?.[0]).toBe(
        `Mean diameter is given as "${comparator} 8 mm", a bound rather than a measurement.`
      )
    }
  )

  it.each([
    [qualifier('change', 'new'), 'new'],
    [qualifier('change', 'growing'), 'growing'],
    [qualifier('change', 'stable'), 'stable'],
    [qualifier('change', 'decreased'), 'decreased'],
    [qualifier('change', 'baseline'), 'baseline'],
    [coded(Q, 'change', SCT, '7147002'), 'new'],
    [coded(Q, 'change', SCT, '35105006'), 'growing'],
    [coded(Q, 'change', SCT, '58158008'), 'stable'],
    [coded(Q, 'change', SCT, '1250004'), 'decreased'],
    [
      {
        code: { coding: [{ system: Q, code: 'change' }] },
        valueCodeableConcept: { text: 'Enlarging' },
      },
      'growing',
    ],
  ] satisfies [ObservationComponent, string][])('reads change %# as %s', (component, change) => {
    expect(readOne(observation('o', { component: [component] })).nodule?.change).toBe(change)
  })

  it('reads a missing change as baseline, and an unrecognised one as baseline with a note', () => {
    expect(readOne(observation('o')).nodule?.change).toBe('baseline')
    const odd = readOne(observation('o', { component: [qualifier('change', 'wobbly')] }))
    expect(odd.nodule?.change).toBe('baseline')
    expect(odd.notes).toEqual([
      'Change since prior "wobbly" not recognised.',
      'Change since prior read as baseline.',
    ])
  })

  it('quotes an unrecognised producer string or unit clipped to 200 characters, ellipsis included', () => {
    const long = 'z'.repeat(40_000)
    const odd = readOne(
      observation('o', {
        component: [
          { code: { coding: [{ system: Q, code: 'change' }] }, valueString: long },
          mm(RADLEX, 'RID50155', 8, long),
        ],
      })
    )
    const clipped = `${'z'.repeat(199)}…`
    expect(odd.nodule?.change).toBe('baseline')
    expect(odd.notes).toEqual([
      `Mean diameter unit "${clipped}" not understood.`,
      'Sizes not assessed: review the measurements on the images.',
      `Change since prior "${clipped}" not recognised.`,
      'Change since prior read as baseline.',
    ])
  })

  it.each([
    ['RID5741', 'solid'],
    ['RID46011', 'part-solid'],
    ['RID46016', 'ground-glass'],
  ] as const)('reads solidness %s as %s', (code, solidness) => {
    const obs = observation('o', { component: [coded(RADLEX, 'RID46010', RADLEX, code)] })
    expect(readOne(obs).nodule?.solidness).toBe(solidness)
  })

  it.each([
    ['Part-solid', 'part-solid'],
    ['non-solid', 'ground-glass'],
    ['Ground glass', 'ground-glass'],
    ['solid', 'solid'],
  ] as const)('reads solidness text "%s" as %s', (text, solidness) => {
    const obs = observation('o', {
      component: [
        {
          code: { coding: [{ system: RADLEX, code: 'RID46010' }] },
          valueCodeableConcept: { text },
        },
      ],
    })
    expect(readOne(obs).nodule?.solidness).toBe(solidness)
  })

  it('reads position, benign feature and solid component', () => {
    const obs = observation('o', {
      component: [
        qualifier('position', 'airway-subsegmental'),
        { code: { coding: [{ system: Q, code: 'benign-feature' }] }, valueBoolean: true },
        mm(RADLEX, 'RID50154', 4.5),
      ],
    })
    expect(readOne(obs).nodule).toMatchObject({
      position: 'airway-subsegmental',
      benignFeature: true,
      solidComponentMm: 4.5,
    })
  })

  it('gives non-nodule findings no nodule facts', () => {
    const pe = observation('pe', { code: { coding: [{ system: SCT, code: '59282003' }] } })
    expect(readOne(pe)).toMatchObject({ kind: 'pulmonary-embolism', name: 'Pulmonary embolism' })
    expect(readOne(pe).nodule).toBeUndefined()
  })
})

describe('readFindings: asserted Lung-RADS', () => {
  it.each([
    ['RID50135', '0'],
    ['RID50136', '1'],
    ['RID50137', '2'],
    ['RID50138', '3'],
    ['RID50139', '4A'],
    ['RID50140', '4B'],
    ['RID50141', '4X'],
  ] as const)('reads RadLex %s as %s under RID50134', (value, category) => {
    const obs = observation('o', { component: [coded(RADLEX, 'RID50134', RADLEX, value)] })
    expect(readOne(obs).assertedLungRads).toBe(category)
  })

  it('accepts SNOMED 1362105002 with a plain 4B code from a local system', () => {
    const obs = observation('o', {
      component: [coded(SCT, '1362105002', 'http://example.org/lung-rads', '4B')],
    })
    expect(readOne(obs).assertedLungRads).toBe('4B')
  })

  it('accepts a text-only value', () => {
    const obs = observation('o', {
      component: [
        { code: { coding: [{ system: RADLEX, code: 'RID50134' }] }, valueString: 'Lung-RADS 3' },
      ],
    })
    expect(readOne(obs).assertedLungRads).toBe('3')
  })

  it.each([
    ['4A', '4A'],
    ['Lung-RADS 4B', '4B'],
    ['lung-rads v2022 category 4x', '4X'],
    ['Category 2S', '2'],
    ['4B (previously 3)', '4B'],
    ['Lung-RADS 4A, prior category 3', '4A'],
    ['3 (was 4A)', '3'],
    ['4', undefined],
    ['Lung-RADS 2022', undefined],
    ['', undefined],
  ])('parses "%s" as %s', (text, category) => {
    expect(parseLungRadsCategory(text)).toBe(category)
  })
})

// Audit: "Lung-RADS 4" (no A, B or X) was dropped, so a computed 2 stood with no word of the AI's 4.
describe('readFindings: a bare category 4', () => {
  const withText = (valueString: string) =>
    readOne(
      observation('o', {
        component: [{ code: { coding: [{ system: RADLEX, code: 'RID50134' }] }, valueString }],
      })
    )

  it.each(['Lung-RADS 4', 'category 4', '4', 'Lung-RADS 4 (was 3)'])(
    'reads "%s" as 4B, the category 4 asking for the most, and says why',
    (text) => {
      const finding = withText(text)
      expect(finding.assertedLungRads).toBe('4B')
      expect(finding.assertedLungRadsBareFour).toBe(true)
      expect(finding.notes).toEqual([
        `The AI's Lung-RADS category "${text}" has no A, B or X: read as 4B, the category 4 that asks for a diagnostic work-up now (the safer reading; had it meant 4A, the follow-up is a low-dose CT in 3 months); check the images.`,
      ])
    }
  )

  it.each([
    ['4B (previously 4)', '4B'],
    ['Lung-RADS 2022', undefined],
    ['3 (was 4)', '3'],
  ])('"%s" is %s, not a bare 4', (text, category) => {
    const finding = withText(text)
    expect(finding.assertedLungRads).toBe(category)
    expect(finding.assertedLungRadsBareFour).toBeUndefined()
  })
})

describe('readFindings: tolerance', () => {
  it('tolerates empty codings and missing displays', () => {
    const obs = observation('o', {
      code: { coding: [{}, { system: SCT, code: '786838002' }, { system: '' }] },
    })
    const finding = readOne(obs)
    expect(finding.kind).toBe('pulmonary-nodule')
    expect(finding.name).toBe('Pulmonary nodule')
    expect(finding.codes).toEqual([{ system: SCT, code: '786838002' }])
  })

  it('matches a finding code sent without a system', () => {
    expect(readOne(observation('o', { code: { coding: [{ code: '1386000' }] } })).kind).toBe(
      'intracranial-hemorrhage'
    )
  })

  it('does not match a known code under another system', () => {
    expect(
      readOne(
        observation('o', { code: { coding: [{ system: 'http://loinc.org', code: '1386000' }] } })
      ).kind
    ).toBe('unknown')
  })

  it('keeps unknown findings, named from display, then text, then code', () => {
    const withDisplay = observation('a', {
      code: { coding: [{ system: SCT, code: '126880001', display: 'Adrenal mass' }] },
    })
    const withText = observation('b', {
      code: { coding: [{ system: SCT, code: '126880001' }], text: 'Adrenal nodule' },
    })
    const codeOnly = observation('c', { code: { coding: [{ system: SCT, code: '126880001' }] } })
    const nothing = observation('d', { code: { coding: [{}] } })
    const findings = readFindings(undefined, [withDisplay, withText, codeOnly, nothing])
    expect(findings.map((f) => [f.kind, f.name])).toEqual([
      ['unknown', 'Adrenal mass'],
      ['unknown', 'Adrenal nodule'],
      ['unknown', '126880001'],
      ['unknown', 'Unnamed finding'],
    ])
  })
})

describe('readFindings: which Observations belong to the report', () => {
  it('reads only the report’s results, given or contained, whatever the reference form', () => {
    const r = report({
      contained: [observation('c1')],
      result: [
        { reference: 'https://fhir.example.org/r4/Observation/a/_history/3' },
        { reference: '#c1' },
      ],
    })
    const findings = readFindings(r, [observation('a'), observation('not-listed')])
    expect(findings.map((f) => f.observationRef)).toEqual(['Observation/a', 'Observation/c1'])
  })

  it('without a report, skips non-imaging Observations such as smoking status', () => {
    const smoking = observation('smoking', {
      category: [
        {
          coding: [
            {
              system: 'http://terminology.hl7.org/CodeSystem/observation-category',
              code: 'social-history',
            },
          ],
        },
      ],
      code: { coding: [{ system: 'http://loinc.org', code: '72166-2' }] },
    })
    expect(
      readFindings(undefined, [smoking, observation('n')]).map((f) => f.observationRef)
    ).toEqual(['Observation/n'])
  })

  it('reads each Observation once', () => {
    const obs = observation('dup')
    expect(readFindings(undefined, [obs, obs, { ...obs }])).toHaveLength(1)
  })
})

describe('readFindings: key image, location, model', () => {
  it('reads the key image and strips urn:oid: prefixes', () => {
    const obs = observation('o', {
      component: [
        { code: { coding: [{ system: Q, code: 'series-uid' }] }, valueString: 'urn:oid:1.2.3.4' },
        { code: { coding: [{ system: Q, code: 'sop-instance-uid' }] }, valueString: '1.2.3.4.5' },
        { code: { coding: [{ system: Q, code: 'frame' }] }, valueInteger: 7 },
      ],
    })
    expect(readOne(obs).keyImage).toEqual({
      seriesInstanceUid: '1.2.3.4',
      sopInstanceUid: '1.2.3.4.5',
      frame: 7,
    })
  })

  it('gives no key image without a series UID', () => {
    const obs = observation('o', {
      component: [
        { code: { coding: [{ system: Q, code: 'sop-instance-uid' }] }, valueString: '1.2.3' },
      ],
    })
    expect(readOne(obs).keyImage).toBeUndefined()
  })

  it.each([
    ['72481006', 'RML'],
    ['266005', 'RLL'],
    ['44714003', 'LUL'],
    ['41224006', 'LLL'],
  ])('reads lobe %s as %s', (code, lobe) => {
    expect(
      readOne(observation('o', { bodySite: { coding: [{ system: SCT, code }] } })).location
    ).toBe(lobe)
  })

  it('resolves an unlateralised CID 6170 lobe with a laterality coding', () => {
    const site = {
      coding: [
        { system: SCT, code: '45653009' },
        { system: SCT, code: '7771000' },
      ],
    }
    expect(readOne(observation('o', { bodySite: site })).location).toBe('LUL')
    const alone = { coding: [{ system: SCT, code: '90572001' }] }
    expect(readOne(observation('o', { bodySite: alone })).location).toBe('lower lobe')
  })

  it('falls back to the body site text', () => {
    expect(readOne(observation('o', { bodySite: { text: 'left apex' } })).location).toBe(
      'left apex'
    )
  })

  it('names the model from the Device display when the report has no metadata', () => {
    const obs = observation('o', { device: { reference: 'Device/d1', display: 'Acme Lung AI' } })
    expect(readOne(obs).model).toEqual({ name: 'Acme Lung AI' })
  })
})

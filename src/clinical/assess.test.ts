/**
 * @module clinical/assess.test
 * Which guideline applies, AI/measurement disagreement, confidence, indicators, suspicion order.
 */
import { describe, expect, it } from 'vitest'
import {
  assess,
  defaultClinicalConfig,
  loweredCriticalKinds,
  noFollowUpReason,
  type AssessmentContext,
  type ClinicalConfig,
} from './assess'
import { multipleNoduleCount, suspicionRank } from './suspicion'
import type { Finding, FindingKind, LungRadsCategory, NoduleFacts } from './types'

const finding = (extra: Partial<Finding> = {}): Finding => ({
  observationRef: 'Observation/n1',
  kind: 'pulmonary-nodule',
  name: 'Pulmonary nodule',
  codes: [],
  status: 'final',
  model: {},
  ...extra,
})
const nodule = (facts: Partial<NoduleFacts>): Finding =>
  finding({ nodule: { change: 'baseline', benignFeature: false, solidness: 'solid', ...facts } })

const screening: AssessmentContext = {
  screening: true,
  patientAgeYears: 64,
  smokingRisk: 'high',
  noduleCount: 1,
}
const incidental: AssessmentContext = {
  screening: false,
  patientAgeYears: 60,
  smokingRisk: 'low',
  noduleCount: 1,
}

describe('Lung-RADS on screening exams', () => {
  it('gives the category, row wording, management and follow-up', () => {
    const a = assess(nodule({ meanDiameterMm: 8.0 }), screening, defaultClinicalConfig)
    expect(a).toMatchObject({
      guideline: 'lung-rads-v2022',
      category: '4A',
      rule: 'Solid nodule, baseline, 8 to < 15 mm',
      followUp: { order: 'ldct-interval', months: { from: 3 } },
      additionalFollowUps: [
        { order: 'pet-ct', months: { from: 0 }, optional: true, because: 'solid nodule ≥ 8 mm' },
      ],
      indicator: 'warning',
      lowConfidence: false,
    })
    expect(a.management).toMatch(/3 months/)
    expect(a.disagreement).toBeUndefined()
  })

  it.each<[number, LungRadsCategory, 'info' | 'warning']>([
    [5.9, '2', 'info'],
    [6.0, '3', 'info'],
    [14.9, '4A', 'warning'],
    [15.0, '4B', 'warning'],
  ])('solid baseline %f mm → %s, %s', (d, category, indicator) => {
    const a = assess(nodule({ meanDiameterMm: d }), screening, defaultClinicalConfig)
    expect([a.category, a.indicator]).toEqual([category, indicator])
  })

  it('applies regardless of age', () => {
    const a = assess(
      nodule({ meanDiameterMm: 7 }),
      { ...screening, patientAgeYears: 30 },
      defaultClinicalConfig
    )
    expect(a.guideline).toBe('lung-rads-v2022')
    expect(a.category).toBe('3')
  })

  it('gives 4B a diagnostic CT to arrange now, not an LDCT interval', () => {
    const a = assess(nodule({ meanDiameterMm: 16 }), screening, defaultClinicalConfig)
    expect(a.followUp).toEqual({ order: 'ct-chest', months: { from: 0 } })
  })

  it('gives no category and a caveat when the size is missing', () => {
    const a = assess(nodule({}), screening, defaultClinicalConfig)
    expect(a.category).toBeUndefined()
    expect(a.followUp).toBeUndefined()
    expect(a.caveats.join(' ')).toMatch(/No nodule diameter given/)
    // Unassessed is not cleared: a nodule no row could place needs a look.
    expect(a.indicator).toBe('warning')
  })

  it('assesses a nodule finding without any nodule facts as missing size', () => {
    const a = assess(finding(), screening, defaultClinicalConfig)
    expect(a.guideline).toBe('lung-rads-v2022')
    expect(a.category).toBeUndefined()
  })
})

describe('AI-asserted Lung-RADS vs measurements', () => {
  it('AI says 2, measurements say 4A → 4A, both recorded', () => {
    const a = assess(
      { ...nodule({ meanDiameterMm: 9 }), assertedLungRads: '2' },
      screening,
      defaultClinicalConfig
    )
    expect(a.category).toBe('4A')
    expect(a.disagreement).toEqual({
      asserted: '2',
      computed: '4A',
      used: '4A',
      why: 'higher-category',
    })
    expect(a.rule).toBe('Solid nodule, baseline, 8 to < 15 mm')
    expect(a.indicator).toBe('warning')
    expect(a.caveats.join(' ')).toMatch(/AI asserts Lung-RADS 2; the measurements give 4A/)
  })

  it('AI says 4B, measurements say 3 → 4B with the 4B management', () => {
    const a = assess(
      { ...nodule({ meanDiameterMm: 7 }), assertedLungRads: '4B' },
      screening,
      defaultClinicalConfig
    )
    expect(a.category).toBe('4B')
    expect(a.disagreement).toEqual({
      asserted: '4B',
      computed: '3',
      used: '4B',
      why: 'higher-category',
    })
    expect(a.rule).toMatch(
      /^Lung-RADS 4B as asserted by the AI \(measurements: Solid nodule, baseline, 6 to < 8 mm\)$/
    )
    expect(a.followUp).toEqual({ order: 'ct-chest', months: { from: 0 } })
    expect(a.indicator).toBe('warning')
  })

  // Issue 11: an AI-asserted 0 ranked below every computed category and created no order.
  it('uses an asserted 0 over a computed 2, with its 1–3 month LDCT', () => {
    const a = assess(
      { ...nodule({ meanDiameterMm: 4 }), assertedLungRads: '0' },
      screening,
      defaultClinicalConfig
    )
    expect(a.category).toBe('0')
    // 0 outranks 2 though its number is lower: the wording names it instead of "the higher".
    expect(a.disagreement).toMatchObject({ used: '0', why: 'incomplete-exam' })
    expect(a.followUp).toEqual({ order: 'ldct-interval', months: { from: 1, to: 3 } })
  })

  it('uses a computed 4B over an asserted 0', () => {
    const a = assess(
      { ...nodule({ meanDiameterMm: 16 }), assertedLungRads: '0' },
      screening,
      defaultClinicalConfig
    )
    expect(a.category).toBe('4B')
  })

  it('records no disagreement when they agree', () => {
    const a = assess(
      { ...nodule({ meanDiameterMm: 9 }), assertedLungRads: '4A' },
      screening,
      defaultClinicalConfig
    )
    expect(a.disagreement).toBeUndefined()
  })

  it('uses the AI category when there are no measurements, and says so', () => {
    const a = assess({ ...nodule({}), assertedLungRads: '4X' }, screening, defaultClinicalConfig)
    expect(a.category).toBe('4X')
    expect(a.indicator).toBe('warning')
    expect(a.caveats.join(' ')).toMatch(/could not be checked against measurements/)
  })

  it('ignores the AI Lung-RADS on a non-screening exam, with a caveat', () => {
    const a = assess(
      { ...nodule({ meanDiameterMm: 7 }), assertedLungRads: '4B' },
      incidental,
      defaultClinicalConfig
    )
    expect(a.guideline).toBe('fleischner-2017')
    expect(a.category).toBe('solid-single-6-8-low-risk')
    expect(a.caveats.join(' ')).toMatch(/Lung-RADS 4B is not used/)
  })
})

describe('Fleischner on incidental nodules', () => {
  it('gives the row id, wording, and a follow-up range', () => {
    const a = assess(nodule({ meanDiameterMm: 7.4 }), incidental, defaultClinicalConfig)
    expect(a).toMatchObject({
      guideline: 'fleischner-2017',
      category: 'solid-single-6-8-low-risk',
      rule: 'Solid nodule, single, 6–8 mm, low risk (average 7 mm)',
      followUp: { order: 'ct-chest', months: { from: 6, to: 12 } },
      indicator: 'info',
    })
  })

  it('gives no follow-up for "no routine follow-up"', () => {
    const a = assess(nodule({ meanDiameterMm: 4 }), incidental, defaultClinicalConfig)
    expect(a.category).toBe('solid-single-under-6-low-risk')
    expect(a.followUp).toBeUndefined()
    expect(a.management).toBe('No routine follow-up.')
  })

  it('uses the multiple rows when the study has more than one nodule', () => {
    const a = assess(
      nodule({ meanDiameterMm: 7 }),
      { ...incidental, noduleCount: 3 },
      defaultClinicalConfig
    )
    expect(a.category).toBe('solid-multiple-6-8-low-risk')
    expect(a.followUp?.months).toEqual({ from: 3, to: 6 })
  })

  it('treats unknown risk as high and says so', () => {
    const a = assess(
      nodule({ meanDiameterMm: 4 }),
      { ...incidental, smokingRisk: 'unknown' },
      defaultClinicalConfig
    )
    expect(a.category).toBe('solid-single-under-6-high-risk')
    expect(a.followUp).toEqual({ order: 'ct-chest', months: { from: 12 }, optional: true })
    expect(a.caveats).toContain('Smoking status unknown or not recorded: managed as high risk.')
  })

  it('applies at 35 but not under 35', () => {
    const at35 = assess(
      nodule({ meanDiameterMm: 7 }),
      { ...incidental, patientAgeYears: 35 },
      defaultClinicalConfig
    )
    expect(at35.guideline).toBe('fleischner-2017')
    const at34 = assess(
      nodule({ meanDiameterMm: 12 }),
      { ...incidental, patientAgeYears: 34 },
      defaultClinicalConfig
    )
    expect(at34).toMatchObject({ guideline: 'none', exclusion: 'under-35', indicator: 'info' })
    expect(at35.exclusion).toBeUndefined()
    expect(at34.category).toBeUndefined()
    expect(at34.followUp).toBeUndefined()
    expect(at34.caveats.join(' ')).toMatch(/Fleischner does not apply under 35/)
  })

  it.each([undefined, Number.NaN])('treats age %s as an adult, with a caveat', (age) => {
    const a = assess(
      nodule({ meanDiameterMm: 7 }),
      { ...incidental, patientAgeYears: age },
      defaultClinicalConfig
    )
    expect(a.guideline).toBe('fleischner-2017')
    expect(a.caveats.join(' ')).toMatch(/Patient age unknown/)
  })

  it.each<[string, Partial<NoduleFacts>, 'info' | 'warning']>([
    ['solid 8 mm', { meanDiameterMm: 8.4 }, 'info'],
    ['solid 9 mm', { meanDiameterMm: 8.5 }, 'warning'],
    [
      'part-solid, solid component 5 mm',
      { solidness: 'part-solid', meanDiameterMm: 12, solidComponentMm: 5 },
      'info',
    ],
    [
      'part-solid, solid component 6 mm',
      { solidness: 'part-solid', meanDiameterMm: 12, solidComponentMm: 6 },
      'warning',
    ],
    ['ground glass 30 mm', { solidness: 'ground-glass', meanDiameterMm: 30 }, 'info'],
  ])('%s → %s', (_name, facts, indicator) => {
    expect(assess(nodule(facts), incidental, defaultClinicalConfig).indicator).toBe(indicator)
  })

  it('gives no category and a caveat when the size is missing', () => {
    const a = assess(nodule({}), incidental, defaultClinicalConfig)
    expect(a.guideline).toBe('fleischner-2017')
    expect(a.category).toBeUndefined()
    expect(a.caveats.join(' ')).toMatch(/No nodule diameter given/)
    expect(a.indicator).toBe('warning')
  })
})

describe('indicators for other findings', () => {
  it.each<[FindingKind, 'info' | 'critical']>([
    ['pulmonary-embolism', 'critical'],
    ['intracranial-hemorrhage', 'critical'],
    ['pneumothorax', 'critical'],
    ['aortic-dissection', 'critical'],
    ['rib-fracture', 'info'],
    ['unknown', 'info'],
  ])('%s → %s', (kind, indicator) => {
    const a = assess(finding({ kind }), incidental, defaultClinicalConfig)
    expect(a.indicator).toBe(indicator)
    expect(a.guideline).toBe('none')
  })

  it('keeps unknown findings and says no guideline was applied', () => {
    const a = assess(
      finding({ kind: 'unknown', name: 'Adrenal mass' }),
      incidental,
      defaultClinicalConfig
    )
    expect(a.finding.name).toBe('Adrenal mass')
    expect(a.caveats.join(' ')).toMatch(/not recognised/)
  })

  it('lets a site override raise the indicator per kind, never lower it (issue 10)', () => {
    const config: ClinicalConfig = {
      ...defaultClinicalConfig,
      indicatorByKind: {
        'rib-fracture': 'warning',
        pneumothorax: 'warning',
        'pulmonary-nodule': 'info',
      },
    }
    expect(assess(finding({ kind: 'rib-fracture' }), incidental, config).indicator).toBe('warning')
    // before issue 10 these two were lowered: a critical pneumothorax to warning, a 4B to info
    expect(assess(finding({ kind: 'pneumothorax' }), incidental, config).indicator).toBe('critical')
    expect(assess(nodule({ meanDiameterMm: 20 }), screening, config).indicator).toBe('warning')
    expect(assess(nodule({ meanDiameterMm: 4 }), screening, config).indicator).toBe('info')
  })

  it('lists the overrides that would lower a critical kind (refused at start)', () => {
    expect(loweredCriticalKinds({ 'rib-fracture': 'warning', pneumothorax: 'critical' })).toEqual(
      []
    )
    expect(
      loweredCriticalKinds({ 'pulmonary-embolism': 'info', pneumoperitoneum: 'warning' })
    ).toEqual(['pulmonary-embolism', 'pneumoperitoneum'])
  })

  it('escalates a finding that only reads like a critical family to warning, saying why', () => {
    const a = assess(
      finding({
        kind: 'unknown',
        name: 'Hyperdense hemorrhagic focus',
        recognition: {
          by: 'reads-like',
          family: 'intracranial-hemorrhage',
          matched: 'hemorrhagic',
          negated: false,
        },
      }),
      incidental,
      defaultClinicalConfig
    )
    expect(a.indicator).toBe('warning')
    expect(a.caveats.join(' ')).toMatch(/reads like intracranial hemorrhage \("hemorrhagic"\)/)
  })

  it('says when a kind was recognised by its words', () => {
    const a = assess(
      finding({
        kind: 'pulmonary-embolism',
        recognition: { by: 'words', matched: 'Saddle embolus' },
      }),
      incidental,
      defaultClinicalConfig
    )
    expect(a.indicator).toBe('critical')
    expect(a.caveats.join(' ')).toMatch(/from the words "Saddle embolus"/)
  })

  it('honours a configured critical list', () => {
    const config = { ...defaultClinicalConfig, criticalKinds: ['rib-fracture' as const] }
    expect(assess(finding({ kind: 'rib-fracture' }), incidental, config).indicator).toBe('critical')
    expect(assess(finding({ kind: 'pneumothorax' }), incidental, config).indicator).toBe('info')
  })

  it('passes reader notes on as caveats', () => {
    const a = assess(
      finding({ kind: 'rib-fracture', notes: ['Mean diameter unit "mm3" not understood.'] }),
      incidental,
      defaultClinicalConfig
    )
    expect(a.caveats).toEqual(['Mean diameter unit "mm3" not understood.'])
  })
})

describe('low confidence', () => {
  it('never lowers a critical kind: PE at 45 %, tension pneumothorax at 38 % (issue 10)', () => {
    const pe = assess(
      finding({ kind: 'pulmonary-embolism', confidence: 0.45 }),
      incidental,
      defaultClinicalConfig
    )
    expect(pe).toMatchObject({ lowConfidence: true, indicator: 'critical' })
    expect(pe.caveats.join(' ')).toMatch(/Low AI confidence \(45 %\): verify on the images now/)
    const ptx = assess(
      finding({ kind: 'pneumothorax', name: 'Tension pneumothorax', confidence: 0.38 }),
      incidental,
      defaultClinicalConfig
    )
    expect(ptx).toMatchObject({ lowConfidence: true, indicator: 'critical' })
    expect(ptx.caveats.join(' ')).toMatch(/Low AI confidence \(38 %\): verify on the images now/)
  })

  it('keeps other findings, marks them and shows them as info', () => {
    const fracture = assess(
      finding({ kind: 'rib-fracture', confidence: 0.3 }),
      incidental,
      defaultClinicalConfig
    )
    expect(fracture).toMatchObject({ lowConfidence: true, indicator: 'info' })
    expect(fracture.caveats).toContain('AI confidence 30% is below the 50% threshold.')
    const big = assess(
      { ...nodule({ meanDiameterMm: 20 }), confidence: 0.49 },
      screening,
      defaultClinicalConfig
    )
    expect(big).toMatchObject({ lowConfidence: true, indicator: 'info', category: '4B' })
  })

  it('is not low at the threshold, nor when confidence is unknown', () => {
    const at = assess(
      finding({ kind: 'pulmonary-embolism', confidence: 0.5 }),
      incidental,
      defaultClinicalConfig
    )
    expect(at).toMatchObject({ lowConfidence: false, indicator: 'critical' })
    const unknown = assess(
      finding({ kind: 'pulmonary-embolism' }),
      incidental,
      defaultClinicalConfig
    )
    expect(unknown.lowConfidence).toBe(false)
  })

  it('uses the configured threshold', () => {
    const config = { ...defaultClinicalConfig, confidenceThreshold: 0.9 }
    expect(
      assess(finding({ kind: 'pneumothorax', confidence: 0.85 }), incidental, config).lowConfidence
    ).toBe(true)
  })
})

describe('suspicionRank', () => {
  const rank = (f: Finding, context = screening) =>
    suspicionRank(assess(f, context, defaultClinicalConfig))

  it('orders Lung-RADS categories', () => {
    const ranks = [4, 7, 9, 16].map((d) => rank(nodule({ meanDiameterMm: d }))) // 2, 3, 4A, 4B
    expect([...ranks].sort((a, b) => a - b)).toEqual(ranks)
    expect(new Set(ranks).size).toBe(4)
  })

  it('breaks ties on size', () => {
    expect(rank(nodule({ meanDiameterMm: 12 }))).toBeGreaterThan(
      rank(nodule({ meanDiameterMm: 9 }))
    )
  })

  // Issue 11: a 17 mm nodule at 42 % lost to a 9 mm one at 88 % and the card read 4A.
  it('leads with the highest category, then size; confidence only labels', () => {
    const unsure4B = rank({ ...nodule({ meanDiameterMm: 17 }), confidence: 0.42 })
    const sure4A = rank({ ...nodule({ meanDiameterMm: 9 }), confidence: 0.88 })
    expect(unsure4B).toBeGreaterThan(sure4A)
  })

  it('orders Fleischner rows: > 8 mm, 6–8 mm, optional, none', () => {
    const highRisk = { ...incidental, smokingRisk: 'high' as const }
    const ranks = [9, 7, 4].map((d) => rank(nodule({ meanDiameterMm: d }), highRisk))
    const lowRiskSmall = rank(nodule({ meanDiameterMm: 4 }), incidental)
    expect(ranks[0]).toBeGreaterThan(ranks[1]!)
    expect(ranks[1]).toBeGreaterThan(ranks[2]!)
    expect(ranks[2]).toBeGreaterThan(lowRiskSmall)
  })
})

const prior = (date: string, facts: Partial<NoduleFacts>, extra: object = {}) => ({
  observationRef: `Observation/prior-${date}`,
  date,
  nodule: {
    change: 'baseline' as const,
    benignFeature: false,
    solidness: 'solid' as const,
    ...facts,
  },
  ...extra,
})
const withPriors = (
  facts: Partial<NoduleFacts>,
  date: string,
  priors: ReturnType<typeof prior>[]
) => ({
  ...nodule(facts),
  effective: date,
  priors,
})

describe('priors: growth computed from the chain (issue 11)', () => {
  it('finds growth > 1.5 mm within 12 months the AI did not report: 4A, both stated', () => {
    const a = assess(
      withPriors({ meanDiameterMm: 7.0, change: 'stable' }, '2025-06-01', [
        prior('2024-12-01', { meanDiameterMm: 5.4 }),
      ]),
      screening
    )
    expect(a.category).toBe('4A')
    expect(a.rule).toMatch(/growing/)
    expect(a.caveats.join(' ')).toMatch(
      /growing \(from the prior measurements\): 4A; stable \(as the AI reports it\): 3/
    )
    expect(a.history).toEqual([
      { date: '2025-06-01', meanMm: 7, solidness: 'solid', observationRef: 'Observation/n1' },
      {
        date: '2024-12-01',
        meanMm: 5.4,
        solidness: 'solid',
        observationRef: 'Observation/prior-2024-12-01',
      },
    ])
  })

  it('reads 1.5 mm exactly as stable, and steps a prior 3 down to 2', () => {
    const a = assess(
      withPriors({ meanDiameterMm: 7.0 }, '2025-06-01', [
        prior('2024-12-01', { meanDiameterMm: 5.5 }),
      ]),
      screening
    )
    // Prior 5.5 mm baseline is 2, so no stepped row; stable 7 mm reads as baseline 3.
    expect(a.category).toBe('3')
    const stepped = assess(
      withPriors({ meanDiameterMm: 7.0 }, '2025-06-01', [
        prior('2024-12-01', { meanDiameterMm: 6.8 }, { assertedLungRads: '3' }),
      ]),
      screening
    )
    expect(stepped.category).toBe('2')
    expect(stepped.rule).toMatch(/Category 3 at the prior exam/)
    expect(stepped.followUp).toEqual({ order: 'ldct', months: { from: 12 } })
  })

  it('steps a prior 4A, stable at 3 months, down to 3 with its 6-month interval LDCT', () => {
    const a = assess(
      withPriors({ meanDiameterMm: 9.0 }, '2025-03-01', [
        prior('2024-12-01', { meanDiameterMm: 9.2 }),
      ]),
      screening
    )
    expect(a.category).toBe('3')
    expect(a.followUp).toEqual({ order: 'ldct-interval', months: { from: 6 } })
  })

  it('gives 4B to a solid nodule growing slowly over several exams', () => {
    const a = assess(
      withPriors({ meanDiameterMm: 6.0 }, '2025-01-01', [
        prior('2024-01-01', { meanDiameterMm: 5.2 }),
        prior('2023-01-01', { meanDiameterMm: 4.4 }),
      ]),
      screening
    )
    expect(a.category).toBe('4B')
    expect(a.caveats.join(' ')).toMatch(/Slow growth/)
  })

  it('gives 4B to a GGN that grows a new 5 mm solid component at stable total size', () => {
    const a = assess(
      withPriors(
        { meanDiameterMm: 16, solidComponentMm: 5, solidness: 'part-solid', change: 'stable' },
        '2025-06-01',
        [prior('2024-12-01', { meanDiameterMm: 16, solidness: 'ground-glass' })]
      ),
      screening
    )
    expect(a.category).toBe('4B')
    expect(a.rule).toMatch(/new or growing solid component ≥ 4 mm/)
  })

  it('uses the higher category when the AI says growing and the chain says stable', () => {
    const a = assess(
      withPriors({ meanDiameterMm: 7.0, change: 'growing' }, '2025-06-01', [
        prior('2024-12-01', { meanDiameterMm: 6.8 }),
      ]),
      screening
    )
    expect(a.category).toBe('4A')
    expect(a.caveats.join(' ')).toMatch(/growing \(as the AI reports it\): 4A/)
  })
})

describe('text change read the safer way (issue 11)', () => {
  it('evaluates an unreadable change on a screening exam as new and as baseline', () => {
    const a = assess(nodule({ meanDiameterMm: 7, changeUnread: true }), screening)
    expect(a.category).toBe('4A')
    expect(a.caveats.join(' ')).toMatch(
      /new \(the AI change could not be read\): 4A; baseline \(the AI change could not be read\): 3\. The higher category, 4A/
    )
  })

  it.each([
    ['a new 6-8 mm nodule', { meanDiameterMm: 7, change: 'new' as const }, '4A'],
    ['a growing 8-15 mm nodule', { meanDiameterMm: 10, change: 'growing' as const }, '4B'],
    [
      'a 16 mm part-solid nodule with a 9 mm solid part',
      { meanDiameterMm: 16, solidComponentMm: 9, solidness: 'part-solid' as const },
      '4B',
    ],
  ])('gives %s its category', (_name, facts, category) => {
    expect(assess(nodule(facts), screening).category).toBe(category)
  })
})

describe('Fleischner scope and growth (issue 11)', () => {
  it.each([
    ['malignancy', 'Lung adenocarcinoma'],
    ['immunosuppressed', 'Kidney transplant status'],
  ] as const)(
    'gives no interval with an active %s condition, and says why',
    (exclusion, condition) => {
      const a = assess(nodule({ meanDiameterMm: 7 }), {
        ...incidental,
        scope: { exclusion, condition },
      })
      expect(a.guideline).toBe('none')
      expect(a.exclusion).toBe(exclusion)
      expect(a.followUp).toBeUndefined()
      expect(a.caveats.join(' ')).toMatch(new RegExp(`does not apply.*${condition}`))
    }
  )

  it('makes growth of an incidental nodule a warning with work-up options', () => {
    const a = assess(nodule({ meanDiameterMm: 5, change: 'growing' }), incidental)
    expect(a.indicator).toBe('warning')
    expect(a.followUp).toEqual({ order: 'ct-chest', months: { from: 3 } })
    expect(a.additionalFollowUps?.[0]).toMatchObject({ order: 'pet-ct', optional: true })
    expect(a.management).toMatch(/PET\/CT, or tissue sampling/)
  })

  it('finds growth from the priors of an incidental nodule', () => {
    const a = assess(
      withPriors({ meanDiameterMm: 7 }, '2025-06-01', [prior('2025-01-01', { meanDiameterMm: 5 })]),
      incidental
    )
    expect(a.indicator).toBe('warning')
    expect(a.category).toBe('solid-single-6-8-low-risk-growing')
  })
})

describe('multipleNoduleCount (issue 11)', () => {
  it('leaves out benign-feature nodules, duplicates and priors', () => {
    const at = (ref: string, facts: Partial<NoduleFacts>, extra: Partial<Finding> = {}) => ({
      ...nodule(facts),
      observationRef: ref,
      location: 'RUL',
      ...extra,
    })
    const findings = [
      at('Observation/a', { meanDiameterMm: 12 }),
      at('Observation/granuloma', { meanDiameterMm: 6, benignFeature: true }),
      at('Observation/a-again', { meanDiameterMm: 12 }),
    ]
    expect(multipleNoduleCount(findings)).toBe(1)
    expect(multipleNoduleCount([...findings, at('Observation/b', { meanDiameterMm: 7 })])).toBe(2)
  })

  it('keeps a 12 mm nodule next to a calcified granuloma "single" (CT at 3 months, PET/CT)', () => {
    const count = multipleNoduleCount([
      nodule({ meanDiameterMm: 12 }),
      { ...nodule({ meanDiameterMm: 5, benignFeature: true }), observationRef: 'Observation/g' },
    ])
    const a = assess(nodule({ meanDiameterMm: 12 }), { ...incidental, noduleCount: count })
    expect(a.category).toBe('solid-single-over-8')
    expect(a.additionalFollowUps?.[0]?.order).toBe('pet-ct')
  })
})

describe('noFollowUpReason: why a nodule card names no follow-up', () => {
  const young: AssessmentContext = { ...incidental, patientAgeYears: 30 }
  it.each<[string, Finding, AssessmentContext, string | undefined]>([
    [
      'a patient under 35 (out of Fleischner scope)',
      nodule({ meanDiameterMm: 7 }),
      young,
      'under-35',
    ],
    ['no size', nodule({}), screening, 'no-size'],
    ['a size it cannot have', nodule({ sizeUnusable: true }), screening, 'bad-size'],
    [
      'Lung-RADS 4B: a work-up, not an interval',
      { ...nodule({ meanDiameterMm: 4 }), assertedLungRads: '4B' },
      screening,
      'work-up',
    ],
    [
      'Lung-RADS 4X',
      { ...nodule({ meanDiameterMm: 4 }), assertedLungRads: '4X' },
      screening,
      'work-up',
    ],
    [
      'Lung-RADS 0: an incomplete exam',
      { ...nodule({ meanDiameterMm: 4 }), assertedLungRads: '0' },
      screening,
      'incomplete',
    ],
    ['a Lung-RADS 2 row', nodule({ meanDiameterMm: 4 }), screening, undefined],
    [
      'a growing nodule on a Fleischner row',
      nodule({ meanDiameterMm: 4, change: 'growing' }),
      incidental,
      'growing',
    ],
  ])('%s', (_, finding, context, why) => {
    expect(noFollowUpReason(assess(finding, context, defaultClinicalConfig))).toBe(why)
  })
})

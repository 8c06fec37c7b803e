import { describe, expect, it } from 'vitest'
import { words } from './index'
import { SUMMARY_MAX, clip, fitSummary, md } from './text'

const long = 'x'.repeat(400)
const longWords = 'very long finding name '.repeat(20)

describe('summaries fit 139 characters by construction', () => {
  const cases: [string, string][] = [
    [
      'nodules',
      words.summary.nodules({
        guideline: 'fleischner-2017',
        category: 'part-solid-single-solid-6-plus',
        sizeMm: 123.45,
        decimals: 1,
        solidness: 'part-solid',
        site: longWords,
        more: 12,
        plan: {
          kind: 'follow-up',
          order: 'ct-chest',
          months: { from: 12, to: 24 },
          optional: true,
          then: { months: { from: 18, to: 24 }, optional: true },
        },
        lowConfidence: true,
      }),
    ],
    [
      'finding',
      words.summary.finding({ name: long, study: long, critical: false, lowConfidence: true }),
    ],
    ['unknown', words.summary.unknown({ name: longWords, study: long, lowConfidence: true })],
    [
      'critical finding',
      words.summary.finding({ name: long, study: long, critical: true, lowConfidence: false }),
    ],
    [
      'critical finding, low confidence',
      words.summary.finding({ name: long, study: long, critical: true, lowConfidence: true }),
    ],
    ...(['under-35', 'no-size', 'bad-size', 'no-category', 'growing'] as const).map(
      (why): [string, string] => [
        `nodule without a follow-up: ${why}`,
        words.summary.nodules({
          guideline: 'fleischner-2017',
          sizeMm: 123.45,
          decimals: 1,
          solidness: 'part-solid',
          site: longWords,
          more: 12,
          plan: { kind: 'none', guideline: 'fleischner-2017', why },
          lowConfidence: true,
        }),
      ]
    ),
    [
      'openFinding',
      words.summary.openFinding({
        what: long,
        studyDate: '2026-03-14',
        order: 'pet-ct',
        due: '2026-06-14',
        overdue: true,
      }),
    ],
    ...(['matches', 'early', 'duplicate', 'different', 'unknown-code'] as const).map(
      (verdict): [string, string] => [
        verdict,
        words.summary.orderSelect({
          verdict,
          what: long,
          order: 'ct-chest',
          due: '2026-06-14',
          early: 'about 11 months early',
        }),
      ]
    ),
  ]
  it.each(cases)('%s', (_, summary) => {
    expect(summary.length).toBeLessThanOrEqual(SUMMARY_MAX)
    expect(fitSummary(summary)).toBe(summary)
  })

  it.each(cases)('%s carries the AI marker', (name, summary) => {
    // patient-view and order-select summaries say "AI finding" / "AI-found" instead.
    if (
      ['openFinding', 'matches', 'early', 'duplicate', 'different', 'unknown-code'].includes(name)
    )
      expect(summary).toMatch(/\bAI\b/)
    else expect(summary).toMatch(/\(AI(, (preliminary|low confidence))?\)$/)
  })
})

describe('nodule summary: the next step', () => {
  const base = {
    guideline: 'fleischner-2017' as const,
    category: 'solid-single-6-8-high-risk',
    sizeMm: 7,
    decimals: 0,
    solidness: 'solid' as const,
    lowConfidence: false,
  }
  const plan = {
    kind: 'follow-up' as const,
    order: 'ct-chest' as const,
    months: { from: 6, to: 12 },
    then: { months: { from: 18, to: 24 } },
  }

  it('says the 18–24 month step after the first follow-up', () => {
    expect(words.summary.nodules({ ...base, site: 'RUL', more: 0, plan })).toBe(
      'Fleischner: 7 mm solid nodule, RUL — CT chest in 6–12 months, then again at 18–24 months (AI, preliminary)'
    )
  })

  it('drops only the next step, never the AI marker, when space runs out', () => {
    const summary = words.summary.nodules({
      ...base,
      sizeMm: 123,
      solidness: 'part-solid',
      site: longWords,
      more: 12,
      lowConfidence: true,
      plan: { ...plan, then: { ...plan.then, optional: true } },
    })
    expect(summary.length).toBeLessThanOrEqual(SUMMARY_MAX)
    expect(summary).toMatch(/CT chest in 6–12 months \(AI, low confidence\)$/)
  })
})

describe('summaries read right at a glance', () => {
  const nodule = {
    guideline: 'lung-rads-v2022' as const,
    decimals: 1,
    solidness: 'solid' as const,
    site: 'RUL',
    more: 0,
    lowConfidence: false,
  }

  it('a critical finding says AI and preliminary, and to review now', () => {
    expect(
      words.summary.finding({
        name: 'pulmonary embolism',
        study: 'CTA chest',
        critical: true,
        lowConfidence: false,
      })
    ).toBe('Suspected pulmonary embolism on CTA chest — review the images now (AI, preliminary)')
  })

  it('a low-confidence finding is labelled and asks to verify', () => {
    expect(
      words.summary.finding({
        name: 'rib fracture',
        study: 'CT chest',
        critical: false,
        lowConfidence: true,
      })
    ).toBe('Suspected rib fracture on CT chest — verify on the images (AI, low confidence)')
  })

  it('a low-confidence critical finding stays urgent: "verify on the images now" (issue 10)', () => {
    expect(
      words.summary.finding({
        name: 'pneumothorax',
        study: 'CT chest',
        critical: true,
        lowConfidence: true,
        confidence: 0.38,
      })
    ).toBe(
      'Suspected pneumothorax on CT chest — low AI confidence (38 %): verify on the images now (AI)'
    )
  })

  it('an unknown finding is named once, without a doubled "AI"', () => {
    expect(words.summary.unknown({ name: 'Pneumonia', study: 'CT chest' })).toBe(
      'Other finding: Pneumonia on CT chest — review the images (AI, preliminary)'
    )
  })

  it('a nodule without a size is unassessed, not "no routine follow-up"', () => {
    expect(
      words.summary.nodules({
        ...nodule,
        plan: { kind: 'none', guideline: 'lung-rads-v2022', why: 'no-size' },
      })
    ).toBe('Lung-RADS: solid nodule, RUL — not measured, so no category; review (AI, preliminary)')
  })

  it('under 35: no bare "AI:" label, and says why there is no interval', () => {
    expect(
      words.summary.nodules({
        ...nodule,
        guideline: 'none',
        sizeMm: 10,
        plan: { kind: 'none', guideline: 'none', why: 'under-35' },
      })
    ).toBe('10.0 mm solid nodule, RUL — under 35, no Fleischner interval; review (AI, preliminary)')
  })

  it('a growing nodule on a no-follow-up Fleischner row is not "no routine follow-up"', () => {
    expect(
      words.summary.nodules({
        ...nodule,
        guideline: 'fleischner-2017',
        category: 'solid-single-under-6-low-risk',
        sizeMm: 4,
        decimals: 0,
        plan: {
          kind: 'none',
          guideline: 'fleischner-2017',
          why: 'growing',
        },
      })
    ).toBe(
      'Fleischner: 4 mm solid nodule, RUL — grew since prior; review (no size-based interval) (AI, preliminary)'
    )
  })
})

describe('text helpers', () => {
  it('fitSummary truncates an overlong summary with an ellipsis as a last resort', () => {
    const fitted = fitSummary(`${longWords}end`)
    expect(fitted.length).toBeLessThanOrEqual(SUMMARY_MAX)
    expect(fitted.endsWith('…')).toBe(true)
  })

  it('clip never splits a surrogate pair', () => {
    const text = 'a'.repeat(8) + '😀'.repeat(10)
    for (let max = 5; max < 20; max++) {
      const out = clip(text, max)
      expect(out.length).toBeLessThanOrEqual(max)
      expect(out).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/)
    }
  })

  it('md escapes Markdown from FHIR values', () => {
    expect(md('*bold* [link](x) <b>\u202e\u0007')).toBe('\\*bold\\* [link](x) <b>')
  })

  it('lobe names are abbreviated in summaries', () => {
    expect(words.site('Structure of upper lobe of right lung')).toBe('RUL')
    expect(words.site('left lower lobe')).toBe('LLL')
    expect(words.site('lingula')).toBe('lingula')
  })
})

describe('nodule history (issue 11)', () => {
  it('lists this exam and each prior with date and size, newest first', () => {
    expect(
      words.detail.history([
        { date: '2026-11-16', meanMm: 7.4, solidness: 'solid' },
        { date: '2025-11-12', meanMm: 5.6 },
        { date: '2025-05-01', meanMm: 16, solidness: 'ground-glass' },
      ])
    ).toBe(
      '- History (newest first): 2026-11-16 (this exam): 7.4 mm; 2025-11-12: 5.6 mm; 2025-05-01: 16.0 mm ground-glass'
    )
  })
})

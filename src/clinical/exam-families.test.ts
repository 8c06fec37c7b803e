/**
 * @module clinical/exam-families.test
 * Exam families row by row, accepted families per follow-up, due windows, order and study
 * coverage, and order-select verdicts: every case of issue 10 that used to pass as "covered".
 */
import { describe, expect, it } from 'vitest'
import {
  acceptedFamilies,
  addDays,
  DEFAULT_DUE_TOLERANCE_DAYS,
  dueWindow,
  examFamilyOf,
  examFamilyTable,
  orderCoverage,
  studyCoverage,
  type CandidateFacts,
  type FollowUpTarget,
} from './exam-families'
import { judgeOrder } from './order-verdict'
import type { FollowUp } from './types'

const CPT = 'http://www.ama-assn.org/go/cpt'
const LOINC = 'http://loinc.org'

describe('exam families, row by row', () => {
  const rows = examFamilyTable.flatMap((row) =>
    row.codes.map((c) => [row.family, c.system, c.code, c.source] as const)
  )
  it.each(rows)('%s ← %s|%s', (family, system, code, source) => {
    expect(source.trim()).not.toBe('')
    expect(examFamilyOf([{ system, code }])).toBe(family)
    expect(examFamilyOf([{ code }])).toBe(family)
  })

  it('reads the sandbox shapes: an empty coding first, then a CPT code', () => {
    expect(examFamilyOf([])).toBe('uncoded')
    expect(examFamilyOf([{}])).toBe('uncoded')
    expect(examFamilyOf([{ display: 'CT chest' }])).toBe('uncoded')
    expect(examFamilyOf([{}, { system: CPT, code: '71250' }])).toBe('diagnostic-chest-ct')
    expect(examFamilyOf([{}, { system: CPT, code: '71271' }])).toBe('screening-ldct')
    expect(examFamilyOf([{}, { system: CPT, code: '78815' }])).toBe('pet-ct')
    expect(examFamilyOf([{ system: CPT, code: '70450' }])).toBe('other')
    // LOINC 36643-5 is a chest X-ray, never a chest CT
    expect(examFamilyOf([{ system: LOINC, code: '36643-5' }])).toBe('other')
  })

  it('site codes come first, and add tissue sampling / referral', () => {
    const site = {
      'diagnostic-chest-ct': [{ system: 'urn:site', code: 'CT-FU' }],
      'tissue-sampling': [{ system: CPT, code: '32405' }],
      // a site that bills its interval LDCT as 71250 under screening
      'screening-ldct': [{ system: CPT, code: '71250' }],
    }
    expect(examFamilyOf([{ system: 'urn:site', code: 'CT-FU' }], site)).toBe('diagnostic-chest-ct')
    expect(examFamilyOf([{ system: CPT, code: '32405' }], site)).toBe('tissue-sampling')
    expect(examFamilyOf([{ system: CPT, code: '71250' }], site)).toBe('screening-ldct')
    expect(examFamilyOf([{ system: CPT, code: '32405' }])).toBe('other')
  })
})

const ldct = (months: number): FollowUp => ({ order: 'ldct', months: { from: months } })
const ctNow: FollowUp = { order: 'ct-chest', months: { from: 0 } }
const ctRange = (from: number, to: number): FollowUp => ({
  order: 'ct-chest',
  months: { from, to },
})
const petOption: FollowUp = { order: 'pet-ct', months: { from: 0 }, optional: true }

describe('accepted families per follow-up', () => {
  it.each([
    ['1–3 month LDCT (category 0)', ldct(1), ['screening-ldct', 'diagnostic-chest-ct']],
    ['3-month LDCT (4A)', ldct(3), ['screening-ldct', 'diagnostic-chest-ct']],
    ['6-month LDCT (3)', ldct(6), ['screening-ldct', 'diagnostic-chest-ct']],
    ['annual LDCT (1, 2)', ldct(12), ['screening-ldct']],
    [
      'interval LDCT order kind (0, 3, 4A; issue 11)',
      { order: 'ldct-interval', months: { from: 3 } } as FollowUp,
      ['screening-ldct', 'diagnostic-chest-ct'],
    ],
    ['4B/4X work-up now', ctNow, ['diagnostic-chest-ct', 'pet-ct', 'tissue-sampling']],
    [
      'Fleischner CT at 3 months',
      { order: 'ct-chest', months: { from: 3 } },
      ['diagnostic-chest-ct'],
    ],
    ['Fleischner CT at 6–12 months', ctRange(6, 12), ['diagnostic-chest-ct']],
    ['PET/CT option', petOption, ['pet-ct']],
  ] as const)('%s', (_, followUp, families) => {
    expect(acceptedFamilies(followUp)).toEqual(families)
  })

  it('a 4B work-up is never covered by a screening LDCT', () => {
    expect(acceptedFamilies(ctNow)).not.toContain('screening-ldct')
  })
})

describe('due windows', () => {
  const study = '2026-03-14'
  it.each([
    [
      'a date: ± 28 days',
      ldct(3),
      { due: '2026-06-14', low: '2026-05-17', high: '2026-07-12', now: false },
    ],
    [
      'the annual LDCT',
      ldct(12),
      { due: '2027-03-14', low: '2027-02-14', high: '2027-04-11', now: false },
    ],
    [
      'a range: its own period',
      ctRange(6, 12),
      { due: '2026-09-14', end: '2027-03-14', low: '2026-09-14', high: '2027-03-14', now: false },
    ],
    [
      'now: study date to + 28 days',
      ctNow,
      { due: '2026-03-14', low: '2026-03-14', high: '2026-04-11', now: true },
    ],
    [
      'an optional PET/CT: no late bound',
      petOption,
      { due: '2026-03-14', low: '2026-03-14', high: '9999-12-31', now: true },
    ],
  ] as const)('%s', (_, followUp, window) => {
    expect(dueWindow(study, followUp)).toEqual(window)
  })

  it('takes the tolerance from configuration, and clamps month ends', () => {
    expect(DEFAULT_DUE_TOLERANCE_DAYS).toBe(28)
    expect(dueWindow(study, ldct(3), 14)).toMatchObject({ low: '2026-05-31', high: '2026-06-28' })
    expect(dueWindow('2026-11-30', ldct(3))).toMatchObject({ due: '2027-02-28' })
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29')
    expect(addDays('2026-01-01', -1)).toBe('2025-12-31')
  })
})

const target = (followUp: FollowUp, extra: Partial<FollowUpTarget> = {}): FollowUpTarget => ({
  followUp,
  studyDate: '2026-03-14',
  findingRefs: ['Observation/lead'],
  reportRefs: ['DiagnosticReport/dr-1'],
  ...extra,
})
const order = (extra: Partial<CandidateFacts>): CandidateFacts => ({
  family: 'screening-ldct',
  reasons: [],
  ...extra,
})

describe('order coverage (issue 10 cases failed before)', () => {
  it('covers: same family, this finding or its report or no reason, inside the window', () => {
    const t = target(ldct(3))
    expect(orderCoverage(order({ date: '2026-06-14' }), t).covers).toBe(true)
    expect(
      orderCoverage(order({ date: '2026-05-20', reasons: ['Observation/lead'] }), t).covers
    ).toBe(true)
    expect(
      orderCoverage(order({ date: '2026-07-10', reasons: ['DiagnosticReport/dr-1'] }), t).covers
    ).toBe(true)
    expect(
      orderCoverage(order({ family: 'diagnostic-chest-ct', date: '2026-06-14' }), t).covers
    ).toBe(true)
    // a reason that is not a finding (a Condition) does not name another nodule
    expect(orderCoverage(order({ date: '2026-06-14', reasons: ['Condition/c1'] }), t).covers).toBe(
      true
    )
  })

  // Audit: the window's edges are inclusive, and one day past either edge is early or late.
  it.each([
    ['a date: the first day of the window', ldct(3), '2026-05-17', true, undefined],
    ['a date: the day before it', ldct(3), '2026-05-16', false, 'early'],
    ['a date: the last day of the window', ldct(3), '2026-07-12', true, undefined],
    ['a date: the day after it', ldct(3), '2026-07-13', false, 'late'],
    ['a range: its start', ctRange(6, 12), '2026-09-14', true, undefined],
    ['a range: the day before its start', ctRange(6, 12), '2026-09-13', false, 'early'],
    ['a range: its end', ctRange(6, 12), '2027-03-14', true, undefined],
    ['a range: the day after its end', ctRange(6, 12), '2027-03-15', false, 'late'],
    ['now: the study date', ctNow, '2026-03-14', true, undefined],
    ['now: 28 days after', ctNow, '2026-04-11', true, undefined],
    ['now: 29 days after', ctNow, '2026-04-12', false, 'late'],
  ] as const)('%s (%s %s)', (_, followUp, date, covers, because) => {
    const family = followUp.order === 'ct-chest' ? 'diagnostic-chest-ct' : 'screening-ldct'
    const coverage = orderCoverage(order({ family, date }), target(followUp))
    expect(coverage.covers).toBe(covers)
    expect('because' in coverage ? coverage.because : undefined).toBe(because)
    // A later study dated the same day is judged the same way (after the study date).
    if (date > '2026-03-14')
      expect(studyCoverage({ family, date }, target(followUp)).covers).toBe(covers)
  })

  it('an LDCT 12 months out does not cover a 4A 3-month LDCT: late by 9 months', () => {
    expect(orderCoverage(order({ date: '2027-03-14' }), target(ldct(3)))).toMatchObject({
      covers: false,
      because: 'late',
      days: 273,
    })
  })

  it('too early: says by how much', () => {
    expect(orderCoverage(order({ date: '2026-04-14' }), target(ldct(3)))).toMatchObject({
      covers: false,
      because: 'early',
      days: 61,
    })
  })

  it('an annual screening LDCT does not cover a 4B work-up', () => {
    expect(orderCoverage(order({ date: '2026-03-20' }), target(ctNow))).toMatchObject({
      covers: false,
      because: 'wrong-exam',
    })
  })

  it('a 6-month LDCT for the nodule at 6.5 mm does not cover its 4B work-up after revision to 15.5 mm', () => {
    const sixMonth = order({ date: '2026-09-14', reasons: ['Observation/lead'] })
    expect(orderCoverage(sixMonth, target(ctNow))).toMatchObject({ because: 'wrong-exam' })
  })

  it('an order for another nodule does not cover this one', () => {
    const other = order({ date: '2026-06-14', reasons: ['Observation/other-nodule'] })
    expect(orderCoverage(other, target(ldct(3)))).toMatchObject({ because: 'other-finding' })
  })

  it('an undated order covers only a work-up to arrange now, written on or after the study', () => {
    const standing = order({ authored: '2026-03-20' })
    expect(orderCoverage(standing, target(ldct(3)))).toMatchObject({ because: 'undated' })
    const ct = order({ family: 'diagnostic-chest-ct', authored: '2026-03-14' })
    expect(orderCoverage(ct, target(ctNow)).covers).toBe(true)
    const before = order({ family: 'diagnostic-chest-ct', authored: '2026-03-01' })
    expect(orderCoverage(before, target(ctNow))).toMatchObject({ because: 'undated' })
    expect(orderCoverage(order({ family: 'diagnostic-chest-ct' }), target(ctNow))).toMatchObject({
      because: 'undated',
    })
  })

  it('a PET/CT by CPT 78815 covers the optional PET/CT, whenever after the study', () => {
    const pet = order({
      family: examFamilyOf([{ system: CPT, code: '78815' }]),
      date: '2026-08-01',
    })
    expect(orderCoverage(pet, target(petOption)).covers).toBe(true)
    expect(orderCoverage(pet, target(ldct(3)))).toMatchObject({ because: 'wrong-exam' })
  })

  it('uncoded and other orders cover nothing', () => {
    expect(
      orderCoverage(order({ family: 'uncoded', date: '2026-06-14' }), target(ldct(3))).covers
    ).toBe(false)
    expect(
      orderCoverage(order({ family: 'other', date: '2026-06-14' }), target(ldct(3))).covers
    ).toBe(false)
  })
})

describe('study coverage: a later study is the follow-up only in its family and window', () => {
  it('a CT for haemoptysis 6 days after a 4A LDCT is not the 3-month follow-up', () => {
    const ct = { family: 'diagnostic-chest-ct' as const, date: '2026-03-20' }
    expect(studyCoverage(ct, target(ldct(3)))).toMatchObject({ covers: false, because: 'early' })
  })

  it('the 3-month LDCT, on time, is', () => {
    expect(
      studyCoverage({ family: 'screening-ldct', date: '2026-06-10' }, target(ldct(3))).covers
    ).toBe(true)
  })

  it('a PET/CT is not a chest CT follow-up; the same study date never counts', () => {
    expect(studyCoverage({ family: 'pet-ct', date: '2026-06-14' }, target(ldct(3)))).toMatchObject({
      because: 'wrong-exam',
    })
    expect(
      studyCoverage({ family: 'diagnostic-chest-ct', date: '2026-03-14' }, target(ctNow)).covers
    ).toBe(false)
    expect(
      studyCoverage({ family: 'diagnostic-chest-ct', date: '2026-03-21' }, target(ctNow)).covers
    ).toBe(true)
  })
})

describe('order-select verdicts', () => {
  const today = '2026-03-20'
  const t = { studyDate: '2026-03-14', findingRefs: ['Observation/lead'], reportRefs: [] }
  const fourA = [ldct(3), petOption]

  it('matches: an LDCT on the due date', () => {
    expect(judgeOrder(order({ date: '2026-06-14' }), fourA, t, [], today)).toMatchObject({
      verdict: 'matches',
    })
  })

  it('early, by how much, with a move to the due date', () => {
    expect(judgeOrder(order({}), fourA, t, [], today)).toMatchObject({
      verdict: 'early',
      days: 86,
      update: { date: '2026-06-14' },
    })
  })

  it('late: an LDCT 12 months out for a 4A, moved back to the due date', () => {
    expect(judgeOrder(order({ date: '2027-03-14' }), fourA, t, [], today)).toMatchObject({
      verdict: 'late',
      days: 273,
      update: { date: '2026-06-14' },
    })
  })

  it('wrong exam: an annual screening LDCT for a 4B, changed to the diagnostic CT', () => {
    const fourB = [ctNow, petOption]
    expect(judgeOrder(order({ date: '2027-03-14' }), fourB, t, [], today)).toMatchObject({
      verdict: 'wrong-exam',
      followUp: ctNow,
      update: { order: 'ct-chest' },
    })
  })

  it('wrong exam: a CT chest when only a PET/CT is recommended', () => {
    expect(
      judgeOrder(order({ family: 'diagnostic-chest-ct' }), [petOption], t, [], today)
    ).toMatchObject({ verdict: 'wrong-exam', update: { order: 'pet-ct' } })
  })

  it('a PET/CT (CPT 78815) for a 4A matches its PET/CT option, not "wrong exam"', () => {
    const pet = order({ family: examFamilyOf([{}, { system: CPT, code: '78815' }]) })
    expect(judgeOrder(pet, fourA, t, [], today)).toMatchObject({
      verdict: 'matches',
      followUp: petOption,
    })
  })

  it('duplicate: an order already placed covers the same follow-up', () => {
    const placed = [order({ date: '2027-01-01' }), order({ date: '2026-06-10' })]
    expect(judgeOrder(order({ date: '2026-06-14' }), fourA, t, placed, today)).toMatchObject({
      verdict: 'duplicate',
      duplicateOf: 1,
    })
  })

  it('uncoded: the sandbox before a procedure is picked gets the recommended code and date', () => {
    expect(judgeOrder(order({ family: 'uncoded' }), fourA, t, [], today)).toMatchObject({
      verdict: 'uncoded',
      update: { order: 'ldct', date: '2026-06-14' },
    })
  })

  it('a late work-up ordered undated needs no move; a dated one moves to today', () => {
    const late = '2026-05-01'
    const undated = judgeOrder(order({ family: 'diagnostic-chest-ct' }), [ctNow], t, [], late)
    expect(undated).toMatchObject({ verdict: 'late', days: 48 })
    expect(undated!.update).toBeUndefined()
    const dated = judgeOrder(
      order({ family: 'diagnostic-chest-ct', date: '2026-06-01' }),
      [ctNow],
      t,
      [],
      late
    )
    expect(dated).toMatchObject({ verdict: 'late', update: { date: late } })
  })
})

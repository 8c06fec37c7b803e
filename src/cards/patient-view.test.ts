import { describe, expect, it } from 'vitest'
import { assertValidCards } from '../../test/support/card-check'
import { patientViewCards } from './patient-view'
import { studyCards } from './study-card'
import {
  evidence,
  finding,
  nodule,
  options,
  report,
  serviceRequest,
  study,
} from '../../test/support/fhir-builders'

const opts = options({ now: new Date('2026-04-20T09:00:00Z') })

/** Two studies: a screening LDCT with a 4A nodule (2026-03-14) and a CTA with a PE (2026-04-02). */
const twoStudies = (
  serviceRequests = [serviceRequest({ id: 'unrelated', coding: [{ code: '2345-7' }] })]
) =>
  evidence({
    studies: [
      study({ id: 'study-1' }),
      study({
        id: 'study-2',
        procedure: 'cta',
        description: 'CTA chest',
        started: '2026-04-02T08:00:00Z',
        uid: '1.2.3.4',
      }),
    ],
    reports: [
      report({
        id: 'dr-1',
        studyId: 'study-1',
        results: ['Observation/obs-1', 'Observation/obs-2'],
      }),
      report({ id: 'dr-2', studyId: 'study-2', results: ['Observation/obs-pe'] }),
    ],
    observations: [
      nodule({ id: 'obs-1', mean: 8.6 }),
      nodule({ id: 'obs-2', mean: 4, lobe: 'LLL' }),
      finding({ id: 'obs-pe', studyId: 'study-2' }),
    ],
    serviceRequests,
  })

describe('patientViewCards', () => {
  it('one card per outstanding finding: the study’s nodules as one, the PE as another', async () => {
    const issued = patientViewCards(twoStudies(), opts)
    assertValidCards(issued)
    expect(issued.map((i) => i.meta.observationRef)).toEqual([
      'Observation/obs-pe',
      'Observation/obs-1',
    ])
    const [pe, nod] = issued
    expect(pe!.card.indicator).toBe('critical')
    expect(pe!.card.summary).toContain('Open AI finding (2026-04-02)')
    expect(pe!.card.detail).toContain('Critical AI finding with no documented follow-up order')
    expect(nod!.card.indicator).toBe('warning')
    expect(nod!.card.summary).toBe(
      'Open AI finding (2026-03-14): Lung-RADS 4A 8.6 mm solid nodule, RUL — LDCT due 2026-06-14, not ordered'
    )
    expect(nod!.card.suggestions?.[0]?.label).toBe('Order LDCT for 2026-06-14 (Lung-RADS 4A)')
    expect(nod!.meta.otherObservationRefs).toEqual(['Observation/obs-2'])
  })

  it('an open 4B work-up says "to arrange now", not a due date in the past', async () => {
    const ev = evidence({
      reports: [report()],
      observations: [nodule({ mean: 16 })],
    })
    const [issued] = patientViewCards(ev, opts)
    expect(issued!.card.summary).toBe(
      'Open AI finding (2026-03-14): Lung-RADS 4B 16.0 mm solid nodule, RUL — diagnostic CT chest to arrange now, not ordered'
    )
    const order = issued!.card.suggestions![0]!.actions![0]!.resource as { priority?: string }
    expect(order.priority).toBe('urgent')
  })

  it('a finding with a follow-up order (by reasonReference or matching code) is not outstanding', async () => {
    const byReason = serviceRequest({
      id: 'r',
      status: 'draft',
      reasonRef: 'Observation/obs-pe',
      coding: [{ code: 'x' }],
    })
    const byCode = serviceRequest({ id: 'c', status: 'active', occurrence: '2026-06-01' })
    const issued = patientViewCards(twoStudies([byReason, byCode]), opts)
    expect(issued).toEqual([])
  })

  it('findings outside the window are not shown; overdue ones say "was due"', async () => {
    const later = options({ now: new Date('2026-09-01T09:00:00Z') })
    const issued = patientViewCards(twoStudies(), later)
    const nod = issued.find((i) => i.meta.observationRef === 'Observation/obs-1')!
    expect(nod.card.summary).toContain('LDCT was due 2026-06-14, not ordered')
    expect(nod.card.detail).toContain('overdue')
    const muchLater = options({ now: new Date('2028-06-01T09:00:00Z') })
    expect(patientViewCards(twoStudies(), muchLater)).toEqual([])
  })

  it('uses its own uuids, distinct from the study cards of the same finding', async () => {
    const ev = twoStudies()
    const [, nod] = patientViewCards(ev, opts)
    const [studyCard] = studyCards(
      ev.studies.find((s) => s.studyRef === 'ImagingStudy/study-1')!,
      ev,
      opts
    )
    expect(nod!.card.uuid).not.toBe(studyCard!.card.uuid)
    const [, again] = patientViewCards(twoStudies(), opts)
    expect(again!.card.uuid).toBe(nod!.card.uuid)
  })

  it('a PE at 45 % confidence is outstanding and critical, not dropped as info (issue 10)', async () => {
    const ev = evidence({
      reports: [report({ results: ['Observation/obs-pe'] })],
      observations: [finding({ certainty: 45 })],
    })
    const issued = patientViewCards(ev, opts)
    expect(issued).toHaveLength(1)
    expect(issued[0]!.card.indicator).toBe('critical')
    expect(issued[0]!.meta.findingKind).toBe('pulmonary-embolism')
  })

  it('unknown findings are listed too, not only by the custom hook (issue 10)', async () => {
    const ev = evidence({
      reports: [report({ results: ['Observation/x'] })],
      observations: [finding({ id: 'x', code: '233604007', display: 'Pneumonia' })],
    })
    const issued = patientViewCards(ev, opts)
    expect(issued).toHaveLength(1)
    expect(issued[0]!.card.indicator).toBe('info')
    expect(issued[0]!.meta.findingKind).toBe('unknown')
    expect(issued[0]!.card.summary).toContain('Pneumonia')
  })

  it('a nodule without any size is listed as needing review, like one with an impossible size', async () => {
    const ev = evidence({
      reports: [report({ results: ['Observation/unmeasured'] })],
      observations: [nodule({ id: 'unmeasured' })],
    })
    const issued = patientViewCards(ev, opts)
    expect(issued).toHaveLength(1)
    expect(issued[0]!.meta.findingKind).toBe('pulmonary-nodule')
    expect(issued[0]!.card.indicator).not.toBe('info')
  })

  it('known informational findings without a follow-up are not outstanding', async () => {
    const ev = evidence({
      reports: [report({ results: ['Observation/x'] })],
      observations: [finding({ id: 'x', code: '33737001', display: 'Fracture of rib' })],
    })
    expect(patientViewCards(ev, opts)).toEqual([])
  })

  it('a CT for haemoptysis 6 days after a 4A LDCT is not its follow-up: still outstanding (issue 10)', async () => {
    const ev = evidence({
      studies: [
        study({ id: 'study-1' }),
        study({
          id: 'study-2',
          procedure: 'ct-chest',
          description: 'CT chest (haemoptysis)',
          started: '2026-03-20T09:00:00Z',
          uid: '1.2.3.20',
        }),
      ],
      reports: [report({ id: 'dr-1', studyId: 'study-1', results: ['Observation/obs-1'] })],
      observations: [nodule({ id: 'obs-1', mean: 8.6 })],
    })
    const issued = patientViewCards(ev, opts)
    expect(issued.map((i) => i.meta.observationRef)).toEqual(['Observation/obs-1'])
  })
})

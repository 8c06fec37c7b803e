import type { ServiceRequest } from 'fhir/r4'
import { describe, expect, it } from 'vitest'
import { assertValidCards } from '../../test/support/card-check'
import type { GatheredResources } from '../evidence'
import { orderSelectCards } from './order-select'
import {
  CPT,
  LOINC,
  PATIENT_ID,
  draftBundle,
  evidence,
  finding,
  nodule,
  options,
  report,
  serviceRequest,
  study,
} from '../../test/support/fhir-builders'

/** Prior screening LDCT 2026-03-14 with a 4A nodule: LDCT due 2026-06-14. Today is 2026-04-01. */
const opts = options({ now: new Date('2026-04-01T09:00:00Z') })
const prior = (extra: Partial<GatheredResources> = {}) =>
  evidence({ reports: [report()], observations: [nodule({ mean: 8.6 })], ...extra })

const draft = (o: Parameters<typeof serviceRequest>[0] = {}) =>
  serviceRequest({ id: 'draft-1', status: 'draft', ...o })

async function run(
  ev: ReturnType<typeof prior>,
  orders: ServiceRequest[],
  selections = ['ServiceRequest/draft-1']
) {
  const issued = orderSelectCards(ev, draftBundle(...orders), selections, opts)
  assertValidCards(issued)
  return issued
}

describe('orderSelectCards', () => {
  it('MATCHES: an LDCT for the due date fits the open finding', async () => {
    const [issued, ...rest] = await run(prior(), [draft({ occurrence: '2026-06-10' })])
    expect(rest).toHaveLength(0)
    const { card, meta } = issued!
    expect(card.indicator).toBe('info')
    expect(card.summary).toContain('fits the LDCT due 2026-06-14')
    expect(card.summary).toContain('Lung-RADS 4A')
    expect(card.detail).toContain('fits the recommended')
    expect(card.suggestions).toBeUndefined()
    expect(meta.observationRef).toBe('Observation/obs-1')
    expect(card.links?.[0]?.label).toContain('prior study (2026-03-14)')
    expect(card.links?.[0]?.url).toContain('StudyInstanceUIDs=1.2.840.113619.2.55.3.1')
  })

  it('a CPT-coded chest CT (71250) is in the family too', async () => {
    const [issued] = await run(prior(), [
      draft({ coding: [{ system: CPT, code: '71250' }], occurrence: '2026-06-01' }),
    ])
    expect(issued!.card.summary).toContain('fits')
  })

  it('EARLY: an undated order placed today is more than a month before the due date, and says how early', async () => {
    const [issued] = await run(prior(), [draft()])
    const { card } = issued!
    expect(card.indicator).toBe('warning')
    expect(card.summary).toContain('about 2 months early')
    expect(card.summary).toContain('due 2026-06-14')
    expect(card.detail).toContain('for 2026-04-01')
  })

  it('DUPLICATE: an equivalent order is already placed', async () => {
    const placed = serviceRequest({ id: 'placed', status: 'active', occurrence: '2026-06-14' })
    const [issued] = await run(prior({ serviceRequests: [placed] }), [
      draft({ occurrence: '2026-06-14' }),
    ])
    const { card } = issued!
    expect(card.indicator).toBe('warning')
    expect(card.summary).toContain('already ordered')
    expect(card.summary).toContain('may duplicate')
    expect(card.detail).toContain('ServiceRequest/placed')
  })

  it('DUPLICATE also against another, unselected draft of the same session', async () => {
    const other = draft({ id: 'draft-2', occurrence: '2026-06-14', reasonRef: 'Observation/obs-1' })
    const [issued] = await run(prior(), [draft({ occurrence: '2026-06-14' }), other])
    expect(issued!.card.summary).toContain('may duplicate')
  })

  it('the selected order itself, saved on the server too, is not its own duplicate', async () => {
    const selected = draft({ occurrence: '2026-06-14' })
    const [issued] = await run(prior({ serviceRequests: [selected] }), [selected])
    expect(issued!.card.summary).toContain('fits')
  })

  it('sandbox-style draft: no Bundle.type, code.coding [{}], reasonCode []: a shorter card', async () => {
    const sandbox = {
      resourceType: 'ServiceRequest',
      id: 'draft-1',
      status: 'draft',
      intent: 'order',
      code: { coding: [{}] },
      reasonCode: [],
      subject: { reference: `Patient/${PATIENT_ID}` },
    } as unknown as ServiceRequest
    const bundle = draftBundle(sandbox)
    expect('type' in bundle).toBe(false)
    const [issued, ...rest] = await run(prior(), [sandbox])
    expect(rest).toHaveLength(0)
    expect(issued!.card.indicator).toBe('info')
    expect(issued!.card.summary).toBe(
      'Open AI finding: Lung-RADS 4A 8.6 mm solid nodule, RUL — LDCT due 2026-06-14'
    )
    expect(issued!.card.detail).toContain('An imaging order is being placed')
  })

  it('no imaging order among the selections: no cards', async () => {
    const lab = draft({ coding: [{ system: LOINC, code: '2345-7', display: 'Glucose' }] })
    expect(await run(prior(), [lab])).toEqual([])
  })

  it('an imaging order that is not selected does not trigger cards', async () => {
    expect(await run(prior(), [draft()], ['ServiceRequest/something-else'])).toEqual([])
  })

  it('no open findings: no cards', async () => {
    expect(await run(evidence({}), [draft()])).toEqual([])
    // A PE has no follow-up order to compare with: nothing to say about an imaging order.
    const pe = evidence({
      reports: [report({ results: ['Observation/obs-pe'] })],
      observations: [finding()],
    })
    expect(await run(pe, [draft()])).toEqual([])
  })

  it('findings older than the window do not count', async () => {
    const old = evidence({
      studies: [study({ started: '2023-01-10T10:00:00Z' })],
      reports: [report()],
      observations: [nodule({ mean: 8.6 })],
    })
    expect(await run(old, [draft()])).toEqual([])
  })

  it('a later LDCT 16 days after a 4A is not its 3-month follow-up: both findings stay open (issue 10)', async () => {
    const ev = evidence({
      studies: [
        study({ id: 'study-1' }),
        study({ id: 'study-2', started: '2026-03-30T09:00:00Z', uid: '1.2.3.9' }),
      ],
      reports: [
        report({ id: 'dr-1', studyId: 'study-1', results: ['Observation/a'] }),
        report({ id: 'dr-2', studyId: 'study-2', results: ['Observation/b'] }),
      ],
      observations: [
        nodule({ id: 'a', mean: 8.6 }),
        nodule({ id: 'b', mean: 8.6, studyId: 'study-2', change: 'stable' }),
      ],
    })
    const issued = await run(ev, [draft()])
    expect(issued.map((i) => i.meta.observationRef)).toEqual(['Observation/b', 'Observation/a'])
  })

  it('the 3-month LDCT done on time is the follow-up: the finding is no longer open', async () => {
    const ev = evidence({
      studies: [
        study({ id: 'study-1' }),
        study({ id: 'study-2', started: '2026-06-12T09:00:00Z', uid: '1.2.3.9' }),
      ],
      reports: [report({ id: 'dr-1', studyId: 'study-1', results: ['Observation/a'] })],
      observations: [nodule({ id: 'a', mean: 8.6 })],
    })
    const later = options({ now: new Date('2026-07-01T09:00:00Z') })
    const issued = orderSelectCards(ev, draftBundle(draft()), ['ServiceRequest/draft-1'], later)
    expect(issued).toEqual([])
  })

  describe('issue 10: what is wrong with the selected order, and the fix', () => {
    const updateOf = (card: {
      suggestions?: { actions?: { type: string; resource?: unknown }[] }[]
    }) =>
      card.suggestions?.[0]?.actions?.[0] as { type: string; resource?: ServiceRequest } | undefined

    it('LATE: an LDCT 12 months out for a 4A due at 3 months no longer "fits"', async () => {
      const [issued] = await run(prior(), [draft({ occurrence: '2027-03-14' })])
      const { card } = issued!
      expect(card.indicator).toBe('warning')
      expect(card.summary).toContain('about 9 months late')
      expect(card.summary).not.toContain('fits')
      expect(card.detail).toContain('delays the diagnosis')
      const update = updateOf(card)
      expect(update?.type).toBe('update')
      expect(update?.resource?.id).toBe('draft-1')
      expect(update?.resource?.occurrenceDateTime).toBe('2026-06-14')
      expect(card.links?.[0]?.url).toContain('StudyInstanceUIDs=')
    })

    it('WRONG EXAM: an annual screening LDCT (CPT 71271) for a 4B work-up', async () => {
      const fourB = evidence({ reports: [report()], observations: [nodule({ mean: 16 })] })
      const [issued] = await run(fourB, [
        draft({ coding: [{ system: CPT, code: '71271' }], occurrence: '2027-03-14' }),
      ])
      const { card } = issued!
      expect(card.indicator).toBe('warning')
      expect(card.summary).toContain('Wrong exam?')
      expect(card.summary).toContain('diagnostic CT chest to arrange now')
      expect(card.summary).toContain('not a screening LDCT')
      const update = updateOf(card)
      expect(update?.resource?.code?.coding).toEqual([
        { system: LOINC, code: '29252-4', display: 'CT Chest WO contrast' },
      ])
    })

    it('EARLY moves the draft to the due date', async () => {
      const [issued] = await run(prior(), [draft({ occurrence: '2026-04-10' })])
      expect(issued!.card.summary).toContain('early')
      expect(updateOf(issued!.card)?.resource?.occurrenceDateTime).toBe('2026-06-14')
    })

    it('a draft for another exam is judged, not matched by reason: duplicate only when it is the follow-up', async () => {
      const placed = serviceRequest({
        id: 'placed',
        status: 'active',
        coding: [{ system: LOINC, code: '81555-5' }],
        reasonRef: 'Observation/obs-1',
      })
      const [issued] = await run(prior({ serviceRequests: [placed] }), [
        draft({ occurrence: '2026-06-14' }),
      ])
      expect(issued!.card.summary).toContain('fits')
    })

    const sandboxDraft = (coding: { system?: string; code?: string; display?: string }[]) =>
      ({
        resourceType: 'ServiceRequest',
        id: 'draft-1',
        status: 'draft',
        intent: 'order',
        code: { coding },
        reasonCode: [],
        subject: { reference: `Patient/${PATIENT_ID}` },
      }) as unknown as ServiceRequest

    it('sandbox, before a procedure is picked: the recommended code and due date are offered', async () => {
      const [issued] = await run(prior(), [sandboxDraft([{}])])
      const update = updateOf(issued!.card)
      expect(update?.type).toBe('update')
      expect(update?.resource?.code?.coding?.[0]?.code).toBe('79086-5')
      expect(update?.resource?.occurrenceDateTime).toBe('2026-06-14')
      expect(update?.resource).not.toHaveProperty('reasonCode')
    })

    it.each([
      ['71250', 'CT thorax without contrast', /early: LDCT .* is due 2026-06-14/, 'warning'],
      ['71271', 'LDCT lung cancer screening', /early: LDCT .* is due 2026-06-14/, 'warning'],
      ['78815', 'PET/CT skull base to mid-thigh', /fits the PET\/CT to arrange now/, 'info'],
    ])(
      'sandbox, CPT %s (%s) on a patient with a 4A nodule: the right card',
      async (code, display, summary, indicator) => {
        for (const coding of [
          [{ system: CPT, code, display }],
          [{}, { system: CPT, code, display }],
        ]) {
          const issued = await run(prior(), [sandboxDraft(coding)])
          expect(issued).toHaveLength(1)
          expect(issued[0]!.card.summary).toMatch(summary)
          expect(issued[0]!.card.indicator).toBe(indicator)
        }
      }
    )
  })
})

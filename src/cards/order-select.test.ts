import type { ServiceRequest } from 'fhir/r4'
import { describe, expect, it } from 'vitest'
import { assertValidCards } from './check'
import type { EvidenceInput } from './evidence'
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
} from './test-builders'

/** Prior screening LDCT 2026-03-14 with a 4A nodule: LDCT due 2026-06-14. Today is 2026-04-01. */
const opts = options({ now: new Date('2026-04-01T09:00:00Z') })
const prior = (extra: Partial<EvidenceInput> = {}) =>
  evidence({ reports: [report()], observations: [nodule({ mean: 8.6 })], ...extra })

const draft = (o: Parameters<typeof serviceRequest>[0] = {}) =>
  serviceRequest({ id: 'draft-1', status: 'draft', ...o })

async function run(
  ev: ReturnType<typeof prior>,
  orders: ServiceRequest[],
  selections = ['ServiceRequest/draft-1']
) {
  const issued = await orderSelectCards(ev, draftBundle(...orders), selections, opts)
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

  it('a follow-up already done (a later chest CT read by the AI) is not open', async () => {
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
    expect(issued.map((i) => i.meta.observationRef)).toEqual(['Observation/b'])
  })
})

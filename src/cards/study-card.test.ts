import type { ServiceRequest } from 'fhir/r4'
import { describe, expect, it } from 'vitest'
import { assertValidCards } from '../../test/support/card-check'
import { studyCards } from './study-card'
import {
  LOINC,
  endpoint,
  PATIENT_ID,
  evidence,
  finding,
  nodule,
  options,
  patient,
  report,
  serviceRequest,
  smoking,
  study,
} from '../../test/support/fhir-builders'
import type { GatheredResources } from '../evidence'
import type { Card, CardOptions } from './types'

async function cardsFor(input: Partial<GatheredResources>, opts: CardOptions = options()) {
  const ev = evidence(input, opts.clinical)
  const issued = studyCards(ev.studies[0]!, ev, opts)
  assertValidCards(issued)
  return issued
}

/** The only card for the input. */
async function oneCard(input: Partial<GatheredResources>, opts: CardOptions = options()) {
  const issued = await cardsFor(input, opts)
  expect(issued).toHaveLength(1)
  return issued[0]!
}

const createdOrder = (issued: Awaited<ReturnType<typeof cardsFor>>[number]) =>
  issued.card.suggestions?.[0]?.actions?.[0]?.resource as ServiceRequest | undefined

/** A screening LDCT with one 8.6 mm solid baseline nodule in the RUL: Lung-RADS 4A. */
const screening4A = (extra: Partial<GatheredResources> = {}) => ({
  reports: [report()],
  observations: [
    nodule({ long: 9.4, short: 7.8, lobe: 'RUL', series: '1.2.3.100', sop: '1.2.3.100.7' }),
  ],
  ...extra,
})

describe('studyCards: screening nodule (Lung-RADS v2022)', () => {
  it('a 4A nodule gives a warning card with category and size, and a draft LDCT in 3 months', async () => {
    const [issued, ...rest] = await cardsFor(screening4A())
    expect(rest).toHaveLength(0)
    const { card, meta } = issued!
    expect(card.indicator).toBe('warning')
    expect(card.summary).toContain('Lung-RADS 4A')
    expect(card.summary).toContain('8.6 mm')
    expect(card.summary).toContain('RUL')
    expect(card.summary).toContain('LDCT in 3 months')
    expect(card.selectionBehavior).toBe('at-most-one')
    // The LDCT follow-up, then the optional PET/CT (solid nodule ≥ 8 mm).
    expect(card.suggestions).toHaveLength(2)
    const suggestion = card.suggestions![0]!
    expect(suggestion.isRecommended).toBe(true)
    expect(suggestion.label).toBe('Order LDCT for 2026-06-14 (Lung-RADS 4A)')
    expect(suggestion.actions).toHaveLength(1)
    expect(suggestion.actions![0]!.type).toBe('create')
    const order = createdOrder(issued!)!
    expect(order).toMatchObject({
      resourceType: 'ServiceRequest',
      status: 'draft',
      intent: 'proposal',
      subject: { reference: `Patient/${PATIENT_ID}` },
      code: { coding: [{ system: LOINC, code: '79086-5' }] },
      occurrenceDateTime: '2026-06-14',
      reasonReference: [{ reference: 'Observation/obs-1' }],
      supportingInfo: [{ reference: 'ImagingStudy/study-1' }],
    })
    expect(order.occurrencePeriod).toBeUndefined()
    expect(order.reasonCode?.[0]?.text).toBe('Lung-RADS v2022 category 4A')
    expect(order.reasonCode?.[0]?.coding?.[0]?.code).toBe('RID50139')
    expect(JSON.stringify(order)).not.toContain('36643-5')
    expect(meta).toMatchObject({
      uuid: card.uuid,
      findingKind: 'pulmonary-nodule',
      category: '4A',
      modelName: 'LungNoduleNet',
      modelVersion: '2.3.1',
      observationRef: 'Observation/obs-1',
      suggestionUuid: suggestion.uuid,
      otherSuggestionUuids: [card.suggestions![1]!.uuid],
    })
  })

  it('a 4B nodule: diagnostic CT chest to arrange now, urgent and unscheduled (never the study date)', async () => {
    // The hook fires two months after the study: a date of the study would be in the past.
    const opts = options({ now: new Date('2026-05-20T09:00:00Z') })
    const [issued] = await cardsFor(
      { reports: [report()], observations: [nodule({ mean: 16 })] },
      opts
    )
    const { card } = issued!
    expect(card.summary).toBe(
      'Lung-RADS 4B: 16.0 mm solid nodule, RUL — diagnostic CT chest now (AI, preliminary)'
    )
    const main = card.suggestions![0]!
    expect(main.label).toBe('Order diagnostic CT chest now (Lung-RADS 4B)')
    expect(main.isRecommended).toBe(true)
    expect(main.actions![0]!.description).toMatch(
      /urgent, unscheduled\) for the Lung-RADS 4B work-up/
    )
    const order = createdOrder(issued!)!
    expect(order).toMatchObject({
      status: 'draft',
      intent: 'proposal',
      priority: 'urgent',
      code: { coding: [{ system: LOINC, code: '29252-4' }] },
    })
    expect(order.occurrenceDateTime).toBeUndefined()
    expect(order.occurrencePeriod).toBeUndefined()
    expect(order.note?.[0]?.text).toMatch(/^Work-up, to arrange now, for 16\.0 mm solid nodule/)
    expect(card.detail).toContain(
      '**Recommended work-up:** CT Chest WO contrast, to arrange now rather than at an interval.'
    )
    expect(card.detail).not.toContain('on or about 2026-03-14')
  })

  it('an interval follow-up keeps its date and routine priority', async () => {
    const order = createdOrder((await cardsFor(screening4A()))[0]!)!
    expect(order.occurrenceDateTime).toBe('2026-06-14')
    expect(order.priority).toBeUndefined()
  })

  it('the detail names size, axes, location, category row, management, model and the AI disclaimer', async () => {
    const { card } = await oneCard(screening4A())
    const detail = card.detail!
    expect(detail).toContain('mean diameter 8.6 mm')
    expect(detail).toContain('long axis 9.4 mm × short axis 7.8 mm')
    expect(detail).toContain('RUL')
    expect(detail).toContain('Composition: solid')
    expect(detail).toContain('Lung-RADS v2022 category 4A')
    expect(detail).toContain('Rule:')
    expect(detail).toContain('**Management:**')
    expect(detail).toContain('on or about 2026-06-14')
    expect(detail).toContain('LungNoduleNet 2.3.1')
    expect(detail).toContain('confidence 92%')
    expect(detail).toContain('clearance K221234')
    expect(detail).toMatch(/AI-generated and preliminary until a radiologist signs/)
  })

  it('clips a runaway model name, version and clearance in the detail to 200 characters, ellipsis included', async () => {
    const long = (c: string) => c.repeat(40_000)
    const { card } = await oneCard({
      reports: [report({ model: { name: long('n'), version: long('v'), clearance: long('k') } })],
      observations: [nodule({ mean: 8.6 })],
    })
    const detail = card.detail!
    for (const c of ['n', 'v', 'k']) {
      expect(detail).toContain(`${c.repeat(199)}…`)
      expect(detail).not.toContain(c.repeat(200))
    }
  })

  it('says so when the AI asserted a different category, and uses the higher one', async () => {
    const { card } = await oneCard({
      reports: [report()],
      observations: [nodule({ mean: 8.6, lungRads: '2' })],
    })
    expect(card.summary).toContain('Lung-RADS 4A')
    expect(card.detail).toContain(
      'AI asserted Lung-RADS 2; measurements give 4A; the higher category is used.'
    )
    // Said once, not again among the caveats.
    expect(card.detail!.match(/assert(s|ed) Lung-RADS 2/g)).toHaveLength(1)
  })

  it('an equivalent order already placed: no suggestion (not even the PET/CT option), and the detail says it is ordered', async () => {
    const existing = serviceRequest({ id: 'sr-ldct', status: 'active', occurrence: '2026-06-20' })
    const { card } = await oneCard(screening4A({ serviceRequests: [existing] }))
    expect(card.suggestions).toBeUndefined()
    expect(card.selectionBehavior).toBeUndefined()
    expect(card.summary).toContain('LDCT already ordered')
    expect(card.detail).toContain('Follow-up already ordered:')
    expect(card.detail).toContain('ServiceRequest/sr-ldct')
  })

  it('an order for the finding counts only when it is the follow-up: its exam, in its window (issue 10)', async () => {
    const undated = serviceRequest({
      id: 'sr-any',
      status: 'draft',
      coding: [{ system: LOINC, code: '24627-2' }],
      reasonRef: 'Observation/obs-1',
    })
    // before issue 10 any order naming the finding covered it, whatever its code and date
    const open = await oneCard(screening4A({ serviceRequests: [undated] }))
    expect(open.card.suggestions?.[0]?.label).toBe('Order LDCT for 2026-06-14 (Lung-RADS 4A)')
    const inWindow = serviceRequest({
      id: 'sr-ct',
      status: 'draft',
      coding: [{ system: LOINC, code: '24627-2' }],
      reasonRef: 'Observation/obs-1',
      occurrence: '2026-06-20',
    })
    const { card } = await oneCard(screening4A({ serviceRequests: [inWindow] }))
    expect(card.suggestions).toBeUndefined()
    expect(card.detail).toContain('Follow-up already ordered:')
    // the words match the order: a diagnostic CT chest covers the 3-month LDCT, and is named so
    expect(card.summary).toContain('CT chest already ordered')
  })

  it('a 6-month LDCT ordered at 6.5 mm does not cover the 4B work-up at 15.5 mm, and is never called "CT chest" (issue 10)', async () => {
    const sixMonth = serviceRequest({
      id: 'sr-6m',
      status: 'active',
      reasonRef: 'Observation/obs-1',
      occurrence: '2026-09-14',
    })
    const { card } = await oneCard({
      reports: [report()],
      observations: [nodule({ mean: 15.5 })],
      serviceRequests: [sixMonth],
    })
    expect(card.summary).toContain('Lung-RADS 4B')
    expect(card.summary).not.toContain('already ordered')
    expect(card.suggestions?.[0]?.label).toBe('Order diagnostic CT chest now (Lung-RADS 4B)')
  })

  it('a standing undated annual LDCT written after the study does not make a 4A "already ordered" (issue 10)', async () => {
    const standing = serviceRequest({ id: 'sr-annual', status: 'active', authoredOn: '2026-03-20' })
    const { card } = await oneCard(screening4A({ serviceRequests: [standing] }))
    expect(card.summary).not.toContain('already ordered')
    expect(card.suggestions?.[0]?.label).toBe('Order LDCT for 2026-06-14 (Lung-RADS 4A)')
  })

  it('orders that do not count: another code family, out of the ±1 month window, completed', async () => {
    const petCt = serviceRequest({
      id: 'a',
      coding: [{ system: LOINC, code: '81555-5' }],
      occurrence: '2026-06-14',
    })
    const tooLate = serviceRequest({ id: 'b', occurrence: '2026-08-01' })
    const done = serviceRequest({ id: 'c', status: 'completed', occurrence: '2026-06-14' })
    const { card } = await oneCard(screening4A({ serviceRequests: [petCt, tooLate, done] }))
    // None covers the LDCT; the open PET/CT does cover the optional PET/CT.
    expect(card.suggestions?.map((s) => s.label)).toEqual([
      'Order LDCT for 2026-06-14 (Lung-RADS 4A)',
    ])
  })

  it('a finding contained in its report: the order points at the report', async () => {
    const issued = await oneCard({
      reports: [report({ results: ['#c1'], contained: [nodule({ id: 'c1', mean: 8.6 })] })],
    })
    expect(createdOrder(issued)?.reasonReference).toEqual([{ reference: 'DiagnosticReport/dr-1' }])
  })

  // Audit: the AI's "Lung-RADS 4" was dropped and the computed 2 stood, without a word of it.
  it('the AI says a bare "Lung-RADS 4" of a 4 mm nodule: 4B, and the card says why', async () => {
    const obs = nodule({ mean: 4 })
    obs.component!.push({
      code: { coding: [{ system: 'http://radlex.org', code: 'RID50134' }] },
      valueString: 'Lung-RADS 4',
    })
    const { card } = await oneCard({ reports: [report()], observations: [obs] })
    expect(card.summary).toContain('Lung-RADS 4B')
    expect(card.indicator).toBe('warning')
    // In the AI's own words, never "the AI asserted 4B".
    expect(card.detail).toContain('AI asserted Lung-RADS 4 (read as 4B); measurements give 2')
    expect(card.detail).not.toContain('AI asserted Lung-RADS 4B')
    expect(card.detail).toContain(
      'has no A, B or X: read as 4B, the category 4 that asks for a diagnostic work-up now'
    )
  })

  // Audit: the given mean (7.2 mm) was used over axes of 10 × 8 mm (average 9.0): 3, not 4A.
  it('a given mean smaller than the axes’ average: the average is used (4A), and the card says why', async () => {
    const { card } = await oneCard({
      reports: [report()],
      observations: [nodule({ mean: 7.2, long: 10, short: 8 })],
    })
    expect(card.summary).toContain('Lung-RADS 4A: 9.0 mm')
    expect(card.detail).toContain('the long and short axes (10 × 8 mm) average 9 mm')
  })

  // Audit: with no solidness component, the solid-component size was ignored (4A as solid).
  it('no solidness but a 9 mm solid component in a 12 mm nodule: 4B work-up, and says why', async () => {
    const obs = nodule({ mean: 12, solid: 9 })
    obs.component = obs.component!.filter((c) => c.code.coding?.[0]?.code !== 'RID46010')
    const { card } = await oneCard({ reports: [report()], observations: [obs] })
    expect(card.summary).toContain('Lung-RADS 4B')
    expect(card.suggestions?.[0]?.label).toBe('Order diagnostic CT chest now (Lung-RADS 4B)')
    expect(card.detail).toContain('read as solid (4A) and as part-solid (4B)')
  })

  it('one card for all nodules of a study, led by the most suspicious, the others listed', async () => {
    const issued = await cardsFor({
      reports: [report({ results: ['Observation/n-small', 'Observation/n-big'] })],
      observations: [
        nodule({ id: 'n-small', mean: 4.1, lobe: 'LLL' }),
        nodule({ id: 'n-big', mean: 8.6, lobe: 'RUL' }),
      ],
    })
    expect(issued).toHaveLength(1)
    const { card, meta } = issued[0]!
    expect(card.summary).toMatch(/^Lung-RADS 4A: 8\.6 mm solid nodule, RUL \(\+1 more\)/)
    expect(card.detail).toContain('Other nodules in this study')
    expect(card.detail).toContain('4.1 mm solid nodule, LLL — Lung-RADS 2')
    expect(meta.observationRef).toBe('Observation/n-big')
    expect(meta.otherObservationRefs).toEqual(['Observation/n-small'])
    expect(createdOrder(issued[0]!)?.reasonReference?.[0]?.reference).toBe('Observation/n-big')
  })
})

describe('studyCards: the optional PET/CT beside the follow-up', () => {
  const petOf = (card: Card) => card.suggestions?.find((s) => s.label.startsWith('Consider PET/CT'))

  it('4A with a solid nodule ≥ 8 mm: PET/CT offered second, not recommended, draft/proposal, urgent', async () => {
    const [issued] = await cardsFor(screening4A())
    const { card } = issued!
    const [ldct, pet] = card.suggestions!
    expect(card.selectionBehavior).toBe('at-most-one')
    expect(card.suggestions!.filter((s) => s.isRecommended)).toEqual([ldct])
    expect(pet!.label).toBe('Consider PET/CT (Lung-RADS 4A, solid nodule ≥ 8 mm)')
    expect(pet!.isRecommended).toBe(false)
    expect(pet!.uuid).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
    )
    expect(pet!.uuid).not.toBe(ldct!.uuid)
    expect(pet!.uuid).not.toBe(card.uuid)
    const order = pet!.actions![0]!.resource as ServiceRequest
    expect(order).toMatchObject({
      resourceType: 'ServiceRequest',
      status: 'draft',
      intent: 'proposal',
      priority: 'urgent',
      code: { coding: [{ system: LOINC, code: '81555-5' }] },
      subject: { reference: `Patient/${PATIENT_ID}` },
      reasonReference: [{ reference: 'Observation/obs-1' }],
    })
    expect(order.occurrenceDateTime).toBeUndefined()
    expect(card.detail).toContain(
      '**Option:** PT+CT Whole body Tum loc W 18F-FDG IV may be considered'
    )
  })

  it('uses the configured pet-ct code', async () => {
    const opts = options()
    opts.orderCodes = {
      ...opts.orderCodes,
      'pet-ct': {
        system: 'http://radlex.org',
        code: 'RPID6018',
        display: 'PET/CT skull base to thigh',
      },
    }
    const [issued] = await cardsFor(screening4A(), opts)
    const order = petOf(issued!.card)?.actions?.[0]?.resource as ServiceRequest
    expect(order.code?.coding?.[0]).toMatchObject({ code: 'RPID6018' })
  })

  it('gives the same PET/CT suggestion uuid on a second call', async () => {
    const [a] = await cardsFor(screening4A())
    const [b] = await cardsFor(screening4A())
    expect(a!.card.suggestions![1]!.uuid).toBe(b!.card.suggestions![1]!.uuid)
  })

  it('4B part-solid with a solid component ≥ 8 mm: "solid component ≥ 8 mm"', async () => {
    const { card } = await oneCard({
      reports: [report()],
      observations: [nodule({ mean: 14, solid: 8.2, solidness: 'part-solid' })],
    })
    expect(card.summary).toContain('Lung-RADS 4B')
    expect(petOf(card)?.label).toBe('Consider PET/CT (Lung-RADS 4B, solid component ≥ 8 mm)')
  })

  it('is not offered under 8 mm of solid tissue, nor for a ground-glass nodule', async () => {
    const small4A = await oneCard({
      reports: [report()],
      observations: [nodule({ mean: 7.5, change: 'new' })],
    })
    expect(small4A.card.summary).toContain('Lung-RADS 4A')
    expect(petOf(small4A.card)).toBeUndefined()
    const partSolid = await oneCard({
      reports: [report()],
      observations: [nodule({ mean: 14, solid: 7.9, solidness: 'part-solid' })],
    })
    expect(petOf(partSolid.card)).toBeUndefined()
  })

  it('is not offered when a PET/CT is already ordered, by code after the study', async () => {
    const pet = serviceRequest({
      id: 'sr-pet',
      coding: [{ system: LOINC, code: '81555-5' }],
      occurrence: '2026-05-02',
    })
    const { card } = await oneCard(screening4A({ serviceRequests: [pet] }))
    expect(card.suggestions?.map((s) => s.label)).toEqual([
      'Order LDCT for 2026-06-14 (Lung-RADS 4A)',
    ])
  })

  it('a PET/CT ordered for a 4A covers its PET/CT option, not its 3-month LDCT', async () => {
    const pet = serviceRequest({
      id: 'sr-pet',
      status: 'draft',
      coding: [{ system: LOINC, code: '81555-5', display: 'PET/CT' }],
      reasonRef: 'Observation/obs-1',
      authoredOn: '2026-03-16',
    })
    const { card } = await oneCard(screening4A({ serviceRequests: [pet] }))
    expect(card.summary).not.toContain('already ordered')
    expect(card.suggestions?.map((s) => s.label)).toEqual([
      'Order LDCT for 2026-06-14 (Lung-RADS 4A)',
    ])
  })

  it('a PET/CT ordered for a 4B is one of its work-up options: the summary names it', async () => {
    const pet = serviceRequest({
      id: 'sr-pet',
      status: 'draft',
      coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '78815' }],
      reasonRef: 'Observation/obs-1',
      authoredOn: '2026-03-15',
    })
    const { card } = await oneCard({
      reports: [report()],
      observations: [nodule({ mean: 16 })],
      serviceRequests: [pet],
    })
    expect(card.summary).toContain('PET/CT already ordered')
    expect(card.suggestions).toBeUndefined()
    expect(card.detail).toContain('ServiceRequest/sr-pet')
  })

  it('Fleischner solid > 8 mm: CT at 3 months recommended, PET/CT offered', async () => {
    const { card } = await oneCard({
      studies: [study({ procedure: 'ct-chest' })],
      reports: [report()],
      observations: [nodule({ mean: 10 })],
    })
    expect(card.suggestions?.map((s) => [s.label, s.isRecommended])).toEqual([
      ['Order CT chest for 2026-06-14 (Fleischner 2017)', true],
      ['Consider PET/CT (Fleischner 2017, solid nodule > 8 mm)', false],
    ])
  })

  it('Fleischner part-solid: PET/CT only for a solid component > 8 mm', async () => {
    const card = async (solid: number) =>
      (
        await oneCard({
          studies: [study({ procedure: 'ct-chest' })],
          reports: [report()],
          observations: [nodule({ mean: 14, solid, solidness: 'part-solid' })],
        })
      ).card
    const six = await card(6)
    expect(six.indicator).toBe('warning')
    expect(petOf(six)).toBeUndefined()
    expect(petOf(await card(9))?.label).toBe(
      'Consider PET/CT (Fleischner 2017, solid component > 8 mm)'
    )
  })

  // Audit: suspicious morphology is the row's other reason for PET/CT, biopsy or resection.
  it('Fleischner part-solid with a 7 mm solid component and spiculation: PET/CT offered, and why', async () => {
    const obs = nodule({ mean: 14, solid: 7, solidness: 'part-solid' })
    obs.component!.push({
      code: {
        coding: [{ system: 'urn:imaging-cds:finding-qualifier', code: 'suspicious-feature' }],
      },
      valueCodeableConcept: {
        coding: [{ system: 'urn:imaging-cds:finding-qualifier', code: 'spiculation' }],
      },
    })
    const { card } = await oneCard({
      studies: [study({ procedure: 'ct-chest' })],
      reports: [report()],
      observations: [obs],
    })
    expect(petOf(card)?.label).toBe(
      'Consider PET/CT (Fleischner 2017, suspicious features: spiculation)'
    )
    expect(card.detail).toContain('read as the suspicious morphology')
  })
})

describe('studyCards: incidental nodule (Fleischner 2017)', () => {
  const incidental = (extra: Partial<GatheredResources> = {}) => ({
    studies: [study({ procedure: 'ct-chest' })],
    reports: [report()],
    observations: [nodule({ mean: 7 })],
    ...extra,
  })

  it('a 7 mm solid nodule in a former smoker: CT chest over a 6–12 month period', async () => {
    const [issued] = await cardsFor(incidental({ smokingStatus: [smoking('former')] }))
    const { card } = issued!
    expect(card.summary).toBe(
      'Fleischner: 7 mm solid nodule, RUL — CT chest in 6–12 months, then again at 18–24 months (AI, preliminary)'
    )
    // The second step is said with its dates, and not ordered (it depends on the first result).
    expect(card.detail).toContain(
      '**Then:** CT Chest WO contrast at 18–24 months after the study (2027-09-14 to 2028-03-14)'
    )
    expect(card.suggestions).toHaveLength(1)
    const order = createdOrder(issued!)!
    expect(order.code?.coding?.[0]).toMatchObject({ system: LOINC, code: '29252-4' })
    expect(order.occurrencePeriod).toEqual({ start: '2026-09-14', end: '2027-03-14' })
    expect(order.occurrenceDateTime).toBeUndefined()
    expect(order.reasonCode?.[0]?.text).toMatch(/^Fleischner 2017/)
    expect(card.suggestions![0]!.label).toBe(
      'Order CT chest for 2026-09-14 to 2027-03-14 (Fleischner 2017)'
    )
    expect(card.detail).toContain(
      '**Fleischner Society 2017** (incidental nodule; not for patients with known cancer or immunosuppression)'
    )
    expect(card.detail).toContain('between 2026-09-14 and 2027-03-14')
  })

  it('axes 5.6 × 5.3 mm (average 5.45) in a never smoker: 5 mm, no routine follow-up', async () => {
    const { card } = await oneCard(
      incidental({
        smokingStatus: [smoking('never')],
        observations: [nodule({ long: 5.6, short: 5.3 })],
      })
    )
    expect(card.summary).toContain('5 mm solid nodule')
    expect(card.summary).toContain('no routine follow-up')
    expect(card.detail).toContain('(average 5 mm)')
    expect(card.suggestions).toBeUndefined()
  })

  it('a 12 mm nodule the AI calls calcified: no routine follow-up, no order, no warning', async () => {
    const obs = nodule({ mean: 12 })
    obs.component!.push({
      code: { coding: [{ system: 'urn:imaging-cds:finding-qualifier', code: 'benign-feature' }] },
      valueBoolean: true,
    })
    const { card } = await oneCard(incidental({ observations: [obs] }))
    expect(card.indicator).toBe('info')
    expect(card.summary).toContain('no routine follow-up')
    expect(card.suggestions).toBeUndefined()
    expect(card.detail).toMatch(/Confirm the pattern on the images/)
  })

  it('a 7 mm nodule in a never smoker: "then consider" the 18–24 month CT', async () => {
    const { card } = await oneCard(incidental({ smokingStatus: [smoking('never')] }))
    expect(card.summary).toContain('CT chest in 6–12 months, then consider again at 18–24 months')
    expect(card.detail).toContain('**Then:** consider CT Chest WO contrast at 18–24 months')
  })

  // Issue 11: growth under Fleischner only added a note; it is a warning with work-up options.
  it('a growing 4 mm nodule in a never smoker: a warning with work-up options, and says why', async () => {
    const { card } = await oneCard(
      incidental({
        smokingStatus: [smoking('never')],
        observations: [nodule({ mean: 4, change: 'growing' })],
      })
    )
    expect(card.indicator).toBe('warning')
    expect(card.summary).toBe(
      'Fleischner: 4 mm solid nodule, RUL — CT chest in 3 months (AI, preliminary)'
    )
    expect(card.detail).toMatch(/Growing since the prior exam, which is suspicious/)
    expect(card.suggestions?.map((s) => s.label)).toEqual([
      'Order CT chest for 2026-06-14 (Fleischner 2017)',
      'Consider PET/CT (Fleischner 2017, growing nodule)',
    ])
  })

  it('unknown smoking status is treated as high risk, and the card says so', async () => {
    const { card } = await oneCard(incidental())
    expect(card.detail).toMatch(/Smoking status unknown or not recorded: managed as high risk/)
  })

  it('under 35: no guideline interval, no suggestion, and the card says why', async () => {
    const { card } = await oneCard(incidental({ patient: patient('2000-01-01') }))
    expect(card.suggestions).toBeUndefined()
    expect(card.summary).toBe(
      '7.0 mm solid nodule, RUL — under 35, no Fleischner interval; review (AI, preliminary)'
    )
    expect(card.detail).toMatch(/under 35/)
  })

  // Audit: "> 8 mm" read as 8 mm put a nodule larger than 8 mm in the 6–8 mm row (CT in 6–12
  // months instead of the > 8 mm row's CT at 3 months, PET/CT or tissue sampling).
  it('a size given as a bound ("> 8 mm") is not read as 8 mm: review, with the reason', async () => {
    const obs = nodule({ mean: 8 })
    obs.component![0]!.valueQuantity!.comparator = '>'
    const { card } = await oneCard(incidental({ observations: [obs] }))
    expect(card.summary).not.toContain('6–12 months')
    expect(card.summary).toContain('size unusable')
    expect(card.indicator).toBe('warning')
    expect(card.suggestions).toBeUndefined()
    expect(card.detail).toContain(
      'Mean diameter is given as "> 8 mm", a bound rather than a measurement.'
    )
  })

  /** A card for a never smoker's incidental nodule beside one Condition. */
  const withCondition = (system: string, code: string, display: string, clinicalStatus?: string) =>
    oneCard(
      incidental({
        smokingStatus: [smoking('never')],
        conditions: [
          {
            resourceType: 'Condition' as const,
            subject: { reference: `Patient/${PATIENT_ID}` },
            ...(clinicalStatus && { clinicalStatus: { coding: [{ code: clinicalStatus }] } }),
            code: { coding: [{ system, code, display }] },
          },
        ],
      })
    )

  // Audit: a cancer coded as a SNOMED CT descendant the lists do not hold gave a plain info card;
  // a lung cancer in remission was read as no condition at all.
  it.each([
    [
      'a condition that reads like cancer but is not on the lists',
      ['http://snomed.info/sct', '254637007', 'Non-small cell lung cancer'],
      undefined,
      'Active condition "Non-small cell lung cancer" reads like a malignancy or immunosuppression',
    ],
    [
      'a malignancy in remission',
      ['http://hl7.org/fhir/sid/icd-10-cm', 'C34.11', 'Malignant neoplasm of right upper lobe'],
      'remission',
      'Condition "Malignant neoplasm of right upper lobe" is a malignancy in remission',
    ],
  ] as const)('%s: interval kept, warning, and why', async (_, coding, status, why) => {
    const { card } = await withCondition(coding[0], coding[1], coding[2], status)
    expect(card.indicator).toBe('warning')
    expect(card.summary).toContain('CT chest in 6–12 months')
    expect(card.suggestions).toHaveLength(1)
    expect(card.detail).toContain(why)
  })

  it('missing size: said in the summary and caveats, no order, never "no routine follow-up"', async () => {
    const { card } = await oneCard(incidental({ observations: [nodule({})] }))
    expect(card.summary).toBe(
      'Fleischner: solid nodule, RUL — not measured, so no interval; review (AI, preliminary)'
    )
    expect(card.suggestions).toBeUndefined()
    expect(card.detail).toContain('Size: not measured by the AI')
    expect(card.detail).toMatch(/No nodule diameter given/)
  })
})

describe('studyCards: other findings', () => {
  it('pulmonary embolism is critical, AI-suspected and preliminary, links the study, orders nothing', async () => {
    const { card, meta } = await oneCard({
      studies: [study({ procedure: 'cta', description: 'CTA chest' })],
      reports: [report({ results: ['Observation/obs-pe'] })],
      observations: [finding()],
    })
    expect(card.indicator).toBe('critical')
    expect(card.summary).toBe(
      'Suspected pulmonary embolism on CTA chest — review the images now (AI, preliminary)'
    )
    expect(card.suggestions).toBeUndefined()
    expect(card.selectionBehavior).toBeUndefined()
    expect(card.links?.[0]).toMatchObject({
      type: 'absolute',
      label: 'Open CTA chest in the viewer',
      url: expect.stringContaining('StudyInstanceUIDs=1.2.840.113619.2.55.3.1'),
    })
    expect(card.detail).toMatch(/AI-generated and preliminary/)
    expect(meta.findingKind).toBe('pulmonary-embolism')
  })

  it('an unknown finding code gives an info card naming it', async () => {
    const { card, meta } = await oneCard({
      reports: [report({ results: ['Observation/obs-x'] })],
      observations: [finding({ id: 'obs-x', code: '233604007', display: 'Pneumonia' })],
    })
    expect(card.indicator).toBe('info')
    expect(card.summary).toBe(
      'Other finding: Pneumonia on CT Chest for screening WO contrast — review the images (AI, preliminary)'
    )
    expect(card.detail).toContain('no guideline rule')
    expect(meta.findingKind).toBe('unknown')
  })

  it('a critical finding comes before the nodule card', async () => {
    const issued = await cardsFor({
      reports: [report({ results: ['Observation/obs-1', 'Observation/obs-pe'] })],
      observations: [nodule({ mean: 8.6 }), finding()],
    })
    expect(issued.map((i) => i.card.indicator)).toEqual(['critical', 'warning'])
  })

  it('low AI confidence is labelled, and the card is informational', async () => {
    const { card } = await oneCard({
      reports: [report()],
      observations: [nodule({ mean: 8.6, certainty: 30 })],
    })
    expect(card.indicator).toBe('info')
    expect(card.summary).toMatch(/\(AI, low confidence\)$/)
    expect(card.detail).toContain('Low AI confidence')
    // Still offered, but not recommended until someone has looked at the images.
    expect(card.suggestions?.length).toBeGreaterThan(0)
    expect(card.suggestions!.every((s) => s.isRecommended === false)).toBe(true)
  })

  it('a low-confidence critical finding stays critical and asks to verify now (issue 10)', async () => {
    const { card } = await oneCard({
      studies: [study({ procedure: 'cta', description: 'CTA chest' })],
      reports: [report({ results: ['Observation/obs-pe'] })],
      observations: [finding({ certainty: 45 })],
    })
    expect(card.indicator).toBe('critical')
    expect(card.summary).toBe(
      'Suspected pulmonary embolism on CTA chest — low AI confidence (45 %): verify on the images now (AI)'
    )
    expect(card.detail).toContain('Low AI confidence (45 %): verify on the images now')
  })

  it('a tension pneumothorax at 38 % is critical and says so (issue 10)', async () => {
    const { card, meta } = await oneCard({
      reports: [report({ results: ['Observation/obs-ptx'] })],
      observations: [
        finding({
          id: 'obs-ptx',
          code: '233645004',
          display: 'Tension pneumothorax',
          certainty: 38,
        }),
      ],
    })
    expect(card.indicator).toBe('critical')
    expect(card.summary).toContain('low AI confidence (38 %): verify on the images now')
    expect(meta.findingKind).toBe('pneumothorax')
  })

  it.each([
    ['SNOMED subarachnoid haemorrhage', { code: '21454007' }, 'intracranial-hemorrhage'],
    [
      'ICD-10-CM subdural haemorrhage',
      { system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'I62.01' },
      'intracranial-hemorrhage',
    ],
    ['SNOMED acute PE', { code: '706870000' }, 'pulmonary-embolism'],
    [
      'ICD-10-CM saddle embolus',
      { system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'I26.92' },
      'pulmonary-embolism',
    ],
    [
      'a local code named "Saddle embolus"',
      { system: 'urn:ai', code: 'pe-1', display: 'Saddle embolus' },
      'pulmonary-embolism',
    ],
    [
      'a local code named "Subdural hematoma"',
      { system: 'urn:ai', code: 'sdh', display: 'Subdural hematoma' },
      'intracranial-hemorrhage',
    ],
    [
      'a local code named "Large vessel occlusion"',
      { system: 'urn:ai', code: 'lvo', display: 'Large vessel occlusion' },
      'large-vessel-occlusion',
    ],
  ])(
    'a finding coded only as a subtype (%s) is critical, not "unknown" (issue 10)',
    async (_, code, kind) => {
      const { card, meta } = await oneCard({
        reports: [report({ results: ['Observation/obs-x'] })],
        observations: [finding({ id: 'obs-x', ...code })],
      })
      expect(card.indicator).toBe('critical')
      expect(meta.findingKind).toBe(kind)
    }
  )

  it('an unknown finding that reads like a critical family is a warning, and says why', async () => {
    const { card, meta } = await oneCard({
      reports: [report({ results: ['Observation/obs-x'] })],
      observations: [
        finding({
          id: 'obs-x',
          system: 'urn:ai',
          code: 'x1',
          display: 'Hyperdense hemorrhagic focus',
        }),
      ],
    })
    expect(card.indicator).toBe('warning')
    expect(meta.findingKind).toBe('unknown')
    expect(card.detail).toMatch(/reads like intracranial hemorrhage \("hemorrhagic"\)/)
  })
})

describe('studyCards: viewer links', () => {
  it('opens the study on the series of the finding through the mapped data source, and the key image', async () => {
    const { card } = await oneCard(screening4A())
    expect(card.links).toEqual([
      {
        label: expect.stringContaining('viewer'),
        type: 'absolute',
        url:
          'https://viewer.example.org/viewer/dicomweb?StudyInstanceUIDs=1.2.840.113619.2.55.3.1' +
          '&initialSeriesInstanceUID=1.2.3.100',
      },
      {
        label: 'Open the key image in the viewer',
        type: 'absolute',
        url:
          'https://viewer.example.org/viewer/dicomweb?StudyInstanceUIDs=1.2.840.113619.2.55.3.1' +
          '&initialSeriesInstanceUID=1.2.3.100&initialSopInstanceUID=1.2.3.100.7',
      },
    ])
  })

  it('an Endpoint no prefix matches uses the default route; contained Endpoints resolve', async () => {
    const contained = endpoint('ep-local', 'https://other.example.org/wado')
    const { card } = await oneCard(
      screening4A({
        studies: [study({ endpointId: '#ep-local', contained: [contained] })],
        observations: [nodule({ mean: 8.6 })],
      })
    )
    expect(card.links).toHaveLength(1)
    expect(card.links![0]!.url).toBe(
      'https://viewer.example.org/viewer?StudyInstanceUIDs=1.2.840.113619.2.55.3.1'
    )
  })

  it('no viewer base URL configured: no links at all', async () => {
    const opts = options({ viewer: { dataSources: [] } })
    const { card } = await oneCard(screening4A(), opts)
    expect(card.links).toBeUndefined()
  })
})

describe('studyCards: stable uuids', () => {
  it('the same input twice gives the same card and suggestion uuids', async () => {
    const [a] = await cardsFor(screening4A())
    const [b] = await cardsFor(screening4A())
    expect(a!.card.uuid).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
    )
    expect(a!.card.uuid).toBe(b!.card.uuid)
    expect(a!.card.suggestions![0]!.uuid).toBe(b!.card.suggestions![0]!.uuid)
    expect(a!.card.uuid).not.toBe(a!.card.suggestions![0]!.uuid)
  })

  it('a different finding gives a different uuid', async () => {
    const [a] = await cardsFor(screening4A())
    const [b] = await cardsFor({
      reports: [report({ results: ['Observation/obs-2'] })],
      observations: [nodule({ id: 'obs-2', mean: 8.6 })],
    })
    expect(a!.card.uuid).not.toBe(b!.card.uuid)
  })
})

it('every card that can be dismissed offers the four override reasons with displays', async () => {
  const issued = await cardsFor({
    reports: [
      report({ results: ['Observation/obs-1', 'Observation/obs-pe', 'Observation/obs-x'] }),
    ],
    observations: [
      nodule({ mean: 8.6 }),
      finding(),
      finding({ id: 'obs-x', code: '233604007', display: 'Pneumonia', certainty: 10 }),
    ],
  })
  expect(issued.map((i) => i.card.indicator)).toEqual(['critical', 'warning', 'info'])
  for (const { card } of issued) expect(card.overrideReasons).toHaveLength(4)
  const { card } = await oneCard(screening4A())
  expect(card.overrideReasons?.map((r) => r.code)).toEqual([
    'already-addressed',
    'not-clinically-relevant',
    'patient-declined',
    'ai-finding-disputed',
  ])
  for (const r of card.overrideReasons!) {
    expect(r.system).toBe('urn:imaging-cds:override-reason')
    expect(r.display.length).toBeGreaterThan(0)
  }
})

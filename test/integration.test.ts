/**
 * Each hook end to end against a real in-memory FHIR server (Medplum's MemoryRepository behind
 * HTTP) seeded with the fixture scenarios: with prefetch sent by the EHR, and with nothing sent so
 * the service reads everything itself with the bearer token. Every response is validated.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFhirServer, type FhirTestServer } from '../demo/fhir-server'
import {
  getScenario,
  imagingStudyCompleteRequest,
  loadFixtureRequest,
  loadFixtureResources,
} from '../fixtures'
import { createHarness, fhirAuthorization, type Harness } from './support/harness'
import { prefetchAsEhr } from './support/ehr'
import type { Card } from '../src/cards/types'

const ACCESS_TOKEN = 'integration-access-token-55c1'
let fhir: FhirTestServer
let h: Harness

beforeAll(async () => {
  fhir = await startFhirServer({ resources: loadFixtureResources() })
  h = await createHarness(
    {
      OHIF_DATA_SOURCES: JSON.stringify({ 'http://127.0.0.1:8042/dicom-web': 'dicomweb' }),
    },
    {},
    [fhir.url]
  )
})
afterAll(() => fhir.close())

const auth = fhirAuthorization(ACCESS_TOKEN)

async function studyComplete(scenario: string, mode: 'prefetch' | 'fetch') {
  const body: Record<string, unknown> = {
    ...imagingStudyCompleteRequest(scenario, { fhirServer: fhir.url }),
    fhirAuthorization: auth,
  }
  if (mode === 'prefetch') {
    body.prefetch = await prefetchAsEhr(
      'imaging-ai-findings',
      body.context as Record<string, unknown>,
      fhir.url
    )
  }
  const before = fhir.requests.length
  const res = await h.call('/cds-services/imaging-ai-findings', body)
  expect(res.status).toBe(200)
  const { cards } = (await res.json()) as { cards: Card[] }
  return { cards, requests: fhir.requests.slice(before) }
}

describe.each(['prefetch', 'fetch'] as const)('imaging-study-complete with %s', (mode) => {
  it('screening 4A nodule: warning, LDCT in 3 months, key image link', async () => {
    const { cards, requests } = await studyComplete('screening-4a', mode)
    expect(cards).toHaveLength(1)
    const card = cards[0]!
    expect(card.indicator).toBe('warning')
    expect(card.summary).toContain('Lung-RADS 4A')
    const order = card.suggestions?.[0]?.actions?.[0]?.resource as unknown as Record<
      string,
      unknown
    >
    expect(order).toMatchObject({
      resourceType: 'ServiceRequest',
      status: 'draft',
      intent: 'proposal',
      subject: { reference: 'Patient/pat-screening-4a' },
      code: { coding: [{ system: 'http://loinc.org', code: '79086-5' }] },
      occurrenceDateTime: getScenario('screening-4a').expected.followUpDate,
      reasonReference: [{ reference: 'Observation/obs-screening-4a-nodule1' }],
    })
    const links = card.links?.map((l) => l.url) ?? []
    expect(
      links.some((u) =>
        u.startsWith('https://viewer.test/viewer/dicomweb?StudyInstanceUIDs=2.25.1695')
      )
    ).toBe(true)
    expect(links.some((u) => u.includes('initialSopInstanceUID='))).toBe(true)
    if (mode === 'prefetch') {
      // Only what prefetch cannot express is read: the study's Endpoint.
      expect(
        requests
          .map((r) => r.url.split('?')[0])
          .every((u) => /\/(Endpoint|ServiceRequest)\//.test(u!))
      ).toBe(true)
    } else {
      expect(requests.length).toBeGreaterThanOrEqual(6)
    }
    expect(requests.every((r) => r.authorization === `Bearer ${ACCESS_TOKEN}`)).toBe(true)
  })

  it('incidental 7 mm nodule in a former smoker: Fleischner CT in 6–12 months', async () => {
    const { cards } = await studyComplete('incidental-7mm', mode)
    const order = cards[0]?.suggestions?.[0]?.actions?.[0]?.resource as unknown as Record<
      string,
      unknown
    >
    expect(cards[0]?.detail).toContain('Fleischner')
    expect(order.occurrencePeriod).toEqual(getScenario('incidental-7mm').expected.followUpDate)
    expect(order.code).toMatchObject({ coding: [{ code: '29252-4' }] })
  })

  it('pulmonary embolism: critical', async () => {
    const { cards } = await studyComplete('pulmonary-embolism', mode)
    expect(cards.map((c) => c.indicator)).toEqual(['critical'])
    expect(cards[0]!.summary.toLowerCase()).toContain('pulmonary embolism')
  })

  it('clean study: no cards', async () => {
    expect((await studyComplete('clean-study', mode)).cards).toEqual([])
  })

  it('existing follow-up order: no duplicate suggestion', async () => {
    const { cards } = await studyComplete('existing-followup', mode)
    expect(cards).toHaveLength(1)
    expect(cards[0]!.suggestions).toBeUndefined()
    expect(cards[0]!.detail).toMatch(/already ordered/i)
  })

  it('AI and measurements disagree: the higher category wins and the card says both', async () => {
    const { cards } = await studyComplete('disagreement', mode)
    expect(cards[0]!.summary).toContain('4A')
    expect(cards[0]!.detail).toMatch(/Lung-RADS 2/)
  })

  it('unknown finding still surfaces; the entered-in-error report is ignored', async () => {
    const { cards } = await studyComplete('unknown-finding', mode)
    expect(cards.length).toBeGreaterThan(0)
    expect(cards.every((c) => c.indicator === 'info')).toBe(true)
    expect(cards.some((c) => /nodule/i.test(c.summary))).toBe(false)
  })
})

describe('order-select (sandbox PAMA shape)', () => {
  it('tells the ordering clinician about the open 4A finding and its due date', async () => {
    const body = {
      ...loadFixtureRequest('order-select-pama', { fhirServer: fhir.url, freshHookInstance: true }),
      fhirAuthorization: auth,
    }
    const res = await h.call('/cds-services/imaging-ai-order-check', body)
    expect(res.status).toBe(200)
    const { cards } = (await res.json()) as { cards: Card[] }
    expect(cards).toHaveLength(1)
    expect(cards[0]!.summary).toMatch(/4A/)
    expect(cards[0]!.links?.[0]?.url).toContain('StudyInstanceUIDs=')
  })

  it('tolerates an order with an empty coding and no Bundle.type', async () => {
    const body = {
      ...loadFixtureRequest('order-select-pama-no-code', {
        fhirServer: fhir.url,
        freshHookInstance: true,
      }),
      fhirAuthorization: auth,
    }
    const res = await h.call('/cds-services/imaging-ai-order-check', body)
    expect(res.status).toBe(200)
  })

  it('answers no cards for a patient without AI findings, from prefetch', async () => {
    const base = loadFixtureRequest('order-select-pama', {
      fhirServer: fhir.url,
      freshHookInstance: true,
    })
    const context = { ...base.context, patientId: 'pat-clean-study' }
    const prefetch = await prefetchAsEhr('imaging-ai-order-check', context, fhir.url)
    const res = await h.call('/cds-services/imaging-ai-order-check', { ...base, context, prefetch })
    expect(await res.json()).toEqual({ cards: [] })
  })
})

describe('patient-view', () => {
  const view = async (patientId: string) => {
    const base = loadFixtureRequest('patient-view', {
      fhirServer: fhir.url,
      freshHookInstance: true,
    })
    const res = await h.call('/cds-services/imaging-ai-outstanding', {
      ...base,
      context: { ...base.context, patientId },
      fhirAuthorization: auth,
    })
    expect(res.status).toBe(200)
    return ((await res.json()) as { cards: Card[] }).cards
  }

  it('shows an outstanding actionable finding with no follow-up order', async () => {
    const cards = await view('pat-screening-4a')
    expect(cards).toHaveLength(1)
    expect(cards[0]!.indicator).toBe('warning')
  })

  it('stays quiet when the follow-up is already ordered, or nothing was found', async () => {
    expect(await view('pat-existing-followup')).toEqual([])
    expect(await view('pat-clean-study')).toEqual([])
  })
})

describe('prefetch-only calls (no fhirServer)', () => {
  it('log once that the study Endpoint cannot be resolved; links fall back to the default source', async () => {
    const request = imagingStudyCompleteRequest('screening-4a', { fhirServer: fhir.url })
    const prefetch = await prefetchAsEhr(
      'imaging-ai-findings',
      request.context as Record<string, unknown>,
      fhir.url
    )
    const { fhirServer: _server, ...withoutServer } = request
    const before = h.logs.length
    const res = await h.call('/cds-services/imaging-ai-findings', { ...withoutServer, prefetch })
    expect(res.status).toBe(200)
    const { cards } = (await res.json()) as { cards: Card[] }
    expect(cards[0]?.links?.[0]?.url).toMatch(/^https:\/\/viewer\.test\/viewer\?StudyInstanceUIDs=/)
    const lines = h.logs.slice(before).filter((l) => l.includes('links.endpoint_unresolved'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain('prefetch only')
  })
})

describe('logs', () => {
  it('never contain access tokens, JWTs or patient identifiers', () => {
    const text = h.logs.join('\n')
    expect(h.logs.length).toBeGreaterThan(20)
    expect(text).not.toContain(ACCESS_TOKEN)
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/)
    expect(text).not.toMatch(/pat-[a-z0-9-]+/)
    for (const s of ['screening-4a', 'incidental-7mm', 'pulmonary-embolism']) {
      const scenario = getScenario(s)
      expect(text).not.toContain(scenario.studyInstanceUid)
      expect(text).not.toContain(scenario.imagingStudyId)
    }
  })
})

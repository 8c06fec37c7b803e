/**
 * @module demo/fhir-server.test
 * The in-memory FHIR server over real HTTP: reads, searches with paging, form-encoded POST
 * _search, request recording, and the injected failure and delay.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Bundle, FhirResource, Observation, OperationOutcome, Resource } from 'fhir/r4'
import { loadFhirDefinitions, startFhirServer } from './fhir-server'
import type { FhirTestServer } from './fhir-server'
import { costRatio } from '../test/support/cost'

const PATIENT = 'Patient/p-1'

function observation(id: string, patient: string): Observation {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '72166-2' }] },
    subject: { reference: patient },
  }
}

const seedResources: FhirResource[] = [
  { resourceType: 'Patient', id: 'p-1', name: [{ family: 'Fixture-Server', given: ['Test'] }] },
  { resourceType: 'Patient', id: 'p-2' },
  // 25 > the default page size of 20, so the first page needs a `next` link.
  ...Array.from({ length: 25 }, (_, i) => observation(`obs-${i + 1}`, PATIENT)),
  observation('obs-other', 'Patient/p-2'),
  {
    resourceType: 'ServiceRequest',
    id: 'sr-active',
    status: 'active',
    intent: 'order',
    subject: { reference: PATIENT },
  },
  {
    resourceType: 'ServiceRequest',
    id: 'sr-draft',
    status: 'draft',
    intent: 'proposal',
    subject: { reference: PATIENT },
  },
  {
    resourceType: 'ServiceRequest',
    id: 'sr-done',
    status: 'completed',
    intent: 'order',
    subject: { reference: PATIENT },
  },
  {
    resourceType: 'ImagingStudy',
    id: 'study-1',
    status: 'available',
    subject: { reference: PATIENT },
  },
  {
    resourceType: 'DiagnosticReport',
    id: 'dr-1',
    status: 'preliminary',
    code: { text: 'AI' },
    subject: { reference: PATIENT },
    imagingStudy: [{ reference: 'ImagingStudy/study-1' }],
  },
]

let fhir: FhirTestServer

beforeAll(async () => {
  fhir = await startFhirServer({ resources: seedResources })
})

afterAll(async () => {
  await fhir?.close()
})

beforeEach(() => {
  fhir.setDelay(0)
  fhir.setFailure(undefined)
  fhir.requests.length = 0
})

async function getJson<T = Resource>(path: string, init?: RequestInit): Promise<[Response, T]> {
  const res = await fetch(path.startsWith('http') ? path : `${fhir.url}/${path}`, init)
  return [res, (await res.json()) as T]
}

function ids(bundle: Bundle): string[] {
  return (bundle.entry ?? []).map((e) => e.resource?.id ?? '')
}

describe('startFhirServer', () => {
  it('listens on loopback under /fhir/R4', () => {
    expect(fhir.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/fhir\/R4$/)
  })

  it('reads a resource by id as application/fhir+json', async () => {
    const [res, patient] = await getJson('Patient/p-1')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('application/fhir+json')
    expect(patient).toMatchObject({ resourceType: 'Patient', id: 'p-1' })
  })

  it('answers an unknown id with 404 and an OperationOutcome', async () => {
    const [res, body] = await getJson<OperationOutcome>('Patient/nope')
    expect(res.status).toBe(404)
    expect(body.resourceType).toBe('OperationOutcome')
  })

  it('serves a CapabilityStatement at /metadata', async () => {
    const [res, body] = await getJson('metadata')
    expect(res.status).toBe(200)
    expect(body).toMatchObject({ resourceType: 'CapabilityStatement', fhirVersion: '4.0.1' })
  })

  it('pages a patient search with next links until the last page', async () => {
    const [, page1] = await getJson<Bundle>(`Observation?patient=${PATIENT}`)
    expect(page1).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 25 })
    expect(page1.entry).toHaveLength(20)
    expect(page1.entry?.[0]?.fullUrl).toBe(`${fhir.url}/Observation/obs-1`)
    const next = page1.link?.find((l) => l.relation === 'next')?.url
    expect(next).toBeDefined()

    const [, page2] = await getJson<Bundle>(next as string)
    expect(ids(page2)).toEqual(['obs-21', 'obs-22', 'obs-23', 'obs-24', 'obs-25'])
    expect(page2.link?.some((l) => l.relation === 'next')).toBe(false)
    expect(ids(page1).concat(ids(page2))).not.toContain('obs-other')
  })

  it('honours _count', async () => {
    const [, bundle] = await getJson<Bundle>(`Observation?patient=${PATIENT}&_count=10`)
    expect(bundle.entry).toHaveLength(10)
    expect(bundle.link?.find((l) => l.relation === 'next')?.url).toContain('_count=10')
  })

  it('accepts a bare patient id as real servers do', async () => {
    const [, bundle] = await getJson<Bundle>('Observation?patient=p-2')
    expect(ids(bundle)).toEqual(['obs-other'])
  })

  it('searches by patient on DiagnosticReport, ImagingStudy and ServiceRequest with a status list', async () => {
    const [, reports] = await getJson<Bundle>(`DiagnosticReport?patient=${PATIENT}`)
    expect(ids(reports)).toEqual(['dr-1'])
    const [, studies] = await getJson<Bundle>(`ImagingStudy?patient=${PATIENT}`)
    expect(ids(studies)).toEqual(['study-1'])
    const [, orders] = await getJson<Bundle>(
      `ServiceRequest?patient=${PATIENT}&status=active,draft`
    )
    expect(ids(orders).sort()).toEqual(['sr-active', 'sr-draft'])
  })

  it('answers a form-encoded POST _search like the sandbox sends, and records the Authorization', async () => {
    const [res, bundle] = await getJson<Bundle>('ServiceRequest/_search', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'Bearer test-token',
      },
      body: new URLSearchParams({ patient: PATIENT, status: 'active' }).toString(),
    })
    expect(res.status).toBe(200)
    expect(ids(bundle)).toEqual(['sr-active'])
    expect(fhir.requests).toHaveLength(1)
    expect(fhir.requests[0]).toMatchObject({
      method: 'POST',
      url: '/fhir/R4/ServiceRequest/_search',
      authorization: 'Bearer test-token',
      status: 200,
    })
  })

  it('records method, path with query, timing and no Authorization when none is sent', async () => {
    await getJson(`Observation?patient=${PATIENT}&_count=1`)
    const [recorded] = fhir.requests
    expect(recorded).toMatchObject({
      method: 'GET',
      url: `/fhir/R4/Observation?patient=${PATIENT}&_count=1`,
    })
    expect(recorded?.authorization).toBeUndefined()
    expect(recorded?.endedAt).toBeGreaterThanOrEqual(recorded?.startedAt ?? Infinity)
  })

  it('setFailure answers every request with that status until cleared', async () => {
    fhir.setFailure(503)
    const [res, body] = await getJson<OperationOutcome>('Patient/p-1')
    expect(res.status).toBe(503)
    expect(body.resourceType).toBe('OperationOutcome')
    const [searchRes] = await getJson(`Observation?patient=${PATIENT}`)
    expect(searchRes.status).toBe(503)

    fhir.setFailure(undefined)
    const [ok] = await getJson('Patient/p-1')
    expect(ok.status).toBe(200)
  })

  it('setDelay slows every response', async () => {
    fhir.setDelay(150)
    const started = performance.now()
    const [res] = await getJson('Patient/p-1')
    expect(res.status).toBe(200)
    expect(performance.now() - started).toBeGreaterThanOrEqual(145)
    const [recorded] = fhir.requests
    expect((recorded?.endedAt ?? 0) - (recorded?.startedAt ?? 0)).toBeGreaterThanOrEqual(145)
  })

  it('seeds more resources later, unpacking transaction Bundles', async () => {
    await fhir.seed([
      {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ resource: { resourceType: 'Patient', id: 'p-seeded' } }],
      } as Bundle,
    ])
    const [res] = await getJson('Patient/p-seeded')
    expect(res.status).toBe(200)
  })

  it('keeps patient searches fast with thousands of stored resources', async () => {
    await fhir.seed(
      Array.from({ length: 2000 }, (_, i) => observation(`filler-${i}`, `Patient/filler-${i % 50}`))
    )
    const [, bundle] = await getJson<Bundle>(`Observation?patient=${PATIENT}`)
    expect(bundle.total).toBe(25)
    // The core `patient` parameter takes about 1.2 ms per stored resource (2.5 s here, some 500
    // reads' worth); indexed, a search costs a few reads. A ratio, so a loaded machine cannot
    // fail it (no wall-clock limit); the baseline is ten reads, well above costRatio's 1 ms floor
    // (one sub-millisecond read would make the ratio the search's time in milliseconds).
    const search = () => getJson(`Observation?patient=${PATIENT}`)
    const tenReads = async () => {
      for (let i = 0; i < 10; i++) await getJson('Patient/p-seeded')
    }
    expect(await costRatio(tenReads, search, 3)).toBeLessThan(50)
  })
})

describe('a second server in the same process', () => {
  it('reuses the loaded definitions and is isolated from the first', async () => {
    // The definitions (seconds to index) load once per process: a second server waits on the
    // same promise instead of loading them again. Checked by identity, not by a time limit.
    expect(loadFhirDefinitions()).toBe(loadFhirDefinitions())
    const other = await startFhirServer({})
    try {
      expect(other.url).not.toBe(fhir.url)
      const res = await fetch(`${other.url}/Patient/p-1`)
      expect(res.status).toBe(404)
    } finally {
      await other.close()
    }
  })

  it('refuses connections after close', async () => {
    const other = await startFhirServer({})
    await other.close()
    await expect(fetch(`${other.url}/metadata`)).rejects.toThrow()
  })
})

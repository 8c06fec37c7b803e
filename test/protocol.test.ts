/**
 * The CDS Hooks 2.0 protocol as a client sees it: discovery, status codes, prefetch and FHIR
 * fallbacks, CORS, feedback. FHIR callbacks are mocked with msw; every response is validated.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { setupServer } from 'msw/node'
import { delay, http, HttpResponse } from 'msw'
import type { Bundle, FhirResource } from 'fhir/r4'
import {
  ACCESS_TOKEN,
  createHarness,
  FHIR_BASE,
  fhirAuthorization,
  type Harness,
} from './support/harness'
import { expectValidResponse } from './support/validate-responses'
import { virtualTime } from './support/fake-clock'

const patient: FhirResource = { resourceType: 'Patient', id: 'p1', birthDate: '1960-05-01' }
const study: FhirResource = {
  resourceType: 'ImagingStudy',
  id: 's1',
  status: 'available',
  subject: { reference: 'Patient/p1' },
  started: '2026-11-20T10:00:00Z',
  identifier: [{ system: 'urn:dicom:uid', value: 'urn:oid:1.2.3.4' }],
}
const searchset = (...resources: FhirResource[]): Bundle => ({
  resourceType: 'Bundle',
  type: 'searchset',
  total: resources.length,
  entry: resources.map((resource) => ({ resource })),
})
const emptySet = searchset()

const isc = (over: Record<string, unknown> = {}) => ({
  hook: 'imaging-study-complete',
  hookInstance: crypto.randomUUID(),
  context: { patientId: 'p1', imagingStudyId: 's1' },
  ...over,
})
const fullPrefetch = {
  patient,
  study,
  reports: emptySet,
  findings: emptySet,
  smoking: emptySet,
  orders: emptySet,
  conditions: emptySet,
}
const withFhir = { fhirServer: FHIR_BASE, fhirAuthorization: fhirAuthorization() }

type Seen = { url: string; auth: string | null; at: number; done?: number }
const seen: Seen[] = []
const fhir = setupServer(
  http.get(`${FHIR_BASE}/Patient/p1`, async ({ request }) => {
    const entry: Seen = {
      url: request.url,
      auth: request.headers.get('authorization'),
      at: Date.now(),
    }
    seen.push(entry)
    await delay(100)
    entry.done = Date.now()
    return HttpResponse.json(patient)
  }),
  http.get(`${FHIR_BASE}/ImagingStudy/s1`, async ({ request }) => {
    const entry: Seen = {
      url: request.url,
      auth: request.headers.get('authorization'),
      at: Date.now(),
    }
    seen.push(entry)
    await delay(100)
    entry.done = Date.now()
    return HttpResponse.json(study)
  }),
  http.get(`${FHIR_BASE}/:type`, ({ request }) => {
    seen.push({ url: request.url, auth: request.headers.get('authorization'), at: Date.now() })
    return HttpResponse.json(emptySet)
  })
)

let h: Harness
beforeAll(async () => {
  fhir.listen({ onUnhandledRequest: 'error' })
  h = await createHarness()
})
afterEach(() => {
  fhir.resetHandlers()
  seen.length = 0
})
afterAll(() => fhir.close())

describe('discovery', () => {
  it('lists the three services with prefetch templates', async () => {
    const res = await h.call('/cds-services')
    expect(res.status).toBe(200)
    const body = (await res.json()) as { services: { id: string; hook: string }[] }
    expect(body.services.map((s) => `${s.id}:${s.hook}`)).toEqual([
      'imaging-ai-findings:org.imaging-cds.imaging-study-complete',
      'imaging-ai-order-check:order-select',
      'imaging-ai-outstanding:patient-view',
    ])
  })

  it('announces the configured name of the custom imaging hook', async () => {
    const renamed = await createHarness({ CDS_IMAGING_HOOK: 'org.example.imaging-study-complete' })
    const body = (await (await renamed.call('/cds-services')).json()) as {
      services: { hook: string }[]
    }
    expect(body.services[0]!.hook).toBe('org.example.imaging-study-complete')
    const renamedCall = await renamed.call(
      '/cds-services/imaging-ai-findings',
      isc({ hook: 'org.example.imaging-study-complete', prefetch: fullPrefetch })
    )
    expect(renamedCall.status).toBe(200)
    // The plain name stays an alias; another organisation's name does not.
    const plainName = await renamed.call(
      '/cds-services/imaging-ai-findings',
      isc({ prefetch: fullPrefetch })
    )
    expect(plainName.status).toBe(200)
    const otherName = await renamed.call(
      '/cds-services/imaging-ai-findings',
      isc({ hook: 'org.imaging-cds.imaging-study-complete', prefetch: fullPrefetch })
    )
    expect(otherName.status).toBe(400)
  })
})

describe('status codes', () => {
  it('401 without detail for a call without a token, and for a forged one', async () => {
    for (const authorization of [undefined, 'Bearer eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.']) {
      const res = await h.app.request('http://localhost/cds-services', {
        headers: authorization ? { authorization } : {},
      })
      await expectValidResponse(res, 'discovery')
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe('Bearer')
      const body = (await res.json()) as { issue: { diagnostics: string }[] }
      expect(body.issue[0]!.diagnostics).toBe('Unauthorized')
    }
  })

  it('404 for an unknown service', async () => {
    const res = await h.call('/cds-services/nope', isc())
    expect(res.status).toBe(404)
    expect(await res.text()).toContain('Unknown CDS service: nope')
  })

  it('400 for malformed JSON', async () => {
    const res = await h.call('/cds-services/imaging-ai-findings', undefined, { raw: '{"hook": ' })
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('Malformed JSON')
  })

  it('400 for an empty body', async () => {
    const res = await h.call('/cds-services/imaging-ai-findings', undefined, { raw: '' })
    expect(res.status).toBe(400)
  })

  it('400 naming an empty body for a body of white space only', async () => {
    const res = await h.call('/cds-services/imaging-ai-findings', undefined, {
      raw: ' \n\t\r\u00a0\ufeff\u2028 ',
    })
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('Request body is empty')
  })

  it('400 for a JSON body that is not a request', async () => {
    const res = await h.call('/cds-services/imaging-ai-findings', [1, 2])
    expect(res.status).toBe(400)
  })

  it('400 when the hook does not match the service', async () => {
    const res = await h.call('/cds-services/imaging-ai-findings', isc({ hook: 'patient-view' }))
    expect(res.status).toBe(400)
    expect(await res.text()).toContain(
      'answers the org.imaging-cds.imaging-study-complete hook (or imaging-study-complete), not patient-view'
    )
  })

  it('400 when required context is missing, naming the field', async () => {
    const res = await h.call(
      '/cds-services/imaging-ai-findings',
      isc({ context: { patientId: 'p1' } })
    )
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('context.imagingStudyId')
    const os = await h.call('/cds-services/imaging-ai-order-check', {
      hook: 'order-select',
      hookInstance: crypto.randomUUID(),
      context: { patientId: 'p1', userId: 'Practitioner/1', selections: [] },
    })
    expect(os.status).toBe(400)
    expect(await os.text()).toContain('context.draftOrders')
  })

  it('400 when fhirAuthorization comes without fhirServer', async () => {
    const res = await h.call(
      '/cds-services/imaging-ai-findings',
      isc({ fhirAuthorization: withFhir.fhirAuthorization })
    )
    expect(res.status).toBe(400)
  })

  it('412 when data is neither prefetched nor fetchable', async () => {
    const res = await h.call('/cds-services/imaging-ai-findings', isc())
    expect(res.status).toBe(412)
    expect(await res.text()).toMatch(/study \(not in prefetch\)/)
  })

  it('412 when fhirServer comes without an access token (outside development mode)', async () => {
    const res = await h.call('/cds-services/imaging-ai-findings', isc({ fhirServer: FHIR_BASE }))
    expect(res.status).toBe(412)
    expect(seen).toHaveLength(0)
  })

  it('413 for a body above the limit, before parsing', async () => {
    const small = await createHarness({ CDS_BODY_LIMIT_BYTES: '2048' })
    const res = await small.call('/cds-services/imaging-ai-findings', undefined, {
      raw: JSON.stringify(isc({ padding: 'x'.repeat(4096) })),
    })
    expect(res.status).toBe(413)
  })

  it('404 as an OperationOutcome for an unknown path', async () => {
    const res = await h.call('/nowhere')
    expect(res.status).toBe(404)
    expect(((await res.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome')
  })
})

describe('prefetch', () => {
  it('answers from complete prefetch without calling the FHIR server', async () => {
    const res = await h.call(
      '/cds-services/imaging-ai-findings',
      isc({ ...withFhir, prefetch: fullPrefetch })
    )
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ cards: [] })
    expect(seen).toHaveLength(0)
  })

  it('fetches missing keys with the bearer token, in parallel', async () => {
    const { patient: _p, study: _s, ...partial } = fullPrefetch
    const res = await h.call(
      '/cds-services/imaging-ai-findings',
      isc({ ...withFhir, prefetch: partial })
    )
    expect(res.status).toBe(200)
    const urls = seen.map((s) => new URL(s.url).pathname)
    expect(urls.sort()).toEqual(['/r4/ImagingStudy/s1', '/r4/Patient/p1'])
    expect(seen.every((s) => s.auth === `Bearer ${ACCESS_TOKEN}`)).toBe(true)
    // Both reads were in flight at once: each started before the other finished.
    const [a, b] = seen
    expect(a!.at).toBeLessThan(b!.done!)
    expect(b!.at).toBeLessThan(a!.done!)
  })

  it('treats null and an empty searchset as "found nothing" and does not fetch them again', async () => {
    const res = await h.call(
      '/cds-services/imaging-ai-findings',
      isc({ ...withFhir, prefetch: { ...fullPrefetch, patient: null, orders: emptySet } })
    )
    expect(res.status).toBe(200)
    expect(seen).toHaveLength(0)
  })

  it('refetches a key whose prefetch value is an OperationOutcome', async () => {
    const failed = {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'timeout' }],
    }
    const res = await h.call(
      '/cds-services/imaging-ai-findings',
      isc({ ...withFhir, prefetch: { ...fullPrefetch, study: failed } })
    )
    expect(res.status).toBe(200)
    expect(seen.map((s) => new URL(s.url).pathname)).toEqual(['/r4/ImagingStudy/s1'])
  })

  it('follows next links of a paginated prefetch Bundle', async () => {
    const page1: Bundle = {
      ...emptySet,
      link: [{ relation: 'next', url: `${FHIR_BASE}/Observation?page=2` }],
    }
    const res = await h.call(
      '/cds-services/imaging-ai-findings',
      isc({ ...withFhir, prefetch: { ...fullPrefetch, findings: page1 } })
    )
    expect(res.status).toBe(200)
    expect(seen.map((s) => new URL(s.url).search)).toEqual(['?page=2'])
  })

  it('does not follow next links to another origin', async () => {
    const page1: Bundle = {
      ...emptySet,
      link: [{ relation: 'next', url: 'https://evil.test/Observation?page=2' }],
    }
    const res = await h.call(
      '/cds-services/imaging-ai-findings',
      isc({ ...withFhir, prefetch: { ...fullPrefetch, findings: page1 } })
    )
    expect(res.status).toBe(200)
    expect(seen).toHaveLength(0)
  })

  it('makes no request to a fhirServer the caller is not allowed', async () => {
    let called = false
    fhir.use(
      http.get('https://elsewhere.test/*', () => {
        called = true
        return HttpResponse.json(patient)
      })
    )
    const res = await h.call(
      '/cds-services/imaging-ai-findings',
      isc({ ...withFhir, fhirServer: 'https://elsewhere.test/r4' })
    )
    expect(res.status).toBe(412)
    expect(called).toBe(false)
  })
})

describe('failing FHIR servers', () => {
  it('answers 412 quickly when the FHIR server is down', async () => {
    fhir.use(http.get(`${FHIR_BASE}/*`, () => HttpResponse.error()))
    const res = await h.call('/cds-services/imaging-ai-findings', isc(withFhir))
    expect(res.status).toBe(412)
    expect(await res.text()).toContain('unreachable')
  })

  it('answers within the budget when the FHIR server hangs', async () => {
    const quick = await createHarness({ CDS_HOOK_BUDGET_MS: '300' })
    fhir.use(
      http.get(`${FHIR_BASE}/*`, async () => {
        await delay('infinite')
        return HttpResponse.json(patient)
      })
    )
    // Virtual time: the budget's own timer ends the wait, at 300 ms however busy the machine.
    const run = await virtualTime(() =>
      quick.call('/cds-services/imaging-ai-findings', isc(withFhir))
    )
    expect(run.ms).toBeLessThanOrEqual(300)
    expect(run.value.status).toBe(412)
    expect(await run.value.text()).toContain('did not answer in time')
  })

  it('answers 412 when the FHIR server sends garbage', async () => {
    fhir.use(
      http.get(`${FHIR_BASE}/*`, () => new HttpResponse('<html>oops</html>', { status: 200 }))
    )
    const res = await h.call('/cds-services/imaging-ai-findings', isc(withFhir))
    expect(res.status).toBe(412)
    expect(await res.text()).toContain('not FHIR JSON')
  })

  it('answers with what it has when only an optional key fails', async () => {
    fhir.use(http.get(`${FHIR_BASE}/Observation`, () => new HttpResponse(null, { status: 500 })))
    const { smoking: _s, ...partial } = fullPrefetch
    const res = await h.call(
      '/cds-services/imaging-ai-findings',
      isc({ ...withFhir, prefetch: partial })
    )
    expect(res.status).toBe(200)
  })
})

describe('CORS', () => {
  it('answers a preflight without a JWT and allows Authorization', async () => {
    const res = await h.app.request('http://localhost/cds-services/imaging-ai-findings', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://ehr.test',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('https://ehr.test')
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain(
      'authorization'
    )
  })

  it('sets Access-Control-Allow-Origin on real responses for allowed origins only', async () => {
    const ok = await h.call('/cds-services', undefined, { headers: { origin: 'https://ehr.test' } })
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://ehr.test')
    const other = await h.call('/cds-services', undefined, {
      headers: { origin: 'https://evil.test' },
    })
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
    expect(ok.headers.get('vary')).toContain('Origin')
    expect(other.headers.get('vary')).toContain('Origin')
  })

  it('sets the same headers on error answers (401 without a token, 404)', async () => {
    for (const path of ['/cds-services/imaging-ai-findings', '/no-such-endpoint']) {
      const res = await h.app.request(`http://localhost${path}`, {
        method: 'POST',
        headers: { origin: 'https://ehr.test', 'content-type': 'application/json' },
        body: '{}',
      })
      expect(res.status).toBeGreaterThanOrEqual(400)
      expect(res.headers.get('access-control-allow-origin')).toBe('https://ehr.test')
      expect(res.headers.get('vary')).toContain('Origin')
    }
  })
})

describe('feedback', () => {
  const item = {
    card: '0b7e3c8a-3f55-5a3c-9e1f-2c3d4e5f6a7b',
    outcome: 'overridden',
    overrideReason: {
      reason: { system: 'urn:imaging-cds:override-reason', code: 'already-addressed' },
    },
    outcomeTimestamp: '2026-11-29T10:05:31Z',
  }

  it('accepts arrays and repeats idempotently', async () => {
    const path = '/cds-services/imaging-ai-findings/feedback'
    await h.issueCards([item.card])
    const first = await h.call(path, { feedback: [item, item] })
    expect(first.status).toBe(200)
    const again = await h.call(path, { feedback: [item] })
    expect(again.status).toBe(200)
    expect(
      h.logs.filter((l) => l.includes('"feedback.outcome"') && l.includes(item.card))
    ).toHaveLength(1)
  })

  it('400 for feedback that breaks the rules', async () => {
    const res = await h.call('/cds-services/imaging-ai-findings/feedback', {
      feedback: [{ card: item.card, outcome: 'accepted', outcomeTimestamp: item.outcomeTimestamp }],
    })
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('acceptedSuggestions')
  })

  it('404 for feedback to an unknown service', async () => {
    const res = await h.call('/cds-services/nope/feedback', { feedback: [item] })
    expect(res.status).toBe(404)
  })
})

describe('health', () => {
  it('answers without a token', async () => {
    const res = await h.app.request('http://localhost/healthz')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok' })
  })

  it('warns loudly in development mode', async () => {
    const dev = await createHarness({ CDS_DEV_MODE: '1' })
    expect(await (await dev.app.request('http://localhost/healthz')).json()).toMatchObject({
      warning: expect.stringContaining('DEVELOPMENT MODE'),
    })
  })
})

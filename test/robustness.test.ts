/**
 * Adversarial tests of the service's promise: bad input gets a clear 4xx, never a 500 or a hang;
 * FHIR servers that fail, hang or send garbage cost at most the time budget and the hook still
 * answers; access tokens and PHI are never logged; `fhirServer` is used only when the issuer's
 * allowlist admits it, and the token never leaves the admitted base. In-process with
 * `app.request`; the FHIR server is mocked with msw, or with an injected fetch where msw cannot
 * misbehave enough (a fetch that ignores its abort signal). Every response is validated by the
 * harness. The last test reads the logs of every harness built here.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { setupServer } from 'msw/node'
import { http, HttpResponse } from 'msw'
import type { Bundle, FhirResource } from 'fhir/r4'
import { loadFixtureResources } from '../fixtures'
import { createFhirClient } from '../src/fhir/client'
import type { AppDeps } from '../src/app'
import type { Card } from '../src/cards/types'
import {
  ACCESS_TOKEN,
  createHarness,
  FHIR_BASE,
  fhirAuthorization,
  type Harness,
} from './support/harness'
import { costRatio } from './support/cost'
import { virtualTime } from './support/fake-clock'

type Json = Record<string, unknown>

// ---------------------------------------------------------------------------------------------
// Test data: the screening-4a fixture (one solid nodule, Lung-RADS 4A), renamed per patient so
// concurrent calls can be told apart and the logs searched for any of its ids.

const template = JSON.stringify(loadFixtureResources('screening-4a'))
/** The scenario's resources for patient `pat-rb{n}` (study `study-rb{n}`, report `dr-rb{n}`). */
const resourcesOf = (n: number) =>
  JSON.parse(template.replaceAll('screening-4a', `rb${n}`)) as (FhirResource & Json)[]
const PHI = /pat-rb|study-rb|dr-rb|obs-rb|sr-rb/

const searchset = (resources: unknown[]): Bundle =>
  ({
    resourceType: 'Bundle',
    type: 'searchset',
    entry: resources.map((resource) => ({ resource })),
  }) as Bundle
const emptySet = searchset([])

/** The resources of a Bundle as plain JSON, to mutate. */
const entriesOf = (bundle: unknown) =>
  ((bundle as Bundle).entry ?? []).map((e) => e.resource as unknown as Json)

const isSmoking = (r: FhirResource) => JSON.stringify(r).includes('72166-2')
const ofType = (rs: FhirResource[], type: string) => rs.filter((r) => r.resourceType === type)

/** The prefetch an EHR would send for patient n, as plain JSON to mutate. */
function prefetchOf(n: number) {
  const rs = resourcesOf(n)
  const observations = ofType(rs, 'Observation')
  return {
    patient: ofType(rs, 'Patient')[0],
    study: ofType(rs, 'ImagingStudy')[0],
    studies: searchset(ofType(rs, 'ImagingStudy')),
    reports: searchset(ofType(rs, 'DiagnosticReport')),
    findings: searchset(observations.filter((o) => !isSmoking(o))),
    smoking: searchset(observations.filter(isSmoking)),
    orders: searchset(ofType(rs, 'ServiceRequest')),
  } as Json
}

const auth = fhirAuthorization()
const withFhir = { fhirServer: FHIR_BASE, fhirAuthorization: auth }

/** An imaging-study-complete request for patient n (no prefetch unless given). */
const isc = (n: number, over: Json = {}): Json => ({
  hook: 'imaging-study-complete',
  hookInstance: crypto.randomUUID(),
  context: {
    patientId: `pat-rb${n}`,
    imagingStudyId: `study-rb${n}`,
    diagnosticReportId: `dr-rb${n}`,
  },
  ...over,
})
const patientView = (n: number, over: Json = {}): Json => ({
  hook: 'patient-view',
  hookInstance: crypto.randomUUID(),
  context: { patientId: `pat-rb${n}` },
  ...over,
})
const orderSelect = (n: number, over: Json = {}): Json => ({
  hook: 'order-select',
  hookInstance: crypto.randomUUID(),
  context: {
    patientId: `pat-rb${n}`,
    selections: ['ServiceRequest/draft-1'],
    draftOrders: searchset([
      {
        resourceType: 'ServiceRequest',
        id: 'draft-1',
        status: 'draft',
        intent: 'proposal',
        subject: { reference: `Patient/pat-rb${n}` },
        code: { coding: [{ system: 'http://loinc.org', code: '29252-4' }] },
        occurrenceDateTime: '2026-12-01',
      },
    ]),
  },
  ...over,
})
const FINDINGS = '/cds-services/imaging-ai-findings'
const OUTSTANDING = '/cds-services/imaging-ai-outstanding'
const ORDER_CHECK = '/cds-services/imaging-ai-order-check'

// ---------------------------------------------------------------------------------------------
// The FHIR server: serves every renamed patient's resources by read and by patient search, and
// records what was asked (URL as sent, Authorization header).

type Seen = { url: string; auth: string | null }
const seen: Seen[] = []
const record = (request: Request) =>
  seen.push({ url: request.url, auth: request.headers.get('authorization') })

function serveScenario(request: Request): Response {
  const url = new URL(request.url)
  const [type, id] = url.pathname.slice(new URL(FHIR_BASE).pathname.length + 1).split('/')
  const n = Number((id ?? url.searchParams.get('patient') ?? '').match(/rb(\d+)/)?.[1] ?? NaN)
  const rs = Number.isNaN(n) ? [] : resourcesOf(n).filter((r) => r.resourceType === type)
  if (id) {
    const found = rs.find((r) => r.id === id)
    return found ? HttpResponse.json(found) : new HttpResponse(null, { status: 404 })
  }
  const code = url.searchParams.get('code')
  const matches = rs.filter((r) =>
    type === 'Observation' ? isSmoking(r) === !!code?.includes('72166-2') : true
  )
  return HttpResponse.json(searchset(matches))
}

const fhir = setupServer(
  http.get(`${FHIR_BASE}/*`, ({ request }) => {
    record(request)
    return serveScenario(request)
  })
)

const harnesses: Harness[] = []
/** A harness whose logs the final test reads. */
async function harness(env: Record<string, string> = {}, deps: AppDeps = {}) {
  const h = await createHarness(env, deps)
  harnesses.push(h)
  return h
}

let h: Harness
beforeAll(async () => {
  fhir.listen({ onUnhandledRequest: 'error' })
  h = await harness()
})
afterEach(() => {
  fhir.resetHandlers()
  seen.length = 0
})
afterAll(() => fhir.close())

async function post(path: string, body: unknown, on: Harness = h) {
  const res = await on.call(path, body)
  return { status: res.status, text: await res.text() }
}
const cardsOf = (text: string) => (JSON.parse(text) as { cards: Card[] }).cards
/** A normal call with full prefetch: what adversarial calls' costs are compared with. */
const normalCall = async () =>
  expect((await post(FINDINGS, isc(1, { prefetch: prefetchOf(1) }))).status).toBe(200)

// ---------------------------------------------------------------------------------------------

describe('request bodies: a clear 4xx, never a 500', () => {
  const base = isc(1, { prefetch: prefetchOf(1) })
  it.each<[string, unknown, string]>([
    ['context is an array', { ...base, context: [] }, 'context'],
    ['context is a string', { ...base, context: 'p1' }, 'context'],
    ['context is null', { ...base, context: null }, 'context'],
    ['prefetch is an array', { ...base, prefetch: [] }, 'prefetch'],
    ['prefetch is a string', { ...base, prefetch: 'x' }, 'prefetch'],
    [
      'fhirAuthorization is a string',
      { ...base, ...withFhir, fhirAuthorization: 'x' },
      'fhirAuthorization',
    ],
    ['hookInstance is 10 kB', { ...base, hookInstance: 'x'.repeat(10_000) }, 'hookInstance'],
    ['the body is null', null, 'body'],
    ['the body is a string', 'hello', 'body'],
  ])('400 when %s', async (_what, body, field) => {
    const res = await post(FINDINGS, body)
    expect(res.status).toBe(400)
    expect(res.text).toContain(field)
  })

  it('400 for order-select selections that are not strings and draftOrders that are no Bundle', async () => {
    for (const [context, field] of [
      [{ selections: [1, null] }, 'context.selections'],
      [{ draftOrders: [] }, 'context.draftOrders'],
      [{ draftOrders: { resourceType: 'Patient' } }, 'context.draftOrders'],
    ] as const) {
      const body = orderSelect(1, { prefetch: prefetchOf(1) })
      Object.assign(body.context as Json, context)
      const res = await post(ORDER_CHECK, body)
      expect(res.status).toBe(400)
      expect(res.text).toContain(field)
    }
  })

  it.each([
    ['a dot segment', '..'],
    ['a path', '../../admin'],
    ['a query', 'p1?_format=xml'],
    ['a fragment', 'p1#x'],
    ['an encoded dot', '%2e%2e'],
    ['a control character', 'p1\u0000\u0007'],
    ['a right-to-left override', 'p1\u202e'],
    ['non-ASCII letters', 'pätiënt'],
  ])('400 for a context id with %s, before any FHIR request', async (_what, patientId) => {
    for (const field of ['patientId', 'imagingStudyId', 'diagnosticReportId']) {
      const body = isc(1, withFhir)
      ;(body.context as Json)[field] = patientId
      const res = await post(FINDINGS, body)
      expect(res.status).toBe(400)
      expect(res.text).toContain(`context.${field}`)
    }
    expect(seen).toEqual([])
  })

  it('400 for an access token that cannot go into a header, without repeating it', async () => {
    for (const token of ['tökén-with-ümlauts', 'abc\r\nX-Injected: 1', 'two words']) {
      const res = await post(
        FINDINGS,
        isc(1, { ...withFhir, fhirAuthorization: { ...auth, access_token: token } })
      )
      expect(res.status).toBe(400)
      expect(res.text).toContain('fhirAuthorization.access_token')
      expect(res.text).not.toContain(token)
    }
    expect(seen).toEqual([])
  })

  it('lists a few problems, not a million, for a body of a million wrongly typed items', async () => {
    // A 2 MB body used to take ~6 s (some 600 normal calls) and come back as a 76 MB
    // OperationOutcome. Costs are ratios to a normal call measured alongside, never a time limit.
    const body = orderSelect(1)
    ;(body.context as Json).selections = Array(1_000_000).fill(1)
    let res = await post(ORDER_CHECK, body)
    expect(res.status).toBe(400)
    expect(res.text).toContain('context.selections: at most 1000 selections')
    expect(res.text.length).toBeLessThan(2000)
    const flood = () => post(ORDER_CHECK, body)
    expect(await costRatio(normalCall, flood, 3)).toBeLessThan(50)

    ;(body.context as Json).selections = Array(1000).fill(1)
    res = await post(ORDER_CHECK, body)
    expect(res.status).toBe(400)
    expect(res.text).toContain('context.selections.9: Invalid input')
    expect(res.text).toContain('and 990 more')
    expect(res.text.length).toBeLessThan(2000)

    res = await post(`${FINDINGS}/feedback`, { feedback: Array(600_000).fill(1) })
    expect(res.status).toBe(400)
    expect(res.text).toContain('at most 1000 entries')
    res = await post(`${FINDINGS}/feedback`, { feedback: Array(1000).fill(1) })
    expect(res.status).toBe(400)
    expect(res.text.length).toBeLessThan(2000)
    const feedbackFlood = () => post(`${FINDINGS}/feedback`, { feedback: Array(600_000).fill(1) })
    expect(await costRatio(normalCall, feedbackFlood, 3)).toBeLessThan(50)
  })

  it('answers JSON nested 10 000 levels deep, at once', async () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`
    const deepObject = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`
    const raw = JSON.stringify(isc(1, { prefetch: prefetchOf(1) }))
      .replace('"context":{', `"context":{"x":${deep},"y":${deepObject},`)
      .replace('"resourceType":"Patient",', `"resourceType":"Patient","extension":${deep},`)
    const deepCall = async () =>
      expect((await h.call(FINDINGS, undefined, { raw })).status).toBe(200)
    expect(await costRatio(normalCall, deepCall, 3)).toBeLessThan(20)
  })

  it('neither pollutes prototypes nor reads context through __proto__', async () => {
    const prefetch = JSON.stringify(prefetchOf(1))
    const raws = [
      `{"hook":"imaging-study-complete","hookInstance":"h1","context":{"__proto__":{"patientId":"pat-rb1","imagingStudyId":"study-rb1"}},"prefetch":${prefetch}}`,
      `{"hook":"imaging-study-complete","hookInstance":"h2","context":{"patientId":"pat-rb1","imagingStudyId":"study-rb1","constructor":{"prototype":{"polluted":1}},"__proto__":{"polluted":1}},"prefetch":${prefetch.replace('{', '{"__proto__":{"polluted":1},"constructor":{"resourceType":"Bundle"},')}}`,
      `{"hook":"imaging-study-complete","hookInstance":"h3","context":{"patientId":"pat-rb1","imagingStudyId":"study-rb1"},"prefetch":${prefetch.replaceAll('"resourceType":"Observation",', '"resourceType":"Observation","__proto__":{"polluted":1},"code":{"__proto__":{"coding":1}},')}}`,
    ]
    const statuses = []
    for (const raw of raws) statuses.push((await h.call(FINDINGS, undefined, { raw })).status)
    expect(statuses).toEqual([400, 200, 200])
    expect(({} as Json).polluted).toBeUndefined()
    expect(Object.prototype).not.toHaveProperty('patientId')
  })

  it('takes the last of duplicate keys, as JSON.parse does', async () => {
    const raw = JSON.stringify(isc(1, { prefetch: prefetchOf(1) })).replace(
      '"hook":"imaging-study-complete"',
      '"hook":"patient-view","hook":"imaging-study-complete"'
    )
    expect((await h.call(FINDINGS, undefined, { raw })).status).toBe(200)
  })

  it('answers a 4.9 MB body of many small resources in linear time, and refuses a key of 22 000', async () => {
    // 3000 resources, the most one call may bring (1000 per key), padded to 4.9 MB with narrative.
    // Its cost is compared with a tenth of it (linear work: about 10 times; quadratic: 100), as a
    // median ratio measured here, never as an absolute time (test/support/cost.ts).
    const prefetch = prefetchOf(1)
    const many = (key: string, prefix: string, pad: number, count: number) => {
      const [resource] = entriesOf(prefetch[key])
      return searchset(
        Array.from({ length: count }, (_, i) => ({
          ...resource,
          id: `${prefix}${i}`,
          text: { status: 'generated', div: 'x'.repeat(pad) },
        }))
      )
    }
    const build = (pad: number, count = 1000) =>
      JSON.stringify(
        isc(1, {
          prefetch: {
            ...prefetch,
            findings: many('findings', 'obs-', pad, count),
            reports: many('reports', 'dr-', pad, count),
            orders: many('orders', 'sr-', pad, count),
          },
        })
      )
    const pad = Math.floor((4_900_000 - build(0).length) / 3000)
    const raw = build(pad)
    expect(raw.length).toBeGreaterThan(4_800_000)
    expect(raw.length).toBeLessThan(5 * 1024 * 1024)
    const tenth = build(pad, 100)
    const call = (body: string) => async () =>
      expect((await h.call(FINDINGS, undefined, { raw: body })).status).toBe(200)
    expect(await costRatio(call(tenth), call(raw), 3)).toBeLessThan(40)

    const tiny = { resourceType: 'Observation', status: 'final', code: { text: 'x' } }
    const flood = (count: number) => async () => {
      const findings = searchset(
        Array.from({ length: count }, (_, i) => ({ ...tiny, id: `o${i}` }))
      )
      const res = await post(FINDINGS, isc(1, { prefetch: { ...prefetch, findings } }))
      expect(res.status).toBe(412)
      expect(res.text).toContain('findings (more than 1000 resources')
    }
    expect(await costRatio(flood(2200), flood(22_000), 3)).toBeLessThan(40)
  })
})

describe('malformed FHIR JSON in prefetch and draftOrders: never a 500', () => {
  const studyPatch = (patch: Json) => {
    const prefetch = prefetchOf(1)
    Object.assign(prefetch.study as Json, patch)
    return isc(1, { prefetch })
  }
  const withEntries = (key: string, entry: unknown) => {
    const prefetch = prefetchOf(1)
    ;(prefetch[key] as Json).entry = entry
    return isc(1, { prefetch })
  }
  it.each<[string, Json]>([
    [
      'Bundle entries that are null, numbers, strings, arrays',
      withEntries('reports', [
        null,
        1,
        'x',
        [],
        {},
        { resource: null },
        { resource: 'x' },
        { resource: { id: 'no-type' } },
      ]),
    ],
    ['Bundle.entry as an object', withEntries('reports', { a: 1 })],
    ['Bundle.entry as a string', withEntries('findings', 'abc')],
    [
      'Bundle.link as a string',
      isc(1, { prefetch: { ...prefetchOf(1), findings: { ...emptySet, link: 'abc' } } }),
    ],
    [
      'Bundle.link items that are null',
      isc(1, { prefetch: { ...prefetchOf(1), findings: { ...emptySet, link: [null] } } }),
    ],
    [
      'study elements of the wrong JSON type',
      studyPatch({
        identifier: 'x',
        endpoint: 'x',
        basedOn: 5,
        subject: 'x',
        series: 'x',
        contained: 'x',
        procedureCode: {},
        started: 5,
      }),
    ],
    [
      'study arrays of nulls',
      studyPatch({
        identifier: [null],
        endpoint: [null],
        basedOn: [null],
        series: [null],
        contained: [null],
        modality: [null],
      }),
    ],
    [
      'resources without resourceType',
      isc(1, {
        prefetch: { ...prefetchOf(1), patient: { id: 'x' }, orders: searchset([{ id: 'y' }]) },
      }),
    ],
    [
      'a resourceType that is a number or __proto__',
      isc(1, {
        prefetch: {
          ...prefetchOf(1),
          patient: { resourceType: 5 },
          orders: searchset([{ resourceType: '__proto__' }, { resourceType: 'constructor' }]),
        },
      }),
    ],
  ])('200 for %s', async (_what, body) => {
    expect((await post(FINDINGS, body)).status).toBe(200)
  })

  it('200 for draftOrders entries that are null, not objects or not resources', async () => {
    const body = orderSelect(1, { prefetch: prefetchOf(1) })
    ;(body.context as Json).draftOrders = {
      resourceType: 'Bundle',
      entry: [
        null,
        1,
        'x',
        {},
        { resource: 5 },
        { resource: { id: 'draft-1' } },
        {
          resource: {
            resourceType: 'ServiceRequest',
            id: 'draft-1',
            code: { text: 5, coding: [null, { code: 7 }] },
          },
        },
      ],
    }
    expect((await post(ORDER_CHECK, body)).status).toBe(200)
  })

  it('drops a date that is no calendar date and still issues the card', async () => {
    const res = await post(FINDINGS, studyPatch({ started: '2026-02-31T10:00:00Z' }))
    expect(res.status).toBe(200)
    expect(cardsOf(res.text)[0]?.summary).toContain('Lung-RADS 4A')
  })

  it('survives a seeded fuzz: wrong JSON types anywhere in the three hooks', async () => {
    const values = [
      null,
      1,
      -1,
      'x',
      '',
      '2026-02-31',
      '2026-13-01',
      [],
      {},
      [null],
      [1],
      ['x'],
      true,
      { resourceType: 'X' },
      [{}],
      { coding: 'x' },
      { reference: 5 },
    ]
    let seed = 42
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!
    const paths = (value: unknown, path: (string | number)[] = []): (string | number)[][] => [
      path,
      ...(Array.isArray(value)
        ? value.flatMap((v, i) => paths(v, [...path, i]))
        : value && typeof value === 'object'
          ? Object.entries(value).flatMap(([k, v]) => paths(v, [...path, k]))
          : []),
    ]
    const failures: string[] = []
    for (const [path, make] of [
      [FINDINGS, () => isc(1, { prefetch: prefetchOf(1) })],
      [OUTSTANDING, () => patientView(1, { prefetch: prefetchOf(1) })],
      [ORDER_CHECK, () => orderSelect(1, { prefetch: prefetchOf(1) })],
    ] as const) {
      const targets = paths(make()).filter(
        (p) => p.length > 1 && (p[0] === 'prefetch' || p[0] === 'context')
      )
      for (let i = 0; i < 120; i++) {
        const body = make()
        const changes = Array.from({ length: 1 + Math.floor(random() * 3) }, () => {
          const target = pick(targets)
          const value = structuredClone(pick(values))
          let parent: unknown = body
          for (const key of target.slice(0, -1)) parent = (parent as Json | undefined)?.[key]
          if (parent && typeof parent === 'object') (parent as Json)[target.at(-1)!] = value
          return `${target.join('.')}=${JSON.stringify(value)}`
        })
        const res = await h.call(path, body)
        if (res.status >= 500) failures.push(`${path} ${changes.join(' ')}`)
      }
    }
    expect(failures).toEqual([])
  })
})

describe('FHIR server answers', () => {
  const answer = (path: string, make: (request: Request) => Response | Promise<Response>) =>
    fhir.use(
      http.get(`${FHIR_BASE}/${path}`, ({ request }) => {
        record(request)
        return make(request)
      })
    )

  it('200 for Bundles whose entries or links are garbage', async () => {
    answer('DiagnosticReport', () =>
      HttpResponse.json({
        resourceType: 'Bundle',
        entry: [null, 1, { resource: null }, { resource: 5 }],
      })
    )
    answer('Observation', () =>
      HttpResponse.json({ resourceType: 'Bundle', entry: { a: 1 }, link: 'x' })
    )
    answer('ServiceRequest', () =>
      HttpResponse.json({
        resourceType: 'Bundle',
        entry: [],
        link: [null, { relation: 'next', url: 5 }, { relation: 'next', url: 'http://[' }],
      })
    )
    const res = await post(FINDINGS, isc(1, withFhir))
    expect(res.status).toBe(200)
  })

  it('ignores a resource of the wrong type for a read', async () => {
    answer('Patient/pat-rb1', () =>
      HttpResponse.json({
        resourceType: 'Observation',
        id: 'x',
        status: 'final',
        code: { text: 'x' },
      })
    )
    answer('ImagingStudy/study-rb1', () => HttpResponse.json(emptySet))
    const res = await post(FINDINGS, isc(1, withFhir))
    expect(res.status).toBe(200)
    expect(cardsOf(res.text)).toEqual([])
  })

  it('follows an endless next chain a bounded number of times, and a self-loop once', async () => {
    let page = 0
    answer('DiagnosticReport', () =>
      HttpResponse.json({
        ...emptySet,
        total: 1e308,
        link: [{ relation: 'next', url: `${FHIR_BASE}/DiagnosticReport?page=${++page}` }],
      })
    )
    answer('ServiceRequest', () =>
      HttpResponse.json({
        ...emptySet,
        link: [{ relation: 'next', url: `${FHIR_BASE}/ServiceRequest?same=1` }],
      })
    )
    const res = await post(FINDINGS, isc(1, withFhir))
    // Twenty pages and still more: the reports are not all there, so they are not assessed.
    expect(res.status).toBe(412)
    expect(res.text).toContain('reports (more than 20 pages, too many to read)')
    const count = (type: string) =>
      seen.filter((s) => new URL(s.url).pathname.endsWith(type)).length
    expect(count('/DiagnosticReport')).toBe(20)
    expect(count('/ServiceRequest')).toBe(2)
  })

  it('never follows a next link outside the FHIR base, even on the same host', async () => {
    answer('DiagnosticReport', () =>
      HttpResponse.json({
        ...emptySet,
        link: [{ relation: 'next', url: 'https://fhir.test/admin/export' }],
      })
    )
    fhir.use(
      http.get(
        'https://fhir.test/admin/*',
        ({ request }) => (record(request), HttpResponse.json(emptySet))
      )
    )
    expect((await post(FINDINGS, isc(1, withFhir))).status).toBe(200)
    expect(seen.filter((s) => s.url.includes('/admin'))).toEqual([])
  })

  it('answers when a body is megabytes of nested arrays or lies about its type', async () => {
    const deep = `{"resourceType":"Bundle","x":${'['.repeat(500_000)}${']'.repeat(500_000)}}`
    // Patient 1's reports are the deep body; patient 2's call is the normal one it is compared with.
    answer('DiagnosticReport', (request) =>
      request.url.includes('rb1')
        ? new HttpResponse(deep, { headers: { 'content-type': 'application/fhir+json' } })
        : serveScenario(request)
    )
    answer(
      'Patient/pat-rb1',
      () =>
        new HttpResponse(JSON.stringify(ofType(resourcesOf(1), 'Patient')[0]), {
          headers: { 'content-type': 'text/html' },
        })
    )
    const res = await post(FINDINGS, isc(1, withFhir))
    expect(res.status).toBe(200)
    const normal = () => post(FINDINGS, isc(2, withFhir))
    expect(await costRatio(normal, () => post(FINDINGS, isc(1, withFhir)), 3)).toBeLessThan(20)
  })

  it('stops reading a body past the size cap, Content-Length or not', async () => {
    let pulled = 0
    const chunk = new Uint8Array(16 * 1024).fill(0x20)
    const stream = () =>
      new ReadableStream<Uint8Array>({
        pull(controller) {
          if (pulled >= 4 * 1024 * 1024) return controller.close()
          pulled += chunk.byteLength
          controller.enqueue(chunk)
        },
      })
    const client = createFhirClient({
      baseUrl: FHIR_BASE,
      fetch: async () => new Response(stream()),
      timeoutMs: 2000,
      maxBytes: 64 * 1024,
    })
    await expect(client.get('Patient/x')).rejects.toThrow('FHIR response too large')
    // The stream may run a chunk or two ahead of the reader; never the whole 4 MB.
    expect(pulled).toBeLessThan(256 * 1024)
  })

  it('answers within the budget when a body drips forever', async () => {
    const quick = await harness({ CDS_HOOK_BUDGET_MS: '400' })
    answer(
      'ImagingStudy/study-rb1',
      () =>
        new HttpResponse(
          new ReadableStream({
            async pull(controller) {
              await new Promise((r) => setTimeout(r, 20))
              controller.enqueue(new TextEncoder().encode(' '))
            },
          }),
          { headers: { 'content-type': 'application/fhir+json' } }
        )
    )
    // Virtual time: the budget's own timer ends the wait, at 400 ms however busy the machine.
    const { value: res, ms } = await virtualTime(() => post(FINDINGS, isc(1, withFhir), quick))
    expect(ms).toBeLessThanOrEqual(400)
    expect(res.status).toBe(412)
    expect(res.text).toContain('study (FHIR server did not answer in time)')
  })

  it('answers within the budget even when the fetch ignores its abort signal', async () => {
    const deaf: AppDeps['fetch'] = async (input) => {
      const url = new URL(input instanceof Request ? input.url : String(input))
      if (url.pathname.endsWith('/ImagingStudy/study-rb1')) return new Promise<Response>(() => {})
      if (url.pathname.endsWith('/Patient/pat-rb1'))
        return new Response(new ReadableStream({ pull: () => new Promise(() => {}) }))
      return serveScenario(new Request(url))
    }
    const quick = await harness({ CDS_HOOK_BUDGET_MS: '400' }, { fetch: deaf })
    const { value: res, ms } = await virtualTime(() => post(FINDINGS, isc(1, withFhir), quick))
    expect(ms).toBeLessThanOrEqual(400)
    expect(res.status).toBe(412)
    expect(res.text).toContain('study (FHIR server did not answer in time)')
  })

  it('412 for 401 and 403 from the FHIR server, never echoing the token', async () => {
    for (const status of [401, 403]) {
      fhir.use(
        http.get(`${FHIR_BASE}/*`, () =>
          HttpResponse.json(
            {
              resourceType: 'OperationOutcome',
              issue: [
                { severity: 'error', code: 'login', diagnostics: `bad token ${ACCESS_TOKEN}` },
              ],
            },
            { status }
          )
        )
      )
      const res = await post(FINDINGS, isc(1, withFhir))
      expect(res.status).toBe(412)
      expect(res.text).toContain(`study (FHIR server answered ${status})`)
      expect(res.text).not.toContain(ACCESS_TOKEN)
    }
  })

  it('keeps a FHIR body that repeats the token out of the answer (and, below, the logs)', async () => {
    answer('Observation', () =>
      HttpResponse.json({
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'x', diagnostics: ACCESS_TOKEN }],
      })
    )
    const res = await post(FINDINGS, isc(1, withFhir))
    expect(res.status).toBe(412)
    expect(res.text).not.toContain(ACCESS_TOKEN)
  })

  it('reads a bounded number of referenced results, a few at a time', async () => {
    let inFlight = 0
    let most = 0
    fhir.use(
      http.get(`${FHIR_BASE}/Observation/:id`, async ({ request, params }) => {
        record(request)
        most = Math.max(most, ++inFlight)
        await new Promise((r) => setTimeout(r, 5))
        inFlight--
        return HttpResponse.json({
          resourceType: 'Observation',
          id: params.id,
          status: 'final',
          code: { text: 'x' },
        })
      })
    )
    const prefetch = prefetchOf(1)
    const [report] = entriesOf(prefetch.reports) as [Json]
    report.result = Array.from({ length: 5000 }, (_, i) => ({ reference: `Observation/o${i}` }))
    const res = await post(
      FINDINGS,
      isc(1, { ...withFhir, prefetch: { ...prefetch, findings: emptySet } })
    )
    expect(res.status).toBe(200)
    expect(seen.length).toBeLessThanOrEqual(100)
    expect(most).toBeLessThanOrEqual(10)
  })
})

describe('SSRF: the token goes only under an allowed FHIR base', () => {
  it.each([
    'https://user:pass@fhir.test/r4',
    'https://fhir.test/r4?x=1',
    'https://fhir.test/r4#fragment',
    'https://fhir.test./r4',
    'http://fhir.test:443/r4',
    'http://fhir.test/r4',
    'https://127.0.0.1/r4',
    'https://xn--fhr-6ka.test/r4',
    'https://fhir.test/r4/..%2f..%2fadmin',
    'https://fhir.test/r4/..%2F..%2Fadmin',
    'https://fhir.test/r4/%5c..%5cadmin',
    'https://fhir.test/r4/%2e%2e/admin',
    'https://fhir.test/r4/.%2E/admin',
  ])('makes no request for fhirServer %s', async (fhirServer) => {
    fhir.use(http.get('*', ({ request }) => (record(request), HttpResponse.json(emptySet))))
    const res = await post(FINDINGS, isc(1, { ...withFhir, fhirServer }))
    expect(res.status).toBe(412)
    expect(seen).toEqual([])
  })

  it('reads references only as Type/id under the base: no absolute URLs, queries or dot segments', async () => {
    fhir.use(http.get('*', ({ request }) => (record(request), serveScenario(request))))
    const prefetch = prefetchOf(1)
    const [report] = entriesOf(prefetch.reports) as [Json]
    report.result = [
      'https://evil.test/r4/Observation/x',
      '//evil.test/Observation/y',
      'Observation/..',
      'Observation/.',
      'Observation/x?_format=xml',
      'Observation/../../admin',
      'Observation/%2e%2e',
      ...(report.result as { reference: string }[]).map((r) => r.reference),
    ].map((reference) => ({ reference }))
    ;(prefetch.study as Json).endpoint = [
      { reference: 'Endpoint/..' },
      { reference: 'https://evil.test/Endpoint/1' },
    ]
    ;(prefetch.study as Json).basedOn = [{ reference: 'ServiceRequest/..' }]
    const res = await post(
      FINDINGS,
      isc(1, { ...withFhir, prefetch: { ...prefetch, findings: emptySet } })
    )
    expect(res.status).toBe(200)
    expect(seen.length).toBeGreaterThan(0)
    for (const { url, auth: sent } of seen) {
      // A search (`Type?...`) or a read (`Type/id`) under the base; never the base itself.
      expect(url.startsWith(`${FHIR_BASE}/`), url).toBe(true)
      const path = url.slice(FHIR_BASE.length + 1).split('?')[0]
      expect(path, url).toMatch(/^[A-Z][A-Za-z]+(?:\/(?!\.+$)[A-Za-z0-9.-]+)?$/)
      expect(sent).toBe(`Bearer ${ACCESS_TOKEN}`)
    }
  })
})

describe('Authorization header variants', () => {
  const discovery = async (headers: HeadersInit) =>
    (await h.app.request('http://localhost/cds-services', { headers })).status

  it('accepts the scheme in any case and extra spaces', async () => {
    expect(await discovery({ authorization: `bearer ${await h.token('/cds-services')}` })).toBe(200)
    expect(
      await discovery({ authorization: `Bearer    ${await h.token('/cds-services')}  ` })
    ).toBe(200)
  })

  it('401 for two Authorization values, a 100 kB token, non-ASCII, a tab, Basic, empty', async () => {
    const [a, b] = [await h.token('/cds-services'), await h.token('/cds-services')]
    const cases: HeadersInit[] = [
      [
        ['authorization', `Bearer ${a}`],
        ['authorization', `Bearer ${b}`],
      ],
      { authorization: `Bearer ${'a'.repeat(100_000)}.b.c` },
      { authorization: `Bearer ${(await h.token('/cds-services')).slice(0, -2)}é` },
      { authorization: `Bearer\t${await h.token('/cds-services')}` },
      { authorization: 'Basic dXNlcjpwYXNz' },
      { authorization: '' },
    ]
    for (const headers of cases) expect(await discovery(headers)).toBe(401)
  })
})

describe('bounded work', () => {
  const amended = (count: number, performers: number) =>
    Array.from({ length: count }, (_, i) => ({
      resourceType: 'DiagnosticReport',
      id: `r${i}`,
      status: 'amended',
      issued: new Date(Date.UTC(2026, 10, 16) + i * 1000).toISOString(),
      imagingStudy: [{ reference: 'ImagingStudy/study-rb1' }],
      performer: Array.from({ length: performers }, (_, j) => ({ reference: `Device/d${i}-${j}` })),
    }))

  it('assesses hundreds of amended reports of one study at the cost of a few calls', async () => {
    // Each pair of a study's reports is compared (which amendment replaces which): 400 reports
    // naming 50 devices each took ~6 s of blocked event loop before reports were capped per study.
    const call = async () =>
      expect(
        (
          await post(
            FINDINGS,
            isc(1, { prefetch: { ...prefetchOf(1), reports: searchset(amended(400, 50)) } })
          )
        ).status
      ).toBe(200)
    expect(await costRatio(normalCall, call, 3)).toBeLessThan(50)
  })

  it('caps the links a resource carries: 1000 findings naming 100 studies each, 200 studies', async () => {
    // Every finding is matched against every study through its derivedFrom and partOf links:
    // with 100 links each this held the event loop ~8 s (38 s with 1000 studies).
    const studies = Array.from({ length: 200 }, (_, i) => ({
      resourceType: 'ImagingStudy',
      id: `s${i}`,
      status: 'available',
      started: '2026-10-20',
    }))
    const links = Array.from({ length: 100 }, (_, j) => ({ reference: `ImagingStudy/x${j}` }))
    const findings = Array.from({ length: 1000 }, (_, i) => ({
      resourceType: 'Observation',
      id: `o${i}`,
      status: 'final',
      code: { coding: [{ system: 'http://snomed.info/sct', code: '786838002' }] },
      derivedFrom: links,
    }))
    const call = async () =>
      expect(
        (
          await post(
            OUTSTANDING,
            patientView(1, {
              prefetch: {
                ...prefetchOf(1),
                studies: searchset(studies),
                findings: searchset(findings),
              },
            })
          )
        ).status
      ).toBe(200)
    expect(await costRatio(normalCall, call, 3)).toBeLessThan(100)
  })

  it('refuses a key of thousands of reports quickly instead of assessing it', async () => {
    const call = async () => {
      const res = await post(
        FINDINGS,
        isc(1, { prefetch: { ...prefetchOf(1), reports: searchset(amended(2000, 5)) } })
      )
      expect(res.status).toBe(412)
      expect(res.text).toContain('reports (more than 1000 resources')
    }
    expect(await costRatio(normalCall, call, 3)).toBeLessThan(20)
  })
})

describe('concurrency', () => {
  it('answers 200 parallel calls that read FHIR, each with its own patient only', async () => {
    fhir.use(
      http.get(`${FHIR_BASE}/*`, async ({ request }) => {
        await new Promise((r) => setTimeout(r, Math.random() * 30))
        return serveScenario(request)
      })
    )
    // Isolation is the point, not speed: a budget no loaded CI machine can spend, so a slow
    // read is never taken for a missing one (412).
    const roomy = await harness({ CDS_HOOK_BUDGET_MS: '60000' })
    const answers = await Promise.all(
      Array.from({ length: 200 }, async (_, n) => ({
        n,
        ...(await post(FINDINGS, isc(n, withFhir), roomy)),
      }))
    )
    for (const { n, status, text } of answers) {
      expect(status).toBe(200)
      expect(cardsOf(text)).toHaveLength(1)
      const named = [...text.matchAll(/(?:pat|study|dr|obs|sr)-rb(\d+)/g)].map((m) => Number(m[1]))
      expect(named.length).toBeGreaterThan(0)
      expect(new Set(named)).toEqual(new Set([n]))
    }
  }, 120_000) // a hang guard only: 200 calls on a loaded 2-core CI machine take their time
})

describe('logs', () => {
  it('never held an access token, a JWT, a patient id or a resource body', () => {
    const lines = harnesses.flatMap((x) => x.logs)
    expect(lines.length).toBeGreaterThan(100)
    const bad = lines.filter(
      (line) =>
        line.includes(ACCESS_TOKEN) ||
        line.includes('eyJ') ||
        PHI.test(line) ||
        line.includes('resourceType') ||
        line.includes('Nodule')
    )
    expect(bad).toEqual([])
  })
})

/**
 * Regression tests of issue 14 ("no input may freeze the service, inject markup, or poison
 * feedback"), each written against a case the attack review found. Costs are compared with a
 * normal call of the same kind, as a median ratio measured in the same test (test/support/cost.ts),
 * never as an absolute time. In-process with `app.request`; the FHIR server is mocked with msw.
 */
import fc from 'fast-check'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { setupServer } from 'msw/node'
import { http, HttpResponse } from 'msw'
import { loadFixtureRequest, loadFixtureResources, type FixtureRequestName } from '../fixtures'
import { createHarness, FHIR_BASE, fhirAuthorization, type Harness } from './support/harness'
import { costRatio } from './support/cost'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const FINDINGS = '/cds-services/imaging-ai-findings'
const OUTSTANDING = '/cds-services/imaging-ai-outstanding'
const ORDER_CHECK = '/cds-services/imaging-ai-order-check'
const PATHS: Record<string, FixtureRequestName> = {
  [FINDINGS]: 'imaging-study-complete-prefetch',
  [OUTSTANDING]: 'patient-view-prefetch',
  [ORDER_CHECK]: 'order-select-prefetch',
}

/** A megabyte of `/` and then another character: quadratic for `s.replace(/\/+$/, '')`. */
const SLASHES = '/'.repeat(1024 * 1024) + 'x'
/** A generous factor: linear work on a 1 MB string costs a few normal calls at most. */
const FACTOR = 15

const fresh = (name: FixtureRequestName): Json =>
  loadFixtureRequest(name, { freshHookInstance: true }) as unknown as Json

/** The finding Observations of a fixture request's prefetch. */
const findingsOf = (body: Json): Json[] =>
  (body.prefetch.findings.entry as Json[]).map((e) => e.resource as Json)

// Reads the fixtures do not answer (a prefetch-complete call still reads the order it names).
const fhir = setupServer(http.get('*', () => new HttpResponse(null, { status: 404 })))
let h: Harness
beforeAll(async () => {
  fhir.listen({ onUnhandledRequest: 'error' })
  h = await createHarness()
})
afterEach(() => fhir.resetHandlers())
afterAll(() => fhir.close())

async function post(path: string, body: unknown) {
  const res = await h.call(path, body)
  return { status: res.status, text: await res.text() }
}

describe('no string costs more than linear work (issue 14, item 1)', () => {
  it.each([FINDINGS, OUTSTANDING, ORDER_CHECK])(
    '%s: a finding coding system of 1 MB of slashes costs a normal call',
    async (path) => {
      const name = PATHS[path]!
      const attack = () => {
        const body = fresh(name)
        for (const finding of findingsOf(body))
          finding.code.coding.unshift({ system: SLASHES, code: '786838002' })
        return post(path, body)
      }
      expect((await attack()).status).toBe(200)
      expect(await costRatio(() => post(path, fresh(name)), attack)).toBeLessThan(FACTOR)
    }
  )

  it('order-select: a draft order coding system of 1 MB of slashes costs a normal call', async () => {
    const name = PATHS[ORDER_CHECK]!
    const attack = () => {
      const body = fresh(name)
      for (const entry of body.context.draftOrders.entry as Json[])
        entry.resource.code.coding.unshift({ system: SLASHES, code: '71250' })
      return post(ORDER_CHECK, body)
    }
    expect((await attack()).status).toBe(200)
    expect(await costRatio(() => post(ORDER_CHECK, fresh(name)), attack)).toBeLessThan(FACTOR)
  })

  it('a fhirServer of 1 MB of slashes is a 400 that costs a normal call', async () => {
    const name = PATHS[FINDINGS]!
    const withServer = (fhirServer: string) => () =>
      post(FINDINGS, { ...fresh(name), fhirServer, fhirAuthorization: fhirAuthorization() })
    const attack = withServer(`${FHIR_BASE}${SLASHES}`)
    const refused = await attack()
    expect(refused.status).toBe(400)
    expect(refused.text).toContain('fhirServer')
    expect(await costRatio(withServer(FHIR_BASE), attack)).toBeLessThan(FACTOR)
  })

  it('a FHIR server sending a coding system of 1 MB of slashes costs a normal answer', async () => {
    const resources = loadFixtureResources('screening-4a') as Json[]
    const bundle = (type: string, poisoned: boolean) => ({
      resourceType: 'Bundle',
      type: 'searchset',
      entry: resources
        .filter((r) => r.resourceType === type)
        .map((r) => {
          const resource = structuredClone(r)
          if (poisoned && type === 'Observation' && resource.code?.coding)
            resource.code.coding.push({ system: SLASHES, code: '786838002' })
          return { resource }
        }),
    })
    let poisoned = false
    fhir.use(
      http.get(`${FHIR_BASE}/:type`, ({ params }) =>
        HttpResponse.json(bundle(String(params.type), poisoned))
      ),
      http.get(`${FHIR_BASE}/:type/:id`, ({ params }) => {
        const found = resources.find((r) => r.resourceType === params.type && r.id === params.id)
        return found ? HttpResponse.json(found) : new HttpResponse(null, { status: 404 })
      })
    )
    const request = fresh(PATHS[FINDINGS]!)
    delete request.prefetch.findings
    const call = (poison: boolean) => async () => {
      poisoned = poison
      const res = await post(FINDINGS, {
        ...request,
        hookInstance: crypto.randomUUID(),
        fhirServer: FHIR_BASE,
        fhirAuthorization: fhirAuthorization(),
      })
      expect(res.status).toBe(200)
    }
    expect(await costRatio(call(false), call(true))).toBeLessThan(FACTOR)
  })
})

// ---------------------------------------------------------------------------------------------

/** A megabyte of an ordinary character: no quadratic pattern needed to make a string costly. */
const MEGABYTE = 'a'.repeat(1024 * 1024)

describe('strings are bounded in length where they enter (issue 14, "What users must get")', () => {
  it('a fhirServer longer than 2048 characters is a 400 naming the field, not echoing it', async () => {
    const res = await post(FINDINGS, {
      ...fresh(PATHS[FINDINGS]!),
      fhirServer: `${FHIR_BASE}/${MEGABYTE}`,
      fhirAuthorization: fhirAuthorization(),
    })
    expect(res.status).toBe(400)
    expect(res.text).toContain('fhirServer')
    expect(res.text.length).toBeLessThan(2000)
  })

  it('an access token of 1 MB is a 400 naming the field, not echoing it', async () => {
    const res = await post(FINDINGS, {
      ...fresh(PATHS[FINDINGS]!),
      fhirServer: FHIR_BASE,
      fhirAuthorization: fhirAuthorization(MEGABYTE),
    })
    expect(res.status).toBe(400)
    expect(res.text).toContain('access_token')
    expect(res.text.length).toBeLessThan(2000)
  })

  it.each([
    ['a coding system', (f: Json) => f.code.coding.unshift({ system: MEGABYTE, code: 'x' })],
    ['a display', (f: Json) => (f.code.coding[0].display = MEGABYTE)],
    ['an id', (f: Json) => (f.id = MEGABYTE)],
    ['a reference', (f: Json) => (f.subject.reference = `Patient/${MEGABYTE}`)],
    ['a date', (f: Json) => (f.effectiveDateTime = `2026-11-16${' '.repeat(1 << 20)}`)],
  ])(
    'a prefetch finding with 1 MB in %s: the field is dropped, the call answered, a count logged',
    async (_what, spoil) => {
      const body = fresh(PATHS[FINDINGS]!)
      for (const finding of findingsOf(body)) spoil(finding)
      const before = h.logs.length
      const res = await post(FINDINGS, body)
      expect(res.status).toBe(200)
      expect(res.text.includes('a'.repeat(1000))).toBe(false)
      const lines = h.logs.slice(before)
      const repaired = lines
        .map((l) => JSON.parse(l))
        .find((l) => l.event === 'fhir.shape_repaired')
      expect(repaired?.tooLong).toBeGreaterThan(0)
      // Counts and ids only: no log line carries the string.
      expect(Math.max(...lines.map((line) => line.length))).toBeLessThan(4000)
    }
  )

  it('a FHIR server sending a 1 MB next link: the link is dropped, never followed', async () => {
    const requested: string[] = []
    fhir.use(
      http.get('*', ({ request }) => {
        requested.push(request.url)
        return new HttpResponse(null, { status: 404 })
      })
    )
    const body = fresh(PATHS[FINDINGS]!)
    body.prefetch.findings.link = [{ relation: 'next', url: `${FHIR_BASE}/${MEGABYTE}` }]
    const res = await post(FINDINGS, {
      ...body,
      fhirServer: FHIR_BASE,
      fhirAuthorization: fhirAuthorization(),
    })
    expect(res.status).toBe(200)
    expect(requested.filter((url) => url.length > 8192)).toEqual([])
  })
})

// ---------------------------------------------------------------------------------------------

/** Paths that climb out of the FHIR base on some server: encoded separators, dot segments, `;`. */
const CLIMBS = [
  'Observation/..%2f..%2fadmin',
  'Observation/..%2F..%2Fadmin',
  'Observation/..%5c..%5cadmin',
  'Observation/..%5C..%5Cadmin',
  'Observation/..;/..;/admin',
  'Observation/%2e%2e/%2E%2E/admin',
]

describe('the FHIR token goes only to plain paths under the base (issue 14, item 4)', () => {
  /** Records every URL the service asks the FHIR server for; answers 404. */
  const recordRequests = () => {
    const requested: string[] = []
    fhir.use(
      http.get('*', ({ request }) => {
        requested.push(request.url)
        return new HttpResponse(null, { status: 404 })
      })
    )
    return requested
  }

  it.each([
    ...CLIMBS.map((climb) => `${FHIR_BASE}/${climb}?page=2`),
    '..;/admin?page=2',
    'Observation/..%2fadmin?page=2',
  ])('a paging next link %s is never followed', async (next) => {
    const requested = recordRequests()
    const body = fresh(PATHS[FINDINGS]!)
    body.prefetch.findings.link = [{ relation: 'next', url: next }]
    const res = await post(FINDINGS, {
      ...body,
      fhirServer: FHIR_BASE,
      fhirAuthorization: fhirAuthorization(),
    })
    expect(res.status).toBe(200)
    expect(requested.filter((url) => url.includes('admin'))).toEqual([])
  })

  it.each(CLIMBS)('a fhirServer of the base and %s is not called', async (climb) => {
    const requested = recordRequests()
    const body = fresh(PATHS[FINDINGS]!)
    delete body.prefetch.findings
    const before = h.logs.length
    const res = await post(FINDINGS, {
      ...body,
      fhirServer: `${FHIR_BASE}/${climb}`,
      fhirAuthorization: fhirAuthorization(),
    })
    // No FHIR server may be called, so the missing findings key cannot be had.
    expect(res.status).toBe(412)
    expect(requested).toEqual([])
    expect(h.logs.slice(before).join('\n')).toContain('fhir.server_not_allowed')
  })
})

// ---------------------------------------------------------------------------------------------

/** RadLex "average diameter": the mean-diameter component of a nodule finding. */
const MEAN_DIAMETER = 'RID50155'
/** The Lung-RADS category component the AI may add (SNOMED 1362105002). */
const LUNG_RADS = '1362105002'

const componentIs = (component: Json, code: string) =>
  (component.code?.coding ?? []).some((c: Json) => c.code === code)

/** The prefetch request with the nodule's mean diameter replaced and, unless kept, no AI category. */
function withMeanDiameter(path: string, value: number, unit: string, keepAiCategory = false) {
  const body = fresh(PATHS[path]!)
  for (const finding of findingsOf(body)) {
    if (!keepAiCategory)
      finding.component = (finding.component ?? []).filter((c: Json) => !componentIs(c, LUNG_RADS))
    for (const component of finding.component ?? [])
      if (componentIs(component, MEAN_DIAMETER))
        component.valueQuantity = { value, unit, code: unit }
  }
  return body
}

/** The card of the nodule finding (its summary names Lung-RADS, Fleischner or the nodule). */
const noduleCard = (text: string): Json =>
  (JSON.parse(text).cards as Json[]).find((c) => /nodule/i.test(c.summary))!

describe('impossible measurements are not assessed (issue 14, item 4)', () => {
  it.each([
    [-50, 'mm'],
    [0, 'mm'],
    [301, 'mm'],
    [31, 'cm'],
    [8, 'kg'],
  ])('%s %s: the nodule is shown as needing review, with the reason', async (value, unit) => {
    const res = await post(FINDINGS, withMeanDiameter(FINDINGS, value, unit))
    expect(res.status).toBe(200)
    const card = noduleCard(res.text)
    expect(card.summary).toContain('size unusable')
    expect(card.summary).toContain('review')
    expect(card.indicator).toBe('warning')
    expect(card.detail).toMatch(/outside the physical range|not understood/)
    expect(card.detail).toContain('Size: not usable')
    // No guideline interval is offered for sizes that cannot be real.
    expect(card.suggestions ?? []).toEqual([])
  })

  it('a mean diameter of 1e400 (Infinity once parsed) is not assessed either', async () => {
    const body = withMeanDiameter(FINDINGS, 424242, 'mm')
    const raw = JSON.stringify(body).replaceAll('424242', '1e400')
    const res = await h.call(FINDINGS, undefined, { raw })
    const text = await res.text()
    expect(res.status).toBe(200)
    const card = noduleCard(text)
    expect(card.summary).toContain('size unusable')
    expect(card.detail).toContain('no numeric value')
  })

  it('the AI category still stands (a card says more, never less), with the reason', async () => {
    const res = await post(FINDINGS, withMeanDiameter(FINDINGS, -50, 'mm', true))
    expect(res.status).toBe(200)
    const card = noduleCard(res.text)
    expect(card.summary).toContain('Lung-RADS 4A')
    expect(card.detail).toContain('outside the physical range')
    expect(card.detail).toContain('could not be checked against measurements')
  })

  it('the sizes at the edge of the range are assessed as usual', async () => {
    const res = await post(FINDINGS, withMeanDiameter(FINDINGS, 300, 'mm'))
    expect(res.status).toBe(200)
    expect(noduleCard(res.text).summary).toContain('300')
    expect(noduleCard(res.text).summary).not.toContain('unusable')
  })

  it('patient-view: the same nodule needs review there too', async () => {
    const res = await post(OUTSTANDING, withMeanDiameter(OUTSTANDING, -50, 'mm'))
    expect(res.status).toBe(200)
    expect(res.text).toContain('outside the physical range')
    expect(res.text).not.toContain('-50 mm nodule')
  })
})

// ---------------------------------------------------------------------------------------------

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

describe("the request id is always the service's own (issue 14, item 4)", () => {
  /** The log lines of one call and its response. */
  async function callWith(requestId: string, path = FINDINGS) {
    const before = h.logs.length
    const res = await h.call(path, fresh(PATHS[path]!), { headers: { 'x-request-id': requestId } })
    await res.text()
    const lines = h.logs.slice(before).map((l) => JSON.parse(l) as Json)
    return { res, lines }
  }

  it("a client's X-Request-Id is never the id: it is logged beside it", async () => {
    const { res, lines } = await callWith('chosen-by-the-client')
    const id = res.headers.get('x-request-id')!
    expect(id).toMatch(UUID)
    const answered = lines.find((l) => l.event === 'hook.answered')!
    expect(answered.requestId).toBe(id)
    expect(answered.clientRequestId).toBe('chosen-by-the-client')
    expect(lines.every((l) => l.requestId === undefined || l.requestId === id)).toBe(true)
  })

  it('two calls with the same X-Request-Id get two ids', async () => {
    const first = await callWith('same-id')
    const second = await callWith('same-id')
    expect(first.res.headers.get('x-request-id')).not.toBe(second.res.headers.get('x-request-id'))
  })

  it('a long or odd client X-Request-Id is cut to 64 plain characters', async () => {
    const { lines } = await callWith(`${'x'.repeat(10_000)}`)
    const answered = lines.find((l) => l.event === 'hook.answered')!
    expect(answered.clientRequestId).toBe('x'.repeat(64))
    const odd = await callWith('<img src=x>"; level=error')
    const line = odd.lines.find((l) => l.event === 'hook.answered')!
    expect(line.clientRequestId).toBe('imgsrc=xlevel=error')
  })

  it('an error answer carries the service id too', async () => {
    const before = h.logs.length
    const res = await h.call(FINDINGS, { hook: 'x' }, { headers: { 'x-request-id': 'mine' } })
    expect(res.status).toBe(400)
    expect(res.headers.get('x-request-id')).toMatch(UUID)
    const line = h.logs
      .slice(before)
      .map((l) => JSON.parse(l) as Json)
      .find((l) => l.event === 'http.request')!
    expect(line.requestId).toBe(res.headers.get('x-request-id'))
    expect(line.clientRequestId).toBe('mine')
  })
})

// ---------------------------------------------------------------------------------------------

describe('the FHIR bytes one hook call reads are bounded in total (issue 14, item 4)', () => {
  const PAGES = 10
  const PAGE_BYTES = 100_000

  /** A FHIR server whose findings search has ten pages of 100 kB each; counts the pages read. */
  function pagedServer() {
    const served: number[] = []
    fhir.use(
      http.get(`${FHIR_BASE}/Observation`, ({ request }) => {
        const page = Number(new URL(request.url).searchParams.get('page') ?? 1)
        served.push(page)
        return HttpResponse.json({
          resourceType: 'Bundle',
          type: 'searchset',
          // A member the service never reads: it only makes the page big.
          padding: 'x'.repeat(PAGE_BYTES),
          ...(page < PAGES
            ? { link: [{ relation: 'next', url: `${FHIR_BASE}/Observation?page=${page + 1}` }] }
            : {}),
        })
      })
    )
    return served
  }

  const withoutFindings = () => {
    const body = fresh(PATHS[FINDINGS]!)
    delete body.prefetch.findings
    return { ...body, fhirServer: FHIR_BASE, fhirAuthorization: fhirAuthorization() }
  }

  it('past CDS_FHIR_MAX_CALL_BYTES no further page is read, and the key is not assessed', async () => {
    const small = await createHarness({ CDS_FHIR_MAX_CALL_BYTES: String(256 * 1024) })
    const served = pagedServer()
    const res = await small.call(FINDINGS, withoutFindings())
    const text = await res.text()
    // Three pages at most: the third passes 256 KiB while it is read.
    expect(served.length).toBeLessThanOrEqual(3)
    // Part of a search could hide a finding: the required key is missing, so 412, with why.
    expect(res.status).toBe(412)
    expect(text).toContain('over its total size limit')
  })

  it('the default (32 MiB) reads all ten pages of the same search', async () => {
    const served = pagedServer()
    const res = await post(FINDINGS, withoutFindings())
    expect(res.status).toBe(200)
    expect(served).toHaveLength(PAGES)
  })
})

// ---------------------------------------------------------------------------------------------

/** Markup, Markdown link syntax, bidi and control characters, as a producer could write them. */
const PAYLOAD =
  '<img src=x onerror=alert(document.domain)>[x](javascript:alert(1))\u202eLUR\u0007\u001b[31m\u0085'
/** What must never be in card text: a raw `<` or `[`, a control or bidi character. */
const UNSAFE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[<[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/

/** Every text field of the cards of a response. */
function cardTexts(text: string): string[] {
  const { cards } = JSON.parse(text) as { cards: Json[] }
  return cards.flatMap((c) => [
    c.summary,
    c.detail ?? '',
    c.source.label,
    ...(c.suggestions ?? []).flatMap((s: Json) => [
      s.label,
      ...(s.actions ?? []).map((a: Json) => a.description),
    ]),
    ...(c.overrideReasons ?? []).map((r: Json) => r.display),
    ...(c.links ?? []).map((l: Json) => l.label),
  ])
}

/** Appends `payload` to every free-text string (display, text, names, units) under `value`. */
function poison(value: unknown, payload: string): void {
  if (Array.isArray(value)) return value.forEach((v) => poison(v, payload))
  if (!value || typeof value !== 'object') return
  const o = value as Json
  for (const key of Object.keys(o)) {
    if (typeof o[key] === 'string' && FREE_TEXT.has(key)) o[key] = `${o[key]}${payload}`
    else poison(o[key], payload)
  }
}
const FREE_TEXT = new Set([
  'display',
  'text',
  'description',
  'conclusion',
  'valueString',
  'name',
  'unit',
  'family',
])

describe('card text is safe whatever the producer wrote (issue 14, items 2 and 4)', () => {
  it('an unselected draft order with markup for a status puts no tag into the card', async () => {
    const body = fresh('order-select-prefetch')
    const draft = structuredClone((body.context.draftOrders.entry as Json[])[0]!.resource)
    draft.id = 'other-draft'
    draft.status = '<img src=x onerror=alert(document.domain)>'
    body.context.draftOrders.entry.push({ resource: draft })
    const res = await post(ORDER_CHECK, body)
    expect(res.status).toBe(200)
    for (const text of cardTexts(res.text)) expect(text).not.toMatch(UNSAFE)
  })

  it.each([FINDINGS, OUTSTANDING, ORDER_CHECK])(
    '%s: markup, links, bidi and controls in every free-text field stay inert',
    async (path) => {
      const plain = await post(path, fresh(PATHS[path]!))
      const body = fresh(PATHS[path]!)
      poison(body.prefetch, PAYLOAD)
      poison(body.context.draftOrders, PAYLOAD)
      const res = await post(path, body)
      expect(res.status).toBe(200)
      // The same cards, with the producer's words made safe.
      expect(JSON.parse(res.text).cards).toHaveLength(JSON.parse(plain.text).cards.length)
      const texts = cardTexts(res.text)
      expect(texts.join('\n')).toContain('&lt;img')
      for (const text of texts) expect(text).not.toMatch(UNSAFE)
    }
  )
})

// ---------------------------------------------------------------------------------------------

/**
 * Property-based (fast-check): a generated string in any text field of the fixture requests.
 * Bounded for CI: a fixed number of runs per hook and a fixed seed (FUZZ_RUNS and FUZZ_SEED to
 * explore further).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 40)
const fuzzParams = {
  numRuns: RUNS,
  seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 1414,
  endOnFailure: true,
}

/** Every path to a string in `value`: the text fields a producer or a client fills. */
function textFields(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (typeof value === 'string') return [at]
  if (Array.isArray(value)) return value.flatMap((v, i) => textFields(v, [...at, i]))
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => textFields(v, [...at, k]))
  return []
}

/**
 * What goes into a field, described briefly so fast-check reports it readably: a long run of
 * one unit (up to 1 MB) with a tail, or a short mix of markup, link syntax, controls and bidi.
 */
type Text = { run: string; times: number; tail: string } | { parts: string[] }
const longRun = fc.record({
  run: fc.constantFrom('/', '<', 'a', ' ', '.', '[', '\\', '%2f', '..;/', '\u202e', '\u0000', '0'),
  times: fc.integer({ min: 1, max: 250_000 }),
  tail: fc.constantFrom('', 'x', '>', ')', '\n'),
})
const piece = fc.oneof(
  fc.constantFrom(
    '<img src=x onerror=alert(document.domain)>',
    '<script>alert(1)</script>',
    '[x](javascript:alert(1))',
    '![i](https://evil.test/x.png)',
    '<a href="https://evil.test">',
    '</div><!--',
    '&lt;b&gt;',
    '`<b>`',
    '**bold** _it_',
    '\r\n# Heading\n',
    '\u202eLUR',
    '\u2066RUL\u2069',
    '\u200f\u061c',
    '\u0007\u001b[31m',
    '\u0085\u009b',
    '\u0000\u007f',
    '\ud800'
  ),
  fc.string({ unit: 'grapheme', maxLength: 8 })
)
const generated: fc.Arbitrary<Text> = fc.oneof(
  longRun,
  fc.record({ parts: fc.array(piece, { minLength: 1, maxLength: 12 }) })
)
const textOf = (t: Text) => ('run' in t ? t.run.repeat(t.times) + t.tail : t.parts.join(''))

/** A copy of `body` with `text` in the field at `at`, replacing it or appended to it. */
function withText(body: Json, at: (string | number)[], text: string, append: boolean): Json {
  const copy = structuredClone(body)
  let node: Json = copy
  for (const key of at.slice(0, -1)) node = node[key]
  const last = at.at(-1)!
  node[last] = append ? `${node[last]}${text}` : text
  return copy
}

/** What may never be in card text: a raw `<`, a control or bidi character; in detail, `[` `]`. */
const UNSAFE_TEXT =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[<\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/

describe('property: any text in any field of the fixtures (issue 14, done when)', () => {
  it.each([FINDINGS, OUTSTANDING, ORDER_CHECK])(
    '%s: 2xx or 4xx, inert card text, the cost of a normal call',
    async (path) => {
      const base = fresh(PATHS[path]!)
      delete base.hookInstance
      const fields = textFields(base)
      const call = (body: Json) => post(path, { ...body, hookInstance: crypto.randomUUID() })
      // The normal call's median time, measured here, under the same load.
      const normalMs: number[] = []
      for (let i = 0; i < 5; i++) {
        const started = performance.now()
        await call(base)
        normalMs.push(performance.now() - started)
      }
      const normal = Math.max(1, normalMs.sort((a, b) => a - b)[2]!)
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: fields.length - 1 }),
          generated,
          fc.boolean(),
          async (field, text, append) => {
            const body = withText(base, fields[field]!, textOf(text), append)
            const started = performance.now()
            const res = await call(body)
            const ms = performance.now() - started
            expect(res.status).toBeGreaterThanOrEqual(200)
            expect(res.status).toBeLessThan(500)
            if (res.status === 200) {
              for (const t of cardTexts(res.text)) expect(t).not.toMatch(UNSAFE_TEXT)
              for (const card of JSON.parse(res.text).cards as Json[])
                expect(card.detail ?? '').not.toMatch(/[[\]]/)
            }
            // One slow run may be the machine: only a cost that repeats, as a median ratio to
            // normal calls alternating with it, counts.
            if (ms > FACTOR * normal)
              expect(
                await costRatio(
                  () => call(base),
                  () => call(body)
                )
              ).toBeLessThan(FACTOR)
          }
        ),
        fuzzParams
      )
    },
    120_000
  )
})

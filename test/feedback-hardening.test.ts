/**
 * Regression tests of issue 14's feedback cases ("feedback can be flooded and poisoned", and
 * "feedback entries are counted but their nested arrays are not"): lengths and sizes bounded before
 * any work, outcomes taken only for cards issued to the same client (issuer and tenant), card
 * uuids per client, a per-issuer rate limit, logs without client text, and a report that is
 * linear and prints no control characters. Costs are compared as ratios measured in the same test
 * (test/support/cost.ts), never as absolute times. FHIR reads are answered 404 by msw (the fixture
 * requests carry their data as prefetch).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { setupServer } from 'msw/node'
import { http, HttpResponse } from 'msw'
import { loadFixtureRequest } from '../fixtures'
import { createHarness, type Harness } from './support/harness'
import { costRatio } from './support/cost'
import { createMemoryFeedbackSink } from '../src/feedback'
import { createMemoryRateLimiter } from '../src/feedback/rate-limit'
import { buildReport, type ReportInput } from '../src/feedback/report'
import { silentLogger } from '../src/log'
import { renderFeedbackReport } from '../scripts/feedback-report'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const FINDINGS = '/cds-services/imaging-ai-findings'
const FEEDBACK = `${FINDINGS}/feedback`
const AT = '2026-11-29T10:05:31Z'
const MB = 'x'.repeat(1024 * 1024)

const fhir = setupServer(http.get('*', () => new HttpResponse(null, { status: 404 })))
beforeAll(() => fhir.listen({ onUnhandledRequest: 'error' }))
afterEach(() => fhir.resetHandlers())
afterAll(() => fhir.close())

/** POSTs `body` to `path` with a token for `tenant` (no tenant claim when undefined). */
async function callAs(h: Harness, tenant: string | undefined, path: string, body: unknown) {
  const token = await h.token(path, tenant === undefined ? {} : { tenant })
  const res = await h.app.request(`http://localhost${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: res.status, headers: res.headers, json: (await res.json()) as Json }
}

/** POSTs `body` without a token: the dev-mode caller, an issuer of its own (`dev-mode`). */
async function devCall(h: Harness, path: string, body: unknown) {
  const res = await h.app.request(`http://localhost${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: res.status, json: (await res.json()) as Json }
}

/** The imaging hook's fixture call; `model` replaces the AI model's name in the report. */
function imagingRequest(model?: string): Json {
  const body = loadFixtureRequest('imaging-study-complete-prefetch', {
    freshHookInstance: true,
  }) as unknown as Json
  if (model) {
    const report = body.prefetch.reports.entry[0].resource
    for (const ext of report.extension[0].extension)
      if (ext.url === 'model-name') ext.valueString = model
  }
  return body
}

/** Calls the imaging hook as `tenant` and returns its card's uuid and first suggestion's uuid. */
async function issueAs(h: Harness, tenant: string | undefined, model?: string) {
  const { status, json } = await callAs(h, tenant, FINDINGS, imagingRequest(model))
  expect(status).toBe(200)
  const card = json.cards[0]
  return { card: card.uuid as string, suggestion: card.suggestions[0].uuid as string }
}

const overridden = (card: string, extra: Json = {}) => ({
  card,
  outcome: 'overridden',
  outcomeTimestamp: AT,
  overrideReason: { reason: { system: 'urn:imaging-cds:override-reason', code: 'disagree' } },
  ...extra,
})

describe('feedback lengths and sizes are bounded before any work (issue 14, items 3 and 4)', () => {
  it.each([
    ['card', { card: MB }, 'feedback[0].card: must be at most 128 characters'],
    [
      'reason code',
      { overrideReason: { reason: { system: 'urn:x', code: MB } } },
      'feedback[0].overrideReason.reason.code: must be at most 1024 characters',
    ],
    [
      'reason system',
      { overrideReason: { reason: { system: `urn:${MB}`, code: 'x' } } },
      'feedback[0].overrideReason.reason.system: must be at most 1024 characters',
    ],
    [
      'reason display',
      { overrideReason: { reason: { system: 'urn:x', code: 'x', display: MB } } },
      'feedback[0].overrideReason.reason.display: must be at most 1024 characters',
    ],
    [
      'userComment',
      { overrideReason: { userComment: MB } },
      'feedback[0].overrideReason.userComment: must be at most 10000 characters',
    ],
  ])('a 1 MB %s is refused with a 400 that does not repeat it', async (_name, extra, message) => {
    const h = await createHarness()
    const { card } = await issueAs(h, undefined)
    const { status, json } = await callAs(h, undefined, FEEDBACK, {
      feedback: [overridden(card, extra)],
    })
    expect(status).toBe(400)
    expect(JSON.stringify(json)).toContain(message)
    expect(JSON.stringify(json).length).toBeLessThan(2000)
  })

  it('at most 20 accepted suggestions per entry, ids of at most 128 characters', async () => {
    const h = await createHarness()
    const { card } = await issueAs(h, undefined)
    const many = { outcome: 'accepted' }
    const tooMany = Array.from({ length: 21 }, (_, i) => ({ id: `s${i}` }))
    for (const [acceptedSuggestions, message] of [
      [tooMany, 'must list at most 20 suggestions'],
      [[{ id: MB }], 'acceptedSuggestions[0].id: must be at most 128 characters'],
    ] as const) {
      const entry = { ...overridden(card), ...many, acceptedSuggestions }
      delete (entry as Json).overrideReason
      const { status, json } = await callAs(h, undefined, FEEDBACK, { feedback: [entry] })
      expect(status).toBe(400)
      expect(JSON.stringify(json)).toContain(message)
    }
  })

  it('a 3.6 MB body of nested values costs what refusing 3.6 MB of entries costs', async () => {
    // 1000 entries (the most allowed) each with 900 nested suggestions: the review's 1.1 s of CPU.
    const nested = {
      feedback: Array.from({ length: 1000 }, () => ({
        card: 'c',
        outcome: 'accepted',
        outcomeTimestamp: AT,
        acceptedSuggestions: Array(900).fill(1),
      })),
    }
    // The same bytes as a flat list of entries, refused by the entry count at once.
    const flat = { feedback: Array(JSON.stringify(nested).length / 2).fill(1) }
    const h = await createHarness({ CDS_FEEDBACK_RATE_LIMIT: '0' })
    const nestedCall = () => callAs(h, undefined, FEEDBACK, nested)
    const attack = await nestedCall()
    expect(attack.status).toBe(400)
    expect(JSON.stringify(attack.json)).toContain('at most 50000 JSON values')
    expect((await callAs(h, undefined, FEEDBACK, flat)).status).toBe(400)
    // Linear work on the same bytes: parsing dominates both; validating 900 000 values would not.
    const flatCall = () => callAs(h, undefined, FEEDBACK, flat)
    expect(await costRatio(flatCall, nestedCall, 3)).toBeLessThan(3)
  })
})

describe('outcomes only for cards issued to the same client (issue 14, item 3)', () => {
  it('refuses a card this service never issued', async () => {
    const h = await createHarness()
    const never = '0b7e3c8a-3f55-5a3c-9e1f-2c3d4e5f6a7b'
    const { status, json } = await callAs(h, undefined, FEEDBACK, { feedback: [overridden(never)] })
    expect(status).toBe(400)
    expect(JSON.stringify(json)).toContain('not a card this service issued to this client')
  })

  it('card uuids are stable per finding for one client and differ between clients', async () => {
    const h = await createHarness()
    const a1 = await issueAs(h, 'north')
    const a2 = await issueAs(h, 'north')
    const b = await issueAs(h, 'south')
    const none = await issueAs(h, undefined)
    expect(a2).toEqual(a1)
    expect(new Set([a1.card, b.card, none.card]).size).toBe(3)
    expect(new Set([a1.suggestion, b.suggestion, none.suggestion]).size).toBe(3)
  })

  it("one client can neither report on another's card nor set its model metadata", async () => {
    const sink = createMemoryFeedbackSink(silentLogger)
    const h = await createHarness({}, { feedbackSink: sink })
    // The attacker goes first, with the same finding and a model name of its choosing.
    const poisoned = await issueAs(h, 'south', 'Poisoned model')
    const mine = await issueAs(h, 'north')
    // Its outcome about the victim's card is refused, and one about its own card stays its own.
    const refused = await callAs(h, 'south', FEEDBACK, { feedback: [overridden(mine.card)] })
    expect(refused.status).toBe(400)
    expect((await callAs(h, 'north', FEEDBACK, { feedback: [overridden(mine.card)] })).status).toBe(
      200
    )
    expect(
      (await callAs(h, 'south', FEEDBACK, { feedback: [overridden(poisoned.card)] })).status
    ).toBe(200)
    const records = sink.records()
    expect(records.map((r) => [r.client.tenant, r.card, r.finding.modelName])).toEqual([
      ['north', mine.card, 'SynthLung Nodule CAD'],
      ['south', poisoned.card, 'Poisoned model'],
    ])
  })

  it('answers the refused entries and stores the others', async () => {
    const h = await createHarness()
    const mine = await issueAs(h, 'north')
    const theirs = await issueAs(h, 'south')
    const { status, json } = await callAs(h, 'north', FEEDBACK, {
      feedback: [overridden(theirs.card), overridden(mine.card)],
    })
    expect(status).toBe(200)
    expect(json).toEqual({
      refused: [
        {
          index: 0,
          card: theirs.card,
          reason: 'feedback[0].card: not a card this service issued to this client',
        },
      ],
    })
  })
})

describe('feedback is rate limited per issuer (issue 14, item 3)', () => {
  it('429 with Retry-After once an issuer has sent its entries for the window', async () => {
    // Dev mode beside the trust file: unauthenticated calls come from a second issuer, dev-mode.
    const h = await createHarness({ CDS_FEEDBACK_RATE_LIMIT: '5', CDS_DEV_MODE: '1' })
    const { card } = await issueAs(h, 'north')
    const three = (c: string) => ({
      feedback: [1, 2, 3].map((n) =>
        overridden(c, { outcomeTimestamp: `2026-11-29T10:0${n}:00Z` })
      ),
    })
    expect((await callAs(h, 'north', FEEDBACK, three(card))).status).toBe(200)
    const limited = await callAs(h, 'north', FEEDBACK, three(card))
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('60')
    expect(h.logs.some((l) => l.includes('"feedback.rate_limited"'))).toBe(true)
    // Invalid entries count too: a flood of junk is refused before it is validated.
    expect((await callAs(h, 'north', FEEDBACK, { feedback: [1, 2, 3] })).status).toBe(429)
    // Another tenant of the same issuer shares its allowance: a tenant claim buys none.
    expect((await callAs(h, 'south', FEEDBACK, { feedback: [1, 2, 3] })).status).toBe(429)
    // Another issuer has its own.
    const dev = await devCall(h, FINDINGS, imagingRequest())
    const devCard = dev.json.cards[0].uuid as string
    expect((await devCall(h, FEEDBACK, three(devCard))).status).toBe(200)
  })

  it('counts in fixed windows per key', async () => {
    let now = 0
    const limiter = createMemoryRateLimiter({ limit: 3, windowMs: 1000 }, { now: () => now })
    expect(await limiter.take('a', 3)).toBe(true)
    expect(await limiter.take('a', 1)).toBe(false)
    expect(await limiter.take('b', 1)).toBe(true)
    now = 1000
    expect(await limiter.take('a', 2)).toBe(true)
    expect(await limiter.take('a', 4)).toBe(false)
  })

  it('CDS_FEEDBACK_RATE_LIMIT=0 turns the limit off', async () => {
    const limiter = createMemoryRateLimiter({ limit: 0, windowMs: 1000 })
    expect(await limiter.take('a', 1_000_000)).toBe(true)
  })
})

describe('feedback logs carry ids and outcomes only (issue 14, item 3)', () => {
  it('no reason code, system, display or comment reaches the log', async () => {
    const h = await createHarness()
    const { card } = await issueAs(h, undefined)
    const secret = 'R'.repeat(1000)
    const entry = overridden(card, {
      overrideReason: {
        reason: { system: `urn:${secret}`, code: `code-${secret}`, display: `display-${secret}` },
        userComment: `comment-${secret}`,
      },
    })
    expect((await callAs(h, undefined, FEEDBACK, { feedback: [entry] })).status).toBe(200)
    const lines = h.logs.filter((l) => l.includes('feedback'))
    expect(lines.some((l) => l.includes('"feedback.outcome"'))).toBe(true)
    for (const line of lines) {
      expect(line).not.toContain('RRRR')
      expect(line.length).toBeLessThan(600)
    }
  })
})

describe('npm run feedback:report (issue 14, item 3)', () => {
  const rows = (n: number): ReportInput[] =>
    Array.from({ length: n }, (_, i) => ({
      outcome: i % 3 ? 'accepted' : 'overridden',
      findingKind: 'pulmonary-nodule',
      category: '4A',
      modelName: 'm',
      modelVersion: '1',
      reasonCode: i % 3 ? null : 'disagree',
      reasonSystem: null,
    }))

  it('is linear in rows: 40 000 rows cost about ten times 4 000', async () => {
    const small = rows(4_000)
    const large = rows(40_000)
    expect(buildReport(large)).toMatchObject({ total: 40_000, byCategory: [{ total: 40_000 }] })
    // Quadratic grouping made this ratio about 100 (40 000 rows took 34 s).
    const ratio = await costRatio(
      async () => buildReport(small),
      async () => buildReport(large)
    )
    expect(ratio).toBeLessThan(40)
  })

  it('prints no control or bidi character from stored strings, as tables or JSON', () => {
    const nasty = 'a\u001b]0;owned\u0007b\u009b31m\u202eLUR\u0000'
    const report = buildReport([
      {
        outcome: 'overridden',
        findingKind: nasty,
        category: nasty,
        modelName: nasty,
        modelVersion: nasty,
        reasonCode: nasty,
        reasonSystem: nasty,
      },
    ])
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    const controls = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/
    for (const json of [false, true]) {
      const text = renderFeedbackReport(report, { json, source: `db${nasty}` })
      expect(text).toContain('LUR')
      expect(controls.test(text), json ? 'json' : 'tables').toBe(false)
    }
  })
})

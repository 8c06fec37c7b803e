/**
 * The feedback core on its own, without HTTP: plain objects in and out, CdsErrors thrown. Sizes
 * before the rate limit, the rate limit before validation (with its Retry-After), entries checked
 * one by one, refused ones named in order (invalid, or about a card not issued to the sender),
 * a call with no valid entry a 400, a pending outcome counted as taken, a failing sink's error
 * passed on, and what each call reports for metrics.
 */
import { describe, expect, it } from 'vitest'
import { receiveFeedback, type ReceiveFeedbackDeps } from './receive'
import { createMemoryFeedbackSink, type FeedbackSink } from './index'
import { createMemoryRateLimiter, unlimited } from './rate-limit'
import { CdsError, serviceUnavailable } from '../protocol/outcome'
import { silentLogger } from '../log'
import type { CardMeta } from '../cards/types'

const SERVICE = 'imaging-ai-findings'
const CLIENT = { iss: 'https://ehr.test', tenant: 'north' }
const AT = '2026-11-29T10:05:31Z'
const card = (n: number): CardMeta => ({
  uuid: `00000000-0000-5000-8000-${String(n).padStart(12, '0')}`,
  findingKind: 'pulmonary-nodule',
  category: '4A',
  observationRef: `Observation/n${n}`,
})
const accepted = (uuid: string) => ({
  card: uuid,
  outcome: 'accepted',
  outcomeTimestamp: AT,
  acceptedSuggestions: [{ id: 's1' }],
})

/** A sink with cards 1 and 2 issued to CLIENT, and the outcomes each call reports. */
async function setup(overrides: Partial<ReceiveFeedbackDeps> = {}) {
  const sink = createMemoryFeedbackSink(silentLogger)
  await sink.cardsIssued(SERVICE, CLIENT, [card(1), card(2)])
  const counted: string[] = []
  const deps: ReceiveFeedbackDeps = {
    sink,
    rateLimiter: unlimited,
    rateLimitWindowMs: 60_000,
    logger: silentLogger,
    onOutcome: (outcome, n) => void (n > 0 && counted.push(`${outcome}:${n}`)),
    ...overrides,
  }
  return { sink, deps, counted }
}

/** The CdsError `promise` rejects with. */
async function refusal(promise: Promise<unknown>): Promise<CdsError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e
  )
  expect(err).toBeInstanceOf(CdsError)
  return err as CdsError
}

describe('receiveFeedback', () => {
  it('stores valid entries and answers {}; a repeat is a duplicate', async () => {
    const { sink, deps, counted } = await setup()
    const body = { feedback: [accepted(card(1).uuid)] }
    expect(await receiveFeedback(SERVICE, body, CLIENT, deps)).toEqual({})
    expect(await receiveFeedback(SERVICE, body, CLIENT, deps)).toEqual({})
    expect(sink.records()).toHaveLength(1)
    expect(counted).toEqual(['stored:1', 'duplicate:1'])
  })

  it('names the refused entries in order: invalid ones and cards not issued to the sender', async () => {
    const { sink, deps, counted } = await setup()
    const body = {
      feedback: [
        accepted('never-issued'),
        { card: card(1).uuid, outcome: 'maybe', outcomeTimestamp: AT },
        accepted(card(2).uuid),
      ],
    }
    const answer = await receiveFeedback(SERVICE, body, CLIENT, deps)
    expect(answer.refused?.map((r) => [r.index, r.card])).toEqual([
      [0, 'never-issued'],
      [1, card(1).uuid],
    ])
    expect(answer.refused?.[0]?.reason).toBe(
      'feedback[0].card: not a card this service issued to this client'
    )
    expect(answer.refused?.[1]?.reason).toContain('feedback[1].outcome')
    expect(sink.records().map((r) => r.card)).toEqual([card(2).uuid])
    expect(counted).toEqual(['rejected:2', 'stored:1'])
  })

  it('refuses card ids and reason codes with control characters (PostgreSQL refuses a NUL)', async () => {
    const { sink, deps } = await setup()
    const overridden = (uuid: string, code: string) => ({
      card: uuid,
      outcome: 'overridden',
      outcomeTimestamp: AT,
      overrideReason: { reason: { system: 'urn:imaging-cds:override-reason', code } },
    })
    const body = {
      feedback: [
        accepted(`${card(1).uuid}\u0000`),
        overridden(card(1).uuid, 'disagree\u0000'),
        overridden(card(2).uuid, 'disagree'),
      ],
    }
    const answer = await receiveFeedback(SERVICE, body, CLIENT, deps)
    expect(answer.refused?.map((r) => r.reason)).toEqual([
      'feedback[0].card: must not contain control characters',
      'feedback[1].overrideReason.reason.code: must not contain control characters',
    ])
    expect(sink.records().map((r) => r.card)).toEqual([card(2).uuid])
  })

  it('another tenant of the same issuer cannot give feedback on the card: 400', async () => {
    const { deps } = await setup()
    const err = await refusal(
      receiveFeedback(SERVICE, { feedback: [accepted(card(1).uuid)] }, { iss: CLIENT.iss }, deps)
    )
    expect(err.status).toBe(400)
    expect(err.message).toContain('no valid entry')
    expect(err.message).toContain('not a card this service issued to this client')
  })

  it.each([
    ['no feedback array', { nothing: true }, 'Invalid feedback: ', ['rejected:1']],
    ['an empty array', { feedback: [] }, 'at least one feedback entry', []],
    [
      'too many entries',
      { feedback: Array.from({ length: 1001 }, () => ({})) },
      'at most 1000',
      ['rejected:1001'],
    ],
  ])('%s is a 400 counted as rejected', async (_name, body, message, rejected) => {
    const { sink, deps, counted } = await setup()
    const err = await refusal(receiveFeedback(SERVICE, body, CLIENT, deps))
    expect(err.status).toBe(400)
    expect(err.message).toContain(message)
    expect(sink.records()).toEqual([])
    expect(counted).toEqual(rejected)
  })

  it('rate limited per issuer before any validation: 429 with Retry-After from the window', async () => {
    const rateLimiter = createMemoryRateLimiter({ limit: 2, windowMs: 90_500 })
    const { deps, counted } = await setup({ rateLimiter, rateLimitWindowMs: 90_500 })
    const two = { feedback: [accepted(card(1).uuid), accepted(card(2).uuid)] }
    expect(await receiveFeedback(SERVICE, two, CLIENT, deps)).toEqual({})
    const err = await refusal(
      receiveFeedback(SERVICE, { feedback: [{ not: 'even valid' }] }, CLIENT, deps)
    )
    expect(err.status).toBe(429)
    expect(err.retryAfterSeconds).toBe(91)
    expect(counted).toEqual(['stored:2', 'limited:1'])
  })

  it('entries the sink holds as pending count as taken (200), not as stored', async () => {
    const pendingSink: FeedbackSink = {
      cardsIssued: async () => {},
      record: async (_s, _c, items) => ({
        stored: 0,
        duplicates: 0,
        notIssued: [],
        pending: items.length,
      }),
    }
    const { deps, counted } = await setup({ sink: pendingSink })
    expect(
      await receiveFeedback(SERVICE, { feedback: [accepted(card(1).uuid)] }, CLIENT, deps)
    ).toEqual({})
    expect(counted).toEqual([])
  })

  it("passes the sink's failure on (a 503 keeps its Retry-After) and counts the entries failed", async () => {
    const failing: FeedbackSink = {
      cardsIssued: async () => {},
      record: async () => {
        throw serviceUnavailable('The feedback store is unavailable; retry later', 30)
      },
    }
    const { deps, counted } = await setup({ sink: failing })
    const err = await refusal(
      receiveFeedback(SERVICE, { feedback: [accepted(card(1).uuid), { card: 'x' }] }, CLIENT, deps)
    )
    expect(err.status).toBe(503)
    expect(err.retryAfterSeconds).toBe(30)
    expect(counted).toEqual(['failed:1'])
  })
})

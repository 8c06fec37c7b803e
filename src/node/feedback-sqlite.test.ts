/**
 * @module node/feedback-sqlite.test
 * The SQLite feedback store: outcomes survive a restart, duplicates are stored once, comment text
 * never reaches the file, and the report's rates are right on a known set.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { createLogger, silentLogger } from '../log'
import type { FeedbackItem } from '../feedback'
import type { CardMeta } from '../cards/types'
import { feedbackSinkFromEnv } from '../node'
import {
  openSqliteFeedbackSink,
  readFeedbackReport,
  type SqliteFeedbackSink,
} from './feedback-sqlite'

const SERVICE = 'imaging-ai-findings'
const CLIENT = { iss: 'https://ehr.test', tenant: 'north' }

const card4a: CardMeta = {
  uuid: '11111111-1111-5111-8111-111111111111',
  findingKind: 'pulmonary-nodule',
  category: '4A',
  modelName: 'LungNoduleAI',
  modelVersion: '2.1.0',
  observationRef: 'Observation/obs-screening-4a-nodule1',
  suggestionUuid: '11111111-1111-5111-8111-aaaaaaaaaaaa',
}
const cardPe: CardMeta = {
  uuid: '22222222-2222-5222-8222-222222222222',
  findingKind: 'pulmonary-embolism',
  modelName: 'PETriage',
  modelVersion: '1.0',
  observationRef: 'Observation/obs-pulmonary-embolism-pe1',
}
const card2: CardMeta = {
  uuid: '33333333-3333-5333-8333-333333333333',
  findingKind: 'pulmonary-nodule',
  category: '2',
  modelName: 'LungNoduleAI',
  modelVersion: '2.2.0',
  observationRef: 'Observation/obs-x',
}

const accepted = (card: string, at: string, suggestion?: string): FeedbackItem => ({
  card,
  outcome: 'accepted',
  outcomeTimestamp: at,
  ...(suggestion ? { acceptedSuggestions: [{ id: suggestion }] } : {}),
})
const overridden = (
  card: string,
  at: string,
  code: string,
  userComment?: string
): FeedbackItem => ({
  card,
  outcome: 'overridden',
  outcomeTimestamp: at,
  overrideReason: {
    reason: { system: 'urn:imaging-cds:override-reason', code, display: code },
    ...(userComment !== undefined ? { userComment } : {}),
  },
})

let dir: string
let path: string
const open: SqliteFeedbackSink[] = []
const openSink = (logger = silentLogger) => {
  const sink = openSqliteFeedbackSink(path, logger)
  open.push(sink)
  return sink
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'feedback-sqlite-'))
  path = join(dir, 'nested', 'feedback.sqlite')
})
afterEach(() => {
  for (const sink of open.splice(0)) sink.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('SQLite feedback sink', () => {
  it('keeps every outcome and its card facts across a restart', async () => {
    const first = openSink()
    await first.cardsIssued(SERVICE, CLIENT, [card4a, cardPe])
    const result = await first.record(SERVICE, CLIENT, [
      accepted(card4a.uuid, '2026-11-16T15:00:00Z', card4a.suggestionUuid),
      overridden(cardPe.uuid, '2026-11-20T23:00:00Z', 'already-addressed'),
    ])
    expect(result).toEqual({ stored: 2, duplicates: 0, notIssued: [] })
    first.close()

    const second = openSink()
    const outcomes = second.outcomes()
    expect(outcomes).toHaveLength(2)
    expect(outcomes[0]).toMatchObject({
      service: SERVICE,
      card: card4a.uuid,
      outcome: 'accepted',
      acceptedSuggestions: [card4a.suggestionUuid],
      findingKind: 'pulmonary-nodule',
      category: '4A',
      modelName: 'LungNoduleAI',
      modelVersion: '2.1.0',
      observationRef: 'Observation/obs-screening-4a-nodule1',
      hasUserComment: false,
    })
    expect(outcomes[1]).toMatchObject({
      outcome: 'overridden',
      overrideReasonCode: 'already-addressed',
      overrideReasonSystem: 'urn:imaging-cds:override-reason',
      findingKind: 'pulmonary-embolism',
    })
    expect(second.report().total).toBe(2)
    // A repeat after the restart is still recognised as a duplicate.
    expect(
      await second.record(SERVICE, CLIENT, [
        accepted(card4a.uuid, '2026-11-16T15:00:00Z', card4a.suggestionUuid),
      ])
    ).toEqual({ stored: 0, duplicates: 1, notIssued: [] })
    second.close()
    expect(readFeedbackReport(path).byFindingKind.map((r) => [r.key, r.total])).toEqual([
      ['pulmonary-embolism', 1],
      ['pulmonary-nodule', 1],
    ])
  })

  it('stores a duplicate once: the same post twice, and the same item twice in one post', async () => {
    const lines: string[] = []
    const sink = openSink(createLogger({ write: (line) => lines.push(line) }))
    await sink.cardsIssued(SERVICE, CLIENT, [card4a])
    const item = accepted(card4a.uuid, '2026-11-16T15:00:00Z', card4a.suggestionUuid)
    expect(await sink.record(SERVICE, CLIENT, [item, { ...item }])).toEqual({
      stored: 1,
      duplicates: 1,
      notIssued: [],
    })
    expect(await sink.record(SERVICE, CLIENT, [item])).toEqual({
      stored: 0,
      duplicates: 1,
      notIssued: [],
    })
    // Same card, another time: a second outcome (another clinician, another day).
    expect(
      await sink.record(SERVICE, CLIENT, [{ ...item, outcomeTimestamp: '2026-11-17T09:00:00Z' }])
    ).toEqual({ stored: 1, duplicates: 0, notIssued: [] })
    expect(sink.outcomes()).toHaveLength(2)
    // One log line per stored outcome, none for duplicates.
    const logged = lines
      .map((l) => JSON.parse(l) as { event: string })
      .filter((l) => l.event === 'feedback.outcome')
    expect(logged).toHaveLength(2)
  })

  it('never stores the text of a userComment, only that there was one', async () => {
    const secret = 'Patient Jane Q. Doe MRN 4471-22 told me she already had this done'
    const lines: string[] = []
    const sink = openSink(createLogger({ write: (line) => lines.push(line) }))
    await sink.cardsIssued(SERVICE, CLIENT, [card4a])
    await sink.record(SERVICE, CLIENT, [
      overridden(card4a.uuid, '2026-11-16T15:00:00Z', 'done-elsewhere', secret),
    ])
    expect(sink.outcomes()[0]).toMatchObject({
      hasUserComment: true,
      overrideReasonCode: 'done-elsewhere',
    })
    sink.close()

    const needle = Buffer.from('4471-22')
    for (const file of readdirSync(join(dir, 'nested'))) {
      expect(readFileSync(join(dir, 'nested', file)).includes(needle), file).toBe(false)
    }
    const db = new Database(path, { readonly: true })
    const dump = JSON.stringify(db.prepare('SELECT * FROM outcomes').all())
    db.close()
    expect(dump).not.toContain('Jane')
    expect(lines.join('\n')).not.toContain('Jane')
  })

  it('reports acceptance and override rates by finding kind, category and model version', async () => {
    const sink = openSink()
    await sink.cardsIssued(SERVICE, CLIENT, [card4a, cardPe, card2])
    await sink.record(SERVICE, CLIENT, [
      // 4A on model 2.1.0: 3 accepted, 1 overridden
      accepted(card4a.uuid, '2026-11-01T00:00:00Z', card4a.suggestionUuid),
      accepted(card4a.uuid, '2026-11-02T00:00:00Z', card4a.suggestionUuid),
      accepted(card4a.uuid, '2026-11-03T00:00:00Z'),
      overridden(card4a.uuid, '2026-11-04T00:00:00Z', 'disagree-measurement'),
      // category 2 on model 2.2.0: 3 overridden (2 disagree, 1 duplicate)
      overridden(card2.uuid, '2026-11-05T00:00:00Z', 'disagree-measurement'),
      overridden(card2.uuid, '2026-11-06T00:00:00Z', 'disagree-measurement'),
      overridden(card2.uuid, '2026-11-07T00:00:00Z', 'already-ordered'),
      // PE: 1 accepted
      accepted(cardPe.uuid, '2026-11-08T00:00:00Z'),
    ])
    const report = sink.report()
    expect(report).toMatchObject({ total: 8, accepted: 4, overridden: 4, unknownCards: 0 })

    const nodule = report.byFindingKind.find((r) => r.key === 'pulmonary-nodule')!
    expect(nodule).toMatchObject({ total: 7, accepted: 3, overridden: 4 })
    expect(nodule.acceptedRate).toBeCloseTo(3 / 7)
    expect(nodule.overriddenRate).toBeCloseTo(4 / 7)
    expect(nodule.topOverrideReasons).toEqual([
      { code: 'disagree-measurement', system: 'urn:imaging-cds:override-reason', count: 3 },
      { code: 'already-ordered', system: 'urn:imaging-cds:override-reason', count: 1 },
    ])
    expect(report.byFindingKind.map((r) => r.key)).toEqual([
      'pulmonary-nodule',
      'pulmonary-embolism',
    ])

    const byCategory = Object.fromEntries(report.byCategory.map((r) => [r.key, r]))
    expect(byCategory['4A']).toMatchObject({
      total: 4,
      accepted: 3,
      acceptedRate: 0.75,
      overriddenRate: 0.25,
    })
    expect(byCategory['2']).toMatchObject({
      total: 3,
      accepted: 0,
      acceptedRate: 0,
      overriddenRate: 1,
    })
    expect(byCategory['(none)']).toMatchObject({ total: 1, acceptedRate: 1 })

    const byModel = Object.fromEntries(report.byModelVersion.map((r) => [r.key, r]))
    expect(byModel['LungNoduleAI 2.1.0']).toMatchObject({ total: 4, acceptedRate: 0.75 })
    expect(byModel['LungNoduleAI 2.2.0']).toMatchObject({ total: 3, overriddenRate: 1 })
    expect(byModel['PETriage 1.0']).toMatchObject({ total: 1, acceptedRate: 1 })

    expect(sink.report({ since: '2026-11-05T00:00:00Z' }).total).toBe(4)
  })

  it('takes outcomes only about cards issued to the same client (issue 14)', async () => {
    const sink = openSink()
    const at = '2026-11-16T15:00:00Z'
    // Never issued, or not yet: refused, nothing stored.
    expect(await sink.record(SERVICE, CLIENT, [accepted(card4a.uuid, at)])).toEqual({
      stored: 0,
      duplicates: 0,
      notIssued: [0],
    })
    await sink.cardsIssued(SERVICE, CLIENT, [card4a])
    // Another issuer, or the same issuer's other tenant, cannot report on this client's card.
    for (const other of [{ iss: 'https://other.test', tenant: 'north' }, { iss: CLIENT.iss }]) {
      expect(await sink.record(SERVICE, other, [accepted(card4a.uuid, at)])).toEqual({
        stored: 0,
        duplicates: 0,
        notIssued: [0],
      })
    }
    expect(sink.outcomes()).toEqual([])
    expect(
      await sink.record(SERVICE, CLIENT, [accepted(cardPe.uuid, at), accepted(card4a.uuid, at)])
    ).toEqual({ stored: 1, duplicates: 0, notIssued: [0] })
    expect(sink.outcomes()).toMatchObject([{ iss: CLIENT.iss, tenant: 'north', category: '4A' }])
  })

  it('migrates a store of version 1: its cards take no new feedback, its outcomes still count', async () => {
    const legacy = new Database(path.replace('nested/', ''))
    legacy.exec(`CREATE TABLE issued_cards (uuid TEXT PRIMARY KEY, service TEXT NOT NULL,
      finding_kind TEXT NOT NULL, category TEXT, model_name TEXT, model_version TEXT,
      observation_ref TEXT NOT NULL, suggestion_uuid TEXT, first_issued TEXT NOT NULL);
    CREATE TABLE outcomes (id INTEGER PRIMARY KEY, feedback_key TEXT NOT NULL UNIQUE,
      service TEXT NOT NULL, card_uuid TEXT NOT NULL, outcome TEXT NOT NULL,
      override_reason_code TEXT, override_reason_system TEXT,
      accepted_suggestions TEXT NOT NULL DEFAULT '[]', has_user_comment INTEGER NOT NULL DEFAULT 0,
      outcome_timestamp TEXT NOT NULL, received_at TEXT NOT NULL, finding_kind TEXT, category TEXT,
      model_name TEXT, model_version TEXT, observation_ref TEXT);
    INSERT INTO issued_cards VALUES ('${card4a.uuid}', '${SERVICE}', 'pulmonary-nodule', '4A',
      NULL, NULL, 'Observation/a', NULL, '2026-01-01T00:00:00Z');
    INSERT INTO outcomes (feedback_key, service, card_uuid, outcome, outcome_timestamp,
      received_at) VALUES ('k', '${SERVICE}', '${card4a.uuid}', 'accepted',
      '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');`)
    legacy.close()
    const sink = openSqliteFeedbackSink(path.replace('nested/', ''), silentLogger)
    open.push(sink)
    expect(sink.report()).toMatchObject({ total: 1, byCategory: [{ key: '4A', total: 1 }] })
    expect(
      await sink.record(SERVICE, CLIENT, [accepted(card4a.uuid, '2026-11-16T15:00:00Z')])
    ).toMatchObject({ stored: 0, notIssued: [0] })
  })

  it('keeps the first issue time of a card issued again', async () => {
    let now = new Date('2026-11-16T14:10:00Z')
    const sink = openSqliteFeedbackSink(path, silentLogger, { now: () => now })
    open.push(sink)
    await sink.cardsIssued(SERVICE, CLIENT, [card4a])
    now = new Date('2026-11-18T10:00:00Z')
    await sink.cardsIssued(SERVICE, CLIENT, [card4a])
    sink.close()
    const db = new Database(path, { readonly: true })
    const rows = db.prepare('SELECT first_issued FROM issued_cards').all()
    db.close()
    expect(rows).toEqual([{ first_issued: '2026-11-16T14:10:00.000Z' }])
  })

  it('uses WAL so the report can be read while the service writes', () => {
    openSink()
    const db = new Database(path, { readonly: true })
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    db.close()
  })

  it('compares report windows in UTC whatever offset the client sent', async () => {
    const sink = openSink()
    await sink.cardsIssued(SERVICE, CLIENT, [card4a])
    await sink.record(SERVICE, CLIENT, [
      accepted(card4a.uuid, '2026-11-05T00:30:00+01:00'), // 2026-11-04T23:30Z
      accepted(card4a.uuid, '2026-11-05T00:30:00Z'),
    ])
    expect(sink.report({ since: '2026-11-05T00:00:00Z' }).total).toBe(1)
  })
})

describe('CDS_FEEDBACK_DB in the Node entry', () => {
  it('opens the named file, creating its folder, and logs where feedback goes', async () => {
    const lines: string[] = []
    const sink = feedbackSinkFromEnv(
      { CDS_FEEDBACK_DB: path },
      createLogger({ write: (line) => lines.push(line) })
    )
    open.push(sink)
    expect(sink.path).toBe(path)
    await sink.cardsIssued(SERVICE, CLIENT, [card4a])
    await sink.record(SERVICE, CLIENT, [accepted(card4a.uuid, '2026-11-16T15:00:00Z')])
    sink.close()
    expect(readFeedbackReport(path).total).toBe(1)
    expect(lines.join('\n')).toContain('startup.feedback_store')
  })

  it('keeps feedback in memory only when asked to, and warns that it will be lost', () => {
    const lines: string[] = []
    const sink = feedbackSinkFromEnv(
      { CDS_FEEDBACK_DB: ':memory:' },
      createLogger({ write: (line) => lines.push(line) })
    )
    open.push(sink)
    expect(lines.join('\n')).toContain('startup.feedback_in_memory')
  })
})

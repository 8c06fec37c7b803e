/**
 * Killing the service mid-load loses no feedback it answered 200: the built `node dist/node.js`
 * with its feedback store (SQLite in WAL mode; PostgreSQL, with CDS_TEST_POSTGRES_URL) takes
 * feedback from many concurrent clients, is killed with SIGKILL (no drain, no close), and every
 * outcome that had been answered 200 is in the store.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openSqliteFeedbackSink } from '../src/node/feedback-sqlite'
import { silentLogger } from '../src/log'
import { openPostgresFeedbackSink } from '../src/node/feedback-postgres'
import { listening, runService, serverUrl, stopService } from './support/service-process'
import { dropSchemas, freshDatabase, scratchOutbox } from './support/postgres'

const dir = mkdtempSync(join(tmpdir(), 'imaging-cds-crash-'))
const postgresUrl = serverUrl('CDS_TEST_POSTGRES_URL')
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  await dropSchemas()
})

/** Each store: the CDS_FEEDBACK_DB to give the service, and the outcome times it then holds. */
const stores = [
  {
    name: 'SQLite',
    open: async () => {
      const db = join(dir, 'feedback.sqlite')
      return {
        db,
        stored: async () => {
          const sink = openSqliteFeedbackSink(db, silentLogger)
          try {
            return sink.outcomes().map((o) => o.outcomeTimestamp)
          } finally {
            sink.close()
          }
        },
      }
    },
  },
  ...(postgresUrl
    ? [
        {
          name: 'PostgreSQL',
          open: async () => {
            const db = await freshDatabase(postgresUrl)
            return {
              db,
              stored: async () => {
                const sink = openPostgresFeedbackSink(db, silentLogger, { outbox: scratchOutbox() })
                try {
                  return (await sink.outcomes()).map((o) => o.outcomeTimestamp)
                } finally {
                  await sink.close()
                }
              },
            }
          },
        },
      ]
    : []),
]

describe('SIGKILL under feedback load', () => {
  it.each(stores)('keeps every outcome answered 200 ($name)', async ({ open }) => {
    const { db, stored: readStored } = await open()
    const proc = runService({
      PORT: '0',
      CDS_DEV_MODE: '1',
      CDS_FEEDBACK_DB: db,
      CDS_FEEDBACK_OUTBOX: join(dir, 'outbox.sqlite'),
    })
    const url = await listening(proc)
    // A card the service really issued, so the outcomes are about a known card.
    const hook = await fetch(`${url}/cds-services/imaging-ai-findings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: readFileSync('fixtures/requests/imaging-study-complete-prefetch.json'),
    })
    const { cards } = (await hook.json()) as { cards: { uuid: string }[] }
    const card = cards[0]!.uuid

    const answered: string[] = []
    let sent = 0
    let killed = false
    const client = async () => {
      while (!killed) {
        // Each outcome distinct: its own time stamp.
        const outcomeTimestamp = new Date(Date.UTC(2026, 10, 29) + sent++ * 1000).toISOString()
        try {
          const res = await fetch(`${url}/cds-services/imaging-ai-findings/feedback`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ feedback: [{ card, outcome: 'overridden', outcomeTimestamp }] }),
          })
          if (res.status === 200) answered.push(outcomeTimestamp)
        } catch {
          // The connection died with the process: not answered, so nothing was promised.
        }
      }
    }
    const clients = Array.from({ length: 16 }, client)
    while (answered.length < 300) await new Promise((r) => setTimeout(r, 5))
    killed = true
    await stopService(proc, 'SIGKILL')
    await Promise.all(clients)

    const stored = new Set(await readStored())
    const lost = answered.filter((t) => !stored.has(t))
    expect(answered.length).toBeGreaterThanOrEqual(300)
    expect(lost).toEqual([])
  })
})

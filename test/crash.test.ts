/**
 * Killing the service mid-load loses no feedback it answered 200: the built `node dist/node.js`
 * with its SQLite feedback store (WAL) takes feedback from many concurrent clients, is killed
 * with SIGKILL (no drain, no close), and every outcome that had been answered 200 is in the file.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openSqliteFeedbackSink } from '../src/node/feedback-sqlite'
import { silentLogger } from '../src/log'
import { listening, runService, stopService } from './support/service-process'

const dir = mkdtempSync(join(tmpdir(), 'imaging-cds-crash-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('SIGKILL under feedback load', () => {
  it('keeps every outcome answered 200', async () => {
    const db = join(dir, 'feedback.sqlite')
    const proc = runService({ PORT: '0', CDS_DEV_MODE: '1', CDS_FEEDBACK_DB: db })
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

    const sink = openSqliteFeedbackSink(db, silentLogger)
    try {
      const stored = new Set(sink.outcomes().map((o) => o.outcomeTimestamp))
      const lost = answered.filter((t) => !stored.has(t))
      expect(answered.length).toBeGreaterThanOrEqual(300)
      expect(lost).toEqual([])
    } finally {
      sink.close()
    }
  })
})

/**
 * The PostgreSQL store's outbox on its own: entries come back oldest first as they were written
 * (dates included), counts follow appends and removals and are read back when the file is opened
 * again (a restart), and a comment's text never reaches the file.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openFeedbackOutbox, type OutboxEntry } from './feedback-outbox'

const dir = mkdtempSync(join(tmpdir(), 'imaging-cds-outbox-test-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const CLIENT = { iss: 'https://ehr.test', tenant: 'north' }
const AT = new Date('2026-11-29T10:05:31.250Z')
const cards: OutboxEntry = {
  kind: 'cards',
  serviceId: 'imaging-ai-findings',
  client: CLIENT,
  cards: [
    {
      uuid: 'c1',
      findingKind: 'pulmonary-nodule',
      category: '4A',
      observationRef: 'Observation/1',
    },
    { uuid: 'c2', findingKind: 'pulmonary-nodule', observationRef: 'Observation/2' },
  ],
  at: AT,
}
const outcomes = (comment?: string): OutboxEntry => ({
  kind: 'outcomes',
  serviceId: 'imaging-ai-findings',
  client: CLIENT,
  items: [
    {
      card: 'c1',
      outcome: 'overridden',
      outcomeTimestamp: '2026-11-29T10:05:31Z',
      overrideReason: {
        reason: { system: 'urn:imaging-cds:override-reason', code: 'disagree' },
        ...(comment !== undefined ? { userComment: comment } : {}),
      },
    },
  ],
  at: AT,
})

describe('feedback outbox', () => {
  it('gives entries back oldest first, counts them, and keeps them across a reopen', () => {
    const path = join(dir, 'order', 'outbox.sqlite')
    const outbox = openFeedbackOutbox(path)
    outbox.append([cards, outcomes()])
    outbox.append([outcomes()])
    expect(outbox.held()).toEqual({ outcomes: 2, cards: 2 })
    const rows = outbox.oldest(10)
    expect(rows.map((r) => r.entry.kind)).toEqual(['cards', 'outcomes', 'outcomes'])
    expect(rows[0]!.entry).toEqual(cards)
    expect(rows[1]!.entry).toEqual(outcomes())
    outbox.remove([rows[0]!.id, rows[0]!.id])
    expect(outbox.held()).toEqual({ outcomes: 2, cards: 0 })
    outbox.close()

    const again = openFeedbackOutbox(path)
    expect(again.held()).toEqual({ outcomes: 2, cards: 0 })
    expect(again.oldest(1).map((r) => r.id)).toEqual([rows[1]!.id])
    again.remove(again.oldest(10).map((r) => r.id))
    expect(again.held()).toEqual({ outcomes: 0, cards: 0 })
    again.close()
  })

  it("keeps whether there was a comment, never the comment's text", () => {
    const path = join(dir, 'comments', 'outbox.sqlite')
    const outbox = openFeedbackOutbox(path)
    outbox.append([outcomes('Jane Doe MRN 4471-22'), outcomes('   ')])
    const [given, blank] = outbox.oldest(2).map((r) => r.entry)
    const reasonOf = (e: OutboxEntry | undefined) =>
      e?.kind === 'outcomes' ? e.items[0]!.overrideReason : undefined
    expect(reasonOf(given)?.userComment).toBeTruthy()
    expect(reasonOf(given)?.userComment).not.toContain('4471')
    expect(reasonOf(blank)).not.toHaveProperty('userComment')
    outbox.close()
    for (const file of readdirSync(join(dir, 'comments')))
      expect(readFileSync(join(dir, 'comments', file)).includes('4471-22')).toBe(false)
  })
})

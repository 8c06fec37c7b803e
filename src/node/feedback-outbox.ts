/**
 * @module node/feedback-outbox
 * The PostgreSQL feedback store's local outbox: a SQLite file on this instance's disk
 * (better-sqlite3, WAL, `synchronous = FULL`, Node only) that holds, in order, the cards issued and
 * the outcomes answered while PostgreSQL cannot take them, until they are drained to PostgreSQL.
 * An outcome answered 200 is therefore in PostgreSQL or in this file: a crash (even SIGKILL) or a
 * power cut loses none of them. Each entry is one transaction; rows leave only after PostgreSQL
 * committed them, and PostgreSQL's own uniqueness (card uuid, outcome key) makes a drain repeated
 * after a crash store nothing twice.
 *
 * One file per instance (`CDS_FEEDBACK_OUTBOX`, default {@link DEFAULT_FEEDBACK_OUTBOX} under the
 * working directory): the counts it keeps in memory are this process's. A `userComment`'s text is
 * never written, only that there was one (like the stores themselves).
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import type { CardMeta } from '../cards/types'
import type { FeedbackClient, FeedbackItem } from '../feedback'

/** Where the outbox is kept when CDS_FEEDBACK_OUTBOX is not set (relative to the working directory). */
export const DEFAULT_FEEDBACK_OUTBOX = 'data/feedback-outbox.sqlite'

/** One write for PostgreSQL, as the store queues it: cards issued, or outcomes received. */
export type OutboxEntry =
  | { kind: 'cards'; serviceId: string; client: FeedbackClient; cards: CardMeta[]; at: Date }
  | { kind: 'outcomes'; serviceId: string; client: FeedbackClient; items: FeedbackItem[]; at: Date }

export interface FeedbackOutbox {
  readonly path: string
  /** Writes `entries` after those already held, all or none (one transaction); throws on failure. */
  append(entries: OutboxEntry[]): void
  /** The oldest `limit` entries, oldest first, with the ids `remove` takes. */
  oldest(limit: number): { id: number; entry: OutboxEntry }[]
  /** Forgets entries once PostgreSQL has committed them. */
  remove(ids: number[]): void
  /** What it holds: outcomes and cards (counted, not entries). */
  held(): { outcomes: number; cards: number }
  close(): void
}

/** Stands for a comment's text, which is never written: only that there was one. */
const COMMENT_GIVEN = '(comment given; text not kept)'

/** The item as the outbox may keep it: a non-blank comment replaced by a fixed marker. */
function withoutCommentText(item: FeedbackItem): FeedbackItem {
  const comment = item.overrideReason?.userComment
  if (comment === undefined) return item
  const { userComment: _dropped, ...reason } = item.overrideReason!
  return {
    ...item,
    overrideReason: { ...reason, ...(comment.trim() ? { userComment: COMMENT_GIVEN } : {}) },
  }
}

type Row = { id: number; kind: 'cards' | 'outcomes'; body: string }

/**
 * Opens (creating when needed, with its parent directory) the outbox at `path`.
 * @throws when the file cannot be opened or is not an outbox
 */
export function openFeedbackOutbox(path: string): FeedbackOutbox {
  mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  // FULL: a committed entry survives a power cut, not only a crash of the process.
  db.pragma('synchronous = FULL')
  db.pragma('busy_timeout = 5000')
  db.exec(`CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('cards', 'outcomes')),
    count INTEGER NOT NULL,
    body TEXT NOT NULL
  )`)
  const insert = db.prepare<[string, number, string]>(
    'INSERT INTO outbox (kind, count, body) VALUES (?, ?, ?)'
  )
  const select = db.prepare<[number], Row>('SELECT id, kind, body FROM outbox ORDER BY id LIMIT ?')
  const deleteOne = db.prepare<[number], { kind: Row['kind']; count: number }>(
    'DELETE FROM outbox WHERE id = ? RETURNING kind, count'
  )
  const counts = { outcomes: 0, cards: 0 }
  for (const row of db
    .prepare<[], { kind: Row['kind']; n: number }>(
      'SELECT kind, SUM(count) AS n FROM outbox GROUP BY kind'
    )
    .all())
    counts[row.kind] = row.n

  const appendAll = db.transaction((entries: OutboxEntry[]) => {
    for (const entry of entries) {
      const stored =
        entry.kind === 'outcomes' ? { ...entry, items: entry.items.map(withoutCommentText) } : entry
      insert.run(entry.kind, sizeOf(entry), JSON.stringify(stored))
    }
  })
  const removeAll = db.transaction((ids: number[]) => {
    const removed = { outcomes: 0, cards: 0 }
    for (const id of ids) {
      const row = deleteOne.get(id)
      if (row) removed[row.kind] += row.count
    }
    return removed
  })

  return {
    path,
    append(entries) {
      if (entries.length === 0) return
      appendAll(entries)
      for (const entry of entries) counts[entry.kind] += sizeOf(entry)
    },
    oldest(limit) {
      return select.all(limit).map((row) => {
        const entry = JSON.parse(row.body) as OutboxEntry
        return { id: row.id, entry: { ...entry, at: new Date(entry.at) } }
      })
    },
    remove(ids) {
      const removed = removeAll(ids)
      counts.outcomes -= removed.outcomes
      counts.cards -= removed.cards
    },
    held: () => ({ ...counts }),
    close() {
      if (db.open) db.close()
    },
  }
}

const sizeOf = (entry: OutboxEntry) =>
  entry.kind === 'outcomes' ? entry.items.length : entry.cards.length

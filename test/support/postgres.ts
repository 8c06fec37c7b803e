/**
 * @module test/support/postgres
 * A schema of its own per test on the PostgreSQL the suite was given (CDS_TEST_POSTGRES_URL), so
 * tests running side by side never see each other's rows; `dropSchemas()` removes them after.
 */
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { openFeedbackOutbox, type FeedbackOutbox } from '../../src/node/feedback-outbox'

const created: { url: string; schema: string }[] = []

/** Creates a schema and returns `url` with it as the search path (node-postgres `options`). */
export async function freshDatabase(url: string): Promise<string> {
  const schema = `feedback_test_${randomUUID().replace(/-/g, '')}`
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  await admin.query(`CREATE SCHEMA ${schema}`)
  await admin.end()
  created.push({ url, schema })
  const scoped = new URL(url)
  scoped.searchParams.set('options', `-c search_path=${schema}`)
  return scoped.href
}

const scratch = mkdtempSync(join(tmpdir(), 'imaging-cds-outbox-'))

/** A path for an outbox file of its own, removed by `dropSchemas()`. */
export const outboxPath = () => join(scratch, `${randomUUID()}.sqlite`)

/** An outbox of its own (the PostgreSQL store requires one), removed by `dropSchemas()`. */
export const scratchOutbox = (path = outboxPath()): FeedbackOutbox => openFeedbackOutbox(path)

/** Drops every schema `freshDatabase` created in this file, and the scratch outboxes. */
export async function dropSchemas(): Promise<void> {
  rmSync(scratch, { recursive: true, force: true })
  for (const { url, schema } of created.splice(0)) {
    const admin = new pg.Client({ connectionString: url })
    await admin.connect()
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
    await admin.end()
  }
}

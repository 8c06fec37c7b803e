/**
 * @module test/support/postgres
 * A schema of its own per test on the PostgreSQL the suite was given (CDS_TEST_POSTGRES_URL), so
 * tests running side by side never see each other's rows; `dropSchemas()` removes them after.
 */
import { randomUUID } from 'node:crypto'
import pg from 'pg'

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

/** Drops every schema `freshDatabase` created in this file. */
export async function dropSchemas(): Promise<void> {
  for (const { url, schema } of created.splice(0)) {
    const admin = new pg.Client({ connectionString: url })
    await admin.connect()
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
    await admin.end()
  }
}

/**
 * @module stack/ai-results/cli
 * `npm run ai:store -- --fhir URL result.json [more.json ...]`: stores AI runs (format in
 * docs/ai-results.md) as FHIR transactions. Credentials from the environment: AI_FHIR_TOKEN, or
 * AI_FHIR_USER and AI_FHIR_PASSWORD. Exit code 1 when any file was refused (its bad field is
 * named; nothing of that file is written).
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { authFromEnv, createHttpClient } from '../http'
import { AiResultError } from './schema'
import { storeAiResult } from './store'
import { runCli } from '../../scripts/lib/cli'

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { fhir: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  })
  if (values.help || !values.fhir || positionals.length === 0) {
    console.log('Usage: npm run ai:store -- --fhir URL result.json [more.json ...]')
    return values.help ? 0 : 1
  }
  const fhir = createHttpClient({ baseUrl: values.fhir, auth: authFromEnv(process.env, 'AI_FHIR') })
  let failed = 0
  for (const file of positionals) {
    try {
      let json: unknown
      try {
        json = JSON.parse(readFileSync(file, 'utf8'))
      } catch (err) {
        throw new AiResultError('', `not readable as JSON (${(err as Error).message})`)
      }
      const stored = await storeAiResult(fhir, json)
      console.log(
        `${file}: ${stored.outcome} ${stored.diagnosticReport} with ${stored.observations.length} finding(s) (${stored.device})`
      )
    } catch (err) {
      failed++
      console.error(`${file}: refused, nothing written: ${(err as Error).message}`)
    }
  }
  return failed > 0 ? 1 : 0
}

runCli(import.meta.url, main)

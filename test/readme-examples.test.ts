/**
 * The README's curl examples, as a user runs them against `CDS_DEV_MODE=1 npm start`: each
 * request file in fixtures/requests/*-prefetch.json carries its FHIR data, so it gets cards with
 * no FHIR server. If the README's commands drift from what the service does, this fails.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createApp } from '../src/app'
import { parseConfig } from '../src/config'
import { silentLogger } from '../src/log'
import { expectValidResponse } from './support/validate-responses'

const readme = readFileSync('README.md', 'utf8')
const app = createApp(parseConfig({ CDS_DEV_MODE: '1' }), {
  logger: silentLogger,
  now: () => new Date('2026-11-29T12:00:00Z'),
})

const post = async (path: string, file: string) => {
  const res = await app.request(`http://localhost${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: readFileSync(file),
  })
  await expectValidResponse(res, path.endsWith('/feedback') ? 'feedback' : 'service')
  return res
}

describe('README examples', () => {
  const examples = [
    ...readme.matchAll(
      /(\/cds-services\/[a-z-/]+) \\\n\s+-H 'content-type: application\/json' -d @(\S+)/g
    ),
  ]

  it('are all found in the README', () => {
    expect(examples.map((m) => m[1])).toEqual([
      '/cds-services/imaging-ai-findings',
      '/cds-services/imaging-ai-order-check',
      '/cds-services/imaging-ai-outstanding',
      '/cds-services/imaging-ai-findings/feedback',
    ])
  })

  it.each(examples.map((m) => [m[1]!, m[2]!]))(
    'POST %s with %s answers 200',
    async (path, file) => {
      const res = await post(path, file)
      expect(res.status).toBe(200)
      if (!path.endsWith('/feedback')) {
        const { cards } = (await res.json()) as { cards: { summary: string }[] }
        expect(cards.map((c) => c.summary)).toEqual([expect.stringContaining('Lung-RADS 4A')])
      }
    }
  )
})

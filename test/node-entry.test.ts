/**
 * The Node runtime entry as an operator runs it: the built `node dist/node.js` (no TypeScript
 * toolchain at run time; the suite's global setup builds it) with environment variables,
 * over real HTTP. Configuration errors are named; SIGTERM drains in-flight requests.
 */
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFhirServer, type FhirTestServer } from '../demo/fhir-server'
import { imagingStudyCompleteRequest, loadFixtureResources } from '../fixtures'
import { expectValidResponse } from './support/validate-responses'
import { listening, runService } from './support/service-process'
import { nodeOptionsFromEnv } from '../src/node'

const run = runService

describe('configuration errors', () => {
  it('refuses to start without a trust file outside development mode, saying why', async () => {
    const proc = run({ PORT: '0' })
    const [code] = await once(proc.child, 'exit')
    expect(code).toBe(1)
    expect(proc.output()).toContain('CDS_TRUST_FILE')
  })

  it('names each bad variable', async () => {
    const proc = run({
      PORT: 'eighty',
      CDS_DEV_MODE: '1',
      OHIF_VIEWER_URL: 'not a url',
      CDS_TRUST_FILE: '/nonexistent.json',
    })
    const [code] = await once(proc.child, 'exit')
    expect(code).toBe(1)
    expect(proc.output()).toContain('CDS_TRUST_FILE')
  })

  it('names bad values once the files are readable', async () => {
    const proc = run({ PORT: 'eighty', CDS_DEV_MODE: '1', OHIF_VIEWER_URL: 'not a url' })
    const [code] = await once(proc.child, 'exit')
    expect(code).toBe(1)
    expect(proc.output()).toMatch(/PORT: /)
    expect(proc.output()).toMatch(/OHIF_VIEWER_URL: /)
  })
})

describe('the PostgreSQL feedback outbox setting', () => {
  it('defaults to a file under the working directory and refuses :memory:', () => {
    expect(nodeOptionsFromEnv({}).CDS_FEEDBACK_OUTBOX).toBe('data/feedback-outbox.sqlite')
    expect(
      nodeOptionsFromEnv({ CDS_FEEDBACK_OUTBOX: ' /var/lib/cds/outbox.sqlite ' })
    ).toMatchObject({ CDS_FEEDBACK_OUTBOX: '/var/lib/cds/outbox.sqlite' })
    expect(() => nodeOptionsFromEnv({ CDS_FEEDBACK_OUTBOX: ':memory:' })).toThrow(
      /CDS_FEEDBACK_OUTBOX: must be a file path/
    )
  })
})

describe('serving over HTTP', () => {
  let fhir: FhirTestServer
  let proc: ReturnType<typeof run>
  let url: string
  beforeAll(async () => {
    fhir = await startFhirServer({ resources: loadFixtureResources('screening-4a') })
    proc = run({
      PORT: '0',
      CDS_DEV_MODE: '1',
      CDS_HOOK_BUDGET_MS: '5000',
      CDS_FEEDBACK_DB: ':memory:',
      CDS_BODY_LIMIT_BYTES: '100000',
    })
    url = await listening(proc)
  })
  afterAll(async () => {
    if (proc.child.exitCode === null) proc.child.kill('SIGKILL')
    await fhir.close()
  })

  it('warns loudly about development mode at start and on /healthz', async () => {
    expect(proc.output()).toContain('DEVELOPMENT MODE')
    const res = await fetch(`${url}/healthz`)
    expect(await res.json()).toMatchObject({ warning: expect.stringContaining('DEVELOPMENT MODE') })
  })

  it('serves discovery and answers a hook with cards', async () => {
    const discovery = await fetch(`${url}/cds-services`)
    await expectValidResponse(discovery, 'discovery')
    const res = await fetch(`${url}/cds-services/imaging-ai-findings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(imagingStudyCompleteRequest('screening-4a', { fhirServer: fhir.url })),
    })
    await expectValidResponse(res, 'service')
    const { cards } = (await res.json()) as { cards: { indicator: string }[] }
    expect(cards.map((c) => c.indicator)).toEqual(['warning'])
  })

  it("answers the README's curl example (prefetch only, no FHIR server) with the 4A card", async () => {
    const res = await fetch(`${url}/cds-services/imaging-ai-findings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: readFileSync('fixtures/requests/imaging-study-complete-prefetch.json'),
    })
    await expectValidResponse(res, 'service')
    const { cards } = (await res.json()) as { cards: { summary: string }[] }
    expect(cards.map((c) => c.summary)).toEqual([expect.stringContaining('Lung-RADS 4A')])
  })

  it('refuses a body above the limit with 413, by its Content-Length or as it streams', async () => {
    const big = JSON.stringify({ hook: 'x', pad: 'x'.repeat(200_000) })
    const sized = await fetch(`${url}/cds-services/imaging-ai-findings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: big,
    })
    expect(sized.status).toBe(413)
    const chunks = [big.slice(0, 60_000), big.slice(60_000)]
    const streamed = await fetch(`${url}/cds-services/imaging-ai-findings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new ReadableStream({
        pull(controller) {
          const next = chunks.shift()
          if (next === undefined) controller.close()
          else controller.enqueue(new TextEncoder().encode(next))
        },
      }),
      duplex: 'half',
    } as RequestInit)
    expect(streamed.status).toBe(413)
  })

  it('finishes in-flight requests on SIGTERM, then exits 0', async () => {
    fhir.setDelay(400)
    const pending = fetch(`${url}/cds-services/imaging-ai-findings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(imagingStudyCompleteRequest('screening-4a', { fhirServer: fhir.url })),
    })
    await new Promise((r) => setTimeout(r, 150))
    proc.child.kill('SIGTERM')
    const res = await pending
    expect(res.status).toBe(200)
    const [code] = await once(proc.child as ChildProcess, 'exit')
    expect(code).toBe(0)
    expect(proc.output()).toContain('shutdown.draining')
  })
})

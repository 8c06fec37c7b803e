/**
 * @module demo/run.test
 * The demo end to end: once in-process (its cards, checked against what the fixtures say a
 * clinician should see) and once as `npx tsx demo/run.ts` (exit code and printed story).
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import type { ServiceRequest } from 'fhir/r4'
import { getScenario } from '../fixtures/index'
import { describeAction, renderMarkdown } from './render'
import { runDemo, type DemoResult } from './run'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** The study date plus whole months, as a calendar date (what Lung-RADS intervals mean). */
function addMonths(isoDate: string, months: number): string {
  const d = new Date(isoDate)
  const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, d.getUTCDate()))
  return target.toISOString().slice(0, 10)
}

describe('npm run demo, in-process', () => {
  let result: DemoResult
  let output: string
  beforeAll(async () => {
    const lines: string[] = []
    result = await runDemo({
      write: (text) => lines.push(text),
      style: { color: false, width: 200 },
    })
    output = lines.join('\n')
  }, 90_000)

  const cardsOf = (id: string) => {
    const call = result.calls.find((c) => c.call.id === id)
    expect(call, `call ${id}`).toBeDefined()
    return call!.cards
  }

  it('completes with exit code 0', () => {
    expect(result.error).toBeUndefined()
    expect(result.exitCode).toBe(0)
    expect(result.calls.every((c) => c.status === 200)).toBe(true)
    expect(output).toContain('Demo complete')
  })

  it('shows the screening 4A card as a warning with an LDCT suggestion 3 months after the study', () => {
    const scenario = getScenario('screening-4a')
    const [card, ...rest] = cardsOf('study:screening-4a')
    expect(rest).toHaveLength(0)
    expect(card!.indicator).toBe('warning')
    expect(card!.summary).toContain('Lung-RADS 4A')
    const order = card!.suggestions?.[0]?.actions?.[0]?.resource as ServiceRequest
    expect(order.resourceType).toBe('ServiceRequest')
    expect(order.code?.coding?.[0]).toMatchObject({ system: 'http://loinc.org', code: '79086-5' })
    expect(order.occurrenceDateTime?.slice(0, 10)).toBe(addMonths(scenario.studyDate, 3))
    expect(order.occurrenceDateTime?.slice(0, 10)).toBe(scenario.expected.followUpDate)
    // ...and the terminal shows what the suggestion creates.
    expect(output).toContain(
      `creates ServiceRequest (draft proposal): LOINC 79086-5 "CT Chest for screening WO contrast", on ${scenario.expected.followUpDate}`
    )
  })

  it('shows the pulmonary embolism card as critical', () => {
    const cards = cardsOf('study:pulmonary-embolism')
    expect(cards.map((c) => c.indicator)).toEqual(['critical'])
    expect(output).toContain('‼ CRITICAL')
  })

  it('computes growth from the prior exam the finding links (4A over the AI\'s "stable")', () => {
    const scenario = getScenario('growth-from-prior')
    const [card, ...rest] = cardsOf('study:growth-from-prior')
    expect(rest).toHaveLength(0)
    expect(card!.summary).toContain('Lung-RADS 4A')
    expect(card!.detail).toContain(
      'History (newest first): 2026-11-18 (this exam): 7.0 mm; 2025-11-20: 5.0 mm'
    )
    expect(card!.detail).toMatch(
      /growing \(from the prior measurements\): 4A; stable \(as the AI reports it\)/
    )
    const order = card!.suggestions?.[0]?.actions?.[0]?.resource as ServiceRequest
    expect(order.occurrenceDateTime?.slice(0, 10)).toBe(scenario.expected.followUpDate)
  })

  it('gives no card for the clean study', () => {
    expect(cardsOf('study:clean-study')).toEqual([])
  })

  it('suggests no order for the patient whose follow-up is already ordered', () => {
    const cards = cardsOf('study:existing-followup')
    expect(cards.length).toBeGreaterThan(0)
    expect(cards.every((c) => !c.suggestions?.length)).toBe(true)
    expect(cardsOf('patient:existing-followup').every((c) => !c.suggestions?.length)).toBe(true)
  })

  it('calls with and without prefetch, and order-select and patient-view too', () => {
    const modes = new Set(result.calls.map((c) => `${c.call.hook}:${c.call.prefetch}`))
    expect(modes).toContain('imaging-study-complete:prefetch')
    expect(modes).toContain('imaging-study-complete:fetch')
    expect(modes).toContain('order-select:fetch')
    expect(modes).toContain('patient-view:fetch')
    // Without prefetch the service read everything itself; with it, only what templates cannot say.
    for (const c of result.calls.filter((x) => x.call.prefetch === 'fetch')) {
      expect(c.fhirReads, c.call.id).toBeGreaterThanOrEqual(6)
    }
    expect(cardsOf('order:screening-4a').length).toBeGreaterThan(0)
  })

  it('stores each feedback outcome once and reports it', () => {
    expect(result.report).toMatchObject({ total: 2, accepted: 1, overridden: 1, unknownCards: 0 })
    expect(output).toMatch(/By AI model version[\s\S]*SynthLung Nodule CAD 3\.2\.0\s+2\s+50\.0 %/)
  })
})

describe('npm run demo, as a process', () => {
  it('exits 0 and prints the story without colour when stdout is not a TTY', () => {
    const run = spawnSync('npx', ['tsx', 'demo/run.ts'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 90_000,
    })
    expect(run.stdout).not.toContain('Demo FAILED')
    expect(run.status, run.stdout + run.stderr).toBe(0)
    expect(run.stdout).toContain('imaging-study-complete · Patient/pat-screening-4a')
    expect(run.stdout).toContain('! WARNING  Lung-RADS 4A')
    expect(run.stdout).toContain('Card feedback: 2 outcomes (1 accepted, 1 overridden)')
    expect(run.stdout).not.toContain('\x1b[')
  }, 90_000)
})

describe('demo/render', () => {
  const plain = { color: false, width: 80 }

  it('renders card Markdown as plain text', () => {
    const lines = renderMarkdown(plain, '**Rule:** 8 to \\< 15 mm, `row-id`\n- one\n- two', '  ')
    expect(lines).toEqual(['  Rule: 8 to < 15 mm, row-id', '  • one', '  • two'])
  })

  it('says what a follow-up suggestion creates, with its date range', () => {
    const text = describeAction({
      type: 'create',
      description: 'Create a draft order',
      resource: {
        resourceType: 'ServiceRequest',
        status: 'draft',
        intent: 'proposal',
        subject: { reference: 'Patient/p' },
        code: {
          coding: [
            { system: 'http://loinc.org', code: '29252-4', display: 'CT Chest WO contrast' },
          ],
        },
        occurrencePeriod: { start: '2027-05-10', end: '2027-11-10' },
      },
    })
    expect(text).toBe(
      'creates ServiceRequest (draft proposal): LOINC 29252-4 "CT Chest WO contrast", between 2027-05-10 and 2027-11-10'
    )
  })
})

describe('npm run demo -- --keep --sandbox-origin', () => {
  it('serves the sandbox on its own service: its origin, private-network preflights, sandbox URLs', async () => {
    const { createServer } = await import('node:net')
    const freePort = () =>
      new Promise<number>((resolve) => {
        const server = createServer().listen(0, '127.0.0.1', () => {
          const { port } = server.address() as { port: number }
          server.close(() => resolve(port))
        })
      })
    const [sandboxPort, fhirPort] = [await freePort(), await freePort()]
    const origin = 'https://sandbox.cds-hooks.org'
    const lines: string[] = []
    let stop!: () => void
    const stopped = new Promise<void>((resolve) => (stop = resolve))
    const running = runDemo({
      keep: true,
      sandbox: { origin, port: sandboxPort },
      fhirPort,
      stop: stopped,
      write: (text) => lines.push(text),
      style: { color: false, width: 200 },
    })
    try {
      for (let i = 0; i < 600 && !lines.join('\n').includes('screen=pama'); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      const output = lines.join('\n')
      const discovery = `http://127.0.0.1:${sandboxPort}/cds-services`
      expect(output).toContain(`Discovery URL  ${discovery}`)
      expect(output).toContain(`http://127.0.0.1:${fhirPort}/fhir/R4`)
      const pama = new URL(output.match(/https:\/\/sandbox\.cds-hooks\.org\/\?\S*screen=pama/)![0])
      expect(pama.searchParams.get('serviceDiscoveryURL')).toBe(discovery)
      expect(pama.searchParams.get('fhirServiceUrl')).toBe(`http://127.0.0.1:${fhirPort}/fhir/R4`)
      const preflight = await fetch(discovery, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
          'access-control-request-private-network': 'true',
        },
      })
      expect(preflight.headers.get('access-control-allow-origin')).toBe(origin)
      expect(preflight.headers.get('access-control-allow-private-network')).toBe('true')
      // It trusts the sandbox's key only: the demo EHR's calls without it are refused.
      expect((await fetch(discovery)).status).toBe(401)
    } finally {
      stop()
      expect((await running).exitCode).toBe(0)
    }
  }, 120_000)
})

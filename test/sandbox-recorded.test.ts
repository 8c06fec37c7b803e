/**
 * The CDS Hooks sandbox's own calls, as recorded (fixtures/requests: open mode, so an http
 * `fhirServer` and no `fhirAuthorization`; `userId` COREPRACTITIONER1; order-select from its PAMA
 * imaging screen, first with an empty coding and `reasonCode: []`, then with the CPT code; no
 * `Bundle.type`), each with the prefetch the sandbox fetches for our templates. The cards they get
 * are pinned in test/golden/sandbox-cards.json: a change of protocol handling must not change
 * them. When a change of cards is intended (wording, a clinical rule), regenerate the file with
 * `UPDATE_GOLDEN=1 npx vitest run test/sandbox-recorded.test.ts` and review its diff.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFhirServer, type FhirTestServer } from '../demo/fhir-server'
import { loadFixtureRequest, loadFixtureResources, type FixtureRequestName } from '../fixtures'
import { createHarness, type Harness } from './support/harness'
import { prefetchAsEhr } from './support/ehr'

const GOLDEN = new URL('./golden/sandbox-cards.json', import.meta.url)

const recorded: { name: string; request: FixtureRequestName; service: string }[] = [
  { name: 'patient-view', request: 'patient-view', service: 'imaging-ai-outstanding' },
  {
    name: 'order-select, PAMA screen, before a procedure is picked',
    request: 'order-select-pama-no-code',
    service: 'imaging-ai-order-check',
  },
  {
    name: 'order-select, PAMA screen, CPT 71250 picked',
    request: 'order-select-pama',
    service: 'imaging-ai-order-check',
  },
]

let fhir: FhirTestServer
let h: Harness
const answers: Record<string, unknown> = {}

beforeAll(async () => {
  fhir = await startFhirServer({ resources: loadFixtureResources() })
  h = await createHarness({}, {}, [fhir.url])
})
afterAll(async () => {
  await fhir.close()
  if (process.env.UPDATE_GOLDEN) writeFileSync(GOLDEN, `${JSON.stringify(answers, null, 2)}\n`)
})

describe('requests recorded from the CDS Hooks sandbox', () => {
  it.each(recorded)('$name gets the cards it got before', async ({ name, request, service }) => {
    const body = loadFixtureRequest(request, { fhirServer: fhir.url, freshHookInstance: true })
    body.prefetch = await prefetchAsEhr(service, body.context, fhir.url)
    const res = await h.call(`/cds-services/${service}`, body)
    expect(res.status).toBe(200)
    const answer = await res.json()
    answers[name] = answer
    if (process.env.UPDATE_GOLDEN) return
    expect(existsSync(GOLDEN), 'test/golden/sandbox-cards.json is missing').toBe(true)
    const golden = JSON.parse(readFileSync(GOLDEN, 'utf8')) as Record<string, unknown>
    expect(answer, `cards changed for "${name}" (see this file's doc comment)`).toEqual(
      golden[name]
    )
  })
})

/**
 * The service as deployed to Cloudflare Workers, running in workerd: every endpoint and status
 * code, FHIR reads through the outbound service with the bearer token, configuration errors,
 * replay protection per binding, feedback in KV. Every CDS response is validated.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { FhirResource } from 'fhir/r4'
import discovery from '../../discovery.json'
import { getScenario } from '../../fixtures'
import { createFhirStore } from './fhir-mock'
import { loadFixtureResources } from '../../fixtures'
import {
  ACCESS_TOKEN,
  FHIR_BASE,
  REMOTE_JWKS_URL,
  SCENARIO,
  startWorkers,
  type WorkerHarness,
} from './support'

const FINDINGS = '/cds-services/imaging-ai-findings'
const scenario = getScenario(SCENARIO)
const context = {
  patientId: scenario.patientId,
  imagingStudyId: scenario.imagingStudyId,
  diagnosticReportId: scenario.diagnosticReportId,
  userId: 'Practitioner/prac-radiologist',
}
const fhirAccess = {
  fhirServer: FHIR_BASE,
  fhirAuthorization: {
    access_token: ACCESS_TOKEN,
    token_type: 'Bearer',
    expires_in: 300,
    scope: 'patient/*.read',
    subject: 'imaging-cds',
  },
}
const request = (over: Record<string, unknown> = {}) => ({
  hook: 'imaging-study-complete',
  hookInstance: crypto.randomUUID(),
  context,
  ...over,
})

/** The prefetch a client would send: each discovery template answered by the same FHIR data. */
function fullPrefetch(): Record<string, FhirResource | null> {
  const store = createFhirStore(loadFixtureResources(SCENARIO), FHIR_BASE)
  const service = discovery.services.find((s) => s.id === 'imaging-ai-findings')!
  return Object.fromEntries(
    Object.entries(service.prefetch).map(([key, template]) => [
      key,
      store.prefetch(template, context),
    ])
  )
}

type Cards = {
  cards: { uuid: string; summary: string; indicator: string; links?: { url: string }[] }[]
}

let h: WorkerHarness
beforeAll(async () => {
  h = await startWorkers()
})
afterAll(async () => {
  await h?.mf.dispose()
})
beforeEach(() => {
  h.seen.length = 0
})

describe('health and discovery', () => {
  it('healthz answers 200 without a token', async () => {
    const res = await h.call('cds', '/healthz', { token: null, validate: false })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok' })
  })

  it('healthz warns in development mode', async () => {
    const res = await h.call('cds-dev', '/healthz', { token: null, validate: false })
    expect(await res.json()).toMatchObject({ warning: expect.stringContaining('DEVELOPMENT MODE') })
  })

  it('discovery lists the three services', async () => {
    const res = await h.call('cds', '/cds-services')
    expect(res.status).toBe(200)
    const body = (await res.json()) as { services: { id: string }[] }
    expect(body.services.map((s) => s.id)).toEqual([
      'imaging-ai-findings',
      'imaging-ai-order-check',
      'imaging-ai-outstanding',
    ])
  })
})

describe('hook calls', () => {
  it('200 with cards from prefetch alone, without FHIR access', async () => {
    const res = await h.call('cds', FINDINGS, { body: request({ prefetch: fullPrefetch() }) })
    expect(res.status).toBe(200)
    const { cards } = (await res.json()) as Cards
    expect(cards.length).toBeGreaterThan(0)
    expect(cards.map((c) => c.summary).join('\n')).toContain('4A')
    expect(h.seen).toEqual([])
  })

  it('200 with the same cards when the data is read through fhirServer with the bearer token', async () => {
    const fromPrefetch = (await (
      await h.call('cds', FINDINGS, { body: request({ ...fhirAccess, prefetch: fullPrefetch() }) })
    ).json()) as Cards
    h.seen.length = 0
    const res = await h.call('cds', FINDINGS, { body: request(fhirAccess) })
    expect(res.status).toBe(200)
    const fetched = (await res.json()) as Cards
    const fhirCalls = h.seen.filter((s) => s.url.startsWith(FHIR_BASE))
    const paths = fhirCalls.map((s) => new URL(s.url).pathname)
    expect(paths).toContain(`/r4/Patient/${scenario.patientId}`)
    expect(paths).toContain(`/r4/ImagingStudy/${scenario.imagingStudyId}`)
    expect(paths).toContain('/r4/Observation')
    expect(fhirCalls.every((s) => s.authorization === `Bearer ${ACCESS_TOKEN}`)).toBe(true)
    expect(fetched.cards.map((c) => [c.summary, c.indicator])).toEqual(
      fromPrefetch.cards.map((c) => [c.summary, c.indicator])
    )
    // The Endpoint read through FHIR maps to the data source given as a JSON [vars] value.
    const links = fetched.cards.flatMap((c) => c.links ?? []).map((l) => l.url)
    expect(links.some((url) => url.startsWith('https://viewer.test/viewer/orthanc?'))).toBe(true)
  })

  it('400 for malformed JSON', async () => {
    const res = await h.call('cds', FINDINGS, { raw: '{"hook": ' })
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('Malformed JSON')
  })

  it('400 when the hook does not match the service', async () => {
    const res = await h.call('cds', FINDINGS, { body: request({ hook: 'patient-view' }) })
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('not patient-view')
  })

  it('400 when required context is missing, naming the field', async () => {
    const res = await h.call('cds', FINDINGS, {
      body: request({ context: { patientId: scenario.patientId } }),
    })
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('context.imagingStudyId')
  })

  it('404 for an unknown service and for an unknown path', async () => {
    const service = await h.call('cds', '/cds-services/nope', { body: request() })
    expect(service.status).toBe(404)
    expect(await service.text()).toContain('Unknown CDS service: nope')
    const path = await h.call('cds', '/nowhere', { token: null })
    expect(path.status).toBe(404)
  })

  it('412 when data is neither prefetched nor fetchable', async () => {
    const res = await h.call('cds', FINDINGS, { body: request() })
    expect(res.status).toBe(412)
    expect(h.seen).toEqual([])
  })

  it('413 for a body above CDS_BODY_LIMIT_BYTES', async () => {
    const res = await h.call('cds-memory', FINDINGS, {
      raw: JSON.stringify(request({ padding: 'x'.repeat(4096) })),
    })
    expect(res.status).toBe(413)
  })

  it('answers in development mode without a token or trust file', async () => {
    const res = await h.call('cds-dev', FINDINGS, {
      token: null,
      body: request({ ...fhirAccess, prefetch: fullPrefetch() }),
    })
    expect(res.status).toBe(200)
  })
})

describe('authentication', () => {
  it('401 without a token', async () => {
    const res = await h.call('cds', '/cds-services', { token: null })
    expect(res.status).toBe(401)
  })

  it('401 for a token that is not a JWT, signed by another key, or for another audience', async () => {
    const forged = await h.token('/cds-services', { issuer: 'stranger' })
    const otherAud = await h.token('/cds-services/imaging-ai-order-check')
    for (const token of ['not-a-jwt', forged, otherAud]) {
      const res = await h.call('cds', '/cds-services', { token })
      expect(res.status).toBe(401)
      // No detail for the caller: the reason is only logged.
      expect(await res.text()).not.toMatch(/signature|audience|kid/i)
    }
  })

  it('fetches a remote JWKS once, even for concurrent first requests', async () => {
    const responses = await Promise.all(
      [1, 2, 3].map(async () =>
        h.call('cds', '/cds-services', {
          token: await h.token('/cds-services', { issuer: 'remote' }),
        })
      )
    )
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200])
    expect(h.seen.filter((s) => s.url === REMOTE_JWKS_URL)).toHaveLength(1)
  })
})

describe('replay protection', () => {
  const replay = async (first: string, second: string) => {
    const token = await h.token('/cds-services')
    const a = await h.call(first as 'cds', '/cds-services', { token })
    const b = await h.call(second as 'cds', '/cds-services', { token })
    return [a.status, b.status]
  }

  it('the Durable Object guard refuses a replay in the same and in another isolate', async () => {
    expect(await replay('cds', 'cds')).toEqual([200, 401])
    expect(await replay('cds', 'cds-twin')).toEqual([200, 401])
    expect(await replay('cds-twin', 'cds')).toEqual([200, 401])
  })

  it('the KV guard refuses a replay and stores the id with a TTL of at least 60 s', async () => {
    expect(await replay('cds-kv', 'cds-kv')).toEqual([200, 401])
    // Another isolate sees the KV entry (locally at once; at the edge only after propagation).
    expect(await replay('cds-kv', 'cds-kv-twin')).toEqual([200, 401])
    const kv = await h.kv('CDS_JTI_KV', 'cds-kv')
    const { keys } = await kv.list({ prefix: 'jti:' })
    expect(keys.length).toBeGreaterThanOrEqual(2)
    const now = Date.now() / 1000
    for (const key of keys) expect(key.expiration! - now).toBeGreaterThanOrEqual(59)
  })

  it('without a binding, memory protects one isolate only, and a warning is logged once', async () => {
    expect(await replay('cds-memory', 'cds-memory')).toEqual([200, 401])
    // Documented trade-off: another isolate does not know the id.
    expect(await replay('cds-memory', 'cds-memory-twin')).toEqual([200, 200])
    const warnings = h.logs.filter((l) => l.includes('startup.replay_memory'))
    expect(warnings).toHaveLength(2) // one per isolate (cds-memory, cds-memory-twin)
  })
})

describe('configuration errors', () => {
  it('500 with an OperationOutcome when CDS_TRUST is invalid, details in the log', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await h.call('cds-bad-trust', '/cds-services')
      expect(res.status).toBe(500)
      expect(await res.text()).toContain('misconfigured')
    }
    const logged = h.logs.filter((l) => l.includes('startup.misconfigured'))
    expect(logged.some((l) => l.includes('not valid JSON'))).toBe(true)
  })

  it('500 when CDS_PUBLIC_URL is missing outside development mode', async () => {
    const res = await h.call('cds-no-url', '/healthz', { token: null })
    expect(res.status).toBe(500)
    expect(h.logs.some((l) => l.includes('CDS_PUBLIC_URL: required on Workers'))).toBe(true)
  })
})

describe('CORS', () => {
  it('answers a preflight with 204 without a token', async () => {
    const res = await h.call('cds', FINDINGS, {
      method: 'OPTIONS',
      token: null,
      validate: false,
      headers: {
        origin: 'https://ehr.test',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('https://ehr.test')
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain(
      'authorization'
    )
  })
})

describe('feedback', () => {
  const FEEDBACK = `${FINDINGS}/feedback`

  it('200, stored once in KV with what the card was about, for repeats too', async () => {
    const issued = (await (
      await h.call('cds', FINDINGS, { body: request({ ...fhirAccess, prefetch: fullPrefetch() }) })
    ).json()) as Cards
    const card = issued.cards[0]!.uuid
    const item = {
      card,
      outcome: 'overridden',
      overrideReason: {
        reason: { system: 'urn:imaging-cds:override-reason', code: 'already-addressed' },
      },
      outcomeTimestamp: '2026-11-29T10:05:31Z',
    }
    expect((await h.call('cds', FEEDBACK, { body: { feedback: [item, item] } })).status).toBe(200)
    // A client retrying the same outcome: still one record.
    expect((await h.call('cds', FEEDBACK, { body: { feedback: [item] } })).status).toBe(200)
    const kv = await h.kv('CDS_FEEDBACK_KV', 'cds')
    const { keys } = await kv.list({ prefix: 'feedback:' })
    const records = await Promise.all(keys.map((k) => kv.get(k.name, 'json')))
    const mine = records.filter((r) => (r as { card: string }).card === card)
    expect(mine).toHaveLength(1)
    expect(mine[0]).toMatchObject({
      service: 'imaging-ai-findings',
      iss: expect.any(String),
      outcome: 'overridden',
      overrideReasonCode: 'already-addressed',
      findingKind: 'pulmonary-nodule',
      hasUserComment: false,
    })
    expect(h.logs.filter((l) => l.includes('"feedback.outcome"') && l.includes(card))).toHaveLength(
      1
    )
  })

  it('400 for feedback that breaks the rules', async () => {
    const res = await h.call('cds', FEEDBACK, {
      body: {
        feedback: [{ card: 'x', outcome: 'accepted', outcomeTimestamp: '2026-11-29T10:05:31Z' }],
      },
    })
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('acceptedSuggestions')
  })
})

describe('logs', () => {
  // Last, so it sees the lines of every call above.
  it('never contain access tokens or JWTs', () => {
    const all = h.logs.join('\n')
    expect(all).toContain('http.request')
    expect(all).not.toContain(ACCESS_TOKEN)
    expect(all).not.toMatch(/eyJ[\w-]+\.eyJ/)
  })
})

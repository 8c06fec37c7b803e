/**
 * CDS Hooks 2.0 to the letter where it speaks (issue 15): the custom hook's reverse-domain name
 * and its definition document; https for FHIR servers; reads that stop where the template or
 * a cap says; the default time budget. Every response is validated by the harness.
 */
import { readFileSync } from 'node:fs'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { setupServer } from 'msw/node'
import { http, HttpResponse } from 'msw'
import type { Bundle, FhirResource } from 'fhir/r4'
import { ConfigError, parseConfig } from '../src/config'
import { contextSchemas } from '../src/protocol/request'
import { loadServices } from '../src/discovery'
import { createApp } from '../src/app'
import { assertValidDiscovery } from '../src/protocol/validate'
import declared from '../discovery.json'
import { loadFixtureRequest } from '../fixtures'
import { createHarness, FHIR_BASE, fhirAuthorization } from './support/harness'

const FINDINGS = '/cds-services/imaging-ai-findings'
const CANONICAL = 'org.imaging-cds.imaging-study-complete'

/** The prefetch-carrying imaging-study-complete request of the README, under another hook name. */
const studyRequest = (hook: string) => ({
  ...loadFixtureRequest('imaging-study-complete', { freshHookInstance: true }),
  ...JSON.parse(readFileSync('fixtures/requests/imaging-study-complete-prefetch.json', 'utf8')),
  hookInstance: crypto.randomUUID(),
  hook,
})

const hooksOf = async (env: Record<string, string> = {}) => {
  const h = await createHarness(env)
  const body = (await (await h.call('/cds-services')).json()) as {
    services: { id: string; hook: string }[]
  }
  return Object.fromEntries(body.services.map((s) => [s.id, s.hook]))
}

describe('the custom hook has a reverse-domain name', () => {
  it('is announced as org.imaging-cds.imaging-study-complete by default', async () => {
    expect((await hooksOf())['imaging-ai-findings']).toBe(CANONICAL)
    expect(parseConfig({ CDS_DEV_MODE: '1' }).imagingHook).toBe(CANONICAL)
  })

  it('takes its domain from CDS_HOOK_DOMAIN, or its whole name from CDS_IMAGING_HOOK', async () => {
    expect((await hooksOf({ CDS_HOOK_DOMAIN: 'org.example' }))['imaging-ai-findings']).toBe(
      'org.example.imaging-study-complete'
    )
    expect(
      parseConfig({ CDS_DEV_MODE: '1', CDS_IMAGING_HOOK: 'com.acme.ai-read-complete' }).imagingHook
    ).toBe('com.acme.ai-read-complete')
  })

  it.each([
    'example',
    'Org.Example',
    'org..example',
    'org.example.',
    '-org.example',
    'org example',
  ])('refuses CDS_HOOK_DOMAIN=%j at start, naming the variable', (domain) => {
    expect(() => parseConfig({ CDS_DEV_MODE: '1', CDS_HOOK_DOMAIN: domain })).toThrow(ConfigError)
    expect(() => parseConfig({ CDS_DEV_MODE: '1', CDS_HOOK_DOMAIN: domain })).toThrow(
      /CDS_HOOK_DOMAIN: must be a reverse domain name/
    )
  })

  it('answers the canonical name and the plain alias with the same cards, uuids included', async () => {
    const h = await createHarness()
    const canonical = await h.call(FINDINGS, studyRequest(CANONICAL))
    const alias = await h.call(FINDINGS, studyRequest('imaging-study-complete'))
    expect(canonical.status).toBe(200)
    expect(alias.status).toBe(200)
    const cards = ((await canonical.json()) as { cards: { uuid: string }[] }).cards
    expect(cards.length).toBeGreaterThan(0)
    expect(await alias.json()).toEqual({ cards })
  })

  it('refuses any other name with a 400 that names both accepted ones', async () => {
    const h = await createHarness()
    for (const hook of ['org.example.imaging-study-complete', 'patient-view']) {
      const res = await h.call(FINDINGS, studyRequest(hook))
      expect(res.status).toBe(400)
      expect(await res.text()).toContain(
        `answers the ${CANONICAL} hook (or imaging-study-complete), not ${hook}`
      )
    }
  })
})

describe('hooks/imaging-study-complete.md follows the hook template', () => {
  const doc = readFileSync('hooks/imaging-study-complete.md', 'utf8')
  const metadata = Object.fromEntries(
    [...doc.matchAll(/^\| (\w+) \| (.+?) \|$/gm)].map((m) => [m[1], m[2]])
  )

  it('gives the metadata: spec 2.0, a semver hookVersion, maturity 0 - Draft, a domain as publisher', () => {
    expect(doc.split('\n')[0]).toBe(`# \`${CANONICAL}\``)
    expect(metadata.specificationVersion).toBe('2.0')
    expect(metadata.hookVersion).toMatch(/^\d+\.\d+\.\d+$/)
    expect(metadata.hookMaturity).toBe('0 - Draft')
    expect(metadata.publisher).toMatch(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/)
    for (const section of ['## Workflow', '## Context', '### Examples', '## Change Log'])
      expect(doc).toContain(`\n${section}\n`)
    // The change log's last row is the version the metadata states.
    const versions = [...doc.matchAll(/^\| (\d+\.\d+\.\d+) \|/gm)].map((m) => m[1])
    expect(versions.at(-1)).toBe(metadata.hookVersion)
  })

  it('lists exactly the context fields the service reads, with the optionality it enforces', () => {
    const rows = [...doc.matchAll(/^\| `(\w+)` \| (REQUIRED|OPTIONAL) \| (Yes|No) \|/gm)]
    const schema = contextSchemas['imaging-study-complete']
    expect(rows.map((r) => r[1]).sort()).toEqual(Object.keys(schema.shape).sort())
    for (const [, field, optionality] of rows) {
      const optional = schema.shape[field as keyof typeof schema.shape].safeParse(undefined).success
      expect(`${field} ${optionality}`).toBe(`${field} ${optional ? 'OPTIONAL' : 'REQUIRED'}`)
    }
  })

  it('shows complete examples: "context" wrapped ones the service accepts, and a whole request', async () => {
    const blocks = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!)
    const contexts = blocks.filter((b) => b.startsWith('"context":'))
    expect(contexts.length).toBeGreaterThanOrEqual(2)
    for (const block of contexts) {
      const { context } = JSON.parse(`{${block}}`) as { context: unknown }
      expect(contextSchemas['imaging-study-complete'].safeParse(context).success).toBe(true)
    }
    const whole = blocks.filter((b) => b.startsWith('{')).map((b) => JSON.parse(b) as object)
    expect(whole).toHaveLength(1)
    const h = await createHarness()
    // Without prefetch and with an fhirServer the harness does not allow: a precondition failure,
    // not a 400, so the request itself is valid.
    const res = await h.call(FINDINGS, whole[0])
    expect(res.status).toBe(412)
  })
})

describe('the trust file requires https FHIR servers outside loopback', () => {
  const trustWith = (fhirServers: string[]) =>
    JSON.stringify({
      issuers: [{ iss: 'https://ehr.test', jwksUrl: 'https://ehr.test/jwks', fhirServers }],
    })

  it('refuses to start with an http FHIR server on another host, naming the entry', () => {
    const start = () => parseConfig({ CDS_TRUST: trustWith(['http://fhir.hospital.test/r4']) })
    expect(start).toThrow(ConfigError)
    expect(start).toThrow(
      /CDS_TRUST_FILE: Invalid trust config:\n- issuers\[0\]\.fhirServers\[0\]: "http:\/\/fhir\.hospital\.test\/r4" must use https/
    )
  })

  it('starts with https ones, loopback http ones, and in development mode', () => {
    expect(() =>
      parseConfig({ CDS_TRUST: trustWith(['https://fhir.hospital.test/r4', 'http://localhost:*']) })
    ).not.toThrow()
    expect(() =>
      parseConfig({ CDS_DEV_MODE: '1', CDS_TRUST: trustWith(['http://fhir.hospital.test/r4']) })
    ).not.toThrow()
    expect(() =>
      parseConfig({
        CDS_TRUST: readFileSync('config/trust.dev-sandbox.UNSAFE.json', 'utf8'),
      })
    ).not.toThrow()
  })
})

describe('prefetch reads stop where the template or the page cap says', () => {
  const study: FhirResource = {
    resourceType: 'ImagingStudy',
    id: 's1',
    status: 'available',
    subject: { reference: 'Patient/p1' },
  }
  const page = (next?: string): Bundle => ({
    resourceType: 'Bundle',
    type: 'searchset',
    entry: [],
    ...(next ? { link: [{ relation: 'next', url: `${FHIR_BASE}/${next}` }] } : {}),
  })
  const seen: string[] = []
  let findingsPages = 0
  const fhir = setupServer(
    http.get(`${FHIR_BASE}/*`, ({ request }) => {
      const url = new URL(request.url)
      seen.push(`${url.pathname.slice('/r4/'.length)}${url.search}`)
      if (url.pathname.endsWith('/ImagingStudy/s1')) return HttpResponse.json(study)
      if (url.pathname.endsWith('/Patient/p1'))
        return HttpResponse.json({ resourceType: 'Patient', id: 'p1' })
      // The smoking search (`_count=1`) and the endless findings search both say there is more.
      if (url.searchParams.get('code')?.includes('72166-2'))
        return HttpResponse.json(page('x?more=1'))
      if (url.searchParams.get('category') === 'imaging' || url.searchParams.has('p'))
        return HttpResponse.json(page(`Observation?p=${++findingsPages}`))
      return HttpResponse.json(page())
    })
  )
  beforeAll(() => fhir.listen({ onUnhandledRequest: 'error' }))
  afterEach(() => {
    seen.length = 0
    findingsPages = 0
  })
  afterAll(() => fhir.close())

  const call = async (prefetch?: Record<string, unknown>) => {
    const h = await createHarness()
    return h.call(FINDINGS, {
      hook: CANONICAL,
      hookInstance: crypto.randomUUID(),
      fhirServer: FHIR_BASE,
      fhirAuthorization: fhirAuthorization(),
      context: { patientId: 'p1', imagingStudyId: 's1' },
      ...(prefetch ? { prefetch } : {}),
    })
  }

  it('reads only the first page of a template limited with _count, fetched or prefetched', async () => {
    const findings = page()
    const fetched = await call({ findings })
    expect(fetched.status).toBe(200)
    expect(seen.filter((u) => u.includes('72166-2'))).toHaveLength(1)
    expect(seen.filter((u) => u.startsWith('x'))).toEqual([])
    seen.length = 0
    const sent = await call({ findings, smoking: page('x?more=1') })
    expect(sent.status).toBe(200)
    expect(seen.filter((u) => u.includes('72166-2') || u.startsWith('x'))).toEqual([])
  })

  it('reads at most 20 pages of a key, and does not assess a key with pages left', async () => {
    const res = await call()
    expect(res.status).toBe(412)
    expect(await res.text()).toContain('findings (more than 20 pages, too many to read)')
    expect(seen.filter((u) => u.startsWith('Observation?') && !u.includes('72166-2'))).toHaveLength(
      20
    )
  })
})

describe('the time budget', () => {
  it('is 1000 ms by default, with one FHIR read timing out before it', () => {
    const config = parseConfig({ CDS_DEV_MODE: '1' })
    expect(config.hookBudgetMs).toBe(1000)
    expect(config.fhirTimeoutMs).toBeLessThan(config.hookBudgetMs)
    expect(config.fhirTimeoutMs).toBe(750)
  })

  it('refuses a FHIR read timeout that is not below the budget, naming both', () => {
    for (const env of [
      { CDS_FHIR_TIMEOUT_MS: '1000' },
      { CDS_HOOK_BUDGET_MS: '500', CDS_FHIR_TIMEOUT_MS: '800' },
    ]) {
      expect(() => parseConfig({ CDS_DEV_MODE: '1', ...env })).toThrow(
        /CDS_FHIR_TIMEOUT_MS: must be below CDS_HOOK_BUDGET_MS/
      )
    }
    expect(
      parseConfig({ CDS_DEV_MODE: '1', CDS_HOOK_BUDGET_MS: '3000', CDS_FHIR_TIMEOUT_MS: '2000' })
        .fhirTimeoutMs
    ).toBe(2000)
  })
})

describe('extension, wherever the spec allows it', () => {
  it('is allowed on a discovery service and served as written', () => {
    const extension = { 'org.example.model-card': { url: 'https://example.org/model', v: 3 } }
    const document = {
      services: declared.services.map((s, i) => (i === 0 ? { ...s, extension } : s)),
    }
    const services = loadServices(CANONICAL, document)
    expect(services[0]!.extension).toEqual(extension)
    expect(services[1]).not.toHaveProperty('extension')
    assertValidDiscovery({ services })
  })
})

describe('discovery.json checked against the handlers at start', () => {
  const config = parseConfig({ CDS_DEV_MODE: '1' })
  const withoutTemplate = (id: string, key: string) => ({
    services: declared.services.map((s) => {
      if (s.id !== id) return s
      return {
        ...s,
        prefetch: Object.fromEntries(Object.entries(s.prefetch).filter(([k]) => k !== key)),
      }
    }),
  })

  it('starts with the declared document', () => {
    expect(() => createApp(config, { discovery: declared })).not.toThrow()
  })

  it('refuses a service that requires a prefetch key it has no template for', () => {
    expect(() =>
      createApp(config, { discovery: withoutTemplate('imaging-ai-findings', 'reports') })
    ).toThrow(
      'discovery.json: service imaging-ai-findings requires prefetch reports but has no template for it'
    )
    expect(() =>
      createApp(config, { discovery: withoutTemplate('imaging-ai-outstanding', 'orders') })
    ).toThrow(/service imaging-ai-outstanding requires prefetch orders/)
  })

  it('refuses a service without a handler', () => {
    const document = {
      services: [...declared.services, { ...declared.services[0]!, id: 'no-such-service' }],
    }
    expect(() => createApp(config, { discovery: document })).toThrow(
      'discovery.json declares no-such-service, which has no handler'
    )
  })
})

describe('lenient where the spec is silent, strict where the service reads', () => {
  const prefetched = () => studyRequest(CANONICAL)

  it('accepts any JSON in fhirAuthorization fields it never reads, and in extension', async () => {
    const h = await createHarness()
    const strict = await (await h.call(FINDINGS, prefetched())).json()
    for (const odd of [
      { expires_in: '300' },
      { expires_in: 300.5, token_type: 'bearer', scope: ['patient/*.read'] },
      { subject: { id: 'imaging-cds' }, patient: 42, token_type: 'DPoP' },
    ]) {
      const body = prefetched()
      body.fhirAuthorization = { ...body.fhirAuthorization, ...odd }
      const res = await h.call(FINDINGS, { ...body, extension: ['not', 'an', 'object'] })
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual(strict)
    }
  })

  it.each([
    [{ fhirAuthorization: { token_type: 'Bearer' } }, 'fhirAuthorization.access_token'],
    [{ fhirAuthorization: { access_token: 'tok\nen' } }, 'fhirAuthorization.access_token'],
    [{ fhirServer: 'ftp://fhir.test/r4' }, 'fhirServer'],
    [{ hookInstance: 7 }, 'hookInstance'],
    [{ context: { patientId: '../Patient', imagingStudyId: 's1' } }, 'context.patientId'],
  ])('refuses a field it reads when malformed, with a 400 naming it (%j)', async (over, path) => {
    const h = await createHarness()
    const res = await h.call(FINDINGS, { ...prefetched(), ...over })
    expect(res.status).toBe(400)
    expect(await res.text()).toContain(`${path}: `)
  })
})

describe('feedback, validated entry by entry', () => {
  const FEEDBACK = '/cds-services/imaging-ai-findings/feedback'
  const at = '2026-11-29T10:05:31Z'
  const card = (n: number) => `0b7e3c8a-3f55-5a3c-9e1f-2c3d4e5f6a${String(n).padStart(2, '0')}`
  const overridden = (n: number, extra: Record<string, unknown> = {}) => ({
    card: card(n),
    outcome: 'overridden',
    outcomeTimestamp: at,
    ...extra,
  })
  const stored = (h: Awaited<ReturnType<typeof createHarness>>) =>
    h.logs.filter((l) => l.includes('"feedback.outcome"')).map((l) => JSON.parse(l).card as string)

  const harness = async () => {
    const h = await createHarness()
    await h.issueCards([1, 2, 3, 4, 5].map(card))
    return h
  }

  it('stores the valid entries and says which were refused and why', async () => {
    const h = await harness()
    const res = await h.call(FEEDBACK, {
      feedback: [
        overridden(1),
        overridden(2, { outcomeTimestamp: '2026-11-29 10:05' }),
        { card: card(3), outcome: 'accepted', outcomeTimestamp: at },
        'not an entry',
        overridden(5, { overrideReason: { reason: { code: 'x', system: 'urn:x' } } }),
      ],
    })
    expect(res.status).toBe(200)
    const { refused } = (await res.json()) as { refused: { index: number; reason: string }[] }
    expect(refused.map((r) => r.index)).toEqual([1, 2, 3])
    expect(refused[0]).toMatchObject({ card: card(2) })
    expect(refused[0]!.reason).toMatch(/^feedback\[1\]\.outcomeTimestamp: .*RFC 3339/)
    expect(refused[1]!.reason).toContain('feedback[2].acceptedSuggestions: required')
    expect(refused[2]).not.toHaveProperty('card')
    expect(stored(h)).toEqual([card(1), card(5)])
  })

  it('answers {} when every entry is stored, and 400 only when none is valid', async () => {
    const h = await harness()
    expect(await (await h.call(FEEDBACK, { feedback: [overridden(1)] })).json()).toEqual({})
    const none = await h.call(FEEDBACK, {
      feedback: [overridden(2, { outcome: 'ignored' }), overridden(3, { card: 7 })],
    })
    expect(none.status).toBe(400)
    const text = await none.text()
    expect(text).toContain('no valid entry')
    expect(text).toContain('feedback[0].outcome')
    expect(text).toContain('feedback[1].card')
    for (const body of [{}, { feedback: [] }, { feedback: 'x' }, []])
      expect((await h.call(FEEDBACK, body)).status).toBe(400)
  })

  it('accepts acceptedSuggestions: [] on an override and an empty userComment', async () => {
    const h = await harness()
    const res = await h.call(FEEDBACK, {
      feedback: [
        overridden(1, { acceptedSuggestions: [] }),
        overridden(2, { overrideReason: { userComment: '' } }),
        overridden(3, {
          overrideReason: { reason: { code: 'x', system: 'urn:x' }, userComment: '' },
        }),
      ],
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({})
    expect(stored(h)).toEqual([card(1), card(2), card(3)])
    // Still refused: suggestions accepted on an override, and an acceptance of nothing.
    const contradictory = await h.call(FEEDBACK, {
      feedback: [
        overridden(4, { acceptedSuggestions: [{ id: 'a' }] }),
        { card: card(5), outcome: 'accepted', acceptedSuggestions: [], outcomeTimestamp: at },
      ],
    })
    expect(contradictory.status).toBe(400)
  })
})

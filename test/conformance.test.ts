/**
 * CDS Hooks 2.0 to the letter where it speaks (issue 15): the custom hook's reverse-domain name
 * and its definition document; https for FHIR servers. Every response is validated by the
 * harness.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ConfigError, parseConfig } from '../src/config'
import { contextSchemas } from '../src/protocol/request'
import { loadFixtureRequest } from '../fixtures'
import { createHarness } from './support/harness'

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

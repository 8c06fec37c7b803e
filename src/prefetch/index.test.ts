/**
 * Prefetch on its own: template tokens, what counts as satisfied, what is fetched instead, paging
 * and the per-key bounds. The FHIR client is a plain object answering from a table (the real
 * client over HTTP is tested in src/fhir/client.test.ts and through the hooks in test/).
 */
import type { Bundle, FhirResource } from 'fhir/r4'
import { describe, expect, it } from 'vitest'
import { FhirRequestError, type FhirClient } from '../fhir/client'
import {
  fillTemplate,
  firstPageOnly,
  gatherPrefetch,
  MAX_PAGES_PER_KEY,
  MAX_RESOURCES_PER_KEY,
  resourcesOf,
} from './index'

const patient = { resourceType: 'Patient', id: 'p1' } as FhirResource
const outcome = { resourceType: 'OperationOutcome', issue: [] } as unknown as FhirResource
const searchset = (count: number, next?: string): Bundle => ({
  resourceType: 'Bundle',
  type: 'searchset',
  entry: Array.from({ length: count }, (_, i) => ({
    resource: { resourceType: 'Observation', id: `o${i}`, status: 'final', code: {} },
  })),
  ...(next ? { link: [{ relation: 'next', url: next }] } : {}),
})

/** A FHIR client answering reads from `answers` (an Error is thrown), recording what it read. */
function fakeClient(answers: Record<string, FhirResource | Error>) {
  const reads: string[] = []
  const pagesAsked: (number | undefined)[] = []
  const client: FhirClient = {
    baseUrl: 'https://fhir.test/r4',
    async get(url) {
      reads.push(url)
      const answer = answers[url]
      if (answer === undefined) throw new FhirRequestError('FHIR server answered 404', 404)
      if (answer instanceof Error) throw answer
      return structuredClone(answer)
    },
    async allPages(bundle, limits) {
      pagesAsked.push(limits?.maxPages)
      // Follows one next link when the table has it; otherwise leaves the link (pages left).
      const next = bundle.link?.find((l) => l.relation === 'next')?.url
      const page = next ? answers[next] : undefined
      if (!next || !page || page instanceof Error) return bundle
      const rest = page as Bundle
      return {
        ...bundle,
        link: rest.link ?? [],
        entry: [...(bundle.entry ?? []), ...(rest.entry ?? [])],
      }
    },
  }
  return { client, reads, pagesAsked }
}

const context = { patientId: 'p1', userId: 'Practitioner/dr-1' }

describe('fillTemplate', () => {
  it('fills context tokens, URL-encoded, and user tokens from userId', () => {
    expect(fillTemplate('Patient/{{context.patientId}}', context)).toBe('Patient/p1')
    expect(fillTemplate('Observation?x={{ context.q }}', { q: 'a b&c' })).toBe(
      'Observation?x=a%20b%26c'
    )
    expect(fillTemplate('Practitioner/{{userPractitionerId}}', context)).toBe('Practitioner/dr-1')
    expect(fillTemplate('X?n={{context.n}}', { n: 3 })).toBe('X?n=3')
  })

  it('cannot fill a template whose token has no value', () => {
    expect(fillTemplate('Patient/{{context.patientId}}', {})).toBeUndefined()
    expect(fillTemplate('Patient/{{context.patientId}}', { patientId: '' })).toBeUndefined()
    expect(fillTemplate('Patient/{{context.patientId}}', { patientId: { id: 1 } })).toBeUndefined()
    // userId names a Practitioner, not a Patient.
    expect(fillTemplate('Patient/{{userPatientId}}', context)).toBeUndefined()
  })

  it('reads _count templates as first page only', () => {
    expect(firstPageOnly('Observation?patient=1&_count=1')).toBe(true)
    expect(firstPageOnly('Observation?patient=1')).toBe(false)
  })
})

describe('gatherPrefetch', () => {
  const templates = { patient: 'Patient/{{context.patientId}}' }

  it('uses what the client sent, and null as "looked, found nothing", without reading', async () => {
    const fhir = fakeClient({ 'Patient/p1': patient })
    const sent = await gatherPrefetch({
      templates: { ...templates, smoking: 'Observation?patient={{context.patientId}}' },
      context,
      prefetch: { patient, smoking: null },
      fhir: fhir.client,
    })
    expect(sent.data).toEqual({ patient, smoking: null })
    expect(sent.sources).toEqual({ patient: 'prefetch', smoking: 'prefetch' })
    expect(sent.missing).toEqual({})
    expect(fhir.reads).toEqual([])
  })

  it('reads a key that is absent or holds an OperationOutcome from the FHIR server', async () => {
    for (const prefetch of [undefined, {}, { patient: outcome }, { patient: 'garbage' }]) {
      const fhir = fakeClient({ 'Patient/p1': patient })
      const got = await gatherPrefetch({ templates, context, prefetch, fhir: fhir.client })
      expect(got.data.patient).toEqual(patient)
      expect(got.sources.patient).toBe('fetched')
      expect(fhir.reads).toEqual(['Patient/p1'])
    }
  })

  it('says why a key is missing when there is no FHIR server to ask', async () => {
    const reasons = await Promise.all(
      [undefined, { patient: outcome }, { patient: 7 }].map(async (prefetch) => {
        const got = await gatherPrefetch({ templates, context, prefetch, fhir: undefined })
        expect(got.sources.patient).toBe('missing')
        return got.missing.patient
      })
    )
    expect(reasons).toEqual([
      'not in prefetch',
      'prefetch held an OperationOutcome',
      'prefetch held no FHIR resource',
    ])
  })

  it('takes 404 as absent, and any other failure as missing with its safe reason', async () => {
    const fhir = fakeClient({
      'Observation?patient=p1': new FhirRequestError('FHIR server answered 500', 500),
      'Device/d': new Error('secret internals'),
      'Endpoint/e': outcome,
    })
    const got = await gatherPrefetch({
      templates: {
        patient: 'Patient/{{context.patientId}}',
        findings: 'Observation?patient={{context.patientId}}',
        device: 'Device/d',
        endpoint: 'Endpoint/e',
        study: 'ImagingStudy/{{context.imagingStudyId}}',
      },
      context,
      prefetch: undefined,
      fhir: fhir.client,
    })
    expect(got.data).toEqual({ patient: null })
    expect(got.missing).toEqual({
      findings: 'FHIR server answered 500',
      device: 'unexpected error reading the FHIR server',
      endpoint: 'FHIR server answered with an OperationOutcome',
      study: 'template needs a context value the request lacks',
    })
  })

  it('follows further pages of a prefetched search, or keeps the first page without a server', async () => {
    const first = searchset(2, 'https://fhir.test/r4/Observation?page=2')
    const findings = 'Observation?patient={{context.patientId}}'
    const fhir = fakeClient({ 'https://fhir.test/r4/Observation?page=2': searchset(3) })
    const paged = await gatherPrefetch({
      templates: { findings },
      context,
      prefetch: { findings: first },
      fhir: fhir.client,
    })
    expect(resourcesOf(paged.data.findings)).toHaveLength(5)
    expect(fhir.pagesAsked).toEqual([MAX_PAGES_PER_KEY])

    const alone = await gatherPrefetch({
      templates: { findings },
      context,
      prefetch: { findings: searchset(2, 'https://fhir.test/r4/Observation?page=2') },
      fhir: undefined,
    })
    expect(resourcesOf(alone.data.findings)).toHaveLength(2)
  })

  it('reads a _count template first page only, and refuses a key with pages left', async () => {
    const next = 'https://fhir.test/r4/Observation?page=2'
    const fhir = fakeClient({})
    const got = await gatherPrefetch({
      templates: {
        smoking: 'Observation?patient={{context.patientId}}&_count=1',
        findings: 'Observation?patient={{context.patientId}}',
      },
      context,
      prefetch: { smoking: searchset(1, next), findings: searchset(1, next) },
      fhir: fhir.client,
    })
    expect(resourcesOf(got.data.smoking)).toHaveLength(1)
    expect(got.missing).toEqual({
      findings: `more than ${MAX_PAGES_PER_KEY} pages, too many to read`,
    })
  })

  it(`refuses a key holding more than ${MAX_RESOURCES_PER_KEY} resources`, async () => {
    const got = await gatherPrefetch({
      templates: { findings: 'Observation?patient={{context.patientId}}' },
      context,
      prefetch: { findings: searchset(MAX_RESOURCES_PER_KEY + 1) },
      fhir: undefined,
    })
    expect(got.missing.findings).toBe(
      `more than ${MAX_RESOURCES_PER_KEY} resources, too many to assess`
    )
    const enough = await gatherPrefetch({
      templates: { findings: 'Observation?patient={{context.patientId}}' },
      context,
      prefetch: { findings: searchset(MAX_RESOURCES_PER_KEY) },
      fhir: undefined,
    })
    expect(resourcesOf(enough.data.findings)).toHaveLength(MAX_RESOURCES_PER_KEY)
  })

  it('shape-checks what the client sent and tallies what it left out', async () => {
    const shapeReport = { dropped: 0, truncated: 0 }
    const got = await gatherPrefetch({
      templates,
      context,
      prefetch: { patient: { resourceType: 'Patient', id: 'p1', birthDate: 1960 } },
      fhir: undefined,
      shapeReport,
    })
    expect(got.data.patient).toEqual(patient)
    expect(shapeReport.dropped).toBe(1)
  })
})

describe('resourcesOf', () => {
  it('lists a Bundle’s resources without OperationOutcomes, a resource alone, nothing for null', () => {
    const bundle = { ...searchset(2), entry: [...searchset(2).entry!, { resource: outcome }, {}] }
    expect(resourcesOf(bundle).map((r) => r.id)).toEqual(['o0', 'o1'])
    expect(resourcesOf(patient)).toEqual([patient])
    expect(resourcesOf(null)).toEqual([])
    expect(resourcesOf(undefined)).toEqual([])
  })
})

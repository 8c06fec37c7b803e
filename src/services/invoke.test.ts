/**
 * The service invoker on its own, without HTTP: request and context validation, the hook alias,
 * when the client's FHIR server may be read (allowlist, token, development mode), the 412, and
 * that the handler's `build` receives the typed context and the evidence of its scope and that
 * its cards leave through the safe-text step. A stub handler records what it was given; the FHIR
 * server is a fetch function answering from a table.
 */
import { describe, expect, it } from 'vitest'
import { invokeService, type InvokeDeps } from './invoke'
import { defineHandler, type ServiceDefinition } from './types'
import { contextSchemas } from '../protocol/request'
import { CdsError } from '../protocol/outcome'
import { createLogger } from '../log'
import { defaultOrderCodes, type Card, type CardOptions } from '../cards/types'
import { defaultClinicalConfig } from '../clinical/assess'
import type { PatientEvidence } from '../evidence'
import type { Caller } from '../auth/verify'
import { parseFhirAllowlist } from '../auth/url'

const FHIR = 'https://fhir.test/r4'
const service: ServiceDefinition = {
  id: 'svc',
  hook: 'org.example.imaging-study-complete',
  description: 'test service',
  prefetch: { patient: 'Patient/{{context.patientId}}' },
}
const caller: Caller = {
  iss: 'https://ehr.test',
  jti: 'j1',
  fhirAllowlist: parseFhirAllowlist([FHIR]),
}
const options: CardOptions = {
  source: { label: 'test' },
  viewer: { dataSources: [] },
  orderCodes: defaultOrderCodes,
  clinical: defaultClinicalConfig,
  findingsWindowMonths: 24,
  now: new Date('2026-11-29T12:00:00Z'),
}

/** A handler that records its calls and answers one card carrying a bidi control character. */
function recordingHandler() {
  const calls: { patientId: string; studyId: string; evidence: PatientEvidence }[] = []
  const handler = defineHandler({
    context: 'imaging-study-complete',
    schema: contextSchemas['imaging-study-complete'],
    required: ['patient'],
    scope: (context) => ({ patientId: context.patientId, studyId: context.imagingStudyId }),
    build(request, evidence) {
      // Typed by the schema: no cast, and a field it does not declare is not readable.
      calls.push({
        patientId: request.context.patientId,
        studyId: request.context.imagingStudyId,
        evidence,
      })
      const card: Card = {
        summary: 'Finding \u202eof patient',
        indicator: 'info',
        source: { label: 'test' },
      }
      return { cards: [card], meta: [] }
    },
  })
  return { handler, calls }
}

/** InvokeDeps with a fetch answering from `resources` by `Type/id`, recording what it read. */
function depsWith(resources: Record<string, unknown> = {}, over: Partial<InvokeDeps> = {}) {
  const reads: { url: string; auth: string | null }[] = []
  const logs: string[] = []
  const deps: InvokeDeps = {
    fetch: async (input, init) => {
      const request = new Request(input, init)
      reads.push({ url: request.url, auth: request.headers.get('authorization') })
      const found = resources[request.url.slice(FHIR.length + 1)]
      return found
        ? Response.json(found, { headers: { 'content-type': 'application/fhir+json' } })
        : new Response(null, { status: 404 })
    },
    devMode: false,
    budgetMs: 10_000,
    fhirTimeoutMs: 5000,
    cardOptions: () => options,
    logger: createLogger({ level: 'debug', write: (line) => logs.push(line) }),
    ...over,
  }
  return { deps, reads, logs }
}

const body = (over: Record<string, unknown> = {}) => ({
  hook: 'org.example.imaging-study-complete',
  hookInstance: 'h-1',
  context: { patientId: 'p1', imagingStudyId: 's1' },
  prefetch: { patient: { resourceType: 'Patient', id: 'p1' } },
  ...over,
})

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (err: unknown) => (err instanceof CdsError ? { status: err.status, message: err.message } : err)
  )

describe('invokeService', () => {
  it('builds the cards from the typed context and the evidence, through the safe-text step', async () => {
    const { handler, calls } = recordingHandler()
    const { deps, reads } = depsWith()
    const result = await invokeService(service, handler, body(), caller, deps)
    expect(calls).toHaveLength(1)
    expect(calls[0]).toMatchObject({ patientId: 'p1', studyId: 's1' })
    expect(calls[0]!.evidence.patientId).toBe('p1')
    expect(calls[0]!.evidence.patient).toEqual({ resourceType: 'Patient', id: 'p1' })
    expect(result.cards[0]!.summary).toBe('Finding of patient')
    expect(reads).toEqual([])
  })

  it('accepts the custom hook under its plain name too, and refuses another hook', async () => {
    const { handler } = recordingHandler()
    const { deps } = depsWith()
    const alias = await invokeService(
      service,
      handler,
      body({ hook: 'imaging-study-complete' }),
      caller,
      deps
    )
    expect(alias.cards).toHaveLength(1)
    expect(
      await refusal(invokeService(service, handler, body({ hook: 'patient-view' }), caller, deps))
    ).toEqual({
      status: 400,
      message:
        'Service svc answers the org.example.imaging-study-complete hook (or imaging-study-complete), not patient-view',
    })
  })

  it('refuses a body that is no CDS Hooks request, and a context its schema refuses', async () => {
    const { handler, calls } = recordingHandler()
    const { deps } = depsWith()
    const notARequest = await refusal(invokeService(service, handler, [1], caller, deps))
    expect(notARequest).toMatchObject({ status: 400 })
    expect((notARequest as { message: string }).message).toMatch(/^Invalid CDS Hooks request: /)
    const badContext = await refusal(
      invokeService(service, handler, body({ context: { patientId: '../x' } }), caller, deps)
    )
    expect(badContext).toMatchObject({ status: 400 })
    expect((badContext as { message: string }).message).toMatch(/^Invalid context: context\./)
    expect(calls).toEqual([])
  })

  it('answers 412 naming the key when required data is neither sent nor readable', async () => {
    const { handler, calls } = recordingHandler()
    const { deps, logs } = depsWith()
    const answer = await refusal(
      invokeService(service, handler, body({ prefetch: undefined }), caller, deps)
    )
    expect(answer).toEqual({
      status: 412,
      message:
        'Required data could not be obtained from prefetch and no usable fhirServer with fhirAuthorization was given: patient (not in prefetch)',
    })
    expect(logs.join('\n')).toContain('hook.precondition_failed')
    expect(calls).toEqual([])
  })

  it('reads the FHIR server with the token only when the caller’s allowlist admits it', async () => {
    const { handler, calls } = recordingHandler()
    const withFhir = {
      prefetch: undefined,
      fhirServer: FHIR,
      fhirAuthorization: { access_token: 'tok', token_type: 'Bearer' },
    }
    const admitted = depsWith({ 'Patient/p1': { resourceType: 'Patient', id: 'p1' } })
    await invokeService(service, handler, body(withFhir), caller, admitted.deps)
    expect(admitted.reads[0]).toEqual({ url: `${FHIR}/Patient/p1`, auth: 'Bearer tok' })
    expect(calls[0]!.evidence.patient?.id).toBe('p1')

    const elsewhere = depsWith()
    const other = { ...caller, fhirAllowlist: parseFhirAllowlist(['https://other.test/r4']) }
    expect(
      await refusal(invokeService(service, handler, body(withFhir), other, elsewhere.deps))
    ).toMatchObject({ status: 412 })
    expect(elsewhere.reads).toEqual([])
    expect(elsewhere.logs.join('\n')).toContain('fhir.server_not_allowed')
  })

  it('reads without a token only in development mode', async () => {
    const { handler } = recordingHandler()
    const noToken = { prefetch: undefined, fhirServer: FHIR }
    const strict = depsWith({ 'Patient/p1': { resourceType: 'Patient', id: 'p1' } })
    expect(
      await refusal(invokeService(service, handler, body(noToken), caller, strict.deps))
    ).toMatchObject({ status: 412 })
    expect(strict.reads).toEqual([])

    const dev = depsWith({ 'Patient/p1': { resourceType: 'Patient', id: 'p1' } }, { devMode: true })
    const devCaller: Caller = { ...caller, fhirAllowlist: 'any' }
    await invokeService(service, handler, body(noToken), devCaller, dev.deps)
    expect(dev.reads).toEqual([{ url: `${FHIR}/Patient/p1`, auth: null }])
  })
})

/* eslint-disable @typescript-eslint/no-explicit-any -- these tests build deliberately malformed JSON */
/**
 * The AI results writer against the in-memory FHIR server over HTTP, and the service reading what
 * it wrote: the contract is met when the service turns the stored run into the expected card.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Bundle, DiagnosticReport, ImagingStudy, Observation, Patient } from 'fhir/r4'
import { startFhirServer, type FhirTestServer } from '../../demo/fhir-server'
import { createHarness, fhirAuthorization } from '../../test/support/harness'
import { createHttpClient } from '../http'
import { exampleAiResult as validResult } from './example'
import { AiResultError } from './schema'
import { storeAiResult } from './store'

const patient = (id: string): Patient => ({ resourceType: 'Patient', id, birthDate: '1962-02-09' })
const study = (id: string, uid: string, patientId: string): ImagingStudy => ({
  resourceType: 'ImagingStudy',
  id,
  identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${uid}` }],
  status: 'available',
  subject: { reference: `Patient/${patientId}` },
  started: '2026-11-16T14:05:00Z',
  procedureCode: [
    {
      coding: [
        {
          system: 'http://loinc.org',
          code: '79086-5',
          display: 'CT Chest for screening WO contrast',
        },
      ],
      text: 'LDCT chest, lung cancer screening',
    },
  ],
  series: [
    {
      uid: '1.2.3.2',
      number: 2,
      modality: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'CT' },
      instance: [
        {
          uid: '1.2.3.2.7',
          sopClass: { system: 'urn:ietf:rfc:3986', code: 'urn:oid:1.2.840.10008.5.1.4.1.1.2' },
        },
      ],
    },
  ],
})

describe('storeAiResult', () => {
  let fhir: FhirTestServer
  const client = () => createHttpClient({ baseUrl: fhir.url })
  const all = async <T>(type: string) =>
    (((await (await fetch(`${fhir.url}/${type}?_count=100`)).json()) as Bundle).entry ?? []).map(
      (e) => e.resource as T
    )

  beforeAll(async () => {
    fhir = await startFhirServer({
      resources: [
        patient('p1'),
        patient('p2'),
        study('s1', '1.2.3', 'p1'),
        study('s0', '1.2.0', 'p1'),
        study('s9', '9.9.9', 'p2'),
      ],
    })
  })
  afterAll(() => fhir?.close())

  it('writes the report, its findings and the Device in one transaction, to the contract', async () => {
    fhir.requests.length = 0
    const stored = await storeAiResult(client(), validResult())
    expect(stored.outcome).toBe('created')
    expect(fhir.requests.filter((r) => r.method !== 'GET')).toHaveLength(1)
    const [report] = await all<DiagnosticReport>('DiagnosticReport')
    expect(report).toMatchObject({
      status: 'preliminary',
      subject: { reference: 'Patient/p1' },
      imagingStudy: [{ reference: 'ImagingStudy/s1' }],
      effectiveDateTime: '2026-11-16T14:05:00Z',
      issued: '2026-11-16T14:21:00Z',
    })
    expect(report?.performer?.[0]?.reference).toMatch(/^Device\//)
    expect(report?.category?.[0]?.coding?.[0]?.code).toBe('RAD')
    const [finding] = await all<Observation>('Observation')
    expect(report?.result).toEqual([{ reference: `Observation/${finding?.id}` }])
    expect(finding?.partOf).toEqual([{ reference: 'ImagingStudy/s1' }])
    expect(finding?.code.coding?.map((c) => c.code)).toEqual(['786838002', 'RID50149'])
    const certainty = finding?.component?.find((c) => c.code.coding?.[0]?.code === '111012')
    expect(certainty?.valueQuantity).toMatchObject({ value: 91, code: '%' })
  })

  it('updates on a rerun instead of duplicating, and retracts a finding the rerun no longer reports', async () => {
    const rerun: any = validResult()
    rerun.run.status = 'final'
    rerun.findings.push({
      id: 'nodule-2',
      type: 'pulmonary-nodule',
      measurements: { meanDiameterMm: 4 },
    })
    expect((await storeAiResult(client(), rerun)).outcome).toBe('updated')
    expect(await all('DiagnosticReport')).toHaveLength(1)
    expect(await all('Device')).toHaveLength(1)
    expect(await all('Observation')).toHaveLength(2)

    const third: any = validResult()
    third.run.status = 'final'
    await storeAiResult(client(), third)
    const observations = await all<Observation>('Observation')
    expect(observations).toHaveLength(2)
    expect(observations.map((o) => o.status).sort()).toEqual(['entered-in-error', 'final'])
    const [report] = await all<DiagnosticReport>('DiagnosticReport')
    expect(report?.result).toHaveLength(1)
  })

  it('links a prior finding of the same patient, and refuses one of another patient', async () => {
    const prior: any = validResult()
    prior.study.studyInstanceUid = '1.2.0'
    prior.findings[0].keyImage = undefined
    delete prior.findings[0].keyImage
    await storeAiResult(client(), prior)
    const current: any = validResult()
    current.findings[0].prior = { studyInstanceUid: '1.2.0', findingId: 'nodule-1' }
    current.findings[0].change = 'growing'
    await storeAiResult(client(), current)
    const priorObs = (await all<Observation>('Observation')).find((o) =>
      o.partOf?.[0]?.reference?.endsWith('/s0')
    )
    const currentObs = (await all<Observation>('Observation')).find(
      (o) => o.partOf?.[0]?.reference?.endsWith('/s1') && o.status !== 'entered-in-error'
    )
    expect(currentObs?.derivedFrom).toContainEqual({ reference: `Observation/${priorObs?.id}` })

    const other: any = validResult()
    other.study.studyInstanceUid = '9.9.9'
    delete other.findings[0].keyImage
    other.findings[0].prior = { studyInstanceUid: '1.2.0', findingId: 'nodule-1' }
    await expect(storeAiResult(client(), other)).rejects.toMatchObject({
      field: 'findings[0].prior',
      message: expect.stringContaining('another patient'),
    })
  })

  it.each([
    [
      'findings[0].measurements.longAxisMm',
      (r: any) => void (r.findings[0].measurements.longAxisMm = 'big'),
    ],
    ['study.studyInstanceUid', (r: any) => void (r.study.studyInstanceUid = '4.4.4')],
    [
      'findings[0].keyImage.seriesInstanceUid',
      (r: any) => void (r.findings[0].keyImage.seriesInstanceUid = '7.7'),
    ],
  ])('refuses bad input naming %s, and writes nothing', async (field, mutate) => {
    const input: any = validResult()
    mutate(input)
    fhir.requests.length = 0
    const error = await storeAiResult(client(), input).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AiResultError)
    expect((error as AiResultError).field).toBe(field)
    expect(fhir.requests.filter((r) => r.method !== 'GET')).toEqual([])
  })

  it('stores a run the service reads: a Lung-RADS 4A card with a key-image link', async () => {
    const fresh = await startFhirServer({ resources: [patient('p1'), study('s1', '1.2.3', 'p1')] })
    try {
      await storeAiResult(createHttpClient({ baseUrl: fresh.url }), validResult())
      const h = await createHarness({ OHIF_VIEWER_URL: 'https://viewer.test' }, {}, [fresh.url])
      const response = await h.call('/cds-services/imaging-ai-findings', {
        hook: 'imaging-study-complete',
        hookInstance: crypto.randomUUID(),
        fhirServer: fresh.url,
        fhirAuthorization: fhirAuthorization(),
        context: { patientId: 'p1', imagingStudyId: 's1' },
      })
      expect(response.status).toBe(200)
      const { cards } = (await response.json()) as {
        cards: { summary: string; links?: { url: string }[] }[]
      }
      const card = cards.find((c) => /4A/.test(c.summary))
      expect(card, JSON.stringify(cards.map((c) => c.summary))).toBeDefined()
      expect(card?.links?.map((l) => l.url)).toContainEqual(
        expect.stringContaining('initialSopInstanceUID=1.2.3.2.7')
      )
    } finally {
      await fresh.close()
    }
  })
})

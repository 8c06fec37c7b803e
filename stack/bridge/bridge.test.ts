/**
 * The bridge against a real Orthanc (DICOMweb) and the in-memory FHIR server over HTTP.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Bundle, Endpoint, ImagingStudy, Patient } from 'fhir/r4'
import { startFhirServer, type FhirTestServer } from '../../demo/fhir-server'
import { generateStudy, stowRs, type StudySpec } from '../dicom/synthetic-ct'
import { createHttpClient } from '../http'
import { startOrthanc, type RunningOrthanc } from '../orthanc'
import { orthancForTests } from '../test-support'
import { bridgeAll, bridgeStudy, type BridgeOptions } from './bridge'
import { watch } from './watch'

const MRN = 'urn:example:mrn'
const { skip } = orthancForTests()

const spec = (seed: string, patientId: string): StudySpec => ({
  seed,
  patient: { id: patientId, name: 'Test^Patient', birthDate: '19600101', sex: 'F' },
  accession: `ACC-${seed}`,
  date: '20261116',
  time: '140500',
  description: 'LDCT chest',
  procedure: { code: '79086-5', scheme: 'LN', meaning: 'CT Chest for screening WO contrast' },
  series: [
    { number: 1, description: 'Soft tissue', slices: 2, sliceThicknessMm: 5, window: [40, 400] },
    { number: 2, description: 'Lung', slices: 3, sliceThicknessMm: 2.5, window: [-600, 1500] },
  ],
})

const patient = (id: string, mrn: string): Patient => ({
  resourceType: 'Patient',
  id,
  identifier: [{ system: MRN, value: mrn }],
})

describe.skipIf(skip)('bridge (Orthanc + FHIR over HTTP)', () => {
  let orthanc: RunningOrthanc
  let fhir: FhirTestServer
  let options: BridgeOptions
  // Short delays but many attempts: an outage of a few hundred ms is always ridden out.
  const fast = { attempts: 20, baseDelayMs: 50, maxDelayMs: 200 }

  beforeAll(async () => {
    orthanc = await startOrthanc()
    fhir = await startFhirServer({ resources: [patient('p1', 'MRN-1'), patient('p2', 'MRN-2')] })
    options = {
      dicomweb: createHttpClient({ baseUrl: orthanc.dicomweb, retry: fast }),
      fhir: createHttpClient({ baseUrl: fhir.url, retry: fast }),
      patientIdentifierSystem: MRN,
    }
    await stowRs(orthanc.dicomweb, generateStudy(spec('one', 'MRN-1')).files)
  })
  afterAll(async () => {
    await orthanc?.stop()
    await fhir?.close()
  })

  const studies = async () =>
    ((await (await fetch(`${fhir.url}/ImagingStudy?_count=100`)).json()) as Bundle).entry?.map(
      (e) => e.resource as ImagingStudy
    ) ?? []

  it('makes an ImagingStudy and an Endpoint from QIDO-RS, for the Patient found by identifier', async () => {
    const results = await bridgeAll(options)
    expect(results.map((r) => r.outcome)).toEqual(['created'])
    const [study] = await studies()
    const generated = generateStudy(spec('one', 'MRN-1'))
    expect(study?.identifier?.[0]?.value).toBe(`urn:oid:${generated.studyInstanceUid}`)
    expect(study?.subject.reference).toBe('Patient/p1')
    expect(study?.started).toBe('2026-11-16T14:05:00Z')
    expect(study?.procedureCode?.[0]?.coding?.[0]?.code).toBe('79086-5')
    expect(study?.series?.map((s) => [s.uid, s.number, s.numberOfInstances])).toEqual(
      generated.series.map((s) => [s.uid, s.number, s.instances.length])
    )
    const endpointId = study?.endpoint?.[0]?.reference?.split('/')[1]
    const endpoint = (await (await fetch(`${fhir.url}/Endpoint/${endpointId}`)).json()) as Endpoint
    expect(endpoint.address).toBe(orthanc.dicomweb)
    expect(endpoint.connectionType.code).toBe('dicom-wado-rs')
  })

  it('changes nothing on a second run (no write reaches the FHIR server)', async () => {
    fhir.requests.length = 0
    const results = await bridgeAll(options)
    expect(results.map((r) => r.outcome)).toEqual(['unchanged'])
    expect(fhir.requests.filter((r) => r.method !== 'GET')).toEqual([])
    expect(await studies()).toHaveLength(1)
  })

  it('never creates a Patient: a study of an unknown patient is reported and skipped', async () => {
    const unknown = generateStudy(spec('unknown', 'MRN-404'))
    await stowRs(orthanc.dicomweb, unknown.files)
    const result = await bridgeStudy(options, unknown.studyInstanceUid)
    expect(result.outcome).toBe('no-patient')
    expect(result.message).toContain(`${MRN}|MRN-404`)
    const patients = (await (await fetch(`${fhir.url}/Patient`)).json()) as Bundle
    expect(patients.total).toBe(2)
    expect(await studies()).toHaveLength(1)
  })

  it('retries through a FHIR outage and loses nothing', async () => {
    const two = generateStudy(spec('two', 'MRN-2'))
    await stowRs(orthanc.dicomweb, two.files)
    fhir.setFailure(503)
    const pending = bridgeStudy(options, two.studyInstanceUid)
    await sleep(100)
    fhir.setFailure(undefined)
    expect((await pending).outcome).toBe('created')
  })

  it('--watch follows the change feed and resumes where it stopped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bridge-watch-'))
    const stateFile = join(dir, 'state.json')
    const orthancRest = createHttpClient({ baseUrl: orthanc.url, retry: fast })
    const run = async (until: () => Promise<boolean>) => {
      let stop!: () => void
      const stopped = new Promise<void>((resolve) => (stop = resolve))
      const watching = watch({
        ...options,
        orthanc: orthancRest,
        stateFile,
        pollMs: 100,
        stop: stopped,
      })
      for (let i = 0; i < 200 && !(await until()); i++) await sleep(100)
      stop()
      await watching
    }
    const count = async () => (await studies()).length
    try {
      // First start: the initial sync, then a study that arrives while watching.
      const three = generateStudy(spec('three', 'MRN-1'))
      await run(async () => {
        if ((await count()) === 2) await stowRs(orthanc.dicomweb, three.files)
        return (await count()) === 3
      })
      expect(await count()).toBe(3)
      // Stopped; a study arrives; the restarted watcher picks it up from the saved position.
      const four = generateStudy(spec('four', 'MRN-2'))
      await stowRs(orthanc.dicomweb, four.files)
      await run(async () => (await count()) === 4)
      expect((await studies()).map((s) => s.identifier?.[0]?.value)).toContain(
        `urn:oid:${four.studyInstanceUid}`
      )
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

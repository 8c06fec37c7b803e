import { describe, expect, it } from 'vitest'
import {
  LOINC,
  endpoint,
  evidence,
  finding,
  nodule,
  report,
  serviceRequest,
  smoking,
  study,
} from '../../test/support/fhir-builders'

describe('assembleEvidence', () => {
  it('groups a report and its finding Observations under the study, with its Endpoint', () => {
    const ev = evidence({ reports: [report()], observations: [nodule({ mean: 8.6 })] })
    expect(ev.patientId).toBe('pat-1')
    expect(ev.studies).toHaveLength(1)
    const s = ev.studies[0]!
    expect(s.studyRef).toBe('ImagingStudy/study-1')
    expect(s.studyInstanceUid).toBe('1.2.840.113619.2.55.3.1')
    expect(s.endpoint?.id).toBe('ep-1')
    expect(s.studyDate).toBe('2026-03-14')
    expect(s.screening).toBe(true)
    expect(s.reports.map((r) => r.id)).toEqual(['dr-1'])
    expect(s.findings.map((f) => f.observationRef)).toEqual(['Observation/obs-1'])
    expect(s.assessments[0]).toMatchObject({ guideline: 'lung-rads-v2022', category: '4A' })
    expect(s.findings[0]!.model.name).toBe('LungNoduleNet')
  })

  it('ignores an entered-in-error report and its Observations, even ones pointing at the study', () => {
    const ev = evidence({
      reports: [report({ status: 'entered-in-error' })],
      observations: [nodule({ mean: 8.6 })],
    })
    expect(ev.studies[0]!.reports).toEqual([])
    expect(ev.studies[0]!.findings).toEqual([])
  })

  it('an amended report supersedes the earlier one, and only its findings remain', () => {
    const ev = evidence({
      reports: [
        report({
          id: 'dr-old',
          status: 'preliminary',
          results: ['Observation/old'],
          issued: '2026-03-14T10:31:00Z',
        }),
        report({
          id: 'dr-new',
          status: 'amended',
          results: ['Observation/new'],
          issued: '2026-03-15T08:00:00Z',
        }),
      ],
      observations: [nodule({ id: 'old', mean: 8.6 }), nodule({ id: 'new', mean: 5 })],
    })
    const s = ev.studies[0]!
    expect(s.reports.map((r) => r.id)).toEqual(['dr-new'])
    expect(s.findings.map((f) => f.observationRef)).toEqual(['Observation/new'])
  })

  it('reads contained result Observations of a report', () => {
    const contained = nodule({ id: 'c1', mean: 8.6 })
    const ev = evidence({ reports: [report({ results: ['#c1'], contained: [contained] })] })
    expect(ev.studies[0]!.findings).toHaveLength(1)
    expect(ev.studies[0]!.findings[0]!.kind).toBe('pulmonary-nodule')
  })

  it('attaches unlisted Observations to their own study when there are many of both', () => {
    // 200 studies x 2000 Observations: each study gets exactly its own ten, in input order, and an
    // Observation naming its study twice (derivedFrom and partOf) is read once.
    const studies = Array.from({ length: 200 }, (_, i) =>
      study({ id: `s${i}`, started: `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}Z` })
    )
    const observations = Array.from({ length: 2000 }, (_, i) => {
      const obs = nodule({ id: `o${i}`, studyId: `s${i % 200}`, mean: 5 })
      return i % 3 ? obs : { ...obs, partOf: [{ reference: `ImagingStudy/s${i % 200}` }] }
    })
    const ev = evidence({ studies, observations })
    expect(ev.studies).toHaveLength(200)
    for (const s of ev.studies) {
      const n = Number(s.studyRef!.slice('ImagingStudy/s'.length))
      expect(s.findings.map((f) => f.observationRef)).toEqual(
        Array.from({ length: 10 }, (_, k) => `Observation/o${n + 200 * k}`)
      )
    }
  })

  it('attaches Observations no report lists through derivedFrom / partOf, and skips voided ones', () => {
    const ev = evidence({
      observations: [
        finding({ id: 'pe' }),
        nodule({ id: 'gone', mean: 9, status: 'entered-in-error' }),
        nodule({ id: 'elsewhere', mean: 9, studyId: 'other-study' }),
      ],
    })
    expect(ev.studies[0]!.findings.map((f) => f.observationRef)).toEqual(['Observation/pe'])
  })

  it('attaches a report without imagingStudy through its results', () => {
    const r = report({ studyId: 'study-2' })
    delete r.imagingStudy
    const ev = evidence({
      studies: [study({ id: 'study-1' }), study({ id: 'study-2', started: '2025-03-01' })],
      reports: [r],
      observations: [nodule({ mean: 8.6, studyId: 'study-2' })],
    })
    const s2 = ev.studies.find((s) => s.studyRef === 'ImagingStudy/study-2')!
    expect(s2.findings).toHaveLength(1)
    expect(ev.studies.find((s) => s.studyRef === 'ImagingStudy/study-1')!.findings).toHaveLength(0)
  })

  it('a non-screening study becomes screening through its basedOn ServiceRequest', () => {
    const order = serviceRequest({ id: 'order-1', status: 'completed' })
    const ev = evidence({
      studies: [study({ procedure: 'ct-chest', basedOn: ['ServiceRequest/order-1'] })],
      serviceRequests: [order],
    })
    expect(ev.studies[0]!.screening).toBe(true)
    // Completed orders are not open orders.
    expect(ev.serviceRequests).toEqual([])
  })

  it('keeps only active and draft orders, and reads the smoking risk', () => {
    const ev = evidence({
      serviceRequests: [
        serviceRequest({ id: 'a', status: 'active' }),
        serviceRequest({ id: 'b', status: 'draft' }),
        serviceRequest({ id: 'c', status: 'revoked' }),
      ],
      smokingStatus: [smoking('never')],
    })
    expect(ev.serviceRequests.map((o) => o.id)).toEqual(['a', 'b'])
    expect(ev.smokingRisk).toBe('low')
  })

  it('counts the study’s nodules for Fleischner’s multiple-nodule rows', () => {
    const ev = evidence({
      studies: [study({ procedure: 'ct-chest' })],
      reports: [report({ results: ['Observation/a', 'Observation/b'] })],
      observations: [nodule({ id: 'a', mean: 7 }), nodule({ id: 'b', mean: 4 })],
      smokingStatus: [smoking('former')],
    })
    expect(ev.studies[0]!.assessments[0]!.category).toMatch(/multiple/)
  })

  it('sorts studies newest first, and resolves a contained Endpoint', () => {
    const ev = evidence({
      studies: [
        study({ id: 'old', started: '2024-01-01' }),
        study({
          id: 'new',
          started: '2026-01-01',
          endpointId: '#ep',
          contained: [endpoint('ep', 'https://x.example.org/dicom-web')],
        }),
      ],
      endpoints: [],
    })
    expect(ev.studies.map((s) => s.studyRef)).toEqual(['ImagingStudy/new', 'ImagingStudy/old'])
    expect(ev.studies[0]!.endpoint?.address).toBe('https://x.example.org/dicom-web')
    expect(ev.studies[1]!.endpoint).toBeUndefined()
  })

  // Audit: a prior finding Observation dated only by its study (the contract: "its own
  // effectiveDateTime or its study's started") was undated, so the older, dated prior was taken as
  // the nearest: its category 3 stepped a stable 7 mm nodule down to 2 (12-month LDCT), where the
  // nearest prior's 4A gives 3 (6-month LDCT).
  it.each(['study', 'report'] as const)(
    'a prior dated only by its %s is dated, so the nearest prior decides stepped management',
    (by) => {
      const nearer = nodule({ id: 'p1', studyId: 'study-p1', mean: 7, lungRads: '4A' })
      nearer.derivedFrom = [...nearer.derivedFrom!, { reference: 'Observation/p2' }]
      const older = {
        ...nodule({ id: 'p2', studyId: 'study-p2', mean: 7, lungRads: '3' }),
        effectiveDateTime: '2025-03-10',
      }
      const current = nodule({ mean: 7, change: 'stable' })
      current.derivedFrom = [...current.derivedFrom!, { reference: 'Observation/p1' }]
      const priorStudy = study({ id: 'study-p1', started: '2025-12-12T09:00:00Z' })
      const ev = evidence(
        by === 'study'
          ? {
              studies: [study(), priorStudy],
              reports: [report()],
              observations: [current, nearer, older],
            }
          : {
              reports: [
                report(),
                {
                  ...report({ id: 'dr-p1', studyId: 'study-p1', results: ['Observation/p1'] }),
                  effectiveDateTime: '2025-12-12',
                },
              ],
              observations: [current, nearer, older],
            },
        undefined,
        { studyId: 'study-1' }
      )
      const [finding] = ev.studies[0]!.findings
      expect(finding!.priors?.map((p) => p.date?.slice(0, 10))).toEqual([
        '2025-12-12',
        '2025-03-10',
      ])
      expect(ev.studies[0]!.assessments[0]).toMatchObject({ category: '3' })
    }
  )

  it('has no undefined-valued keys (nothing to leak into a card)', () => {
    const ev = evidence({ patient: undefined, studies: [study()], endpoints: [] })
    const s = ev.studies[0]!
    expect(Object.values(s).includes(undefined)).toBe(false)
    expect('patient' in ev).toBe(false)
    expect(ev.patientId).toBe('pat-1')
    void LOINC
  })
})

/**
 * Selection: patient ownership (contained resources included), retraction, study membership and
 * currency, on plain resources (the HTTP path is in test/evidence.test.ts).
 */
import type { Observation } from 'fhir/r4'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../log'
import { fingerprint } from './ownership'
import { selectEvidence } from './select'
import {
  PATIENT_ID,
  gathered,
  nodule,
  report,
  smoking,
  study,
} from '../../test/support/fhir-builders'

const scope = { patientId: PATIENT_ID, studyId: 'study-1' }
const ofOther = <T extends object>(r: T): T => ({ ...r, subject: { reference: 'Patient/other' } })
const observationIds = (s: ReturnType<typeof selectEvidence>) =>
  s.studies.flatMap((st) => [
    ...st.reports.flatMap((r) => r.observations.map((o) => o.id)),
    ...st.unlisted.map((o) => o.id),
  ])

describe('ownership', () => {
  it('drops resources of another patient, or of nobody, and logs them by fingerprint only', () => {
    const lines: string[] = []
    const logger = createLogger({ level: 'debug', write: (l) => lines.push(l) })
    const nameless: Observation = { ...nodule({ id: 'nameless', mean: 9 }) }
    delete nameless.subject
    const s = selectEvidence(
      gathered({
        reports: [ofOther(report({ id: 'dr-x', results: ['Observation/x'] }))],
        observations: [
          ofOther(nodule({ id: 'x', mean: 16 })),
          nodule({ id: 'mine', mean: 5 }),
          nameless,
        ],
        smokingStatus: [ofOther(smoking('never'))],
      }),
      scope,
      logger
    )
    expect(s.own.reports).toEqual([])
    expect(s.own.smokingStatus).toEqual([])
    expect(observationIds(s)).toEqual(['mine'])
    expect(lines).toHaveLength(1)
    const line = JSON.parse(lines[0]!) as Record<string, unknown>
    expect(line).toMatchObject({ event: 'evidence.not_this_patient', dropped: 4 })
    expect(line.refs).toBe(
      [
        'DiagnosticReport/dr-x',
        'Observation/x',
        'Observation/nameless',
        'Observation/smoking-never',
      ]
        .map(fingerprint)
        .join(',')
    )
    expect(line.refs).toMatch(/^DiagnosticReport#[0-9a-f]{8},Observation#[0-9a-f]{8},/)
    expect(lines[0]).not.toMatch(/other|dr-x|nameless|smoking-never/)
  })

  it('matches the patient whatever the reference’s base URL', () => {
    const absolute = {
      ...nodule({ id: 'abs', mean: 5 }),
      subject: { reference: `https://fhir.example.org/r4/Patient/${PATIENT_ID}` },
    }
    expect(observationIds(selectEvidence(gathered({ observations: [absolute] }), scope))).toEqual([
      'abs',
    ])
  })

  it('drops another patient’s Patient resource and ImagingStudy', () => {
    const s = selectEvidence(
      gathered({ patient: { resourceType: 'Patient', id: 'other' }, studies: [ofOther(study())] }),
      scope
    )
    expect(s.own.patient).toBeUndefined()
    expect(s.studies).toEqual([])
  })

  it('drops a contained Observation of another patient, keeps one without a subject', () => {
    const foreign = ofOther(nodule({ id: 'c-other', mean: 16 }))
    const inherits: Observation = { ...nodule({ id: 'c-mine', mean: 5 }) }
    delete inherits.subject
    const s = selectEvidence(
      gathered({
        reports: [report({ results: ['#c-other', '#c-mine'], contained: [foreign, inherits] })],
      }),
      scope
    )
    expect(observationIds(s)).toEqual(['c-mine'])
  })
})

describe('retraction', () => {
  it('a withdrawn report without imagingStudy takes the findings it lists', () => {
    const retracted = report({ status: 'entered-in-error' })
    delete retracted.imagingStudy
    const s = selectEvidence(
      gathered({
        reports: [retracted],
        observations: [{ ...nodule({ mean: 8.6 }), status: 'final' }],
      }),
      scope
    )
    expect(observationIds(s)).toEqual([])
  })

  it('keeps a finding that a report in force lists too', () => {
    const s = selectEvidence(
      gathered({
        reports: [
          report({ id: 'gone', status: 'cancelled' }),
          report({ id: 'kept', status: 'final' }),
        ],
        observations: [nodule({ mean: 8.6 })],
      }),
      scope
    )
    expect(observationIds(s)).toEqual(['obs-1'])
  })

  it('an entered-in-error Observation is gone even though its report lists it', () => {
    const s = selectEvidence(
      gathered({
        reports: [report({ results: ['Observation/a', 'Observation/b'] })],
        observations: [
          nodule({ id: 'a', mean: 8.6, status: 'entered-in-error' }),
          nodule({ id: 'b', mean: 5 }),
        ],
      }),
      scope
    )
    expect(observationIds(s)).toEqual(['b'])
  })
})

describe('membership', () => {
  it('a report without imagingStudy belongs to the study its findings name', () => {
    const r = report()
    delete r.imagingStudy
    const s = selectEvidence(
      gathered({ reports: [r], observations: [nodule({ mean: 8.6 })] }),
      scope
    )
    expect(s.studies[0]!.reports.map((x) => x.report.id)).toEqual(['dr-1'])
  })

  it('a report the hook names belongs to its study when nothing else places it', () => {
    const r = report({ results: ['Observation/o'] })
    delete r.imagingStudy
    const loose: Observation = { ...nodule({ id: 'o', mean: 8.6 }) }
    delete loose.derivedFrom
    const named = selectEvidence(gathered({ reports: [r], observations: [loose] }), {
      ...scope,
      reportId: 'dr-1',
    })
    expect(observationIds(named)).toEqual(['o'])
    // Not named: nothing says it is about this study.
    expect(
      observationIds(selectEvidence(gathered({ reports: [r], observations: [loose] }), scope))
    ).toEqual([])
  })

  it('a report of another study of the patient is not this study’s', () => {
    const s = selectEvidence(
      gathered({
        studies: [study(), study({ id: 'study-2' })],
        reports: [report({ studyId: 'study-2' })],
        observations: [nodule({ mean: 8.6, studyId: 'study-2' })],
      }),
      { ...scope, reportId: 'dr-1' }
    )
    expect(s.studies.map((x) => x.study.id)).toEqual(['study-1'])
    expect(observationIds(s)).toEqual([])
  })

  // Accept more, never less: a producer that knows the study only by its DICOM UID writes a
  // logical reference. Its findings were left out (no card at all).
  describe('a study named by its StudyInstanceUID (logical reference)', () => {
    const UID = '1.2.840.113619.2.55.3.1'
    const byUid = (uid = UID, type?: string) => ({
      ...(type ? { type } : {}),
      identifier: { system: 'urn:dicom:uid', value: `urn:oid:${uid}` },
    })
    const byUidOnly = (o: Observation, ref = byUid()): Observation => ({
      ...o,
      derivedFrom: [ref],
    })

    it('places a report and its findings, and a finding no report lists', () => {
      const r = report({ results: ['Observation/obs-1'] })
      r.imagingStudy = [byUid(UID, 'ImagingStudy')]
      const s = selectEvidence(
        gathered({
          reports: [r],
          observations: [
            byUidOnly(nodule({ mean: 8.6 })),
            byUidOnly(nodule({ id: 'unlisted', mean: 5 })),
          ],
        }),
        scope
      )
      expect(s.studies[0]!.reports.map((x) => x.report.id)).toEqual(['dr-1'])
      expect(observationIds(s)).toEqual(['obs-1', 'unlisted'])
    })

    it('only among the patient’s own studies, and only for a reference that may be a study', () => {
      const other = selectEvidence(
        gathered({
          studies: [study(), ofOther(study({ id: 'theirs', uid: '2.25.42' }))],
          observations: [byUidOnly(nodule({ id: 'o', mean: 5 }), byUid('2.25.42'))],
        }),
        { patientId: PATIENT_ID }
      )
      expect(observationIds(other)).toEqual([])
      const notAStudy = selectEvidence(
        gathered({
          observations: [byUidOnly(nodule({ id: 'o', mean: 5 }), byUid(UID, 'Patient'))],
        }),
        scope
      )
      expect(observationIds(notAStudy)).toEqual([])
      const unknown = selectEvidence(
        gathered({ observations: [byUidOnly(nodule({ id: 'o', mean: 5 }), byUid('2.25.7'))] }),
        scope
      )
      expect(observationIds(unknown)).toEqual([])
    })
  })

  it('a later final report replaces the preliminary one: only its findings remain', () => {
    const s = selectEvidence(
      gathered({
        reports: [
          report({ id: 'p', status: 'preliminary', results: ['Observation/big'] }),
          report({
            id: 'f',
            status: 'final',
            results: ['Observation/small'],
            issued: '2026-03-14T14:00:00Z',
          }),
        ],
        observations: [nodule({ id: 'big', mean: 16 }), nodule({ id: 'small', mean: 7 })],
      }),
      scope
    )
    expect(s.studies[0]!.reports.map((r) => r.report.id)).toEqual(['f'])
    // The replaced report's finding does not come back through its derivedFrom.
    expect(observationIds(s)).toEqual(['small'])
  })
})

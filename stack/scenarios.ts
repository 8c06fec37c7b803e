/**
 * @module stack/scenarios
 * The studies `npm run stack` puts through the pipeline, one per demo patient that has an image
 * finding: the synthetic CT (where the finding is drawn, on which slice) and the AI run that
 * reports it, in the documented AI result format. Patients, smoking status and orders come from the
 * fixtures (the EHR's data); studies, ImagingStudies and AI results are made by the pipeline.
 */
import type { Patient } from 'fhir/r4'
import { loadFixtureResources, type ScenarioName } from '../fixtures/index'
import type { GeneratedStudy, SeriesSpec, StudySpec } from './dicom/synthetic-ct'
import type { AiResultInput } from './ai-results/schema'

/** The identifier system of the fixture patients' MRNs (DICOM PatientID at the demo site). */
export const PATIENT_ID_SYSTEM = 'http://example.org/fhir/synthetic-mrn'

export interface StackScenario {
  name: ScenarioName
  /** The key image: series number and instance number in the generated study. */
  key: { series: number; instance: number }
  study: Omit<StudySpec, 'patient' | 'seed'>
  /** The AI run over the generated study (its UIDs known). */
  ai(study: GeneratedStudy): AiResultInput
}

const softTissue = (structures: SeriesSpec['structures'] = []): SeriesSpec => ({
  number: 1,
  description: 'Axial 5 mm soft tissue',
  slices: 6,
  sliceThicknessMm: 5,
  window: [40, 400],
  structures,
})
const thin = (
  description: string,
  window: [number, number],
  structures: SeriesSpec['structures']
): SeriesSpec => ({
  number: 2,
  description,
  slices: 12,
  sliceThicknessMm: 2.5,
  window,
  structures,
})

const keyImage = (study: GeneratedStudy, key: { series: number; instance: number }) => {
  const series = study.series.find((s) => s.number === key.series)!
  return {
    seriesInstanceUid: series.uid,
    sopInstanceUid: series.instances.find((i) => i.number === key.instance)!.uid,
  }
}

export const STACK_SCENARIOS: StackScenario[] = [
  {
    name: 'screening-4a',
    key: { series: 2, instance: 7 },
    study: {
      accession: 'ACC-SYN-1001',
      date: '20261116',
      time: '140500',
      description: 'LDCT chest, lung cancer screening',
      procedure: { code: '79086-5', scheme: 'LN', meaning: 'CT Chest for screening WO contrast' },
      series: [
        softTissue(),
        thin(
          'Axial 2.5 mm lung',
          [-600, 1500],
          [{ shape: 'sphere', x: -70, y: -25, slice: 7, diameterMm: 8.6, hu: 40 }]
        ),
      ],
    },
    ai(study) {
      return {
        format: 'imaging-cds.ai-result/1',
        study: { studyInstanceUid: study.studyInstanceUid },
        model: {
          name: 'SynthLung Nodule CAD',
          version: '3.2.0',
          clearance: 'K000000 (synthetic, not a real clearance)',
        },
        run: { completed: '2026-11-16T14:21:00Z' },
        confidence: 0.91,
        conclusion:
          'AI: solid pulmonary nodule, right upper lobe, 9.2 x 8.0 mm (mean 8.6 mm). Suggested Lung-RADS 4A.',
        findings: [
          {
            id: 'nodule-1',
            type: 'pulmonary-nodule',
            lobe: 'RUL',
            measurements: { longAxisMm: 9.2, shortAxisMm: 8.0, meanDiameterMm: 8.6 },
            solidness: 'solid',
            lungRads: '4A',
            confidence: 0.91,
            keyImage: keyImage(study, this.key),
          },
        ],
      }
    },
  },
  {
    name: 'incidental-7mm',
    key: { series: 2, instance: 9 },
    study: {
      accession: 'ACC-SYN-1002',
      date: '20261110',
      time: '103000',
      description: 'CT chest with IV contrast',
      procedure: { code: '24628-0', scheme: 'LN', meaning: 'CT Chest W contrast IV' },
      series: [
        softTissue(),
        thin(
          'Axial 2.5 mm lung',
          [-600, 1500],
          [{ shape: 'sphere', x: 68, y: 30, slice: 9, diameterMm: 7, hu: 40 }]
        ),
      ],
    },
    ai(study) {
      return {
        format: 'imaging-cds.ai-result/1',
        study: { studyInstanceUid: study.studyInstanceUid },
        model: { name: 'SynthLung Nodule CAD', version: '3.2.0' },
        run: { completed: '2026-11-10T10:52:00Z' },
        confidence: 0.88,
        conclusion:
          'AI: solitary solid pulmonary nodule, left lower lobe, 7.6 x 6.4 mm (mean 7.0 mm).',
        findings: [
          {
            id: 'nodule-1',
            type: 'pulmonary-nodule',
            lobe: 'LLL',
            measurements: { longAxisMm: 7.6, shortAxisMm: 6.4, meanDiameterMm: 7 },
            solidness: 'solid',
            confidence: 0.88,
            keyImage: keyImage(study, this.key),
          },
        ],
      }
    },
  },
  {
    name: 'pulmonary-embolism',
    key: { series: 2, instance: 5 },
    study: {
      accession: 'ACC-SYN-1003',
      date: '20261120',
      time: '224700',
      description: 'CTA chest, pulmonary embolism protocol',
      series: [
        softTissue([{ shape: 'cylinder', x: -45, y: 10, diameterMm: 12, hu: 350 }]),
        thin(
          'Axial 2.5 mm CTA',
          [100, 700],
          [
            { shape: 'cylinder', x: -45, y: 10, diameterMm: 12, hu: 350 },
            { shape: 'sphere', x: -45, y: 10, slice: 5, diameterMm: 8, hu: 40 },
          ]
        ),
      ],
    },
    ai(study) {
      return {
        format: 'imaging-cds.ai-result/1',
        study: { studyInstanceUid: study.studyInstanceUid },
        model: {
          name: 'SynthPE Triage',
          version: '1.4.2',
          clearance: 'K000001 (synthetic, not a real clearance)',
        },
        run: { completed: '2026-11-20T22:55:00Z', status: 'final' },
        confidence: 0.97,
        conclusion:
          'AI: filling defect consistent with acute pulmonary embolism, right lower lobe artery.',
        findings: [
          {
            id: 'pe-1',
            type: 'pulmonary-embolism',
            lobe: 'RLL',
            confidence: 0.97,
            keyImage: keyImage(study, this.key),
          },
        ],
      }
    },
  },
]

/** The full study spec of a scenario: its fixture patient, as the modality would have it. */
export function studySpec(scenario: StackScenario): StudySpec {
  const patient = loadFixtureResources(scenario.name).find(
    (r): r is Patient => r.resourceType === 'Patient'
  )
  const mrn = patient?.identifier?.find((i) => i.system === PATIENT_ID_SYSTEM)?.value
  if (!patient || !mrn) throw new Error(`Fixture ${scenario.name} has no Patient with an MRN`)
  const name = patient.name?.[0]
  return {
    ...scenario.study,
    seed: `imaging-cds stack ${scenario.name}`,
    patient: {
      id: mrn,
      name: `${name?.family ?? ''}^${name?.given?.join(' ') ?? ''}`,
      birthDate: (patient.birthDate ?? '').replaceAll('-', ''),
      sex: patient.gender === 'male' ? 'M' : patient.gender === 'female' ? 'F' : 'O',
    },
  }
}

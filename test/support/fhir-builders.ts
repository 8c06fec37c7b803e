/**
 * @module test/support/fhir-builders
 * Small builders of FHIR inputs shaped exactly as the input contract
 * (docs: hooks/imaging-study-complete.md and the FHIR shapes it lists), for the tests. Test-only; not used by the service.
 */
import type {
  Bundle,
  DiagnosticReport,
  Endpoint,
  Extension,
  ImagingStudy,
  Observation,
  ObservationComponent,
  Patient,
  ServiceRequest,
} from 'fhir/r4'
import { defaultClinicalConfig } from '../../src/clinical/index'
import { buildEvidence, type GatheredResources } from '../../src/evidence'
import { defaultOrderCodes, type CardOptions } from '../../src/cards/types'

export const SNOMED = 'http://snomed.info/sct'
export const RADLEX = 'http://radlex.org'
export const LOINC = 'http://loinc.org'
export const DCM = 'http://dicom.nema.org/resources/ontology/DCM'
export const QUALIFIER = 'urn:imaging-cds:finding-qualifier'
export const CPT = 'http://www.ama-assn.org/go/cpt'
const UCUM = 'http://unitsofmeasure.org'

export const PATIENT_ID = 'pat-1'
export const PACS = 'https://pacs.example.org/dicom-web'

// Fresh objects on each call, never one shared instance: a test may edit what a builder returns.
const patientRef = () => ({ reference: `Patient/${PATIENT_ID}` })
const imagingCategory = () => [
  {
    coding: [
      { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'imaging' },
    ],
  },
]

export function patient(birthDate = '1958-04-02', id = PATIENT_ID): Patient {
  return { resourceType: 'Patient', id, birthDate }
}

export function endpoint(id = 'ep-1', address = PACS): Endpoint {
  return {
    resourceType: 'Endpoint',
    id,
    status: 'active',
    connectionType: {
      system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type',
      code: 'dicom-wado-rs',
    },
    payloadType: [{ text: 'DICOM WADO-RS' }],
    address,
  }
}

// Codes are spelled out here rather than imported from `src/`, so a wrong code there fails a test
// instead of agreeing with itself.
const PROCEDURES = {
  ldct: { system: LOINC, code: '79086-5', display: 'CT Chest for screening WO contrast' },
  'ct-chest': { system: LOINC, code: '29252-4', display: 'CT Chest WO contrast' },
  cta: { system: RADLEX, code: 'RPID147', display: 'CT Chest w IV Contrast Pulmonary Embolus' },
}

export function study(
  o: {
    id?: string
    uid?: string
    started?: string
    procedure?: keyof typeof PROCEDURES
    description?: string
    endpointId?: string
    basedOn?: string[]
    contained?: Endpoint[]
  } = {}
): ImagingStudy {
  const id = o.id ?? 'study-1'
  return {
    resourceType: 'ImagingStudy',
    id,
    status: 'available',
    subject: patientRef(),
    identifier: [
      { system: 'urn:dicom:uid', value: `urn:oid:${o.uid ?? '1.2.840.113619.2.55.3.1'}` },
    ],
    started: o.started ?? '2026-03-14T10:20:00Z',
    ...(o.description ? { description: o.description } : {}),
    procedureCode: [{ coding: [PROCEDURES[o.procedure ?? 'ldct']] }],
    ...(o.contained ? { contained: o.contained } : {}),
    endpoint: [{ reference: o.endpointId ?? 'Endpoint/ep-1' }],
    ...(o.basedOn ? { basedOn: o.basedOn.map((reference) => ({ reference })) } : {}),
    series: [
      {
        uid: '1.2.840.113619.2.55.3.1.100',
        modality: { system: DCM, code: 'CT' },
        instance: [
          {
            uid: '1.2.840.113619.2.55.3.1.100.7',
            sopClass: { system: 'urn:ietf:rfc:3986', code: 'urn:oid:1.2.840.10008.5.1.4.1.1.2' },
          },
        ],
      },
    ],
  }
}

export function modelExtension(
  m: { name?: string; version?: string; confidence?: number; clearance?: string } = {}
): Extension {
  return {
    url: 'http://example.org/fhir/StructureDefinition/ai-model-metadata',
    extension: [
      { url: 'model-name', valueString: m.name ?? 'LungNoduleNet' },
      { url: 'model-version', valueString: m.version ?? '2.3.1' },
      { url: 'confidence-score', valueDecimal: m.confidence ?? 0.92 },
      { url: 'fda-clearance', valueString: m.clearance ?? 'K221234' },
    ],
  }
}

export function report(
  o: {
    id?: string
    studyId?: string
    status?: DiagnosticReport['status']
    results?: string[]
    issued?: string
    contained?: Observation[]
    model?: Parameters<typeof modelExtension>[0]
  } = {}
): DiagnosticReport {
  return {
    resourceType: 'DiagnosticReport',
    id: o.id ?? 'dr-1',
    extension: [modelExtension(o.model)],
    ...(o.contained ? { contained: o.contained } : {}),
    status: o.status ?? 'preliminary',
    category: [
      { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'RAD' }] },
    ],
    code: { text: 'AI analysis' },
    subject: patientRef(),
    imagingStudy: [{ reference: `ImagingStudy/${o.studyId ?? 'study-1'}` }],
    performer: [{ reference: 'Device/ai-1' }],
    effectiveDateTime: '2026-03-14T10:20:00Z',
    issued: o.issued ?? '2026-03-14T10:31:00Z',
    result: (o.results ?? ['Observation/obs-1']).map((reference) => ({ reference })),
    conclusion: 'AI findings, preliminary.',
  }
}

const mmComponent = (system: string, code: string, value: number): ObservationComponent => ({
  code: { coding: [{ system, code }] },
  valueQuantity: { value, unit: 'mm', system: UCUM, code: 'mm' },
})
const qualifier = (code: string, value: string): ObservationComponent => ({
  code: { coding: [{ system: QUALIFIER, code }] },
  valueCodeableConcept: { coding: [{ system: QUALIFIER, code: value }] },
})
const qualifierText = (code: string, value: string): ObservationComponent => ({
  code: { coding: [{ system: QUALIFIER, code }] },
  valueString: value,
})
/** DICOM "Certainty of Finding" in percent; `display` is optional, as producers differ. */
const certainty = (value: number, display?: string): ObservationComponent => ({
  code: { coding: [{ system: DCM, code: '111012', ...(display ? { display } : {}) }] },
  valueQuantity: { value, unit: '%', system: UCUM, code: '%' },
})

const LOBES = { RUL: '42400003', RML: '72481006', RLL: '266005', LUL: '44714003', LLL: '41224006' }
const SOLIDNESS = { solid: 'RID5741', 'part-solid': 'RID46011', 'ground-glass': 'RID46016' }
const LUNG_RADS = {
  '0': 'RID50135',
  '1': 'RID50136',
  '2': 'RID50137',
  '3': 'RID50138',
  '4A': 'RID50139',
  '4B': 'RID50140',
  '4X': 'RID50141',
}

export function nodule(
  o: {
    id?: string
    studyId?: string
    mean?: number
    long?: number
    short?: number
    solid?: number
    solidness?: keyof typeof SOLIDNESS
    lobe?: keyof typeof LOBES
    change?: 'baseline' | 'new' | 'growing' | 'stable' | 'decreased'
    lungRads?: keyof typeof LUNG_RADS
    certainty?: number
    series?: string
    sop?: string
    status?: Observation['status']
  } = {}
): Observation {
  const components: ObservationComponent[] = []
  if (o.mean !== undefined) components.push(mmComponent(RADLEX, 'RID50155', o.mean))
  if (o.long !== undefined) components.push(mmComponent(SNOMED, '103339001', o.long))
  if (o.short !== undefined) components.push(mmComponent(SNOMED, '103340004', o.short))
  if (o.solid !== undefined) components.push(mmComponent(RADLEX, 'RID50154', o.solid))
  components.push({
    code: { coding: [{ system: RADLEX, code: 'RID46010' }] },
    valueCodeableConcept: { coding: [{ system: RADLEX, code: SOLIDNESS[o.solidness ?? 'solid'] }] },
  })
  if (o.change) components.push(qualifier('change', o.change))
  if (o.lungRads)
    components.push({
      code: {
        coding: [
          { system: SNOMED, code: '1362105002' },
          { system: RADLEX, code: 'RID50134' },
        ],
      },
      valueCodeableConcept: { coding: [{ system: RADLEX, code: LUNG_RADS[o.lungRads] }] },
    })
  components.push(certainty(o.certainty ?? 92, 'Certainty of Finding'))
  if (o.series) components.push(qualifierText('series-uid', o.series))
  if (o.sop) components.push(qualifierText('sop-instance-uid', o.sop))
  return {
    resourceType: 'Observation',
    id: o.id ?? 'obs-1',
    status: o.status ?? 'preliminary',
    category: imagingCategory(),
    code: {
      coding: [
        { system: SNOMED, code: '786838002', display: 'Pulmonary nodule' },
        { system: RADLEX, code: 'RID50149' },
      ],
    },
    subject: patientRef(),
    derivedFrom: [{ reference: `ImagingStudy/${o.studyId ?? 'study-1'}` }],
    device: { reference: 'Device/ai-1' },
    bodySite: { coding: [{ system: SNOMED, code: LOBES[o.lobe ?? 'RUL'] }] },
    component: components,
  }
}

/** A non-nodule finding (PE by default), or an unknown one with any code. */
export function finding(
  o: {
    id?: string
    studyId?: string
    code?: string
    display?: string
    system?: string
    certainty?: number
  } = {}
): Observation {
  return {
    resourceType: 'Observation',
    id: o.id ?? 'obs-pe',
    status: 'preliminary',
    category: imagingCategory(),
    code: {
      coding: [
        {
          system: o.system ?? SNOMED,
          code: o.code ?? '59282003',
          ...(o.display ? { display: o.display } : {}),
        },
      ],
    },
    subject: patientRef(),
    partOf: [{ reference: `ImagingStudy/${o.studyId ?? 'study-1'}` }],
    component: [certainty(o.certainty ?? 95)],
  }
}

const SMOKING = { former: '8517006', never: '266919005', current: '449868002' }

export function smoking(status: keyof typeof SMOKING): Observation {
  return {
    resourceType: 'Observation',
    id: `smoking-${status}`,
    status: 'final',
    code: { coding: [{ system: LOINC, code: '72166-2' }] },
    subject: patientRef(),
    effectiveDateTime: '2025-11-01',
    valueCodeableConcept: { coding: [{ system: SNOMED, code: SMOKING[status] }] },
  }
}

export function serviceRequest(
  o: {
    id?: string
    status?: ServiceRequest['status']
    coding?: { system?: string; code?: string; display?: string }[]
    occurrence?: string
    reasonRef?: string
    authoredOn?: string
  } = {}
): ServiceRequest {
  return {
    resourceType: 'ServiceRequest',
    id: o.id ?? 'sr-1',
    status: o.status ?? 'active',
    intent: 'order',
    code: {
      coding: o.coding ?? [
        { system: LOINC, code: '79086-5', display: 'CT Chest for screening WO contrast' },
      ],
    },
    subject: patientRef(),
    ...(o.occurrence ? { occurrenceDateTime: o.occurrence } : {}),
    ...(o.reasonRef ? { reasonReference: [{ reference: o.reasonRef }] } : {}),
    ...(o.authoredOn ? { authoredOn: o.authoredOn } : {}),
  }
}

/** A draftOrders Bundle as the CDS Hooks sandbox sends it: no `Bundle.type`. */
export function draftBundle(...orders: ServiceRequest[]): Bundle {
  return {
    resourceType: 'Bundle',
    entry: orders.map((resource) => ({ resource })),
  } as unknown as Bundle
}

export function options(overrides: Partial<CardOptions> = {}): CardOptions {
  return {
    source: { label: 'imaging-cds: AI imaging findings' },
    viewer: {
      baseUrl: 'https://viewer.example.org',
      dataSources: [{ dicomWebPrefix: PACS, name: 'dicomweb' }],
    },
    orderCodes: defaultOrderCodes,
    clinical: defaultClinicalConfig,
    findingsWindowMonths: 24,
    now: new Date('2026-03-14T12:00:00Z'),
    ...overrides,
  }
}

/** Gathered resources from partial input (everything else empty), with the default endpoint. */
export function gathered(input: Partial<GatheredResources> = {}): GatheredResources {
  const all: GatheredResources = {
    patient: patient(),
    studies: [study()],
    endpoints: [endpoint()],
    reports: [],
    observations: [],
    smokingStatus: [],
    serviceRequests: [],
    conditions: [],
    priors: [],
    ...input,
  }
  if (!all.patient) delete all.patient
  return all
}

/** Evidence of {@link PATIENT_ID} from partial input, through selection as in a hook call. */
export function evidence(
  input: Partial<GatheredResources>,
  config = defaultClinicalConfig,
  scope: { studyId?: string; reportId?: string } = {}
) {
  return buildEvidence(gathered(input), { patientId: PATIENT_ID, ...scope }, config)
}

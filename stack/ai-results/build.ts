/**
 * @module stack/ai-results/build
 * One validated AI run to the contract's resources (docs/ai-results.md): a DiagnosticReport, one
 * Observation per finding and the AI's Device, as one FHIR transaction Bundle. Each resource
 * carries a business identifier derived from the study, the model and the finding id, so a
 * repeated run finds and updates them; findings of the previous run that are gone are marked
 * `entered-in-error` in the same transaction. Pure: the caller resolves what exists.
 */
import { randomUUID } from 'node:crypto'
import type {
  Bundle,
  BundleEntry,
  CodeableConcept,
  Coding,
  Device,
  DiagnosticReport,
  Identifier,
  ImagingStudy,
  Observation,
  ObservationComponent,
  Reference,
} from 'fhir/r4'
import { codeSystem, lungRadsRadlex } from '../../src/clinical/codes'
import { findingKindTable } from '../../src/clinical/finding-kinds'
import type { AiFinding, AiResult } from './schema'

export const IDENTIFIER_SYSTEM = {
  report: 'urn:imaging-cds:ai-report',
  finding: 'urn:imaging-cds:ai-finding',
  model: 'urn:imaging-cds:ai-model',
} as const
/** The contract's model-metadata extension. */
const MODEL_METADATA = 'http://example.org/fhir/StructureDefinition/ai-model-metadata'
const Q = codeSystem.findingQualifier

export const reportIdentifier = (studyUid: string, model: string): Identifier => ({
  system: IDENTIFIER_SYSTEM.report,
  value: `${studyUid}/${model}`,
})
export const findingIdentifier = (studyUid: string, model: string, id: string): Identifier => ({
  system: IDENTIFIER_SYSTEM.finding,
  value: `${studyUid}/${model}/${id}`,
})
export const deviceIdentifier = (model: string, version: string): Identifier => ({
  system: IDENTIFIER_SYSTEM.model,
  value: `${model}/${version}`,
})

/** What already exists on the FHIR server (ids), and what the run refers to. */
export interface Resolved {
  /** The study, found by its StudyInstanceUID identifier (it has an id and a Patient subject). */
  imagingStudy: ImagingStudy & { id: string }
  reportId?: string
  deviceId?: string
  /** Existing finding Observation ids by finding id. */
  observationIds: Map<string, string>
  /** Prior finding Observation ids by finding id. */
  priorIds: Map<string, string>
  /** Observations of the previous run whose finding is no longer reported. */
  stale: Observation[]
}

const LOBES: Record<NonNullable<AiFinding['lobe']>, Coding> = {
  RUL: {
    system: codeSystem.snomed,
    code: '42400003',
    display: 'Structure of upper lobe of right lung',
  },
  RML: {
    system: codeSystem.snomed,
    code: '72481006',
    display: 'Structure of middle lobe of right lung',
  },
  RLL: {
    system: codeSystem.snomed,
    code: '266005',
    display: 'Structure of lower lobe of right lung',
  },
  LUL: {
    system: codeSystem.snomed,
    code: '44714003',
    display: 'Structure of upper lobe of left lung',
  },
  LLL: {
    system: codeSystem.snomed,
    code: '41224006',
    display: 'Structure of lower lobe of left lung',
  },
}

const SOLIDNESS: Record<NonNullable<AiFinding['solidness']>, Coding> = {
  solid: { system: codeSystem.radlex, code: 'RID5741', display: 'solid' },
  'part-solid': { system: codeSystem.radlex, code: 'RID46011', display: 'part-solid' },
  'ground-glass': {
    system: codeSystem.radlex,
    code: 'RID46016',
    display: 'non-solid (ground glass)',
  },
}

const concept = (coding: Coding, text?: string): CodeableConcept => ({
  coding: [coding],
  ...(text ? { text } : {}),
})
const qualifier = (code: string, display: string): CodeableConcept =>
  concept({ system: Q, code, display })
const quantity = (value: number, unit: 'mm' | '%') => ({
  value,
  unit,
  system: 'http://unitsofmeasure.org',
  code: unit,
})

/** The finding's code: the kinds table's primary code and its RadLex code, or the given code. */
export function findingCode(type: AiFinding['type']): CodeableConcept {
  if (typeof type !== 'string') {
    return { coding: [type], ...(type.display ? { text: type.display } : {}) }
  }
  const row = findingKindTable.find((r) => r.kind === type)!
  const codes = [row.codes[0]!, ...row.codes.slice(1).filter((c) => c.system === codeSystem.radlex)]
  return {
    coding: codes.map(({ system, code, display }) => ({ system, code, display })),
    text: row.name,
  }
}

function components(finding: AiFinding): ObservationComponent[] {
  const out: ObservationComponent[] = []
  const m = finding.measurements ?? {}
  const size = (coding: Coding, value: number | undefined) => {
    if (value !== undefined)
      out.push({ code: concept(coding), valueQuantity: quantity(value, 'mm') })
  }
  size(
    { system: codeSystem.radlex, code: 'RID50155', display: 'average diameter' },
    m.meanDiameterMm
  )
  size({ system: codeSystem.snomed, code: '103339001', display: 'Long axis' }, m.longAxisMm)
  size({ system: codeSystem.snomed, code: '103340004', display: 'Short axis' }, m.shortAxisMm)
  size(
    { system: codeSystem.radlex, code: 'RID50154', display: 'solid component mean diameter' },
    m.solidComponentMm
  )
  if (finding.solidness) {
    out.push({
      code: concept({
        system: codeSystem.radlex,
        code: 'RID46010',
        display: 'solidness descriptor',
      }),
      valueCodeableConcept: concept(SOLIDNESS[finding.solidness]),
    })
  }
  if (finding.position) {
    out.push({
      code: qualifier('position', 'Position'),
      valueCodeableConcept: qualifier(finding.position, finding.position),
    })
  }
  if (finding.change) {
    out.push({
      code: qualifier('change', 'Change since prior'),
      valueCodeableConcept: qualifier(finding.change, finding.change),
    })
  }
  if (finding.benignFeature !== undefined) {
    out.push({
      code: qualifier('benign-feature', 'Benign calcification or macroscopic fat'),
      valueBoolean: finding.benignFeature,
    })
  }
  for (const feature of finding.suspiciousFeatures ?? []) {
    out.push({
      code: qualifier('suspicious-feature', 'Suspicious feature'),
      valueCodeableConcept: qualifier(feature, feature),
    })
  }
  if (finding.lungRads) {
    out.push({
      code: {
        coding: [{ system: codeSystem.radlex, code: 'RID50134', display: 'Lung-RADS assessment' }],
      },
      valueCodeableConcept: concept({
        system: codeSystem.radlex,
        code: lungRadsRadlex[finding.lungRads],
        display: `Lung-RADS ${finding.lungRads}`,
      }),
    })
  }
  if (finding.confidence !== undefined) {
    out.push({
      code: concept({ system: codeSystem.dcm, code: '111012', display: 'Certainty of Finding' }),
      // The contract gives certainty in percent; the format in 0..1 like the run's confidence.
      valueQuantity: quantity(Math.round(finding.confidence * 1000) / 10, '%'),
    })
  }
  const key = finding.keyImage
  if (key) {
    out.push({
      code: qualifier('series-uid', 'Key image series'),
      valueString: key.seriesInstanceUid,
    })
    if (key.sopInstanceUid) {
      out.push({
        code: qualifier('sop-instance-uid', 'Key image instance'),
        valueString: key.sopInstanceUid,
      })
    }
    if (key.frame !== undefined) {
      out.push({ code: qualifier('frame', 'Key image frame'), valueInteger: key.frame })
    }
  }
  return out
}

/** A transaction entry that updates `id` when it exists, or creates the resource once. */
function entry<T extends Device | Observation | DiagnosticReport>(
  resource: T,
  identifier: Identifier,
  id: string | undefined
): BundleEntry & { ref: string } {
  const type = resource.resourceType
  if (id) {
    return {
      ref: `${type}/${id}`,
      fullUrl: `urn:uuid:${randomUUID()}`,
      resource: { ...resource, id },
      request: { method: 'PUT', url: `${type}/${id}` },
    }
  }
  const fullUrl = `urn:uuid:${randomUUID()}`
  return {
    ref: fullUrl,
    fullUrl,
    resource,
    request: {
      method: 'POST',
      url: type,
      ifNoneExist: `identifier=${encodeURIComponent(`${identifier.system}|${identifier.value}`)}`,
    },
  }
}

export function buildTransaction(result: AiResult, resolved: Resolved): Bundle {
  const study = resolved.imagingStudy
  const studyUid = result.study.studyInstanceUid
  const model = result.model
  const subject = study.subject
  const studyRef: Reference = { reference: `ImagingStudy/${study.id}` }
  const effective = study.started ?? result.run.completed

  const deviceId = deviceIdentifier(model.name, model.version)
  const device = entry<Device>(
    {
      resourceType: 'Device',
      identifier: [deviceId],
      status: 'active',
      ...(model.manufacturer ? { manufacturer: model.manufacturer } : {}),
      deviceName: [{ name: model.name, type: 'model-name' }],
      type: { text: 'AI image analysis software' },
      version: [{ value: model.version }],
    },
    deviceId,
    resolved.deviceId
  )
  const deviceRef: Reference = { reference: device.ref, display: model.name }

  const observations = result.findings.map((finding) => {
    const identifier = findingIdentifier(studyUid, model.name, finding.id)
    const prior = resolved.priorIds.get(finding.id)
    const lobe = finding.lobe ? LOBES[finding.lobe] : undefined
    const component = components(finding)
    return entry<Observation>(
      {
        resourceType: 'Observation',
        identifier: [identifier],
        status: result.run.status,
        category: [
          concept({ system: codeSystem.observationCategory, code: 'imaging', display: 'Imaging' }),
        ],
        code: findingCode(finding.type),
        subject,
        effectiveDateTime: effective,
        issued: result.run.completed,
        device: { reference: device.ref },
        partOf: [studyRef],
        derivedFrom: [studyRef, ...(prior ? [{ reference: `Observation/${prior}` }] : [])],
        ...(lobe ? { bodySite: concept(lobe) } : {}),
        ...(component.length ? { component } : {}),
      },
      identifier,
      resolved.observationIds.get(finding.id)
    )
  })

  const reportId = reportIdentifier(studyUid, model.name)
  const procedure = study.procedureCode?.[0]
  const what = study.description ?? procedure?.text ?? procedure?.coding?.[0]?.display
  const conclusionCodes = dedupeCodes(result.findings.map((f) => findingCode(f.type)))
  const report = entry<DiagnosticReport>(
    {
      resourceType: 'DiagnosticReport',
      identifier: [reportId],
      extension: [
        {
          url: MODEL_METADATA,
          extension: [
            { url: 'model-name', valueString: model.name },
            { url: 'model-version', valueString: model.version },
            ...(result.confidence !== undefined
              ? [{ url: 'confidence-score', valueDecimal: result.confidence }]
              : []),
            ...(model.clearance ? [{ url: 'fda-clearance', valueString: model.clearance }] : []),
          ],
        },
      ],
      status: result.run.status,
      category: [
        concept({ system: codeSystem.diagnosticServiceSection, code: 'RAD', display: 'Radiology' }),
      ],
      code: {
        ...(procedure?.coding?.length ? { coding: procedure.coding } : {}),
        text: what ? `AI analysis: ${what}` : 'AI analysis',
      },
      subject,
      effectiveDateTime: effective,
      issued: result.run.completed,
      performer: [deviceRef],
      imagingStudy: [studyRef],
      ...(observations.length ? { result: observations.map((o) => ({ reference: o.ref })) } : {}),
      ...(result.conclusion ? { conclusion: result.conclusion } : {}),
      ...(conclusionCodes.length ? { conclusionCode: conclusionCodes } : {}),
    },
    reportId,
    resolved.reportId
  )

  const retracted: BundleEntry[] = resolved.stale.map((o) => ({
    fullUrl: `urn:uuid:${randomUUID()}`,
    resource: { ...o, status: 'entered-in-error' },
    request: { method: 'PUT', url: `Observation/${o.id}` },
  }))
  const strip = ({ ref: _ref, ...e }: BundleEntry & { ref: string }): BundleEntry => e
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [strip(device), ...observations.map(strip), strip(report), ...retracted],
  }
}

function dedupeCodes(concepts: CodeableConcept[]): CodeableConcept[] {
  const seen = new Set<string>()
  return concepts
    .map((c) => ({ coding: c.coding?.slice(0, 1) ?? [] }))
    .filter((c) => {
      const key = `${c.coding[0]?.system}|${c.coding[0]?.code}`
      if (seen.has(key)) return false
      seen.add(key)
      return true
    })
}

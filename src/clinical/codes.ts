/**
 * @module clinical/codes
 * The code systems and codes of the input contract (docs/clinical-rules.md lists each with its source), and
 * look-ups from a coding to a lung lobe (finding kinds are in `finding-kinds`). Matching is liberal: any one coding
 * of a concept may carry the code, and system URLs are compared without case or trailing slash.
 */
import { trimTrailingSlashes } from '../text/index'
import type { CodingRef, LungRadsCategory } from './types'

/** Code system URLs used by the contract. */
export const codeSystem = {
  snomed: 'http://snomed.info/sct',
  radlex: 'http://radlex.org',
  loinc: 'http://loinc.org',
  dcm: 'http://dicom.nema.org/resources/ontology/DCM',
  /** The service's own system for facts no standard code was found for. */
  findingQualifier: 'urn:imaging-cds:finding-qualifier',
  cpt: 'http://www.ama-assn.org/go/cpt',
  /** HCPCS Level II (HL7 terminology, CodeSystem hcpcs-Level-II). */
  hcpcs: 'http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets',
  icd10cm: 'http://hl7.org/fhir/sid/icd-10-cm',
  observationCategory: 'http://terminology.hl7.org/CodeSystem/observation-category',
  diagnosticServiceSection: 'http://terminology.hl7.org/CodeSystem/v2-0074',
} as const

/** Model-metadata extension URLs on the DiagnosticReport: the contract's, then the service's own. */
export const modelMetadataExtensionUrls = [
  'http://example.org/fhir/StructureDefinition/ai-model-metadata',
  'urn:imaging-cds:ai-model-metadata',
] as const

/** Component codes of a finding Observation, as [system, code] pairs. */
export const componentCode = {
  meanDiameter: [[codeSystem.radlex, 'RID50155']],
  longAxis: [[codeSystem.snomed, '103339001']],
  shortAxis: [[codeSystem.snomed, '103340004']],
  solidComponent: [[codeSystem.radlex, 'RID50154']],
  solidness: [[codeSystem.radlex, 'RID46010']],
  lungRads: [
    [codeSystem.radlex, 'RID50134'],
    [codeSystem.snomed, '1362105002'],
  ],
  certainty: [[codeSystem.dcm, '111012']],
  position: [[codeSystem.findingQualifier, 'position']],
  change: [[codeSystem.findingQualifier, 'change']],
  benignFeature: [[codeSystem.findingQualifier, 'benign-feature']],
  seriesUid: [[codeSystem.findingQualifier, 'series-uid']],
  sopInstanceUid: [[codeSystem.findingQualifier, 'sop-instance-uid']],
  frame: [[codeSystem.findingQualifier, 'frame']],
  suspiciousFeature: [[codeSystem.findingQualifier, 'suspicious-feature']],
  cystType: [[codeSystem.findingQualifier, 'cyst-type']],
  cystChange: [[codeSystem.findingQualifier, 'cyst-change']],
  /** SNOMED "Laterality": DICOM CID 6170 lobes carry laterality separately. */
  laterality: [[codeSystem.snomed, '272741003']],
} as const satisfies Record<string, readonly (readonly [string, string])[]>

/** RadLex codes of the Lung-RADS categories (RID50134 "Lung-RADS assessment" values). */
export const lungRadsRadlex: Readonly<Record<LungRadsCategory, string>> = {
  '0': 'RID50135',
  '1': 'RID50136',
  '2': 'RID50137',
  '3': 'RID50138',
  '4A': 'RID50139',
  '4B': 'RID50140',
  '4X': 'RID50141',
}

/** The Lung-RADS category a RadLex value code stands for. */
export const lungRadsFromRadlex: Readonly<Record<string, LungRadsCategory>> = Object.fromEntries(
  Object.entries(lungRadsRadlex).map(([category, rid]) => [rid, category as LungRadsCategory])
)

const normaliseSystem = (system: string) => trimTrailingSlashes(system.trim().toLowerCase())

/**
 * True when `coding` is `system|code`. A coding without a system still matches on its code,
 * because producers drop the system more often than they reuse another system's code.
 */
export function codingIs(coding: CodingRef, system: string, code: string): boolean {
  if (coding.code?.trim() !== code) return false
  return (
    !coding.system ||
    coding.system === system ||
    normaliseSystem(coding.system) === normaliseSystem(system)
  )
}

/** True when any coding matches any of the `[system, code]` pairs. */
export function anyCodingIs(
  codings: readonly CodingRef[] | undefined,
  pairs: readonly (readonly [string, string])[]
): boolean {
  return (codings ?? []).some((c) => pairs.some(([system, code]) => codingIs(c, system, code)))
}

export type Laterality = 'right' | 'left'

export interface Lobe {
  /** RUL, RML, RLL, LUL, LLL; absent for a lobe without laterality. */
  abbreviation?: string
  name: string
}

/** Lateralised lobe codes (SNOMED and RadLex). */
const lateralisedLobes: readonly { codes: readonly (readonly [string, string])[]; lobe: Lobe }[] = [
  lobeRow('RUL', 'right upper lobe', '42400003', 'RID1303'),
  lobeRow('RML', 'right middle lobe', '72481006', 'RID1310'),
  lobeRow('RLL', 'right lower lobe', '266005', 'RID1315'),
  lobeRow('LUL', 'left upper lobe', '44714003', 'RID1327'),
  lobeRow('LLL', 'left lower lobe', '41224006', 'RID1338'),
]

function lobeRow(abbreviation: string, name: string, snomed: string, radlex: string) {
  return {
    codes: [
      [codeSystem.snomed, snomed],
      [codeSystem.radlex, radlex],
    ] as const,
    lobe: { abbreviation, name },
  }
}

/** DICOM CID 6170 lobe codes without laterality (45653009 is "upper lobe", not RUL). */
const unlateralisedLobes: readonly { code: string; part: 'upper' | 'lower' | 'lingula' }[] = [
  { code: '45653009', part: 'upper' },
  { code: '90572001', part: 'lower' },
  { code: '50837003', part: 'lingula' },
]

/** SNOMED laterality qualifier values. */
export const lateralityCodes: Readonly<Record<Laterality, string>> = {
  right: '24028007',
  left: '7771000',
}

/** The laterality named by a coding (SNOMED right/left), if any. */
export function lateralityOf(codings: readonly CodingRef[] | undefined): Laterality | undefined {
  if (anyCodingIs(codings, [[codeSystem.snomed, lateralityCodes.right]])) return 'right'
  if (anyCodingIs(codings, [[codeSystem.snomed, lateralityCodes.left]])) return 'left'
  return undefined
}

/**
 * The lobe named by a body-site concept. Unlateralised CID 6170 codes are accepted and, when a
 * laterality is known (from the same concept or passed in), resolved to RUL, RLL, LUL or LLL.
 */
export function lobeOf(
  codings: readonly CodingRef[] | undefined,
  laterality: Laterality | undefined = lateralityOf(codings)
): Lobe | undefined {
  for (const coding of codings ?? []) {
    const lateralised = lateralisedLobes.find((row) => anyCodingIs([coding], row.codes))
    if (lateralised) return lateralised.lobe
    const unlateralised = unlateralisedLobes.find((row) =>
      codingIs(coding, codeSystem.snomed, row.code)
    )
    if (!unlateralised) continue
    if (unlateralised.part === 'lingula') return { name: 'lingula' }
    if (laterality) {
      const abbreviation = `${laterality === 'right' ? 'R' : 'L'}${unlateralised.part === 'upper' ? 'U' : 'L'}L`
      return lateralisedLobes.find((row) => row.lobe.abbreviation === abbreviation)?.lobe
    }
    return { name: `${unlateralised.part} lobe` }
  }
  return undefined
}

/** The short display of a lobe: its abbreviation (RUL) when lateralised, else its name. */
export function lobeDisplay(codings: readonly CodingRef[] | undefined): string | undefined {
  const lobe = lobeOf(codings)
  return lobe ? (lobe.abbreviation ?? lobe.name) : undefined
}

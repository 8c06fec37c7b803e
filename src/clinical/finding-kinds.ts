/**
 * @module clinical/finding-kinds
 * The finding kinds the service knows, as data: per kind, the codes that name it (SNOMED CT,
 * RadLex, ICD-10 categories where producers use them), the words that name it in a coding's
 * display or `code.text`, and whether it is an ACR category 1 (critical) kind. Every code carries
 * the public page it was checked against; docs/clinical-rules.md ("Finding kinds") lists them.
 *
 * A finding is recognised by code first; when no code is known, by its words; when it still
 * matches nothing but reads like a critical family (a bleed, an embolus, free air...), it stays
 * `unknown` but is marked so the assessment escalates it to `warning` and says why.
 */
import { trimTrailingSlashes } from '../text/index'
import { codeSystem, codingIs } from './codes'
import type { CodingRef, FindingKind } from './types'

/** One code of a kind, with the page it was checked against. */
export interface KindCode {
  system: string
  code: string
  display: string
  source: string
}

/** An ICD-10 category: every code starting with `prefix` (dot optional) belongs to the kind. */
export interface KindCategory {
  prefix: string
  display: string
  source: string
}

export interface FindingKindRow {
  kind: Exclude<FindingKind, 'unknown'>
  /** Name used when the finding's code carries neither a display nor text. */
  name: string
  /** ACR actionable finding category 1: the card is `critical` whatever the AI's confidence. */
  critical: boolean
  codes: readonly KindCode[]
  /** ICD-10 / ICD-10-CM categories (matched on either system). */
  icd10: readonly KindCategory[]
  /** Phrases that name the kind in a display or `code.text`. */
  words: readonly RegExp[]
}

const SCT = codeSystem.snomed
const RADLEX = codeSystem.radlex

/** Sources of the input contract's six finding codes (docs/clinical-rules.md, "Finding kinds"). */
const contract = {
  ich: 'FHIR example data (fhir.resources tests); highdicom-based ICH code',
  pe: 'secondary code lists (AI detection targets, clinical-reference review)',
  ptx: 'secondary code lists (AI detection targets, clinical-reference review)',
  dissection:
    'several secondary code lists; openimagingdata findingmodels "aortic dissection" index code',
  rib: 'Synthea-style ICD map',
  nodule: 'HL7 Lithuania lung IG profile; openimagingdata FHIRSamples OIDM conclusionCode',
  solitary: 'several (DICOM-style mapping, German MII example)',
  radlex: 'openimagingdata CDEStaging pulmonary-nodule-harmonized.md',
  cyst: "the service's own code (input contract: no standard code found for an atypical cyst)",
}
const icsrPe =
  'HL7 ICSR AE Reporting IG 0.1.0, ValueSet PulmonaryEmbolismDiagnosisCodes (hl7.org/fhir/us/icsr-ae-reporting/2021Sep/ValueSet-PulmonaryEmbolismDiagnosisCodes.html)'
const icsrHemorrhage =
  'HL7 ICSR AE Reporting IG 0.1.0, ValueSet HemorrhagicStrokeDiagnosisCodes (hl7.org/fhir/us/icsr-ae-reporting/2021Sep/ValueSet-HemorrhagicStrokeDiagnosisCodes.html)'
const whoI60I69 = 'WHO ICD-10 2019 browser, block I60-I69 (icd.who.int/browse10/2019/en)'
const strokeVs =
  'Stroke Diagnosis ValueSet (expansion from tx.fhir.org, SNOMED CT International 2025-02-01)'

/** The kinds, in the order their words are tried (subtypes' words come with their kind). */
export const findingKindTable: readonly FindingKindRow[] = [
  {
    kind: 'intracranial-hemorrhage',
    name: 'Intracranial hemorrhage',
    critical: true,
    codes: [
      { system: SCT, code: '1386000', display: 'Intracranial hemorrhage', source: contract.ich },
      { system: SCT, code: '274100004', display: 'Cerebral hemorrhage', source: strokeVs },
      {
        system: SCT,
        code: '21454007',
        display: 'Subarachnoid intracranial hemorrhage',
        source: strokeVs,
      },
    ],
    icd10: [
      { prefix: 'I60', display: 'Subarachnoid haemorrhage', source: whoI60I69 },
      {
        prefix: 'I61',
        display: 'Intracerebral haemorrhage',
        source: `${whoI60I69}; ${icsrHemorrhage}`,
      },
      {
        prefix: 'I62',
        display: 'Other nontraumatic intracranial haemorrhage (subdural, extradural)',
        source: `${whoI60I69}; ${icsrHemorrhage}`,
      },
      {
        prefix: 'S06.6',
        display: 'Traumatic subarachnoid haemorrhage',
        source:
          'Australian DVA SOP G015 Subarachnoid haemorrhage, ICD-10-AM I60, S06.6 (clik.dva.gov.au)',
      },
    ],
    words: [
      /\b(?:intra-?cranial|intra-?cerebral|intra-?parenchymal|intra-?ventricular|sub-?dural|sub-?arachnoid|epi-?dural|extra-?dural|cerebral|brain)\s+(?:ha?emorrhages?|bleed(?:ing|s)?|ha?ematomas?)\b/i,
      /\b(?:ha?emorrhagic)\s+(?:stroke|contusion)\b/i,
      /\b(?:ICH|SAH|SDH|EDH|IPH|IVH)\b/,
    ],
  },
  {
    kind: 'pulmonary-embolism',
    name: 'Pulmonary embolism',
    critical: true,
    codes: [
      { system: SCT, code: '59282003', display: 'Pulmonary embolism', source: contract.pe },
      {
        system: SCT,
        code: '706870000',
        display: 'Acute pulmonary embolism',
        source:
          'Synthea-generated FHIR data (several public repositories: "Acute pulmonary embolism (disorder)")',
      },
      {
        system: SCT,
        code: '328511000119109',
        display: 'Saddle embolus of pulmonary artery (US extension)',
        source: 'OHDSI CHARYBDIS study concept set (Athena vocabulary, SNOMED)',
      },
      {
        system: SCT,
        code: '15964701000119109',
        display: 'Saddle embolus of pulmonary artery with acute cor pulmonale (US extension)',
        source: icsrPe,
      },
    ],
    icd10: [
      {
        prefix: 'I26',
        display:
          'Pulmonary embolism (I26.0x with, I26.9x without acute cor pulmonale; saddle I26.02/I26.92)',
        source: icsrPe,
      },
    ],
    words: [
      /\bpulmonary\s+(?:artery\s+)?(?:thrombo-?)?embol(?:ism|us|i)\b/i,
      /\bsaddle\s+(?:pulmonary\s+)?embol(?:ism|us|i)\b/i,
      /\b(?:pulmonary|lung)\s+thromboembolism\b/i,
      /\bPE\b/,
    ],
  },
  {
    kind: 'pneumothorax',
    name: 'Pneumothorax',
    critical: true,
    codes: [
      { system: SCT, code: '36118008', display: 'Pneumothorax', source: contract.ptx },
      {
        system: SCT,
        code: '233645004',
        display: 'Tension pneumothorax',
        source:
          'GA4GH phenopacket-tools examples (SCTID:233645004 "Tension pneumothorax (disorder)"); a FHIR trauma-registry IG profile note',
      },
    ],
    icd10: [],
    words: [/\bpneumothora(?:x|ces)\b/i, /\bPTX\b/],
  },
  {
    kind: 'aortic-dissection',
    name: 'Aortic dissection or rupture',
    critical: true,
    codes: [
      {
        system: SCT,
        code: '308546005',
        display: 'Dissection of aorta',
        source: contract.dissection,
      },
    ],
    icd10: [
      {
        prefix: 'I71.0',
        display: 'Dissection of aorta [any part]',
        source:
          'BHF Data Science Centre CCU002 phenotype code lists (ICD10 I71.0 "Dissection of aorta [any part]")',
      },
    ],
    words: [
      /\baortic\s+(?:dissection|rupture|transection|intramural\s+ha?ematoma)\b/i,
      /\b(?:dissection|rupture)\s+of\s+(?:the\s+)?(?:thoracic\s+|abdominal\s+)?aorta\b/i,
      /\bruptured?\s+(?:abdominal\s+|thoracic\s+)?aort(?:ic|a)\b/i,
      /\bruptured?\s+AAA\b/i,
    ],
  },
  {
    kind: 'large-vessel-occlusion',
    name: 'Large-vessel occlusion',
    critical: true,
    codes: [
      {
        system: SCT,
        code: '20059004',
        display: 'Occlusion of cerebral artery (broader than LVO: read as LVO, the safer reading)',
        source:
          'SNOMED CT concept as shown by a public SNOMED concept picker ("Occlusion of cerebral artery (disorder)")',
      },
    ],
    icd10: [],
    words: [
      /\blarge[-\s]vessel\s+occlusions?\b/i,
      /\bLVO\b/,
      /\b(?:(?:middle|anterior|posterior)\s+cerebral|internal\s+carotid|basilar|vertebral|MCA|ICA|M1|M2)\s+(?:artery\s+)?(?:occlusion|occluded|thrombus|thrombosis)\b/i,
    ],
  },
  {
    kind: 'pneumoperitoneum',
    name: 'Pneumoperitoneum',
    critical: true,
    codes: [],
    icd10: [],
    words: [
      /\bpneumoperitoneum\b/i,
      /\bfree\s+(?:intra-?peritoneal\s+|intra-?abdominal\s+|abdominal\s+)?(?:air|gas)\b/i,
    ],
  },
  {
    kind: 'pulmonary-nodule',
    name: 'Pulmonary nodule',
    critical: false,
    codes: [
      { system: SCT, code: '786838002', display: 'Nodule of lung', source: contract.nodule },
      {
        system: SCT,
        code: '427359005',
        display: 'Solitary nodule of lung',
        source: contract.solitary,
      },
      { system: RADLEX, code: 'RID50149', display: 'pulmonary nodule', source: contract.radlex },
      // Lung-RADS v2022 categorises atypical cysts with the nodules (the exam takes the most
      // suspicious finding); no standard code was found, so the contract names the service's own.
      {
        system: 'urn:imaging-cds:finding',
        code: 'atypical-lung-cyst',
        display: 'Atypical pulmonary cyst',
        source: contract.cyst,
      },
    ],
    icd10: [],
    words: [
      /\b(?:pulmonary|lung)\s+nodules?\b/i,
      /\b(?:ground[-\s]glass|part[-\s]solid|sub-?solid|juxtapleural|perifissural)\s+nodules?\b/i,
      /\bnodules?\s+(?:of|in)\s+(?:the\s+)?(?:(?:right|left)\s+)?(?:lung|(?:upper|middle|lower)\s+lobe)\b/i,
    ],
  },
  {
    kind: 'rib-fracture',
    name: 'Rib fracture',
    critical: false,
    codes: [{ system: SCT, code: '33737001', display: 'Fracture of rib', source: contract.rib }],
    icd10: [],
    words: [
      /\brib\s+fractures?\b/i,
      /\bfractured?\s+ribs?\b/i,
      /\bfractures?\s+of\s+(?:the\s+)?ribs?\b/i,
    ],
  },
]

/** Names for every kind, from the table. */
export const findingKindNames: Readonly<Record<FindingKind, string>> = {
  ...(Object.fromEntries(findingKindTable.map((row) => [row.kind, row.name])) as Record<
    Exclude<FindingKind, 'unknown'>,
    string
  >),
  unknown: 'Unnamed finding',
}

/** Kinds the table marks critical (ACR category 1). */
export const criticalFindingKinds: readonly FindingKind[] = findingKindTable
  .filter((row) => row.critical)
  .map((row) => row.kind)

const ICD10_SYSTEMS = ['http://hl7.org/fhir/sid/icd-10-cm', 'http://hl7.org/fhir/sid/icd-10']
const isIcd10 = (system: string | undefined) =>
  !!system && ICD10_SYSTEMS.includes(trimTrailingSlashes(system.trim().toLowerCase()))
const bareIcd = (code: string) => code.trim().toUpperCase().replace(/\./g, '')

/** The kind one coding names by code, if any. */
function kindOfCoding(coding: CodingRef): FindingKindRow | undefined {
  const code = coding.code?.trim()
  if (!code) return undefined
  for (const row of findingKindTable) {
    if (row.codes.some((c) => codingIs(coding, c.system, c.code))) return row
    if (
      isIcd10(coding.system) &&
      row.icd10.some((c) => bareIcd(code).startsWith(bareIcd(c.prefix)))
    )
      return row
  }
  return undefined
}

/** The finding kind of a concept, from any of its codings; `unknown` when none is known. */
export function findingKindOf(codings: readonly CodingRef[] | undefined): FindingKind {
  for (const coding of codings ?? []) {
    const row = kindOfCoding(coding)
    if (row) return row.kind
  }
  return 'unknown'
}

/**
 * A negation just before the phrase ("no", "without", "negative for", "no evidence of", "ruled
 * out", "resolved") within the same clause: the phrase does not name a finding that is present.
 */
const negationBefore =
  /\b(?:no|not|without|negative\s+for|no\s+evidence\s+of|free\s+of|absence\s+of|ruled\s+out|resolved|resolution\s+of)\b[^.;,]*$/i

/** Stems of the critical families, for text that names none of the kinds exactly. */
const criticalFamilyStems: readonly { kind: FindingKind; stem: RegExp }[] = [
  { kind: 'intracranial-hemorrhage', stem: /\b(?:ha?emorrhag\w*|bleed\w*|ha?ematoma\w*)/i },
  { kind: 'pulmonary-embolism', stem: /\b(?:\w*embol\w*|thrombus|thrombos[ie]s)\b/i },
  { kind: 'pneumothorax', stem: /\bpneumo-?thora\w*/i },
  { kind: 'aortic-dissection', stem: /\b(?:dissect\w*|ruptur\w*|aneurysm\w*)/i },
  { kind: 'large-vessel-occlusion', stem: /\b(?:occlu\w*|stroke|infarct\w*|isch(?:a)?emi\w*)/i },
  { kind: 'pneumoperitoneum', stem: /\b(?:pneumoperiton\w*|free\s+(?:air|gas)|perforat\w*)/i },
]

/** How a finding's kind was recognised. */
export type KindRecognition =
  | { by: 'code'; kind: Exclude<FindingKind, 'unknown'> }
  | { by: 'words'; kind: Exclude<FindingKind, 'unknown'>; matched: string }
  /** No kind matched, but the text reads like a critical family: escalate, saying why. */
  | { by: 'reads-like'; kind: 'unknown'; family: FindingKind; matched: string; negated: boolean }
  | { by: 'none'; kind: 'unknown' }

/** The phrase of `text` a pattern matches, unless a negation precedes it in the same clause. */
function positiveMatch(text: string, pattern: RegExp): string | undefined {
  const match = pattern.exec(text)
  if (!match) return undefined
  return negationBefore.test(text.slice(0, match.index)) ? undefined : match[0]
}

/**
 * Recognises a finding's kind: by code (any coding, SNOMED CT / RadLex / ICD-10 category); else
 * by the words of its displays and `code.text`; else, when a text reads like a critical family
 * (even in a negated phrase: "no" in an AI finding's name is too thin to hide a bleed on), it
 * stays `unknown` with the family and the words that triggered it.
 */
export function recognizeKind(
  codings: readonly CodingRef[] | undefined,
  text?: string
): KindRecognition {
  const byCode = findingKindOf(codings)
  if (byCode !== 'unknown') return { by: 'code', kind: byCode }
  const texts = [text, ...(codings ?? []).map((c) => c.display)]
    .map((t) => t?.trim())
    .filter((t): t is string => !!t)
  for (const row of findingKindTable) {
    for (const t of texts) {
      const matched = row.words.map((w) => positiveMatch(t, w)).find(Boolean)
      if (matched) return { by: 'words', kind: row.kind, matched }
    }
  }
  for (const { kind, stem } of criticalFamilyStems) {
    for (const t of texts) {
      const match = stem.exec(t)
      if (match) {
        const negated = negationBefore.test(t.slice(0, match.index))
        return { by: 'reads-like', kind: 'unknown', family: kind, matched: match[0], negated }
      }
    }
  }
  return { by: 'none', kind: 'unknown' }
}

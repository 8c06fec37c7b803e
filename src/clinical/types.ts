/**
 * @module clinical/types
 * The plain data the clinical rules work on: a finding read from FHIR, and the assessment the
 * guideline tables give it. Everything here is FHIR-free so the rules are testable as tables.
 */

/**
 * Finding kinds the service knows by code or words (`finding-kinds`, docs/clinical-rules.md);
 * anything else is `unknown`.
 */
export const findingKinds = [
  'pulmonary-nodule',
  'pulmonary-embolism',
  'intracranial-hemorrhage',
  'pneumothorax',
  'aortic-dissection',
  'large-vessel-occlusion',
  'pneumoperitoneum',
  'rib-fracture',
  'unknown',
] as const
export type FindingKind = (typeof findingKinds)[number]

export type Solidness = 'solid' | 'part-solid' | 'ground-glass'
export type NodulePosition =
  'juxtapleural' | 'perifissural' | 'airway-segmental' | 'airway-subsegmental'
/** Change since the prior exam; a missing change component means `baseline`. */
export type NoduleChange = 'baseline' | 'new' | 'growing' | 'stable' | 'decreased'
export type LungRadsCategory = '0' | '1' | '2' | '3' | '4A' | '4B' | '4X'
export type SmokingRisk = 'high' | 'low' | 'unknown'
/** Features that make a category 3 or 4 nodule 4X (the contract's `suspicious-feature` codes). */
export type SuspiciousFeature =
  'spiculation' | 'lymphadenopathy' | 'metastatic-disease' | 'ggn-doubling'
/** Atypical pulmonary cysts (Lung-RADS v2022): wall type and change since the prior exam. */
export type CystType = 'thick-walled' | 'multilocular' | 'thin-walled'
export type CystChange = 'wall-growing' | 'loculation-increased' | 'became-multilocular'

export interface CodingRef {
  system?: string
  code?: string
  display?: string
}

export interface KeyImage {
  seriesInstanceUid: string
  sopInstanceUid?: string
  frame?: number
}

/** Nodule facts as measured (mm), before any guideline rounding. */
export interface NoduleFacts {
  meanDiameterMm?: number
  longAxisMm?: number
  shortAxisMm?: number
  solidComponentMm?: number
  solidness?: Solidness
  position?: NodulePosition
  change: NoduleChange
  /** A change was sent but not understood, so `change` is `baseline` by default. */
  changeUnread?: boolean
  /**
   * A size was sent but cannot be used (outside the physical range, no numeric value, a unit
   * that is not a length): no size is assessed, the reason is in the finding's notes.
   */
  sizeUnusable?: boolean
  benignFeature: boolean
  suspiciousFeatures?: SuspiciousFeature[]
  /** Set for an atypical pulmonary cyst: its wall types and coded changes. */
  cyst?: { types: CystType[]; changes?: CystChange[] }
}

/** One earlier measurement of a nodule: its finding, exam date, facts and AI category then. */
export interface PriorMeasurement {
  observationRef?: string
  date?: string
  nodule: NoduleFacts
  assertedLungRads?: LungRadsCategory
}

/** One exam in a nodule's history, as the card shows it (mean and solid component, 0.1 mm). */
export interface NoduleHistoryEntry {
  date?: string
  meanMm?: number
  /** A size was given but could not be used (outside the physical range, no value, no length). */
  sizeUnusable?: boolean
  solidMm?: number
  solidness?: Solidness
  observationRef?: string
}

/** The AI model that produced a finding (from the DiagnosticReport's model-metadata extension). */
export interface ModelInfo {
  name?: string
  version?: string
  /** 0..1 */
  confidence?: number
  clearance?: string
}

/** One AI finding, read from an Observation (and its DiagnosticReport). */
export interface Finding {
  /** `Observation/{id}`: the reference a follow-up order's reasonReference points to. */
  observationRef: string
  reportRef?: string
  studyRef?: string
  kind: FindingKind
  /**
   * How the kind was recognised when not by code: by the words of its name, or (still `unknown`)
   * because its name reads like a critical family, which escalates the card to `warning`.
   */
  recognition?:
    | { by: 'words'; matched: string }
    | { by: 'reads-like'; family: FindingKind; matched: string; negated: boolean }
  /** Human name of the finding: the code's display or text, or the code itself. */
  name: string
  codes: CodingRef[]
  status: string
  /** Lobe or site, as a display string, when given. */
  location?: string
  nodule?: NoduleFacts
  assertedLungRads?: LungRadsCategory
  /**
   * The AI said a bare category "4", read as 4B for this exam (the safer reading), but no category
   * of record for a later exam's stepped management (it may have been 4A).
   */
  assertedLungRadsBareFour?: true
  /** AI confidence for this finding, 0..1 (from the DCM 111012 component, else the report). */
  confidence?: number
  keyImage?: KeyImage
  model: ModelInfo
  effective?: string
  /** Values the reader found but could not interpret (an unrecognised change, an odd unit). */
  notes?: string[]
  /**
   * Earlier measurements of the same nodule (the `derivedFrom` chain to prior finding
   * Observations, same patient), filled in when the evidence is gathered. Growth is computed
   * from them.
   */
  priors?: PriorMeasurement[]
}

/** Which guideline applies to a finding. */
export type GuidelineName = 'lung-rads-v2022' | 'fleischner-2017' | 'none'

/** A follow-up recommendation: what to order and when, relative to the study date. */
export interface FollowUp {
  /**
   * Key into the configured order codes: `ldct` (annual screening LDCT), `ldct-interval` (the
   * 1–3, 3 and 6-month LDCTs, which some sites order as diagnostic CT), `ct-chest`, `pet-ct`.
   */
  order: 'ldct' | 'ldct-interval' | 'ct-chest' | 'pet-ct'
  /**
   * Months after the study: a single point (Lung-RADS) or a range (Fleischner). `from: 0` is a
   * work-up to arrange now (Lung-RADS 4B/4X diagnostic CT, PET/CT), not an interval.
   */
  months: { from: number; to?: number }
  optional?: boolean
  /**
   * Why the guideline offers this order, in a few words, when it hangs on a measurement (the
   * optional PET/CT: `solid component ≥ 8 mm`). Shown on the suggestion's label.
   */
  because?: string
  /**
   * The guideline's next step after this follow-up (Fleischner 6–8 mm: "then CT at 18–24
   * months"), in months after the study. Said on the card, never ordered: it depends on what the
   * first follow-up shows.
   */
  then?: { months: { from: number; to?: number }; optional?: boolean }
}

export interface Assessment {
  finding: Finding
  guideline: GuidelineName
  /** Lung-RADS category, or a Fleischner row id such as `solid-single-6-8`. */
  category?: string
  /** The table row that produced the category, in words (for the card detail). */
  rule?: string
  /**
   * When the AI asserted a different category: what it asserted and which one won, and why: the
   * more suspicious one by rank, or category 0 (an incomplete exam outranks 1 to 4A, though its
   * number is lower).
   */
  disagreement?: {
    asserted: string
    computed: string
    used: string
    why: 'higher-category' | 'incomplete-exam'
  }
  /** The management text of the guideline row. */
  management?: string
  followUp?: FollowUp
  /** Further orders the guideline mentions beside `followUp`, e.g. an optional PET/CT. */
  additionalFollowUps?: FollowUp[]
  indicator: 'info' | 'warning' | 'critical'
  /** Why no guideline recommendation was made (under 35, missing size, ...). */
  caveats: string[]
  /**
   * Set when the patient is outside Fleischner's scope: adults 35 and over, with no known
   * malignancy and not immunosuppressed.
   */
  exclusion?: 'under-35' | 'malignancy' | 'immunosuppressed'
  /** The nodule's measurements, this exam first, then its priors (when the AI linked them). */
  history?: NoduleHistoryEntry[]
  lowConfidence: boolean
}

/**
 * Why a nodule card names no follow-up: the patient is out of Fleischner's scope, the nodule has
 * no size (or no solid-component size), a size it cannot have (`bad-size`), or no row fits, the category calls for a diagnostic
 * work-up (Lung-RADS 4B/4X) or says the exam is incomplete (0), or a no-follow-up Fleischner row
 * meets a nodule that grew since the prior exam.
 */
export type NoFollowUpReason =
  | 'under-35'
  | 'malignancy'
  | 'immunosuppressed'
  | 'no-size'
  | 'bad-size'
  | 'no-category'
  | 'work-up'
  | 'incomplete'
  | 'growing'

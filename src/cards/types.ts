/**
 * @module cards/types
 * CDS Hooks 2.0 response shapes (cards, suggestions, actions, links) and the options the card
 * builders take. CDS types are not in `@types/fhir`, so they are defined here, after
 * https://cds-hooks.hl7.org/2.0/#cds-service-response. Optional fields are optional because the
 * spec forbids `null` and empty values: builders omit a field rather than send it empty.
 */
import type { Coding as FhirCoding, FhirResource } from 'fhir/r4'
import type { ClinicalConfig } from '../clinical/index'
import type { FindingKind } from '../clinical/types'

/** A CDS Hooks Coding: `system` and `code` are required (unlike FHIR's). */
export interface Coding {
  system: string
  code: string
  display?: string
}

/** An override reason: a Coding whose `display` is required (the client shows it). */
export interface OverrideReason extends Coding {
  display: string
}

export interface Source {
  label: string
  /** About the source organisation, not a drill-down (use a Link for that). */
  url?: string
  /** Absolute URL of a 100×100 PNG. */
  icon?: string
  topic?: Coding
}

export interface Action {
  type: 'create' | 'update' | 'delete'
  description: string
  /** The new resource (create) or the whole updated resource (update). */
  resource?: FhirResource
  /** Relative reference, for delete. */
  resourceId?: string
}

export interface Suggestion {
  label: string
  uuid?: string
  isRecommended?: boolean
  actions?: Action[]
}

export interface Link {
  label: string
  url: string
  type: 'absolute' | 'smart'
  /** Only for `smart` links. */
  appContext?: string
  autolaunchable?: boolean
}

export type Indicator = 'info' | 'warning' | 'critical'

export interface Card {
  uuid?: string
  /** One sentence, at most 139 characters. */
  summary: string
  /** GitHub-flavoured Markdown. */
  detail?: string
  indicator: Indicator
  source: Source
  suggestions?: Suggestion[]
  /** Required whenever `suggestions` is present. */
  selectionBehavior?: 'at-most-one' | 'any'
  overrideReasons?: OverrideReason[]
  links?: Link[]
}

export interface CdsResponse {
  cards: Card[]
  systemActions?: Action[]
}

/**
 * What the service remembers about a card it issued, so feedback (which carries only the card
 * uuid, a one-way hash) can be tied back to the finding, the model and the category.
 */
export interface CardMeta {
  uuid: string
  findingKind: FindingKind
  category?: string
  modelName?: string
  modelVersion?: string
  /** `Observation/{id}` of the finding the card is about (the lead nodule for a nodule card). */
  observationRef: string
  /** The other nodules summarised in the same card. */
  otherObservationRefs?: string[]
  /** uuid of the card's follow-up suggestion, when it has one (feedback's acceptedSuggestions). */
  suggestionUuid?: string
  /** uuids of the card's optional further suggestions (e.g. a PET/CT that may be considered). */
  otherSuggestionUuids?: string[]
}

/** Every card builder returns cards paired with their metadata, in display order. */
export interface IssuedCard {
  card: Card
  meta: CardMeta
}

export type OrderKind = 'ldct' | 'ldct-interval' | 'ct-chest' | 'pet-ct'

/** The code a follow-up ServiceRequest carries (a FHIR Coding with the three parts required). */
export type OrderCode = Required<Pick<FhirCoding, 'system' | 'code' | 'display'>>

export interface CardOptions {
  source: { label: string; url?: string; icon?: string }
  viewer: {
    /** OHIF base URL, e.g. `https://viewer.example.org`. No base URL, no links. */
    baseUrl?: string
    /** Endpoint address prefix → OHIF data source name; the route becomes `/viewer/<name>`. */
    dataSources: { dicomWebPrefix: string; name: string }[]
  }
  orderCodes: Record<OrderKind, OrderCode>
  clinical: ClinicalConfig
  /** How far back (months before `now`) prior AI findings still count as open. */
  findingsWindowMonths: number
  now: Date
  /** Namespace of card and suggestion uuids: the calling client's (cards/uuid clientNamespace). */
  uuidNamespace?: string
}

const LOINC = 'http://loinc.org'

/**
 * Default follow-up order codes (docs/clinical-rules.md). Never LOINC 36643-5: that is a chest
 * X-ray. `ldct-interval` is the 1–3, 3 and 6-month LDCT of Lung-RADS 0, 4A and 3: the screening
 * LDCT code by default; sites that order interval follow-ups as a diagnostic chest CT (LOINC
 * 29252-4) set `CDS_ORDER_CODES={"ldct-interval": ...}`.
 */
export const defaultOrderCodes: Record<OrderKind, OrderCode> = {
  ldct: { system: LOINC, code: '79086-5', display: 'CT Chest for screening WO contrast' },
  'ldct-interval': {
    system: LOINC,
    code: '79086-5',
    display: 'CT Chest for screening WO contrast',
  },
  'ct-chest': { system: LOINC, code: '29252-4', display: 'CT Chest WO contrast' },
  'pet-ct': { system: LOINC, code: '81555-5', display: 'PT+CT Whole body Tum loc W 18F-FDG IV' },
}

/**
 * @module cards/types
 * The types card builders work with: the CDS Hooks 2.0 response shapes (cards, suggestions,
 * actions, links), derived from the zod schemas the response validator uses
 * (src/protocol/cds-schemas.ts), the metadata kept per card, and the options the builders take.
 */
import type * as z from 'zod'
import type { Coding as FhirCoding } from 'fhir/r4'
import type { Card, OverrideReasonCodingSchema, SourceSchema } from '../protocol/cds-schemas'
import type { ClinicalConfig } from '../clinical/index'
import type { FindingKind } from '../clinical/types'

// The response shapes are the zod schemas' types (src/protocol/cds-schemas.ts): one definition,
// the one the response validator checks.
export type {
  Action,
  Card,
  Coding,
  Link,
  Suggestion,
  CdsResponseBody as CdsResponse,
} from '../protocol/cds-schemas'

/** An override reason: a Coding whose `display` is required (the client shows it). */
export type OverrideReason = z.infer<typeof OverrideReasonCodingSchema>
export type Source = z.infer<typeof SourceSchema>
export type Indicator = Card['indicator']

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

/**
 * @module feedback/rows
 * The rows every feedback store reads back, in one shape (SQLite and PostgreSQL select the same
 * columns under the same names), and their one mapping to cards, stored outcomes and report input.
 */
import type { CardMeta } from '../cards/types'
import type { FindingKind } from '../clinical/types'
import type { ReportInput } from './report'
import type { FeedbackRecord } from './index'

/** One stored outcome as read back (no comment text: only whether there was one). */
export interface StoredOutcome {
  service: string
  /** The client (JWT issuer and tenant) that sent it and was issued the card. */
  iss: string
  tenant?: string
  card: string
  outcome: 'accepted' | 'overridden'
  overrideReasonCode?: string
  overrideReasonSystem?: string
  acceptedSuggestions: string[]
  hasUserComment: boolean
  outcomeTimestamp: string
  receivedAt: string
  findingKind?: string
  category?: string
  modelName?: string
  modelVersion?: string
  observationRef?: string
}

/** An issued card as stored. */
export interface IssuedRow {
  uuid: string
  iss: string | null
  tenant: string
  finding_kind: string
  category: string | null
  model_name: string | null
  model_version: string | null
  observation_ref: string
  suggestion_uuid: string | null
}

/**
 * An outcome as read back: its columns, with the card's facts as `kind`, `cat`, `mname`,
 * `mversion` and `obs`, `accepted_suggestions` as JSON text, `has_user_comment` as 0 or 1 and the
 * times as ISO strings.
 */
export interface OutcomeRow {
  service: string
  iss: string | null
  tenant: string
  card_uuid: string
  outcome: 'accepted' | 'overridden'
  override_reason_code: string | null
  override_reason_system: string | null
  accepted_suggestions: string
  has_user_comment: number
  outcome_timestamp: string
  received_at: string
  kind: string | null
  cat: string | null
  mname: string | null
  mversion: string | null
  obs: string | null
}

export const reportInput = (row: OutcomeRow): ReportInput => ({
  outcome: row.outcome,
  findingKind: row.kind,
  category: row.cat,
  modelName: row.mname,
  modelVersion: row.mversion,
  reasonCode: row.override_reason_code,
  reasonSystem: row.override_reason_system,
})

export function toMeta(row: IssuedRow): CardMeta {
  return {
    uuid: row.uuid,
    findingKind: row.finding_kind as FindingKind,
    observationRef: row.observation_ref,
    ...(row.category !== null ? { category: row.category } : {}),
    ...(row.model_name !== null ? { modelName: row.model_name } : {}),
    ...(row.model_version !== null ? { modelVersion: row.model_version } : {}),
    ...(row.suggestion_uuid !== null ? { suggestionUuid: row.suggestion_uuid } : {}),
  }
}

export function toStoredOutcome(row: OutcomeRow): StoredOutcome {
  const optional = (value: string | null) => value ?? undefined
  const out: StoredOutcome = {
    service: row.service,
    iss: row.iss ?? '',
    card: row.card_uuid,
    outcome: row.outcome,
    acceptedSuggestions: JSON.parse(row.accepted_suggestions) as string[],
    hasUserComment: row.has_user_comment === 1,
    outcomeTimestamp: row.outcome_timestamp,
    receivedAt: row.received_at,
  }
  const fields = {
    tenant: row.tenant || undefined,
    overrideReasonCode: optional(row.override_reason_code),
    overrideReasonSystem: optional(row.override_reason_system),
    findingKind: optional(row.kind),
    category: optional(row.cat),
    modelName: optional(row.mname),
    modelVersion: optional(row.mversion),
    observationRef: optional(row.obs),
  }
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) (out as unknown as Record<string, unknown>)[key] = value
  }
  return out
}

/**
 * What a store keeps of an outcome (as the KV store writes it): ids, codes and the card's facts;
 * of a comment only whether there was one (free text can hold PHI); no unknown members.
 */
export function storedOutcome(record: FeedbackRecord, receivedAt: string): StoredOutcome {
  const reason = record.overrideReason?.reason
  const { finding } = record
  return {
    service: record.serviceId,
    iss: record.client.iss,
    ...(record.client.tenant !== undefined ? { tenant: record.client.tenant } : {}),
    card: record.card,
    outcome: record.outcome,
    ...(reason?.code !== undefined ? { overrideReasonCode: reason.code } : {}),
    ...(reason?.system !== undefined ? { overrideReasonSystem: reason.system } : {}),
    acceptedSuggestions: (record.acceptedSuggestions ?? []).map((s) => s.id),
    hasUserComment: Boolean(record.overrideReason?.userComment?.trim()),
    outcomeTimestamp: record.outcomeTimestamp,
    receivedAt,
    findingKind: finding.findingKind,
    ...(finding.category !== undefined ? { category: finding.category } : {}),
    ...(finding.modelName !== undefined ? { modelName: finding.modelName } : {}),
    ...(finding.modelVersion !== undefined ? { modelVersion: finding.modelVersion } : {}),
    observationRef: finding.observationRef,
  }
}

/**
 * @module feedback
 * The feedback endpoint's core (CDS Hooks 2.0 §feedback): validated outcomes go to a sink.
 * The sink is an interface so each runtime can keep feedback where it lasts (memory here,
 * SQLite or PostgreSQL on Node, a binding on Workers). Cards issued by the hooks are registered
 * first, with the client (issuer and tenant) they were issued to: an outcome is accepted only for
 * a card this service issued to the same client, and is tied back to the finding, category and AI
 * model it was about. One client can therefore neither attribute outcomes to another's cards nor
 * set the model metadata another's outcomes are reported under (docs/security.md, Feedback).
 */
import type { Logger } from '../log'
import type { CardMeta } from '../cards/types'
import type { FeedbackEntry } from '../protocol/cds-schemas'

/** One feedback entry as the schema checked it (src/protocol/cds-schemas.ts FeedbackSchema). */
export type FeedbackItem = FeedbackEntry

/** Who a card was issued to and who sends feedback: the verified JWT issuer and its tenant. */
export interface FeedbackClient {
  iss: string
  tenant?: string
}

/** One outcome as stored: the feedback plus what the card was about. */
export type FeedbackRecord = FeedbackItem & {
  serviceId: string
  client: FeedbackClient
  finding: CardMeta
}

/** What became of the items of one `record` call. */
export interface RecordResult {
  stored: number
  duplicates: number
  /** Indexes (into the items passed) of outcomes about cards never issued to this client. */
  notIssued: number[]
  /**
   * Outcomes accepted but not yet written (the store is unreachable and retries them; they are
   * checked against their cards when written, and counted or logged then).
   */
  pending?: number
}

export interface FeedbackSink {
  /** Remembers what the cards just issued are about and to whom (no PHI: kinds, categories, models). */
  cardsIssued(serviceId: string, client: FeedbackClient, cards: CardMeta[]): Promise<void>
  /**
   * Stores outcomes about cards issued to `client`; a repeat of an already stored outcome is not
   * stored twice, and an outcome about any other card is not stored at all (`notIssued`).
   */
  record(serviceId: string, client: FeedbackClient, items: FeedbackItem[]): Promise<RecordResult>
}

/** True when a card registered for `issuedTo` may receive feedback from `client`. */
export const sameClient = (issuedTo: FeedbackClient, client: FeedbackClient): boolean =>
  issuedTo.iss === client.iss && (issuedTo.tenant ?? '') === (client.tenant ?? '')

/** The identity of an outcome: the same client, card, outcome, time and choice is one outcome. */
export function feedbackKey(serviceId: string, client: FeedbackClient, item: FeedbackItem): string {
  const accepted = (item.acceptedSuggestions ?? [])
    .map((s) => s.id)
    .sort()
    .join(',')
  const reason = item.overrideReason?.reason?.code ?? ''
  return [
    serviceId,
    client.iss,
    client.tenant ?? '',
    item.card,
    item.outcome,
    item.outcomeTimestamp,
    accepted,
    reason,
  ].join('|')
}

/**
 * Logs one structured line per stored outcome: ids, the outcome and the card's own facts (kind,
 * category, model). Never the reason's code or text, nor comments: those are client text.
 */
export function logOutcome(logger: Logger, record: FeedbackRecord): void {
  logger.info('feedback.outcome', {
    service: record.serviceId,
    card: record.card,
    outcome: record.outcome,
    overrideReason: record.overrideReason?.reason !== undefined,
    acceptedSuggestions: record.acceptedSuggestions?.length,
    findingKind: record.finding.findingKind,
    category: record.finding.category,
    modelName: record.finding.modelName,
    modelVersion: record.finding.modelVersion,
  })
}

/** Keeps recent feedback in memory (bounded), for development and single-process use. */
export function createMemoryFeedbackSink(
  logger: Logger,
  limits: { records?: number; cards?: number } = {}
): FeedbackSink & { records(): FeedbackRecord[] } {
  const maxRecords = limits.records ?? 10_000
  const maxCards = limits.cards ?? 50_000
  const cards = new Map<string, { meta: CardMeta; client: FeedbackClient }>()
  const stored = new Map<string, FeedbackRecord>()
  const trim = <K, V>(map: Map<K, V>, max: number) => {
    while (map.size > max) map.delete(map.keys().next().value as K)
  }
  return {
    async cardsIssued(_serviceId, client, issued) {
      for (const meta of issued) {
        cards.delete(meta.uuid) // re-insert to keep recently issued cards longest
        cards.set(meta.uuid, { meta, client })
      }
      trim(cards, maxCards)
    },
    async record(serviceId, client, items) {
      let count = 0
      let duplicates = 0
      const notIssued: number[] = []
      items.forEach((item, index) => {
        const issued = cards.get(item.card)
        if (!issued || !sameClient(issued.client, client)) return void notIssued.push(index)
        const key = feedbackKey(serviceId, client, item)
        if (stored.has(key)) return void duplicates++
        const record: FeedbackRecord = { ...item, serviceId, client, finding: issued.meta }
        stored.set(key, record)
        logOutcome(logger, record)
        count++
      })
      trim(stored, maxRecords)
      return { stored: count, duplicates, notIssued }
    },
    records: () => [...stored.values()],
  }
}

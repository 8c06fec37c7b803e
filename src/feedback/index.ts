/**
 * @module feedback
 * The feedback endpoint's core (CDS Hooks 2.0 §feedback): validated outcomes go to a sink.
 * The sink is an interface so each runtime can keep feedback where it lasts (memory here,
 * SQLite on Node, a binding on Workers). Cards issued by the hooks are registered first, so an
 * outcome can be tied back to the finding, category and AI model it was about.
 */
import type { Logger } from '../log'
import type { CardMeta } from '../cards/types'

export interface FeedbackItem {
  card: string
  outcome: 'accepted' | 'overridden'
  acceptedSuggestions?: { id: string }[]
  overrideReason?: {
    reason?: { system?: string; code?: string; display?: string }
    userComment?: string
  }
  outcomeTimestamp: string
}

/** One outcome as stored: the feedback plus what the card was about, when known. */
export interface FeedbackRecord extends FeedbackItem {
  serviceId: string
  finding?: CardMeta
}

export interface FeedbackSink {
  /** Remembers what the cards just issued are about (no PHI: kinds, categories, model names). */
  cardsIssued(serviceId: string, cards: CardMeta[]): Promise<void>
  /** Stores outcomes; a repeat of an already stored outcome is not stored twice. */
  record(serviceId: string, items: FeedbackItem[]): Promise<{ stored: number; duplicates: number }>
}

/** The identity of an outcome: the same card, outcome, time and choice is one outcome. */
export function feedbackKey(serviceId: string, item: FeedbackItem): string {
  const accepted = (item.acceptedSuggestions ?? [])
    .map((s) => s.id)
    .sort()
    .join(',')
  const reason = item.overrideReason?.reason?.code ?? ''
  return [serviceId, item.card, item.outcome, item.outcomeTimestamp, accepted, reason].join('|')
}

/** Logs one structured line per stored outcome: ids, codes and model facts only, never comments. */
export function logOutcome(logger: Logger, record: FeedbackRecord): void {
  logger.info('feedback.outcome', {
    service: record.serviceId,
    card: record.card,
    outcome: record.outcome,
    overrideReason: record.overrideReason?.reason?.code,
    acceptedSuggestions: record.acceptedSuggestions?.length,
    findingKind: record.finding?.findingKind,
    category: record.finding?.category,
    modelName: record.finding?.modelName,
    modelVersion: record.finding?.modelVersion,
  })
}

/** Keeps recent feedback in memory (bounded), for development and single-process use. */
export function createMemoryFeedbackSink(
  logger: Logger,
  limits: { records?: number; cards?: number } = {}
): FeedbackSink & { records(): FeedbackRecord[] } {
  const maxRecords = limits.records ?? 10_000
  const maxCards = limits.cards ?? 50_000
  const cards = new Map<string, CardMeta>()
  const stored = new Map<string, FeedbackRecord>()
  const trim = <K, V>(map: Map<K, V>, max: number) => {
    while (map.size > max) map.delete(map.keys().next().value as K)
  }
  return {
    async cardsIssued(_serviceId, issued) {
      for (const meta of issued) {
        cards.delete(meta.uuid) // re-insert to keep recently issued cards longest
        cards.set(meta.uuid, meta)
      }
      trim(cards, maxCards)
    },
    async record(serviceId, items) {
      let count = 0
      for (const item of items) {
        const key = feedbackKey(serviceId, item)
        if (stored.has(key)) continue
        const finding = cards.get(item.card)
        const record: FeedbackRecord = { ...item, serviceId, ...(finding ? { finding } : {}) }
        stored.set(key, record)
        logOutcome(logger, record)
        count++
      }
      trim(stored, maxRecords)
      return { stored: count, duplicates: items.length - count }
    },
    records: () => [...stored.values()],
  }
}

/**
 * @module worker/feedback-kv
 * Feedback on Workers, kept in a KV namespace (binding `CDS_FEEDBACK_KV`) so it outlives the
 * isolate that received it. Each outcome is stored once under a key derived from its
 * {@link feedbackKey}, so a client retrying the same feedback leaves one record; each stored
 * outcome is also logged as a structured line ({@link logOutcome}) for Workers Logs / Logpush.
 * What each issued card was about is kept as well (`card:<uuid>`, for a week by default), so
 * feedback arriving at another isolate can still be tied to its finding, category and model.
 */
import {
  feedbackKey,
  logOutcome,
  type FeedbackItem,
  type FeedbackRecord,
  type FeedbackSink,
} from '../feedback'
import type { CardMeta } from '../cards/types'
import type { Logger } from '../log'
import type { KvNamespace } from './types'

export interface KvFeedbackSinkOptions {
  /** How long KV remembers what an issued card was about. Default 7 days. */
  cardTtlSeconds?: number
  /** Cards and outcome keys remembered per isolate, to spare KV reads. Default 10 000. */
  memoryEntries?: number
}

const DAY_SECONDS = 86_400
// Ids we issue are UUIDs; a longer card id from a client cannot be ours (and KV keys max 512 bytes).
const MAX_CARD_ID = 64

/**
 * @param kv - the `CDS_FEEDBACK_KV` binding
 * @param logger - receives one `feedback.outcome` line per stored outcome
 * @example const feedbackSink = createKvFeedbackSink(env.CDS_FEEDBACK_KV, logger)
 */
export function createKvFeedbackSink(
  kv: KvNamespace,
  logger: Logger,
  options: KvFeedbackSinkOptions = {}
): FeedbackSink {
  const cardTtl = options.cardTtlSeconds ?? 7 * DAY_SECONDS
  const maxEntries = options.memoryEntries ?? 10_000
  const cards = new Map<string, CardMeta>()
  const storedKeys = new Set<string>()
  const trim = (collection: Map<string, unknown> | Set<string>) => {
    while (collection.size > maxEntries) collection.delete(collection.keys().next().value as string)
  }

  async function findingOf(card: string): Promise<CardMeta | undefined> {
    const cached = cards.get(card)
    if (cached || card.length > MAX_CARD_ID) return cached
    const stored = await kv.get(`card:${card}`)
    return stored === null ? undefined : (JSON.parse(stored) as CardMeta)
  }

  async function storeOne(serviceId: string, item: FeedbackItem): Promise<boolean> {
    // Hashed: the key holds client text (card id, reason code) and KV keys max 512 bytes.
    const key = `feedback:${await sha256Hex(feedbackKey(serviceId, item))}`
    if (storedKeys.has(key) || (await kv.get(key)) !== null) return false
    const finding = await findingOf(item.card)
    const record: FeedbackRecord = { ...item, serviceId, ...(finding ? { finding } : {}) }
    // Metadata lets a report list outcomes without reading every value.
    await kv.put(key, JSON.stringify(record), {
      metadata: { service: serviceId, outcome: item.outcome, at: item.outcomeTimestamp },
    })
    storedKeys.add(key)
    trim(storedKeys)
    logOutcome(logger, record)
    return true
  }

  return {
    async cardsIssued(_serviceId, issued) {
      for (const meta of issued) cards.set(meta.uuid, meta)
      trim(cards)
      // Bookkeeping must never fail a hook call: a KV error is logged, not thrown.
      const results = await Promise.allSettled(
        issued.map((meta) =>
          kv.put(`card:${meta.uuid}`, JSON.stringify(meta), { expirationTtl: cardTtl })
        )
      )
      const failed = results.filter((r) => r.status === 'rejected').length
      if (failed > 0) logger.warn('feedback.card_store_failed', { cards: failed })
    },
    async record(serviceId, items) {
      let stored = 0
      // In order, so a request repeating one outcome stores it once.
      for (const item of items) if (await storeOne(serviceId, item)) stored++
      return { stored, duplicates: items.length - stored }
    },
  }
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('')
}

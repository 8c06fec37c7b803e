/**
 * @module worker/feedback-kv
 * Feedback on Workers, kept in a KV namespace (binding `CDS_FEEDBACK_KV`) so it outlives the
 * isolate that received it. Each outcome is stored once under a key derived from its
 * {@link feedbackKey}, so a client retrying the same feedback leaves one record; each stored
 * outcome is also logged as a structured line ({@link logOutcome}) for Workers Logs / Logpush.
 * What each issued card was about, and to which client (issuer and tenant), is kept as well
 * (`card:<uuid>`, for a week by default): feedback arriving at another isolate is tied to its
 * finding, category and model, and feedback about a card not issued to its sender (or forgotten
 * after the week) is refused.
 */
import {
  feedbackKey,
  logOutcome,
  sameClient,
  type FeedbackClient,
  type FeedbackItem,
  type FeedbackRecord,
  type FeedbackSink,
} from '../feedback'
import { storedOutcome } from '../feedback/rows'
import type { CardMeta } from '../cards/types'
import type { Logger } from '../log'
import type { KvNamespace } from './types'

export interface KvFeedbackSinkOptions {
  /** How long KV remembers what an issued card was about. Default 7 days. */
  cardTtlSeconds?: number
  /** Cards and outcome keys remembered per isolate, to spare KV reads. Default 10 000. */
  memoryEntries?: number
}

/** What KV keeps per issued card: its facts and the client it was issued to. */
interface IssuedTo {
  meta: CardMeta
  client: FeedbackClient
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
  const cards = new Map<string, IssuedTo>()
  const storedKeys = new Set<string>()
  const trim = (collection: Map<string, unknown> | Set<string>) => {
    while (collection.size > maxEntries) collection.delete(collection.keys().next().value as string)
  }

  async function issuedCard(card: string): Promise<IssuedTo | undefined> {
    const cached = cards.get(card)
    if (cached || card.length > MAX_CARD_ID) return cached
    const stored = await kv.get(`card:${card}`)
    if (stored === null) return undefined
    const parsed = JSON.parse(stored) as Partial<IssuedTo>
    // Records written before cards were tied to a client have no `client`: they take no feedback.
    return parsed.meta && parsed.client ? (parsed as IssuedTo) : undefined
  }

  async function storeOne(
    serviceId: string,
    client: FeedbackClient,
    item: FeedbackItem
  ): Promise<'stored' | 'duplicate' | 'not-issued'> {
    const issued = await issuedCard(item.card)
    if (!issued || !sameClient(issued.client, client)) return 'not-issued'
    // Hashed: the key holds client text (card id, reason code) and KV keys max 512 bytes.
    const key = `feedback:${await sha256Hex(feedbackKey(serviceId, client, item))}`
    if (storedKeys.has(key) || (await kv.get(key)) !== null) return 'duplicate'
    const record: FeedbackRecord = { ...item, serviceId, client, finding: issued.meta }
    // Metadata lets a report list outcomes without reading every value.
    // What is kept: ids, codes and the card's facts, never comment text or unknown members.
    await kv.put(key, JSON.stringify(storedOutcome(record, new Date().toISOString())), {
      metadata: { service: serviceId, outcome: item.outcome, at: item.outcomeTimestamp },
    })
    storedKeys.add(key)
    trim(storedKeys)
    logOutcome(logger, record)
    return 'stored'
  }

  return {
    async cardsIssued(_serviceId, client, issued) {
      for (const meta of issued) cards.set(meta.uuid, { meta, client })
      trim(cards)
      // Bookkeeping must never fail a hook call: a KV error is logged, not thrown.
      const results = await Promise.allSettled(
        issued.map((meta) =>
          kv.put(`card:${meta.uuid}`, JSON.stringify({ meta, client }), {
            expirationTtl: cardTtl,
          })
        )
      )
      const failed = results.filter((r) => r.status === 'rejected').length
      if (failed > 0) logger.warn('feedback.card_store_failed', { cards: failed })
    },
    async record(serviceId, client, items) {
      const result = { stored: 0, duplicates: 0, notIssued: [] as number[] }
      // In order, so a request repeating one outcome stores it once.
      for (const [index, item] of items.entries()) {
        const outcome = await storeOne(serviceId, client, item)
        if (outcome === 'stored') result.stored++
        else if (outcome === 'duplicate') result.duplicates++
        else result.notIssued.push(index)
      }
      return result
    },
  }
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('')
}

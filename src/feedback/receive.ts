/**
 * @module feedback/receive
 * One feedback call (CDS Hooks 2.0 §feedback), from the parsed JSON body to the answer's body,
 * independent of the web framework (like src/services/invoke.ts for hooks): sizes checked in one
 * bounded pass, then the sender's issuer counted against its rate limit, then each entry checked
 * on its own; the valid ones go to the sink, and the answer names the refused ones and why. A
 * call with no valid entry at all is a 400. Failures are thrown as CdsErrors (a 429 and a 503
 * carry their Retry-After), turned into responses in one place by the app.
 */
import { badRequest, tooManyRequests } from '../protocol/outcome'
import { listIssues } from '../protocol/request'
import { checkFeedbackEntries, feedbackTooLarge, type RefusedFeedback } from '../protocol/validate'
import type { FeedbackAnswer } from '../protocol/cds-schemas'
import type { Logger } from '../log'
import type { FeedbackOutcome } from '../observe'
import type { FeedbackClient, FeedbackSink, RecordResult } from './index'
import type { RateLimiter } from './rate-limit'

export interface ReceiveFeedbackDeps {
  sink: FeedbackSink
  rateLimiter: RateLimiter
  /** The rate limit's window, for the 429's Retry-After. */
  rateLimitWindowMs: number
  logger: Logger
  /** Told what became of the call's entries (metrics). */
  onOutcome?: (outcome: FeedbackOutcome, count: number) => void
}

/**
 * @returns the answer's body (FeedbackAnswerSchema): `{}` when every entry was taken, else the
 *   refused ones, in order
 * @param client - the verified sender (issuer and tenant); only cards issued to it take feedback
 * @throws CdsError 400 (too large, malformed, no valid entry), 429 (rate limited), or whatever
 *   the sink throws (503 when it can take nothing now)
 */
export async function receiveFeedback(
  serviceId: string,
  body: unknown,
  client: FeedbackClient,
  deps: ReceiveFeedbackDeps
): Promise<FeedbackAnswer> {
  const count = deps.onOutcome ?? (() => {})
  // Sizes first, in one bounded pass: a million nested values would be a million problems.
  const entries = (body as { feedback?: unknown } | null)?.feedback
  const received = Array.isArray(entries) ? entries.length : 1
  const tooLarge = feedbackTooLarge(body)
  if (tooLarge) {
    count('rejected', received)
    throw badRequest(`Invalid feedback: ${tooLarge}`)
  }
  // Per issuer (tenants are the issuer's to name: one allowance for all of them), counted in
  // entries whether valid or not: a flood is refused before any work.
  if (!(await deps.rateLimiter.take(client.iss, received))) {
    count('limited', received)
    deps.logger.warn('feedback.rate_limited', { service: serviceId, entries: received })
    throw tooManyRequests(
      'Too much feedback from this issuer; retry later',
      Math.ceil(deps.rateLimitWindowMs / 1000)
    )
  }
  // Entry by entry: valid entries are stored, the answer names the refused ones and why, and
  // only a call with no valid entry at all is a 400.
  const checked = checkFeedbackEntries(body)
  if (!checked.ok) {
    count('rejected', received)
    throw badRequest(`Invalid feedback: ${listIssues(checked.errors)}`)
  }
  const { valid } = checked
  const refused: RefusedFeedback[] = [...checked.refused]
  let outcome: RecordResult = { stored: 0, duplicates: 0, notIssued: [] }
  if (valid.length > 0) {
    try {
      outcome = await deps.sink.record(
        serviceId,
        client,
        valid.map((v) => v.entry)
      )
    } catch (err) {
      count('failed', valid.length)
      throw err
    }
  }
  // Only cards this service issued to this client (issuer and tenant) take feedback.
  for (const i of outcome.notIssued) {
    refused.push({
      index: valid[i]!.index,
      card: valid[i]!.entry.card,
      reason: `feedback[${valid[i]!.index}].card: not a card this service issued to this client`,
    })
  }
  refused.sort((a, b) => a.index - b.index)
  if (refused.length > 0) count('rejected', refused.length)
  count('stored', outcome.stored)
  count('duplicate', outcome.duplicates)
  if (outcome.stored + outcome.duplicates + (outcome.pending ?? 0) === 0) {
    const reasons = refused.map((r) => r.reason)
    throw badRequest(`Invalid feedback: no valid entry: ${listIssues(reasons)}`)
  }
  return refused.length > 0 ? { refused } : {}
}

/**
 * @module feedback/rate-limit
 * Per-issuer limits on feedback: each JWT issuer (with all its tenants: the issuer names them, so a
 * tenant of its own choosing must not buy a new allowance) may send at most `limit` feedback
 * entries per window. Behind an interface so one instance counts in memory and several share the
 * count in Redis (src/node/rate-limit-redis.ts, when CDS_REPLAY_STORE names a Redis).
 */

export interface RateLimiter {
  /**
   * Counts `cost` units against `key`'s current window.
   * @returns true when they fit, false when the window's limit is reached (nothing is counted)
   */
  take(key: string, cost: number): Promise<boolean>
}

export interface RateLimit {
  /** Units (feedback entries) per window and client; 0 turns the limit off. */
  limit: number
  windowMs: number
}

/** Lets everything through (CDS_FEEDBACK_RATE_LIMIT=0). */
export const unlimited: RateLimiter = { take: async () => true }

/**
 * Fixed windows counted in memory, for one instance. At most `maxKeys` clients are tracked; the
 * oldest window is forgotten first (clients are the trusted issuers, a handful in practice).
 */
export function createMemoryRateLimiter(
  rate: RateLimit,
  options: { now?: () => number; maxKeys?: number } = {}
): RateLimiter {
  if (rate.limit <= 0) return unlimited
  const now = options.now ?? Date.now
  const maxKeys = options.maxKeys ?? 10_000
  const windows = new Map<string, { start: number; used: number }>()
  return {
    async take(key, cost) {
      const at = now()
      let window = windows.get(key)
      if (!window || at - window.start >= rate.windowMs) {
        windows.delete(key)
        window = { start: at, used: 0 }
        windows.set(key, window)
        while (windows.size > maxKeys) windows.delete(windows.keys().next().value as string)
      }
      if (window.used + cost > rate.limit) return false
      window.used += cost
      return true
    },
  }
}

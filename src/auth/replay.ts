/**
 * @module auth/replay
 * Remembers JWT ids until their tokens expire, so a captured token cannot be replayed (CDS Hooks
 * T3 `jti`). The interface is async so a shared store (Workers KV, a Durable Object, Redis) can
 * replace the in-memory one; the in-memory store protects one process or isolate only.
 */

export interface ReplayStore {
  /**
   * Records `jti` until `expiresAtMs` (epoch milliseconds).
   * @returns true if the id is new, false if it was already seen and has not expired
   */
  checkAndRemember(jti: string, expiresAtMs: number): Promise<boolean>
}

export interface MemoryReplayStoreOptions {
  /** Upper bound on remembered ids; the least recently used are forgotten first. Default 100 000. */
  maxEntries?: number
  /** Milliseconds clock (injectable for tests). */
  now?: () => number
}

// Expired entries dropped per call, so clean-up cost stays constant per request.
const SWEEP_PER_CALL = 8

/**
 * A bounded in-memory replay store: a `Map` in least-recently-used order, with expired entries
 * swept from its old end. Size it above (requests per second × token lifetime in seconds); when
 * full it forgets the oldest live ids first, which weakens replay protection only for them.
 * @example const replayStore = createMemoryReplayStore({ maxEntries: 50_000 })
 */
export function createMemoryReplayStore(options: MemoryReplayStoreOptions = {}): ReplayStore {
  const maxEntries = options.maxEntries ?? 100_000
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new Error('createMemoryReplayStore: maxEntries must be a positive integer')
  }
  const now = options.now ?? Date.now
  const entries = new Map<string, number>()

  function sweep(at: number) {
    let budget = SWEEP_PER_CALL
    for (const [jti, expiresAt] of entries) {
      if (budget-- === 0 || expiresAt > at) break
      entries.delete(jti)
    }
  }

  return {
    async checkAndRemember(jti, expiresAtMs) {
      const at = now()
      sweep(at)
      const seenUntil = entries.get(jti)
      if (seenUntil !== undefined) {
        entries.delete(jti)
        if (seenUntil > at) {
          // Re-insert to mark it recently used; a replayed id is worth keeping.
          entries.set(jti, seenUntil)
          return false
        }
      }
      // Nothing to remember for a token that is already dead.
      if (expiresAtMs <= at) return true
      entries.set(jti, expiresAtMs)
      if (entries.size > maxEntries) {
        const oldest = entries.keys().next()
        if (!oldest.done) entries.delete(oldest.value)
      }
      return true
    },
  }
}

/**
 * What a shared replay store does when it cannot answer (Redis unreachable, a timeout):
 * `closed` refuses the call (the verifier answers 401, reason `replay_store_unavailable`);
 * `open` accepts the token unchecked for replay, so hooks keep answering at the price of replay
 * protection while the store is down. Closed is the default.
 */
export type ReplayFailurePolicy = 'closed' | 'open'

/**
 * Wraps a shared store so that its failures accept the token instead of refusing it, calling
 * `onFailure` each time (to log and count). Everything else about the store is unchanged.
 * @example const store = failOpenReplayStore(redisStore, () => logger.warn('auth.replay_fail_open'))
 */
export function failOpenReplayStore(
  store: ReplayStore,
  onFailure: (err: unknown) => void
): ReplayStore {
  return {
    async checkAndRemember(jti, expiresAtMs) {
      try {
        return await store.checkAndRemember(jti, expiresAtMs)
      } catch (err) {
        onFailure(err)
        return true
      }
    },
  }
}

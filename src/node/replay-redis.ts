/**
 * @module node/replay-redis
 * A {@link ReplayStore} shared by every instance through Redis (`CDS_REPLAY_STORE=redis://...`):
 * one atomic `SET key 1 PX <ms until the token expires> NX` per token, so a `jti` accepted by one
 * instance is refused by all others, and Redis forgets it when the token could no longer be
 * accepted anyway. Node only (ioredis).
 *
 * Redis being down must never hang a hook: commands are not queued while disconnected (they fail
 * at once), each has a timeout, and the client reconnects in the background. A failure throws, and
 * the verifier turns that into a 401 (fail closed) unless the operator chose to fail open
 * (`failOpenReplayStore`, src/auth/replay.ts).
 */
import { createHash } from 'node:crypto'
import type { ReplayStore } from '../auth/replay'
import type { Logger } from '../log'
import { connectRedis } from './redis'

export interface RedisReplayStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. */
  url: string
  logger: Logger
  /** Key prefix, so one Redis can serve several deployments. Default `imaging-cds:jti:`. */
  prefix?: string
  /** Longest wait for one command, in ms. Default 500. */
  commandTimeoutMs?: number
  /** Milliseconds clock (injectable for tests). */
  now?: () => number
}

export interface RedisReplayStore extends ReplayStore {
  /** True when Redis answers a PING within the command timeout (for /readyz). */
  ping(): Promise<boolean>
  close(): Promise<void>
}

/**
 * Connects in the background and returns at once; calls made before Redis answers fail like any
 * other Redis failure.
 * @example const store = createRedisReplayStore({ url: 'redis://127.0.0.1:6379', logger })
 */
export function createRedisReplayStore(options: RedisReplayStoreOptions): RedisReplayStore {
  const prefix = options.prefix ?? 'imaging-cds:jti:'
  const now = options.now ?? Date.now
  const redis = connectRedis({
    url: options.url,
    logger: options.logger,
    events: 'replay',
    ...(options.commandTimeoutMs !== undefined
      ? { commandTimeoutMs: options.commandTimeoutMs }
      : {}),
  })

  return {
    async checkAndRemember(jti, expiresAtMs) {
      const ttlMs = Math.ceil(expiresAtMs - now())
      // Nothing to remember for a token that is already dead (the verifier refuses it anyway).
      if (ttlMs <= 0) return true
      // Hashed: the id is issuer-chosen text of any length; the hash keeps keys short and uniform.
      const key = prefix + createHash('sha256').update(jti).digest('base64url')
      const answer = await redis.set(key, '1', 'PX', ttlMs, 'NX')
      return answer === 'OK'
    },
    async ping() {
      try {
        return (await redis.ping()) === 'PONG'
      } catch {
        return false
      }
    },
    async close() {
      redis.disconnect()
    },
  }
}

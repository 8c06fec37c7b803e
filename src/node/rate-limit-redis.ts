/**
 * @module node/rate-limit-redis
 * The feedback rate limit shared by every instance through Redis (when `CDS_REPLAY_STORE` names
 * one): one fixed window per issuer and minute, counted with one atomic script (add the cost
 * unless the window would overflow; the key expires with its window). Node only.
 *
 * Redis being down must not turn feedback away nor lift the limit: while it fails, each instance
 * counts in memory (`fallback`), and says so once in the log.
 */
import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { RateLimit, RateLimiter } from '../feedback/rate-limit'
import type { Logger } from '../log'

// KEYS[1]: the window's key; ARGV: cost, limit, window in ms. Returns 1 when counted, 0 when not.
const TAKE = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used + tonumber(ARGV[1]) > tonumber(ARGV[2]) then return 0 end
redis.call('INCRBY', KEYS[1], ARGV[1])
if used == 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1`

export interface RedisRateLimiterOptions {
  redis: Redis
  rate: RateLimit
  /** Counts while Redis fails (a memory limiter of the same rate). */
  fallback: RateLimiter
  logger: Logger
  /** Key prefix. Default `imaging-cds:feedback-rate:`. */
  prefix?: string
  now?: () => number
}

export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  const { redis, rate, fallback, logger } = options
  const prefix = options.prefix ?? 'imaging-cds:feedback-rate:'
  const now = options.now ?? Date.now
  let failing = false
  return {
    async take(key, cost) {
      if (rate.limit <= 0) return true
      const window = Math.floor(now() / rate.windowMs)
      // Hashed: the key holds client text (issuer, tenant).
      const id = `${prefix}${createHash('sha256').update(key).digest('base64url')}:${window}`
      try {
        const taken = await redis.eval(TAKE, 1, id, cost, rate.limit, rate.windowMs)
        if (failing) logger.info('feedback.rate_limit_shared', { store: 'redis' })
        failing = false
        return taken === 1
      } catch {
        if (!failing)
          logger.warn('feedback.rate_limit_local', {
            message: 'Redis unreachable: the feedback rate limit is counted per instance',
          })
        failing = true
        return fallback.take(key, cost)
      }
    },
  }
}

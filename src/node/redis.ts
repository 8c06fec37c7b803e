/**
 * @module node/redis
 * One way to connect to Redis (ioredis, Node only) for every shared store: calls fail at once
 * while disconnected (no offline queue) and each has a timeout, so Redis being down never hangs a
 * request; the client reconnects in the background, and each change of state is logged once.
 */
import { Redis } from 'ioredis'
import type { Logger } from '../log'
import { redactUrl } from '../log/redact-url'

/**
 * @param options.url - `redis://[user:password@]host:port[/db]` or `rediss://` for TLS
 * @param options.events - log event names prefix, e.g. `replay` gives `replay.redis_connected`
 * @param options.commandTimeoutMs - longest wait for one command (default 500)
 */
export function connectRedis(options: {
  url: string
  logger: Logger
  events: string
  commandTimeoutMs?: number
}): Redis {
  const { logger, events } = options
  const where = redactUrl(options.url)
  const redis = new Redis(options.url, {
    // Fail fast while disconnected instead of queueing calls that would wait for a reconnect.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 500,
    connectTimeout: 2000,
    // Reconnect forever, backing off to one attempt every 2 s.
    retryStrategy: (times) => Math.min(times * 200, 2000),
  })
  // One line per change of state, not one per failed call or reconnect attempt.
  let healthy: boolean | undefined
  redis.on('ready', () => {
    if (healthy !== true) logger.info(`${events}.redis_connected`, { url: where })
    healthy = true
  })
  redis.on('error', (err: Error) => {
    if (healthy !== false) {
      logger.error(`${events}.redis_unavailable`, {
        url: where,
        error: (err as NodeJS.ErrnoException).code ?? err.name,
      })
    }
    healthy = false
  })
  return redis
}

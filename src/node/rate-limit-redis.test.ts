/**
 * The feedback rate limit in Redis against a real Redis (CDS_TEST_REDIS_URL; .ci/run starts one):
 * instances on the same Redis share one count per issuer and window, and while Redis is
 * unreachable each instance counts in memory instead of refusing or lifting the limit.
 */
import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { createLogger, silentLogger } from '../log'
import { createMemoryRateLimiter } from '../feedback/rate-limit'
import { serverUrl } from '../../test/support/service-process'
import { freePort } from '../../scripts/lib/ports'
import { connectRedis } from './redis'
import { createRedisRateLimiter } from './rate-limit-redis'

const url = serverUrl('CDS_TEST_REDIS_URL')
const rate = { limit: 5, windowMs: 60_000 }
const clients: Redis[] = []
const connect = (to = url ?? '') => {
  const redis = connectRedis({ url: to, logger: silentLogger, events: 'test' })
  clients.push(redis)
  return redis
}
afterAll(() => {
  for (const redis of clients) redis.disconnect()
})

describe.skipIf(!url)('createRedisRateLimiter', () => {
  it('shares one count per issuer and window between instances', async () => {
    const prefix = `test:${randomUUID()}:`
    const now = () => 1_000_000
    const limiter = () =>
      createRedisRateLimiter({
        redis: connect(),
        rate,
        fallback: createMemoryRateLimiter(rate),
        logger: silentLogger,
        prefix,
        now,
      })
    const a = limiter()
    const b = limiter()
    await ready(clients.at(-2)!)
    await ready(clients.at(-1)!)
    expect(await a.take('client-1', 3)).toBe(true)
    expect(await b.take('client-1', 3)).toBe(false)
    expect(await b.take('client-1', 2)).toBe(true)
    expect(await a.take('client-1', 1)).toBe(false)
    expect(await b.take('client-2', 5)).toBe(true)
  })
})

describe('createRedisRateLimiter without Redis', () => {
  it('counts in memory, and says so once', async () => {
    const port = await freePort()
    const lines: string[] = []
    const limiter = createRedisRateLimiter({
      redis: connect(`redis://127.0.0.1:${port}`),
      rate,
      fallback: createMemoryRateLimiter(rate),
      logger: createLogger({ write: (line) => lines.push(line) }),
    })
    expect(await limiter.take('c', 5)).toBe(true)
    expect(await limiter.take('c', 1)).toBe(false)
    expect(lines.filter((l) => l.includes('feedback.rate_limit_local'))).toHaveLength(1)
  })
})

async function ready(redis: Redis) {
  for (let i = 0; i < 200; i++) {
    if (redis.status === 'ready') return
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error('Redis did not become ready')
}

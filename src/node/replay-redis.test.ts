/**
 * The Redis replay store against a real Redis (CDS_TEST_REDIS_URL; .ci/run starts one): one atomic
 * SET NX per token with the token's remaining lifetime, shared by every store on the same Redis,
 * and failing fast (never hanging) when Redis cannot be reached.
 */
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../log'
import { serverUrl } from '../../test/support/service-process'
import { freePort } from '../../scripts/lib/ports'
import { createRedisReplayStore, type RedisReplayStore } from './replay-redis'

const url = serverUrl('CDS_TEST_REDIS_URL')
const stores: RedisReplayStore[] = []
const open = (options: { url?: string; prefix?: string; now?: () => number } = {}) => {
  const store = createRedisReplayStore({ url: url ?? '', logger: silentLogger, ...options })
  stores.push(store)
  return store
}
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()))
})

describe.skipIf(!url)('createRedisReplayStore', () => {
  const prefix = `test:${randomUUID()}:`

  it('accepts an id once, across stores sharing the Redis', async () => {
    const a = open({ prefix })
    const b = open({ prefix })
    const expires = Date.now() + 60_000
    // Until the connection is up, calls fail (no offline queue): wait for the first PING.
    await connected(() => a.ping())
    await connected(() => b.ping())
    expect(await a.checkAndRemember('["iss","j1"]', expires)).toBe(true)
    expect(await b.checkAndRemember('["iss","j1"]', expires)).toBe(false)
    expect(await a.checkAndRemember('["iss","j1"]', expires)).toBe(false)
    expect(await b.checkAndRemember('["iss","j2"]', expires)).toBe(true)
  })

  it('keeps the id exactly as long as the token lives, and nothing for a dead token', async () => {
    const now = Date.now()
    const store = open({ prefix, now: () => now })
    await connected(() => store.ping())
    expect(await store.checkAndRemember('ttl', now + 30_000)).toBe(true)
    expect(await store.checkAndRemember('dead', now - 1)).toBe(true)
    const redis = new Redis(url!)
    try {
      const keys = await redis.keys(`${prefix}*`)
      const ttls = await Promise.all(keys.map((key) => redis.pttl(key)))
      // j1, j2 (60 s) and ttl (30 s); none for the dead token.
      expect(keys).toHaveLength(3)
      expect(ttls.filter((ms) => ms > 25_000 && ms <= 30_000)).toHaveLength(1)
      expect(ttls.every((ms) => ms > 0)).toBe(true)
    } finally {
      redis.disconnect()
    }
  })
})

describe('createRedisReplayStore without Redis', () => {
  it('fails each call at once instead of waiting, and reports not ready', async () => {
    const port = await freePort()
    const store = open({ url: `redis://127.0.0.1:${port}` })
    await expect(store.checkAndRemember('x', Date.now() + 60_000)).rejects.toThrow()
    expect(await store.ping()).toBe(false)
  })
})

async function connected(ready: () => Promise<boolean>) {
  for (let i = 0; i < 200; i++) {
    if (await ready()) return
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error('Redis did not become ready')
}

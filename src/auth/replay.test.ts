import { describe, expect, it } from 'vitest'
import { createMemoryReplayStore, failOpenReplayStore, type ReplayStore } from './replay'

describe('createMemoryReplayStore', () => {
  it('says true for a new id and false for a repeat before it expires', async () => {
    let now = 1_000
    const store = createMemoryReplayStore({ now: () => now })
    expect(await store.checkAndRemember('a', 5_000)).toBe(true)
    expect(await store.checkAndRemember('a', 5_000)).toBe(false)
    expect(await store.checkAndRemember('b', 5_000)).toBe(true)
    now = 4_999
    expect(await store.checkAndRemember('a', 9_000)).toBe(false)
  })

  it('forgets an id once it has expired', async () => {
    let now = 1_000
    const store = createMemoryReplayStore({ now: () => now })
    await store.checkAndRemember('a', 2_000)
    now = 2_000
    expect(await store.checkAndRemember('a', 3_000)).toBe(true)
    expect(await store.checkAndRemember('a', 3_000)).toBe(false)
  })

  it('does not remember ids whose expiry has already passed', async () => {
    const store = createMemoryReplayStore({ now: () => 10_000 })
    expect(await store.checkAndRemember('old', 9_000)).toBe(true)
    expect(await store.checkAndRemember('old', 9_000)).toBe(true)
  })

  it('is bounded, forgetting the least recently used id first', async () => {
    const store = createMemoryReplayStore({ maxEntries: 2, now: () => 0 })
    await store.checkAndRemember('a', 1_000)
    await store.checkAndRemember('b', 1_000)
    expect(await store.checkAndRemember('a', 1_000)).toBe(false) // touches a
    await store.checkAndRemember('c', 1_000) // evicts b
    expect(await store.checkAndRemember('a', 1_000)).toBe(false)
    expect(await store.checkAndRemember('c', 1_000)).toBe(false)
    expect(await store.checkAndRemember('b', 1_000)).toBe(true)
  })

  it('keeps working through many expiring entries', async () => {
    let now = 0
    const store = createMemoryReplayStore({ maxEntries: 1_000, now: () => now })
    for (let i = 0; i < 10_000; i++) {
      now = i
      expect(await store.checkAndRemember(`jti-${i}`, i + 100)).toBe(true)
    }
    expect(await store.checkAndRemember('jti-9950', 99_999)).toBe(false)
    expect(await store.checkAndRemember('jti-5', 99_999)).toBe(true)
  })

  it('rejects a nonsensical size', () => {
    expect(() => createMemoryReplayStore({ maxEntries: 0 })).toThrow(/maxEntries/)
  })
})

describe('failOpenReplayStore', () => {
  it('accepts the token when the store fails, and says so each time', async () => {
    const failures: unknown[] = []
    const down: ReplayStore = { checkAndRemember: () => Promise.reject(new Error('down')) }
    const store = failOpenReplayStore(down, (err) => failures.push(err))
    expect(await store.checkAndRemember('a', 5_000)).toBe(true)
    expect(await store.checkAndRemember('a', 5_000)).toBe(true)
    expect(failures).toHaveLength(2)
  })

  it("passes the store's answers through while it works", async () => {
    const store = failOpenReplayStore(createMemoryReplayStore({ now: () => 1_000 }), () => {
      throw new Error('not called')
    })
    expect(await store.checkAndRemember('a', 5_000)).toBe(true)
    expect(await store.checkAndRemember('a', 5_000)).toBe(false)
  })
})

/**
 * @module auth/replay-kv
 * A {@link ReplayStore} shared by every isolate through a Workers KV namespace (binding
 * `CDS_JTI_KV`). KV is eventually consistent: a write can take up to about a minute to be seen
 * in other locations (and a cached "not found" can hide it meanwhile), so a replay within seconds,
 * above all from another location, may still be accepted. An in-memory store in front catches
 * fast replays that reach the same isolate. For strict replay protection bind the Durable Object
 * store (`CDS_JTI_DO`, src/worker/replay-do.ts) instead.
 * @see https://developers.cloudflare.com/kv/concepts/how-kv-works/
 */
import { createMemoryReplayStore, type ReplayStore } from './replay'

/** The subset of a KV namespace binding this store uses. */
export interface ReplayKv {
  get(key: string): Promise<string | null>
  put(key: string, value: string, options: { expirationTtl: number }): Promise<void>
}

export interface KvReplayStoreOptions {
  /** Key prefix, so the namespace can be shared. Default `jti:`. */
  prefix?: string
  /** Checked before KV; default a bounded in-memory store. */
  memory?: ReplayStore
  /** Milliseconds clock (injectable for tests). */
  now?: () => number
}

// KV refuses expirationTtl below 60 seconds.
const MIN_TTL_SECONDS = 60

/**
 * @param kv - the KV namespace binding
 * @returns a replay store that remembers ids in KV until their tokens expire (at least 60 s)
 * @example const replayStore = createKvReplayStore(env.CDS_JTI_KV)
 */
export function createKvReplayStore(kv: ReplayKv, options: KvReplayStoreOptions = {}): ReplayStore {
  const prefix = options.prefix ?? 'jti:'
  const now = options.now ?? Date.now
  const memory = options.memory ?? createMemoryReplayStore({ now })

  return {
    async checkAndRemember(jti, expiresAtMs) {
      if (!(await memory.checkAndRemember(jti, expiresAtMs))) return false
      const at = now()
      if (expiresAtMs <= at) return true
      // Hashed: KV keys are capped at 512 bytes, and the id is issuer-chosen text.
      const key = prefix + (await sha256Hex(jti))
      if ((await kv.get(key)) !== null) return false
      const expirationTtl = Math.max(MIN_TTL_SECONDS, Math.ceil((expiresAtMs - at) / 1000))
      await kv.put(key, String(expiresAtMs), { expirationTtl })
      return true
    },
  }
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('')
}

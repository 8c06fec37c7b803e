/**
 * @module worker/replay-do
 * Replay protection that holds across every isolate and location: one Durable Object per JWT id.
 * All requests for the same id reach the same object wherever they arrive, and the object's
 * storage is strongly consistent, so a replay is refused even a millisecond later on another
 * continent. The cost is one Durable Object call per authenticated request.
 * @see https://developers.cloudflare.com/durable-objects/
 */
import { DurableObject } from 'cloudflare:workers'
import type { ReplayStore } from '../auth/replay'
import type { DurableObjectNamespace } from './types'

/**
 * Remembers one JWT id until its token expires, then deletes itself with an alarm. Bound as
 * `CDS_JTI_DO`; the class must be exported from the Worker's main module.
 */
export class JtiReplayGuard extends DurableObject {
  /** @returns true if the id is new, false if it is still remembered */
  async checkAndRemember(expiresAtMs: number): Promise<boolean> {
    // The input gate holds other calls while storage is awaited, so get-then-put is atomic.
    const seenUntil = await this.ctx.storage.get<number>('expiresAt')
    if (seenUntil !== undefined && seenUntil > Date.now()) return false
    await this.ctx.storage.put('expiresAt', expiresAtMs)
    await this.ctx.storage.setAlarm(expiresAtMs)
    return true
  }

  /** The token has expired: nothing left worth storing. */
  async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll()
  }
}

/**
 * A {@link ReplayStore} backed by {@link JtiReplayGuard}, one object per (issuer, jti) key.
 * Keyed by id rather than by shard: each object lives near the first caller and holds one entry,
 * so no object becomes a hot spot and no sweep is needed.
 * @example const replayStore = createDurableObjectReplayStore(env.CDS_JTI_DO)
 */
export function createDurableObjectReplayStore(
  namespace: DurableObjectNamespace<JtiReplayGuard>
): ReplayStore {
  return {
    async checkAndRemember(jti, expiresAtMs) {
      // A dead token needs no guard; the verifier has already refused it anyway.
      if (expiresAtMs <= Date.now()) return true
      const stub = namespace.get(namespace.idFromName(jti))
      return stub.checkAndRemember(expiresAtMs)
    },
  }
}

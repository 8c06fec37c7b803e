/**
 * @module worker/types
 * The few Cloudflare Workers binding types the Worker code uses, declared structurally so the
 * project type-checks without `@cloudflare/workers-types` (and without its globals clashing with
 * the DOM and Node types the rest of the code is checked against).
 * @see https://developers.cloudflare.com/kv/api/
 * @see https://developers.cloudflare.com/durable-objects/api/
 */

/** The subset of a KV namespace binding used here. */
export interface KvNamespace {
  get(key: string): Promise<string | null>
  put(
    key: string,
    value: string,
    options?: { expirationTtl?: number; metadata?: Record<string, string | number> }
  ): Promise<void>
}

/** Durable Object storage: the key-value API, which both storage backends offer. */
export interface DurableObjectStorage {
  get<T = unknown>(key: string): Promise<T | undefined>
  put(key: string, value: unknown): Promise<void>
  deleteAll(): Promise<void>
  setAlarm(scheduledTimeMs: number): Promise<void>
}

export interface DurableObjectState {
  readonly storage: DurableObjectStorage
}

export interface DurableObjectId {
  toString(): string
}

/** A Durable Object namespace binding whose stubs expose the RPC methods of `T`. */
export interface DurableObjectNamespace<T> {
  idFromName(name: string): DurableObjectId
  get(id: DurableObjectId): DurableObjectStub<T>
}

/** RPC on a stub: every method of the object, always async. */
export type DurableObjectStub<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never
}

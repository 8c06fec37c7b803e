/**
 * @module auth/jwks
 * Public keys of one trusted issuer: either pinned in the trust file or fetched from the issuer's
 * configured JWKS URL (never from a URL found in a token). Remote keys are cached across requests;
 * an unknown `kid` triggers at most one refetch per cooldown, and a failed fetch keeps the last
 * good keys, so neither an attacker nor an outage can turn every request into a JWKS fetch.
 *
 * Written on top of jose's `createLocalJWKSet` rather than `createRemoteJWKSet` because the latter
 * counts its cooldown from the last *successful* fetch (an outage means one fetch per request)
 * and drops to errors once its cache max age passes while the JWKS host is down.
 */
import { createLocalJWKSet, type JSONWebKeySet, type JWK, type JWSHeaderParameters } from 'jose'
import type { Logger } from '../log'
import type { IssuerConfig } from './trust'

/** Why no key could be found; logged, never shown to the client. */
export type KeySourceFailure = 'unknown_kid' | 'ambiguous_kid' | 'jwks_unavailable'

export class KeySourceError extends Error {
  constructor(readonly reason: KeySourceFailure) {
    super(reason)
    this.name = 'KeySourceError'
  }
}

/** Resolves the verification key for a token's protected header. */
export interface KeySource {
  getKey(header: JWSHeaderParameters): Promise<CryptoKey>
  /** True when keys are at hand (pinned, or fetched; fetches them if not, within the cooldown). */
  ready(): Promise<boolean>
}

export interface RemoteJwksOptions {
  /** WHATWG fetch (injectable for tests); defaults to the global one. */
  fetch?: typeof fetch
  /** Minimum time between two fetch attempts, successful or not. Default 60 s. */
  cooldownMs?: number
  /** Abort a JWKS fetch after this long. Default 5 s. */
  timeoutMs?: number
  /** Refresh keys older than this (so removed keys stop working); stale keys are kept if the refresh fails. Default 10 min. */
  maxAgeMs?: number
  /** Reject JWKS documents larger than this. Default 256 KiB. */
  maxBytes?: number
  /** Milliseconds clock (injectable for tests). */
  now?: () => number
  /** Receives `auth.jwks_fetch_failed` warnings. */
  logger?: Logger
  /** Issuer name, for the log only. */
  iss?: string
}

type LocalSet = ReturnType<typeof createLocalJWKSet>

const PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'])

/** Maps jose's key selection errors to our reasons; anything else propagates. */
async function select(local: LocalSet, header: JWSHeaderParameters): Promise<CryptoKey> {
  try {
    return await local(header)
  } catch (err) {
    const code = (err as { code?: unknown }).code
    if (code === 'ERR_JWKS_NO_MATCHING_KEY') throw new KeySourceError('unknown_kid')
    if (code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') throw new KeySourceError('ambiguous_kid')
    throw err
  }
}

/** Keys pinned in the trust file. */
export function createPinnedKeySource(jwks: JSONWebKeySet): KeySource {
  const local = createLocalJWKSet(jwks)
  return { getKey: (header) => select(local, header), ready: async () => true }
}

/**
 * Keeps public asymmetric keys only: a JWKS host serving private or symmetric material must not
 * make us import it.
 */
function sanitize(json: unknown): JSONWebKeySet {
  const keys = (json as { keys?: unknown } | null)?.keys
  if (!Array.isArray(keys)) throw new Error('not a JWK Set')
  const usable: JWK[] = []
  for (const key of keys) {
    if (typeof key !== 'object' || key === null) continue
    const { kty } = key as JWK
    if (kty !== 'EC' && kty !== 'RSA' && kty !== 'OKP') continue
    usable.push(
      Object.fromEntries(Object.entries(key).filter(([name]) => !PRIVATE_MEMBERS.has(name))) as JWK
    )
  }
  // An empty set is more likely a broken deploy than a real revocation of every key.
  if (usable.length === 0) throw new Error('no usable public keys')
  return { keys: usable }
}

/** Rejects after `ms`, so a fetch implementation that ignores its abort signal cannot hang us. */
function deadline(ms: number): { promise: Promise<never>; clear: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)
  })
  return { promise, clear: () => clearTimeout(timer) }
}

/**
 * Keys fetched from a configured JWKS URL, cached for the life of the process (or isolate).
 * Nothing is fetched until the first token needs a key (Workers forbid I/O at start-up).
 */
export function createRemoteKeySource(url: string, options: RemoteJwksOptions = {}): KeySource {
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init))
  const cooldownMs = options.cooldownMs ?? 60_000
  const timeoutMs = options.timeoutMs ?? 5_000
  const maxAgeMs = options.maxAgeMs ?? 600_000
  const maxBytes = options.maxBytes ?? 256 * 1024
  const now = options.now ?? Date.now
  const { logger } = options

  let local: LocalSet | undefined
  let loadedAt = -Infinity
  let lastAttemptAt = -Infinity
  let inflight: Promise<void> | undefined

  async function download(signal: AbortSignal): Promise<JSONWebKeySet> {
    // redirect: manual, because a redirect would take us to a URL the trust file never named.
    const response = await fetchImpl(url, {
      method: 'GET',
      redirect: 'manual',
      headers: { accept: 'application/jwk-set+json, application/json' },
      signal,
    })
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => {})
      throw new Error(`HTTP ${response.status}`)
    }
    if (Number(response.headers.get('content-length') ?? 0) > maxBytes) {
      await response.body?.cancel().catch(() => {})
      throw new Error('JWKS too large')
    }
    const text = await response.text()
    if (text.length > maxBytes) throw new Error('JWKS too large')
    return sanitize(JSON.parse(text))
  }

  /** One fetch attempt; never rejects, and on failure leaves the previous keys in place. */
  async function load(): Promise<void> {
    const limit = deadline(timeoutMs)
    try {
      const jwks = await Promise.race([download(AbortSignal.timeout(timeoutMs)), limit.promise])
      local = createLocalJWKSet(jwks)
      loadedAt = now()
    } catch (err) {
      logger?.warn('auth.jwks_fetch_failed', {
        iss: options.iss,
        url,
        error: err instanceof Error ? err.message.slice(0, 200) : 'unknown error',
        keptCachedKeys: local !== undefined,
      })
    } finally {
      limit.clear()
    }
  }

  /** Fetches unless a fetch is running (then joins it) or the cooldown has not passed. */
  async function refresh(): Promise<void> {
    if (!inflight) {
      if (now() - lastAttemptAt < cooldownMs) return
      lastAttemptAt = now()
      inflight = load().finally(() => {
        inflight = undefined
      })
    }
    await inflight
  }

  async function getKey(header: JWSHeaderParameters): Promise<CryptoKey> {
    if (!local || now() - loadedAt >= maxAgeMs) await refresh()
    const current = local
    if (!current) throw new KeySourceError('jwks_unavailable')
    try {
      return await select(current, header)
    } catch (err) {
      // A new kid usually means the client rotated its keys: look again, within the cooldown.
      if (!(err instanceof KeySourceError) || err.reason !== 'unknown_kid') throw err
      await refresh()
      if (!local || local === current) throw err
      return select(local, header)
    }
  }

  async function ready(): Promise<boolean> {
    if (!local || now() - loadedAt >= maxAgeMs) await refresh()
    return local !== undefined
  }

  return { getKey, ready }
}

/** The key source for one trusted issuer: pinned keys or its configured JWKS URL. */
export function createKeySource(issuer: IssuerConfig, options: RemoteJwksOptions = {}): KeySource {
  if (issuer.jwks) return createPinnedKeySource(issuer.jwks as JSONWebKeySet)
  if (issuer.jwksUrl) return createRemoteKeySource(issuer.jwksUrl, { iss: issuer.iss, ...options })
  throw new Error(`Issuer ${issuer.iss} has neither jwks nor jwksUrl`)
}

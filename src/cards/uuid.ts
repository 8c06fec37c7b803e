/**
 * @module cards/uuid
 * Deterministic, name-based card and suggestion uuids (RFC 9562 version 5: SHA-1 over a namespace
 * and a name). The same finding always yields the same uuid, so feedback about a card re-issued on
 * a later hook call still ties back to it. The hash is one-way: keep the {@link CardMeta} the card
 * builders return to map a uuid back to its finding.
 *
 * Uses Web Crypto only, so it runs unchanged on Node 20 and Cloudflare Workers.
 */

/** RFC 9562 namespace for URLs; imaging-cds's namespace is derived from it once, below. */
export const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8'

/** `uuidV5(URL_NAMESPACE, 'urn:imaging-cds')`, fixed so uuids never change between releases. */
export const IMAGING_CDS_NAMESPACE = 'a4335611-7f9a-591e-8e25-e50e81a80bb4'

function uuidBytes(uuid: string): Uint8Array {
  const hex = uuid.replace(/-/g, '')
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`Not a uuid: ${uuid}`)
  const bytes = new Uint8Array(16)
  for (let i = 0; i < 16; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return bytes
}

function formatUuid(bytes: Uint8Array): string {
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}

/** A version 5 uuid of `name` in `namespace` (defaults to imaging-cds's own namespace). */
export async function uuidV5(
  name: string,
  namespace: string = IMAGING_CDS_NAMESPACE
): Promise<string> {
  const ns = uuidBytes(namespace)
  const nameBytes = new TextEncoder().encode(name)
  const input = new Uint8Array(ns.length + nameBytes.length)
  input.set(ns, 0)
  input.set(nameBytes, ns.length)
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-1', input))
  const bytes = digest.slice(0, 16)
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50 // version 5
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80 // RFC variant
  return formatUuid(bytes)
}

/**
 * The name a card's uuid is hashed from: `card|<hook>|<observationRef>|<category>`. Exported so the
 * feedback store can recompute a uuid from stored metadata and check it was issued by us.
 */
export function cardKey(hook: string, observationRef: string, category?: string): string {
  return ['card', hook, observationRef, category ?? '-'].join('|')
}

/** The name a follow-up suggestion's uuid is hashed from. */
export function suggestionKey(
  hook: string,
  observationRef: string,
  orderCode: string,
  due: string
): string {
  return ['suggestion', hook, observationRef, orderCode, due].join('|')
}

export const cardUuid = (hook: string, observationRef: string, category?: string) =>
  uuidV5(cardKey(hook, observationRef, category))

export const suggestionUuid = (
  hook: string,
  observationRef: string,
  orderCode: string,
  due: string
) => uuidV5(suggestionKey(hook, observationRef, orderCode, due))

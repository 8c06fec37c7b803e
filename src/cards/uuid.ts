/**
 * @module cards/uuid
 * Deterministic, name-based card and suggestion uuids (RFC 9562 version 5: SHA-1 over a namespace
 * and a name). The same finding always yields the same uuid, so feedback about a card re-issued on
 * a later hook call still ties back to it. The hash is one-way: keep the {@link CardMeta} the card
 * builders return to map a uuid back to its finding.
 *
 * SHA-1 is computed here, synchronously, in plain JavaScript, so it runs unchanged on Node 20 and
 * Cloudflare Workers. It hashes under 200 bytes per uuid: about 1.5 µs, where an awaited Web Crypto
 * digest cost about 40 µs on Node (a libuv job and a promise each), several times per hook call
 * (see docs/performance.md). SHA-1 is what RFC 9562 prescribes for version 5; nothing here relies
 * on it being collision-resistant.
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

/** Namespaces parsed once: every card uses the same one or two. */
const namespaceBytes = new Map<string, Uint8Array>()

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'))

function formatUuid(bytes: Uint8Array): string {
  let hex = ''
  for (let i = 0; i < 16; i++) {
    hex += HEX[bytes[i]!]
    if (i === 3 || i === 5 || i === 7 || i === 9) hex += '-'
  }
  return hex
}

// The message schedule, reused: sha1 is synchronous, so no two calls share it at once.
const schedule = new Int32Array(80)

/** SHA-1 (FIPS 180-4) of `message`. */
function sha1(message: Uint8Array): Uint8Array {
  // Padding: 0x80, zeros, then the length in bits as a 64-bit big-endian integer.
  const blocks = ((message.length + 8) >>> 6) + 1
  const padded = new Uint8Array(blocks * 64)
  padded.set(message)
  padded[message.length] = 0x80
  const view = new DataView(padded.buffer)
  const bits = message.length * 8
  view.setUint32(padded.length - 8, Math.floor(bits / 0x100000000))
  view.setUint32(padded.length - 4, bits >>> 0)

  let h0 = 0x67452301
  let h1 = 0xefcdab89 | 0
  let h2 = 0x98badcfe | 0
  let h3 = 0x10325476
  let h4 = 0xc3d2e1f0 | 0
  const w = schedule
  for (let offset = 0; offset < padded.length; offset += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getInt32(offset + i * 4)
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!
      w[i] = (x << 1) | (x >>> 31)
    }
    let a = h0
    let b = h1
    let c = h2
    let d = h3
    let e = h4
    for (let i = 0; i < 80; i++) {
      let f: number
      let k: number
      if (i < 20) {
        f = (b & c) | (~b & d)
        k = 0x5a827999
      } else if (i < 40) {
        f = b ^ c ^ d
        k = 0x6ed9eba1
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d)
        k = 0x8f1bbcdc | 0
      } else {
        f = b ^ c ^ d
        k = 0xca62c1d6 | 0
      }
      const t = (((a << 5) | (a >>> 27)) + f + e + k + w[i]!) | 0
      e = d
      d = c
      c = (b << 30) | (b >>> 2)
      b = a
      a = t
    }
    h0 = (h0 + a) | 0
    h1 = (h1 + b) | 0
    h2 = (h2 + c) | 0
    h3 = (h3 + d) | 0
    h4 = (h4 + e) | 0
  }
  const digest = new Uint8Array(20)
  const out = new DataView(digest.buffer)
  out.setInt32(0, h0)
  out.setInt32(4, h1)
  out.setInt32(8, h2)
  out.setInt32(12, h3)
  out.setInt32(16, h4)
  return digest
}

const encoder = new TextEncoder()

/** A version 5 uuid of `name` in `namespace` (defaults to imaging-cds's own namespace). */
export function uuidV5(name: string, namespace: string = IMAGING_CDS_NAMESPACE): string {
  let ns = namespaceBytes.get(namespace)
  if (!ns) {
    ns = uuidBytes(namespace)
    if (namespaceBytes.size < 16) namespaceBytes.set(namespace, ns)
  }
  const nameBytes = encoder.encode(name)
  const input = new Uint8Array(ns.length + nameBytes.length)
  input.set(ns, 0)
  input.set(nameBytes, ns.length)
  const bytes = sha1(input).subarray(0, 16)
  bytes[6] = (bytes[6]! & 0x0f) | 0x50 // version 5
  bytes[8] = (bytes[8]! & 0x3f) | 0x80 // RFC variant
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

/**
 * The namespace of one client's card and suggestion uuids (issuer and tenant of the verified JWT):
 * a finding's uuids are stable for one client and differ between clients, so feedback from one
 * client can never name another's card (docs/security.md, Feedback).
 */
export const clientNamespace = (iss: string, tenant?: string): string =>
  uuidV5(['client', iss, tenant ?? ''].join('|'))

/** `namespace`: the client's ({@link clientNamespace}); imaging-cds's own when not given. */
export const cardUuid = (
  hook: string,
  observationRef: string,
  category?: string,
  namespace?: string
) => uuidV5(cardKey(hook, observationRef, category), namespace)

export const suggestionUuid = (
  hook: string,
  observationRef: string,
  orderCode: string,
  due: string,
  namespace?: string
) => uuidV5(suggestionKey(hook, observationRef, orderCode, due), namespace)

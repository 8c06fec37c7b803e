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

/** The four bytes of `word`, big-endian, as hex. */
const hexWord = (word: number) =>
  HEX[word >>> 24]! + HEX[(word >>> 16) & 0xff]! + HEX[(word >>> 8) & 0xff]! + HEX[word & 0xff]!

// Reused between calls (uuidV5 is synchronous, so no two calls share them at once): the message
// schedule, the digest, and the buffer the namespace, name and padding are written into. The
// buffer grows for a longer name and is never shrunk; names are under 200 bytes.
const schedule = new Int32Array(80)
const digest = new Int32Array(5)
let message = new Uint8Array(256)

/**
 * SHA-1 (FIPS 180-4) of the first `length` bytes of `message`, into `digest`. Pads in place:
 * `message` must have room for the padding (at most 72 bytes beyond `length`).
 */
function sha1(length: number): void {
  // Padding: 0x80, zeros, then the length in bits as a 64-bit big-endian integer.
  const end = (((length + 8) >>> 6) + 1) * 64
  const m = message
  m[length] = 0x80
  m.fill(0, length + 1, end - 8)
  const bits = length * 8
  const high = Math.floor(bits / 0x100000000)
  m[end - 8] = high >>> 24
  m[end - 7] = (high >>> 16) & 0xff
  m[end - 6] = (high >>> 8) & 0xff
  m[end - 5] = high & 0xff
  m[end - 4] = bits >>> 24
  m[end - 3] = (bits >>> 16) & 0xff
  m[end - 2] = (bits >>> 8) & 0xff
  m[end - 1] = bits & 0xff

  let h0 = 0x67452301
  let h1 = 0xefcdab89 | 0
  let h2 = 0x98badcfe | 0
  let h3 = 0x10325476
  let h4 = 0xc3d2e1f0 | 0
  const w = schedule
  for (let offset = 0; offset < end; offset += 64) {
    for (let i = 0, j = offset; i < 16; i++, j += 4) {
      w[i] = (m[j]! << 24) | (m[j + 1]! << 16) | (m[j + 2]! << 8) | m[j + 3]!
    }
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
  digest[0] = h0
  digest[1] = h1
  digest[2] = h2
  digest[3] = h3
  digest[4] = h4
}

const encoder = new TextEncoder()

/**
 * Writes `name` as UTF-8 into `message` from `offset` (growing it when needed); returns the
 * number of bytes. ASCII, which every name the service hashes is, is copied directly.
 */
function writeName(name: string, offset: number): number {
  // UTF-8 takes at most 3 bytes per UTF-16 unit; 72 more for the padding.
  const needed = offset + name.length * 3 + 72
  if (message.length < needed) {
    const grown = new Uint8Array(needed)
    grown.set(message.subarray(0, offset))
    message = grown
  }
  for (let i = 0; i < name.length; i++) {
    const unit = name.charCodeAt(i)
    if (unit >= 0x80) return encoder.encodeInto(name, message.subarray(offset)).written
    message[offset + i] = unit
  }
  return name.length
}

/** A version 5 uuid of `name` in `namespace` (defaults to imaging-cds's own namespace). */
export function uuidV5(name: string, namespace: string = IMAGING_CDS_NAMESPACE): string {
  let ns = namespaceBytes.get(namespace)
  if (!ns) {
    ns = uuidBytes(namespace)
    if (namespaceBytes.size < 16) namespaceBytes.set(namespace, ns)
  }
  message.set(ns, 0)
  sha1(ns.length + writeName(name, ns.length))
  // The first 16 bytes of the digest, with the version (5) and the RFC variant set.
  const h1 = digest[1]!
  const h2 = digest[2]!
  const timeHi = (h1 & 0x0fff) | 0x5000
  const clockSeq = ((h2 >>> 16) & 0x3fff) | 0x8000
  return (
    hexWord(digest[0]!) +
    '-' +
    HEX[h1 >>> 24]! +
    HEX[(h1 >>> 16) & 0xff]! +
    '-' +
    HEX[timeHi >>> 8]! +
    HEX[timeHi & 0xff]! +
    '-' +
    HEX[clockSeq >>> 8]! +
    HEX[clockSeq & 0xff]! +
    '-' +
    HEX[(h2 >>> 8) & 0xff]! +
    HEX[h2 & 0xff]! +
    hexWord(digest[3]!)
  )
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

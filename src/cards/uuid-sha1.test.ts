/**
 * The hand-written SHA-1 behind uuidV5 against OpenSSL's, for names of every length across the
 * padding boundaries (55, 56, 64 and 119 bytes) and with multi-byte UTF-8, so a uuid issued before
 * the switch from Web Crypto is the same uuid after it.
 */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { IMAGING_CDS_NAMESPACE, URL_NAMESPACE, uuidV5 } from './uuid'

/** RFC 9562 version 5 with Node's OpenSSL SHA-1: the reference. */
function referenceUuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex')
  const bytes = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16)
  bytes[6] = (bytes[6]! & 0x0f) | 0x50
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

describe('uuidV5 SHA-1', () => {
  it('matches OpenSSL for every name length from 0 to 300 bytes', () => {
    const alphabet = 'card|imaging-study-complete|Observation/obs-4A-9.2mm'
    for (let length = 0; length <= 300; length++) {
      const name = Array.from(
        { length },
        (_, i) => alphabet[(i * 7 + length) % alphabet.length]
      ).join('')
      expect(uuidV5(name)).toBe(referenceUuidV5(name, IMAGING_CDS_NAMESPACE))
    }
  })

  it('matches OpenSSL for multi-byte UTF-8 and other namespaces', () => {
    for (const name of ['', 'ü', 'Lungenrundherd 9 mm – Lung-RADS 4A', '肺結節', '😀'.repeat(40)]) {
      expect(uuidV5(name)).toBe(referenceUuidV5(name, IMAGING_CDS_NAMESPACE))
      expect(uuidV5(name, URL_NAMESPACE)).toBe(referenceUuidV5(name, URL_NAMESPACE))
    }
  })
})

import { describe, expect, it } from 'vitest'
import {
  IMAGING_CDS_NAMESPACE,
  URL_NAMESPACE,
  cardKey,
  cardUuid,
  suggestionUuid,
  uuidV5,
} from './uuid'

const DNS_NAMESPACE = '6ba7b810-9dad-11d1-80b4-00c04fd430c8'

describe('uuidV5', () => {
  it('matches the RFC 9562 / Python uuid5 reference values', async () => {
    expect(await uuidV5('python.org', DNS_NAMESPACE)).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d')
    expect(await uuidV5('https://example.org', URL_NAMESPACE)).toBe(
      '0d092af3-c9f8-531f-9cc3-9db40a0750ef'
    )
  })

  it('the service namespace is what its comment says it is', async () => {
    expect(await uuidV5('urn:imaging-cds', URL_NAMESPACE)).toBe(IMAGING_CDS_NAMESPACE)
  })

  it('is deterministic, versioned 5 and RFC-variant', async () => {
    const a = cardUuid('imaging-study-complete', 'Observation/obs-1', '4A')
    expect(a).toBe(cardUuid('imaging-study-complete', 'Observation/obs-1', '4A'))
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(a).not.toBe(cardUuid('patient-view', 'Observation/obs-1', '4A'))
    expect(a).not.toBe(cardUuid('imaging-study-complete', 'Observation/obs-1', '4B'))
    expect(a).not.toBe(
      suggestionUuid('imaging-study-complete', 'Observation/obs-1', '79086-5', '2026-06-14')
    )
  })

  it('cardKey is the name the uuid is hashed from', async () => {
    expect(cardKey('patient-view', 'Observation/x')).toBe('card|patient-view|Observation/x|-')
    expect(await uuidV5(cardKey('h', 'Observation/x', '2'))).toBe(
      cardUuid('h', 'Observation/x', '2')
    )
  })
})

/**
 * Private Network Access: a preflight from an allowed origin that asks for private-network access
 * gets `Access-Control-Allow-Private-Network: true` (the hosted CDS Hooks sandbox reaching a
 * service on loopback); other origins, and preflights that do not ask, do not.
 */
import { describe, expect, it } from 'vitest'
import { createHarness } from './support/harness'

const preflight = (origin: string, privateNetwork: boolean) => ({
  method: 'OPTIONS',
  headers: {
    origin,
    'access-control-request-method': 'POST',
    'access-control-request-headers': 'authorization,content-type',
    ...(privateNetwork ? { 'access-control-request-private-network': 'true' } : {}),
  },
})

describe('private-network preflights', () => {
  it('allows private-network access for an allowed origin that asks', async () => {
    const h = await createHarness({ CDS_CORS_ORIGINS: 'https://sandbox.cds-hooks.org' })
    const res = await h.app.request(
      '/cds-services/imaging-ai-order-check',
      preflight('https://sandbox.cds-hooks.org', true)
    )
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('https://sandbox.cds-hooks.org')
    expect(res.headers.get('access-control-allow-private-network')).toBe('true')
  })

  it('says nothing to an origin that is not allowed, or to a preflight that does not ask', async () => {
    const h = await createHarness({ CDS_CORS_ORIGINS: 'https://sandbox.cds-hooks.org' })
    const other = await h.app.request('/cds-services', preflight('https://evil.example', true))
    expect(other.headers.get('access-control-allow-private-network')).toBeNull()
    const plain = await h.app.request(
      '/cds-services',
      preflight('https://sandbox.cds-hooks.org', false)
    )
    expect(plain.headers.get('access-control-allow-private-network')).toBeNull()
  })
})

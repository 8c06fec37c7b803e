/**
 * The FHIR client over Node's global fetch against a real local HTTP server: reads reuse kept-alive
 * connections (the Node entry relies on global fetch for that), and the per-request timeout and
 * the hook's deadline still cut a hanging server off now that their timers are cleared after each
 * request.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { virtualTime } from '../../test/support/fake-clock'
import { createFhirClient, FhirRequestError } from './client'

let server: Server
let base: string
let connections = 0
let redirectFollowed = false

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url?.includes('hang')) return // never answers
    if (req.url?.includes('moved')) {
      res.writeHead(302, { location: `${base}/Patient/elsewhere` }).end()
      return
    }
    if (req.url?.includes('elsewhere')) redirectFollowed = true
    const id = req.url?.split('/').pop()
    res
      .writeHead(200, { 'content-type': 'application/fhir+json' })
      .end(JSON.stringify({ resourceType: 'Patient', id }))
  })
  server.on('connection', () => connections++)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fhir`
})
afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
)

const client = (overrides: { timeoutMs?: number; deadline?: AbortSignal } = {}) =>
  createFhirClient({
    baseUrl: base,
    accessToken: 'token',
    fetch: (input, init) => fetch(input, init),
    timeoutMs: overrides.timeoutMs ?? 2000,
    ...(overrides.deadline ? { deadline: overrides.deadline } : {}),
  })

describe('FHIR client on Node', () => {
  it('does not follow redirects (the token would go where the allowlist never looked)', async () => {
    await expect(client().get('Patient/moved')).rejects.toThrow('FHIR server answered 302')
    expect(redirectFollowed).toBe(false)
  })

  it('reuses kept-alive connections across hook calls', async () => {
    connections = 0
    // Thirty "hook calls" of six parallel reads each, as a prefetch round makes them.
    for (let call = 0; call < 30; call++) {
      const fhir = client()
      const read = await Promise.all(Array.from({ length: 6 }, (_, i) => fhir.get(`Patient/${i}`)))
      expect(read.map((r) => r.id)).toEqual(['0', '1', '2', '3', '4', '5'])
    }
    // 180 reads. A connection goes back to the pool a tick after its body is read, so the second
    // call may open a second set; after that the pool covers every read. Never one per read.
    expect(connections).toBeLessThanOrEqual(12)
  })

  it('gives up on a server that does not answer within the request timeout', async () => {
    // Virtual time: the client's own timer ends the wait, at 100 ms however busy the machine.
    const run = await virtualTime(() =>
      client({ timeoutMs: 100 })
        .get('Patient/hang')
        .catch((e: unknown) => e)
    )
    const error = run.value
    expect(error).toBeInstanceOf(FhirRequestError)
    expect((error as Error).message).toBe('FHIR server did not answer in time')
    expect(run.ms).toBeLessThanOrEqual(100)
  })

  it('gives up when the hook deadline passes, and at once when it has passed', async () => {
    const deadline = new AbortController()
    setTimeout(() => deadline.abort(new DOMException('spent', 'TimeoutError')), 100)
    const pending = client({ deadline: deadline.signal })
      .get('Patient/hang')
      .catch((e: unknown) => e)
    expect(((await pending) as Error).message).toBe('FHIR server did not answer in time')

    const spent = AbortSignal.abort()
    const error = await client({ deadline: spent })
      .get('Patient/1')
      .catch((e: unknown) => e)
    expect((error as Error).message).toBe('FHIR server did not answer in time')
  })
})

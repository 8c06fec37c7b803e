/**
 * @module bench/fhir-replay-process
 * A FHIR server that costs next to nothing: it forwards the first GET of each URL to a real FHIR
 * server (the Medplum child) and answers every later GET of that URL with the same status and
 * bytes from memory. Medplum spends about 1 ms of CPU per request, about 10 ms per hook call that
 * reads everything, so a run against it measures Medplum; against this, it measures the service's
 * own fetch path (FHIR client, connection reuse, JSON, evidence). Base URLs in the replies are
 * rewritten to this server's, so paging links stay on the allowed origin.
 *
 *   node --import tsx bench/fhir-replay-process.ts <upstream FHIR base URL>
 *
 * Speaks bench/child.ts's protocol; its stats count its own accepted TCP connections and requests.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { announce } from './child'

const upstream = process.argv[2]
if (!upstream) {
  console.error('usage: fhir-replay-process.ts <upstream FHIR base URL>')
  process.exit(2)
}
const upstreamUrl = new URL(upstream)

interface Reply {
  status: number
  headers: Record<string, string>
  body: Buffer
}
const replies = new Map<string, Promise<Reply>>()
let connections = 0
let requests = 0
let base = ''

async function record(path: string, authorization: string | undefined): Promise<Reply> {
  const res = await fetch(new URL(path, upstreamUrl.origin), {
    headers: { accept: 'application/fhir+json', ...(authorization ? { authorization } : {}) },
  })
  const text = (await res.text()).replaceAll(upstream!, base)
  const body = Buffer.from(text)
  return {
    status: res.status,
    headers: {
      'content-type': res.headers.get('content-type') ?? 'application/fhir+json',
      'content-length': String(body.length),
    },
    body,
  }
}

const server = createServer((req, res) => {
  requests++
  const path = req.url ?? '/'
  if (req.method !== 'GET') {
    res.writeHead(405).end()
    return
  }
  let reply = replies.get(path)
  if (!reply) {
    reply = record(path, req.headers.authorization)
    replies.set(path, reply)
    // A failed recording is tried again by the next request rather than replayed.
    reply.catch(() => replies.delete(path))
  }
  reply.then(
    (r) => res.writeHead(r.status, r.headers).end(r.body),
    () => res.writeHead(502).end()
  )
})
server.on('connection', () => connections++)

await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const { port } = server.address() as AddressInfo
base = `http://127.0.0.1:${port}${upstreamUrl.pathname}`

announce({
  url: base,
  stats: () => ({ connections, requests }),
  reset() {
    connections = 0
    requests = 0
  },
  close: () =>
    new Promise((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    }),
})

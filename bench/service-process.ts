/**
 * @module bench/service-process
 * One server under test, alone in its process, so the load generator and the FHIR server do not
 * share its event loop. Started by bench/run.ts with
 * `node --import tsx bench/service-process.ts <bare|service>`; speaks bench/child.ts's protocol.
 *
 * - `bare`: a bare Hono route answering `{"cards":[]}` on @hono/node-server, the baseline every
 *   ratio is taken against, served exactly as the service is.
 * - `service`: the service as src/node.ts runs it (configuration from the environment, the SQLite
 *   feedback store, `startServer`), with the environment bench/run.ts passes.
 */
import { Hono } from 'hono'
import { serve } from '@hono/node-server'
import { configFromEnv, feedbackSinkFromEnv, startServer } from '../src/node'
import { createLogger } from '../src/log'
import { announce } from './child'

const mode = process.argv[2]

if (mode === 'bare') {
  const bare = new Hono().get('/', (c) => c.json({ cards: [] }))
  const server = serve({ fetch: bare.fetch, port: 0, hostname: '127.0.0.1' })
  await new Promise((resolve) => server.once('listening', resolve))
  announce({
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        if ('closeAllConnections' in server) server.closeAllConnections()
      }),
  })
} else if (mode === 'service') {
  const config = configFromEnv()
  const feedbackSink = feedbackSinkFromEnv(process.env, createLogger({ level: config.logLevel }))
  const running = await startServer(config, { feedbackSink })
  announce({
    url: running.url,
    async close() {
      await running.close()
      feedbackSink.close()
    },
  })
} else {
  console.error('usage: service-process.ts <bare|service>')
  process.exit(2)
}

/**
 * @module bench/service-process
 * One server under test, alone in its process, so the load generator and the FHIR server do not
 * share its event loop. Started by bench/run.ts with
 * `node --import tsx bench/service-process.ts <bare|service>`; speaks bench/child.ts's protocol,
 * its stats being its own CPU and event-loop time.
 *
 * - `bare`: a bare Hono route answering `{"cards":[]}` on @hono/node-server, the baseline every
 *   ratio is taken against, served exactly as the service is.
 * - `service`: the service as src/node.ts runs it (configuration and stores from the environment,
 *   `startServer`), with the environment bench/run.ts passes; logs to BENCH_LOG_FILE when set.
 */
import { performance } from 'node:perf_hooks'
import { Hono } from 'hono'
import { serve } from '@hono/node-server'
import { openSync, writeSync } from 'node:fs'
import { configFromEnv, nodeRuntimeFromEnv, startServer } from '../src/node'
import { createLogger } from '../src/log'
import { announce } from './child'

const mode = process.argv[2]

/**
 * CPU time of this process (all threads: ES384 verification runs on the libuv pool) and time the
 * event loop was busy, in ms since start. Per request, these say what a call costs the service
 * whatever else the machine is doing, which throughput alone cannot on a shared machine.
 */
function stats() {
  const cpu = process.cpuUsage()
  return {
    cpuMs: (cpu.user + cpu.system) / 1000,
    loopMs: performance.eventLoopUtilization().active,
    rssMb: process.memoryUsage.rss() / 2 ** 20,
  }
}

if (mode === 'bare') {
  const bare = new Hono().get('/', (c) => c.json({ cards: [] }))
  const server = serve({ fetch: bare.fetch, port: 0, hostname: '127.0.0.1' })
  await new Promise((resolve) => server.once('listening', resolve))
  announce({
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    stats,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        if ('closeAllConnections' in server) server.closeAllConnections()
      }),
  })
} else if (mode === 'service') {
  const config = configFromEnv()
  // Logs go where an operator's would (a file or a pipe drained by a collector), written as they
  // would be: BENCH_LOG_FILE, so the load generator does not read them.
  const logFd = process.env.BENCH_LOG_FILE ? openSync(process.env.BENCH_LOG_FILE, 'a') : undefined
  const logger = createLogger({
    level: config.logLevel,
    ...(logFd !== undefined ? { write: (line: string) => writeSync(logFd, `${line}\n`) } : {}),
  })
  const runtime = nodeRuntimeFromEnv(process.env, config, logger)
  await runtime.prepare()
  const running = await startServer(config, { ...runtime.deps, logger })
  announce({
    url: running.url,
    stats,
    async close() {
      await running.close()
      await runtime.close()
    },
  })
} else {
  console.error('usage: service-process.ts <bare|service>')
  process.exit(2)
}

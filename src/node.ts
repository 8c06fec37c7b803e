/**
 * @module node
 * The Node runtime entry: reads the environment once, builds the app and serves it with
 * @hono/node-server. SIGTERM and SIGINT stop accepting connections, let in-flight requests
 * finish, then exit.
 *
 * Feedback is kept in SQLite at CDS_FEEDBACK_DB (default `data/feedback.sqlite` under the working
 * directory), so outcomes survive restarts; `CDS_FEEDBACK_DB=:memory:` keeps them in memory only,
 * and says so at start-up. Read it with `npm run feedback:report`.
 */
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { serve } from '@hono/node-server'
import { createApp, type AppDeps } from './app'
import { ConfigError, parseConfig, type AppConfig } from './config'
import { createLogger, type Logger } from './log'
import {
  DEFAULT_FEEDBACK_DB,
  openSqliteFeedbackSink,
  type SqliteFeedbackSink,
} from './node/feedback-sqlite'

/** Reads configuration from `env`, loading the trust file named by CDS_TRUST_FILE. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const vars: Record<string, string | undefined> = { ...env }
  if (env.CDS_TRUST_FILE) {
    try {
      vars.CDS_TRUST = readFileSync(env.CDS_TRUST_FILE, 'utf8')
    } catch (err) {
      throw new ConfigError(
        `Invalid configuration:\n  CDS_TRUST_FILE: cannot read ${env.CDS_TRUST_FILE} (${(err as NodeJS.ErrnoException).code})`
      )
    }
  }
  return parseConfig(vars)
}

/**
 * Opens the feedback store named by CDS_FEEDBACK_DB (or the default file). Node-only, so it
 * lives here rather than in the runtime-neutral config.
 */
export function feedbackSinkFromEnv(env: NodeJS.ProcessEnv, logger: Logger): SqliteFeedbackSink {
  const path = env.CDS_FEEDBACK_DB?.trim() || DEFAULT_FEEDBACK_DB
  let sink: SqliteFeedbackSink
  try {
    sink = openSqliteFeedbackSink(path, logger)
  } catch (err) {
    throw new ConfigError(
      `Invalid configuration:\n  CDS_FEEDBACK_DB: cannot open ${path} (${(err as Error).message})`
    )
  }
  if (path === ':memory:') {
    logger.warn('startup.feedback_in_memory', {
      message: 'CDS_FEEDBACK_DB=:memory: feedback outcomes are lost when the service stops',
    })
  } else {
    logger.info('startup.feedback_store', { path })
  }
  return sink
}

export interface RunningServer {
  url: string
  close(): Promise<void>
}

/** Starts the service; resolves once it is listening. */
export function startServer(config: AppConfig, deps: AppDeps = {}): Promise<RunningServer> {
  const logger = deps.logger ?? createLogger({ level: config.logLevel })
  if (config.devMode) {
    logger.warn('startup.dev_mode', {
      message:
        'DEVELOPMENT MODE: calls without a JWT are accepted and any FHIR server may be called. Never use in production.',
    })
  }
  const app = createApp(config, { ...deps, logger })
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, (info) => {
      const url = `http://${info.family === 'IPv6' ? `[${info.address}]` : info.address}:${info.port}`
      logger.info('startup.listening', {
        url,
        publicUrl: config.publicUrl,
        devMode: config.devMode,
      })
      resolve({
        url,
        close: () =>
          new Promise<void>((done) => {
            // Idle keep-alive sockets would hold close() open: close them now and as each
            // in-flight request finishes (its socket turns idle), until the server has closed.
            const sweep = setInterval(() => {
              if ('closeIdleConnections' in server) server.closeIdleConnections()
            }, 50)
            server.close(() => {
              clearInterval(sweep)
              done()
            })
            if ('closeIdleConnections' in server) server.closeIdleConnections()
          }),
      })
    })
  })
}

async function main() {
  let config: AppConfig
  let feedbackSink: SqliteFeedbackSink
  try {
    config = configFromEnv()
    feedbackSink = feedbackSinkFromEnv(process.env, createLogger({ level: config.logLevel }))
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : err)
    process.exit(1)
  }
  const running = await startServer(config, { feedbackSink })
  const stop = (signal: string) => {
    console.error(JSON.stringify({ level: 'info', event: 'shutdown.draining', signal }))
    running.close().then(() => {
      feedbackSink.close()
      process.exit(0)
    })
    setTimeout(() => process.exit(0), 10_000).unref()
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main()

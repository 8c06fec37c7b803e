/**
 * @module node
 * The Node runtime entry: reads the environment once, builds the app and serves it with
 * @hono/node-server. SIGTERM and SIGINT stop accepting connections, let in-flight requests
 * finish, then exit.
 *
 * Feedback is kept in SQLite at CDS_FEEDBACK_DB (default `data/feedback.sqlite` under the working
 * directory), so outcomes survive restarts; `CDS_FEEDBACK_DB=:memory:` keeps them in memory only,
 * and says so at start-up; `CDS_FEEDBACK_DB=postgres://...` keeps them in PostgreSQL, shared by
 * every instance (migrations at start, /readyz checks it), with a local outbox on disk at
 * CDS_FEEDBACK_OUTBOX (default `data/feedback-outbox.sqlite`, one per instance) that keeps the
 * feedback answered 200 while PostgreSQL is unreachable. Read either store with
 * `npm run feedback:report`.
 *
 * Node-only settings, read here (docs/operations.md): CDS_REPLAY_STORE (`memory`, the default, or
 * `redis://...` shared by every instance) and CDS_REPLAY_STORE_FAILURE (`closed`, the default:
 * 401 while Redis is unreachable; or `open`); CDS_METRICS_PORT / CDS_METRICS_HOST (Prometheus
 * `/metrics` on a port of its own, loopback by default) and CDS_METRICS_TOKEN (`/metrics` on the
 * service's port, behind that bearer token). With Redis configured, the feedback rate limit
 * (CDS_FEEDBACK_RATE_LIMIT) is counted there too, shared by every instance.
 */
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { serve } from '@hono/node-server'
import * as z from 'zod'
import { createApp, type AppDeps } from './app'
import { createMemoryReplayStore, failOpenReplayStore, type ReplayStore } from './auth/replay'
import { ConfigError, parseConfig, type AppConfig } from './config'
import { createLogger, type Logger } from './log'
import {
  DEFAULT_FEEDBACK_DB,
  openSqliteFeedbackSink,
  type SqliteFeedbackSink,
} from './node/feedback-sqlite'
import { createMetrics, metricsHandler, pathOf, type Metrics } from './node/metrics'
import { createRedisReplayStore } from './node/replay-redis'
import { redactUrl } from './log/redact-url'
import { connectRedis } from './node/redis'
import { isPostgresUrl, openPostgresFeedbackSink } from './node/feedback-postgres'
import {
  DEFAULT_FEEDBACK_OUTBOX,
  openFeedbackOutbox,
  type FeedbackOutbox,
} from './node/feedback-outbox'
import type { FeedbackSink } from './feedback'
import { createRedisRateLimiter } from './node/rate-limit-redis'
import { createMemoryRateLimiter, type RateLimiter } from './feedback/rate-limit'

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

/** Node-only settings (the core's configuration is in src/config). */
const nodeEnvSchema = z.object({
  CDS_REPLAY_STORE: z
    .string()
    .regex(/^(memory|rediss?:\/\/.+)$/, 'must be memory or a redis:// (rediss://) URL')
    .default('memory'),
  CDS_REPLAY_STORE_FAILURE: z.enum(['closed', 'open']).default('closed'),
  CDS_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  CDS_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  CDS_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  // The PostgreSQL store's outbox (used only with CDS_FEEDBACK_DB=postgres://...): a file, since
  // it is what keeps feedback answered 200 through a crash while PostgreSQL is unreachable.
  CDS_FEEDBACK_OUTBOX: z
    .string()
    .trim()
    .refine((path) => path !== ':memory:', 'must be a file path: the outbox must outlive a crash')
    .default(DEFAULT_FEEDBACK_OUTBOX),
})

export type NodeOptions = z.infer<typeof nodeEnvSchema>

/** Parses the Node-only settings; a ConfigError names each bad variable. */
export function nodeOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): NodeOptions {
  const defined = Object.fromEntries(
    Object.entries(env).filter(([name, v]) => name in nodeEnvSchema.shape && v?.trim())
  )
  const parsed = nodeEnvSchema.safeParse(defined)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`)
  }
  return parsed.data
}

/** Where /metrics is served: a port of its own, or the service's port behind a token. */
export interface MetricsServing {
  metrics: Metrics
  port?: number
  host: string
  token?: string
}

/** What the Node entry opens besides the app: stores, metrics. `close()` releases them. */
export interface NodeRuntime {
  /** Work before listening: the PostgreSQL feedback store's migrations (never throws). */
  prepare(): Promise<void>
  deps: AppDeps
  metrics?: MetricsServing
  close(): Promise<void>
}

/**
 * Opens the feedback store, the replay store and metrics as the environment says, and says in the
 * log which were chosen (and what a Redis failure does).
 */
export function nodeRuntimeFromEnv(
  env: NodeJS.ProcessEnv,
  config: AppConfig,
  logger: Logger
): NodeRuntime {
  const options = nodeOptionsFromEnv(env)
  const closers: (() => void | Promise<void>)[] = []
  const readiness: Record<string, () => Promise<boolean>> = {}
  const degradedWithout: Record<string, () => Promise<boolean>> = {}
  const readinessDetails: Record<string, () => Record<string, number>> = {}
  const metrics =
    options.CDS_METRICS_PORT !== undefined || options.CDS_METRICS_TOKEN
      ? createMetrics()
      : undefined
  const observer = metrics?.observer

  let feedbackSink: FeedbackSink
  let prepare = async () => {}
  const feedbackDb = env.CDS_FEEDBACK_DB?.trim() ?? ''
  if (isPostgresUrl(feedbackDb)) {
    let outbox: FeedbackOutbox
    try {
      outbox = openFeedbackOutbox(options.CDS_FEEDBACK_OUTBOX)
    } catch (err) {
      throw new ConfigError(
        `Invalid configuration:\n  CDS_FEEDBACK_OUTBOX: cannot open ${options.CDS_FEEDBACK_OUTBOX} (${(err as Error).message})`
      )
    }
    const postgres = openPostgresFeedbackSink(feedbackDb, logger, {
      outbox,
      ...(observer
        ? { onSettled: (service, outcome, count) => observer.feedback(service, outcome, count) }
        : {}),
    })
    feedbackSink = postgres
    closers.push(() => postgres.close())
    // Hooks never need PostgreSQL, and feedback answered 200 is on disk while it is down.
    degradedWithout.postgres = () => postgres.ping()
    readinessDetails.feedbackOutbox = () => postgres.held()
    metrics?.gauge(
      'cds_feedback_pending',
      'Feedback outcomes answered 200 but not yet in PostgreSQL: held in the local outbox on disk while PostgreSQL is unreachable, written when it answers',
      () => postgres.pending()
    )
    metrics?.gauge(
      'cds_feedback_outbox_cards',
      'Issued cards held in the local outbox on disk while PostgreSQL is unreachable',
      () => postgres.held().cards
    )
    logger.info('startup.feedback_store', {
      store: 'postgres',
      url: postgres.where,
      outbox: outbox.path,
    })
    // Migrations at start; when PostgreSQL is down the service starts anyway (hooks never need
    // it) and the feedback queue applies them once it answers.
    prepare = () =>
      postgres.migrate().catch((err: Error) => {
        logger.error('feedback.postgres_unavailable', {
          url: postgres.where,
          error: (err as NodeJS.ErrnoException).code ?? err.name,
          message: 'migrations are applied when PostgreSQL answers; feedback is held until then',
        })
      })
  } else {
    const sqlite = feedbackSinkFromEnv(env, logger)
    feedbackSink = sqlite
    closers.push(() => sqlite.close())
  }

  let replayStore: ReplayStore
  let feedbackRateLimiter: RateLimiter = createMemoryRateLimiter(config.feedbackRateLimit)
  if (options.CDS_REPLAY_STORE === 'memory') {
    replayStore = createMemoryReplayStore()
    if (config.trust)
      logger.info('startup.replay_store', { store: 'memory', scope: 'this instance' })
  } else {
    const redis = createRedisReplayStore({ url: options.CDS_REPLAY_STORE, logger })
    closers.push(() => redis.close())
    // The feedback rate limit is shared too (its own connection; per instance while Redis fails).
    if (config.feedbackRateLimit.limit > 0) {
      const rateRedis = connectRedis({ url: options.CDS_REPLAY_STORE, logger, events: 'feedback' })
      closers.push(() => rateRedis.disconnect())
      feedbackRateLimiter = createRedisRateLimiter({
        redis: rateRedis,
        rate: config.feedbackRateLimit,
        fallback: feedbackRateLimiter,
        logger,
      })
    }
    const failure = options.CDS_REPLAY_STORE_FAILURE
    // Failing closed, an instance without Redis refuses every signed call: not ready. Failing
    // open, it answers them (unchecked for replay): degraded.
    if (failure === 'open') degradedWithout.redis = () => redis.ping()
    else readiness.redis = () => redis.ping()
    replayStore =
      failure === 'open'
        ? failOpenReplayStore(redis, () => {
            logger.warn('auth.replay_unchecked', { reason: 'replay_store_unavailable' })
          })
        : redis
    logger.info('startup.replay_store', {
      store: 'redis',
      url: redactUrl(options.CDS_REPLAY_STORE),
      onFailure:
        failure === 'open'
          ? 'open: while Redis is unreachable, tokens are accepted without the replay check'
          : 'closed: while Redis is unreachable, JWT-authenticated calls are refused with 401',
    })
  }

  return {
    prepare,
    deps: {
      feedbackSink,
      feedbackRateLimiter,
      replayStore,
      readiness,
      degradedWithout,
      readinessDetails,
      ...(observer ? { observer } : {}),
    },
    ...(metrics
      ? {
          metrics: {
            metrics,
            host: options.CDS_METRICS_HOST,
            ...(options.CDS_METRICS_PORT !== undefined ? { port: options.CDS_METRICS_PORT } : {}),
            ...(options.CDS_METRICS_TOKEN ? { token: options.CDS_METRICS_TOKEN } : {}),
          },
        }
      : {}),
    async close() {
      for (const close of closers.reverse()) await close()
    },
  }
}

export interface RunningServer {
  url: string
  /** Where /metrics is served on a port of its own, when it is. */
  metricsUrl?: string
  close(): Promise<void>
}

type Listening = ReturnType<typeof serve>

const urlOf = (info: { address: string; family: string; port: number }) =>
  `http://${info.family === 'IPv6' ? `[${info.address}]` : info.address}:${info.port}`

/** Closes a server once its in-flight requests have finished. */
function drain(server: Listening): Promise<void> {
  return new Promise<void>((done) => {
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
  })
}

/** Starts the service (and /metrics when asked); resolves once it is listening. */
export async function startServer(
  config: AppConfig,
  deps: AppDeps = {},
  options: { metrics?: MetricsServing } = {}
): Promise<RunningServer> {
  const logger = deps.logger ?? createLogger({ level: config.logLevel })
  if (config.devMode) {
    logger.warn('startup.dev_mode', {
      message:
        'DEVELOPMENT MODE: calls without a JWT are accepted and any FHIR server may be called. Never use in production.',
    })
  }
  const app = createApp(config, { ...deps, logger })
  const { metrics } = options
  let fetchHandler = app.fetch
  let metricsServer: { server: Listening; url: string } | undefined
  if (metrics?.port !== undefined) {
    const serveMetrics = metricsHandler(metrics.metrics, metrics.token)
    metricsServer = await new Promise((resolve) => {
      const server = serve(
        { fetch: serveMetrics, hostname: metrics.host, port: metrics.port! },
        (info) => resolve({ server, url: urlOf(info) })
      )
    })
    logger.info('startup.metrics', {
      url: `${metricsServer!.url}/metrics`,
      token: metrics.token !== undefined,
    })
  } else if (metrics?.token) {
    // Behind the token on the service's own port.
    const serveMetrics = metricsHandler(metrics.metrics, metrics.token)
    fetchHandler = (request, ...rest) =>
      pathOf(request.url) === '/metrics' ? serveMetrics(request) : app.fetch(request, ...rest)
    logger.info('startup.metrics', { path: '/metrics', token: true })
  }
  return new Promise((resolve) => {
    const server = serve(
      { fetch: fetchHandler, hostname: config.host, port: config.port },
      (info) => {
        const url = urlOf(info)
        logger.info('startup.listening', {
          url,
          publicUrl: config.publicUrl,
          devMode: config.devMode,
        })
        resolve({
          url,
          ...(metricsServer ? { metricsUrl: metricsServer.url } : {}),
          close: async () => {
            await Promise.all([drain(server), metricsServer && drain(metricsServer.server)])
          },
        })
      }
    )
  })
}

/** JSON lines straight to stdout (console.log would format each line again). */
export const nodeLogger = (config: AppConfig): Logger =>
  createLogger({ level: config.logLevel, write: (line) => process.stdout.write(`${line}\n`) })

async function main() {
  let config: AppConfig
  let runtime: NodeRuntime
  let logger: Logger
  try {
    config = configFromEnv()
    logger = nodeLogger(config)
    runtime = nodeRuntimeFromEnv(process.env, config, logger)
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : err)
    process.exit(1)
  }
  await runtime.prepare()
  const running = await startServer(
    config,
    { ...runtime.deps, logger },
    {
      ...(runtime.metrics ? { metrics: runtime.metrics } : {}),
    }
  )
  const stop = (signal: string) => {
    console.error(JSON.stringify({ level: 'info', event: 'shutdown.draining', signal }))
    running
      .close()
      .then(() => runtime.close())
      .then(() => process.exit(0))
    setTimeout(() => process.exit(0), 10_000).unref()
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main()

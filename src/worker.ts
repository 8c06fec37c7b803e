/**
 * @module worker
 * The Cloudflare Workers entry: builds the configuration from the Worker's vars and secrets (the
 * same names as the Node environment variables; `CDS_TRUST` holds the trust file's content) and
 * the app once per isolate, then hands every request to it. Optional bindings: `CDS_JTI_DO` or
 * `CDS_JTI_KV` for replay protection shared by all isolates, `CDS_FEEDBACK_KV` for feedback.
 * @see docs/workers.md
 */
import { createApp, type AppDeps } from './app'
import { ConfigError, parseConfig, type AppConfig } from './config'
import { createLogger, type Logger } from './log'
import { operationOutcome } from './protocol/outcome'
import { createMemoryReplayStore, type ReplayStore } from './auth/replay'
import { createKvReplayStore } from './auth/replay-kv'
import { createMemoryFeedbackSink } from './feedback'
import { createKvFeedbackSink } from './worker/feedback-kv'
import { createDurableObjectReplayStore, type JtiReplayGuard } from './worker/replay-do'
import type { ExecutionContext } from 'hono'
import type { DurableObjectNamespace, KvNamespace } from './worker/types'

// Durable Object classes must be exported by the main module.
export { JtiReplayGuard } from './worker/replay-do'

/** Vars and secrets are strings (or JSON values from `[vars]`); the rest are bindings. */
export interface WorkerEnv {
  CDS_JTI_DO?: DurableObjectNamespace<JtiReplayGuard>
  CDS_JTI_KV?: KvNamespace
  CDS_FEEDBACK_KV?: KvNamespace
  [name: string]: unknown
}

type App = ReturnType<typeof createApp>

// Workers hand every request of an isolate the same env object, so this parses config once.
const apps = new WeakMap<object, App | Error>()

/** Plain strings for parseConfig: numbers, booleans and JSON `[vars]` become text, "" is unset. */
export function varsFromEnv(env: WorkerEnv): Record<string, string | undefined> {
  const vars: Record<string, string | undefined> = {}
  for (const [name, value] of Object.entries(env)) {
    if (typeof value === 'string') vars[name] = value === '' ? undefined : value
    else if (typeof value === 'number' || typeof value === 'boolean') vars[name] = String(value)
    else if (isPlainJson(value)) vars[name] = JSON.stringify(value)
  }
  return vars
}

function isPlainJson(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  // Bindings are class instances; JSON vars are plain objects and arrays.
  return proto === Object.prototype || proto === Array.prototype
}

/** Parses the configuration; a Worker has no HOST/PORT, so its public URL must be given. */
export function configFromEnv(env: WorkerEnv): AppConfig {
  const vars = varsFromEnv(env)
  const config = parseConfig(vars)
  if (!vars.CDS_PUBLIC_URL && !config.devMode) {
    throw new ConfigError(
      'Invalid configuration:\n  CDS_PUBLIC_URL: required on Workers (the URL clients call, checked against the JWT aud)'
    )
  }
  return config
}

function depsFromBindings(env: WorkerEnv, config: AppConfig, logger: Logger): AppDeps {
  let replayStore: ReplayStore
  if (env.CDS_JTI_DO) {
    replayStore = createDurableObjectReplayStore(env.CDS_JTI_DO)
  } else if (env.CDS_JTI_KV) {
    replayStore = createKvReplayStore(env.CDS_JTI_KV)
  } else {
    replayStore = createMemoryReplayStore()
    // Without a trust file (dev mode) no token is verified, so there is nothing to warn about.
    if (config.trust)
      logger.warn('startup.replay_memory', {
        message:
          'JWT replay protection is per isolate only: bind CDS_JTI_DO (strict) or CDS_JTI_KV (best effort), see docs/workers.md',
      })
  }
  const feedbackSink = env.CDS_FEEDBACK_KV
    ? createKvFeedbackSink(env.CDS_FEEDBACK_KV, logger)
    : createMemoryFeedbackSink(logger)
  return { logger, replayStore, feedbackSink }
}

function build(env: WorkerEnv): App | Error {
  let logger = createLogger()
  try {
    const config = configFromEnv(env)
    logger = createLogger({ level: config.logLevel })
    if (config.devMode) {
      logger.warn('startup.dev_mode', {
        message:
          'DEVELOPMENT MODE: calls without a JWT are accepted and any FHIR server may be called. Never use in production.',
      })
    }
    return createApp(config, depsFromBindings(env, config, logger))
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err))
    // Config messages name variables and rules, never secret values.
    logger.error('startup.misconfigured', { error: error.name, message: error.message })
    return error
  }
}

export default {
  fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Response | Promise<Response> {
    let app = apps.get(env)
    if (!app) {
      app = build(env)
      apps.set(env, app)
    }
    if (app instanceof Error) {
      return Response.json(
        operationOutcome(
          'The service is misconfigured; the operator must check its logs',
          'exception'
        ),
        { status: 500 }
      )
    }
    return app.fetch(request, env, ctx)
  },
}

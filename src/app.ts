/**
 * @module app
 * `createApp(config, deps)` builds the Hono app: CORS, request ids and logs, JWT trust, body
 * limits, discovery, the hook services and feedback. Runtime entries (src/node.ts,
 * src/worker.ts) parse configuration and pass it in; nothing here reads the environment.
 */
import { Hono, type Context } from 'hono'
import { cors } from 'hono/cors'
import { bodyLimit } from 'hono/body-limit'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { AppConfig } from './config'
import { createLogger, type Logger } from './log'
import {
  CdsError,
  badRequest,
  notFound,
  operationOutcome,
  payloadTooLarge,
} from './protocol/outcome'
import { loadServices } from './discovery'
import { handlers } from './services'
import { invokeService } from './services/invoke'
import { cdsAuth } from './auth/middleware'
import { createJwtVerifier, type Caller } from './auth/verify'
import { createMemoryReplayStore, type ReplayStore } from './auth/replay'
import { createMemoryFeedbackSink, type FeedbackClient, type FeedbackSink } from './feedback'
import { createMemoryRateLimiter, type RateLimiter } from './feedback/rate-limit'
import { receiveFeedback } from './feedback/receive'
import { clientNamespace } from './cards/uuid'
import { defaultOrderCodes, type CardOptions } from './cards/types'
import { defaultClinicalConfig } from './clinical'
import type { Fetch } from './fhir/client'
import { noopObserver, type Endpoint, type FhirReadOutcome, type Observer } from './observe'
import type { ServiceDefinition } from './services/types'

export interface AppDeps {
  /** Outgoing HTTP for FHIR reads and JWKS; the runtime's global fetch by default. */
  fetch?: Fetch
  logger?: Logger
  feedbackSink?: FeedbackSink
  /**
   * Counts feedback entries per issuer against config.feedbackRateLimit; in
   * memory for this instance by default, shared (Redis) when the runtime has a shared store.
   */
  feedbackRateLimiter?: RateLimiter
  replayStore?: ReplayStore
  /** Clock for card dates (tests pin it). */
  now?: () => Date
  /** Receives counts and timings for metrics (src/observe); nothing is counted without one. */
  observer?: Observer
  /**
   * Readiness checks beyond the trust keys, by name (`redis` when it fails closed): each resolves
   * true when its dependency answers. `/readyz` runs them all; any one down is a 503.
   */
  readiness?: Record<string, () => Promise<boolean>>
  /**
   * Checks of dependencies the hooks do not need (`postgres` behind the feedback outbox, `redis`
   * when it fails open): shown by `/readyz` with the others, but while one is down the instance
   * still answers hooks, so `/readyz` says `degraded` with a 200 and a load balancer keeps it.
   */
  degradedWithout?: Record<string, () => Promise<boolean>>
  /**
   * Counts `/readyz` shows beside the checks, by name (`feedbackOutbox`: what the PostgreSQL
   * feedback store's outbox holds); they do not decide readiness.
   */
  readinessDetails?: Record<string, () => Record<string, number>>
  /** The discovery document, validated at start like discovery.json (its default). */
  discovery?: unknown
}

type Env = {
  Variables: {
    caller: Caller
    logger: Logger
    requestId: string
    /** The service a hook or feedback call reached (for metrics). */
    service?: { definition: ServiceDefinition; endpoint: 'service' | 'feedback' }
  }
}

/** The metrics label of a request that reached no service (never the raw path: it is client text). */
function endpointOf(path: string): Endpoint {
  if (path === '/cds-services') return 'discovery'
  if (path === '/healthz' || path === '/readyz') return 'health'
  return 'other'
}

export function createApp(config: AppConfig, deps: AppDeps = {}) {
  const rootLogger = deps.logger ?? createLogger({ level: config.logLevel })
  const fetchImpl: Fetch = deps.fetch ?? ((input, init) => fetch(input, init))
  const feedbackSink = deps.feedbackSink ?? createMemoryFeedbackSink(rootLogger)
  const feedbackRateLimiter =
    deps.feedbackRateLimiter ?? createMemoryRateLimiter(config.feedbackRateLimit)
  const now = deps.now ?? (() => new Date())
  const observer = deps.observer ?? noopObserver
  const onFhirRead = (outcome: FhirReadOutcome, seconds: number) =>
    observer.fhirRead(outcome, seconds)
  // Computed once: the services, their handlers, the verifier with its cached keys.
  const services = loadServices(config.imagingHook, deps.discovery)
  for (const service of services) {
    const handler = handlers[service.id]
    if (!handler) throw new Error(`discovery.json declares ${service.id}, which has no handler`)
    // A required key without a template could only ever come from prefetch: every call whose
    // client did not send it would be a 412 the service could have avoided.
    const templates = service.prefetch ?? {}
    const untemplated = handler.required.filter((key) => !Object.hasOwn(templates, key))
    if (untemplated.length > 0)
      throw new Error(
        `discovery.json: service ${service.id} requires prefetch ${untemplated.join(', ')} but has no template for it`
      )
  }
  const verifier = config.trust
    ? createJwtVerifier({
        trust: config.trust,
        publicUrl: config.publicUrl,
        replayStore: deps.replayStore ?? createMemoryReplayStore(),
        fetch: fetchImpl,
      })
    : undefined
  const baseCardOptions: Omit<CardOptions, 'now'> = {
    source: config.source,
    viewer: config.viewer,
    orderCodes: { ...defaultOrderCodes, ...config.orderCodes },
    clinical: {
      ...defaultClinicalConfig,
      confidenceThreshold: config.confidenceThreshold,
      dueToleranceDays: config.dueToleranceDays,
      examCodes: config.examCodes,
      indicatorByKind: { ...defaultClinicalConfig.indicatorByKind, ...config.indicators },
    },
    findingsWindowMonths: config.findingsWindowMonths,
  }
  const discovery = { services }

  const app = new Hono<Env>()

  // Private Network Access (Chromium): a page on a public origin (the hosted CDS Hooks sandbox)
  // may reach a service on loopback only when the preflight allows it. Answered only for origins
  // the CORS configuration already allows.
  app.use('*', async function privateNetworkAccess(c, next) {
    await next()
    if (
      c.req.method === 'OPTIONS' &&
      c.req.header('access-control-request-private-network') === 'true' &&
      c.res.headers.get('access-control-allow-origin')
    ) {
      c.res.headers.set('Access-Control-Allow-Private-Network', 'true')
    }
  })
  const corsOrigins = config.corsOrigins
  const preflight = cors({
    origin: corsOrigins === '*' ? '*' : corsOrigins,
    allowMethods: ['GET', 'POST', 'OPTIONS'],
    allowHeaders: ['Authorization', 'Content-Type'],
    maxAge: 600,
  })
  // Preflights go to Hono's cors. Other answers get the same headers it would set, but on the
  // final response: Hono's cors sets them on a placeholder before the handler runs, and merging
  // that placeholder into the handler's answer rebuilds it as a full Web Response on every call.
  app.use('*', async function corsHeaders(c, next) {
    if (c.req.method === 'OPTIONS') return preflight(c, next)
    await next()
    const origin = c.req.header('origin') ?? ''
    if (corsOrigins === '*') c.res.headers.set('Access-Control-Allow-Origin', '*')
    else {
      if (corsOrigins.includes(origin)) c.res.headers.set('Access-Control-Allow-Origin', origin)
      c.res.headers.append('Vary', 'Origin')
    }
  })
  app.use('*', async function requestLog(c, next) {
    const started = performance.now()
    // The id is always the service's own: a caller who chose it could make its request's lines
    // look like another's, or fill them. A caller's X-Request-Id is kept beside it, for matching
    // with the caller's own logs, cut to a short printable form.
    const id = crypto.randomUUID()
    c.set('requestId', id)
    c.header('X-Request-Id', id)
    const clientRequestId = clientRequestIdOf(c.req.header('x-request-id'))
    const logger = rootLogger.child({ requestId: id, ...(clientRequestId && { clientRequestId }) })
    c.set('logger', logger)
    await next()
    const ms = performance.now() - started
    const service = c.get('service')
    observer.request(
      service?.endpoint ?? endpointOf(c.req.path),
      service?.definition.id ?? '',
      service?.definition.hook ?? '',
      c.res.status,
      ms / 1000
    )
    // The route pattern, never the raw URL: query strings and ids stay out of the log. Answered
    // calls are in the metrics and, for hooks, in their own `hook.answered` line: one line per
    // request at the default level is enough, so successes are logged at debug.
    const log = c.res.status >= 400 ? logger.info : logger.debug
    log('http.request', {
      method: c.req.method,
      route: c.req.routePath,
      status: c.res.status,
      ms: Math.round(ms),
    })
  })

  app.get('/healthz', (c) =>
    c.json({
      status: 'ok',
      ...(config.devMode
        ? { warning: 'DEVELOPMENT MODE: unauthenticated calls and any FHIR server are accepted' }
        : {}),
    })
  )

  // Hono's '/cds-services/*' also matches '/cds-services' itself: one registration covers all.
  // Ready to take traffic: the trust keys are at hand and every store the hooks need answers.
  // Names and words only; 503 while a needed one is missing, so a load balancer skips this
  // instance; 200 'degraded' while only a store the hooks can do without is down (taking every
  // instance out for a feedback database would stop the cards too).
  const readiness: Record<string, () => Promise<boolean>> = {
    ...(verifier ? { trustKeys: () => verifier.keysReady() } : {}),
    ...deps.readiness,
  }
  const optional = deps.degradedWithout ?? {}
  app.get('/readyz', async (c) => {
    const run = (checks: Record<string, () => Promise<boolean>>) =>
      Promise.all(
        Object.entries(checks).map(async ([name, check]) => {
          const up = await check().catch(() => false)
          return [name, up] as const
        })
      )
    const [needed, other] = await Promise.all([run(readiness), run(optional)])
    const checks = Object.fromEntries(
      [...needed, ...other].map(([name, up]) => [name, up ? 'ok' : 'down'])
    )
    const ready = needed.every(([, up]) => up)
    const status = !ready ? 'not ready' : other.every(([, up]) => up) ? 'ready' : 'degraded'
    const details = Object.fromEntries(
      Object.entries(deps.readinessDetails ?? {}).map(([name, counts]) => [name, counts()])
    )
    return c.json({ status, checks, ...details }, ready ? 200 : 503)
  })

  app.use(
    '/cds-services/*',
    cdsAuth({ verifier, devMode: config.devMode, logger: rootLogger, observer })
  )
  // Content-Length checked here, before anything is read. Hono's bodyLimit is kept for bodies
  // without one (chunked), which it counts as they stream: it wraps the request body in a new
  // Request and stream, which on Node would be built for every call (the Node adapter otherwise
  // reads the body straight from the socket).
  const streamedBodyLimit = bodyLimit({
    maxSize: config.bodyLimitBytes,
    onError: () => {
      throw payloadTooLarge(config.bodyLimitBytes)
    },
  })
  app.use('/cds-services/*', async function limitBody(c, next) {
    if (c.req.method !== 'POST') return next()
    const length = c.req.header('content-length')
    if (length === undefined) return streamedBodyLimit(c, next)
    if (!/^\d+$/.test(length) || Number(length) > config.bodyLimitBytes)
      throw payloadTooLarge(config.bodyLimitBytes)
    return next()
  })

  app.get('/cds-services', (c) => c.json(discovery))

  app.post('/cds-services/:id', async (c) => {
    const service = findService(c.req.param('id'))
    c.set('service', { definition: service, endpoint: 'service' })
    const body = await readJson(c.req.raw)
    const caller = c.get('caller')
    // Card and suggestion uuids in the client's own namespace: stable per finding for one
    // client, different for another, so feedback can only name cards issued to its sender.
    const uuidNamespace = clientNamespace(caller.iss, caller.tenant)
    const result = await invokeService(service, handlers[service.id]!, body, caller, {
      fetch: fetchImpl,
      devMode: config.devMode,
      budgetMs: config.hookBudgetMs,
      fhirTimeoutMs: config.fhirTimeoutMs,
      fhirMaxCallBytes: config.fhirMaxCallBytes,
      cardOptions: () => ({ ...baseCardOptions, now: now(), uuidNamespace }),
      logger: c.get('logger'),
      onFhirRead,
    })
    const kinds = new Map(result.meta.map((meta) => [meta.uuid, meta.findingKind]))
    for (const card of result.cards) {
      observer.card(service.id, card.indicator, (card.uuid && kinds.get(card.uuid)) || 'none')
    }
    if (result.meta.length > 0)
      await feedbackSink.cardsIssued(service.id, clientOf(caller), result.meta)
    return c.json({ cards: result.cards })
  })

  app.post('/cds-services/:id/feedback', async (c) => {
    const service = findService(c.req.param('id'))
    c.set('service', { definition: service, endpoint: 'feedback' })
    const body = await readJson(c.req.raw)
    const answer = await receiveFeedback(service.id, body, clientOf(c.get('caller')), {
      sink: feedbackSink,
      rateLimiter: feedbackRateLimiter,
      rateLimitWindowMs: config.feedbackRateLimit.windowMs,
      logger: c.get('logger'),
      onOutcome: (outcome, count) => observer.feedback(service.id, outcome, count),
    })
    return c.json(answer)
  })

  // Answered here rather than thrown: a throw from the not-found handler would skip the request
  // log and metrics middleware.
  app.notFound((c) => answerError(notFound('No such endpoint'), c))

  app.onError(answerError)

  function answerError(err: Error, c: Context<Env>) {
    const logger = c.get('logger') ?? rootLogger
    if (err instanceof CdsError) {
      // RFC 6750: say which scheme is expected, nothing about what was wrong.
      if (err.status === 401) c.header('WWW-Authenticate', 'Bearer')
      if (err.retryAfterSeconds !== undefined)
        c.header('Retry-After', String(err.retryAfterSeconds))
      if (err.status >= 500)
        logger.error('http.error', { status: err.status, message: err.message })
      return c.json(
        operationOutcome(err.message, err.code, err.expression),
        err.status as ContentfulStatusCode
      )
    }
    if (err instanceof HTTPException) {
      const status = err.status as ContentfulStatusCode
      return c.json(
        operationOutcome(err.message || 'Request rejected', status === 401 ? 'login' : 'invalid'),
        status
      )
    }
    // The error's name only: messages can carry request data.
    logger.error('http.unhandled', { error: err.name })
    return c.json(operationOutcome('Internal error', 'exception'), 500)
  }

  function clientOf(caller: Caller): FeedbackClient {
    return { iss: caller.iss, ...(caller.tenant !== undefined ? { tenant: caller.tenant } : {}) }
  }

  function findService(id: string) {
    const service = services.find((s) => s.id === id)
    if (!service) throw notFound(`Unknown CDS service: ${id}`)
    return service
  }

  return app
}

/** Longest client X-Request-Id kept in the logs (a UUID is 36 characters, a trace id 32). */
export const MAX_CLIENT_REQUEST_ID = 64

/**
 * A caller's X-Request-Id as it may appear in a log line: letters, digits and `-_.:=/+`, at most
 * {@link MAX_CLIENT_REQUEST_ID} of them; anything else is left out (never the id of the request).
 */
function clientRequestIdOf(header: string | undefined): string | undefined {
  if (!header) return undefined
  const kept = header.slice(0, MAX_CLIENT_REQUEST_ID).replace(/[^\w\-.:=/+]/g, '')
  return kept || undefined
}

/** Parses a JSON body; anything else is a 400 with a clear message, never a 500. */
async function readJson(request: Request): Promise<unknown> {
  const text = await request.text()
  // Blank: only the white space trim() removes (\s is the same set), found without copying the body.
  if (!/\S/.test(text)) throw badRequest('Request body is empty; a JSON object is required')
  try {
    return JSON.parse(text)
  } catch {
    throw badRequest('Malformed JSON in request body')
  }
}

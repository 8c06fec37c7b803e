/**
 * @module node/metrics
 * The {@link Observer} on Node as Prometheus metrics (prom-client), served as `/metrics` on a port
 * of its own (`CDS_METRICS_PORT`, loopback by default) or on the service's port behind a bearer
 * token (`CDS_METRICS_TOKEN`); never public. Node only: the core calls the Observer interface
 * and the Worker bundle carries no metrics library.
 *
 * Series (every label value comes from a fixed set; see src/observe):
 * - `cds_http_requests_total{endpoint,service,hook,status}` and
 *   `cds_http_request_duration_seconds{endpoint,service,hook}` (endpoint: service, feedback,
 *   discovery, health, other)
 * - `cds_fhir_reads_total{outcome}` and `cds_fhir_read_duration_seconds{outcome}`
 * - `cds_cards_total{service,indicator,finding_kind}`
 * - `cds_auth_rejections_total{reason}`
 * - `cds_feedback_entries_total{service,outcome}`
 * - `cds_feedback_pending` (outcomes answered but not yet in the store, when the store retries)
 * - prom-client's default process metrics (CPU, memory, event-loop lag, GC), prefixed `cds_`.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Observer } from '../observe'

export interface Metrics {
  observer: Observer
  registry: Registry
  /** The text exposition format and its content type. */
  render(): Promise<{ contentType: string; body: string }>
  /** Tracks a number read on each scrape (e.g. feedback waiting for the store). */
  gauge(name: string, help: string, read: () => number): void
}

/** Hook latencies: a call is a few ms with prefetch, up to the budget (2 s by default) with FHIR. */
const HTTP_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5]
const FHIR_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5]

/** A registry of its own per call (tests build several; nothing global). */
export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry()
  if (options.defaultMetrics !== false)
    collectDefaultMetrics({ register: registry, prefix: 'cds_' })
  const registers = [registry]
  const requests = new Counter({
    name: 'cds_http_requests_total',
    help: 'HTTP requests answered, by endpoint, service, hook and status',
    labelNames: ['endpoint', 'service', 'hook', 'status'],
    registers,
  })
  const latency = new Histogram({
    name: 'cds_http_request_duration_seconds',
    help: 'Time from request to response, by endpoint, service and hook',
    labelNames: ['endpoint', 'service', 'hook'],
    buckets: HTTP_BUCKETS,
    registers,
  })
  const fhirReads = new Counter({
    name: 'cds_fhir_reads_total',
    help: 'FHIR reads made for hook calls, by outcome',
    labelNames: ['outcome'],
    registers,
  })
  const fhirLatency = new Histogram({
    name: 'cds_fhir_read_duration_seconds',
    help: 'Duration of FHIR reads, by outcome',
    labelNames: ['outcome'],
    buckets: FHIR_BUCKETS,
    registers,
  })
  const cards = new Counter({
    name: 'cds_cards_total',
    help: 'Cards returned, by service, indicator and finding kind',
    labelNames: ['service', 'indicator', 'finding_kind'],
    registers,
  })
  const authRejections = new Counter({
    name: 'cds_auth_rejections_total',
    help: 'Calls refused with 401, by reason',
    labelNames: ['reason'],
    registers,
  })
  const feedback = new Counter({
    name: 'cds_feedback_entries_total',
    help: 'Feedback entries by outcome: stored, duplicate, rejected (invalid or not our card), limited (rate), failed (not stored)',
    labelNames: ['service', 'outcome'],
    registers,
  })

  const observer: Observer = {
    request(endpoint, service, hook, status, seconds) {
      requests.inc({ endpoint, service, hook, status: String(status) })
      latency.observe({ endpoint, service, hook }, seconds)
    },
    fhirRead(outcome, seconds) {
      fhirReads.inc({ outcome })
      fhirLatency.observe({ outcome }, seconds)
    },
    card(service, indicator, findingKind) {
      cards.inc({ service, indicator, finding_kind: findingKind })
    },
    authRejected(reason) {
      authRejections.inc({ reason })
    },
    feedback(service, outcome, count) {
      if (count > 0) feedback.inc({ service, outcome }, count)
    },
  }

  return {
    observer,
    registry,
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() }
    },
    gauge(name, help, read) {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read())
        },
      })
    },
  }
}

/**
 * Answers `GET /metrics` (404 for anything else). With `token`, only a request carrying
 * `Authorization: Bearer <token>` gets the metrics; the others get a bare 401.
 */
export function metricsHandler(
  metrics: Metrics,
  token?: string
): (request: Request) => Promise<Response> {
  const expected = token === undefined ? undefined : digest(`Bearer ${token}`)
  return async (request) => {
    if (request.method !== 'GET' || pathOf(request.url) !== '/metrics') {
      return new Response('Not found\n', { status: 404 })
    }
    if (expected) {
      const given = digest(request.headers.get('authorization') ?? '')
      if (!timingSafeEqual(given, expected)) {
        return new Response('Unauthorized\n', {
          status: 401,
          headers: { 'www-authenticate': 'Bearer' },
        })
      }
    }
    const { contentType, body } = await metrics.render()
    return new Response(body, { headers: { 'content-type': contentType } })
  }
}

/** Equal-length digests, so comparing them takes the same time whatever was sent. */
const digest = (text: string) => createHash('sha256').update(text).digest()

/** The path of an absolute URL, without parsing it whole (this runs in front of every request). */
export function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2)
  if (start < 0) return '/'
  const end = url.indexOf('?', start)
  return url.slice(start, end < 0 ? undefined : end)
}

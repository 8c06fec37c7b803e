/**
 * @module observe
 * What the service tells an operator's metrics about each request, as plain calls on an
 * {@link Observer}. The core only calls the interface; a runtime entry may pass an implementation
 * (on Node, Prometheus counters and histograms in src/node/metrics.ts), and without one nothing is
 * counted. So the core and the Worker bundle carry no metrics library.
 *
 * Every label value is from a fixed set (service ids from discovery.json, hook names, status
 * codes, indicators, finding kinds, failure reasons): never a raw path, id or text from a request,
 * so a client cannot grow the number of series.
 */
import type { AuthFailure } from '../auth/verify'

/** Which kind of endpoint answered: a hook service, feedback, discovery, health probes, other. */
export type Endpoint = 'service' | 'feedback' | 'discovery' | 'health' | 'other'

/** How a FHIR read ended. */
export type FhirReadOutcome = 'ok' | 'http_4xx' | 'http_5xx' | 'timeout' | 'error'

/**
 * What became of feedback entries: stored, already stored, refused (invalid, or about a card not
 * issued to the sender), refused by the per-client rate limit, or not stored (the store failed).
 */
export type FeedbackOutcome = 'stored' | 'duplicate' | 'rejected' | 'limited' | 'failed'

export interface Observer {
  /**
   * One HTTP request answered. `service` is a service id from discovery and `hook` its hook, for
   * service and feedback calls; both are `''` for the other endpoints.
   */
  request(endpoint: Endpoint, service: string, hook: string, status: number, seconds: number): void
  /** One FHIR read (prefetch gathering or evidence) ended. */
  fhirRead(outcome: FhirReadOutcome, seconds: number): void
  /** One card returned. `findingKind` is `none` for cards not about a finding. */
  card(service: string, indicator: string, findingKind: string): void
  /** One call refused 401. */
  authRejected(reason: AuthFailure): void
  /** `count` feedback entries ended as `outcome`. */
  feedback(service: string, outcome: FeedbackOutcome, count: number): void
}

/** Counts nothing: the default when a runtime passes no observer. */
export const noopObserver: Observer = {
  request() {},
  fhirRead() {},
  card() {},
  authRejected() {},
  feedback() {},
}

/**
 * @module services/types
 * What a CDS service is to the core: its discovery entry plus a handler, a plain async function
 * from (request, FHIR data) to cards. Handlers know nothing of HTTP.
 */
import type { FhirClient } from '../fhir/client'
import type { PrefetchValue } from '../prefetch'
import type { CdsRequest, ContextKind } from '../protocol/request'
import type { Card, CardMeta, CardOptions } from '../cards/types'
import type { Logger } from '../log'

export interface HookInput<Context = Record<string, unknown>> {
  request: CdsRequest
  context: Context
  /** Prefetch keys, satisfied from the request or fetched; absent keys could not be had. */
  data: Record<string, PrefetchValue>
  /** For reads the templates cannot express (a report's results, a study's Endpoint). */
  fhir: FhirClient | undefined
  options: CardOptions
  logger: Logger
}

export interface HookResult {
  cards: Card[]
  /** What each card is about, so feedback on a card uuid can be tied back to the finding. */
  meta: CardMeta[]
}

export interface ServiceHandler {
  /** Which context schema validates the request (the standard hook, or our custom one). */
  context: ContextKind
  /** Prefetch keys without which the service cannot answer (412). */
  required: string[]
  handle(input: HookInput): Promise<HookResult>
}

/** A service as declared in discovery.json. */
export interface ServiceDefinition {
  id: string
  hook: string
  title?: string
  description: string
  prefetch?: Record<string, string>
  usageRequirements?: string
  /** CDS Hooks `extension` (§2.12), served in discovery as written. */
  extension?: Record<string, unknown>
}

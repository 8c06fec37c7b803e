/**
 * @module services/types
 * What a CDS service is to the core: its discovery entry plus a handler. A handler says which
 * evidence a call needs (from its typed context, before any I/O) and builds the cards from the
 * request and the gathered evidence: a pure, synchronous function that knows nothing of HTTP or
 * FHIR reads (src/services/invoke.ts does all of that first).
 */
import type * as z from 'zod'
import type { CdsRequest, ContextKind } from '../protocol/request'
import type { DiscoveryServiceSchema } from '../protocol/cds-schemas'
import type { EvidenceScope, PatientEvidence } from '../evidence'
import type { Card, CardMeta, CardOptions } from '../cards/types'
import type { Logger } from '../log'

export interface HookResult {
  cards: Card[]
  /** What each card is about, so feedback on a card uuid can be tied back to the finding. */
  meta: CardMeta[]
}

/** One hook's service, written against the context its schema parses. */
export interface ServiceHandler<S extends z.ZodType> {
  /** The hook whose context this is (the standard hook, or our custom one's plain name). */
  context: ContextKind
  /** That hook's context schema, from src/protocol/request.ts. */
  schema: S
  /** Prefetch keys without which the service cannot answer (412). */
  required: string[]
  /** The evidence the call needs, read from its context before any I/O. */
  scope(context: z.output<S>): EvidenceScope
  /** Pure and synchronous: the cards for a validated request and its evidence. */
  build(
    request: Omit<CdsRequest, 'context'> & { context: z.output<S> },
    evidence: PatientEvidence,
    options: CardOptions,
    logger: Logger
  ): HookResult
}

/** One call, its context validated: the evidence it needs and the builder of its cards. */
export interface PreparedCall {
  scope: EvidenceScope
  build(evidence: PatientEvidence, options: CardOptions, logger: Logger): HookResult
}

/** A handler as the registry holds it, whatever its hook. */
export interface RegisteredHandler {
  context: ContextKind
  required: string[]
  /** Validates the request's context with the hook's schema; the prepared call or zod's error. */
  prepare(request: CdsRequest): { call: PreparedCall } | { error: z.ZodError }
}

/** Registers a handler: its schema's output reaches `scope` and `build` typed, uncast. */
export function defineHandler<S extends z.ZodType>(handler: ServiceHandler<S>): RegisteredHandler {
  return {
    context: handler.context,
    required: handler.required,
    prepare(request) {
      const parsed = handler.schema.safeParse(request.context)
      if (!parsed.success) return { error: parsed.error }
      const typed = { ...request, context: parsed.data }
      return {
        call: {
          scope: handler.scope(parsed.data),
          build: (evidence, options, logger) => handler.build(typed, evidence, options, logger),
        },
      }
    },
  }
}

/** A service as declared in discovery.json: the discovery response schema's type. */
export type ServiceDefinition = z.infer<typeof DiscoveryServiceSchema>

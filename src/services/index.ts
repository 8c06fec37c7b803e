/**
 * @module services
 * The handler behind each service id declared in discovery.json. Each says which evidence its
 * call needs and builds the cards from the validated request and that evidence, synchronously:
 * the evidence was gathered before (src/services/invoke.ts), the card builders in src/cards say
 * what to show.
 */
import { contextSchemas } from '../protocol/request'
import { sanitizeResource } from '../fhir/shape'
import { studyCards } from '../cards/study-card'
import { orderSelectCards } from '../cards/order-select'
import { patientViewCards } from '../cards/patient-view'
import { defineHandler, type HookResult, type RegisteredHandler } from './types'
import type { IssuedCard } from '../cards/types'

const result = (built: IssuedCard[]): HookResult => ({
  cards: built.map((b) => b.card),
  meta: built.map((b) => b.meta),
})

export const handlers: Record<string, RegisteredHandler> = {
  'imaging-ai-findings': defineHandler({
    context: 'imaging-study-complete',
    schema: contextSchemas['imaging-study-complete'],
    required: ['study', 'reports', 'findings', 'orders'],
    scope: (context) => ({
      patientId: context.patientId,
      studyId: context.imagingStudyId,
      ...(context.diagnosticReportId ? { reportId: context.diagnosticReportId } : {}),
      ...(context.studyInstanceUid ? { studyInstanceUid: context.studyInstanceUid } : {}),
    }),
    build(_request, evidence, options, logger) {
      const study = evidence.studies[0]
      if (!study) {
        logger.warn('hook.study_not_found')
        return { cards: [], meta: [] }
      }
      // Not the request's hook name: card uuids stay the same under the alias and the canonical name.
      return result(studyCards(study, evidence, options))
    },
  }),
  'imaging-ai-order-check': defineHandler({
    context: 'order-select',
    schema: contextSchemas['order-select'],
    required: ['studies', 'reports', 'findings', 'orders'],
    scope: (context) => ({ patientId: context.patientId }),
    build(request, evidence, options) {
      // The draft orders come from the client like prefetch does: shape-check them the same way.
      const shaped = sanitizeResource(request.context.draftOrders)
      const draftOrders = shaped?.resourceType === 'Bundle' ? shaped : undefined
      return result(orderSelectCards(evidence, draftOrders, request.context.selections, options))
    },
  }),
  'imaging-ai-outstanding': defineHandler({
    context: 'patient-view',
    schema: contextSchemas['patient-view'],
    required: ['studies', 'reports', 'findings', 'orders'],
    scope: (context) => ({ patientId: context.patientId }),
    build: (_request, evidence, options) => result(patientViewCards(evidence, options)),
  }),
}

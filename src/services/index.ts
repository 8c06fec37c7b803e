/**
 * @module services
 * The handler behind each service id declared in discovery.json. Each is a plain function from
 * (request, FHIR data) to cards: the evidence is collected, the card builders in src/cards say
 * what to show.
 */
import type { Bundle } from 'fhir/r4'
import { gatherEvidence } from '../evidence'
import { sanitizeResource } from '../fhir/shape'
import { studyCards } from '../cards/study-card'
import { orderSelectCards } from '../cards/order-select'
import { patientViewCards } from '../cards/patient-view'
import type { HookInput, HookResult, ServiceHandler } from './types'
import type { IssuedCard } from '../cards/types'

/** Where the evidence is gathered from; Endpoints matter when OHIF data sources are configured. */
const sourceOf = (input: HookInput) => ({
  ...input,
  endpointsMatter: input.options.viewer.dataSources.length > 0,
})

const result = (built: IssuedCard[]): HookResult => ({
  cards: built.map((b) => b.card),
  meta: built.map((b) => b.meta),
})

export const handlers: Record<string, ServiceHandler> = {
  'imaging-ai-findings': {
    context: 'imaging-study-complete',
    required: ['study', 'reports', 'findings', 'orders'],
    async handle(input) {
      const context = input.context as {
        patientId: string
        imagingStudyId: string
        diagnosticReportId?: string
        studyInstanceUid?: string
      }
      const evidence = await gatherEvidence(
        sourceOf(input),
        {
          patientId: context.patientId,
          studyId: context.imagingStudyId,
          ...(context.diagnosticReportId ? { reportId: context.diagnosticReportId } : {}),
          ...(context.studyInstanceUid ? { studyInstanceUid: context.studyInstanceUid } : {}),
        },
        input.options.clinical
      )
      const study = evidence.studies[0]
      if (!study) {
        input.logger.warn('hook.study_not_found')
        return { cards: [], meta: [] }
      }
      // Not the request's hook name: card uuids stay the same under the alias and the canonical name.
      return result(await studyCards(study, evidence, input.options))
    },
  },
  'imaging-ai-order-check': {
    context: 'order-select',
    required: ['studies', 'reports', 'findings', 'orders'],
    async handle(input) {
      const context = input.context as {
        patientId: string
        selections: string[]
        draftOrders: unknown
      }
      // The draft orders come from the client like prefetch does: shape-check them the same way.
      const draftOrders = sanitizeResource(context.draftOrders) as Bundle | undefined
      const evidence = await gatherEvidence(
        sourceOf(input),
        { patientId: context.patientId },
        input.options.clinical
      )
      return result(
        await orderSelectCards(evidence, draftOrders, context.selections, input.options)
      )
    },
  },
  'imaging-ai-outstanding': {
    context: 'patient-view',
    required: ['studies', 'reports', 'findings', 'orders'],
    async handle(input) {
      const context = input.context as { patientId: string }
      const evidence = await gatherEvidence(
        sourceOf(input),
        { patientId: context.patientId },
        input.options.clinical
      )
      return result(await patientViewCards(evidence, input.options))
    },
  },
}

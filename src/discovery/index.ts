/**
 * @module discovery
 * Loads the services we declare from `discovery.json` (the single source of ids, hooks, titles,
 * descriptions, prefetch templates, usage requirements and extensions), validates it at start-up
 * and renames the custom imaging hook to the configured name.
 */
import * as z from 'zod'
import declared from '../../discovery.json'
import { DiscoveryServiceSchema } from '../protocol/cds-schemas'
import type { ServiceDefinition } from '../services/types'

/** Context fields each hook marks "Prefetch Token: Yes" (hook library; our hook definition). */
const prefetchTokens: Record<string, string[]> = {
  'patient-view': ['patientId', 'userId', 'encounterId'],
  'order-select': ['patientId', 'userId', 'encounterId'],
  'imaging-study-complete': [
    'patientId',
    'imagingStudyId',
    'diagnosticReportId',
    'encounterId',
    'userId',
  ],
}
/**
 * A service as discovery answers it (the response schema, src/protocol/cds-schemas.ts), and its
 * prefetch tokens limited to the context fields its hook marks as prefetch tokens.
 */
const serviceSchema = DiscoveryServiceSchema.superRefine((service, ctx) => {
  const allowed = prefetchTokens[service.hook]
  if (!allowed) {
    ctx.addIssue({ code: 'custom', message: `no prefetch token list for hook ${service.hook}` })
    return
  }
  for (const [key, template] of Object.entries(service.prefetch ?? {})) {
    for (const [, field] of template.matchAll(/\{\{context\.([^}]*)\}\}/g)) {
      if (!allowed.includes(field!))
        ctx.addIssue({
          code: 'custom',
          path: ['prefetch', key],
          message: `token {{context.${field}}} is not a prefetch token of ${service.hook}`,
        })
    }
  }
})

const discoverySchema = z.object({ services: z.array(serviceSchema) }).superRefine((doc, ctx) => {
  const seen = new Set<string>()
  for (const s of doc.services) {
    const key = s.id
    if (seen.has(key)) ctx.addIssue({ code: 'custom', message: `service ${s.id} declared twice` })
    seen.add(key)
  }
})

/**
 * The custom hook's plain name, as written in discovery.json and in the seed article. The service
 * announces it under a reverse-domain name (CDS Hooks 2.0: organisation-specific hooks SHALL use
 * one) and still accepts this one from clients that fire it (src/services/invoke.ts).
 */
export const IMAGING_HOOK = 'imaging-study-complete'

/**
 * Validates a discovery document and renames the custom imaging hook to `imagingHook`.
 * Throws with every problem listed; called once when the app is built.
 */
export function loadServices(
  imagingHook: string,
  document: unknown = declared
): ServiceDefinition[] {
  const parsed = discoverySchema.safeParse(document)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  services.${i.path.join('.')}: ${i.message}`)
    throw new Error(`discovery.json is invalid:\n${lines.join('\n')}`)
  }
  return parsed.data.services.map((s) =>
    s.hook === IMAGING_HOOK ? { ...s, hook: imagingHook } : s
  )
}

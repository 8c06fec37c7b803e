/**
 * @module discovery
 * Loads the services we declare from `discovery.json` (the single source of ids, hooks, titles,
 * descriptions, prefetch templates, usage requirements and extensions), validates it at start-up
 * and renames the custom imaging hook to the configured name.
 */
import * as z from 'zod'
import declared from '../../discovery.json'
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
const userTokens = [
  'userPractitionerId',
  'userPractitionerRoleId',
  'userPatientId',
  'userRelatedPersonId',
]

const serviceSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9._-]+$/, 'must be URL-safe'),
    hook: z.string().min(1),
    title: z.string().min(1).optional(),
    description: z.string().min(1),
    prefetch: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/), z.string().min(1)).optional(),
    usageRequirements: z.string().min(1).optional(),
    /** §2.12: served as written (keys SHOULD be reverse-domain, e.g. `org.example.x`). */
    extension: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .superRefine((service, ctx) => {
    const allowed = prefetchTokens[service.hook]
    if (!allowed) {
      ctx.addIssue({ code: 'custom', message: `no prefetch token list for hook ${service.hook}` })
      return
    }
    for (const [key, template] of Object.entries(service.prefetch ?? {})) {
      if (/^[a-z]+:/i.test(template) || template.startsWith('/')) {
        ctx.addIssue({
          code: 'custom',
          path: ['prefetch', key],
          message: 'must be a relative FHIR URL',
        })
      }
      for (const [, token] of template.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
        const field = token?.startsWith('context.') ? token.slice('context.'.length) : undefined
        const ok = field ? allowed.includes(field) : userTokens.includes(token ?? '')
        if (!ok)
          ctx.addIssue({
            code: 'custom',
            path: ['prefetch', key],
            message: `token {{${token}}} is not allowed`,
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

/**
 * @module test/support/ehr
 * Plays the EHR's part for integration tests: fills a service's prefetch templates from the
 * request context and reads them from the FHIR server, as a CDS client would before calling.
 */
import { loadServices } from '../../src/discovery'
import { fillTemplate } from '../../src/prefetch'

export async function prefetchAsEhr(
  serviceId: string,
  context: Record<string, unknown>,
  fhirBase: string
): Promise<Record<string, unknown>> {
  const service = loadServices('imaging-study-complete').find((s) => s.id === serviceId)
  if (!service) throw new Error(`no service ${serviceId}`)
  const entries = await Promise.all(
    Object.entries(service.prefetch ?? {}).map(async ([key, template]) => {
      const url = fillTemplate(template, context)
      if (!url) return undefined
      const res = await fetch(`${fhirBase}/${url}`)
      return [key, res.status === 404 ? null : await res.json()] as const
    })
  )
  return Object.fromEntries(entries.filter((e) => e !== undefined))
}

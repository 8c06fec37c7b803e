/**
 * @module test/worker/fhir-mock
 * A tiny FHIR R4 server over fixture resources, for the Worker tests' outbound service: reads by
 * `Type/id` and searches with the parameters our prefetch templates use (`patient`, `category`,
 * `code`, `status`, `_count`, `_sort=-date`). It also evaluates the discovery templates, so the
 * prefetch a test sends is exactly what the same server would have answered.
 */
import type { Bundle, FhirResource, Resource } from 'fhir/r4'

type Loose = Record<string, unknown>
type Coded = { coding?: { system?: string; code?: string }[] }

export interface FhirStore {
  /** The answer to a GET on `url` (absolute, under the store's base), as status and JSON body. */
  get(url: string): { status: number; body: unknown }
  /** Fills a prefetch template from `context` and answers it (null when nothing is found). */
  prefetch(template: string, context: Record<string, string>): FhirResource | null
}

export function createFhirStore(resources: Resource[], base: string): FhirStore {
  // Loose records: the filters read fields that only some resource types have.
  const byRef = new Map(resources.map((r) => [`${r.resourceType}/${r.id}`, r as unknown as Loose]))

  function search(type: string, params: URLSearchParams): Bundle {
    let found = [...byRef.values()].filter((r) => r.resourceType === type)
    for (const [name, value] of params) {
      const values = value.split(',')
      if (name === 'patient') {
        const ref = value.startsWith('Patient/') ? value : `Patient/${value}`
        found = found.filter((r) => refOf(r.subject) === ref)
      } else if (name === 'category') {
        found = found.filter((r) => codings(r.category).some((c) => matches(c, values)))
      } else if (name === 'code') {
        found = found.filter((r) => codings(r.code).some((c) => matches(c, values)))
      } else if (name === 'status') {
        found = found.filter((r) => values.includes(String(r.status)))
      } else if (name === '_sort' && value === '-date') {
        found.sort((a, b) => dateOf(b).localeCompare(dateOf(a)))
      }
    }
    const count = params.get('_count')
    if (count !== null) found = found.slice(0, Number(count))
    return {
      resourceType: 'Bundle',
      type: 'searchset',
      total: found.length,
      ...(found.length > 0
        ? {
            entry: found.map((resource) => ({
              fullUrl: `${base}/${String(resource.resourceType)}/${String(resource.id)}`,
              resource: resource as unknown as FhirResource,
            })),
          }
        : {}),
    }
  }

  function answer(relative: string): { status: number; body: unknown } {
    const [path = '', query = ''] = relative.split('?')
    const parts = path.split('/').filter(Boolean)
    if (parts.length === 2) {
      const found = byRef.get(parts.join('/'))
      return found
        ? { status: 200, body: found }
        : { status: 404, body: outcome('not-found', `${parts.join('/')} is not known`) }
    }
    if (parts.length === 1)
      return { status: 200, body: search(parts[0]!, new URLSearchParams(query)) }
    return { status: 400, body: outcome('not-supported', `unsupported path ${path}`) }
  }

  return {
    get(url) {
      if (!url.startsWith(`${base}/`))
        return { status: 404, body: outcome('not-found', 'outside base') }
      return answer(url.slice(base.length + 1))
    },
    prefetch(template, context) {
      const filled = template.replace(/\{\{\s*context\.(\w+)\s*\}\}/g, (_, k: string) => {
        const value = context[k]
        if (value === undefined) throw new Error(`no context.${k} for ${template}`)
        return value
      })
      const { status, body } = answer(filled)
      if (status === 404) return null
      return body as FhirResource
    },
  }
}

const refOf = (value: unknown) => (value as { reference?: string } | undefined)?.reference

function codings(value: unknown): { system?: string; code?: string }[] {
  const concepts = (Array.isArray(value) ? value : value ? [value] : []) as Coded[]
  return concepts.flatMap((c) => c.coding ?? [])
}

/** `code` or `system|code`, as FHIR token search parameters match. */
function matches(coding: { system?: string; code?: string }, values: string[]): boolean {
  return values.some((v) => {
    const bar = v.indexOf('|')
    if (bar < 0) return coding.code === v
    return coding.system === v.slice(0, bar) && coding.code === v.slice(bar + 1)
  })
}

function dateOf(r: Loose): string {
  return String(r.effectiveDateTime ?? r.issued ?? r.authoredOn ?? r.started ?? '')
}

function outcome(code: string, diagnostics: string) {
  return {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code, diagnostics }],
  }
}

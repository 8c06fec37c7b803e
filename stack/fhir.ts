/**
 * @module stack/fhir
 * The few FHIR REST interactions the stack's tools need, over `stack/http`: search by token,
 * create-or-update by business identifier (a rerun updates, never duplicates; an equal resource is
 * left alone so a second run changes nothing), and transactions.
 */
import type { Bundle, FhirResource, Identifier, OperationOutcome } from 'fhir/r4'
import type { HttpClient } from './http'

const FHIR_JSON = 'application/fhir+json'

/** `system|value`, URL-encoded, for a token search parameter. */
export const tokenParam = (identifier: Identifier) =>
  encodeURIComponent(`${identifier.system ?? ''}|${identifier.value ?? ''}`)

/** Every resource a search returns (first page: identifier searches match one or a few). */
export async function search<T extends FhirResource>(
  fhir: HttpClient,
  type: T['resourceType'],
  query: string
): Promise<T[]> {
  const { json } = await fhir.request('GET', `${type}?${query}`, { headers: { accept: FHIR_JSON } })
  const bundle = json as Bundle
  return (bundle?.entry ?? [])
    .filter((e) => e.search?.mode !== 'include' && e.resource?.resourceType === type)
    .map((e) => e.resource as T)
}

export type UpsertOutcome = 'created' | 'updated' | 'unchanged'

/**
 * Makes the server hold `resource` under its identifier: creates it (conditionally, so a racing
 * twin cannot duplicate it), updates the one match when its content differs, or leaves it alone.
 * @throws Error when more than one resource carries the identifier (a data problem to fix by hand)
 */
export async function upsertByIdentifier<T extends FhirResource>(
  fhir: HttpClient,
  resource: T,
  identifier: Identifier
): Promise<{ id: string; outcome: UpsertOutcome }> {
  const type = resource.resourceType
  const matches = await search<T>(fhir, type, `identifier=${tokenParam(identifier)}`)
  if (matches.length > 1) {
    throw new Error(
      `${matches.length} ${type} resources carry identifier ${identifier.system}|${identifier.value}; expected at most one`
    )
  }
  const existing = matches[0]
  if (existing?.id) {
    // Fields another system added (basedOn from the RIS, say) are kept; ours are replaced.
    const { meta: _meta, text: _text, ...kept } = existing as T & { meta?: unknown; text?: unknown }
    const next = { ...kept, ...resource, id: existing.id } as T
    if (sameContent(existing, next)) return { id: existing.id, outcome: 'unchanged' }
    await fhir.request('PUT', `${type}/${encodeURIComponent(existing.id)}`, {
      body: JSON.stringify(next),
      headers: { 'content-type': FHIR_JSON, accept: FHIR_JSON },
    })
    return { id: existing.id, outcome: 'updated' }
  }
  const { json } = await fhir.request('POST', type, {
    body: JSON.stringify(resource),
    headers: {
      'content-type': FHIR_JSON,
      accept: FHIR_JSON,
      'if-none-exist': `identifier=${tokenParam(identifier)}`,
    },
  })
  const id = (json as FhirResource | undefined)?.id
  if (!id) throw new Error(`The FHIR server created a ${type} but returned no id`)
  return { id, outcome: 'created' }
}

/** Posts a transaction Bundle; the server applies all of it or none of it. */
export async function transaction(fhir: HttpClient, bundle: Bundle): Promise<Bundle> {
  const { json } = await fhir.request('POST', '', {
    body: JSON.stringify(bundle),
    headers: { 'content-type': FHIR_JSON, accept: FHIR_JSON },
  })
  const result = json as Bundle | OperationOutcome | undefined
  if (result?.resourceType !== 'Bundle') {
    throw new Error('The FHIR server did not answer the transaction with a Bundle')
  }
  return result
}

/** Equal ignoring what the server adds (meta, text). */
export function sameContent(a: FhirResource, b: FhirResource): boolean {
  return canonical(strip(a)) === canonical(strip(b))
}

function strip(resource: FhirResource): Record<string, unknown> {
  const {
    meta: _meta,
    text: _text,
    ...rest
  } = resource as FhirResource & {
    meta?: unknown
    text?: unknown
  }
  return rest
}

/** JSON with object keys sorted, so key order never reads as a change. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))
        )
      : v
  )
}

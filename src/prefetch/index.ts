/**
 * @module prefetch
 * Gathers the FHIR data a hook needs (CDS Hooks 2.0 §prefetch): use what the client sent; a
 * missing key or an OperationOutcome value is not satisfied and is fetched from `fhirServer`;
 * `null` or an empty searchset means "looked, found nothing" and is not fetched again. Missing
 * pages are followed, up to {@link MAX_PAGES_PER_KEY}, except for a template limited with
 * `_count`, which asks for the first page only. Fetches run in parallel. What stays missing is reported, so the caller can
 * answer 412 when a required key could not be had either way. Every value is shape-checked
 * (src/fhir/shape.ts), and a key holding more than {@link MAX_RESOURCES_PER_KEY} resources is
 * refused rather than assessed: the card builders' work grows faster than the data.
 */
import type { Bundle, FhirResource } from 'fhir/r4'
import { isOperationOutcome } from '../protocol/outcome'
import { FhirRequestError, nextLink, type FhirClient } from '../fhir/client'
import { sanitizeResource, type ShapeReport } from '../fhir/shape'

/** A key's value: a resource or Bundle, `null` when known to be absent. */
export type PrefetchValue = FhirResource | null

export interface GatherInput {
  templates: Record<string, string>
  context: Record<string, unknown>
  prefetch: Record<string, unknown> | undefined
  /** Absent when the service may not call the client's FHIR server. */
  fhir: FhirClient | undefined
  /** Tallies what the shape check left out of the prefetch values. */
  shapeReport?: ShapeReport
}

export interface GatherResult {
  data: Record<string, PrefetchValue>
  /** Keys that could not be had, with why (for logs and the 412 message). */
  missing: Record<string, string>
  /** How each key was satisfied (for the log line: prefetch hit or miss). */
  sources: Record<string, 'prefetch' | 'fetched' | 'missing'>
}

const tokenPattern =
  /\{\{\s*(context\.[A-Za-z0-9_]+|user(?:Practitioner|PractitionerRole|Patient|RelatedPerson)Id)\s*\}\}/g

/**
 * Fills a prefetch template's tokens from the context. Returns undefined when a token has no
 * value (such a template cannot be fetched, as the spec says clients skip them too).
 */
export function fillTemplate(
  template: string,
  context: Record<string, unknown>
): string | undefined {
  let unresolved = false
  const url = template.replace(tokenPattern, (_match, token: string) => {
    const value = tokenValue(token, context)
    if (value === undefined) unresolved = true
    return value === undefined ? '' : encodeURIComponent(value)
  })
  return unresolved ? undefined : url
}

function tokenValue(token: string, context: Record<string, unknown>): string | undefined {
  if (token.startsWith('context.')) {
    const value = context[token.slice('context.'.length)]
    return typeof value === 'string' && value !== ''
      ? value
      : typeof value === 'number'
        ? String(value)
        : undefined
  }
  // user tokens come from context.userId, e.g. {{userPractitionerId}} from "Practitioner/123"
  const type = token.slice('user'.length, -'Id'.length)
  const userId = context.userId
  if (typeof userId !== 'string') return undefined
  const [refType, id] = userId.split('/')
  return refType === type && id ? id : undefined
}

/** Gathers every key of `templates`, in parallel; never throws for FHIR failures. */
export async function gatherPrefetch(input: GatherInput): Promise<GatherResult> {
  const result: GatherResult = { data: {}, missing: {}, sources: {} }
  const sent = input.prefetch ?? {}
  await Promise.all(
    Object.entries(input.templates).map(async ([key, template]) => {
      const outcome = await gatherKey(key, template, sent, input)
      if ('value' in outcome) {
        result.data[key] = outcome.value
        result.sources[key] = outcome.source
      } else {
        result.missing[key] = outcome.reason
        result.sources[key] = 'missing'
      }
    })
  )
  return result
}

type KeyOutcome = { value: PrefetchValue; source: 'prefetch' | 'fetched' } | { reason: string }

/**
 * Most resources one prefetch key may hold, pages included. Far above one patient's imaging
 * history, and low enough that assessing it stays well inside the time budget.
 */
export const MAX_RESOURCES_PER_KEY = 1000

/** Only a FhirRequestError's message is known to be safe to show; anything else is a bug. */
const why = (err: unknown) =>
  err instanceof FhirRequestError ? err.message : 'unexpected error reading the FHIR server'

/**
 * Most pages read for one key, the first included. A key with pages left after them is not
 * satisfied (like one with too many resources): assessing part of the data could hide a finding.
 */
export const MAX_PAGES_PER_KEY = 20

/**
 * A template that limits its search with `_count` (the latest smoking status: `_count=1`) asks
 * for the first page only: its `next` links are not followed.
 */
export const firstPageOnly = (template: string) => /[?&]_count=/.test(template)

/** A key's whole search, every page read, or why it could not be. */
async function allPages(
  fhir: FhirClient,
  first: Bundle,
  source: 'prefetch' | 'fetched'
): Promise<KeyOutcome> {
  const whole = await fhir.allPages(first, {
    maxEntries: MAX_RESOURCES_PER_KEY,
    maxPages: MAX_PAGES_PER_KEY,
  })
  const outcome = bounded(whole, source)
  if ('value' in outcome && nextLink(whole))
    return { reason: `more than ${MAX_PAGES_PER_KEY} pages, too many to read` }
  return outcome
}

/** The outcome for a value, unless it holds more resources than one key may. */
function bounded(value: PrefetchValue, source: 'prefetch' | 'fetched'): KeyOutcome {
  const count = value?.resourceType === 'Bundle' ? (value.entry?.length ?? 0) : 0
  if (count > MAX_RESOURCES_PER_KEY) {
    return { reason: `more than ${MAX_RESOURCES_PER_KEY} resources, too many to assess` }
  }
  return { value, source }
}

async function gatherKey(
  key: string,
  template: string,
  sent: Record<string, unknown>,
  input: GatherInput
): Promise<KeyOutcome> {
  const raw = Object.hasOwn(sent, key) ? sent[key] : undefined
  if (raw === null) return { value: null, source: 'prefetch' }
  const value = sanitizeResource(raw, input.shapeReport)
  if (value && !isOperationOutcome(value)) {
    if (value.resourceType === 'Bundle' && nextLink(value) && !firstPageOnly(template)) {
      // first page is better than none
      if (!input.fhir) return bounded(value, 'prefetch')
      try {
        return await allPages(input.fhir, value, 'prefetch')
      } catch (err) {
        return { reason: `further pages of prefetch "${key}" failed: ${why(err)}` }
      }
    }
    return bounded(value, 'prefetch')
  }
  if (!input.fhir) {
    if (raw === undefined) return { reason: 'not in prefetch' }
    return {
      reason: value ? 'prefetch held an OperationOutcome' : 'prefetch held no FHIR resource',
    }
  }
  const url = fillTemplate(template, input.context)
  if (url === undefined) return { reason: 'template needs a context value the request lacks' }
  try {
    const fetched = await input.fhir.get(url)
    if (fetched.resourceType === 'Bundle')
      return firstPageOnly(template)
        ? bounded(fetched, 'fetched')
        : await allPages(input.fhir, fetched, 'fetched')
    if (isOperationOutcome(fetched))
      return { reason: 'FHIR server answered with an OperationOutcome' }
    return { value: fetched, source: 'fetched' }
  } catch (err) {
    // A read that finds nothing is an answer: the resource does not exist.
    if (
      (err as { status?: number }).status === 404 ||
      (err as { status?: number }).status === 410
    ) {
      return { value: null, source: 'fetched' }
    }
    return { reason: why(err) }
  }
}

/** The resources of a Bundle (or the resource itself), skipping OperationOutcome entries. */
export function resourcesOf(value: PrefetchValue | undefined): FhirResource[] {
  if (!value) return []
  if (value.resourceType !== 'Bundle') return [value]
  return ((value as Bundle).entry ?? [])
    .map((e) => e.resource)
    .filter((r): r is FhirResource => !!r && !isOperationOutcome(r))
}

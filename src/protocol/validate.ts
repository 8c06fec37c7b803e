/**
 * @module protocol/validate
 * Checks a whole CDS Hooks body — discovery, service response, feedback request or an error's
 * OperationOutcome — against the schemas in `cds-schemas.ts` plus J2 (no `null` and no empty
 * `""`, `[]`, `{}` anywhere), and reports every problem as `"path: message"` in one pass.
 * Tests run it over every response; it has no Node dependencies, so it also runs on Workers.
 */
import * as z from 'zod'
import { listIssues } from './request'
import {
  CdsResponseSchema,
  DiscoveryResponseSchema,
  FeedbackAnswerSchema,
  FeedbackRequestSchema,
  FeedbackSchema,
  MAX_FEEDBACK_ID,
  OperationOutcomeSchema,
  type CdsResponseBody,
  type FeedbackEntry,
  type DiscoveryBody,
} from './cds-schemas'

export type ValidationResult = { ok: true } | { ok: false; errors: string[] }

type Path = readonly PropertyKey[]
interface Problem {
  path: Path
  message: string
}

/** `cards[0].suggestions[1].label`, `extension["org.example.x"]`; `$` for the body itself. */
export function formatPath(path: Path): string {
  let out = ''
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`
    else if (typeof segment === 'string' && /^[A-Za-z_$][\w$]*$/.test(segment))
      out += out ? `.${segment}` : segment
    else out += `[${JSON.stringify(String(segment))}]`
  }
  return out || '$'
}

/**
 * J2: lists every `null`, `""`, `[]` and `{}` in a body (and `undefined`, which a body built in
 * code may hold before it is serialised). The one "no empty values" check: the response
 * validator, the order-select update and the test helpers use it. `allowEmptyTopLevel` names the
 * top-level members the spec lets be empty (`cards: []`, `services: []`).
 */
export function findEmptyValues(
  body: unknown,
  allowEmptyTopLevel: readonly string[] = []
): Problem[] {
  const found: Problem[] = []
  const walk = (value: unknown, path: PropertyKey[]) => {
    const allowed = path.length === 1 && allowEmptyTopLevel.includes(path[0] as string)
    if (value === null) found.push({ path, message: 'null is not allowed; omit the field (J2)' })
    else if (value === undefined)
      found.push({ path, message: 'undefined is not allowed; omit the field (J2)' })
    else if (value === '') found.push({ path, message: 'empty string is not allowed (J2)' })
    else if (Array.isArray(value)) {
      if (value.length === 0 && !allowed)
        found.push({ path, message: 'empty array is not allowed; omit the field (J2)' })
      value.forEach((item, i) => walk(item, [...path, i]))
    } else if (typeof value === 'object') {
      const entries = Object.entries(value)
      if (entries.length === 0)
        found.push({ path, message: 'empty object is not allowed; omit the field (J2)' })
      for (const [key, child] of entries) walk(child, [...path, key])
    }
  }
  walk(body, [])
  return found
}

const samePath = (a: Path, b: Path) => a.length === b.length && a.every((s, i) => s === b[i])

/** Friendlier wording for zod's defaults: a missing member is "required", not "received undefined". */
const errorMap = (iss: { code?: string; input?: unknown }) =>
  (iss.code === 'invalid_type' || iss.code === 'invalid_value') && iss.input === undefined
    ? 'required'
    : undefined

function run(
  schema: z.ZodType,
  body: unknown,
  options: { j2: boolean; allowEmptyTopLevel?: readonly string[]; at?: Path }
): ValidationResult {
  const empties = options.j2 ? findEmptyValues(body, options.allowEmptyTopLevel) : []
  const parsed = schema.safeParse(body, { error: errorMap })
  const problems: Problem[] = parsed.success
    ? []
    : parsed.error.issues
        // The J2 message says more than zod's "expected string, received null" at the same path.
        .filter((i) => !empties.some((e) => samePath(e.path, i.path)))
        .map((i) => ({ path: i.path, message: i.message }))
  problems.push(...empties)
  if (problems.length === 0) return { ok: true }
  const at = options.at ?? []
  const errors = [
    ...new Set(problems.map((p) => `${formatPath([...at, ...p.path])}: ${p.message}`)),
  ]
  return { ok: false, errors }
}

/** A service response (§2.5–2.7) including the project's order rules and J2. */
export function validateCdsResponse(body: unknown): ValidationResult {
  return run(CdsResponseSchema, body, { j2: true, allowEmptyTopLevel: ['cards'] })
}

/** A discovery response (§2.2, §2.4) and J2. */
export function validateDiscovery(body: unknown): ValidationResult {
  return run(DiscoveryResponseSchema, body, { j2: true, allowEmptyTopLevel: ['services'] })
}

/**
 * A feedback request body (§2.8). J2 is not applied: clients send it, and the service should be
 * liberal about what it accepts (J3); the fields it relies on are still checked.
 */
export function validateFeedbackRequest(body: unknown): ValidationResult {
  return run(FeedbackRequestSchema, body, { j2: false })
}

/** A feedback entry the service refused: its index in `feedback`, its card when named, and why. */
export interface RefusedFeedback {
  index: number
  card?: string
  reason: string
}

/** Feedback entries accepted in one call: one per card of a response, a handful in practice. */
export const MAX_FEEDBACK_ENTRIES = 1000
/**
 * JSON values (objects, arrays, strings, numbers...) accepted in one feedback body, counted before
 * any validation: an entry is about a dozen, so this leaves room for every entry at its largest
 * while a body of millions of tiny nested values (issue 14: 3.6 MB cost 1.1 s) costs one pass.
 */
export const MAX_FEEDBACK_VALUES = 50_000

/**
 * Counts the JSON values in `value`, stopping once `limit` is passed (so the answer is at most
 * `limit + 1`). Iterative: nesting depth costs no stack.
 */
export function countJsonValues(value: unknown, limit: number): number {
  let count = 0
  const pending: unknown[] = [value]
  while (pending.length > 0 && count <= limit) {
    const next = pending.pop()
    count++
    if (Array.isArray(next)) for (const item of next) pending.push(item)
    else if (typeof next === 'object' && next !== null)
      for (const key in next) pending.push((next as Record<string, unknown>)[key])
  }
  return count
}

/**
 * The size limits of a feedback body, checked before validation (so their cost is one bounded
 * pass): `undefined` when within them, else why not.
 */
export function feedbackTooLarge(body: unknown): string | undefined {
  const entries = (body as { feedback?: unknown } | null)?.feedback
  if (Array.isArray(entries) && entries.length > MAX_FEEDBACK_ENTRIES)
    return `at most ${MAX_FEEDBACK_ENTRIES} entries in one call`
  if (countJsonValues(body, MAX_FEEDBACK_VALUES) > MAX_FEEDBACK_VALUES)
    return `at most ${MAX_FEEDBACK_VALUES} JSON values in one call`
  return undefined
}

const FeedbackEnvelopeSchema = z.looseObject({
  feedback: z.array(z.unknown()).min(1, 'must contain at least one feedback entry'),
})

/**
 * Checks a feedback request entry by entry (§2.8): the body must be `{ "feedback": [...] }` with
 * at least one entry (else `ok: false`); then each entry is checked alone, so one malformed entry
 * does not cost the others theirs. `reason` lists the entry's problems with their paths
 * (`feedback[1].outcomeTimestamp: ...`), at most {@link MAX_LISTED_ISSUES} of them.
 */
export function checkFeedbackEntries(
  body: unknown
):
  | { ok: false; errors: string[] }
  | { ok: true; valid: { index: number; entry: FeedbackEntry }[]; refused: RefusedFeedback[] } {
  const envelope = run(FeedbackEnvelopeSchema, body, { j2: false })
  if (!envelope.ok) return envelope
  const valid: { index: number; entry: FeedbackEntry }[] = []
  const refused: RefusedFeedback[] = []
  ;(body as { feedback: unknown[] }).feedback.forEach((entry, index) => {
    const parsed = FeedbackSchema.safeParse(entry)
    if (parsed.success) {
      valid.push({ index, entry: parsed.data })
    } else {
      // Worded like every other validation error (paths, J2 messages).
      const checked = run(FeedbackSchema, entry, { j2: false, at: ['feedback', index] })
      const card = (entry as { card?: unknown } | null)?.card
      refused.push({
        index,
        // Echoed only when it could be a card id: the answer must not repeat a huge string.
        ...(typeof card === 'string' && card.trim() !== '' && card.length <= MAX_FEEDBACK_ID
          ? { card }
          : {}),
        reason: checked.ok ? 'invalid feedback entry' : listIssues(checked.errors),
      })
    }
  })
  return { ok: true, valid, refused }
}

/** Our answer to a feedback request: `{}` or the refused entries (F4 leaves it to us). */
export function validateFeedbackAnswer(body: unknown): ValidationResult {
  return run(FeedbackAnswerSchema, body, { j2: false })
}

/** The OperationOutcome body of a non-2xx response (§2.11), with J2 (it is our output). */
export function validateOperationOutcome(body: unknown): ValidationResult {
  return run(OperationOutcomeSchema, body, { j2: true })
}

function assertOk(what: string, result: ValidationResult) {
  if (!result.ok) {
    const count = result.errors.length
    throw new Error(
      `Invalid ${what} (${count} error${count === 1 ? '' : 's'}):\n  ${result.errors.join('\n  ')}`
    )
  }
}

/** Throws an Error listing every problem unless `body` is a valid service response. */
export function assertValidCdsResponse(body: unknown): asserts body is CdsResponseBody {
  assertOk('CDS Hooks service response', validateCdsResponse(body))
}

/** Throws an Error listing every problem unless `body` is a valid discovery response. */
export function assertValidDiscovery(body: unknown): asserts body is DiscoveryBody {
  assertOk('CDS Hooks discovery response', validateDiscovery(body))
}

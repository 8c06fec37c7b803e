/**
 * @module protocol/cds-schemas
 * zod schemas for the CDS Hooks 2.0 JSON this service sends (discovery, service responses, error
 * bodies) and receives (feedback), with the spec's conditional rules and the project's order
 * policies as refinements. IDs in messages (D3, cds-resp-6, ...) point at
 * the CDS Hooks 2.0 specification (https://cds-hooks.hl7.org/2.0/) and docs/conformance.md. The J2 "no null / empty values" walk lives in `validate.ts`.
 *
 * Objects we produce are strict, so a misspelt field fails here instead of being silently ignored
 * by an EHR; `extension` (§2.12) is allowed on each of them. Bodies clients send (feedback) and
 * FHIR resources are loose (J3).
 */
import * as z from 'zod'
import type { FhirResource } from 'fhir/r4'

type Json = Record<string, unknown>
type Ctx = z.RefinementCtx

/**
 * Cross-field refinements run even when sibling fields failed, so one pass reports every problem;
 * the value may therefore be malformed and is read defensively.
 */
const always = { when: () => true }

const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** Wraps a cross-field check so it only sees objects (with `always`, it may be handed anything). */
const onRecord =
  (check: (value: Json, ctx: Ctx) => void) =>
  (value: unknown, ctx: Ctx): void => {
    if (isRecord(value)) check(value, ctx)
  }

const issue = (ctx: Ctx, path: PropertyKey[], message: string, input?: unknown) =>
  ctx.addIssue({ code: 'custom', path, message, input })

// ---------------------------------------------------------------------------------------------
// Primitives

const nonEmpty = z.string().min(1, 'must not be an empty string')

const isAbsoluteHttpUrl = (value: string) => {
  try {
    const url = new URL(value)
    return url.protocol === 'https:' || url.protocol === 'http:'
  } catch {
    return false
  }
}

/** Absolute http(s) URL (source.url, source.icon, link.url). */
export const AbsoluteUrlSchema = z
  .string()
  .refine(isAbsoluteHttpUrl, 'must be an absolute http(s) URL')

/** Card and suggestion ids are real UUIDs so feedback can be matched (3.0 types them `uuid`). */
export const UuidSchema = z
  .string()
  .regex(
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
    'must be a UUID (8-4-4-4-12 hex digits, no urn:uuid: prefix)'
  )

/** A URI with a scheme: Coding.system is `http://loinc.org`, `urn:oid:...` and the like. */
const uri = z.string().regex(/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/, 'must be an absolute URI')

/** FHIR relative reference `Type/id` (FHIR ids: 1-64 of A-Z a-z 0-9 - .). */
export const RelativeReferenceSchema = z
  .string()
  .regex(/^[A-Z][A-Za-z]+\/[A-Za-z0-9.-]{1,64}$/, 'must be a relative reference Type/id')

/** §2.12: the reserved `extension` member is a JSON object (keys SHOULD be reverse-domain). */
export const ExtensionSchema = z.record(z.string(), z.unknown())

const RFC3339_UTC = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|\+00:00)$/

/**
 * RFC 3339 §5.6 date-time in UTC (`Z`, or the equivalent `+00:00`; `-00:00` means "offset
 * unknown" in RFC 3339 and is refused). Seconds are mandatory, unlike ISO 8601 shorthand.
 */
export const UtcTimestampSchema = z.string().refine((value) => {
  const m = RFC3339_UTC.exec(value)
  if (!m) return false
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as number[]
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate()
  return (
    month! >= 1 &&
    month! <= 12 &&
    day! >= 1 &&
    day! <= daysInMonth &&
    hour! <= 23 &&
    minute! <= 59 &&
    second! <= 60 // 60 = leap second, allowed by RFC 3339
  )
}, 'must be an RFC 3339 date-time in UTC, e.g. 2021-12-11T10:05:31Z')

// ---------------------------------------------------------------------------------------------
// Shared structures (§2.7)

/** Coding: `system` and `code` required, `display` optional (REQUIRED in overrideReasons). */
export const CodingSchema = z.strictObject({
  system: uri,
  code: nonEmpty,
  display: nonEmpty.optional(),
})

/** An override reason must carry a `display`: clients show it in the dismiss list (§2.6). */
export const OverrideReasonCodingSchema = z.strictObject({
  system: uri,
  code: nonEmpty,
  display: nonEmpty,
})

export const SourceSchema = z.strictObject({
  label: nonEmpty,
  url: AbsoluteUrlSchema.optional(),
  icon: AbsoluteUrlSchema.optional(),
  topic: CodingSchema.optional(),
  extension: ExtensionSchema.optional(),
})

/**
 * A FHIR resource inside an action: only `resourceType` is checked here, the rest is FHIR's, so
 * its type is `@types/fhir`'s (what the card builders put there).
 */
export const FhirResourceSchema = z
  .custom<FhirResource>(isRecord, 'must be a FHIR resource (a JSON object)')
  .superRefine((resource, ctx) => {
    const type: unknown = resource.resourceType
    if (typeof type !== 'string' || !/^[A-Z][A-Za-z]+$/.test(type))
      ctx.addIssue({
        code: 'custom',
        path: ['resourceType'],
        message: type === undefined ? 'required' : 'must be a FHIR resource type',
      })
  })

const SERVICE_REQUEST_STATUS = [
  'draft',
  'active',
  'on-hold',
  'revoked',
  'completed',
  'entered-in-error',
  'unknown',
]
const SERVICE_REQUEST_INTENT = [
  'proposal',
  'plan',
  'directive',
  'order',
  'original-order',
  'reflex-order',
  'filler-order',
  'instance-order',
  'option',
]
const LOINC_SYSTEMS = new Set(['http://loinc.org', 'urn:oid:2.16.840.1.113883.6.1'])
/** "XR Chest 2 Views": published examples misuse it for chest CT (LOINC 36643-5 is a chest X-ray code; docs/clinical-rules.md). */
const CHEST_XRAY_LOINC = '36643-5'

/** Finds every LOINC 36643-5 coding in a resource (or a coding without a system using it). */
function findChestXrayCodings(value: unknown, path: PropertyKey[], found: PropertyKey[][]) {
  if (Array.isArray(value)) {
    value.forEach((item, i) => findChestXrayCodings(item, [...path, i], found))
  } else if (isRecord(value)) {
    if (
      value.code === CHEST_XRAY_LOINC &&
      (value.system === undefined || LOINC_SYSTEMS.has(value.system as string))
    ) {
      found.push([...path, 'code'])
    }
    for (const [key, child] of Object.entries(value))
      findChestXrayCodings(child, [...path, key], found)
  }
}

/** Order rules: a ServiceRequest we suggest must be complete enough to sign, and coded right. */
function checkServiceRequest(resource: Json, ctx: Ctx) {
  const at = (...rest: PropertyKey[]) => ['resource', ...rest]
  if (resource.status === undefined) issue(ctx, at('status'), 'required on a ServiceRequest')
  else if (!SERVICE_REQUEST_STATUS.includes(resource.status as string))
    issue(ctx, at('status'), `must be one of ${SERVICE_REQUEST_STATUS.join('|')}`, resource.status)
  if (resource.intent === undefined) issue(ctx, at('intent'), 'required on a ServiceRequest')
  else if (!SERVICE_REQUEST_INTENT.includes(resource.intent as string))
    issue(ctx, at('intent'), `must be one of ${SERVICE_REQUEST_INTENT.join('|')}`, resource.intent)
  const subject = resource.subject
  if (subject === undefined) issue(ctx, at('subject'), 'required on a ServiceRequest')
  else if (!isRecord(subject) || typeof subject.reference !== 'string' || !subject.reference)
    issue(ctx, at('subject', 'reference'), 'subject must be a Reference with a reference')
  const found: PropertyKey[][] = []
  findChestXrayCodings(resource, [], found)
  for (const path of found) {
    issue(
      ctx,
      at(...path),
      'LOINC 36643-5 is "XR Chest 2 Views" (a chest radiograph), not a chest CT; never order it ' +
        '(non-contrast chest CT is 29252-4)'
    )
  }
}

/**
 * Action (§2.7): `resource` for create/update (the whole resource), `resourceId` for delete.
 * Using `resource` to name a deleted resource is deprecated in 2.0, so it is refused here.
 */
export const ActionSchema = z
  .strictObject({
    type: z.enum(['create', 'update', 'delete']),
    description: nonEmpty,
    resource: FhirResourceSchema.optional(),
    resourceId: RelativeReferenceSchema.optional(),
    extension: ExtensionSchema.optional(),
  })
  .superRefine(
    onRecord((action, ctx) => {
      const { type, resource } = action
      if ((type === 'create' || type === 'update') && resource === undefined) {
        issue(
          ctx,
          ['resource'],
          `required for a ${type} action (a FHIR resource with resourceType)`
        )
      }
      if (type === 'update' && isRecord(resource) && resource.id === undefined) {
        issue(ctx, ['resource', 'id'], 'required for an update action (the resource to replace)')
      }
      if (type === 'delete') {
        if (action.resourceId === undefined)
          issue(ctx, ['resourceId'], 'required for a delete action (a relative reference Type/id)')
        if (resource !== undefined)
          issue(ctx, ['resource'], 'not allowed on a delete action (deprecated); use resourceId')
      }
      if (isRecord(resource) && resource.resourceType === 'ServiceRequest') {
        checkServiceRequest(resource, ctx)
      }
    }),
    always
  )

export const SuggestionSchema = z.strictObject({
  label: nonEmpty,
  uuid: UuidSchema.optional(),
  isRecommended: z.boolean().optional(),
  actions: z.array(ActionSchema).min(1, 'must not be empty; omit it instead').optional(),
  extension: ExtensionSchema.optional(),
})

/** Link (§2.7): `appContext` is only delivered through a SMART launch (cds-resp-3). */
export const LinkSchema = z
  .strictObject({
    label: nonEmpty,
    url: AbsoluteUrlSchema,
    type: z.enum(['absolute', 'smart']),
    appContext: nonEmpty.optional(),
    autolaunchable: z.boolean().optional(),
    extension: ExtensionSchema.optional(),
  })
  .superRefine(
    onRecord((link, ctx) => {
      const { type, appContext } = link
      if (appContext !== undefined && type !== 'smart') {
        issue(ctx, ['appContext'], 'only allowed on links of type smart (cds-resp-3)')
      }
    }),
    always
  )

/** "<140 characters" (§2.6), counted in code points, not UTF-16 units (an emoji counts once). */
const summary = z.string().superRefine((value, ctx) => {
  const length = [...value].length
  if (length === 0) ctx.addIssue({ code: 'custom', message: 'must not be an empty string' })
  else if (length >= 140)
    ctx.addIssue({ code: 'custom', message: `must be shorter than 140 characters (is ${length})` })
})

export const CardSchema = z
  .strictObject({
    uuid: UuidSchema.optional(),
    summary,
    detail: nonEmpty.optional(),
    indicator: z.enum(['info', 'warning', 'critical']),
    source: SourceSchema,
    suggestions: z.array(SuggestionSchema).min(1, 'must not be empty; omit it instead').optional(),
    selectionBehavior: z.enum(['at-most-one', 'any']).optional(),
    overrideReasons: z
      .array(OverrideReasonCodingSchema)
      .min(1, 'must not be empty; omit it instead')
      .optional(),
    links: z.array(LinkSchema).min(1, 'must not be empty; omit it instead').optional(),
    extension: ExtensionSchema.optional(),
  })
  .superRefine(
    onRecord((card, ctx) => {
      const { suggestions, selectionBehavior } = card
      if (!Array.isArray(suggestions)) return
      if (suggestions.length > 0 && selectionBehavior === undefined) {
        issue(ctx, ['selectionBehavior'], 'required when suggestions are present (cds-resp-6)')
      }
      // Several recommended suggestions only make sense when the user may pick several (cds-resp-1).
      if (selectionBehavior === 'any') return
      const recommended = suggestions.flatMap((s, i) =>
        isRecord(s) && s.isRecommended === true ? [i] : []
      )
      for (const i of recommended.slice(1)) {
        issue(
          ctx,
          ['suggestions', i, 'isRecommended'],
          `only one suggestion may be recommended unless selectionBehavior is any ` +
            `(suggestions[${recommended[0]}] already is; cds-resp-1)`
        )
      }
    }),
    always
  )

/** Card and suggestion uuids identify what feedback refers to, so they must not repeat. */
function checkUniqueUuids(cards: unknown, ctx: Ctx) {
  if (!Array.isArray(cards)) return
  const seen = new Map<string, string>()
  const see = (uuid: unknown, path: PropertyKey[], label: string) => {
    if (typeof uuid !== 'string') return
    const first = seen.get(uuid)
    if (first) issue(ctx, path, `duplicate uuid ${uuid} (already used by ${first})`)
    else seen.set(uuid, label)
  }
  cards.forEach((card, c) => {
    if (!isRecord(card)) return
    see(card.uuid, ['cards', c, 'uuid'], `cards[${c}]`)
    if (!Array.isArray(card.suggestions)) return
    card.suggestions.forEach((s, i) => {
      if (isRecord(s))
        see(s.uuid, ['cards', c, 'suggestions', i, 'uuid'], `cards[${c}].suggestions[${i}]`)
    })
  })
}

/** Service response (§2.5): `cards` is required and may be empty ("no guidance"). */
export const CdsResponseSchema = z
  .strictObject({
    cards: z.array(CardSchema),
    systemActions: z.array(ActionSchema).min(1, 'must not be empty; omit it instead').optional(),
    extension: ExtensionSchema.optional(),
  })
  .superRefine(
    onRecord((body, ctx) => checkUniqueUuids(body.cards, ctx)),
    always
  )

// ---------------------------------------------------------------------------------------------
// Discovery (§2.2, §2.4)

const USER_TOKENS = new Set([
  'userPractitionerId',
  'userPractitionerRoleId',
  'userPatientId',
  'userRelatedPersonId',
])

/**
 * Prefetch template (P1, P2): a relative FHIR read or search URL whose tokens are root-level
 * `{{context.x}}` fields or the four user tokens. FHIRPath tokens such as `{{today()}}` are 3.0
 * ballot material that 2.0 clients cannot resolve, so they are refused.
 */
export const PrefetchTemplateSchema = z.string().superRefine((template, ctx) => {
  const fail = (message: string) => ctx.addIssue({ code: 'custom', message, input: template })
  if (template.length === 0) return fail('must not be an empty string')
  if (/\s/.test(template)) fail('must not contain whitespace')
  if (!/^[A-Z][A-Za-z]+(?:[/?]|$)/.test(template))
    fail(
      'must be a relative FHIR URL starting with a resource type, e.g. Patient/{{context.patientId}}'
    )
  for (const [, token] of template.matchAll(/\{\{([^{}]*)\}\}/g)) {
    if (!/^context\.[A-Za-z][A-Za-z0-9_]*$/.test(token!) && !USER_TOKENS.has(token!)) {
      fail(
        `unsupported token {{${token}}}: use {{context.<root-level field>}} or ` +
          `{{userPractitionerId}}-style user tokens`
      )
    }
  }
  if (/[{}]/.test(template.replace(/\{\{[^{}]*\}\}/g, ''))) fail('has unbalanced {{ }} braces')
})

export const DiscoveryServiceSchema = z.strictObject({
  hook: z.string().regex(/^[A-Za-z0-9]+(?:[.-][A-Za-z0-9]+)*$/, 'must be a hook name (H1, H2)'),
  title: nonEmpty.optional(),
  description: nonEmpty,
  // The id is a path segment of the service URL, so only URL-safe characters.
  id: z.string().regex(/^[A-Za-z0-9._~-]+$/, 'must be a non-empty URL path segment'),
  prefetch: z.record(nonEmpty, PrefetchTemplateSchema).optional(),
  usageRequirements: nonEmpty.optional(),
  extension: ExtensionSchema.optional(),
  // 3.0 ballot fields (§2.16): harmless to 2.0 clients, so tolerated.
  version: nonEmpty.optional(),
  hookVersion: nonEmpty.optional(),
})

/** Discovery response (§2.2): `services` may be empty; an id may repeat only with another hook (D4). */
export const DiscoveryResponseSchema = z
  .strictObject({ services: z.array(DiscoveryServiceSchema) })
  .superRefine(
    onRecord((body, ctx) => {
      const services = body.services
      if (!Array.isArray(services)) return
      const seen = new Map<string, number>()
      services.forEach((s, i) => {
        if (!isRecord(s) || typeof s.id !== 'string' || typeof s.hook !== 'string') return
        const key = `${s.id}\u0000${s.hook}`
        const first = seen.get(key)
        if (first !== undefined)
          issue(
            ctx,
            ['services', i],
            `duplicate service id ${s.id} for hook ${s.hook} (services[${first}])`
          )
        else seen.set(key, i)
      })
    }),
    always
  )

// ---------------------------------------------------------------------------------------------
// Feedback (§2.8): sent by clients, so unknown members are tolerated (J3). Every string the
// service keeps or matches is bounded (issue 14: unbounded cards and reasons flooded the store and
// the logs); the bounds are far above what a real client sends.

/** Longest feedback `card` and suggestion `id`: ours are 36-character uuids. */
export const MAX_FEEDBACK_ID = 128
/** Longest override reason `code`, `system` and `display`. */
export const MAX_FEEDBACK_REASON = 1024
/** Longest `userComment` (never stored, only whether there is one). */
export const MAX_FEEDBACK_COMMENT = 10_000
/** Most accepted suggestions in one entry: a card offers a handful. */
export const MAX_ACCEPTED_SUGGESTIONS = 20

const atMost = (max: number) => ({ message: `must be at most ${max} characters` })
// Ids and codes are matched and stored, never shown as free text: a control character in one is
// junk (and a NUL is a value PostgreSQL refuses, which would stall the whole write).
// eslint-disable-next-line no-control-regex
const noControls = (value: string) => !/[\u0000-\u001f\u007f]/.test(value)
const withoutControls = { message: 'must not contain control characters' }
const feedbackId = nonEmpty
  .max(MAX_FEEDBACK_ID, atMost(MAX_FEEDBACK_ID))
  .refine(noControls, withoutControls)
const reasonText = nonEmpty
  .max(MAX_FEEDBACK_REASON, atMost(MAX_FEEDBACK_REASON))
  .refine(noControls, withoutControls)

export const OverrideReasonSchema = z
  .looseObject({
    // The sandbox drops `display` when it echoes the chosen reason (§3.7).
    reason: z
      .looseObject({
        system: z
          .string()
          .max(MAX_FEEDBACK_REASON, atMost(MAX_FEEDBACK_REASON))
          .refine(noControls, withoutControls)
          .pipe(uri),
        code: reasonText,
        display: reasonText.optional(),
      })
      .optional(),
    // Never stored, only whether there is one: an empty comment is no comment, not an error.
    userComment: z.string().max(MAX_FEEDBACK_COMMENT, atMost(MAX_FEEDBACK_COMMENT)).optional(),
  })
  .superRefine(
    onRecord((value, ctx) => {
      const { reason, userComment } = value
      if (reason === undefined && userComment === undefined)
        issue(ctx, [], 'needs a reason, a userComment or both (cds-fb-3)')
    }),
    always
  )

export const FeedbackSchema = z
  .looseObject({
    card: feedbackId,
    outcome: z.enum(['accepted', 'overridden']),
    acceptedSuggestions: z
      .array(z.looseObject({ id: feedbackId }))
      .max(MAX_ACCEPTED_SUGGESTIONS, `must list at most ${MAX_ACCEPTED_SUGGESTIONS} suggestions`)
      .optional(),
    overrideReason: OverrideReasonSchema.optional(),
    outcomeTimestamp: UtcTimestampSchema,
  })
  .superRefine(
    onRecord((fb, ctx) => {
      const { outcome, acceptedSuggestions, overrideReason } = fb
      const accepted = Array.isArray(acceptedSuggestions) ? acceptedSuggestions.length : 0
      if (outcome === 'accepted' && acceptedSuggestions === undefined)
        issue(ctx, ['acceptedSuggestions'], 'required when outcome is accepted (cds-fb-2)')
      else if (outcome === 'accepted' && Array.isArray(acceptedSuggestions) && accepted === 0)
        issue(ctx, ['acceptedSuggestions'], 'must list at least one accepted suggestion')
      // Contradictory reports would skew the acceptance metrics, so they are refused; an empty
      // list on an override says nothing was accepted, which is so.
      if (outcome === 'overridden' && accepted > 0)
        issue(ctx, ['acceptedSuggestions'], 'only allowed when outcome is accepted')
      if (outcome === 'accepted' && overrideReason !== undefined)
        issue(ctx, ['overrideReason'], 'only allowed when outcome is overridden')
    }),
    always
  )

export const FeedbackRequestSchema = z.looseObject({
  feedback: z.array(FeedbackSchema).min(1, 'must contain at least one feedback entry'),
})

/**
 * Our answer to feedback (the spec defines none, F4): `{}` when every entry was stored, else the
 * entries refused, each with its index in `feedback` and why.
 */
export const FeedbackAnswerSchema = z.strictObject({
  refused: z
    .array(
      z.strictObject({
        index: z.number().int().min(0),
        card: nonEmpty.optional(),
        reason: nonEmpty,
      })
    )
    .min(1)
    .optional(),
})

// ---------------------------------------------------------------------------------------------
// OperationOutcome: the body of every non-2xx response (§2.11).

const ISSUE_TYPES = [
  'invalid',
  'structure',
  'required',
  'value',
  'invariant',
  'security',
  'login',
  'unknown',
  'expired',
  'forbidden',
  'suppressed',
  'processing',
  'not-supported',
  'duplicate',
  'multiple-matches',
  'not-found',
  'deleted',
  'too-long',
  'code-invalid',
  'extension',
  'too-costly',
  'business-rule',
  'conflict',
  'transient',
  'lock-error',
  'no-store',
  'exception',
  'timeout',
  'incomplete',
  'throttled',
  'informational',
] as const

export const OperationOutcomeIssueSchema = z
  .looseObject({
    severity: z.enum(['fatal', 'error', 'warning', 'information']),
    code: z.enum(ISSUE_TYPES),
    diagnostics: nonEmpty.optional(),
    details: z.looseObject({ text: nonEmpty.optional() }).optional(),
  })
  .superRefine(
    onRecord((value, ctx) => {
      const { diagnostics, details } = value
      if (diagnostics === undefined && !(isRecord(details) && details.text !== undefined))
        issue(ctx, [], 'needs diagnostics or details.text so the client can tell what went wrong')
    }),
    always
  )

export const OperationOutcomeSchema = z.looseObject({
  resourceType: z.literal('OperationOutcome'),
  issue: z.array(OperationOutcomeIssueSchema).min(1, 'must contain at least one issue'),
})

export type Coding = z.infer<typeof CodingSchema>
export type Action = z.infer<typeof ActionSchema>
export type Suggestion = z.infer<typeof SuggestionSchema>
export type Link = z.infer<typeof LinkSchema>
export type Card = z.infer<typeof CardSchema>
export type CdsResponseBody = z.infer<typeof CdsResponseSchema>
export type DiscoveryBody = z.infer<typeof DiscoveryResponseSchema>
export type FeedbackRequestBody = z.infer<typeof FeedbackRequestSchema>
export type FeedbackEntry = z.infer<typeof FeedbackSchema>
export type FeedbackAnswer = z.infer<typeof FeedbackAnswerSchema>
export type OperationOutcomeBody = z.infer<typeof OperationOutcomeSchema>

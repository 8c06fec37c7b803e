/**
 * @module protocol/request
 * The CDS Hooks 2.0 service request, validated with zod. Strict where the service depends on a
 * field (a clear 400 naming it); a field it never reads is not checked beyond being JSON. Liberal
 * where real clients are sloppy (the sandbox's `draftOrders` without `type`, empty
 * codings, `fhirServer` over http in development).
 */
import * as z from 'zod'

const nonEmpty = z.string().trim().min(1)

/**
 * An identifier the service only logs or compares (`hook`, `hookInstance` is a UUID): capped, so
 * a 4 MB hookInstance is a 400 and not 4 MB in every log line of the call.
 */
const label = nonEmpty.max(256)

/**
 * Longest `fhirServer` accepted. A FHIR base is a few dozen characters; every FHIR read of the
 * call is built on it and it is compared with the allowlist, so a megabyte of it is a 400 here.
 */
export const MAX_FHIR_SERVER_CHARS = 2048
/**
 * Longest access token accepted. Real bearer tokens are a few hundred to a few thousand characters
 * (a JWT with group claims); it goes into a header of every FHIR read of the call.
 */
export const MAX_ACCESS_TOKEN_CHARS = 16_384

/**
 * `fhirAuthorization`: only `access_token` is used (sent as `Authorization: Bearer`), so only it
 * is checked. `token_type`, `expires_in`, `scope`, `subject` and `patient` are the spec's, but the
 * service never reads them: any JSON is accepted (a client sending `expires_in: "300"` still gets
 * its cards).
 */
export const fhirAuthorizationSchema = z
  .object({
    // It goes into an HTTP header: a control or non-ASCII character would only fail there, later
    // and less clearly. The message never repeats the value.
    access_token: nonEmpty
      .max(MAX_ACCESS_TOKEN_CHARS)
      .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII'),
  })
  .loose()

export const cdsRequestSchema = z
  .object({
    hook: label,
    hookInstance: label,
    fhirServer: z
      .url({ protocol: /^https?$/ })
      .max(MAX_FHIR_SERVER_CHARS)
      .optional(),
    fhirAuthorization: fhirAuthorizationSchema.optional(),
    context: z.record(z.string(), z.unknown()),
    prefetch: z.record(z.string(), z.unknown()).nullable().optional(),
    // §2.12; nothing in it is used, so it is not checked beyond being JSON.
    extension: z.unknown().optional(),
  })
  .loose()
  .refine((r) => !r.fhirAuthorization || r.fhirServer, {
    message: 'fhirServer is required when fhirAuthorization is present',
    path: ['fhirServer'],
  })

export type CdsRequest = z.infer<typeof cdsRequestSchema>

/**
 * A FHIR logical id (R4 `[A-Za-z0-9\-.]{1,64}`; longer ones are tolerated, some servers mint
 * them). It becomes a path segment of FHIR reads with the user's token, so anything else, and
 * the dot segments `.` and `..`, is a 400 here rather than a request somewhere unintended.
 */
const id = nonEmpty
  .max(256)
  .regex(/^[A-Za-z0-9\-.]+$/, 'must be a FHIR id (letters, digits, "-" and ".")')
  .refine((value) => !/^\.+$/.test(value), 'must be a FHIR id, not a dot segment')
const reference = nonEmpty.max(512)
/** Orders selected at once: an order set has dozens, never thousands. */
const MAX_SELECTIONS = 1000

/** Context fields per hook; unknown fields are allowed (forward compatibility). */
export const contextSchemas = {
  'imaging-study-complete': z
    .object({
      patientId: id,
      imagingStudyId: id,
      diagnosticReportId: id.optional(),
      encounterId: id.optional(),
      userId: reference.optional(),
      studyInstanceUid: z
        .string()
        .regex(/^[0-9.]+$/, 'must be a DICOM UID')
        .max(64)
        .optional(),
    })
    .loose(),
  // The library says userId is required; a service that does not use it need not refuse without it.
  'patient-view': z
    .object({ patientId: id, userId: reference.optional(), encounterId: id.optional() })
    .loose(),
  'order-select': z
    .object({
      patientId: id,
      userId: reference.optional(),
      encounterId: id.optional(),
      // Length first, as a whole: a million wrong items must not become a million zod issues.
      selections: z
        .array(z.unknown())
        .max(MAX_SELECTIONS, `at most ${MAX_SELECTIONS} selections`)
        .pipe(z.array(reference)),
      draftOrders: z
        .object({ resourceType: z.literal('Bundle'), entry: z.array(z.unknown()).optional() })
        .loose(),
    })
    .loose(),
} as const

export type ContextKind = keyof typeof contextSchemas

/**
 * Most problems listed in one 400. A body of a million wrongly typed items would otherwise come
 * back as a 70 MB OperationOutcome; the first few say what is wrong just as well.
 */
export const MAX_LISTED_ISSUES = 10

/** Joins the first {@link MAX_LISTED_ISSUES} problem lines, saying how many more there are. */
export function listIssues(lines: string[], total = lines.length): string {
  const shown = lines.slice(0, MAX_LISTED_ISSUES).join('; ')
  const more = total - Math.min(lines.length, MAX_LISTED_ISSUES)
  return more > 0 ? `${shown}; and ${more} more` : shown
}

/** Formats zod issues as "path: message" lines for a 400 OperationOutcome. */
export function describeIssues(error: z.ZodError, prefix = ''): string {
  const lines = error.issues.slice(0, MAX_LISTED_ISSUES).map((i) => {
    const path = [prefix, ...i.path.map(String)].filter(Boolean).join('.')
    return `${path || 'body'}: ${i.message}`
  })
  return listIssues(lines, error.issues.length)
}

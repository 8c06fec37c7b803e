/**
 * @module config
 * The service's configuration, parsed and validated once from plain strings (environment
 * variables on Node, bindings and secrets on Workers) by the runtime entry, then passed to
 * `createApp`. Nothing else in the core reads the environment.
 */
import * as z from 'zod'
import { parseTrustConfig, type TrustConfig } from '../auth/trust'
import { trimTrailingSlashes } from '../text/index'
import { loweredCriticalKinds } from '../clinical/assess'
import {
  DEFAULT_DUE_TOLERANCE_DAYS,
  examFamilies,
  type SiteExamCodes,
} from '../clinical/exam-families'
import { findingKinds, type FindingKind } from '../clinical/types'
import { IMAGING_HOOK } from '../discovery'
import { DEFAULT_MAX_TOTAL_BYTES } from '../fhir/client'
import type { RateLimit } from '../feedback/rate-limit'

/** The default of CDS_HOOK_DOMAIN: the project's own domain, imaging-cds.org, reversed. */
export const DEFAULT_HOOK_DOMAIN = 'org.imaging-cds'

const indicator = z.enum(['info', 'warning', 'critical'])
const findingKind = z.enum(findingKinds)
const coding = z.object({
  system: z.string().min(1),
  code: z.string().min(1),
  display: z.string().min(1),
})

const flag = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
  .transform((v) => v === '1' || v === 'true' || v === 'yes')
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max)
const httpUrl = z
  .url({ protocol: /^https?$/, message: 'must be an absolute http(s) URL' })
  .transform((u) => trimTrailingSlashes(u))
/** A JSON-valued variable, parsed then checked against `schema`. */
const json = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be valid JSON' })
        return z.NEVER
      }
    })
    .pipe(schema)

/** Every variable the service reads, with its default. Documented in the README. */
export const envSchema = z.object({
  PORT: int(0, 65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  CDS_PUBLIC_URL: httpUrl.optional(),
  CDS_DEV_MODE: flag.default(false),
  CDS_TRUST: z.string().optional(),
  CDS_CORS_ORIGINS: z.string().optional(),
  // CDS Hooks asks for answers "on the order of 500 ms"; a call that reads FHIR needs more.
  CDS_HOOK_BUDGET_MS: int(100, 60_000).default(1000),
  CDS_FHIR_TIMEOUT_MS: int(50, 60_000).optional(),
  CDS_BODY_LIMIT_BYTES: int(1024, 100 * 1024 * 1024).default(5 * 1024 * 1024),
  /**
   * FHIR response bytes one hook call may read in all (every page and read together); one
   * response is capped at 20 MiB, or at this when it is lower.
   */
  CDS_FHIR_MAX_CALL_BYTES: int(64 * 1024, 1024 * 1024 * 1024).default(DEFAULT_MAX_TOTAL_BYTES),
  /** Feedback entries one issuer (all its tenants) may send per minute; 0: no limit. */
  CDS_FEEDBACK_RATE_LIMIT: int(0, 1_000_000).default(1000),
  /** Reverse domain of whoever runs the service; the custom hook's name is built from it. */
  CDS_HOOK_DOMAIN: z
    .string()
    .regex(
      /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/,
      'must be a reverse domain name such as org.example (lower case, two labels or more)'
    )
    .default(DEFAULT_HOOK_DOMAIN),
  /** The custom hook's whole name, when it is not `<CDS_HOOK_DOMAIN>.imaging-study-complete`. */
  CDS_IMAGING_HOOK: z
    .string()
    .regex(
      /^[a-z0-9.-]+$/,
      'must be a hook name such as org.example.imaging-study-complete or imaging-study-complete'
    )
    .optional(),
  CDS_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  OHIF_VIEWER_URL: httpUrl.optional(),
  OHIF_DATA_SOURCES: json(
    z.record(z.string().min(1), z.string().regex(/^[A-Za-z0-9_-]+$/))
  ).optional(),
  CDS_ORDER_CODES: json(
    z
      .object({ ldct: coding, 'ldct-interval': coding, 'ct-chest': coding, 'pet-ct': coding })
      .partial()
  ).optional(),
  CDS_INDICATORS: json(z.partialRecord(findingKind, indicator)).optional(),
  CDS_CONFIDENCE_THRESHOLD: z.coerce.number().min(0).max(1).default(0.5),
  CDS_DUE_TOLERANCE_DAYS: int(0, 180).default(DEFAULT_DUE_TOLERANCE_DAYS),
  CDS_EXAM_CODES: json(
    z.partialRecord(
      z.enum(examFamilies),
      z.array(z.object({ system: z.string().min(1), code: z.string().min(1) })).max(100)
    )
  ).optional(),
  CDS_FINDINGS_WINDOW_MONTHS: int(1, 240).default(24),
  CDS_SOURCE_LABEL: z.string().min(1).max(100).default('imaging-cds: AI imaging findings'),
  CDS_SOURCE_URL: httpUrl.optional(),
})

export type Env = z.infer<typeof envSchema>

export interface AppConfig {
  publicUrl: string
  devMode: boolean
  trust: TrustConfig | undefined
  corsOrigins: string[] | '*'
  hookBudgetMs: number
  fhirTimeoutMs: number
  /** FHIR response bytes one hook call may read in all. */
  fhirMaxCallBytes: number
  bodyLimitBytes: number
  /** Feedback entries per issuer and window; a limit of 0 is no limit. */
  feedbackRateLimit: RateLimit
  /**
   * The custom hook's canonical, reverse-domain name: discovery lists it. Requests may also carry
   * its plain name, `imaging-study-complete` (see hooks/imaging-study-complete.md).
   */
  imagingHook: string
  logLevel: Env['CDS_LOG_LEVEL']
  viewer: { baseUrl?: string; dataSources: { dicomWebPrefix: string; name: string }[] }
  orderCodes: NonNullable<Env['CDS_ORDER_CODES']>
  indicators: Partial<Record<FindingKind, 'info' | 'warning' | 'critical'>>
  confidenceThreshold: number
  /** Days either side of a due date an order or study still counts as the follow-up. */
  dueToleranceDays: number
  /** Site codes per exam family (tissue sampling and referral exist only here). */
  examCodes: SiteExamCodes
  findingsWindowMonths: number
  source: { label: string; url?: string }
  port: number
  host: string
}

/** Thrown when the configuration is invalid; the message lists every bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

/**
 * Parses configuration from plain strings. Throws a ConfigError naming each bad variable, and
 * refuses to build a service that would accept unauthenticated calls outside development mode.
 */
export function parseConfig(vars: Record<string, string | undefined>): AppConfig {
  const defined = Object.fromEntries(Object.entries(vars).filter(([, v]) => v !== undefined))
  const parsed = envSchema.safeParse(defined)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`)
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`)
  }
  const env = parsed.data
  const lowered = loweredCriticalKinds(env.CDS_INDICATORS ?? {})
  if (lowered.length) {
    throw new ConfigError(
      `Invalid configuration:\n  CDS_INDICATORS: ${lowered.join(', ')} ${lowered.length > 1 ? 'are' : 'is a'} ` +
        'critical finding kind' +
        (lowered.length > 1 ? 's' : '') +
        ' (ACR category 1); a site override may raise ' +
        'an indicator but never lower a critical kind. Remove ' +
        (lowered.length > 1 ? 'these entries.' : 'this entry.')
    )
  }
  let trust: TrustConfig | undefined
  if (env.CDS_TRUST) {
    let raw: unknown
    try {
      raw = JSON.parse(env.CDS_TRUST)
    } catch {
      throw new ConfigError(
        'Invalid configuration:\n  CDS_TRUST_FILE: the trust file is not valid JSON'
      )
    }
    try {
      trust = parseTrustConfig(raw, { devMode: env.CDS_DEV_MODE })
    } catch (err) {
      throw new ConfigError(`Invalid configuration:\n  CDS_TRUST_FILE: ${(err as Error).message}`)
    }
  }
  if (!trust && !env.CDS_DEV_MODE) {
    throw new ConfigError(
      'No trusted CDS clients: set CDS_TRUST_FILE to a trust file (see docs/security.md), ' +
        'or set CDS_DEV_MODE=1 to accept unauthenticated calls during development.'
    )
  }
  // A single FHIR read gets most of the budget, never all of it: the reads a template cannot
  // express (a study's Endpoint, a report's results) come after the prefetch reads.
  const fhirTimeoutMs = env.CDS_FHIR_TIMEOUT_MS ?? Math.round(env.CDS_HOOK_BUDGET_MS * 0.75)
  if (fhirTimeoutMs >= env.CDS_HOOK_BUDGET_MS) {
    throw new ConfigError(
      `Invalid configuration:\n  CDS_FHIR_TIMEOUT_MS: must be below CDS_HOOK_BUDGET_MS (${env.CDS_HOOK_BUDGET_MS} ms): one FHIR read cannot take the whole hook's time`
    )
  }
  const publicUrl = env.CDS_PUBLIC_URL ?? `http://${env.HOST}:${env.PORT}`
  const corsOrigins = env.CDS_CORS_ORIGINS
    ? env.CDS_CORS_ORIGINS.split(',')
        .map((o) => o.trim())
        .filter(Boolean)
    : env.CDS_DEV_MODE
      ? '*'
      : []
  return {
    publicUrl,
    devMode: env.CDS_DEV_MODE,
    trust,
    corsOrigins: Array.isArray(corsOrigins) && corsOrigins.includes('*') ? '*' : corsOrigins,
    hookBudgetMs: env.CDS_HOOK_BUDGET_MS,
    fhirTimeoutMs,
    fhirMaxCallBytes: env.CDS_FHIR_MAX_CALL_BYTES,
    bodyLimitBytes: env.CDS_BODY_LIMIT_BYTES,
    feedbackRateLimit: { limit: env.CDS_FEEDBACK_RATE_LIMIT, windowMs: 60_000 },
    imagingHook: env.CDS_IMAGING_HOOK ?? `${env.CDS_HOOK_DOMAIN}.${IMAGING_HOOK}`,
    logLevel: env.CDS_LOG_LEVEL,
    viewer: {
      baseUrl: env.OHIF_VIEWER_URL,
      dataSources: Object.entries(env.OHIF_DATA_SOURCES ?? {}).map(([dicomWebPrefix, name]) => ({
        dicomWebPrefix,
        name,
      })),
    },
    orderCodes: env.CDS_ORDER_CODES ?? {},
    indicators: env.CDS_INDICATORS ?? {},
    confidenceThreshold: env.CDS_CONFIDENCE_THRESHOLD,
    dueToleranceDays: env.CDS_DUE_TOLERANCE_DAYS,
    examCodes: env.CDS_EXAM_CODES ?? {},
    findingsWindowMonths: env.CDS_FINDINGS_WINDOW_MONTHS,
    source: {
      label: env.CDS_SOURCE_LABEL,
      ...(env.CDS_SOURCE_URL ? { url: env.CDS_SOURCE_URL } : {}),
    },
    port: env.PORT,
    host: env.HOST,
  }
}

/**
 * @module stack/ai-results/schema
 * The JSON an AI pipeline writes for one AI run over one study (format `imaging-cds.ai-result/1`,
 * documented in docs/ai-results.md), as a zod schema: the one definition the writer validates
 * with and the TypeScript types come from. Strict: an unknown field is an error (a misspelt
 * optional field must not be dropped silently).
 */
import * as z from 'zod'
import { findingKinds } from '../../src/clinical/types'

const uid = z
  .string()
  .regex(/^[0-9]+(\.[0-9]+)*$/, 'a DICOM UID (digits and dots)')
  .max(64)
const mm = z.number().positive().max(1000)
const probability = z.number().min(0).max(1)
const dateTime = z.iso.datetime({ offset: true })
const text = z.string().trim().min(1).max(1000)
const localId = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, ".", "_" or "-" (at most 64)')

/** A code of a finding the kinds table does not know (it gets an informational card). */
const otherCode = z.strictObject({
  system: z.string().min(1),
  code: z.string().min(1),
  display: text.optional(),
})

export const findingSchema = z.strictObject({
  /** Unique within the run, and the same when the run is repeated (`nodule-1`). */
  id: localId,
  /** A finding kind the service knows, or any code. */
  type: z.union([z.enum(findingKinds.filter((k) => k !== 'unknown')), otherCode]),
  lobe: z.enum(['RUL', 'RML', 'RLL', 'LUL', 'LLL']).optional(),
  measurements: z
    .strictObject({
      longAxisMm: mm.optional(),
      shortAxisMm: mm.optional(),
      meanDiameterMm: mm.optional(),
      solidComponentMm: mm.optional(),
    })
    .optional(),
  solidness: z.enum(['solid', 'part-solid', 'ground-glass']).optional(),
  position: z
    .enum(['juxtapleural', 'perifissural', 'airway-segmental', 'airway-subsegmental'])
    .optional(),
  change: z.enum(['baseline', 'new', 'growing', 'stable', 'decreased']).optional(),
  /** Benign calcification or macroscopic fat. */
  benignFeature: z.boolean().optional(),
  lungRads: z.enum(['0', '1', '2', '3', '4A', '4B', '4X']).optional(),
  suspiciousFeatures: z
    .array(z.enum(['spiculation', 'lymphadenopathy', 'metastatic-disease', 'ggn-doubling']))
    .max(4)
    .optional(),
  /** The model's confidence in this finding, 0..1. */
  confidence: probability.optional(),
  keyImage: z
    .strictObject({
      seriesInstanceUid: uid,
      sopInstanceUid: uid.optional(),
      frame: z.int().min(1).optional(),
    })
    .optional(),
  /** The same finding in an earlier AI run (same patient): its study and finding id. */
  prior: z
    .strictObject({ studyInstanceUid: uid, findingId: localId, model: text.optional() })
    .optional(),
})

export const aiResultSchema = z
  .strictObject({
    format: z.literal('imaging-cds.ai-result/1'),
    study: z.strictObject({ studyInstanceUid: uid }),
    model: z.strictObject({
      name: text,
      version: text,
      manufacturer: text.optional(),
      /** A regulatory clearance, as the vendor states it (e.g. an FDA 510(k) number). */
      clearance: text.optional(),
    }),
    run: z.strictObject({
      /** When the model finished; becomes `issued`. */
      completed: dateTime,
      /** `preliminary` until a radiologist confirms (the default), `final` when the pipeline says so. */
      status: z.enum(['preliminary', 'final', 'amended', 'corrected']).default('preliminary'),
    }),
    /** The run's overall confidence, 0..1. */
    confidence: probability.optional(),
    conclusion: text.optional(),
    findings: z.array(findingSchema).max(100),
  })
  .superRefine((result, ctx) => {
    const seen = new Set<string>()
    result.findings.forEach((finding, index) => {
      if (seen.has(finding.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['findings', index, 'id'],
          message: `duplicate finding id "${finding.id}"`,
        })
      }
      seen.add(finding.id)
      const m = finding.measurements
      if (
        m?.longAxisMm !== undefined &&
        m.shortAxisMm !== undefined &&
        m.shortAxisMm > m.longAxisMm
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['findings', index, 'measurements', 'shortAxisMm'],
          message: 'the short axis is longer than the long axis',
        })
      }
    })
  })

export type AiResult = z.infer<typeof aiResultSchema>
/** The JSON as a pipeline writes it (defaults not yet applied). */
export type AiResultInput = z.input<typeof aiResultSchema>
export type AiFinding = z.infer<typeof findingSchema>

/** Bad input: `field` is the path in the JSON (`findings[0].measurements.longAxisMm`). */
export class AiResultError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string
  ) {
    super(field ? `${field}: ${problem}` : problem)
  }
}

/**
 * Validates one AI run.
 * @throws AiResultError naming the first bad field (the message lists up to five)
 */
export function parseAiResult(input: unknown): AiResult {
  const parsed = aiResultSchema.safeParse(input)
  if (parsed.success) return parsed.data
  const issues = parsed.error.issues.map((issue) => ({
    field: fieldPath(issue.path),
    problem: issue.message,
  }))
  const first = issues[0]!
  const error = new AiResultError(first.field, first.problem)
  if (issues.length > 1) {
    error.message = issues
      .slice(0, 5)
      .map((i) => (i.field ? `${i.field}: ${i.problem}` : i.problem))
      .join('; ')
  }
  throw error
}

/** `['findings', 0, 'lobe']` as `findings[0].lobe`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, index) =>
      typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`
    )
    .join('')
}

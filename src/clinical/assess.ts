/**
 * @module clinical/assess
 * Turns one finding into an assessment: which guideline applies (Lung-RADS v2022 for screening,
 * Fleischner 2017 for incidental nodules in adults), its category and follow-up, and the card
 * indicator. Pure: everything it needs comes in through the finding, context and config.
 */
import { fleischnerRow, fleischnerRule } from './fleischner'
import { lungRadsCategory, lungRadsManagement, moreSuspicious } from './lung-rads'
import type {
  Assessment,
  Finding,
  FindingKind,
  LungRadsCategory,
  NoduleFacts,
  SmokingRisk,
} from './types'

export type Indicator = Assessment['indicator']

export interface AssessmentContext {
  /** Lung cancer screening exam (see `isScreeningStudy`). */
  screening: boolean
  /** Age on the study date; missing or non-finite means unknown (assessed as an adult). */
  patientAgeYears?: number
  smokingRisk: SmokingRisk
  /** Pulmonary nodules found in the study: more than one selects Fleischner's "multiple" rows. */
  noduleCount: number
}

export interface ClinicalConfig {
  /** 0..1: findings the AI is less sure of are shown as low confidence, indicator `info`. */
  confidenceThreshold: number
  /** Per-site indicator for a finding kind; replaces the computed one. */
  indicatorByKind: Partial<Record<FindingKind, Indicator>>
  /** Kinds that are ACR category 1 actionable findings: indicator `critical`. */
  criticalKinds: FindingKind[]
}

export const defaultClinicalConfig: ClinicalConfig = {
  confidenceThreshold: 0.5,
  indicatorByKind: {},
  criticalKinds: [
    'pulmonary-embolism',
    'intracranial-hemorrhage',
    'pneumothorax',
    'aortic-dissection',
  ],
}

/** Categories the indicator mapping (clinical-reference.md §4.3) shows as warnings. */
const warningLungRads: readonly LungRadsCategory[] = ['4A', '4B', '4X']

type GuidelinePart = Omit<Assessment, 'finding' | 'indicator' | 'caveats' | 'lowConfidence'> & {
  suspicious?: boolean
}

function lungRadsPart(finding: Finding, nodule: NoduleFacts, caveats: string[]): GuidelinePart {
  const result = lungRadsCategory(nodule)
  caveats.push(...result.notes)
  const asserted = finding.assertedLungRads
  const computed = result.category
  let category = computed
  let rule = result.row?.rule
  let disagreement: Assessment['disagreement']
  if (asserted && computed && asserted !== computed) {
    const used = moreSuspicious(asserted, computed)
    disagreement = { asserted, computed, used }
    category = used
    caveats.push(
      `The AI asserts Lung-RADS ${asserted}; the measurements give ${computed}. The more suspicious category, ${used}, is used.`
    )
    if (used === asserted) {
      rule = `Lung-RADS ${asserted} as asserted by the AI (measurements: ${rule})`
    }
  } else if (asserted && !computed) {
    category = asserted
    rule = `Lung-RADS ${asserted} as asserted by the AI`
    caveats.push(
      `Lung-RADS ${asserted} is the AI's category; it could not be checked against measurements.`
    )
  }
  if (!category) return { guideline: 'lung-rads-v2022' }
  const { management, followUp, additionalFollowUps } = lungRadsManagement(category, nodule)
  return {
    guideline: 'lung-rads-v2022',
    category,
    ...(rule && { rule }),
    ...(disagreement && { disagreement }),
    management,
    ...(followUp && { followUp }),
    ...(additionalFollowUps.length > 0 && { additionalFollowUps }),
    suspicious: warningLungRads.includes(category),
  }
}

function fleischnerPart(
  nodule: NoduleFacts,
  context: AssessmentContext,
  caveats: string[]
): GuidelinePart {
  const result = fleischnerRow(nodule, {
    multiple: context.noduleCount > 1,
    risk: context.smokingRisk,
  })
  caveats.push(...result.notes)
  const { row } = result
  if (!row) return { guideline: 'fleischner-2017', suspicious: result.highSuspicion }
  const sizes = [
    `average ${result.averageMm} mm`,
    result.solidComponentMm !== undefined && `solid component ${result.solidComponentMm} mm`,
  ].filter(Boolean)
  return {
    guideline: 'fleischner-2017',
    category: row.id,
    rule: `${fleischnerRule(row)} (${sizes.join(', ')})`,
    management: row.recommendation,
    ...(row.followUp && { followUp: row.followUp }),
    ...(result.additionalFollowUps.length > 0 && {
      additionalFollowUps: result.additionalFollowUps,
    }),
    suspicious: result.highSuspicion,
  }
}

function nodulePart(
  finding: Finding,
  context: AssessmentContext,
  caveats: string[]
): GuidelinePart {
  const nodule = finding.nodule ?? { change: 'baseline', benignFeature: false }
  if (context.screening) return lungRadsPart(finding, nodule, caveats)
  if (finding.assertedLungRads) {
    caveats.push(
      `The AI's Lung-RADS ${finding.assertedLungRads} is not used: Lung-RADS applies to lung cancer screening exams only.`
    )
  }
  const age = context.patientAgeYears
  if (age === undefined || !Number.isFinite(age)) {
    caveats.push('Patient age unknown: Fleischner 2017 applied as for an adult of 35 or older.')
  } else if (age < 35) {
    caveats.push('Fleischner does not apply under 35: no follow-up interval is recommended.')
    return { guideline: 'none', exclusion: 'under-35' }
  }
  return fleischnerPart(nodule, context, caveats)
}

function indicatorFor(kind: FindingKind, suspicious: boolean, config: ClinicalConfig): Indicator {
  const override = config.indicatorByKind[kind]
  if (override) return override
  if (config.criticalKinds.includes(kind)) return 'critical'
  return suspicious ? 'warning' : 'info'
}

const percent = (fraction: number) => `${Math.round(fraction * 100)}%`

/**
 * Assesses one finding. Nodules get Lung-RADS v2022 on screening exams and Fleischner 2017
 * otherwise (adults only); when the AI asserts a Lung-RADS category that differs from the
 * computed one, the more suspicious wins and both are recorded. Findings below the confidence
 * threshold are still returned, marked `lowConfidence` with indicator `info`.
 */
export function assess(
  finding: Finding,
  context: AssessmentContext,
  config: ClinicalConfig = defaultClinicalConfig
): Assessment {
  const caveats = [...(finding.notes ?? [])]
  const { suspicious = false, ...part }: GuidelinePart =
    finding.kind === 'pulmonary-nodule'
      ? nodulePart(finding, context, caveats)
      : { guideline: 'none' }
  if (finding.kind === 'unknown') {
    caveats.push('Finding code not recognised: shown for information, with no guideline applied.')
  }
  const lowConfidence =
    finding.confidence !== undefined && finding.confidence < config.confidenceThreshold
  if (lowConfidence) {
    caveats.push(
      `AI confidence ${percent(finding.confidence ?? 0)} is below the ${percent(config.confidenceThreshold)} threshold.`
    )
  }
  return {
    finding,
    ...part,
    indicator: lowConfidence ? 'info' : indicatorFor(finding.kind, suspicious, config),
    caveats,
    lowConfidence,
  }
}

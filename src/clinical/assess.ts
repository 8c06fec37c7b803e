/**
 * @module clinical/assess
 * Turns one finding into an assessment: which guideline applies (Lung-RADS v2022 for screening,
 * Fleischner 2017 for incidental nodules in adults), its category and follow-up, and the card
 * indicator. Pure: everything it needs comes in through the finding, context and config.
 */
import { DEFAULT_DUE_TOLERANCE_DAYS, type SiteExamCodes } from './exam-families'
import { criticalFindingKinds, findingKindNames } from './finding-kinds'
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
  /**
   * 0..1: findings the AI is less sure of are shown as low confidence, indicator `info`; a
   * critical kind stays `critical` and says "verify on the images now".
   */
  confidenceThreshold: number
  /** Per-site indicator for a finding kind: it may raise the computed one, never lower it. */
  indicatorByKind: Partial<Record<FindingKind, Indicator>>
  /** Kinds that are ACR category 1 actionable findings: indicator `critical`. */
  criticalKinds: readonly FindingKind[]
  /** Days either side of a due date an order or study still counts as the follow-up. */
  dueToleranceDays: number
  /** Site codes per exam family, tried before the built-in table. */
  examCodes: SiteExamCodes
}

export const defaultClinicalConfig: ClinicalConfig = {
  confidenceThreshold: 0.5,
  indicatorByKind: {},
  criticalKinds: criticalFindingKinds,
  dueToleranceDays: DEFAULT_DUE_TOLERANCE_DAYS,
  examCodes: {},
}

const indicatorRank: Readonly<Record<Indicator, number>> = { info: 0, warning: 1, critical: 2 }

/** The more urgent of two indicators. */
export const higherIndicator = (a: Indicator, b: Indicator | undefined): Indicator =>
  b && indicatorRank[b] > indicatorRank[a] ? b : a

/**
 * The per-kind overrides that would lower a critical kind: a configuration error, refused at
 * start (a site may raise an indicator, never lower a critical one).
 */
export function loweredCriticalKinds(
  indicatorByKind: ClinicalConfig['indicatorByKind'],
  criticalKinds: readonly FindingKind[] = defaultClinicalConfig.criticalKinds
): FindingKind[] {
  return criticalKinds.filter((kind) => {
    const override = indicatorByKind[kind]
    return override !== undefined && override !== 'critical'
  })
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

const percent = (fraction: number) => `${Math.round(fraction * 100)}%`

/** Caveats saying how a finding without a known code was read, and why it is escalated. */
function recognitionCaveats(finding: Finding): string[] {
  const r = finding.recognition
  if (r?.by === 'words')
    return [
      `Recognised as ${findingKindNames[finding.kind]} from the words "${r.matched}" (no known code).`,
    ]
  if (r?.by === 'reads-like')
    return [
      `Finding code not recognised, but its name reads like ${findingKindNames[r.family].toLowerCase()} ` +
        `("${r.matched}"${r.negated ? ', in a negated phrase' : ''}): shown as a warning; verify on the images.`,
    ]
  if (finding.kind === 'unknown')
    return ['Finding code not recognised: shown for information, with no guideline applied.']
  return []
}

/**
 * Assesses one finding. Nodules get Lung-RADS v2022 on screening exams and Fleischner 2017
 * otherwise (adults only); when the AI asserts a Lung-RADS category that differs from the
 * computed one, the more suspicious wins and both are recorded. Findings below the confidence
 * threshold are still returned, marked `lowConfidence`: indicator `info`, except a critical kind,
 * which stays `critical`. A finding whose name only reads like a critical family is a `warning`.
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
  caveats.push(...recognitionCaveats(finding))
  const critical = config.criticalKinds.includes(finding.kind)
  const readsCritical = finding.recognition?.by === 'reads-like'
  const computed: Indicator = critical
    ? 'critical'
    : suspicious || readsCritical
      ? 'warning'
      : 'info'
  const lowConfidence =
    finding.confidence !== undefined && finding.confidence < config.confidenceThreshold
  if (lowConfidence) {
    caveats.push(
      critical
        ? `Low AI confidence (${Math.round((finding.confidence ?? 0) * 100)} %): verify on the images now. A critical finding stays critical below the ${percent(config.confidenceThreshold)} threshold.`
        : `AI confidence ${percent(finding.confidence ?? 0)} is below the ${percent(config.confidenceThreshold)} threshold.`
    )
  }
  // Confidence never lowers a critical kind; a site override only ever raises.
  const base: Indicator = lowConfidence && !critical ? 'info' : computed
  return {
    finding,
    ...part,
    indicator: higherIndicator(base, config.indicatorByKind[finding.kind]),
    caveats,
    lowConfidence,
  }
}

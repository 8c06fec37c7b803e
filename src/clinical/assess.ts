/**
 * @module clinical/assess
 * Turns one finding into an assessment: which guideline applies (Lung-RADS v2022 for screening,
 * Fleischner 2017 for incidental nodules in adults), its category and follow-up, and the card
 * indicator. Pure: everything it needs comes in through the finding, context and config.
 */
import { DEFAULT_DUE_TOLERANCE_DAYS, type SiteExamCodes } from './exam-families'
import { criticalFindingKinds, findingKindNames } from './finding-kinds'
import type { PossibleScope, ScopeFinding } from './conditions'
import { clip } from '../text/index'
import { fleischnerRow, fleischnerRule } from './fleischner'
import { computeGrowth, type ComputedGrowth, type NoduleMeasurement } from './growth'
import {
  lungRadsCategory,
  lungRadsManagement,
  lungRadsRank,
  moreSuspicious,
  type LungRadsHistory,
} from './lung-rads'
import type {
  Assessment,
  Finding,
  FindingKind,
  FollowUp,
  LungRadsCategory,
  NoduleChange,
  NoduleFacts,
  NoFollowUpReason,
  SmokingRisk,
} from './types'
import { noduleDiameters } from './measure'

export type Indicator = Assessment['indicator']

export interface AssessmentContext {
  /** Lung cancer screening exam (see `isScreeningStudy`). */
  screening: boolean
  /** Age on the study date; missing or non-finite means unknown (assessed as an adult). */
  patientAgeYears?: number
  smokingRisk: SmokingRisk
  /**
   * Distinct nodules found in the study (see `multipleNoduleCount`): more than one selects
   * Fleischner's "multiple" rows.
   */
  noduleCount: number
  /** Why Fleischner does not apply to this patient (an active malignancy or immunosuppression). */
  scope?: ScopeFinding
  /**
   * A condition that may put the patient outside Fleischner's scope without excluding (see
   * `possibleScopeCondition`): Fleischner is applied, with a warning that it may not apply.
   */
  possibleScope?: PossibleScope
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

/** Categories the indicator mapping (docs/clinical-rules.md, "Indicator, confidence and site overrides") shows as warnings. */
const warningLungRads: readonly LungRadsCategory[] = ['4A', '4B', '4X']

type GuidelinePart = Omit<Assessment, 'finding' | 'indicator' | 'caveats' | 'lowConfidence'> & {
  suspicious?: boolean
}

/** The nodule as the AI measured it, for the growth computation. */
const measurement = (finding: Finding, nodule: NoduleFacts): NoduleMeasurement => ({
  observationRef: finding.observationRef,
  ...(finding.effective && { date: finding.effective }),
  nodule,
  ...(finding.assertedLungRads && { assertedLungRads: finding.assertedLungRads }),
})

/**
 * The Lung-RADS category of the nearest prior, for stepped management: the AI's category then,
 * else the one its measurements give against its own priors (the chain is bounded when gathered).
 */
export function priorLungRadsCategory(
  priors: readonly NoduleMeasurement[]
): LungRadsCategory | undefined {
  const sorted = [...priors].sort((a, b) => (b.date ?? '').localeCompare(a.date ?? ''))
  const [nearest, ...older] = sorted
  if (!nearest) return undefined
  if (nearest.assertedLungRads) return nearest.assertedLungRads
  const growth = older.length > 0 ? computeGrowth(nearest, older) : undefined
  const nodule = growth?.change ? { ...nearest.nodule, change: growth.change } : nearest.nodule
  return lungRadsCategory(nodule, {
    ...(growth?.slowGrowth && { slowGrowth: true }),
    ...(growth?.solidComponent && { solidComponent: growth.solidComponent }),
    ...(older.length > 0 && { priorCategory: priorLungRadsCategory(older) }),
  }).category
}

const changeWords: Readonly<Record<NoduleChange, string>> = {
  baseline: 'baseline',
  new: 'new',
  growing: 'growing',
  stable: 'stable',
  decreased: 'smaller',
}

/**
 * The changes a nodule is evaluated with, and why: the AI's (coded or in words) and the one
 * computed from the prior chain; an unreadable change with no priors is tried as new and as
 * baseline. Each is evaluated and the higher category is used.
 */
function changeReadings(
  nodule: NoduleFacts,
  growth: ComputedGrowth | undefined
): { change: NoduleChange; source: string }[] {
  const readings: { change: NoduleChange; source: string }[] = []
  if (growth?.change)
    readings.push({ change: growth.change, source: 'from the prior measurements' })
  if (nodule.changeUnread) {
    if (!growth?.change)
      readings.push(
        { change: 'new', source: 'the AI change could not be read' },
        { change: 'baseline', source: 'the AI change could not be read' }
      )
  } else if (!growth?.change || nodule.change !== 'baseline') {
    readings.push({ change: nodule.change, source: 'as the AI reports it' })
  }
  return readings
}

function lungRadsPart(finding: Finding, nodule: NoduleFacts, caveats: string[]): GuidelinePart {
  const priors = finding.priors ?? []
  const growth = priors.length > 0 ? computeGrowth(measurement(finding, nodule), priors) : undefined
  if (growth) caveats.push(...growth.notes)
  const priorCategory = priors.length > 0 ? priorLungRadsCategory(priors) : undefined
  const history: LungRadsHistory = {
    ...(growth?.slowGrowth && { slowGrowth: true }),
    ...(growth?.solidComponent && { solidComponent: growth.solidComponent }),
    ...(priorCategory && { priorCategory }),
  }
  const evaluated = changeReadings(nodule, growth).map((reading) => ({
    ...reading,
    result: lungRadsCategory({ ...nodule, change: reading.change }, history),
  }))
  const rank = (c: LungRadsCategory | undefined) => (c ? lungRadsRank(c) : -1)
  const best = evaluated.reduce((a, b) =>
    rank(b.result.category) > rank(a.result.category) ? b : a
  )
  const result = best.result
  caveats.push(...result.notes)
  const categories = new Set(evaluated.map((e) => e.result.category))
  if (categories.size > 1) {
    const each = evaluated
      .map((e) => `${changeWords[e.change]} (${e.source}): ${e.result.category ?? 'no category'}`)
      .join('; ')
    caveats.push(
      `Change since the prior exam read two ways: ${each}. The higher category, ${result.category}, is used.`
    )
  }
  const asserted = finding.assertedLungRads
  // What the AI said, in its words: a bare "4" is read as 4B but was not said as 4B.
  const said = finding.assertedLungRadsBareFour ? `4 (read as ${asserted})` : asserted
  const computed = result.category
  let category = computed
  let rule = result.row?.rule
  let disagreement: Assessment['disagreement']
  if (asserted && computed && asserted !== computed) {
    const used = moreSuspicious(asserted, computed)
    disagreement = {
      asserted: said!,
      computed,
      used,
      why: used === '0' ? 'incomplete-exam' : 'higher-category',
    }
    category = used
    caveats.push(
      `The AI asserts Lung-RADS ${said}; the measurements give ${computed}. The more suspicious category, ${used}, is used.`
    )
    if (used === asserted) {
      rule = `Lung-RADS ${said} as asserted by the AI (measurements: ${rule})`
    }
  } else if (asserted && !computed) {
    category = asserted
    rule = `Lung-RADS ${said} as asserted by the AI`
    caveats.push(
      `Lung-RADS ${said} is the AI's category; it could not be checked against measurements.`
    )
  }
  const historyPart = growth && growth.history.length > 1 ? { history: growth.history } : {}
  if (!category) return { guideline: 'lung-rads-v2022', ...historyPart }
  const { management, followUp, additionalFollowUps } = lungRadsManagement(category, nodule)
  return {
    guideline: 'lung-rads-v2022',
    category,
    ...(rule && { rule }),
    ...(disagreement && { disagreement }),
    management,
    ...(followUp && { followUp }),
    ...(additionalFollowUps.length > 0 && { additionalFollowUps }),
    ...historyPart,
    suspicious: warningLungRads.includes(category),
  }
}

/**
 * Growth of an incidental nodule: the Fleischner rows are for newly found nodules, and growth is
 * suspicious, so the card is a warning with the work-up options of the > 8 mm row (CT at 3
 * months, PET/CT or tissue sampling), whatever the row of its size says.
 */
export const fleischnerGrowthWorkUp: {
  recommendation: string
  followUp: FollowUp
  additionalFollowUps: FollowUp[]
} = {
  recommendation:
    'Growing since the prior exam, which is suspicious for malignancy: consider CT at 3 months, PET/CT, or tissue sampling.',
  followUp: { order: 'ct-chest', months: { from: 3 } },
  additionalFollowUps: [
    { order: 'pet-ct', months: { from: 0 }, optional: true, because: 'growing nodule' },
  ],
}

function fleischnerPart(
  finding: Finding,
  nodule: NoduleFacts,
  context: AssessmentContext,
  caveats: string[]
): GuidelinePart {
  const priors = finding.priors ?? []
  const growth = priors.length > 0 ? computeGrowth(measurement(finding, nodule), priors) : undefined
  if (growth) caveats.push(...growth.notes)
  const grew =
    nodule.change === 'growing' ||
    growth?.change === 'growing' ||
    !!growth?.slowGrowth ||
    !!growth?.solidComponent
  // The change the row notes speak of: growth from either source wins, then the computed one.
  const change: NoduleChange = grew ? 'growing' : (growth?.change ?? nodule.change)
  const result = fleischnerRow(
    { ...nodule, change },
    { multiple: context.noduleCount > 1, risk: context.smokingRisk }
  )
  caveats.push(...result.notes.filter((n) => !(grew && /^Growing since the prior/.test(n))))
  const historyPart = growth && growth.history.length > 1 ? { history: growth.history } : {}
  const { row } = result
  if (!row)
    return {
      guideline: 'fleischner-2017',
      suspicious: result.highSuspicion || grew,
      ...historyPart,
    }
  const sizes = [
    `average ${result.averageMm} mm`,
    result.solidComponentMm !== undefined && `solid component ${result.solidComponentMm} mm`,
  ].filter(Boolean)
  const rule = `${fleischnerRule(row)} (${sizes.join(', ')})`
  if (grew && row.nodule !== 'benign-feature') {
    const workUp = fleischnerGrowthWorkUp
    return {
      guideline: 'fleischner-2017',
      category: `${row.id}-growing`,
      rule: `${rule}, growing since the prior exam`,
      management: `${workUp.recommendation} (Row for its size: ${row.recommendation})`,
      followUp: workUp.followUp,
      additionalFollowUps: workUp.additionalFollowUps,
      ...historyPart,
      suspicious: true,
    }
  }
  return {
    guideline: 'fleischner-2017',
    category: row.id,
    rule,
    management: row.recommendation,
    ...(row.followUp && { followUp: row.followUp }),
    ...(result.additionalFollowUps.length > 0 && {
      additionalFollowUps: result.additionalFollowUps,
    }),
    ...historyPart,
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
  if (context.scope) {
    const why =
      context.scope.exclusion === 'malignancy' ? 'a known malignancy' : 'immunosuppression'
    caveats.push(
      `Fleischner 2017 does not apply to patients with ${why} (active condition: ${clip(context.scope.condition, 80)}): no follow-up interval is given; manage with the patient's oncology or transplant team.`
    )
    return { guideline: 'none', exclusion: context.scope.exclusion }
  }
  const part = fleischnerPart(finding, nodule, context, caveats)
  if (!context.possibleScope) return part
  // Read as in scope (excluding on words alone would drop the interval), but never quietly.
  const named = clip(context.possibleScope.condition, 80)
  caveats.push(
    context.possibleScope.why === 'remission'
      ? `Condition "${named}" is a malignancy in remission: Fleischner 2017 is not for patients with a known cancer, and a new nodule may be a metastasis. The interval is given as if it applied; review with the patient's oncology team.`
      : `Active condition "${named}" reads like a malignancy or immunosuppression, though its code is not on the service's lists: Fleischner 2017 does not apply to such patients. The interval is given as if it did; review with the patient's oncology or transplant team.`
  )
  return { ...part, suspicious: true }
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
  // A nodule no guideline row assessed (no size, sizes that cannot be real, no category) inside
  // the guideline's scope needs a look, so at least a warning: unassessed is not cleared.
  const unassessed = finding.kind === 'pulmonary-nodule' && !part.category && !part.exclusion
  const computed: Indicator = critical
    ? 'critical'
    : suspicious || readsCritical || unassessed
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

/**
 * Why a nodule's card names no follow-up, when its assessment has none; undefined when its
 * guideline row says no routine follow-up. Never "no routine follow-up" unless a row says so: a
 * nodule with no size or no category is unassessed, not cleared.
 */
export function noFollowUpReason(a: Assessment): NoFollowUpReason | undefined {
  if (a.exclusion) return a.exclusion
  if (!a.category) {
    if (a.finding.nodule?.sizeUnusable) return 'bad-size'
    const { d } = noduleDiameters(a.finding.nodule ?? { change: 'baseline', benignFeature: false })
    return d === undefined ? 'no-size' : 'no-category'
  }
  if (a.guideline === 'lung-rads-v2022') {
    if (a.category === '4B' || a.category === '4X') return 'work-up'
    if (a.category === '0') return 'incomplete'
  }
  if (a.guideline === 'fleischner-2017' && a.finding.nodule?.change === 'growing') return 'growing'
  return undefined
}

/** Reasons for no follow-up that are the guideline's own scope, not a gap in the data. */
const OUT_OF_SCOPE: ReadonlySet<NoFollowUpReason> = new Set([
  'under-35',
  'malignancy',
  'immunosuppressed',
])

/**
 * True for a finding no rule can close, so it stays open until someone reviews it: a kind
 * imaging-cds has no rule for, or a nodule left without a follow-up for any reason but the
 * guideline's scope (no size, an impossible size, no category, a work-up, an incomplete exam,
 * growth). Such a finding is never treated as cleared (docs/clinical-rules.md).
 */
export function needsReview(a: Assessment): boolean {
  if (a.finding.kind === 'unknown') return true
  if (!a.finding.nodule || a.followUp) return false
  const reason = noFollowUpReason(a)
  return reason !== undefined && !OUT_OF_SCOPE.has(reason)
}

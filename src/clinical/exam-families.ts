/**
 * @module clinical/exam-families
 * Which exam an order or study is (screening LDCT, diagnostic chest CT, PET/CT, tissue sampling or
 * referral), which exams a follow-up accepts, when it is due (a window with a tolerance), and the
 * one pure answer to "does this order, or this later study, cover this follow-up?". Tables mirror
 * docs/clinical-rules.md ("Exam families", "Due windows", "Coverage"); every row is tested.
 */
import { codeSystem, codingIs } from './codes'
import { followUpDate, isArrangeNow } from './context'
import type { CodingRef, FollowUp } from './types'

export const examFamilies = [
  'screening-ldct',
  'diagnostic-chest-ct',
  'pet-ct',
  'tissue-sampling',
] as const
export type ExamFamily = (typeof examFamilies)[number]

/** What an order's or study's code says: a family, no code yet (`uncoded`), or something else. */
export type ExamReading = ExamFamily | 'uncoded' | 'other'

export interface ExamCode {
  system: string
  code: string
  display: string
  source: string
}

const HCPCS = 'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets'
const noridian =
  'Noridian Medicare JF-A "Lung Cancer Screening" (G0297 deleted after 2020-12-31; 71271 effective 2021-01-01)'
const cptChest =
  'AMA CPT descriptors as quoted by CMS-derived code pages (71250 "Computed tomography, thorax, diagnostic; without contrast material"; 71260 with; 71270 without followed by with)'
const cptPet =
  'AMA CPT descriptors as quoted by code pages (78815 "PET with concurrently acquired CT ... skull base to mid-thigh"; 78816 "... whole body"; 78814 "... limited area")'
const loincAzure = 'Azure Health Insights radiology LOINC list; IHE IMR FSH examples'
const loincTw = 'Taiwan IG value set; a US quality-core ImagingStudy example'
const radlexCore =
  'RSNA RadLex Playbook core list (jami-fhir-jp-wg/jp-core-v1x JP_ImagingStudy_RadLexPlaybook_CoreDev_CS.fsh, historic)'

/** The exam families and their codes; tissue sampling and referral are site-configured only. */
export const examFamilyTable: readonly {
  family: ExamFamily
  name: string
  codes: readonly ExamCode[]
}[] = [
  {
    family: 'screening-ldct',
    name: 'screening LDCT',
    codes: [
      {
        system: codeSystem.loinc,
        code: '79086-5',
        display: 'CT Chest for screening WO contrast',
        source: loincTw,
      },
      {
        system: codeSystem.loinc,
        code: '87279-6',
        display: 'CT Chest Screening',
        source: `${loincTw}; openimagingdata FHIRSamples lung_ca_screening_example`,
      },
      {
        system: codeSystem.radlex,
        code: 'RPID6002',
        display: 'CT Chest wo IV Contrast Screening',
        source: radlexCore,
      },
      {
        system: codeSystem.radlex,
        code: 'RPID6000',
        display: 'CT Chest w IV Contrast Screening',
        source: radlexCore,
      },
      {
        system: codeSystem.cpt,
        code: '71271',
        display: 'CT thorax, low dose for lung cancer screening, without contrast',
        source: noridian,
      },
      {
        system: HCPCS,
        code: 'G0297',
        display: 'Low dose CT scan (LDCT) for lung cancer screening (ended 2020-12-31)',
        source: noridian,
      },
    ],
  },
  {
    family: 'diagnostic-chest-ct',
    name: 'diagnostic CT chest',
    codes: [
      {
        system: codeSystem.loinc,
        code: '29252-4',
        display: 'CT Chest WO contrast',
        source: loincAzure,
      },
      { system: codeSystem.loinc, code: '24627-2', display: 'CT Chest', source: loincAzure },
      {
        system: codeSystem.loinc,
        code: '24628-0',
        display: 'CT Chest W contrast IV',
        source: loincAzure,
      },
      {
        system: codeSystem.radlex,
        code: 'RPID16',
        display: 'CT Chest wo IV Contrast',
        source: radlexCore,
      },
      {
        system: codeSystem.radlex,
        code: 'RPID17',
        display: 'CT Chest w and wo IV Contrast',
        source: radlexCore,
      },
      {
        system: codeSystem.radlex,
        code: 'RPID18',
        display: 'CT Chest w IV Contrast',
        source: radlexCore,
      },
      {
        system: codeSystem.radlex,
        code: 'RPID6001',
        display: 'CT Chest wo IV Contrast Lung Parenchyma',
        source: radlexCore,
      },
      {
        system: codeSystem.radlex,
        code: 'RPID147',
        display: 'CT Chest w IV Contrast Pulmonary Embolus',
        source: radlexCore,
      },
      {
        system: codeSystem.cpt,
        code: '71250',
        display: 'CT thorax, diagnostic; without contrast',
        source: cptChest,
      },
      {
        system: codeSystem.cpt,
        code: '71260',
        display: 'CT thorax, diagnostic; with contrast',
        source: cptChest,
      },
      {
        system: codeSystem.cpt,
        code: '71270',
        display: 'CT thorax, diagnostic; without contrast, followed by contrast',
        source: cptChest,
      },
    ],
  },
  {
    family: 'pet-ct',
    name: 'PET/CT',
    codes: [
      {
        system: codeSystem.loinc,
        code: '81555-5',
        display: 'PT+CT Whole body Tum loc W 18F-FDG IV',
        source: loincTw,
      },
      {
        system: codeSystem.radlex,
        code: 'RPID6017',
        display: 'PT/CT Tumor Localization Skull Base to Mid Thigh',
        source: radlexCore,
      },
      {
        system: codeSystem.radlex,
        code: 'RPID6018',
        display: 'PT/CT Tumor Localization Whole Body',
        source: radlexCore,
      },
      {
        system: codeSystem.cpt,
        code: '78814',
        display: 'PET with concurrently acquired CT; limited area',
        source: cptPet,
      },
      {
        system: codeSystem.cpt,
        code: '78815',
        display: 'PET with concurrently acquired CT; skull base to mid-thigh',
        source: cptPet,
      },
      {
        system: codeSystem.cpt,
        code: '78816',
        display: 'PET with concurrently acquired CT; whole body',
        source: cptPet,
      },
    ],
  },
  { family: 'tissue-sampling', name: 'tissue sampling or referral', codes: [] },
]

/** Codes a site adds to a family (its own billing codes, its configured order codes). */
export type SiteExamCodes = Partial<Record<ExamFamily, readonly { system: string; code: string }[]>>

/**
 * The family an order's or a study's codes name. The site's codes are tried first (a site that
 * orders 3-month LDCTs under its own code knows best), then the table. `uncoded` when no coding
 * carries a code (the CDS Hooks sandbox sends `coding: [{}]` before a procedure is picked).
 */
export function examFamilyOf(
  codings: readonly CodingRef[] | undefined,
  site: SiteExamCodes = {}
): ExamReading {
  const list = codings ?? []
  for (const [family, codes] of Object.entries(site) as [ExamFamily, SiteExamCodes[ExamFamily]][])
    if (list.some((c) => (codes ?? []).some((s) => codingIs(c, s.system, s.code)))) return family
  for (const row of examFamilyTable)
    if (list.some((c) => row.codes.some((s) => codingIs(c, s.system, s.code)))) return row.family
  return list.some((c) => c.code?.trim()) ? 'other' : 'uncoded'
}

/** The family a follow-up's order kind is placed as (its configured code's family). */
export const familyOfOrderKind: Readonly<Record<FollowUp['order'], ExamFamily>> = {
  ldct: 'screening-ldct',
  'ldct-interval': 'screening-ldct',
  'ct-chest': 'diagnostic-chest-ct',
  'pet-ct': 'pet-ct',
}

/**
 * Which families cover a follow-up (docs/clinical-rules.md, "Coverage"):
 * - an interval LDCT (1–3, 3 or 6 months) as screening LDCT or diagnostic CT chest, which sites
 *   use for interval follow-ups; the annual (12-month) LDCT only as screening LDCT;
 * - a work-up to arrange now (Lung-RADS 4B/4X) by any of its options: diagnostic CT chest, PET/CT,
 *   tissue sampling or referral; never by a screening LDCT;
 * - an interval CT chest (Fleischner) as diagnostic CT chest only;
 * - a PET/CT as PET/CT only.
 */
export function acceptedFamilies(followUp: Pick<FollowUp, 'order' | 'months'>): ExamFamily[] {
  if (followUp.order === 'pet-ct') return ['pet-ct']
  if (followUp.order === 'ldct-interval') return ['screening-ldct', 'diagnostic-chest-ct']
  if (followUp.order === 'ldct')
    return followUp.months.from >= 12
      ? ['screening-ldct']
      : ['screening-ldct', 'diagnostic-chest-ct']
  if (isArrangeNow(followUp)) return ['diagnostic-chest-ct', 'pet-ct', 'tissue-sampling']
  return ['diagnostic-chest-ct']
}

/** Default tolerance either side of a due date: four weeks. */
export const DEFAULT_DUE_TOLERANCE_DAYS = 28

/** When a follow-up is due, and the dates an order or study may fall on to count as it. */
export interface DueWindow {
  /** The due date (the study date for a work-up to arrange now), or the start of a range. */
  due: string
  /** The end of a range (Fleischner "6–12 months"). */
  end?: string
  /** Earliest date that counts: due − tolerance; the range's start; the study date for "now". */
  low: string
  /** Latest date that counts: due + tolerance; the range's end; study + tolerance for "now". */
  high: string
  /** A work-up to arrange now rather than at an interval. */
  now: boolean
}

/** `date` (YYYY-MM-DD) plus whole days, in UTC calendar arithmetic. */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  const t = new Date(0)
  t.setUTCFullYear(y, m - 1, d + days)
  const pad = (n: number, w = 2) => String(n).padStart(w, '0')
  return `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`
}

/** Days from `a` to `b` (YYYY-MM-DD), positive when `b` is later. */
export function daysFrom(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000)
}

/**
 * The due window of a follow-up counted from the study date (YYYY-MM-DD): a date ± the tolerance;
 * a range's own period (no tolerance: the range is the tolerance); a work-up to arrange now from
 * the study date to the tolerance after it. An optional PET/CT ("may be considered") has no late
 * bound: the guidelines give it no interval.
 */
export function dueWindow(
  studyDate: string,
  followUp: Pick<FollowUp, 'order' | 'months' | 'optional'>,
  toleranceDays: number = DEFAULT_DUE_TOLERANCE_DAYS
): DueWindow {
  const { from, to } = followUp.months
  const noLateBound = followUp.order === 'pet-ct' && !!followUp.optional
  if (isArrangeNow(followUp))
    return {
      due: studyDate,
      low: studyDate,
      high: noLateBound ? '9999-12-31' : addDays(studyDate, toleranceDays),
      now: true,
    }
  const due = followUpDate(studyDate, from)
  if (to !== undefined && to !== from) {
    const end = followUpDate(studyDate, to)
    return { due, end, low: due, high: noLateBound ? '9999-12-31' : end, now: false }
  }
  return {
    due,
    low: addDays(due, -toleranceDays),
    high: noLateBound ? '9999-12-31' : addDays(due, toleranceDays),
    now: false,
  }
}

/** What coverage reads of an order (or a study): plain facts, no FHIR. */
export interface CandidateFacts {
  family: ExamReading
  /** References the order gives as its reason (`Observation/x`, `DiagnosticReport/y`, ...). */
  reasons: readonly string[]
  /** The date it is for (occurrence), or the study date. */
  date?: string
  /** When the order was written (authoredOn), for undated orders. */
  authored?: string
}

/** The follow-up a candidate is measured against. */
export interface FollowUpTarget {
  followUp: Pick<FollowUp, 'order' | 'months' | 'optional'>
  /** The study date (YYYY-MM-DD) the follow-up counts from. */
  studyDate: string
  /** The finding's Observation and the Observations of the same nodule (its prior chain). */
  findingRefs: readonly string[]
  /** The AI report(s) the finding came from. */
  reportRefs: readonly string[]
  toleranceDays?: number
  /** The due window, when already computed for this target (many orders, one window). */
  window?: DueWindow
}

export type Coverage =
  | { covers: true; window: DueWindow }
  | {
      covers: false
      window: DueWindow
      /** Why not: another exam, another finding, no date, or outside the window. */
      because: 'wrong-exam' | 'other-finding' | 'undated' | 'early' | 'late'
      /** For early and late: days before the due date, or after the due date (range: its end). */
      days?: number
    }

/** Reasons that name another finding: an Observation or report that is not this finding's. */
function namesAnotherFinding(reasons: readonly string[], target: FollowUpTarget): boolean {
  const findingish = reasons.filter((r) => /^(Observation|DiagnosticReport)\//.test(r))
  if (!findingish.length) return false
  return !findingish.some((r) => target.findingRefs.includes(r) || target.reportRefs.includes(r))
}

/** Where a date falls against a window. */
function timing(date: string, window: DueWindow): Coverage {
  if (date < window.low)
    return { covers: false, window, because: 'early', days: daysFrom(date, window.due) }
  if (date > window.high)
    return {
      covers: false,
      window,
      because: 'late',
      days: daysFrom(window.end ?? window.due, date),
    }
  return { covers: true, window }
}

/**
 * Does this order cover the follow-up? Only when it is that follow-up: an accepted family, for
 * this finding (its Observation, its report, or no finding named as reason), and dated within the
 * due window, or undated but written on or after the study for a work-up to arrange now.
 */
export function orderCoverage(order: CandidateFacts, target: FollowUpTarget): Coverage {
  const window = target.window ?? dueWindow(target.studyDate, target.followUp, target.toleranceDays)
  const family = order.family
  if (
    family === 'uncoded' ||
    family === 'other' ||
    !acceptedFamilies(target.followUp).includes(family)
  )
    return { covers: false, window, because: 'wrong-exam' }
  if (namesAnotherFinding(order.reasons, target))
    return { covers: false, window, because: 'other-finding' }
  if (!order.date) {
    const covers = window.now && !!order.authored && order.authored >= target.studyDate
    return covers ? { covers: true, window } : { covers: false, window, because: 'undated' }
  }
  return timing(order.date, window)
}

/**
 * Does a later study show the follow-up was done? Only when it is of an accepted family and was
 * performed inside the due window (a chest CT for haemoptysis 6 days after a 4A LDCT is not the
 * 3-month follow-up).
 */
export function studyCoverage(
  study: { family: ExamReading; date: string },
  target: FollowUpTarget
): Coverage {
  const window = target.window ?? dueWindow(target.studyDate, target.followUp, target.toleranceDays)
  const family = study.family
  if (
    family === 'uncoded' ||
    family === 'other' ||
    !acceptedFamilies(target.followUp).includes(family)
  )
    return { covers: false, window, because: 'wrong-exam' }
  if (study.date <= target.studyDate)
    return { covers: false, window, because: 'early', days: daysFrom(study.date, window.due) }
  return timing(study.date, window)
}

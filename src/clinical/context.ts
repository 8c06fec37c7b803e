/**
 * @module clinical/context
 * The patient and study facts an assessment depends on, read from FHIR: whether a study is lung
 * cancer screening, the patient's smoking risk, age on a date, and follow-up dates. Dates are
 * handled as calendar strings, never through the local time zone.
 */
import type { CodeableConcept, ImagingStudy, Observation, ServiceRequest } from 'fhir/r4'
import { anyCodingIs, codeSystem, codingIs } from './codes'
import { codingsOf, conceptWords } from './fhir-values'
import { matchPhrases, smokingPhrases } from './phrases'
import type { FollowUp, SmokingRisk } from './types'

/**
 * Procedure codes of a lung cancer screening LDCT (the contract's screening list): LOINC 79086-5
 * and 87279-6, RadLex RPID6002, CPT 71271, HCPCS G0297 and SNOMED CT 16334891000119106 (US
 * extension). Sources in docs/clinical-rules.md.
 */
export const screeningProcedureCodes: readonly (readonly [string, string])[] = [
  [codeSystem.loinc, '79086-5'],
  [codeSystem.loinc, '87279-6'],
  [codeSystem.radlex, 'RPID6002'],
  [codeSystem.cpt, '71271'],
  [codeSystem.hcpcs, 'G0297'],
  [codeSystem.snomed, '16334891000119106'],
]

/**
 * Reasons that make an exam part of the lung cancer screening programme: lung cancer screening
 * in words, or a Lung-RADS category (a Lung-RADS follow-up exam, e.g. a diagnostic chest CT "for
 * Lung-RADS 4A follow-up"). The word "screening" alone is not one: "screening for metastatic
 * disease" and "pre-transplant screening" are not lung cancer screening.
 */
export const lungScreeningReasonPhrases: readonly RegExp[] = [
  /\blung[- ]?rads\b/i,
  /\blung (?:cancer |nodule )?screening\b/i,
  /\bscreening (?:for )?(?:lung cancer|(?:malignant )?neoplasm of (?:the )?(?:lung|bronchus|respiratory))/i,
  /\b(?:ldct|low[- ]dose ct)\b.*\bscreening\b/i,
  /\bscreening\b.*\b(?:ldct|low[- ]dose ct)\b/i,
]

/** ICD-10 Z12.2: encounter for screening for malignant neoplasm of respiratory organs. */
const lungScreeningIcd = (c: { system?: string; code?: string }) =>
  /^Z12\.?2$/i.test(c.code ?? '') && /icd/i.test(c.system ?? '')

/** True when a reason concept says lung cancer screening or names a Lung-RADS category. */
function reasonSaysScreening(concept: CodeableConcept | undefined): boolean {
  return (
    codingsOf(concept).some(lungScreeningIcd) ||
    conceptWords(concept).some((w) => lungScreeningReasonPhrases.some((p) => p.test(w)))
  )
}

/**
 * A procedure named as a chest CT screening exam (the display of LOINC 79086-5, "CT Chest
 * Screening WO contr", sent without its code), unless it names another purpose.
 */
const chestScreeningProcedure = /\b(?:chest|thorax|thoracic|lungs?)\b.*\bscreening\b/i
const notLungCancerScreening = /metasta|transplant|pre-?op|tubercul|\btb\b|covid|occupational/i

/** True when a procedure concept is a screening LDCT code, or says lung cancer screening. */
function procedureSaysScreening(concept: CodeableConcept | undefined): boolean {
  return (
    anyCodingIs(codingsOf(concept), screeningProcedureCodes) ||
    reasonSaysScreening(concept) ||
    conceptWords(concept).some(
      (w) => chestScreeningProcedure.test(w) && !notLungCancerScreening.test(w)
    )
  )
}

/**
 * True when a study is part of lung cancer screening: its procedure code, or the code of the
 * ServiceRequest it was based on, is a screening LDCT; or a reason (the study's, the order's
 * reasonCode, or the display of its reasonReference) says lung cancer screening or names a
 * Lung-RADS category. A diagnostic chest CT (CPT 71250, LOINC 29252-4) counts only with such a
 * reason. Codes decide; the word "screening" alone does not.
 */
export function isScreeningStudy(study: ImagingStudy, basedOn: ServiceRequest[] = []): boolean {
  const procedures = [...(study.procedureCode ?? []), ...basedOn.map((order) => order.code)]
  const reasons = [
    ...(study.reasonCode ?? []),
    ...(study.reasonReference ?? []).map((r) => ({ text: r.display })),
    ...basedOn.flatMap((order) => [
      ...(order.reasonCode ?? []),
      ...(order.reasonReference ?? []).map((r) => ({ text: r.display })),
    ]),
  ]
  return procedures.some(procedureSaysScreening) || reasons.some(reasonSaysScreening)
}

/** LOINC 72166-2 "Tobacco smoking status". */
export const smokingStatusCode = [codeSystem.loinc, '72166-2'] as const

/** SNOMED smoking-status values and the Fleischner risk they imply. */
export const smokingStatusRisk: Readonly<Record<string, SmokingRisk>> = {
  '449868002': 'high', // current every day smoker
  '428041000124106': 'high', // current some day smoker
  '428071000124103': 'high', // current heavy tobacco smoker
  '428061000124105': 'high', // current light tobacco smoker
  '77176002': 'high', // smoker, current status unknown
  '8517006': 'high', // former smoker
  '266919005': 'low', // never smoked tobacco
  '266927001': 'unknown', // unknown if ever smoked
}

/** Free-text status, read with the smoking phrase list: current or former → high, never → low. */
function riskOfWords(words: string[]): SmokingRisk {
  const history = matchPhrases(smokingPhrases, words)
  return history === undefined ? 'unknown' : history === 'never' ? 'low' : 'high'
}

function observedAt(o: Observation): number {
  const when =
    o.effectiveDateTime ??
    o.effectiveInstant ??
    o.effectivePeriod?.end ??
    o.effectivePeriod?.start ??
    o.issued
  const time = when ? Date.parse(when) : NaN
  return Number.isNaN(time) ? -Infinity : time
}

/**
 * Fleischner risk from the latest smoking-status Observation: current or former smoker → high,
 * never → low; anything else, or no such Observation, → unknown (which assess treats as high).
 */
export function smokingRisk(observations: Observation[]): SmokingRisk {
  const latest = observations
    .filter((o) => anyCodingIs(codingsOf(o.code), [smokingStatusCode]))
    .filter((o) => o.status !== 'entered-in-error' && o.status !== 'cancelled')
    .reduce<Observation | undefined>(
      (latest, o) => (!latest || observedAt(o) > observedAt(latest) ? o : latest),
      undefined
    )
  if (!latest) return 'unknown'
  const value = latest.valueCodeableConcept
  for (const coding of codingsOf(value)) {
    const risk = coding.code ? smokingStatusRisk[coding.code] : undefined
    if (risk && codingIs(coding, codeSystem.snomed, coding.code ?? '')) return risk
  }
  return riskOfWords([...conceptWords(value), latest.valueString ?? ''])
}

/** Days in a month (1-12); setUTCFullYear, unlike Date.UTC, leaves years below 100 alone. */
function daysInMonth(year: number, month: number): number {
  const date = new Date(0)
  date.setUTCFullYear(year, month, 0)
  return date.getUTCDate()
}

const datePattern = /^(\d{4})(?:-?(\d{2})(?:-?(\d{2}))?)?/

/** Year, month and day of a FHIR date, dateTime or DICOM DA string; missing parts are 1. */
function calendarDate(value: string, what: string): { y: number; m: number; d: number } {
  const match = value.trim().match(datePattern)
  const [y, m, d] = [Number(match?.[1]), Number(match?.[2] ?? 1), Number(match?.[3] ?? 1)]
  if (!match || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) {
    throw new RangeError(`${what} is not a date: ${JSON.stringify(value)}`)
  }
  return { y, m, d }
}

/**
 * Completed years between `birthDate` and `on` (FHIR date or dateTime; the date part is used as
 * written). A partial birth date counts from the start of its year or month. Patient data can be
 * malformed, so an unreadable date gives NaN rather than an exception; `assess` treats a
 * non-finite age as unknown.
 */
export function ageInYears(birthDate: string, on: string): number {
  try {
    const born = calendarDate(birthDate, 'birthDate')
    const at = calendarDate(on, 'date')
    const beforeBirthday = at.m < born.m || (at.m === born.m && at.d < born.d)
    return at.y - born.y - (beforeBirthday ? 1 : 0)
  } catch {
    return NaN
  }
}

/**
 * The date `months` calendar months after `studyDate`, as YYYY-MM-DD; the day is clamped to the
 * end of a shorter month (31 Jan + 1 month → 28 or 29 Feb). Throws a RangeError when `studyDate`
 * is not a date or `months` is not a whole number: a wrong due date must not reach an order.
 */
export function followUpDate(studyDate: string, months: number): string {
  if (!Number.isInteger(months)) throw new RangeError(`months must be a whole number: ${months}`)
  const start = calendarDate(studyDate, 'studyDate')
  const monthIndex = start.y * 12 + (start.m - 1) + months
  const year = Math.floor(monthIndex / 12)
  const month = (monthIndex % 12) + 1
  const day = Math.min(start.d, daysInMonth(year, month))
  const pad = (n: number, width = 2) => String(n).padStart(width, '0')
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`
}

/**
 * True when a follow-up is a work-up to arrange now (`months.from: 0`, no range: Lung-RADS 4B/4X
 * diagnostic CT, an optional PET/CT), not an interval after the study.
 */
export const isArrangeNow = (followUp: Pick<FollowUp, 'months'>) =>
  followUp.months.from === 0 && (followUp.months.to ?? 0) === 0

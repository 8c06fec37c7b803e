/**
 * @module clinical/context
 * The patient and study facts an assessment depends on, read from FHIR: whether a study is lung
 * cancer screening, the patient's smoking risk, age on a date, and follow-up dates. Dates are
 * handled as calendar strings, never through the local time zone.
 */
import type { CodeableConcept, ImagingStudy, Observation, ServiceRequest } from 'fhir/r4'
import { anyCodingIs, codeSystem, codingIs } from './codes'
import { codingsOf, conceptWords } from './fhir-values'
import type { FollowUp, SmokingRisk } from './types'

/** Procedure codes of a lung cancer screening LDCT (CPT 71271 is its US billing code). */
export const screeningProcedureCodes: readonly (readonly [string, string])[] = [
  [codeSystem.loinc, '79086-5'],
  [codeSystem.loinc, '87279-6'],
  [codeSystem.radlex, 'RPID6002'],
  [codeSystem.cpt, '71271'],
]

/** Screening named for another organ: not a reason to apply Lung-RADS. */
const otherScreening =
  /colon|colorectal|bowel|breast|mammo|prostat|cervi|aneurysm|abdom|liver|hepat|renal|kidney|thyroid|bone|coronary|calcium/i

/** True when a text speaks of screening and not of screening some other organ. */
const saysLungScreening = (text: string) => /screen/i.test(text) && !otherScreening.test(text)

/** True when a concept is a screening procedure code, ICD-10 Z12.2, or says lung screening. */
function conceptSaysScreening(concept: CodeableConcept | undefined): boolean {
  const codings = codingsOf(concept)
  // ICD-10 Z12.2: encounter for screening for malignant neoplasm of respiratory organs
  const lungScreeningReason = codings.some(
    (c) => /^Z12\.?2$/i.test(c.code ?? '') && /icd/i.test(c.system ?? '')
  )
  return (
    lungScreeningReason ||
    anyCodingIs(codings, screeningProcedureCodes) ||
    conceptWords(concept).some(saysLungScreening)
  )
}

/**
 * True when a study is a lung cancer screening exam: by the study's procedure or reason codes,
 * or by the code or reason of the ServiceRequest it was based on (LOINC 79086-5 / 87279-6,
 * RadLex RPID6002, or a reason saying screening).
 */
export function isScreeningStudy(study: ImagingStudy, basedOn: ServiceRequest[] = []): boolean {
  const concepts = [
    ...(study.procedureCode ?? []),
    ...(study.reasonCode ?? []),
    ...basedOn.flatMap((order) => [order.code, ...(order.reasonCode ?? [])]),
  ]
  return concepts.some(conceptSaysScreening)
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

/** Free-text status; "never" is tested first because "never smoker" also says "smoker". */
function riskOfWords(words: string[]): SmokingRisk {
  const text = words.join(' ')
  if (/never|non-?smoker/i.test(text)) return 'low'
  if (/former|ex-?smoker|quit|current|every ?day|some ?day|\bsmoker\b|smokes/i.test(text))
    return 'high'
  return 'unknown'
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

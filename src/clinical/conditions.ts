/**
 * @module clinical/conditions
 * Fleischner 2017's scope: it is not for patients with a known primary cancer or who are
 * immunosuppressed. The patient's active Conditions are read against two code lists (data, with
 * their sources in docs/clinical-rules.md, "Fleischner scope"). A condition these lists cannot
 * classify does not exclude: only a listed code does, and only on an active, unrefuted Condition.
 */
import type { Condition } from 'fhir/r4'
import { codeSystem, codingIs } from './codes'
import { codingsOf } from './fhir-values'
import type { CodingRef } from './types'

export type ScopeExclusion = 'malignancy' | 'immunosuppressed'

export interface ExclusionCodes {
  /** ICD-10-CM category ranges, inclusive, e.g. C00–C96 (a code's first three characters). */
  icd10Ranges: readonly (readonly [string, string])[]
  /** Single ICD-10-CM categories or codes, matched as prefixes (Z94 covers Z94.0–Z94.9). */
  icd10Prefixes: readonly string[]
  /** SNOMED CT concepts, exact (no subsumption: the service has no terminology server). */
  snomed: readonly { code: string; display: string }[]
}

/** The input contract's lists (docs/clinical-rules.md, "Fleischner 2017"). */
export const scopeExclusionCodes: Readonly<Record<ScopeExclusion, ExclusionCodes>> = {
  malignancy: {
    icd10Ranges: [['C00', 'C96']],
    icd10Prefixes: [],
    snomed: [{ code: '363346000', display: 'Malignant neoplastic disease' }],
  },
  immunosuppressed: {
    icd10Ranges: [['D80', 'D84']],
    icd10Prefixes: ['B20', 'Z94'],
    snomed: [{ code: '370388006', display: 'Patient immunocompromised' }],
  },
}

const icdSystem = (system: string | undefined) => !system || /icd-?10/i.test(system)

/** ICD-10 category of a code: `C34.11` → `C34`; `C7A.0` → `C7A`. */
const category = (code: string) => code.trim().toUpperCase().replace('.', '').slice(0, 3)

function icdMatches(coding: CodingRef, codes: ExclusionCodes): boolean {
  if (!coding.code || !icdSystem(coding.system)) return false
  // A bare code with no system must look like ICD-10 (a letter, two characters) to count.
  if (!/^[A-Z][0-9][0-9A-Z]/i.test(coding.code.trim())) return false
  const cat = category(coding.code)
  const bare = coding.code.trim().toUpperCase().replace('.', '')
  return (
    codes.icd10Ranges.some(([from, to]) => cat >= from && cat <= to) ||
    codes.icd10Prefixes.some((p) => bare.startsWith(p))
  )
}

const inactive = new Set(['inactive', 'remission', 'resolved'])
const unconfirmed = new Set(['refuted', 'entered-in-error'])

/** True when a Condition counts: active (or status not given) and not refuted. */
function counts(condition: Condition): boolean {
  const clinical = codingsOf(condition.clinicalStatus).map((c) => c.code)
  const verification = codingsOf(condition.verificationStatus).map((c) => c.code)
  return (
    !clinical.some((c) => c && inactive.has(c)) &&
    !verification.some((c) => c && unconfirmed.has(c))
  )
}

/**
 * A condition that may put the patient outside Fleischner's scope without excluding: `uncoded`,
 * active but on neither list, its words reading like a malignancy or immunosuppression; or
 * `remission`, a malignancy (by list or words) whose clinical status is remission.
 */
export interface PossibleScope {
  condition: string
  why: 'uncoded' | 'remission'
}

export interface ScopeFinding {
  exclusion: ScopeExclusion
  /** What the condition is called, for the card: its text, display or code. */
  condition: string
}

/**
 * The first reason Fleischner does not apply to this patient, from their active Conditions:
 * a malignancy before immunosuppression. Undefined when no Condition is on either list.
 */
export function fleischnerScope(conditions: readonly Condition[]): ScopeFinding | undefined {
  for (const exclusion of ['malignancy', 'immunosuppressed'] as const) {
    const codes = scopeExclusionCodes[exclusion]
    for (const condition of conditions) {
      if (condition.resourceType !== 'Condition' || !counts(condition)) continue
      const codings = codingsOf(condition.code)
      const match = codings.find(
        (c) =>
          icdMatches(c, codes) || codes.snomed.some((s) => codingIs(c, codeSystem.snomed, s.code))
      )
      if (match)
        return {
          exclusion,
          condition: condition.code?.text?.trim() || match.display || match.code || exclusion,
        }
    }
  }
  return undefined
}

/**
 * Words of a condition that may put the patient outside Fleischner's scope when its code is on
 * neither list (most EHRs code a cancer as a specific SNOMED CT descendant, e.g. a lung
 * carcinoma, which the service cannot place without a terminology server).
 */
const possibleExclusionWords =
  /\b(?:cancer|carcinoma|adenocarcinoma|malignan\w*|lymphoma|leuka?emia|sarcoma|melanoma|myeloma|metasta\w*|immunosuppress\w*|immunocompromis\w*|immunodeficien\w*|transplant\w*|hiv)\b/i
/** Phrases that say the patient does not have it: a family history, screening, a negation. */
const notThePatients =
  /\b(?:family history|fh|screening|fear|risk|no|without|negative for|ruled out|denies)\b/i

/** Its words, from the code's text and each coding's display. */
const namesOf = (condition: Condition) =>
  [condition.code?.text, ...codingsOf(condition.code).map((c) => c.display)]
    .map((w) => w?.trim())
    .filter((w): w is string => !!w)

/** True when a Condition is a malignancy in remission, by the list's codes or by its words. */
function malignancyInRemission(condition: Condition): string | undefined {
  const clinical = codingsOf(condition.clinicalStatus).map((c) => c.code)
  const verification = codingsOf(condition.verificationStatus).map((c) => c.code)
  if (!clinical.includes('remission') || verification.some((c) => c && unconfirmed.has(c)))
    return undefined
  const codes = scopeExclusionCodes.malignancy
  const coded = codingsOf(condition.code).find(
    (c) => icdMatches(c, codes) || codes.snomed.some((s) => codingIs(c, codeSystem.snomed, s.code))
  )
  const named = namesOf(condition).find(
    (w) => possibleExclusionWords.test(w) && !notThePatients.test(w)
  )
  if (!coded && !named) return undefined
  return condition.code?.text?.trim() || named || coded?.display || coded?.code || 'malignancy'
}

/**
 * A Condition that may put the patient outside Fleischner's scope without excluding, for a
 * caveat: an active, unrefuted one that no list classifies but whose words read like a
 * malignancy or immunosuppression ("Non-small cell lung cancer" coded as a SNOMED CT
 * descendant), or a malignancy in remission (not active, so it does not exclude, but a known
 * cancer all the same: a nodule may be a metastasis). Fleischner is still applied (a wrong
 * exclusion would drop the interval); the assessment says why it may not apply
 * (docs/clinical-rules.md, "Fleischner 2017").
 */
export function possibleScopeCondition(
  conditions: readonly Condition[]
): PossibleScope | undefined {
  for (const condition of conditions) {
    if (condition.resourceType !== 'Condition') continue
    if (counts(condition)) {
      const named = namesOf(condition).find(
        (w) => possibleExclusionWords.test(w) && !notThePatients.test(w)
      )
      if (named) return { condition: named, why: 'uncoded' }
    } else {
      const inRemission = malignancyInRemission(condition)
      if (inRemission) return { condition: inRemission, why: 'remission' }
    }
  }
  return undefined
}

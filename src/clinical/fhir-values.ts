/**
 * @module clinical/fhir-values
 * Small, forgiving readers for FHIR datatypes: codings without empty entries, quantities in mm,
 * references by type and id. Producers send empty codings, missing displays and odd units; these
 * helpers absorb that so the finding reader can stay a plain mapping.
 */
import type { CodeableConcept, Extension, Quantity } from 'fhir/r4'
import { clip } from '../text/index'
import type { CodingRef } from './types'

/**
 * The codings of a concept, trimmed, without entries that carry neither a code nor a display.
 * Computed on every call: a reader that asks about the same concepts many times computes them once
 * (src/clinical/observation-components.ts).
 */
export function codingsOf(concept: CodeableConcept | undefined): readonly CodingRef[] {
  const codings = concept?.coding
  if (!codings) return []
  const out: CodingRef[] = []
  for (const c of codings) {
    const code = c.code?.trim() || undefined
    const display = c.display?.trim() || undefined
    const system = c.system?.trim() || undefined
    if (!code && !display) continue
    const ref: CodingRef = {}
    if (system) ref.system = system
    if (code) ref.code = code
    if (display) ref.display = display
    out.push(ref)
  }
  return out
}

/** Every word a concept offers for text matching: its text, then each display and code. */
export function conceptWords(concept: CodeableConcept | undefined): string[] {
  const words = [concept?.text, ...codingsOf(concept).flatMap((c) => [c.display, c.code])]
  return words.filter((w): w is string => Boolean(w?.trim()))
}

/** A length in mm: UCUM `mm` or no unit as given, `cm` and `m` converted. */
export function quantityMm(quantity: Quantity | undefined): number | undefined {
  const value = quantity?.value
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined
  const unit = (quantity?.code ?? quantity?.unit ?? 'mm').trim().toLowerCase()
  if (unit === 'cm') return value * 10
  if (unit === 'm') return value * 1000
  if (unit === 'mm' || unit === 'millimeter' || unit === 'millimetre' || unit === '') return value
  return undefined
}

/**
 * A fraction 0..1 from a quantity: `%` (or a bare value above 1) is read as a percentage.
 * Out-of-range values are clamped rather than dropped.
 */
export function quantityFraction(value: number | undefined, unit?: string): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined
  const percent = unit?.trim() === '%' || value > 1
  return Math.min(1, Math.max(0, percent ? value / 100 : value))
}

/** The sub-extension values of a complex extension, by url. */
export function subExtension(extension: Extension, url: string): Extension | undefined {
  return extension.extension?.find((e) => e.url === url)
}

/** A UID given bare or as `urn:oid:…`, returned bare. */
export const bareUid = (uid: string | undefined) =>
  uid?.trim().replace(/^urn:oid:/i, '') || undefined

/** The longest producer string quoted into card text; a finding's note is not a place for 40 kB. */
export const MAX_QUOTED_LENGTH = 200

/** A producer string as quoted into card text: on one line, at most {@link MAX_QUOTED_LENGTH}. */
export const quoted = (text: string): string => clip(text, MAX_QUOTED_LENGTH)

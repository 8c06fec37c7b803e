/**
 * @module clinical/measure
 * Rounding and size bounds shared by the guideline tables. Thresholds are half-open,
 * `min ≤ x < max`, and are compared with the value already rounded the guideline's way.
 */
import type { NoduleFacts } from './types'

/** Half-open bounds in mm: `min ≤ x < max`; a missing side is unbounded. */
export interface Bounds {
  min?: number
  max?: number
}

/**
 * Rounds half-up to `decimals` places. The value is first trimmed to 12 significant digits so
 * binary noise (5.95 stored as 5.9499999…) cannot turn a tie into a round-down.
 */
export function roundHalfUp(value: number, decimals = 0): number {
  const factor = 10 ** decimals
  const scaled = Number((value * factor).toPrecision(12))
  return Math.floor(scaled + 0.5) / factor
}

/**
 * Sizes a nodule can physically have, in mm: above 0 and at most 300 (a lung is about 300 mm
 * tall; docs/clinical-rules.md, "Measurements outside physical ranges"). Anything else is a
 * producer's error, not a measurement, and is not assessed.
 */
export const NODULE_SIZE_MM = { above: 0, atMost: 300 } as const

/** True for a finite size in {@link NODULE_SIZE_MM}. */
export const isPhysicalNoduleSize = (mm: number): boolean =>
  Number.isFinite(mm) && mm > NODULE_SIZE_MM.above && mm <= NODULE_SIZE_MM.atMost

/** Lung-RADS v2022 reports diameters to one decimal place. */
export const toTenthMm = (mm: number) => roundHalfUp(mm, 1)

/** Fleischner 2017 uses the average rounded to the nearest whole millimetre. */
export const toWholeMm = (mm: number) => roundHalfUp(mm, 0)

/** True when `value` lies within `bounds`. */
export function inBounds(value: number, bounds: Bounds): boolean {
  return (
    (bounds.min === undefined || value >= bounds.min) &&
    (bounds.max === undefined || value < bounds.max)
  )
}

/** Mean of the long and short axes, rounded to 0.1 mm as Lung-RADS v2022 reports it. */
export const meanOfAxes = (longMm: number, shortMm: number) => toTenthMm((longMm + shortMm) / 2)

/**
 * The average diameter as measured, before any guideline rounding: the given mean, else the
 * mean of the long and short axes. Each guideline rounds this value once, its own way; rounding
 * it to 0.1 mm first and then to whole mm would move 5.45 mm (Fleischner 5 mm) up to 6 mm.
 */
export function averageDiameterMm(nodule: NoduleFacts): number | undefined {
  const { meanDiameterMm, longAxisMm, shortAxisMm } = nodule
  if (meanDiameterMm !== undefined) return meanDiameterMm
  return longAxisMm !== undefined && shortAxisMm !== undefined
    ? (longAxisMm + shortAxisMm) / 2
    : undefined
}

/**
 * Total (`d`) and solid-component (`s`) mean diameters rounded to 0.1 mm (Lung-RADS v2022).
 * Fleischner rounds the unrounded values from {@link averageDiameterMm} to whole millimetres.
 */
export function noduleDiameters(nodule: NoduleFacts): { d?: number; s?: number } {
  const average = averageDiameterMm(nodule)
  const d = average !== undefined ? toTenthMm(average) : undefined
  const s = nodule.solidComponentMm !== undefined ? toTenthMm(nodule.solidComponentMm) : undefined
  return { d, s }
}

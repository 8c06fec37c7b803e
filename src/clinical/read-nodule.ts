/**
 * @module clinical/read-nodule
 * Reads the nodule components of a finding Observation (sizes, solidness, position, change,
 * benign features) into `NoduleFacts`. Coded values are matched first, then words, so a
 * producer that sends only a display or text is still understood.
 */
import type { Observation, ObservationComponent } from 'fhir/r4'
import { anyCodingIs, codeSystem, componentCode } from './codes'
import { clip, codingsOf, conceptWords, quantityMm } from './fhir-values'
import type { NoduleChange, NoduleFacts, NodulePosition, Solidness } from './types'

interface QualifierValue<T> {
  value: T
  codes: readonly (readonly [string, string])[]
  words: RegExp
}

const q = (code: string) => [codeSystem.findingQualifier, code] as const
const sct = (code: string) => [codeSystem.snomed, code] as const
const rid = (code: string) => [codeSystem.radlex, code] as const

/** Change since prior: the service's codes and the SNOMED ones the contract also accepts. */
export const changeValues: readonly QualifierValue<NoduleChange>[] = [
  { value: 'baseline', codes: [q('baseline')], words: /baseline|initial|first|no prior/i },
  { value: 'new', codes: [q('new'), sct('7147002')], words: /\bnew\b/i },
  {
    value: 'growing',
    codes: [q('growing'), sct('35105006')],
    words: /grow|increas|enlarg|larger/i,
  },
  { value: 'stable', codes: [q('stable'), sct('58158008')], words: /stable|unchanged|no change/i },
  {
    value: 'decreased',
    codes: [q('decreased'), sct('1250004')],
    words: /decreas|smaller|shrink|regress/i,
  },
]

/** Solidness; word order matters: "part-solid" and "non-solid" also contain "solid". */
export const solidnessValues: readonly QualifierValue<Solidness>[] = [
  { value: 'part-solid', codes: [rid('RID46011')], words: /part|semi[- ]?solid|mixed/i },
  {
    value: 'ground-glass',
    codes: [rid('RID46016'), sct('1217294009')],
    words: /ground|non[- ]?solid|\bgg[on]\b/i,
  },
  { value: 'solid', codes: [rid('RID5741'), sct('35702001')], words: /^solid\b|\ssolid\b/i },
]

/** Position; "subsegmental" is tried before "segmental", which it contains. */
export const positionValues: readonly QualifierValue<NodulePosition>[] = [
  { value: 'juxtapleural', codes: [q('juxtapleural')], words: /juxta-?pleural/i },
  { value: 'perifissural', codes: [q('perifissural')], words: /peri-?fissural/i },
  { value: 'airway-subsegmental', codes: [q('airway-subsegmental')], words: /sub-?segmental/i },
  { value: 'airway-segmental', codes: [q('airway-segmental')], words: /segmental/i },
]

/** A qualifier's value, or `undefined` plus a note when the component is there but not understood. */
function readQualifier<T>(
  component: ObservationComponent | undefined,
  values: readonly QualifierValue<T>[],
  what: string,
  notes: string[]
): T | undefined {
  if (!component) return undefined
  const concept = component.valueCodeableConcept
  const coded = values.find((v) => anyCodingIs(codingsOf(concept), v.codes))
  if (coded) return coded.value
  const words = [...conceptWords(concept), component.valueString ?? ''].filter(Boolean)
  const worded = values.find((v) => words.some((w) => v.words.test(w)))
  if (worded) return worded.value
  if (words.length > 0) notes.push(`${what} "${clip(words[0]!)}" not recognised.`)
  return undefined
}

/** A size component in mm, with a note when its unit is not a length. */
function readSize(
  component: ObservationComponent | undefined,
  what: string,
  notes: string[]
): number | undefined {
  const quantity = component?.valueQuantity
  if (quantity?.value === undefined) return undefined
  const mm = quantityMm(quantity)
  if (mm === undefined)
    notes.push(`${what} unit "${clip(String(quantity.code ?? quantity.unit))}" not understood.`)
  return mm
}

/**
 * The nodule facts of one Observation. When no mean diameter is given it is the mean of the long
 * and short axes, left unrounded: Lung-RADS rounds it to 0.1 mm and Fleischner to whole mm, each
 * from the measured value. No change component means
 * `baseline`; an unrecognised one is also read as baseline, with a note.
 */
export function readNoduleFacts(observation: Observation, notes: string[]): NoduleFacts {
  const component = (pairs: readonly (readonly [string, string])[]) =>
    observation.component?.find((c) => anyCodingIs(codingsOf(c.code), pairs))
  const givenMean = readSize(component(componentCode.meanDiameter), 'Mean diameter', notes)
  const longAxisMm = readSize(component(componentCode.longAxis), 'Long axis', notes)
  const shortAxisMm = readSize(component(componentCode.shortAxis), 'Short axis', notes)
  const solidComponentMm = readSize(
    component(componentCode.solidComponent),
    'Solid component',
    notes
  )
  const meanDiameterMm =
    givenMean ??
    (longAxisMm !== undefined && shortAxisMm !== undefined
      ? (longAxisMm + shortAxisMm) / 2
      : undefined)
  const solidness = readQualifier(
    component(componentCode.solidness),
    solidnessValues,
    'Solidness',
    notes
  )
  const position = readQualifier(
    component(componentCode.position),
    positionValues,
    'Position',
    notes
  )
  const changeComponent = component(componentCode.change)
  const change = readQualifier(changeComponent, changeValues, 'Change since prior', notes)
  if (changeComponent && !change) notes.push('Change since prior read as baseline.')
  return {
    ...(meanDiameterMm !== undefined && { meanDiameterMm }),
    ...(longAxisMm !== undefined && { longAxisMm }),
    ...(shortAxisMm !== undefined && { shortAxisMm }),
    ...(solidComponentMm !== undefined && { solidComponentMm }),
    ...(solidness && { solidness }),
    ...(position && { position }),
    change: change ?? 'baseline',
    benignFeature: component(componentCode.benignFeature)?.valueBoolean === true,
  }
}

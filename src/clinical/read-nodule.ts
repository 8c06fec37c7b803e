/**
 * @module clinical/read-nodule
 * Reads the nodule components of a finding Observation (sizes, solidness, position, change,
 * benign features) into `NoduleFacts`. Coded values are matched first, then words, so a
 * producer that sends only a display or text is still understood.
 */
import type { Observation, ObservationComponent } from 'fhir/r4'
import { anyCodingIs, codeSystem, componentCode } from './codes'
import { conceptWords, quantityMm, quoted } from './fhir-values'
import { componentWith, indexComponents, type IndexedComponent } from './observation-components'
import { changePhrases, matchPhrases, solidnessPhrases, type PhraseList } from './phrases'
import { isPhysicalNoduleSize, NODULE_SIZE_MM, toTenthMm } from './measure'
import type {
  CystChange,
  CystType,
  NoduleChange,
  NoduleFacts,
  NodulePosition,
  Solidness,
  SuspiciousFeature,
} from './types'

interface QualifierValue<T> {
  value: T
  codes: readonly (readonly [string, string])[]
}

const q = (code: string) => [codeSystem.findingQualifier, code] as const
const sct = (code: string) => [codeSystem.snomed, code] as const
const rid = (code: string) => [codeSystem.radlex, code] as const

/** Change since prior: the service's codes and the SNOMED ones the contract also accepts. */
export const changeValues: readonly QualifierValue<NoduleChange>[] = [
  { value: 'baseline', codes: [q('baseline')] },
  { value: 'new', codes: [q('new'), sct('7147002')] },
  { value: 'growing', codes: [q('growing'), sct('35105006')] },
  { value: 'stable', codes: [q('stable'), sct('58158008')] },
  { value: 'decreased', codes: [q('decreased'), sct('1250004')] },
]

export const solidnessValues: readonly QualifierValue<Solidness>[] = [
  { value: 'part-solid', codes: [rid('RID46011')] },
  { value: 'ground-glass', codes: [rid('RID46016'), sct('1217294009')] },
  { value: 'solid', codes: [rid('RID5741'), sct('35702001')] },
]

export const positionValues: readonly QualifierValue<NodulePosition>[] = [
  { value: 'juxtapleural', codes: [q('juxtapleural')] },
  { value: 'perifissural', codes: [q('perifissural')] },
  { value: 'airway-subsegmental', codes: [q('airway-subsegmental')] },
  { value: 'airway-segmental', codes: [q('airway-segmental')] },
]

/** Position in words; "subsegmental" is tried before "segmental", which it contains. */
const positionPhrases: readonly PhraseList<NodulePosition>[] = [
  { value: 'juxtapleural', phrases: [/juxta-?pleural/i] },
  { value: 'perifissural', phrases: [/peri-?fissural/i] },
  { value: 'airway-subsegmental', phrases: [/sub-?segmental/i] },
  { value: 'airway-segmental', phrases: [/segmental|endobronchial|endotracheal/i] },
]

/** Suspicious features (4X) and atypical-cyst qualifiers: the service's own codes only. */
const ownCodes = <T extends string>(values: readonly T[]): QualifierValue<T>[] =>
  values.map((value) => ({ value, codes: [q(value)] }))
export const suspiciousFeatureValues = ownCodes<SuspiciousFeature>([
  'spiculation',
  'lymphadenopathy',
  'metastatic-disease',
  'ggn-doubling',
])
export const cystTypeValues = ownCodes<CystType>(['thick-walled', 'multilocular', 'thin-walled'])
export const cystChangeValues = ownCodes<CystChange>([
  'wall-growing',
  'loculation-increased',
  'became-multilocular',
])

/** A qualifier's value, or `undefined` plus a note when the component is there but not understood. */
function readQualifier<T>(
  entry: IndexedComponent | undefined,
  values: readonly QualifierValue<T>[],
  phrases: readonly PhraseList<T>[],
  what: string,
  notes: string[]
): T | undefined {
  if (!entry) return undefined
  const { component } = entry
  const concept = component.valueCodeableConcept
  const coded = values.find((v) => anyCodingIs(entry.values, v.codes))
  if (coded) return coded.value
  const words = [...conceptWords(concept), component.valueString ?? ''].filter(Boolean)
  const worded = matchPhrases(phrases, words)
  if (worded !== undefined) return worded
  if (words.length > 0) notes.push(`${what} "${quoted(words[0]!)}" not recognised.`)
  return undefined
}

/** A size component: absent, a usable size in mm, or unusable (the reason is in the notes). */
type Size = undefined | number | 'unusable'

/**
 * A size component in mm. A component that is there but cannot be used (a value that is not a
 * Quantity, no numeric value, a bound such as `> 8 mm` rather than a measurement, a unit that is
 * not a length, a size outside {@link NODULE_SIZE_MM}) is `unusable`, with a note.
 */
function readSize(
  component: ObservationComponent | undefined,
  what: string,
  notes: string[]
): Size {
  if (!component) return undefined
  const quantity = component.valueQuantity
  if (!quantity) {
    // A size sent as another value[x] (valueString "9 mm", valueInteger 9) was given, so it is not
    // "not measured": it is shown for review with what was sent.
    const [key, value] =
      Object.entries(component).find(([k, v]) => k.startsWith('value') && v !== undefined) ?? []
    if (!key) return undefined
    const shown =
      typeof value === 'string' || typeof value === 'number'
        ? ` ${quoted(JSON.stringify(value))}`
        : ''
    notes.push(`${what} is given as ${key}${shown}, not as a quantity in mm.`)
    return 'unusable'
  }
  if (typeof quantity.value !== 'number' || !Number.isFinite(quantity.value)) {
    notes.push(`${what} has no numeric value.`)
    return 'unusable'
  }
  // "> 8 mm" or "< 4 mm" is a bound, not a measurement: read as 8 it would put a nodule larger
  // than 8 mm in the 6–8 mm row (docs/clinical-rules.md, "Sizes given as a bound, or not as a
  // quantity").
  if (quantity.comparator) {
    notes.push(
      `${what} is given as "${quoted(`${quantity.comparator} ${quantity.value} ${quantity.code ?? quantity.unit ?? 'mm'}`)}", a bound rather than a measurement.`
    )
    return 'unusable'
  }
  const mm = quantityMm(quantity)
  if (mm === undefined) {
    notes.push(`${what} unit "${quoted(String(quantity.code ?? quantity.unit))}" not understood.`)
    return 'unusable'
  }
  if (!isPhysicalNoduleSize(mm)) {
    notes.push(
      `${what} ${quoted(String(quantity.value))} ${quoted(String(quantity.code ?? quantity.unit ?? 'mm'))} is outside the physical range (above ${NODULE_SIZE_MM.above}, at most ${NODULE_SIZE_MM.atMost} mm).`
    )
    return 'unusable'
  }
  return mm
}

/**
 * The nodule facts of one Observation. When no mean diameter is given it is the mean of the long
 * and short axes (when both are given, the larger of the two, with a note), left unrounded:
 * Lung-RADS rounds it to 0.1 mm and Fleischner to whole mm, each from the measured value. No
 * change component means
 * `baseline`; an unrecognised one is also read as baseline, with a note and `changeUnread` (on a
 * screening exam the assessment then also tries `new` and keeps the higher category).
 */
export function readNoduleFacts(
  observation: Observation,
  notes: string[],
  components: readonly IndexedComponent[] = indexComponents(observation)
): NoduleFacts {
  const component = (pairs: readonly (readonly [string, string])[]) =>
    componentWith(components, pairs)
  const sizes = [
    readSize(component(componentCode.meanDiameter)?.component, 'Mean diameter', notes),
    readSize(component(componentCode.longAxis)?.component, 'Long axis', notes),
    readSize(component(componentCode.shortAxis)?.component, 'Short axis', notes),
    readSize(component(componentCode.solidComponent)?.component, 'Solid component', notes),
  ]
  // One unusable size makes every size of the nodule suspect: none is assessed (a category from
  // the others could be lower than the real one), and the finding is shown for review.
  const sizeUnusable = sizes.includes('unusable')
  if (sizeUnusable) notes.push('Sizes not assessed: review the measurements on the images.')
  const [givenMean, longAxisMm, shortAxisMm, solidComponentMm] = sizes.map((size) =>
    sizeUnusable || size === 'unusable' ? undefined : size
  )
  // Both guidelines define the mean as the average of the long and short axes. A given mean
  // that is smaller than the axes' average would say less than that definition: the larger of
  // the two is used and the card says why (docs/clinical-rules.md, "Mean diameter and axes").
  const axesMean =
    longAxisMm !== undefined && shortAxisMm !== undefined
      ? (longAxisMm + shortAxisMm) / 2
      : undefined
  const meanDiameterMm =
    givenMean === undefined || axesMean === undefined
      ? (givenMean ?? axesMean)
      : Math.max(givenMean, axesMean)
  if (
    givenMean !== undefined &&
    axesMean !== undefined &&
    toTenthMm(axesMean) !== toTenthMm(givenMean)
  )
    notes.push(
      `Mean diameter ${toTenthMm(givenMean)} mm is given, but the long and short axes (${longAxisMm} × ${shortAxisMm} mm) average ${toTenthMm(axesMean)} mm: the larger, ${toTenthMm(Math.max(givenMean, axesMean))} mm, is used, the safer reading.`
    )
  const solidness = readQualifier(
    component(componentCode.solidness),
    solidnessValues,
    solidnessPhrases,
    'Solidness',
    notes
  )
  const position = readQualifier(
    component(componentCode.position),
    positionValues,
    positionPhrases,
    'Position',
    notes
  )
  const changeComponent = component(componentCode.change)
  const change = readQualifier(
    changeComponent,
    changeValues,
    changePhrases,
    'Change since prior',
    notes
  )
  const changeUnread = !!changeComponent && !change
  if (changeUnread) notes.push('Change since prior read as baseline.')
  const codedAll = <T>(
    pairs: readonly (readonly [string, string])[],
    values: QualifierValue<T>[]
  ) => [
    ...new Set(
      components
        .filter((c) => anyCodingIs(c.codes, pairs))
        .flatMap((c) => {
          const value = values.find((v) => anyCodingIs(c.values, v.codes))
          return value ? [value.value] : []
        })
    ),
  ]
  const suspiciousFeatures = codedAll(componentCode.suspiciousFeature, suspiciousFeatureValues)
  const cystType = codedAll(componentCode.cystType, cystTypeValues)
  const cystChanges = codedAll(componentCode.cystChange, cystChangeValues)
  return {
    ...(meanDiameterMm !== undefined && { meanDiameterMm }),
    ...(longAxisMm !== undefined && { longAxisMm }),
    ...(shortAxisMm !== undefined && { shortAxisMm }),
    ...(solidComponentMm !== undefined && { solidComponentMm }),
    ...(solidness && { solidness }),
    ...(position && { position }),
    change: change ?? 'baseline',
    ...(changeUnread && { changeUnread }),
    ...(sizeUnusable && { sizeUnusable }),
    benignFeature: component(componentCode.benignFeature)?.component.valueBoolean === true,
    ...(suspiciousFeatures.length > 0 && { suspiciousFeatures }),
    ...(cystType.length > 0 && {
      cyst: { types: cystType, ...(cystChanges.length > 0 && { changes: cystChanges }) },
    }),
  }
}

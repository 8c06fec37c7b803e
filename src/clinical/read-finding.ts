/**
 * @module clinical/read-finding
 * Reads AI finding Observations (the input contract; codes listed in docs/clinical-rules.md) into plain
 * `Finding`s. Liberal in what it accepts: unknown codes become `unknown` findings (never dropped),
 * empty codings and missing displays are skipped, values that cannot be read become notes.
 */
import type { DiagnosticReport, Observation } from 'fhir/r4'
import {
  anyCodingIs,
  codeSystem,
  codingIs,
  componentCode,
  lateralityOf,
  lobeOf,
  lungRadsFromRadlex,
} from './codes'
import { refKey, refersTo } from '../fhir/reference'
import { findingKindNames, findingKindOf, recognizeKind } from './finding-kinds'
import { bareUid, codingsOf, quantityFraction, quoted } from './fhir-values'
import { readNoduleFacts } from './read-nodule'
import { componentWith, indexComponents, type IndexedComponent } from './observation-components'
import { readModelInfo } from './reports'
import type { CodingRef, Finding, FindingKind, KeyImage, LungRadsCategory } from './types'

/** The contract's code for an atypical pulmonary cyst (the service's own system). */
const atypicalCystCode = ['urn:imaging-cds:finding', 'atypical-lung-cyst'] as const

/**
 * A Lung-RADS category from free text or a local code such as `4A`, `Lung-RADS 4B`,
 * `category 2S` (the S modifier is dropped). A bare `4` is ambiguous in v2022 and rejected.
 * Earlier categories named as such ("4B (previously 3)", "3, was 4A") are not the category; of
 * the rest, the first is taken.
 */
export function parseLungRadsCategory(text: string | undefined): LungRadsCategory | undefined {
  for (const token of currentCategoryTokens(text)) {
    const match = token.match(/^(?:CATEGORY|CAT\.?)?([0-3]|4[ABX])S?$/)
    if (match) return match[1] as LungRadsCategory
  }
  return undefined
}

/** The words of a category text, earlier categories named as such ("was 4A") left out. */
function currentCategoryTokens(text: string | undefined): string[] {
  const current = (text ?? '')
    .toUpperCase()
    .replace(/\((?:[^()]*\b(?:PREVIOUS(?:LY)?|PRIOR|WAS|FORMERLY|BEFORE)\b[^()]*)\)/g, ' ')
    .replace(/\b(?:PREVIOUS(?:LY)?|PRIOR|WAS|FORMERLY)\b.*$/, ' ')
  return current.split(/[\s:,;()]+/)
}

/** True when a text names a bare category 4 ("Lung-RADS 4", "category 4"), without A, B or X. */
const namesBareFour = (text: string | undefined) =>
  currentCategoryTokens(text).some((token) => /^(?:CATEGORY|CAT\.?)?4S?$/.test(token))

/**
 * The AI's Lung-RADS category. A bare "4" (no A, B or X) is not a v2022 category, but it says the
 * AI found the nodule suspicious: it is read as 4B, the category 4 whose management asks for the
 * most and soonest (4X is managed as 4B), with a note (the safer reading; docs/clinical-rules.md,
 * "A bare category 4").
 */
function readLungRads(
  entry: IndexedComponent | undefined,
  notes: string[]
): { category: LungRadsCategory; bareFour?: true } | undefined {
  if (!entry) return undefined
  const { component, values: codings } = entry
  const coded = Object.entries(lungRadsFromRadlex).find(([code]) =>
    codings.some((c) => codingIs(c, codeSystem.radlex, code))
  )
  if (coded) return { category: coded[1] }
  const texts = [
    ...codings.flatMap((c) => [c.code, c.display]),
    component.valueCodeableConcept?.text,
    component.valueString,
  ]
  for (const text of texts) {
    const category = parseLungRadsCategory(text)
    if (category) return { category }
  }
  const bare = texts.find(namesBareFour)
  if (!bare) return undefined
  notes.push(
    `The AI's Lung-RADS category "${quoted(bare)}" has no A, B or X: read as 4B, the category 4 that asks for a diagnostic work-up now (the safer reading; had it meant 4A, the follow-up is a low-dose CT in 3 months); check the images.`
  )
  return { category: '4B', bareFour: true }
}

function readKeyImage(components: readonly IndexedComponent[]): KeyImage | undefined {
  const seriesInstanceUid = bareUid(
    componentWith(components, componentCode.seriesUid)?.component.valueString
  )
  if (!seriesInstanceUid) return undefined
  const sopInstanceUid = bareUid(
    componentWith(components, componentCode.sopInstanceUid)?.component.valueString
  )
  const frameComponent = componentWith(components, componentCode.frame)?.component
  const frame = frameComponent?.valueInteger ?? frameComponent?.valueQuantity?.value
  return {
    seriesInstanceUid,
    ...(sopInstanceUid && { sopInstanceUid }),
    ...(typeof frame === 'number' && Number.isInteger(frame) && { frame }),
  }
}

function readName(kind: FindingKind, codes: CodingRef[], text: string | undefined): string {
  const display = codes.find((c) => c.display)?.display
  if (display) return display
  if (text?.trim()) return text.trim()
  if (kind !== 'unknown') return findingKindNames[kind]
  const code = codes.find((c) => c.code)
  return code?.code ?? findingKindNames.unknown
}

function readLocation(
  observation: Observation,
  components: readonly IndexedComponent[]
): string | undefined {
  const site = codingsOf(observation.bodySite)
  const lateralityComponent = componentWith(components, componentCode.laterality)
  const laterality = lateralityOf(site) ?? lateralityOf(lateralityComponent?.values ?? [])
  const lobe = lobeOf(site, laterality)
  if (lobe) return lobe.abbreviation ?? lobe.name
  return observation.bodySite?.text?.trim() || site.find((c) => c.display)?.display
}

/** When an Observation says it was made: its own effective[x], if any. */
export const ownEffective = (observation: Observation): string | undefined =>
  observation.effectiveDateTime ??
  observation.effectivePeriod?.start ??
  observation.effectiveInstant

/** Reads one finding Observation, in the context of its report when known. */
export function readFinding(observation: Observation, report?: DiagnosticReport): Finding {
  const codes = [...codingsOf(observation.code)]
  const components = indexComponents(observation)
  const recognised = recognizeKind(codes, observation.code?.text)
  const kind = recognised.kind
  const recognition: Finding['recognition'] =
    recognised.by === 'words'
      ? { by: 'words', matched: quoted(recognised.matched) }
      : recognised.by === 'reads-like'
        ? {
            by: 'reads-like',
            family: recognised.family,
            matched: quoted(recognised.matched),
            negated: recognised.negated,
          }
        : undefined
  const notes: string[] = []
  const model = readModelInfo(report)
  if (!model.name) {
    const deviceName = observation.device?.display?.trim()
    if (deviceName) model.name = deviceName
  }
  const certainty = componentWith(components, componentCode.certainty)?.component.valueQuantity
  const confidence =
    quantityFraction(certainty?.value, certainty?.code ?? certainty?.unit) ?? model.confidence
  const studyRef =
    [...(observation.derivedFrom ?? []), ...(observation.partOf ?? [])]
      .map((r) => refKey(r, 'ImagingStudy'))
      .find(Boolean) ?? report?.imagingStudy?.map((r) => refKey(r, 'ImagingStudy')).find(Boolean)
  const facts =
    kind === 'pulmonary-nodule' ? readNoduleFacts(observation, notes, components) : undefined
  // An atypical cyst is read with the nodules; its code alone says it is a cyst.
  const nodule =
    facts && !facts.cyst && anyCodingIs(codes, [atypicalCystCode])
      ? { ...facts, cyst: { types: [] } }
      : facts
  const asserted = readLungRads(componentWith(components, componentCode.lungRads), notes)
  const keyImage = readKeyImage(components)
  const location = readLocation(observation, components)
  const effective =
    ownEffective(observation) ??
    report?.effectiveDateTime ??
    report?.effectivePeriod?.start ??
    observation.issued ??
    report?.issued
  return {
    observationRef: observation.id ? `Observation/${observation.id}` : '',
    ...(report?.id && { reportRef: `DiagnosticReport/${report.id}` }),
    ...(studyRef && { studyRef }),
    kind,
    ...(recognition && { recognition }),
    name: readName(kind, codes, observation.code?.text),
    codes,
    status: observation.status,
    ...(location && { location }),
    ...(nodule && { nodule }),
    ...(asserted && { assertedLungRads: asserted.category }),
    ...(asserted?.bareFour && { assertedLungRadsBareFour: true }),
    ...(confidence !== undefined && { confidence }),
    ...(keyImage && { keyImage }),
    model,
    ...(effective && { effective }),
    ...(notes.length > 0 && { notes }),
  }
}

const containedObservations = (report: DiagnosticReport | undefined) =>
  (report?.contained ?? []).filter((r): r is Observation => r.resourceType === 'Observation')

/** Without a result list, anything that looks like an imaging finding (not, say, smoking status). */
const looksLikeFinding = (observation: Observation) =>
  !observation.category?.length ||
  observation.category.some((c) =>
    anyCodingIs(codingsOf(c), [[codeSystem.observationCategory, 'imaging']])
  ) ||
  findingKindOf(codingsOf(observation.code)) !== 'unknown'

/**
 * The findings of one AI report. With a report that lists results, exactly those Observations
 * (given or contained) are read; otherwise every imaging-looking one is; duplicates are read once.
 * Which reports and Observations are current was decided before (src/evidence/select.ts).
 */
export function readFindings(
  report: DiagnosticReport | undefined,
  observations: Observation[]
): Finding[] {
  const pool = [...observations, ...containedObservations(report)]
  const results = report?.result ?? []
  const chosen =
    results.length > 0
      ? pool.filter((o) => o.id && results.some((ref) => refersTo(ref, 'Observation', o.id ?? '')))
      : pool.filter(looksLikeFinding)
  const seen = new Set<string | Observation>()
  const findings: Finding[] = []
  for (const observation of chosen) {
    const key = observation.id ?? observation
    if (seen.has(key)) continue
    seen.add(key)
    findings.push(readFinding(observation, report))
  }
  return findings
}

/**
 * @module clinical/observation-components
 * An Observation's components with their codings normalised once. The finding readers look
 * components up by code many times per Observation; they build this index once per finding read
 * and pass it down, so no coding is normalised twice and nothing is cached between calls.
 */
import type { Observation, ObservationComponent } from 'fhir/r4'
import { anyCodingIs } from './codes'
import { codingsOf } from './fhir-values'
import type { CodingRef } from './types'

/** One component with the normalised codings of its code and of its coded value. */
export interface IndexedComponent {
  component: ObservationComponent
  codes: readonly CodingRef[]
  values: readonly CodingRef[]
}

/**
 * The components of an Observation, in order, each with its codings normalised.
 * @example const components = indexComponents(observation)
 */
export function indexComponents(observation: Observation): readonly IndexedComponent[] {
  return (observation.component ?? []).map((component) => ({
    component,
    codes: codingsOf(component.code),
    values: codingsOf(component.valueCodeableConcept),
  }))
}

/**
 * The first component whose code is one of `pairs`.
 * @example componentWith(components, componentCode.lungRads)?.component.valueString
 */
export function componentWith(
  components: readonly IndexedComponent[],
  pairs: readonly (readonly [string, string])[]
): IndexedComponent | undefined {
  return components.find((c) => anyCodingIs(c.codes, pairs))
}

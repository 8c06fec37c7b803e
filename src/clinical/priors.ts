/**
 * @module clinical/priors
 * A nodule's prior measurements, from the chain its finding Observation names: `derivedFrom` →
 * the prior finding Observation of the same nodule, which may name its own prior (newest first).
 * Pure: the Observations come in a map by `Observation/{id}` (prefetch plus the ones read by id
 * during gathering). The chain is followed to a bounded depth, never through an Observation of
 * another patient, never round a loop.
 */
import type { Observation } from 'fhir/r4'
import { refKey } from '../fhir/reference'
import { ownEffective, readFinding } from './read-finding'
import type { PriorMeasurement } from './types'

/** How many prior exams are followed: enough for slow growth over several annual exams. */
export const MAX_PRIOR_DEPTH = 5

/** `Observation/{id}` references in an Observation's derivedFrom: its linked prior findings. */
export function priorRefs(observation: Observation): string[] {
  return (observation.derivedFrom ?? [])
    .map((r) => refKey(r, 'Observation'))
    .filter((r): r is string => !!r)
}

const voided = new Set(['entered-in-error', 'cancelled'])

/**
 * The prior measurements of `observation`'s nodule, newest first, read from `pool`. Only
 * Observations whose subject is `patientRef` are used (a prior of another patient ends the
 * chain); a withdrawn one is skipped; at most `maxDepth` are followed. A prior is dated by its own
 * effective[x], else by `studyDateOf` (its study's start, known to the caller), else by `issued`.
 */
export function priorChain(
  observation: Observation,
  pool: ReadonlyMap<string, Observation>,
  patientRef: string | undefined,
  maxDepth: number = MAX_PRIOR_DEPTH,
  studyDateOf?: (prior: Observation) => string | undefined
): PriorMeasurement[] {
  const chain: PriorMeasurement[] = []
  const seen = new Set<string>(observation.id ? [`Observation/${observation.id}`] : [])
  let next = priorRefs(observation)
  while (next.length > 0 && chain.length < maxDepth) {
    const ref = next.find((r) => !seen.has(r))
    if (!ref) break
    seen.add(ref)
    const prior = pool.get(ref)
    if (!prior) break
    if (!patientRef || refKey(prior.subject, 'Patient') !== patientRef) break
    next = priorRefs(prior)
    if (voided.has(prior.status)) continue
    const finding = readFinding(prior)
    if (!finding.nodule) continue
    // The contract dates a prior by its own effective[x], else by its study's start.
    const date = ownEffective(prior) ?? studyDateOf?.(prior) ?? finding.effective
    chain.push({
      observationRef: ref,
      ...(date && { date }),
      nodule: finding.nodule,
      // A bare "4" is no category of record: read for its own exam as 4B (the safer reading), as a
      // prior it would decide stepped management (4A stable → 3) on a guess.
      ...(finding.assertedLungRads &&
        !finding.assertedLungRadsBareFour && { assertedLungRads: finding.assertedLungRads }),
    })
  }
  return chain
}

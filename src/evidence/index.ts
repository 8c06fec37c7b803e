/**
 * @module evidence
 * Everything between "FHIR data arrived" and "these are the facts of this patient's studies": the
 * one path from FHIR to the facts on a card (docs/architecture.md).
 *
 * - {@link gatherResources} (gather.ts) does all of a call's I/O, in one phase, before any card
 *   is built: prefetch values plus the reads no template expresses.
 * - {@link buildEvidence} is pure: {@link selectEvidence} (select.ts) keeps only the patient's own
 *   resources (ownership.ts), lets withdrawn reports take their findings with them, decides which
 *   reports and findings belong to which study and which are current (currency.ts); then
 *   {@link assembleEvidence} (assemble.ts) reads findings and assesses them.
 * - Hooks get a {@link PatientEvidence}; card builders read it and never touch FHIR I/O.
 *
 * Adding a fact, without reshaping anything (fields are only ever added):
 * - Another kind of resource (e.g. conditions): a prefetch key in discovery.json, a field in
 *   {@link GatheredResources} filled in gather.ts, one line in ownership.ts (the compiler asks for
 *   it), and a field in {@link PatientEvidence} or {@link StudyEvidence} filled in assemble.ts.
 *   `conditions` is carried through this way, for Fleischner's scope.
 * - A chain of reads (e.g. a nodule's prior measurements: `Observation.derivedFrom` → prior
 *   Observation, read by id when not in prefetch): a further round at the end of gather.ts that
 *   loops over `readMissing` a bounded number of times, collecting into a new field of
 *   {@link GatheredResources} (so ownership drops another patient's priors), then a field of
 *   {@link StudyEvidence} keyed by the finding's `observationRef` filled in assemble.ts. The prior
  chain is gathered this way (`priors`) and set on each nodule finding (`Finding.priors`).
 * - Facts about orders or studies (e.g. exam families, due windows): computed in src/clinical from
 *   `StudyEvidence.study`, `StudyEvidence.basedOn` and `PatientEvidence.serviceRequests`, added as
 *   fields of the evidence in assemble.ts.
 */
import type { ClinicalConfig } from '../clinical/index'
import type { Logger } from '../log'
import { assembleEvidence } from './assemble'
import { selectEvidence } from './select'
import type { EvidenceScope, GatheredResources, PatientEvidence } from './types'

export { assembleEvidence, OPEN_ORDER_STATUSES } from './assemble'
export { currentReports, isWithdrawn, REPLACES } from './currency'
export { gatherResources, ofType, readMissing, type GatherSource } from './gather'
export { ownResources } from './ownership'
export {
  MAX_REPORTS_PER_STUDY,
  selectEvidence,
  type Selection,
  type StudySelection,
} from './select'
export type * from './types'

/** Selection and assembly of gathered resources: pure, logs ids and counts only. */
export function buildEvidence(
  gathered: GatheredResources,
  scope: EvidenceScope,
  config: ClinicalConfig,
  logger?: Logger
): PatientEvidence {
  return assembleEvidence(selectEvidence(gathered, scope, logger), scope, config)
}

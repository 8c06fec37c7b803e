/**
 * @module cards/shared-fields
 * The parts every imaging card carries whatever its hook: the override reasons, the source, and
 * the metadata kept beside the card so feedback on its uuid ties back to the finding.
 */
import { words } from '../../cards/index'
import type { CardSubject } from './subjects'
import type { CardMeta, CardOptions, OverrideReason, Source } from './types'

/** The override reasons every imaging card offers (displays in `cards/`). */
export function overrideReasons(): OverrideReason[] {
  return Object.entries(words.overrideReasons).map(([code, display]) => ({
    system: 'urn:imaging-cds:override-reason',
    code,
    display,
  }))
}

/** The card's source: the configured label (else the wording's), url and icon when set. */
export function cardSource(options: CardOptions): Source {
  const { label, url, icon } = options.source
  return {
    label: label.trim() || words.sourceLabel,
    ...(url ? { url } : {}),
    ...(icon ? { icon } : {}),
  }
}

/** The metadata kept for a card so feedback on its uuid ties back to the finding. */
export function cardMeta(
  subject: CardSubject,
  uuid: string,
  suggestionUuid?: string,
  otherSuggestionUuids: string[] = []
): CardMeta {
  const { finding, category } = subject.lead
  return {
    uuid,
    findingKind: finding.kind,
    observationRef: finding.observationRef,
    ...(category ? { category } : {}),
    ...(finding.model.name ? { modelName: finding.model.name } : {}),
    ...(finding.model.version ? { modelVersion: finding.model.version } : {}),
    ...(subject.others.length
      ? { otherObservationRefs: subject.others.map((o) => o.finding.observationRef) }
      : {}),
    ...(suggestionUuid ? { suggestionUuid } : {}),
    ...(otherSuggestionUuids.length ? { otherSuggestionUuids } : {}),
  }
}

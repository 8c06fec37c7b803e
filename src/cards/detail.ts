/**
 * @module cards/detail
 * The Markdown detail of a finding card. Each sentence comes from `words.detail` (`cards/en.ts`);
 * this module only decides which sections a finding gets and in what order.
 */
import { words } from '../../cards/index'
import { quoted } from '../clinical/fhir-values'
import type { Assessment, Finding, FollowUp } from '../clinical/types'
import { findingName, noduleFacts, orderFacts } from './wording-facts'
import type { FollowUpState } from './follow-up'
import { studyLabel } from './links'
import { dueDates, dueWindow } from './orders'
import type { CardSubject } from './subjects'
import type { CardOptions } from './types'

/** One section of the detail; undefined or blank where the card has none (it is dropped). */
type Section = string | undefined

/**
 * The Markdown detail of a finding card: the finding, its measurements, category and guideline
 * row, management, AI disagreement, follow-up (or the order that already covers it), caveats,
 * other nodules, confidence, model and the AI disclaimer.
 */
export function detailMarkdown(
  subject: CardSubject,
  state: FollowUpState,
  options: CardOptions,
  extra: { lead?: string[]; suggested?: boolean; offered?: FollowUp[] } = {}
): string {
  const a = subject.lead
  const d = words.detail
  const sections: Section[] = [
    ...(extra.lead ?? []),
    ...findingSections(subject),
    a.management ? d.management(a.management) : undefined,
    a.disagreement ? d.disagreement(a.disagreement) : undefined,
    ...followUpSections(subject, state, options, !!extra.suggested),
    ...(extra.offered ?? []).map((option) =>
      d.optionOffered(options.orderCodes[option.order].display, option.because, option.months)
    ),
    caveatsSection(a),
    otherNodulesSection(subject),
    a.lowConfidence ? d.lowConfidence : undefined,
    modelSection(a.finding),
    d.disclaimer,
  ]
  return sections.filter((s): s is string => !!s && !!s.trim()).join('\n\n')
}

/** The finding itself: its heading (a nodule's with its measurements) and its guideline row. */
function findingSections({ lead: a, study }: CardSubject): Section[] {
  const f = a.finding
  const d = words.detail
  if (f.kind === 'pulmonary-nodule')
    return [noduleSection(a), d.category(a.guideline, a.category, a.rule) ?? d.noGuideline]
  if (f.kind === 'unknown') {
    const codes = f.codes.filter((c) => c.code).map((c) => `${c.system ?? ''}|${c.code}`)
    return [d.unknownHeading(f.name, codes)]
  }
  return [
    d.findingHeading(findingName(f), f.location, studyLabel(study)),
    a.rule ? d.category(a.guideline, a.category, a.rule) : undefined,
  ]
}

/** The lead nodule's heading and one line per measurement or feature the AI reported. */
function noduleSection(a: Assessment): string {
  const d = words.detail
  const facts = noduleFacts(a)
  const n = a.finding.nodule
  const list = [
    d.size({
      ...(facts.sizeMm !== undefined ? { mean: facts.sizeMm } : {}),
      ...(n?.longAxisMm !== undefined ? { long: n.longAxisMm } : {}),
      ...(n?.shortAxisMm !== undefined ? { short: n.shortAxisMm } : {}),
      ...(n?.solidComponentMm !== undefined ? { solid: n.solidComponentMm } : {}),
      // The measured mean, to 0.1 mm; the guideline's own rounding shows in its rule line.
      decimals: 1,
      ...(n?.sizeUnusable ? { unusable: true } : {}),
    }),
    n?.solidness ? d.composition(n.solidness) : undefined,
    n?.position ? d.position(n.position) : undefined,
    n ? d.change(n.change) : undefined,
    n?.benignFeature ? d.benignFeature : undefined,
    a.history && a.history.length > 1 ? d.history(a.history) : undefined,
  ]
  return [d.noduleHeading(facts, a.finding.location), ...list.filter(Boolean)].join('\n')
}

/**
 * The follow-up: the order that already covers it, else when it is due (or only how many months
 * on, when the study date is unknown); then the step after it, when the guideline names one.
 */
function followUpSections(
  subject: CardSubject,
  state: FollowUpState,
  options: CardOptions,
  suggested: boolean
): Section[] {
  const followUp = subject.lead.followUp
  if (!followUp) return []
  const d = words.detail
  const orderLabel = options.orderCodes[followUp.order].display
  const first = state.existing
    ? d.alreadyOrdered(orderFacts(state.existing))
    : state.window
      ? d.followUp(orderLabel, followUp.months, dueDates(state.window), {
          optional: !!followUp.optional,
          suggested,
        })
      : d.followUpNoDate(orderLabel, followUp.months)
  const then = followUp.then
  if (!then) return [first]
  const studyDate = subject.study.studyDate
  const due = studyDate
    ? dueWindow(studyDate, { order: followUp.order, months: then.months }, options)
    : undefined
  return [
    first,
    d.followUpThen(orderLabel, then.months, {
      optional: !!then.optional,
      ...(due ? { due: dueDates(due) } : {}),
    }),
  ]
}

/** The assessment's caveats, each once. */
function caveatsSection(a: Assessment): Section {
  const d = words.detail
  // The disagreement already has its own sentence above; do not repeat the assessment's caveat.
  const restatesDisagreement = (c: string) =>
    !!a.disagreement && c.includes(a.disagreement.asserted) && c.includes(a.disagreement.computed)
  const caveats = [...new Set(a.caveats.filter((c) => c.trim() && !restatesDisagreement(c)))]
  return caveats.length ? [d.caveatsHeading, ...caveats.map(d.caveat)].join('\n') : undefined
}

/** The study's other nodules, most suspicious first, one line each. */
function otherNodulesSection(subject: CardSubject): Section {
  const d = words.detail
  if (!subject.others.length) return undefined
  return [
    d.otherNodulesHeading,
    ...subject.others.map((o) => d.otherNodule(noduleFacts(o), o.finding.location)),
  ].join('\n')
}

/** The model that made the finding: name, version, confidence and regulatory clearance. */
function modelSection(f: Finding): Section {
  const confidence = f.confidence ?? f.model.confidence
  return words.detail.model({
    // Free text from the producer: clipped so a runaway value cannot bloat the card.
    ...(f.model.name ? { name: quoted(f.model.name) } : {}),
    ...(f.model.version ? { version: quoted(f.model.version) } : {}),
    ...(confidence !== undefined ? { confidence } : {}),
    ...(f.model.clearance ? { clearance: quoted(f.model.clearance) } : {}),
  })
}

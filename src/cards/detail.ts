/**
 * @module cards/detail
 * The Markdown detail of a finding card. Each sentence comes from `words.detail` (`cards/en.ts`);
 * this module only decides which sections a finding gets and in what order.
 */
import { words } from '../../cards/index'
import type { FollowUp } from '../clinical/types'
import { findingName, noduleFacts, orderFacts } from './facts'
import type { FollowUpState } from './follow-up'
import { studyLabel } from './links'
import { dueDates, dueWindow } from './orders'
import type { CardSubject } from './subjects'
import type { CardOptions } from './types'

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
  const f = a.finding
  const d = words.detail
  const sections: (string | undefined)[] = [...(extra.lead ?? [])]

  if (f.kind === 'pulmonary-nodule') {
    const facts = noduleFacts(a)
    const n = f.nodule
    const list = [
      d.size({
        ...(facts.sizeMm !== undefined ? { mean: facts.sizeMm } : {}),
        ...(n?.longAxisMm !== undefined ? { long: n.longAxisMm } : {}),
        ...(n?.shortAxisMm !== undefined ? { short: n.shortAxisMm } : {}),
        ...(n?.solidComponentMm !== undefined ? { solid: n.solidComponentMm } : {}),
        // The measured mean, to 0.1 mm; the guideline's own rounding shows in its rule line.
        decimals: 1,
      }),
      n?.solidness ? d.composition(n.solidness) : undefined,
      n?.position ? d.position(n.position) : undefined,
      n ? d.change(n.change) : undefined,
      n?.benignFeature ? d.benignFeature : undefined,
    ]
    sections.push(
      [d.noduleHeading(facts, f.location), ...list.filter(Boolean)].join('\n'),
      d.category(a.guideline, a.category, a.rule) ?? d.noGuideline
    )
  } else if (f.kind === 'unknown') {
    const codes = f.codes.filter((c) => c.code).map((c) => `${c.system ?? ''}|${c.code}`)
    sections.push(d.unknownHeading(f.name, codes))
  } else {
    sections.push(d.findingHeading(findingName(f), f.location, studyLabel(subject.study)))
    sections.push(a.rule ? d.category(a.guideline, a.category, a.rule) : undefined)
  }

  if (a.management) sections.push(d.management(a.management))
  if (a.disagreement) sections.push(d.disagreement(a.disagreement))
  if (a.followUp) {
    const orderLabel = options.orderCodes[a.followUp.order].display
    if (state.existing) sections.push(d.alreadyOrdered(orderFacts(state.existing)))
    else if (state.window)
      sections.push(
        d.followUp(orderLabel, a.followUp.months, dueDates(state.window), {
          optional: !!a.followUp.optional,
          suggested: !!extra.suggested,
        })
      )
    else sections.push(d.followUpNoDate(orderLabel, a.followUp.months))
    const then = a.followUp.then
    if (then) {
      const due = subject.study.studyDate
        ? dueWindow(subject.study.studyDate, { order: a.followUp.order, months: then.months })
        : undefined
      sections.push(
        d.followUpThen(orderLabel, then.months, {
          optional: !!then.optional,
          ...(due ? { due: dueDates(due) } : {}),
        })
      )
    }
  }
  for (const option of extra.offered ?? [])
    sections.push(
      d.optionOffered(options.orderCodes[option.order].display, option.because, option.months)
    )
  // The disagreement already has its own sentence above; do not repeat the assessment's caveat.
  const restatesDisagreement = (c: string) =>
    !!a.disagreement && c.includes(a.disagreement.asserted) && c.includes(a.disagreement.computed)
  const caveats = [...new Set(a.caveats.filter((c) => c.trim() && !restatesDisagreement(c)))]
  if (caveats.length) sections.push([d.caveatsHeading, ...caveats.map(d.caveat)].join('\n'))
  if (subject.others.length)
    sections.push(
      [
        d.otherNodulesHeading,
        ...subject.others.map((o) => d.otherNodule(noduleFacts(o), o.finding.location)),
      ].join('\n')
    )
  const confidence = f.confidence ?? f.model.confidence
  if (a.lowConfidence) sections.push(d.lowConfidence)
  sections.push(
    d.model({
      ...(f.model.name ? { name: f.model.name } : {}),
      ...(f.model.version ? { version: f.model.version } : {}),
      ...(confidence !== undefined ? { confidence } : {}),
      ...(f.model.clearance ? { clearance: f.model.clearance } : {}),
    })
  )
  sections.push(d.disclaimer)
  return sections.filter((s): s is string => !!s && !!s.trim()).join('\n\n')
}

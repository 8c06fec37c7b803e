/**
 * @module cards/parts
 * The pieces every imaging card is built from: which findings share a card (a study's nodules
 * share one, led by the most suspicious), the detail sections, the follow-up suggestion with its
 * draft ServiceRequest, override reasons and source. All sentences come from `cards/` (`words`);
 * caveat sentences come from the clinical assessment (`src/clinical`).
 */
import type { ServiceRequest } from 'fhir/r4'
import { words, type NoduleFacts, type OrderFacts } from '../../cards/index'
import { isArrangeNow, lungRadsRadlex, suspicionRank } from '../clinical/index'
import type { Assessment, Finding, FollowUp, LungRadsCategory } from '../clinical/types'
import type { PatientEvidence, StudyEvidence } from './evidence'
import { studyLabel } from './links'
import {
  dueWindow,
  findEquivalentOrder,
  followUpFamily,
  orderDate,
  orderFamily,
  orderName,
  type DueWindow,
} from './orders'
import { keyOf, parseRef } from './refs'
import type { CardMeta, CardOptions, OverrideReason, Source, Suggestion } from './types'
import { suggestionUuid } from './uuid'

/** Findings that share one card: a study's nodules (lead + others), or one other finding. */
export interface CardSubject {
  study: StudyEvidence
  lead: Assessment
  /** The study's other nodules, most suspicious first. */
  others: Assessment[]
}

const INDICATOR_RANK = { critical: 2, warning: 1, info: 0 } as const

/** Cards of a study in display order: most urgent first; one subject for all nodules. */
export function cardSubjects(study: StudyEvidence): CardSubject[] {
  const nodules = study.assessments
    .filter((a) => a.finding.kind === 'pulmonary-nodule')
    // Stable sort: equal ranks keep the report's order.
    .sort((a, b) => suspicionRank(b) - suspicionRank(a))
  const subjects: CardSubject[] = study.assessments
    .filter((a) => a.finding.kind !== 'pulmonary-nodule')
    .map((lead) => ({ study, lead, others: [] }))
  const [lead, ...others] = nodules
  if (lead) subjects.push({ study, lead, others })
  return subjects.sort(
    (a, b) => INDICATOR_RANK[b.lead.indicator] - INDICATOR_RANK[a.lead.indicator]
  )
}

/** `Observation/{id}` of every finding on the card. */
export const subjectRefs = (s: CardSubject) =>
  [s.lead, ...s.others].map((a) => a.finding.observationRef)

/** A nodule's facts for the wording, its size rounded the way its guideline rounds. */
export function noduleFacts(a: Assessment): NoduleFacts {
  const n = a.finding.nodule
  const decimals = a.guideline === 'fleischner-2017' ? 0 : 1
  const mean =
    n?.meanDiameterMm ??
    (n?.longAxisMm !== undefined && n.shortAxisMm !== undefined
      ? (n.longAxisMm + n.shortAxisMm) / 2
      : undefined)
  return {
    guideline: a.guideline,
    ...(a.category ? { category: a.category } : {}),
    ...(mean !== undefined ? { sizeMm: mean } : {}),
    decimals,
    ...(n?.solidness ? { solidness: n.solidness } : {}),
    ...(a.finding.location ? { site: a.finding.location } : {}),
  }
}

/** Name of a finding for summaries: the wording's own name for known kinds, else the code's. */
export const findingName = (f: Finding) => words.findingName(f.kind, f.name)

/** The follow-up of a subject: its due window, and an existing order that already covers it. */
export interface FollowUpState {
  window?: DueWindow
  existing?: ServiceRequest
}

export function followUpState(
  subject: CardSubject,
  patient: PatientEvidence,
  options: CardOptions,
  extraOrders: ServiceRequest[] = []
): FollowUpState {
  const { lead, study } = subject
  const existing = findEquivalentOrder(
    lead,
    subjectRefs(subject),
    study.studyDate,
    [...patient.serviceRequests, ...extraOrders],
    patient.patientId,
    options
  )
  const window =
    lead.followUp && study.studyDate ? dueWindow(study.studyDate, lead.followUp) : undefined
  return { ...(window ? { window } : {}), ...(existing ? { existing } : {}) }
}

export function orderFacts(order: ServiceRequest): OrderFacts {
  const date = orderDate(order)
  const ref = keyOf(order)
  return {
    name: orderName(order),
    status: order.status,
    ...(date ? { date } : {}),
    ...(ref ? { ref } : {}),
  }
}

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
        d.followUp(
          orderLabel,
          a.followUp.months,
          { start: state.window.start, ...(state.window.end ? { end: state.window.end } : {}) },
          { optional: !!a.followUp.optional, suggested: !!extra.suggested }
        )
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
          ...(due ? { due: { start: due.start, ...(due.end ? { end: due.end } : {}) } } : {}),
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

/** A finding in a few words: `Lung-RADS 4A 8.6 mm solid nodule, RUL` or `pulmonary embolism`. */
export const findingShortName = (a: Assessment) =>
  a.finding.kind === 'pulmonary-nodule' ? words.shortNodule(noduleFacts(a)) : findingName(a.finding)

/** A finding without its category: `8.6 mm solid nodule, RUL` or `pulmonary embolism`. */
const findingPhrase = (a: Assessment) =>
  a.finding.kind === 'pulmonary-nodule'
    ? words.nodulePhrase(noduleFacts(a))
    : findingName(a.finding)

/**
 * What the order's reasonReference points at: the finding Observation, or its report when the
 * Observation is contained there (a contained resource cannot be referenced from outside).
 */
function reasonReference(subject: CardSubject): string | undefined {
  const f = subject.lead.finding
  if (subject.study.containedFindings?.includes(f.observationRef)) return f.reportRef
  return parseRef(f.observationRef).type === 'Observation' ? f.observationRef : undefined
}

/**
 * The draft/proposal ServiceRequest for one follow-up of the subject's lead finding.
 *
 * A "now" follow-up (Lung-RADS 4B/4X diagnostic CT, the optional PET/CT) is a work-up to arrange
 * promptly, not an interval, so its order carries no occurrence date and `priority: urgent`. The
 * study date would put the order in the past (and on a patient-view months later it would read as
 * long overdue the moment it is created); today's date would ask for a same-day slot, which no
 * guideline row calls for. FHIR `urgent` ("actioned promptly, higher priority than routine") is the
 * lowest priority above routine: "do not wait for an interval", leaving the date to scheduling.
 */
function draftOrder(
  subject: CardSubject,
  followUp: FollowUp,
  window: DueWindow,
  patientId: string,
  options: CardOptions
): ServiceRequest {
  const a = subject.lead
  const code = options.orderCodes[followUp.order]
  const reason = words.order.reason(a.guideline, a.category)
  const rid =
    a.guideline === 'lung-rads-v2022' && a.category
      ? lungRadsRadlex[a.category as LungRadsCategory]
      : undefined
  const { start, end } = window
  const now = isArrangeNow(followUp)
  return {
    resourceType: 'ServiceRequest',
    status: 'draft',
    intent: 'proposal',
    ...(now ? { priority: 'urgent' as const } : {}),
    code: {
      coding: [{ system: code.system, code: code.code, display: code.display }],
      text: code.display,
    },
    subject: { reference: `Patient/${patientId}` },
    ...(now ? {} : end ? { occurrencePeriod: { start, end } } : { occurrenceDateTime: start }),
    ...(reasonReference(subject)
      ? { reasonReference: [{ reference: reasonReference(subject)! }] }
      : {}),
    reasonCode: [
      {
        ...(rid
          ? {
              coding: [
                { system: 'http://radlex.org', code: rid, display: `Lung-RADS ${a.category}` },
              ],
            }
          : {}),
        text: reason,
      },
    ],
    ...(subject.study.studyRef ? { supportingInfo: [{ reference: subject.study.studyRef }] } : {}),
    note: [
      {
        text: words.order.note(reason, findingPhrase(a), subject.study.studyDate, now),
      },
    ],
  }
}

/**
 * The follow-up suggestion: one `create` action with a draft/proposal ServiceRequest, when the
 * assessment has a follow-up, the study date and patient are known, and no order covers it yet.
 */
export async function followUpSuggestion(
  subject: CardSubject,
  state: FollowUpState,
  patient: PatientEvidence,
  options: CardOptions,
  hook: string
): Promise<Suggestion | undefined> {
  const a = subject.lead
  const followUp = a.followUp
  if (!followUp || !state.window || state.existing || !patient.patientId) return undefined
  const code = options.orderCodes[followUp.order]
  const { start, end } = state.window
  const shortReason = words.order.shortReason(a.guideline, a.category)
  const resource = draftOrder(subject, followUp, state.window, patient.patientId, options)
  return {
    label: isArrangeNow(followUp)
      ? words.suggestion.labelNow(followUp.order, shortReason)
      : words.suggestion.label(followUp.order, { start, ...(end ? { end } : {}) }, shortReason),
    uuid: await suggestionUuid(hook, a.finding.observationRef, code.code, start),
    // An optional follow-up (Fleischner "optional CT at 12 months") is offered, not recommended;
    // so is any follow-up of a finding the AI is unsure of: the card asks to verify it first.
    isRecommended: !followUp.optional && !a.lowConfidence,
    actions: [
      {
        type: 'create',
        description: words.suggestion.action(code.display, shortReason, isArrangeNow(followUp)),
        resource,
      },
    ],
  }
}

/**
 * The guideline's optional further orders beside the follow-up: PET/CT for Lung-RADS 4A/4B/4X
 * with a solid nodule or solid component ≥ 8 mm, Fleischner solid > 8 mm or a solid component
 * > 8 mm. Offered, never recommended (the guideline says "may be considered", and the card's one
 * recommendation stays the follow-up, as `at-most-one` requires). They are alternatives to the
 * follow-up, so none is offered once the follow-up is ordered, nor when an equivalent order
 * (an open PET/CT after the study) exists.
 */
export async function additionalSuggestions(
  subject: CardSubject,
  state: FollowUpState,
  patient: PatientEvidence,
  options: CardOptions,
  hook: string
): Promise<{ followUp: FollowUp; suggestion: Suggestion }[]> {
  const a = subject.lead
  const studyDate = subject.study.studyDate
  const patientId = patient.patientId
  if (!studyDate || !patientId || state.existing) return []
  const shortReason = words.order.shortReason(a.guideline, a.category)
  const offered: { followUp: FollowUp; suggestion: Suggestion }[] = []
  for (const followUp of a.additionalFollowUps ?? []) {
    const existing = findEquivalentOrder(
      a,
      subjectRefs(subject),
      studyDate,
      patient.serviceRequests,
      patientId,
      options,
      followUp
    )
    if (existing) continue
    const code = options.orderCodes[followUp.order]
    const window = dueWindow(studyDate, followUp)
    const suggestion: Suggestion = {
      label: words.suggestion.consider(followUp.order, shortReason, followUp.because),
      uuid: await suggestionUuid(hook, a.finding.observationRef, code.code, window.start),
      isRecommended: false,
      actions: [
        {
          type: 'create',
          description: words.suggestion.action(code.display, shortReason, isArrangeNow(followUp)),
          resource: draftOrder(subject, followUp, window, patientId, options),
        },
      ],
    }
    offered.push({ followUp, suggestion })
  }
  return offered
}

/** The override reasons every imaging card offers (displays in `cards/`). */
export function overrideReasons(): OverrideReason[] {
  return Object.entries(words.overrideReasons).map(([code, display]) => ({
    system: 'urn:imaging-cds:override-reason',
    code,
    display,
  }))
}

export function cardSource(options: CardOptions): Source {
  const { label, url, icon } = options.source
  return {
    label: label.trim() || words.sourceLabel,
    ...(url ? { url } : {}),
    ...(icon ? { icon } : {}),
  }
}

/**
 * True when the follow-up has evidently happened: a later study of the same code family, or a
 * later study the nodule AI read (a chest CT), exists. Orders alone do not count as done.
 */
export function followUpDone(
  subject: CardSubject,
  patient: PatientEvidence,
  options: CardOptions
): boolean {
  const followUp = subject.lead.followUp
  const since = subject.study.studyDate
  if (!followUp || !since) return false
  const family = followUpFamily(followUp.order)
  return patient.studies.some(
    (s) =>
      s !== subject.study &&
      !!s.studyDate &&
      s.studyDate > since &&
      ((s.study.procedureCode ?? []).some((c) => orderFamily(c, options) === family) ||
        (family === 'chest-ct' && s.findings.some((f) => f.kind === 'pulmonary-nodule')))
  )
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

/**
 * @module cards/en
 * Every word a card shows, in English: summaries, detail sections, labels, override reasons,
 * disclaimers. Sites edit this file (or a copy) without touching the logic in `src/cards`.
 *
 * Summaries are built to fit 139 characters: each variable part is clipped to a budget here, and
 * the card builders still pass the result through `fitSummary` as a last resort. Values that come
 * from FHIR (names, model strings) go through `md()` before they reach Markdown.
 */
import type {
  Assessment,
  FindingKind,
  GuidelineName,
  NoduleChange,
  NodulePosition,
  NoFollowUpReason,
  Solidness,
} from '../src/clinical/types'
import { findingKindNames } from '../src/clinical/finding-kinds'
import { roundHalfUp } from '../src/clinical/measure'
import { SUMMARY_MAX, clip, md } from './text'

type OrderKind = 'ldct' | 'ldct-interval' | 'ct-chest' | 'pet-ct'
type Months = { from: number; to?: number }
type Verdict = 'matches' | 'early' | 'late' | 'duplicate' | 'different' | 'unknown-code'

/** What a nodule card's summary says will happen next. */
export type Plan =
  | {
      kind: 'follow-up'
      order: OrderKind
      months: Months
      optional?: boolean
      /** The guideline's next step (Fleischner "then CT at 18–24 months"), months after the study. */
      then?: { months: Months; optional?: boolean }
    }
  | { kind: 'ordered'; order: OrderKind }
  /** An order of no follow-up kind (tissue sampling, referral), by its own name. */
  | { kind: 'ordered'; name: string }
  | {
      kind: 'none'
      guideline: GuidelineName
      /** Why there is no follow-up (decided in src/clinical); none: the guideline row says so. */
      why?: NoFollowUpReason
    }

/** The facts a nodule summary or heading needs, already rounded the guideline's way. */
export interface NoduleFacts {
  guideline: GuidelineName
  category?: string
  sizeMm?: number
  decimals: number
  solidness?: Solidness
  site?: string
}

/** An order as the detail describes it. */
export interface OrderFacts {
  name: string
  status: string
  date?: string
  ref?: string
}

const orderShort: Record<OrderKind, string> = {
  ldct: 'LDCT',
  'ldct-interval': 'LDCT',
  'ct-chest': 'CT chest',
  'pet-ct': 'PET/CT',
}

const solidnessWords: Record<Solidness, string> = {
  solid: 'solid',
  'part-solid': 'part-solid',
  'ground-glass': 'ground-glass',
}

const positionWords: Record<NodulePosition, string> = {
  juxtapleural: 'juxtapleural',
  perifissural: 'perifissural',
  'airway-segmental': 'airway, segmental or more proximal',
  'airway-subsegmental': 'airway, subsegmental',
}

const changeWords: Record<NoduleChange, string> = {
  baseline: 'baseline (no prior exam to compare)',
  new: 'new since the prior exam',
  growing: 'growing since the prior exam',
  stable: 'stable since the prior exam',
  decreased: 'smaller than on the prior exam',
}

/** Lobe names as they may arrive (SNOMED display, plain words) → the abbreviation a reader expects. */
const lobeAbbreviations: [RegExp, string][] = [
  [/upper lobe of right lung|right upper lobe/i, 'RUL'],
  [/middle lobe of right lung|right middle lobe/i, 'RML'],
  [/lower lobe of right lung|right lower lobe/i, 'RLL'],
  [/upper lobe of left lung|left upper lobe/i, 'LUL'],
  [/lower lobe of left lung|left lower lobe/i, 'LLL'],
]

const mm = (value: number, decimals: number) =>
  `${roundHalfUp(value, decimals).toFixed(decimals)} mm`
const percent = (fraction: number) => `${Math.round(fraction * 100)}%`
/** `in 3 months`, `in 6–12 months`, or `now` (e.g. PET/CT offered at once). */
const interval = (m: Months) =>
  m.to && m.to !== m.from
    ? `in ${m.from}–${m.to} months`
    : m.from === 0
      ? 'now'
      : `in ${m.from} months`
/** `18–24 months` or `12 months`. */
const months = (m: Months) =>
  (m.to && m.to !== m.from ? `${m.from}–${m.to}` : `${m.from}`) + ' months'
/** A work-up to arrange now (Lung-RADS 4B/4X), not an interval after the study. */
const isNow = (m: Months) => m.from === 0 && !m.to
/** The order in a summary: a CT to arrange now is the diagnostic work-up, not an interval CT. */
const orderWords = (order: OrderKind, m: Months) =>
  isNow(m) && order === 'ct-chest' ? 'diagnostic CT chest' : orderShort[order]
const categoryName = (guideline: GuidelineName, category?: string) =>
  guideline === 'lung-rads-v2022' && category ? `Lung-RADS ${category}` : undefined
const withLungRads = (category: string) =>
  /lung-rads/i.test(category) ? category : `Lung-RADS ${category}`

/** `head on <study>foot`, the study clipped to the room left (the head and foot never are). */
function withStudy(head: string, study: string | undefined, foot: string): string {
  const room = SUMMARY_MAX - head.length - foot.length - ' on '.length
  return `${head}${study && room >= 10 ? ` on ${clip(study, room)}` : ''}${foot}`
}

const capitalise = (text: string) => text.replace(/^./, (c) => c.toUpperCase())

function noduleNoun(n: NoduleFacts): string {
  const size = n.sizeMm === undefined ? '' : `${mm(n.sizeMm, n.decimals)} `
  const kind = n.solidness ? `${solidnessWords[n.solidness]} ` : ''
  return `${size}${kind}nodule`
}

function site(location: string | undefined, budget = 20): string | undefined {
  if (!location) return undefined
  const abbreviation = lobeAbbreviations.find(([pattern]) => pattern.test(location))?.[1]
  return clip(abbreviation ?? location, budget)
}

function planWords(plan: Plan): string {
  switch (plan.kind) {
    case 'follow-up': {
      const then = plan.then
        ? `, then ${plan.then.optional ? 'consider ' : ''}again at ${months(plan.then.months)}`
        : ''
      return `${orderWords(plan.order, plan.months)} ${interval(plan.months)}${plan.optional ? ' (optional)' : ''}${then}`
    }
    case 'ordered':
      return `${'name' in plan ? clip(plan.name, 30) : orderShort[plan.order]} already ordered`
    case 'none': {
      const what = plan.guideline === 'fleischner-2017' ? 'interval' : 'category'
      if (plan.why === 'under-35') return 'under 35, no Fleischner interval; review'
      if (plan.why === 'malignancy') return 'known cancer, no Fleischner interval; review'
      if (plan.why === 'immunosuppressed') return 'immunosuppressed, no Fleischner interval; review'
      if (plan.why === 'no-size') return `not measured, so no ${what}; review`
      if (plan.why === 'bad-size') return `size unusable, so no ${what}; review`
      if (plan.why === 'no-category') return `no ${what} computed; review`
      if (plan.why === 'work-up') return 'diagnostic work-up'
      if (plan.why === 'incomplete') return 'exam incomplete; see detail'
      if (plan.why === 'growing') return 'grew since prior; review (no size-based interval)'
      return 'no routine follow-up'
    }
  }
}

export const en = {
  /** Default `source.label` (a site sets its own in the service configuration). */
  sourceLabel: 'imaging-cds: AI imaging findings',

  /** Displays of the override reasons every card offers (codes in `urn:imaging-cds:override-reason`). */
  overrideReasons: {
    'already-addressed': 'Already addressed',
    'not-clinically-relevant': 'Not clinically relevant',
    'patient-declined': 'Patient declined',
    'ai-finding-disputed': 'AI finding disputed on review of the images',
  },

  orderShort,
  /** A finding's name in a sentence: the finding-kind table's name (src/clinical), else its own. */
  findingName: (kind: FindingKind, fallback: string) =>
    kind === 'unknown' ? fallback : findingKindNames[kind].toLowerCase(),
  site,

  summary: {
    /** e.g. `Lung-RADS 4A: 8.6 mm solid nodule, RUL — LDCT in 3 months (AI, preliminary)`. */
    nodules(n: NoduleFacts & { more: number; plan: Plan; lowConfidence: boolean }): string {
      const label =
        categoryName(n.guideline, n.category) ??
        (n.guideline === 'fleischner-2017'
          ? 'Fleischner'
          : n.guideline === 'lung-rads-v2022'
            ? 'Lung-RADS'
            : undefined)
      const more = n.more > 0 ? ` (+${n.more} more)` : ''
      const tail = n.lowConfidence ? '(AI, low confidence)' : '(AI, preliminary)'
      // No guideline applies: lead with the nodule itself rather than a bare "AI:" label.
      const noun = label ? `${label}: ${noduleNoun(n)}` : capitalise(noduleNoun(n))
      const text = (plan: Plan, siteBudget = 20) => {
        const where = site(n.site, siteBudget)
        return `${noun}${where ? `, ${where}` : ''}${more} — ${planWords(plan)} ${tail}`
      }
      let plan = n.plan
      let full = text(plan)
      if (full.length <= SUMMARY_MAX) return full
      // The next step is the part to drop when space runs out; the detail always says it.
      if (plan.kind === 'follow-up' && plan.then) {
        const { then: _then, ...first } = plan
        plan = first
        full = text(plan)
        if (full.length <= SUMMARY_MAX) return full
      }
      // Then the site gives way (the detail names it in full), never the AI marker at the end.
      return text(plan, Math.max(8, 20 - (full.length - SUMMARY_MAX)))
    },
    /**
     * e.g. `Suspected pulmonary embolism on CTA chest — review the images now (AI, preliminary)`.
     * The AI marker is on every finding card, critical ones included: a critical card is the one
     * most likely to be acted on before the radiologist's report.
     */
    finding(f: {
      name: string
      study?: string
      critical: boolean
      lowConfidence: boolean
      /** 0..1, for a critical finding below the threshold: it stays critical and says so. */
      confidence?: number
    }): string {
      if (f.critical && f.lowConfidence) {
        const pct = f.confidence === undefined ? '' : ` (${Math.round(f.confidence * 100)} %)`
        return withStudy(
          `Suspected ${clip(f.name, 45)}`,
          f.study,
          ` — low AI confidence${pct}: verify on the images now (AI)`
        )
      }
      const action = f.lowConfidence
        ? 'verify on the images'
        : f.critical
          ? 'review the images now'
          : 'review the images'
      const tail = f.lowConfidence ? '(AI, low confidence)' : '(AI, preliminary)'
      return withStudy(`Suspected ${clip(f.name, 45)}`, f.study, ` — ${action} ${tail}`)
    },
    /** A finding imaging-cds has no rule for: named, never dropped. */
    unknown(f: { name: string; study?: string; lowConfidence?: boolean }): string {
      const tail = f.lowConfidence ? '(AI, low confidence)' : '(AI, preliminary)'
      return withStudy(
        `Other finding: ${clip(f.name, 45)}`,
        f.study,
        ` — review the images ${tail}`
      )
    },
    /** patient-view: an open finding with no follow-up order yet. */
    openFinding(f: {
      what: string
      studyDate?: string
      order?: OrderKind
      due?: string
      overdue: boolean
      /** The follow-up is a work-up to arrange now: it has no due date to be overdue against. */
      now?: boolean
    }): string {
      const when = f.studyDate ? ` (${f.studyDate})` : ''
      const next =
        f.order && f.now
          ? ` — ${orderWords(f.order, { from: 0 })} to arrange now, not ordered`
          : f.order && f.due
            ? ` — ${orderShort[f.order]} ${f.overdue ? 'was due' : 'due'} ${f.due}, not ordered`
            : ' — no follow-up order yet'
      return `Open AI finding${when}: ${clip(f.what, 55)}${next}`
    },
    /** order-select: how the selected imaging order relates to an open finding's follow-up. */
    orderSelect(f: {
      verdict: Verdict
      what: string
      order: OrderKind
      due: string
      /** Arranged now rather than at a date (Lung-RADS 4B/4X work-up). */
      now?: boolean
      /** How early or late, in words. */
      early?: string
      late?: string
      /** What the selected order is, for a different exam (`screening LDCT`). */
      selected?: string
    }): string {
      const what = clip(f.what, 45)
      const order = f.now ? orderWords(f.order, { from: 0 }) : orderShort[f.order]
      const due = f.now ? 'to arrange now' : `due ${f.due}`
      switch (f.verdict) {
        case 'matches':
          return `This order fits the ${order} ${due} for the AI-found ${what}`
        case 'early':
          return `This order is ${f.early ?? 'early'}: ${order} for the AI-found ${what} is due ${f.due}`
        case 'late':
          return `This order is ${f.late ?? 'late'}: ${order} for the AI-found ${what} is ${due}`
        case 'duplicate':
          return `${order} already ordered for the AI-found ${what}; this order may duplicate it`
        case 'different':
          return `Wrong exam? AI-found ${what} needs ${order} ${due}${f.selected ? `, not ${f.selected}` : ''}`
        case 'unknown-code':
          return `Open AI finding: ${what} — ${order} due ${f.due}`
      }
    },
  },

  /** A nodule in a few words: `8.6 mm solid nodule, RUL`. */
  nodulePhrase(n: NoduleFacts): string {
    const where = site(n.site) ? `, ${site(n.site)}` : ''
    return `${noduleNoun(n)}${where}`
  },

  /** A nodule with its category, for other summaries: `Lung-RADS 4A 8.6 mm solid nodule, RUL`. */
  shortNodule(n: NoduleFacts): string {
    const label = categoryName(n.guideline, n.category)
    return `${label ? `${label} ` : ''}${en.nodulePhrase(n)}`
  },

  /** Time words for order-select: how early an order is. */
  early(days: number): string {
    if (days < 56) return `${Math.max(1, Math.round(days / 7))} weeks early`
    return `about ${Math.round(days / 30.44)} months early`
  },

  /** Time words for order-select: how late an order is. */
  late(days: number): string {
    if (days < 56) return `${Math.max(1, Math.round(days / 7))} weeks late`
    return `about ${Math.round(days / 30.44)} months late`
  },

  /** An exam family in a few words, for "not a screening LDCT". */
  examName: (family: string) =>
    ({
      'screening-ldct': 'a screening LDCT',
      'diagnostic-chest-ct': 'a diagnostic CT chest',
      'pet-ct': 'a PET/CT',
      'tissue-sampling': 'tissue sampling or a referral',
    })[family] ?? 'this exam',

  detail: {
    noduleHeading: (n: NoduleFacts, location?: string) =>
      `**Finding:** ${capitalise(noduleNoun(n))}${location ? `, ${md(location)}` : ''} (AI-detected pulmonary nodule).`,
    findingHeading: (name: string, location?: string, study?: string) =>
      `**Finding:** suspected ${md(name)}${location ? `, ${md(location)}` : ''}${study ? ` on ${md(study)}` : ''} (AI-detected).`,
    unknownHeading: (name: string, codes: string[]) =>
      `**Finding:** ${md(name)}${codes.length ? ` (${codes.map(md).join(', ')})` : ''}. imaging-cds has no guideline rule for this finding; it is listed so it is not missed.`,
    size(s: {
      mean?: number
      long?: number
      short?: number
      solid?: number
      decimals: number
      unusable?: boolean
    }) {
      if (s.unusable) return '- Size: not usable, so not assessed (see Caveats)'
      const parts: string[] = []
      if (s.mean !== undefined) parts.push(`mean diameter ${mm(s.mean, s.decimals)}`)
      if (s.long !== undefined && s.short !== undefined)
        parts.push(`long axis ${mm(s.long, 1)} × short axis ${mm(s.short, 1)}`)
      else if (s.long !== undefined) parts.push(`long axis ${mm(s.long, 1)}`)
      if (s.solid !== undefined) parts.push(`solid component ${mm(s.solid, 1)}`)
      return parts.length ? `- Size: ${parts.join('; ')}` : '- Size: not measured by the AI'
    },
    composition: (s: Solidness) => `- Composition: ${solidnessWords[s]}`,
    position: (p: NodulePosition) => `- Position: ${positionWords[p]}`,
    change: (c: NoduleChange) => `- Change: ${changeWords[c]}`,
    benignFeature: '- Benign feature: calcification or macroscopic fat reported',
    /** The nodule's measurements on this exam and each linked prior, newest first. */
    history: (
      entries: {
        date?: string
        meanMm?: number
        sizeUnusable?: boolean
        solidMm?: number
        solidness?: Solidness
      }[]
    ) =>
      `- History (newest first): ${entries
        .map(
          (e, i) =>
            `${e.date ?? 'undated'}${i === 0 ? ' (this exam)' : ''}: ${e.meanMm !== undefined ? mm(e.meanMm, 1) : e.sizeUnusable ? 'size unusable' : 'not measured'}${e.solidMm !== undefined ? `, solid component ${mm(e.solidMm, 1)}` : e.solidness && e.solidness !== 'solid' ? ` ${solidnessWords[e.solidness]}` : ''}`
        )
        .join('; ')}`,
    category(guideline: GuidelineName, category?: string, rule?: string): string | undefined {
      const row = rule ? ` Rule: ${md(rule)}.` : ''
      if (guideline === 'lung-rads-v2022' && category)
        return `**Lung-RADS v2022 category ${category}** (the exam takes the category of its most suspicious nodule).${row}`
      if (guideline === 'fleischner-2017')
        // The service cannot see a cancer history or immune status, so the card states the scope.
        return `**Fleischner Society 2017** (incidental nodule; not for patients with known cancer or immunosuppression)${category ? `, row \`${category}\`` : ''}.${row}`
      return rule ? `**Assessment:** ${md(rule)}.` : undefined
    },
    noGuideline:
      '**No guideline recommendation** was made for this nodule; management is the clinician’s call.',
    management: (text: string) => `**Management:** ${md(text)}`,
    disagreement(d: NonNullable<Assessment['disagreement']>): string {
      const bare = (c: string) => c.replace(/^lung-rads\s*/i, '')
      const which =
        d.why === 'higher-category'
          ? 'the higher category is used'
          : `${withLungRads(d.used)} is used`
      return `**AI asserted ${withLungRads(d.asserted)}; measurements give ${bare(d.computed)}; ${which}.**`
    },
    followUp(
      order: string,
      months: Months,
      due: { start: string; end?: string },
      how: { optional: boolean; suggested: boolean }
    ) {
      const optional = how.optional ? ' (optional)' : ''
      if (isNow(months)) {
        const below = how.suggested
          ? ' A draft order is suggested below: priority urgent, with no date, for scheduling to set.'
          : ''
        return `**Recommended work-up${optional}:** ${md(order)}, to arrange now rather than at an interval.${below}`
      }
      const when = due.end ? `between ${due.start} and ${due.end}` : `on or about ${due.start}`
      const below = how.suggested ? ' A draft order is suggested below.' : ''
      return `**Recommended follow-up${optional}:** ${md(order)} ${interval(months)}, ${when}.${below}`
    },
    /** The next step after the follow-up, which is said but not ordered (it depends on the first). */
    followUpThen: (
      order: string,
      m: Months,
      how: { optional: boolean; due?: { start: string; end?: string } }
    ) =>
      `**Then:** ${how.optional ? 'consider ' : ''}${md(order)} at ${months(m)} after the study${how.due ? ` (${how.due.end ? `${how.due.start} to ${how.due.end}` : how.due.start})` : ''}, if the follow-up shows no change. Not ordered now: it depends on that result.`,
    /** An optional further order the guideline mentions (PET/CT), offered but not recommended. */
    optionOffered: (order: string, because: string | undefined, m: Months) =>
      `**Option:** ${md(order)} may be considered${because ? ` (${md(because)})` : ''}${isNow(m) ? ', to arrange now' : ` ${interval(m)}`}. A draft order is offered below; it is not the recommended one.`,
    followUpNoDate: (order: string, months: Months) =>
      isNow(months)
        ? `**Recommended work-up:** ${md(order)}, to arrange now (study date unknown, so no order is suggested).`
        : `**Recommended follow-up:** ${md(order)} ${interval(months)} after the study (study date unknown, so no order is suggested).`,
    alreadyOrdered: (o: OrderFacts) =>
      `**Follow-up already ordered:** ${md(o.name)} (${md(o.status)}${o.date ? `, for ${o.date}` : ''}${o.ref ? `, ${md(o.ref)}` : ''}); no new order is suggested.`,
    caveatsHeading: '**Caveats:**',
    caveat: (text: string) => `- ${md(text)}`,
    otherNodulesHeading:
      '**Other nodules in this study** (management follows the most suspicious one):',
    otherNodule: (n: NoduleFacts, location?: string) =>
      `- ${noduleNoun(n)}${location ? `, ${md(location)}` : ''}${n.category && n.guideline === 'lung-rads-v2022' ? ` — Lung-RADS ${n.category}` : ''}`,
    /** The numbers (confidence, threshold) are in the assessment's caveats. */
    lowConfidence: '**Low AI confidence:** verify on the images before acting on this finding.',
    model(m: {
      name?: string
      version?: string
      confidence?: number
      clearance?: string
    }): string | undefined {
      const parts = [
        m.name
          ? `${md(m.name)}${m.version ? ` ${md(m.version)}` : ''}`
          : m.version
            ? `version ${md(m.version)}`
            : '',
        m.confidence !== undefined ? `confidence ${percent(m.confidence)}` : '',
        m.clearance ? `clearance ${md(m.clearance)}` : '',
      ].filter(Boolean)
      return parts.length ? `**AI model:** ${parts.join(' · ')}` : undefined
    },
    disclaimer:
      '_AI-generated and preliminary until a radiologist signs the report. Confirm on the images before acting._',
    openSince: (studyDate: string, overdue: boolean) =>
      `Found on the study of ${studyDate}${overdue ? '; the recommended follow-up is overdue' : ''}.`,
    criticalOpen:
      'Critical AI finding with no documented follow-up order: confirm it was acted on.',
    orderSelect: {
      matches: (order: string, due: string, selected: string) =>
        `The selected order (${md(selected)}) fits the recommended ${md(order)} due ${due}.`,
      early: (order: string, due: string, selected: string, when: string, early: string) =>
        `The selected order (${md(selected)}, for ${when}) is ${early}: the recommended ${md(order)} is due ${due}. Consider scheduling it for the due date.`,
      late: (
        order: string,
        due: string,
        selected: string,
        when: string,
        late: string,
        now: boolean
      ) =>
        `The selected order (${md(selected)}, for ${when}) is ${late}: the recommended ${md(order)} ${now ? 'is a work-up to arrange now' : `is due ${due}`}. Waiting beyond the guideline's interval delays the diagnosis of a finding the guideline asks to see again by then; a growing cancer can progress in the meantime. Consider ${now ? 'arranging it now' : 'scheduling it for the due date'}.`,
      wrongExam: (
        order: string,
        due: string,
        selected: string,
        selectedExam: string,
        now: boolean
      ) =>
        `The selected order (${md(selected)}) is ${selectedExam}, which is not the follow-up this finding needs: the recommended ${md(order)} ${now ? 'is a work-up to arrange now' : `is due ${due}`}. Consider changing the order's code.`,
      duplicate: (o: OrderFacts) =>
        `An order that covers this follow-up already exists: ${md(o.name)} (${md(o.status)}${o.date ? `, for ${o.date}` : ''}${o.ref ? `, ${md(o.ref)}` : ''}). The selected order may duplicate it.`,
      different: (order: string, due: string, selected: string) =>
        `The selected order (${md(selected)}) is not the recommended ${md(order)} (due ${due}).`,
      unknownCode: (order: string, due: string) =>
        `An imaging order is being placed. This patient has an open AI finding whose recommended ${md(order)} is due ${due}.`,
    },
  },

  /** Suggestion and order wording. */
  suggestion: {
    /** e.g. `Order LDCT for 2026-06-14 (Lung-RADS 4A)`. */
    label(order: OrderKind, due: { start: string; end?: string }, reason: string): string {
      const when = due.end ? `${due.start} to ${due.end}` : due.start
      return `Order ${orderShort[order]} for ${when} (${clip(reason, 30)})`
    },
    /** e.g. `Consider PET/CT (Lung-RADS 4A, solid component ≥ 8 mm)`: offered, not recommended. */
    consider: (order: OrderKind, reason: string, because?: string) =>
      `Consider ${orderShort[order]} (${clip(reason, 30)}${because ? `, ${clip(because, 40)}` : ''})`,
    /** e.g. `Order diagnostic CT chest now (Lung-RADS 4B)`: a work-up with no date, priority urgent. */
    labelNow: (order: OrderKind, reason: string) =>
      `Order ${orderWords(order, { from: 0 })} now (${clip(reason, 30)})`,
    action: (orderName: string, reason: string, now = false) =>
      `Create a draft ${orderName} order (proposal${now ? ', urgent, unscheduled' : ''}) for the ${reason} ${now ? 'work-up' : 'follow-up'}`,
    /** order-select: the change that makes the selected order the follow-up. */
    update: (change: { order?: string; date?: string }, reason: string) =>
      `${[change.order && `Change to ${change.order}`, change.date && `${change.order ? 'for' : 'Move to'} ${change.date}`].filter(Boolean).join(' ')} (${clip(reason, 30)})`,
    updateAction: (change: { order?: string; date?: string }, reason: string) =>
      `Update the selected order${change.order ? ` to ${change.order}` : ''}${change.date ? ` for ${change.date}` : ''}, the ${reason} follow-up`,
  },

  /** Text carried by the created ServiceRequest (reasonCode.text, note). */
  order: {
    reason(guideline: GuidelineName, category?: string): string {
      if (guideline === 'lung-rads-v2022')
        return `Lung-RADS v2022 category ${category ?? 'unknown'}`
      if (guideline === 'fleischner-2017') return `Fleischner 2017${category ? ` ${category}` : ''}`
      return 'AI imaging finding'
    },
    shortReason(guideline: GuidelineName, category?: string): string {
      if (guideline === 'lung-rads-v2022' && category) return `Lung-RADS ${category}`
      if (guideline === 'fleischner-2017') return 'Fleischner 2017'
      return 'AI finding'
    },
    note: (reason: string, finding: string, studyDate?: string, now = false) =>
      `${now ? 'Work-up, to arrange now,' : 'Follow-up'} for ${finding} (${reason}) found by AI on the study of ${studyDate ?? 'unknown date'}; proposed by imaging-cds, preliminary until a radiologist signs the report.`,
  },

  links: {
    study: (study?: string) =>
      study ? `Open ${clip(study, 40)} in the viewer` : 'Open the study in the viewer',
    keyImage: 'Open the key image in the viewer',
    priorStudy: (date?: string) =>
      date ? `Open the prior study (${date}) in the viewer` : 'Open the prior study in the viewer',
  },
}

export type CardWords = typeof en

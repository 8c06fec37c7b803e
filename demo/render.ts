/**
 * @module demo/render
 * Renders CDS cards in a terminal the way a clinician would meet them in an EHR: indicator
 * (coloured on a TTY), summary, the detail Markdown as plain wrapped text, each suggestion with
 * what it would create (order code and date), override reasons and links. Pure string functions,
 * so they are testable and the orchestration stays small.
 */
import type { FhirResource, ServiceRequest } from 'fhir/r4'
import type { Action, Card, Suggestion } from '../src/cards/types'

export interface RenderStyle {
  /** ANSI colours and bold (only when writing to a TTY, and NO_COLOR is unset). */
  color: boolean
  /** Wrap width in columns. */
  width: number
}

/** The style for a stream: colour on a TTY unless NO_COLOR is set; the terminal's width. */
export function styleFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): RenderStyle {
  const color = !!stream.isTTY && !env.NO_COLOR && env.TERM !== 'dumb'
  return { color, width: Math.min(Math.max(stream.columns ?? 100, 60), 110) }
}

const ANSI = {
  bold: '1',
  dim: '2',
  red: '31',
  yellow: '33',
  cyan: '36',
  green: '32',
  inverse: '7',
} as const

type Tone = keyof typeof ANSI

function paint(style: RenderStyle, text: string, ...tones: Tone[]): string {
  if (!style.color || tones.length === 0 || text === '') return text
  return `\x1b[${tones.map((t) => ANSI[t]).join(';')}m${text}\x1b[0m`
}

/** Visible length, without ANSI escapes. */
function visible(text: string): number {
  // eslint-disable-next-line no-control-regex
  return [...text.replace(/\x1b\[[0-9;]*m/g, '')].length
}

const INDICATOR: Record<Card['indicator'], { label: string; tones: Tone[] }> = {
  critical: { label: '‼ CRITICAL', tones: ['bold', 'red'] },
  warning: { label: '! WARNING', tones: ['bold', 'yellow'] },
  info: { label: 'i INFO', tones: ['bold', 'cyan'] },
}

const SYSTEM_NAMES: Record<string, string> = {
  'http://loinc.org': 'LOINC',
  'http://snomed.info/sct': 'SNOMED CT',
  'http://radlex.org': 'RadLex',
  'http://www.ama-assn.org/go/cpt': 'CPT',
}

/** One line naming a call: hook, patient, how the data came, latency. */
export function renderCallHeader(
  style: RenderStyle,
  call: {
    hook: string
    patientId: string
    scenario?: string
    prefetch: 'prefetch' | 'fetch'
    /** FHIR requests the service made during the call. */
    fhirReads: number
    ms: number
    status: number
  }
): string {
  const data =
    call.prefetch === 'prefetch'
      ? `prefetch sent, ${call.fhirReads} FHIR read${call.fhirReads === 1 ? '' : 's'} by the service`
      : `no prefetch, service fetched (${call.fhirReads} FHIR reads)`
  const parts = [
    call.hook,
    `Patient/${call.patientId}${call.scenario ? ` (${call.scenario})` : ''}`,
    data,
    `${call.ms} ms`,
    ...(call.status === 200 ? [] : [`HTTP ${call.status}`]),
  ]
  const text = `── ${parts.join(' · ')} `
  return paint(style, text + '─'.repeat(Math.max(0, style.width - visible(text))), 'bold')
}

/** Every card of one response, or a line saying there were none. */
export function renderCards(style: RenderStyle, cards: Card[]): string {
  if (cards.length === 0) return paint(style, '  (no cards: nothing to show the clinician)', 'dim')
  return cards.map((card) => renderCard(style, card)).join('\n\n')
}

export function renderCard(style: RenderStyle, card: Card): string {
  const indicator = INDICATOR[card.indicator]
  const lines: string[] = []
  const head = `  ${paint(style, indicator.label, ...indicator.tones)}  `
  lines.push(...wrap(head + paint(style, card.summary, 'bold'), style.width, ' '.repeat(4)))
  if (card.detail) lines.push(...renderMarkdown(style, card.detail, '    '))
  for (const suggestion of card.suggestions ?? [])
    lines.push(...renderSuggestion(style, suggestion))
  if (card.overrideReasons?.length) {
    lines.push(
      ...wrap(
        `    ${paint(style, 'If dismissed, why:', 'dim')} ${card.overrideReasons.map((r) => r.display).join(' · ')}`,
        style.width,
        '      '
      )
    )
  }
  for (const link of card.links ?? []) {
    lines.push(
      `    ${paint(style, '↗', 'cyan')} ${link.label}${link.type === 'smart' ? ' (SMART app)' : ''}`
    )
    lines.push(`      ${paint(style, link.url, 'dim')}`)
  }
  const source = card.source.url ? `${card.source.label} <${card.source.url}>` : card.source.label
  lines.push(paint(style, `    source: ${source}${card.uuid ? ` · card ${card.uuid}` : ''}`, 'dim'))
  return lines.join('\n')
}

function renderSuggestion(style: RenderStyle, suggestion: Suggestion): string[] {
  const label = `${paint(style, '▸ Suggestion', 'green', 'bold')}${suggestion.isRecommended ? ' (recommended)' : ''}: ${suggestion.label}`
  const lines = wrap(`    ${label}`, style.width, '      ')
  for (const action of suggestion.actions ?? []) {
    lines.push(...wrap(`      ${describeAction(action)}`, style.width, '        '))
  }
  return lines
}

/** What an action does, in one line: for a ServiceRequest, its code and when it is due. */
export function describeAction(action: Action): string {
  const resource = action.resource
  if (action.type === 'delete') return `deletes ${action.resourceId ?? 'a resource'}`
  if (!resource) return `${action.type}: ${action.description}`
  const verb = action.type === 'create' ? 'creates' : 'updates'
  if (resource.resourceType !== 'ServiceRequest') return `${verb} ${describeResource(resource)}`
  const order = resource as ServiceRequest
  const coding = order.code?.coding?.find((c) => c.code) ?? {}
  const code = coding.code
    ? `${SYSTEM_NAMES[coding.system ?? ''] ?? coding.system ?? ''} ${coding.code}`.trim()
    : 'no code'
  const name = coding.display ?? order.code?.text
  const when = order.occurrenceDateTime
    ? `on ${order.occurrenceDateTime.slice(0, 10)}`
    : order.occurrencePeriod
      ? `between ${order.occurrencePeriod.start?.slice(0, 10) ?? '?'} and ${order.occurrencePeriod.end?.slice(0, 10) ?? '?'}`
      : 'no date'
  return `${verb} ServiceRequest (${order.status} ${order.intent}): ${code}${name ? ` "${name}"` : ''}, ${when}`
}

function describeResource(resource: FhirResource): string {
  return `${resource.resourceType}${resource.id ? `/${resource.id}` : ''}`
}

/**
 * GitHub-flavoured Markdown as plain text: emphasis shown as bold (or dropped without colour),
 * escapes undone, list items as bullets, links as `label <url>`, paragraphs wrapped.
 */
export function renderMarkdown(style: RenderStyle, markdown: string, indent: string): string[] {
  const out: string[] = []
  for (const raw of markdown.split('\n')) {
    const line = raw.trimEnd()
    if (line.trim() === '') continue // cards are dense; blank lines only add height
    const item = /^(\s*)[-*+]\s+(.*)$/.exec(line)
    const numbered = /^(\s*)(\d+)[.)]\s+(.*)$/.exec(line)
    const heading = /^#{1,6}\s+(.*)$/.exec(line)
    if (item) {
      const depth = indent + '  '.repeat(Math.floor(item[1]!.length / 2))
      out.push(...wrap(`${depth}• ${inline(style, item[2]!)}`, style.width, depth + '  '))
    } else if (numbered) {
      const depth = indent + '  '.repeat(Math.floor(numbered[1]!.length / 2))
      const mark = `${numbered[2]}. `
      out.push(
        ...wrap(
          `${depth}${mark}${inline(style, numbered[3]!)}`,
          style.width,
          depth + ' '.repeat(mark.length)
        )
      )
    } else if (heading) {
      out.push(
        ...wrap(`${indent}${paint(style, inline(style, heading[1]!), 'bold')}`, style.width, indent)
      )
    } else {
      out.push(...wrap(`${indent}${inline(style, line.trim())}`, style.width, indent))
    }
  }
  return out
}

/** The entities src/text/card-text.ts writes for `<`, `>`, `[` and `]`. */
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', '#91': '[', '#93': ']' }

/** Inline Markdown: strong, emphasis, code, links, backslash escapes. */
function inline(style: RenderStyle, text: string): string {
  const escapes: string[] = []
  // Escaped characters are set aside first so `\*` or `\<` never read as markup.
  let s = text.replace(/\\([\\`*_{}[\]()#+\-.!|<>~])/g, (_m, ch: string) => {
    escapes.push(ch)
    return `\u0000${escapes.length - 1}\u0000`
  })
  s = s.replace(
    /\[([^\]]+)\]\(([^)\s]+)\)/g,
    (_m, label: string, url: string) => `${label} <${url}>`
  )
  s = s.replace(/`([^`]+)`/g, '$1')
  s = s.replace(/(\*\*|__)(.+?)\1/g, (_m, _d, inner: string) => paint(style, inner, 'bold'))
  s = s.replace(
    /(^|[^\w*])[*_](?=\S)(.+?)(?<=\S)[*_](?![\w*])/g,
    (_m, pre: string, inner: string) => pre + paint(style, inner, 'dim')
  )
  s = s.replace(/&(lt|gt|#91|#93);/g, (_m, name: string) => ENTITIES[name] ?? '')
  // eslint-disable-next-line no-control-regex -- NUL brackets our own placeholders
  return s.replace(/\u0000(\d+)\u0000/g, (_m, i: string) => escapes[Number(i)] ?? '')
}

/** Word-wraps one line to `width` visible columns; continuation lines start with `hanging`. */
function wrap(text: string, width: number, hanging: string): string[] {
  if (visible(text) <= width) return [text]
  const lead = /^\s*/.exec(text)![0]
  const words = text.slice(lead.length).split(' ')
  const lines: string[] = []
  let current = lead
  let empty = true
  for (const word of words) {
    const candidate = empty ? current + word : `${current} ${word}`
    if (!empty && visible(candidate) > width) {
      lines.push(current)
      current = hanging + word
    } else {
      current = candidate
    }
    empty = false
  }
  lines.push(current)
  return lines
}

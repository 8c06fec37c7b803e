/**
 * @module text
 * Linear helpers for strings that come from outside (requests, FHIR servers, configuration).
 * Every string the service trims or normalises goes through here, because the obvious regular
 * expression is often quadratic: `s.replace(/\/+$/, '')` restarts its scan at every slash of a
 * long run followed by any other character, so 150 000 slashes and an `x` held the event loop for
 * ~10 s. Each function here walks its input once.
 */

const SLASH = 0x2f

/**
 * `value` without its trailing `/` characters, in one pass from the end.
 * @example trimTrailingSlashes('https://fhir.test/r4//') // 'https://fhir.test/r4'
 */
export function trimTrailingSlashes(value: string): string {
  let end = value.length
  while (end > 0 && value.charCodeAt(end - 1) === SLASH) end--
  return end === value.length ? value : value.slice(0, end)
}

/**
 * `value` without its leading `/` characters, in one pass from the start.
 * @example trimLeadingSlashes('//Patient/1') // 'Patient/1'
 */
export function trimLeadingSlashes(value: string): string {
  let start = 0
  while (start < value.length && value.charCodeAt(start) === SLASH) start++
  return start === 0 ? value : value.slice(start)
}

// C0 controls other than tab, line feed and carriage return; DEL and the C1 controls; the
// Unicode bidirectional formatting characters (ALM, LRM, RLM, LRE/RLE/PDF/LRO/RLO, LRI/RLI/FSI/
// PDI). One character class, so one pass: `\u202eLUR` displays as RUL, so laterality could be
// spoofed, and ESC/BEL sequences act on an operator's terminal.
const CONTROLS =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g
const LINE_BREAKS = /[\t\n\r]/g

/**
 * `value` without control or bidirectional formatting characters. Tabs and line breaks are kept
 * when `keepLines` is true (Markdown detail, multi-line reports) and become spaces otherwise.
 * @example stripControls('\u202eLUR') // 'LUR'
 */
export function stripControls(value: string, keepLines = false): string {
  const cleaned = value.replace(CONTROLS, '')
  return keepLines ? cleaned : cleaned.replace(LINE_BREAKS, ' ')
}

const ELLIPSIS = '…'

/**
 * `text` as one line (controls removed, whitespace runs made one space, trimmed) of at most `max`
 * UTF-16 units: cut before the limit with an ellipsis, never inside a surrogate pair, at a word
 * boundary when one is close. The one clip: card summaries ("<140 characters") and every producer
 * string quoted into card text go through it.
 * @example clip('Right upper lobe nodule', 12) // 'Right upper…'
 */
export function clip(text: string, max: number): string {
  const clean = stripControls(text).replace(/\s+/g, ' ').trim()
  if (clean.length <= max) return clean
  let cut = max - ELLIPSIS.length
  // Do not split an astral character (a high surrogate followed by its low half).
  const code = clean.charCodeAt(cut - 1)
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1
  const head = clean.slice(0, cut)
  // Prefer a word boundary when one is close.
  const space = head.lastIndexOf(' ')
  const trimmed = space > cut - 12 && space > 0 ? head.slice(0, space) : head
  return trimmed.replace(/[\s,;:—-]+$/, '') + ELLIPSIS
}

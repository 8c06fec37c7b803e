/**
 * @module cards/text
 * Text helpers every wording file uses: clipping variable parts so summaries stay short by
 * construction, Markdown escaping of values that come from FHIR, and the last-resort summary guard.
 */

import { clip, stripControls } from '../src/text/index'

/** The one clip (src/text), re-exported for the wording files. */
export { clip }

/** CDS Hooks: summary "<140 characters". */
export const SUMMARY_MAX = 139

/**
 * The summary guard. Wording functions keep summaries under the limit by construction; this
 * asserts it and, should a site's wording overflow, truncates instead of sending an invalid card.
 */
export function fitSummary(summary: string): string {
  const fitted = clip(summary, SUMMARY_MAX)
  if (fitted.length > SUMMARY_MAX) throw new Error('summary still too long after clipping')
  return fitted
}

/**
 * Escapes Markdown emphasis, code, heading and table characters in a value taken from FHIR (names,
 * model strings), after removing control and bidirectional formatting characters. `<`, `>`, `[`
 * and `]` are left to the pass every card takes on its way out (src/text/card-text.ts), which
 * turns them into entities: no tag and no link can come from a producer string.
 */
export function md(value: string): string {
  return stripControls(value)
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/([\\`*_#|~])/g, '\\$1')
}

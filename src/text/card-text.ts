/**
 * @module text/card-text
 * The last step every card takes before it leaves the service (src/services/invoke.ts): each
 * text field passes through here, whatever built it. The wording escapes values where it places
 * them (`md()` in cards/text.ts); this pass makes sure nothing a producer wrote can act as markup
 * even where an escape was forgotten:
 * - control and bidirectional formatting characters are removed everywhere;
 * - in the Markdown `detail`, `<` and `>` become the entities `&lt;` and `&gt;` (CommonMark shows
 *   them as the characters and never reads them as HTML, so no raw HTML reaches a client that
 *   renders it, as the CDS Hooks sandbox does), and `[` `]` become `&#91;` `&#93;` (no link or
 *   image syntax). The wording itself uses none of these four characters;
 * - plain-text fields (summary, labels, descriptions) get `‹` `›` for `<` `>`: they are shown as
 *   text, and a client that wrongly renders them as HTML must find no tag either.
 */
import type { Card } from '../cards/types'
import { stripControls } from './index'

const MARKUP = /[<>[\]]/g
const ENTITIES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '[': '&#91;', ']': '&#93;' }
const ANGLES = /[<>]/g
const LOOKALIKES: Record<string, string> = { '<': '‹', '>': '›' }

/** Markdown safe to render with raw HTML enabled: no controls, no tags, no link syntax. */
export const safeMarkdown = (text: string): string =>
  stripControls(text, true).replace(MARKUP, (c) => ENTITIES[c]!)

/** Plain text on one line: no controls, no angle brackets. Keeps the length (summary limit). */
export const safePlainText = (text: string): string =>
  stripControls(text).replace(ANGLES, (c) => LOOKALIKES[c]!)

/** The card with every text field made safe (a new object; the card given is left alone). */
export function safeCard(card: Card): Card {
  return {
    ...card,
    summary: safePlainText(card.summary),
    ...(card.detail !== undefined ? { detail: safeMarkdown(card.detail) } : {}),
    source: { ...card.source, label: safePlainText(card.source.label) },
    ...(card.suggestions
      ? {
          suggestions: card.suggestions.map((s) => ({
            ...s,
            label: safePlainText(s.label),
            ...(s.actions
              ? {
                  actions: s.actions.map((a) => ({
                    ...a,
                    description: safePlainText(a.description),
                  })),
                }
              : {}),
          })),
        }
      : {}),
    ...(card.overrideReasons
      ? {
          overrideReasons: card.overrideReasons.map((r) => ({
            ...r,
            display: safePlainText(r.display),
          })),
        }
      : {}),
    ...(card.links
      ? { links: card.links.map((l) => ({ ...l, label: safePlainText(l.label) })) }
      : {}),
  }
}

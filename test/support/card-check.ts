/**
 * @module test/support/card-check
 * Test helper: every card the builders issue must be a valid CDS Hooks 2.0 card (summary < 140,
 * no null or empty values, override reasons with display, ...). Delegates to the protocol
 * validator and lists empty values with its one check (findEmptyValues), naming the card field.
 */
import { assertValidCdsResponse, findEmptyValues, formatPath } from '../../src/protocol/validate'
import type { Card, IssuedCard } from '../../src/cards/types'

/** Paths of every null, undefined, "", [] or {} under `value` (the protocol's one check). */
export const emptyPaths = (value: unknown, at: string) =>
  findEmptyValues(value).map(
    (p) => `${at}${p.path.length ? formatPath(p.path).replace(/^(?!\[)/, '.') : ''}`
  )

/** Throws unless the cards form a valid service response; returns the cards for chaining. */
export function assertValidCards(issued: IssuedCard[] | Card[]): Card[] {
  const cards = issued.map((c) => ('card' in c ? c.card : c))
  const empties = cards.flatMap((card, i) => emptyPaths(card, `cards[${i}]`))
  if (empties.length) throw new Error(`empty values in cards: ${empties.join(', ')}`)
  for (const card of cards) {
    if ([...card.summary].length >= 140) throw new Error(`summary too long: ${card.summary}`)
  }
  assertValidCdsResponse({ cards })
  return cards
}

/**
 * @module test/support/card-check
 * Test helper: every card the builders issue must be a valid CDS Hooks 2.0 card (summary < 140,
 * no null or empty values, override reasons with display, ...). Delegates to the protocol
 * validator and adds a plain recursive empty-value walk so a failure names the card field.
 */
import { assertValidCdsResponse } from '../../src/protocol/validate'
import type { Card, IssuedCard } from '../../src/cards/types'

/** Paths of every null, undefined, "", [] or {} under `value`. */
export function emptyPaths(value: unknown, path = '$'): string[] {
  if (value === null || value === undefined || value === '') return [path]
  if (Array.isArray(value))
    return value.length === 0 ? [path] : value.flatMap((v, i) => emptyPaths(v, `${path}[${i}]`))
  if (typeof value === 'object') {
    const entries = Object.entries(value)
    return entries.length === 0
      ? [path]
      : entries.flatMap(([k, v]) => emptyPaths(v, `${path}.${k}`))
  }
  return []
}

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

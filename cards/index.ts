/**
 * @module cards
 * The wording the card builders use. To translate or reword cards, copy `en.ts`, edit it, and
 * export it here as `words`; the logic in `src/cards` reads every sentence through `words`.
 */
export { en as words } from './en'
export type { CardWords, NoduleFacts, OrderFacts, Plan } from './en'
export { SUMMARY_MAX, clip, fitSummary, md } from './text'

/**
 * @module clinical/phrases
 * The words a producer may send instead of a code, as data: phrase lists for a nodule's change
 * since the prior exam, its solidness, and a smoking status. Codes always win over these (the
 * readers try codes first); the lists are tried in order, and the first value with a matching
 * phrase is taken, so the more specific readings come first:
 * - change: negated growth ("no interval growth") is stable before "growth" is growing; growth
 *   before "stable" (a text saying both is read the safer way); growing, decreased and new come
 *   before baseline, because "compared with the initial CT" or "since the first screening" names
 *   the exam compared with, not a baseline nodule;
 * - solidness: "ground-glass nodule with solid component" is part-solid before "ground-glass";
 * - smoking: "ex-smoker, currently non-smoker" is former before "non-smoker" is never.
 * Each phrase has a test (phrases.test.ts); docs/clinical-rules.md lists them.
 */
import type { NoduleChange, Solidness } from './types'

export interface PhraseList<T> {
  value: T
  /** Tested case-insensitively against each word of the concept (text, displays, codes). */
  phrases: readonly RegExp[]
}

/** The first value whose phrase matches any of the texts; undefined when none does. */
export function matchPhrases<T>(
  lists: readonly PhraseList<T>[],
  texts: readonly string[]
): T | undefined {
  return lists.find((l) => l.phrases.some((p) => texts.some((t) => p.test(t))))?.value
}

/** Change since the prior exam, in words. */
export const changePhrases: readonly PhraseList<NoduleChange>[] = [
  {
    value: 'stable',
    phrases: [
      /\bno (?:significant |interval |appreciable )?(?:change|growth|increase|enlargement|progression)\b/i,
      /\bnot (?:increased|enlarged|grown|changed)\b/i,
      /\bwithout (?:interval )?(?:change|growth)\b/i,
    ],
  },
  {
    value: 'growing',
    phrases: [/\bgr[eo]w/i, /\bincreas/i, /\benlarg/i, /\blarger\b/i, /\bprogress/i, /\bbigger\b/i],
  },
  {
    value: 'decreased',
    phrases: [/\bdecreas/i, /\bsmaller\b/i, /\bshr[iu]nk/i, /\bregress/i, /\breduc/i],
  },
  {
    value: 'new',
    phrases: [
      /\bnew(?:ly)?\b/i,
      /\binterval (?:appearance|development)\b/i,
      /\bnot (?:seen|present|visible) (?:on|in) (?:the )?prior\b/i,
    ],
  },
  { value: 'stable', phrases: [/\bstable\b/i, /\bunchanged\b/i] },
  { value: 'baseline', phrases: [/\bbaseline\b/i, /\binitial\b/i, /\bfirst\b/i, /\bno prior\b/i] },
]

/** Solidness in words; "part-solid" and "non-solid" also contain "solid", so they come first. */
export const solidnessPhrases: readonly PhraseList<Solidness>[] = [
  {
    value: 'part-solid',
    phrases: [
      /\bpart(?:ly|ially)?[- ]?solid\b/i,
      /\bsemi[- ]?solid\b/i,
      /\bmixed\b/i,
      /\bwith (?:an? )?(?:new |small |growing )?solid (?:component|part|portion)/i,
    ],
  },
  {
    value: 'ground-glass',
    phrases: [/\bground[- ]?glass\b/i, /\bnon[- ]?solid\b/i, /\bgg[on]s?\b/i],
  },
  { value: 'solid', phrases: [/^solid\b/i, /\ssolid\b/i] },
]

export type SmokingHistory = 'current' | 'former' | 'never'

/** Smoking status in words, e.g. the text of a LOINC 72166-2 value. */
export const smokingPhrases: readonly PhraseList<SmokingHistory>[] = [
  {
    value: 'former',
    phrases: [
      /\bex-? ?smoker/i,
      /\bformer\b/i,
      /\bquit\b/i,
      /\bstopped smoking\b/i,
      /\b(?:previous|past) smoker\b/i,
      /\bhistory of smoking\b/i,
    ],
  },
  {
    value: 'never',
    phrases: [/\bnever\b/i, /\bnon-? ?smoker\b/i, /\blifelong non/i],
  },
  {
    value: 'current',
    phrases: [/\bcurrent\b/i, /\bevery ?day\b/i, /\bsome ?days?\b/i, /\bsmoker\b/i, /\bsmokes\b/i],
  },
]

import { describe, expect, it } from 'vitest'
import { clip, stripControls, trimLeadingSlashes, trimTrailingSlashes } from './index'

describe('trimTrailingSlashes', () => {
  it.each([
    ['', ''],
    ['/', ''],
    ['a', 'a'],
    ['a/', 'a'],
    ['a///', 'a'],
    ['/a/b', '/a/b'],
    ['http://loinc.org/', 'http://loinc.org'],
  ])('%j -> %j', (input, output) => expect(trimTrailingSlashes(input)).toBe(output))

  it('keeps a long run of slashes followed by another character as it is', () => {
    const value = '/'.repeat(1_000_000) + 'x'
    expect(trimTrailingSlashes(value)).toBe(value)
  })
})

describe('trimLeadingSlashes', () => {
  it.each([
    ['', ''],
    ['//', ''],
    ['Patient/1', 'Patient/1'],
    ['//Patient/1/', 'Patient/1/'],
  ])('%j -> %j', (input, output) => expect(trimLeadingSlashes(input)).toBe(output))
})

describe('stripControls', () => {
  it('removes bidi formatting, C0 (but tab and line breaks) and C1 characters', () => {
    expect(stripControls('\u202eLUR\u2066x\u2069\u200f')).toBe('LURx')
    expect(stripControls('a\u0007b\u001b[31mc\u0085d\u0000')).toBe('ab[31mcd')
    expect(stripControls('a\tb\nc\rd')).toBe('a b c d')
    expect(stripControls('a\tb\nc', true)).toBe('a\tb\nc')
  })
})

describe('clip (the one clip: summaries and quoted producer strings)', () => {
  it('keeps short text on one line, without controls', () => {
    expect(clip('  Right\nupper \u202elobe\u0007  ', 40)).toBe('Right upper lobe')
  })
  it('never returns more than max UTF-16 units, ellipsis included, on any input', () => {
    for (const text of ['z'.repeat(5000), 'word '.repeat(1000), '😀'.repeat(300)]) {
      for (const max of [10, 139, 200]) {
        const out = clip(text, max)
        expect(out.length).toBeLessThanOrEqual(max)
        expect(out.endsWith('…')).toBe(true)
        expect(/[\ud800-\udbff]$/.test(out.slice(0, -1))).toBe(false)
      }
    }
  })
})

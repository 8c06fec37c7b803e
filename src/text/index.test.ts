import { describe, expect, it } from 'vitest'
import { stripControls, trimLeadingSlashes, trimTrailingSlashes } from './index'

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

import { describe, expect, it } from 'vitest'
import { trimLeadingSlashes, trimTrailingSlashes } from './index'

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

import { describe, expect, it } from 'vitest'
import { isPlainPath } from './url-path'

describe('isPlainPath: the one check of paths the FHIR token goes to', () => {
  it.each([
    'Observation/obs-1',
    'Observation?patient=p1&code=http%3A%2F%2Floinc.org%7C1;2',
    'https://fhir.test/r4/Observation?_getpages=abc&_getpagesoffset=20',
    'https://fhir.test/r4',
    'Patient/v1.2-a',
    '',
  ])('accepts %s', (path) => {
    expect(isPlainPath(path)).toBe(true)
  })

  it.each([
    'Observation/..',
    'Observation/.',
    '../admin',
    'https://fhir.test/r4/../admin',
    'https://fhir.test/r4/Observation/..;/admin',
    'https://fhir.test/r4/..;/admin',
    'Patient/1;jsessionid=x',
    'Observation/..%2fadmin',
    'Observation/..%2Fadmin',
    'Observation/..%5cadmin',
    'Observation/..%5Cadmin',
    'Observation/%2e%2e/admin',
    'Observation/%2E%2E/admin',
    'Observation/..%3b/admin',
    'Observation/%252e%252e/admin',
    'Observation\\..\\admin',
    'Observation/1#frag',
  ])('refuses %s', (path) => {
    expect(isPlainPath(path)).toBe(false)
  })

  it('is linear: a megabyte of dots and slashes is checked at once', () => {
    expect(isPlainPath('./'.repeat(1 << 19))).toBe(false)
    expect(isPlainPath('a/'.repeat(1 << 19))).toBe(true)
  })
})

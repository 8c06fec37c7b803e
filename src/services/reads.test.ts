import { describe, expect, it } from 'vitest'
import { relativeRef, relativeRefs } from './reads'

describe('relativeRef', () => {
  it('reads relative, absolute and versioned references', () => {
    expect(relativeRef('ImagingStudy/s1')).toBe('ImagingStudy/s1')
    expect(relativeRef('https://fhir.example.org/r4/ImagingStudy/s1')).toBe('ImagingStudy/s1')
    expect(relativeRef('ImagingStudy/s1/_history/3')).toBe('ImagingStudy/s1')
    expect(relativeRef('#contained')).toBe('')
    expect(relativeRef(undefined)).toBe('')
  })
})

describe('relativeRefs', () => {
  it('keeps only relative Type/id references, once each (absolute ones are never followed)', () => {
    expect(
      relativeRefs([
        { reference: 'Observation/a' },
        { reference: 'Observation/a' },
        { reference: 'https://evil.example/Observation/b' },
        { reference: '#c' },
        undefined,
      ])
    ).toEqual(['Observation/a'])
  })
})

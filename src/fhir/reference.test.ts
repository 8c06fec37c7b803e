import { describe, expect, it } from 'vitest'
import { parseRef, readableRef } from './reference'

describe('parseRef', () => {
  it.each([
    ['Patient/1', { type: 'Patient', id: '1' }],
    ['https://fhir.test/r4/Observation/obs-1', { type: 'Observation', id: 'obs-1' }],
    ['Observation/obs-1/_history/2', { type: 'Observation', id: 'obs-1' }],
    ['https://fhir.test/Observation/a/_history/2/_history/3', { type: 'Observation', id: 'a' }],
    ['Observation/_history/2', {}],
    ['Patient/1?_format=json#x', { type: 'Patient', id: '1' }],
    ['Patient/1#x/y', { type: 'Patient', id: '1' }],
    ['//Patient//1//', { type: 'Patient', id: '1' }],
    ['Patient/_historyx', { type: 'Patient', id: '_historyx' }],
    ['#contained-1', { containedId: 'contained-1' }],
    ['#', {}],
    ['', {}],
    [undefined, {}],
    ['Patient', {}],
    ['patient/1', {}],
    ['Patient/..', {}],
    ['Patient/...', {}],
    ['Patient/.1', { type: 'Patient', id: '.1' }],
    ['?Patient/1', {}],
  ])('%s', (reference, parsed) => {
    expect(parseRef(reference)).toEqual(parsed)
  })
})

describe('readableRef', () => {
  it.each([
    ['Observation/obs-1', 'Observation/obs-1'],
    ['Observation/a.b-1', 'Observation/a.b-1'],
    ['https://other.test/fhir/Observation/1', undefined],
    ['Observation/1/_history/2', undefined],
    ['Observation/1/', undefined],
    ['/Observation/1', undefined],
    ['Observation/', undefined],
    ['Observation', undefined],
    ['#contained', undefined],
    ['observation/1', undefined],
    ['Observation/..', undefined],
    ['Observation/a b', undefined],
    [`Observation/${'a'.repeat(64)}`, `Observation/${'a'.repeat(64)}`],
    [`Observation/${'a'.repeat(65)}`, undefined],
    ['', undefined],
  ])('%s', (reference, readable) => {
    expect(readableRef({ reference })).toBe(readable)
  })
  it('undefined without a reference', () => {
    expect(readableRef(undefined)).toBeUndefined()
    expect(readableRef({})).toBeUndefined()
  })
})

/**
 * @module clinical/priors.test
 * Following a finding's derivedFrom chain to its prior measurements: depth, loops and patients.
 */
import type { Observation } from 'fhir/r4'
import { describe, expect, it } from 'vitest'
import { priorChain } from './priors'

const obs = (
  id: string,
  date: string,
  mean: number,
  prior?: string,
  patient = 'p1'
): Observation => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  subject: { reference: `Patient/${patient}` },
  code: { coding: [{ system: 'http://snomed.info/sct', code: '786838002' }] },
  effectiveDateTime: date,
  derivedFrom: [
    { reference: 'ImagingStudy/s' },
    ...(prior ? [{ reference: `Observation/${prior}` }] : []),
  ],
  component: [
    {
      code: { coding: [{ system: 'http://radlex.org', code: 'RID50155' }] },
      valueQuantity: { value: mean, unit: 'mm', code: 'mm' },
    },
  ],
})
const pool = (...list: Observation[]) => new Map(list.map((o) => [`Observation/${o.id}`, o]))

describe('priorChain', () => {
  // Audit: a prior's bare "4" is read as 4B for its own exam, but is no prior category: stepped
  // management would rest on a guess between 4A and 4B.
  it('does not carry a bare category 4 of a prior as its category', () => {
    const bare = obs('o1', '2025-12-01', 9)
    bare.component!.push({
      code: { coding: [{ system: 'http://radlex.org', code: 'RID50134' }] },
      valueString: 'Lung-RADS 4',
    })
    const coded = obs('o2', '2025-12-01', 9)
    coded.component!.push({
      code: { coding: [{ system: 'http://radlex.org', code: 'RID50134' }] },
      valueString: 'Lung-RADS 4A',
    })
    const [fromBare] = priorChain(obs('c', '2026-03-01', 9, 'o1'), pool(bare), 'Patient/p1')
    expect(fromBare?.assertedLungRads).toBeUndefined()
    const [fromCoded] = priorChain(obs('c', '2026-03-01', 9, 'o2'), pool(coded), 'Patient/p1')
    expect(fromCoded?.assertedLungRads).toBe('4A')
  })

  it('follows the chain newest first', () => {
    const chain = priorChain(
      obs('c', '2026-01-01', 7, 'b'),
      pool(obs('b', '2025-01-01', 6, 'a'), obs('a', '2024-01-01', 5)),
      'Patient/p1'
    )
    expect(chain.map((p) => [p.observationRef, p.date, p.nodule.meanDiameterMm])).toEqual([
      ['Observation/b', '2025-01-01', 6],
      ['Observation/a', '2024-01-01', 5],
    ])
  })

  it('stops at another patient, a missing link, a loop and the depth bound', () => {
    const other = priorChain(
      obs('c', '2026-01-01', 7, 'x'),
      pool(obs('x', '2025-01-01', 5, undefined, 'p2')),
      'Patient/p1'
    )
    expect(other).toEqual([])
    expect(priorChain(obs('c', '2026-01-01', 7, 'gone'), pool(), 'Patient/p1')).toEqual([])
    const loop = priorChain(
      obs('c', '2026-01-01', 7, 'b'),
      pool(obs('b', '2025-01-01', 6, 'c'), obs('c', '2026-01-01', 7, 'b')),
      'Patient/p1'
    )
    expect(loop.map((p) => p.observationRef)).toEqual(['Observation/b'])
    const long = Array.from({ length: 8 }, (_, i) =>
      obs(`o${i}`, `20${20 - i}-01-01`, 5, `o${i + 1}`)
    )
    expect(
      priorChain(obs('c', '2026-01-01', 7, 'o0'), pool(...long), 'Patient/p1', 3)
    ).toHaveLength(3)
  })
})

/**
 * The FHIR shape checker on its own: what it keeps, what it leaves out and counts, and where it
 * stops (array caps, nesting depth). The hook-level cases (garbage Bundles, hostile prefetch) are
 * in test/robustness.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { MAX_CHARS, sanitizeResource, type ShapeReport } from './shape'

type Json = Record<string, unknown>

const clean = (value: unknown) => {
  const report: ShapeReport = { dropped: 0, truncated: 0 }
  const resource = sanitizeResource(value, report) as Json | undefined
  return { resource, report }
}

describe('sanitizeResource', () => {
  it('refuses what is not a resource at all', () => {
    for (const value of [null, 1, 'Patient', [], {}, { resourceType: 7 }, [{ resourceType: 'X' }]])
      expect(clean(value).resource).toBeUndefined()
  })

  it('keeps a well-formed resource as it is, in place, and counts nothing', () => {
    const observation = {
      resourceType: 'Observation',
      id: 'o1',
      status: 'final',
      code: { coding: [{ system: 'http://snomed.info/sct', code: '786838002' }], text: 'Nodule' },
      subject: { reference: 'Patient/p1' },
      effectiveDateTime: '2026-11-16T10:00:00Z',
      valueQuantity: { value: 7.5, unit: 'mm' },
      unknownElement: { kept: [1, 'two'] },
    }
    const copy = structuredClone(observation)
    const { resource, report } = clean(observation)
    expect(resource).toBe(observation)
    expect(resource).toEqual(copy)
    expect(report).toEqual({ dropped: 0, truncated: 0 })
  })

  it('drops elements of the wrong JSON type and counts each', () => {
    const { resource, report } = clean({
      resourceType: 'Observation',
      id: 5,
      status: ['final'],
      code: 'nodule',
      subject: { reference: 1, display: 'ok' },
      valueQuantity: { value: '7', unit: 'mm' },
    })
    expect(resource).toEqual({
      resourceType: 'Observation',
      subject: { display: 'ok' },
      valueQuantity: { unit: 'mm' },
    })
    expect(report.dropped).toBe(5)
  })

  it('drops array items that are not objects, keeping the rest', () => {
    const { resource, report } = clean({
      resourceType: 'DiagnosticReport',
      result: [null, { reference: 'Observation/o1' }, 3, 'Observation/o2'],
    })
    expect(resource?.result).toEqual([{ reference: 'Observation/o1' }])
    expect(report.dropped).toBe(3)
  })

  it('keeps real dates and drops impossible ones', () => {
    const dates = {
      '2026': true,
      '2026-02': true,
      '2024-02-29': true,
      '2026-02-29': false,
      '2026-02-31': false,
      '2026-13': false,
      '2026-00-10': false,
      '2026-11-16T10:00:00Z': true,
      '2026-11-16T10:00:00.123+01:00': true,
      '16/11/2026': false,
      '': false,
    }
    for (const [value, kept] of Object.entries(dates)) {
      const { resource } = clean({ resourceType: 'Patient', birthDate: value })
      expect(resource?.birthDate, value).toBe(kept ? value : undefined)
    }
    expect(clean({ resourceType: 'Patient', birthDate: 20261116 }).resource).not.toHaveProperty(
      'birthDate'
    )
  })

  it('drops numbers that are not finite', () => {
    const json = '{"resourceType":"Observation","valueQuantity":{"value":1e999}}'
    const { resource, report } = clean(JSON.parse(json))
    expect(resource?.valueQuantity).toEqual({})
    expect(report.dropped).toBe(1)
  })

  it('caps links at 10 and other repeating elements at 100, counting what was cut', () => {
    const refs = (n: number) => Array.from({ length: n }, (_, i) => ({ reference: `X/${i}` }))
    const { resource, report } = clean({
      resourceType: 'Observation',
      derivedFrom: refs(25),
      category: Array.from({ length: 130 }, () => ({ text: 'imaging' })),
    })
    expect(resource?.derivedFrom).toHaveLength(10)
    expect(resource?.category).toHaveLength(100)
    expect(report.truncated).toBe(15 + 30)
  })

  it('checks Bundle entries and contained resources, but no deeper', () => {
    const contained = {
      resourceType: 'Observation',
      status: 1,
      contained: [{ resourceType: 'Patient', id: 'too-deep' }],
    }
    const { resource, report } = clean({
      resourceType: 'Bundle',
      type: 'searchset',
      entry: [
        { resource: { resourceType: 'DiagnosticReport', id: 'r1', contained: [contained] } },
        { resource: 'not a resource' },
        5,
      ],
    })
    const entries = resource?.entry as { resource?: Json }[]
    expect(entries).toHaveLength(2)
    const report1 = entries[0]!.resource!
    expect((report1.contained as Json[])[0]).toEqual({ resourceType: 'Observation', contained: [] })
    expect(entries[1]).toEqual({})
    // status: 1, the too-deep Patient, the entry's resource string and the entry 5.
    expect(report.dropped).toBe(4)
  })

  it('keeps two levels of extensions and drops a third rather than recursing', () => {
    const { resource } = clean({
      resourceType: 'Device',
      extension: [
        {
          url: 'outer',
          extension: [{ url: 'inner', valueString: 'v', extension: [{ url: 'third' }] }],
        },
      ],
    })
    expect(resource?.extension).toEqual([
      { url: 'outer', extension: [{ url: 'inner', valueString: 'v' }] },
    ])
  })

  it('leaves unknown resource types alone apart from id, extension and contained', () => {
    const value = { resourceType: 'Questionnaire', id: 'q', item: 'anything', status: 5 }
    const { resource, report } = clean(value)
    expect(resource).toEqual(value)
    expect(report.dropped).toBe(0)
  })
})

describe('sanitizeResource: string lengths (issue 14)', () => {
  const at = (n: number) => 'a'.repeat(n)

  it.each([
    [
      'a code',
      MAX_CHARS.code,
      (v: string) => ({ code: { coding: [{ system: 'http://x', code: v }] } }),
    ],
    ['an id', MAX_CHARS.code, (v: string) => ({ id: v })],
    ['a reference', MAX_CHARS.url, (v: string) => ({ subject: { reference: v } })],
    ['a display', MAX_CHARS.text, (v: string) => ({ code: { text: v } })],
    ['a valueString', MAX_CHARS.text, (v: string) => ({ valueString: v })],
  ] as const)(
    'keeps %s of exactly its cap, drops one character more and counts it',
    (_what, cap, make) => {
      const kept = clean({ resourceType: 'Observation', ...make(at(cap)) })
      expect(kept.report).toEqual({ dropped: 0, truncated: 0 })
      const over = clean({ resourceType: 'Observation', ...make(at(cap + 1)) })
      expect(over.report).toEqual({ dropped: 1, truncated: 0, tooLong: 1 })
      expect(JSON.stringify(over.resource)).not.toContain(at(cap + 1))
    }
  )

  it('drops a Bundle paging link longer than a URL may be', () => {
    const { resource, report } = clean({
      resourceType: 'Bundle',
      link: [{ relation: 'next', url: `https://fhir.test/${at(MAX_CHARS.url)}` }],
    })
    expect((resource as { link: Json[] }).link[0]!.url).toBeUndefined()
    expect(report.tooLong).toBe(1)
  })

  it('refuses a resource type of 65 characters (no R4 type is that long)', () => {
    expect(clean({ resourceType: `A${at(64)}` }).resource).toBeUndefined()
    expect(clean({ resourceType: `A${at(63)}` }).resource).toBeDefined()
  })
})

/**
 * Currency as a table: which later report replaces which earlier one, and what is withdrawn.
 */
import type { DiagnosticReport } from 'fhir/r4'
import { describe, expect, it } from 'vitest'
import { currentReports, isWithdrawn } from './currency'

const report = (
  id: string,
  status: DiagnosticReport['status'],
  issued: string | undefined,
  extra: Partial<DiagnosticReport> = {}
): DiagnosticReport => ({
  resourceType: 'DiagnosticReport',
  id,
  status,
  ...(issued ? { issued } : {}),
  code: { text: 'AI analysis' },
  imagingStudy: [{ reference: 'ImagingStudy/s1' }],
  performer: [{ reference: 'Device/ai-1' }],
  ...extra,
})
const ids = (reports: DiagnosticReport[]) => reports.map((r) => r.id)
const EARLY = '2024-03-01T10:00:00Z'
const LATE = '2024-03-02T10:00:00Z'

describe('currentReports: a later report of the same producer replaces an earlier one', () => {
  // [earlier status, later status, what stays]
  it.each([
    ['preliminary', 'preliminary', ['early', 'late']],
    ['preliminary', 'final', ['late']],
    ['preliminary', 'amended', ['late']],
    ['preliminary', 'corrected', ['late']],
    ['partial', 'final', ['late']],
    ['final', 'preliminary', ['early', 'late']],
    ['final', 'final', ['early', 'late']],
    ['final', 'amended', ['late']],
    ['final', 'corrected', ['late']],
    ['amended', 'corrected', ['late']],
    ['corrected', 'amended', ['late']],
    ['amended', 'final', ['early', 'late']],
    ['preliminary', 'entered-in-error', ['early']],
    ['final', 'cancelled', ['early']],
    ['entered-in-error', 'preliminary', ['late']],
    ['cancelled', 'final', ['late']],
  ] as const)('%s, then %s → %j', (earlier, later, kept) => {
    const input = [report('early', earlier, EARLY), report('late', later, LATE)]
    expect(ids(currentReports(input))).toEqual(kept)
    // Input order does not matter, only `issued`.
    expect(ids(currentReports([...input].reverse())).sort()).toEqual([...kept].sort())
  })

  it('replaces nothing when issued at the same time, earlier, or without a time', () => {
    expect(
      ids(currentReports([report('a', 'preliminary', LATE), report('b', 'final', LATE)]))
    ).toEqual(['a', 'b'])
    expect(
      ids(currentReports([report('a', 'preliminary', LATE), report('b', 'final', EARLY)]))
    ).toEqual(['a', 'b'])
    expect(
      ids(currentReports([report('a', 'preliminary', undefined), report('b', 'final', LATE)]))
    ).toEqual(['a', 'b'])
  })

  it('keeps only the last of a chain of corrections', () => {
    const chain = [
      report('c2', 'corrected', '2024-03-03T10:00:00Z'),
      report('f', 'final', EARLY),
      report('c1', 'corrected', LATE),
    ]
    expect(ids(currentReports(chain))).toEqual(['c2'])
  })

  it('keeps both when another device produced the later report', () => {
    const other = report('other', 'final', LATE, { performer: [{ reference: 'Device/ai-2' }] })
    expect(ids(currentReports([report('p', 'preliminary', EARLY), other]))).toEqual(['p', 'other'])
  })

  it('matches the producer by model name when no Device is referenced', () => {
    const model = (name: string) => ({
      performer: [],
      extension: [
        {
          url: 'http://example.org/fhir/StructureDefinition/ai-model-metadata',
          extension: [{ url: 'model-name', valueString: name }],
        },
      ],
    })
    const a = report('a', 'preliminary', EARLY, model('NoduleNet'))
    const b = report('b', 'final', LATE, model('nodulenet'))
    const c = report('c', 'final', LATE, model('PE-Finder'))
    expect(ids(currentReports([a, b]))).toEqual(['b'])
    expect(ids(currentReports([a, c]))).toEqual(['a', 'c'])
  })

  it('matches Device references whatever their base URL or version', () => {
    const later = report('later', 'final', LATE, {
      performer: [{ reference: 'https://fhir.example.org/Device/ai-1/_history/2' }],
    })
    expect(ids(currentReports([report('p', 'preliminary', EARLY), later]))).toEqual(['later'])
  })
})

describe('isWithdrawn', () => {
  it.each([
    ['entered-in-error', true],
    ['cancelled', true],
    ['preliminary', false],
    ['final', false],
    ['amended', false],
    ['corrected', false],
    [undefined, false],
  ] as const)('%s → %s', (status, withdrawn) => {
    expect(isWithdrawn(status ? { status } : {})).toBe(withdrawn)
  })
})

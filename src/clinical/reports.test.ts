/**
 * @module clinical/reports.test
 * Usable reports, supersession by amended or corrected reports, model metadata.
 */
import type { Device, DiagnosticReport } from 'fhir/r4'
import { describe, expect, it } from 'vitest'
import { latestReports, readModelInfo, reportIsUsable } from './reports'

const report = (
  id: string,
  status: DiagnosticReport['status'],
  issued: string,
  extra: Partial<DiagnosticReport> = {}
): DiagnosticReport => ({
  resourceType: 'DiagnosticReport',
  id,
  status,
  issued,
  code: { text: 'AI analysis' },
  imagingStudy: [{ reference: 'ImagingStudy/s1' }],
  performer: [{ reference: 'Device/ai-1' }],
  ...extra,
})
const ids = (reports: DiagnosticReport[]) => reports.map((r) => r.id)

describe('reportIsUsable', () => {
  it.each([
    ['preliminary', true],
    ['final', true],
    ['amended', true],
    ['corrected', true],
    ['entered-in-error', false],
    ['cancelled', false],
  ] as const)('%s → %s', (status, usable) => {
    expect(reportIsUsable(report('r', status, '2024-01-01T00:00:00Z'))).toBe(usable)
  })

  it('is false for no report', () => {
    expect(reportIsUsable(undefined)).toBe(false)
  })
})

describe('latestReports', () => {
  const final = report('final', 'final', '2024-03-01T10:00:00Z')

  it('keeps an amended report over the earlier one it supersedes', () => {
    const amended = report('amended', 'amended', '2024-03-02T10:00:00Z')
    expect(ids(latestReports([final, amended]))).toEqual(['amended'])
  })

  it('keeps only the last of a chain of corrections', () => {
    const c1 = report('c1', 'corrected', '2024-03-02T10:00:00Z')
    const c2 = report('c2', 'corrected', '2024-03-03T10:00:00Z')
    expect(ids(latestReports([c2, final, c1]))).toEqual(['c2'])
  })

  it('keeps both when the amendment is from another device', () => {
    const other = report('other', 'amended', '2024-03-02T10:00:00Z', {
      performer: [{ reference: 'Device/ai-2' }],
    })
    expect(ids(latestReports([final, other]))).toEqual(['final', 'other'])
  })

  it('keeps both when the amendment is about another study', () => {
    const other = report('other', 'amended', '2024-03-02T10:00:00Z', {
      imagingStudy: [{ reference: 'ImagingStudy/s2' }],
    })
    expect(ids(latestReports([final, other]))).toEqual(['final', 'other'])
  })

  it('keeps both when the "amendment" was issued earlier', () => {
    const early = report('early', 'amended', '2024-02-01T10:00:00Z')
    expect(ids(latestReports([final, early]))).toEqual(['final', 'early'])
  })

  it('does not let a later final report supersede anything', () => {
    const later = report('later', 'final', '2024-03-05T10:00:00Z')
    expect(ids(latestReports([final, later]))).toEqual(['final', 'later'])
  })

  it('matches the source by model name when no Device is referenced', () => {
    const model = (name: string) => [
      {
        url: 'http://example.org/fhir/StructureDefinition/ai-model-metadata',
        extension: [{ url: 'model-name', valueString: name }],
      },
    ]
    const a = report('a', 'final', '2024-03-01T10:00:00Z', {
      performer: [],
      extension: model('NoduleNet'),
    })
    const b = report('b', 'corrected', '2024-03-02T10:00:00Z', {
      performer: [],
      extension: model('nodulenet'),
    })
    const c = report('c', 'corrected', '2024-03-02T10:00:00Z', {
      performer: [],
      extension: model('PE-Finder'),
    })
    expect(ids(latestReports([a, b]))).toEqual(['b'])
    expect(ids(latestReports([a, c]))).toEqual(['a', 'c'])
  })

  it('drops withdrawn reports', () => {
    const withdrawn = report('eie', 'entered-in-error', '2024-03-04T10:00:00Z')
    expect(ids(latestReports([final, withdrawn]))).toEqual(['final'])
  })

  it('matches study and device references whatever their base URL', () => {
    const amended = report('amended', 'amended', '2024-03-02T10:00:00Z', {
      imagingStudy: [{ reference: 'https://fhir.example.org/ImagingStudy/s1' }],
      performer: [{ reference: 'https://fhir.example.org/Device/ai-1/_history/2' }],
    })
    expect(ids(latestReports([final, amended]))).toEqual(['amended'])
  })
  it('keeps the latest of each study and source when many studies interleave', () => {
    // 100 studies, each: a final, an amendment and a correction from ai-1 (the correction wins),
    // and an older-issued amendment from ai-2 (another source, so it stays).
    const input = Array.from({ length: 100 }, (_, i) => {
      const on = { imagingStudy: [{ reference: `ImagingStudy/s${i}` }] }
      return [
        report(`c${i}`, 'corrected', '2024-03-03T10:00:00Z', on),
        report(`f${i}`, 'final', '2024-03-01T10:00:00Z', on),
        report(`o${i}`, 'amended', '2024-02-01T10:00:00Z', {
          ...on,
          performer: [{ reference: 'Device/ai-2' }],
        }),
        report(`a${i}`, 'amended', '2024-03-02T10:00:00Z', on),
      ]
    }).flat()
    expect(ids(latestReports(input))).toEqual(
      Array.from({ length: 100 }, (_, i) => [`c${i}`, `o${i}`]).flat()
    )
  })
})

describe('readModelInfo', () => {
  it('reads a contained Device when there is no metadata extension', () => {
    const device: Device = {
      resourceType: 'Device',
      id: 'dev',
      deviceName: [{ name: 'ChestAI', type: 'model-name' }],
      version: [{ value: '3.2' }],
    }
    const r = report('r', 'final', '2024-03-01T10:00:00Z', {
      contained: [device],
      performer: [{ reference: '#dev' }],
    })
    expect(readModelInfo(r)).toEqual({ name: 'ChestAI', version: '3.2' })
  })

  it('reads a confidence score given as a percentage as a fraction', () => {
    const r = report('r', 'final', '2024-03-01T10:00:00Z', {
      extension: [
        {
          url: 'urn:imaging-cds:ai-model-metadata',
          extension: [{ url: 'confidence-score', valueDecimal: 87 }],
        },
      ],
    })
    expect(readModelInfo(r).confidence).toBe(0.87)
  })
})

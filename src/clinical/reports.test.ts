/**
 * @module clinical/reports.test
 * The AI model behind a report: metadata extension, contained or referenced Device.
 */
import type { Device, DiagnosticReport } from 'fhir/r4'
import { describe, expect, it } from 'vitest'
import { readModelInfo } from './reports'

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

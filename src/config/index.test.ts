/**
 * @module config/index.test
 * Clinical configuration refused at start: an indicator override may raise, never lower a
 * critical finding kind (issue 10).
 */
import { describe, expect, it } from 'vitest'
import { ConfigError, parseConfig } from './index'

const dev = { CDS_DEV_MODE: '1' }

describe('CDS_INDICATORS', () => {
  it('accepts overrides that raise an indicator', () => {
    const config = parseConfig({
      ...dev,
      CDS_INDICATORS: '{"rib-fracture":"warning","pulmonary-embolism":"critical"}',
    })
    expect(config.indicators).toEqual({
      'rib-fracture': 'warning',
      'pulmonary-embolism': 'critical',
    })
  })

  it('knows the new kinds', () => {
    expect(
      parseConfig({ ...dev, CDS_INDICATORS: '{"large-vessel-occlusion":"critical"}' }).indicators
    ).toEqual({ 'large-vessel-occlusion': 'critical' })
  })

  it('refuses to lower a critical kind, naming it', () => {
    const attempt = () =>
      parseConfig({
        ...dev,
        CDS_INDICATORS: '{"pulmonary-embolism":"info","rib-fracture":"warning"}',
      })
    expect(attempt).toThrow(ConfigError)
    expect(attempt).toThrow(/CDS_INDICATORS: pulmonary-embolism is a critical finding kind/)
    expect(attempt).toThrow(/never lower a critical kind/)
    expect(() =>
      parseConfig({
        ...dev,
        CDS_INDICATORS: '{"pneumothorax":"warning","pneumoperitoneum":"info"}',
      })
    ).toThrow(/pneumothorax, pneumoperitoneum are critical finding kinds/)
  })
})

describe('follow-up coverage settings', () => {
  it('default to a 28-day tolerance and no site exam codes', () => {
    const config = parseConfig(dev)
    expect(config.dueToleranceDays).toBe(28)
    expect(config.examCodes).toEqual({})
  })

  it('read the tolerance and site codes per family, and refuse unknown families', () => {
    const config = parseConfig({
      ...dev,
      CDS_DUE_TOLERANCE_DAYS: '14',
      CDS_EXAM_CODES: '{"tissue-sampling":[{"system":"urn:site","code":"BX"}]}',
    })
    expect(config.dueToleranceDays).toBe(14)
    expect(config.examCodes).toEqual({ 'tissue-sampling': [{ system: 'urn:site', code: 'BX' }] })
    expect(() => parseConfig({ ...dev, CDS_EXAM_CODES: '{"mri":[]}' })).toThrow(ConfigError)
    expect(() => parseConfig({ ...dev, CDS_DUE_TOLERANCE_DAYS: '-1' })).toThrow(ConfigError)
  })
})

/**
 * @module config/index.test
 * Clinical configuration refused at start: an indicator override may raise, never lower a
 * critical finding kind (issue 10); defaults, refusals naming their variable, URL and list forms.
 */
import { describe, expect, it } from 'vitest'
import { ConfigError, DEFAULT_HOOK_DOMAIN, parseConfig } from './index'

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

describe('parseConfig', () => {
  const trust = JSON.stringify({
    issuers: [{ iss: 'https://ehr.test', jwksUrl: 'https://ehr.test/jwks.json', fhirServers: [] }],
  })

  it('gives development defaults: local URL, any CORS origin, a 1 s budget with reads below it', () => {
    const config = parseConfig(dev)
    expect(config.devMode).toBe(true)
    expect(config.publicUrl).toBe('http://127.0.0.1:8080')
    expect(config.corsOrigins).toBe('*')
    expect(config.hookBudgetMs).toBe(1000)
    expect(config.fhirTimeoutMs).toBe(750)
    expect(config.imagingHook).toBe(`${DEFAULT_HOOK_DOMAIN}.imaging-study-complete`)
    expect(config.trust).toBeUndefined()
  })

  it('refuses to start without trusted clients outside development mode', () => {
    expect(() => parseConfig({})).toThrow(/No trusted CDS clients/)
    expect(() => parseConfig({ CDS_DEV_MODE: '0' })).toThrow(ConfigError)
    expect(parseConfig({ CDS_TRUST: trust }).devMode).toBe(false)
  })

  it('names the variable in every refusal', () => {
    const refusals: [Record<string, string>, RegExp][] = [
      [{ CDS_TRUST: '{not json' }, /CDS_TRUST_FILE: the trust file is not valid JSON/],
      [{ CDS_TRUST: '{"issuers":"x"}' }, /CDS_TRUST_FILE/],
      [{ ...dev, CDS_HOOK_BUDGET_MS: '50' }, /CDS_HOOK_BUDGET_MS/],
      [{ ...dev, CDS_FHIR_TIMEOUT_MS: '1000' }, /CDS_FHIR_TIMEOUT_MS: must be below/],
      [{ ...dev, CDS_PUBLIC_URL: 'ftp://cds.test' }, /CDS_PUBLIC_URL/],
      [{ ...dev, CDS_DEV_MODE: 'maybe' }, /CDS_DEV_MODE/],
      [{ ...dev, OHIF_DATA_SOURCES: '[' }, /OHIF_DATA_SOURCES/],
      [{ ...dev, CDS_CONFIDENCE_THRESHOLD: '2' }, /CDS_CONFIDENCE_THRESHOLD/],
    ]
    for (const [vars, message] of refusals) {
      expect(() => parseConfig(vars), JSON.stringify(vars)).toThrow(ConfigError)
      expect(() => parseConfig(vars), JSON.stringify(vars)).toThrow(message)
    }
  })

  it('reads URLs without trailing slashes, CORS origins as a list, and the hook name', () => {
    const config = parseConfig({
      CDS_TRUST: trust,
      CDS_PUBLIC_URL: 'https://cds.test/base//',
      OHIF_VIEWER_URL: 'https://viewer.test/',
      OHIF_DATA_SOURCES: '{"https://pacs.test/dicom-web":"pacs"}',
      CDS_CORS_ORIGINS: ' https://a.test , ,https://b.test',
      CDS_HOOK_DOMAIN: 'org.example',
      CDS_HOOK_BUDGET_MS: '2000',
    })
    expect(config.publicUrl).toBe('https://cds.test/base')
    expect(config.viewer).toEqual({
      baseUrl: 'https://viewer.test',
      dataSources: [{ dicomWebPrefix: 'https://pacs.test/dicom-web', name: 'pacs' }],
    })
    expect(config.corsOrigins).toEqual(['https://a.test', 'https://b.test'])
    expect(config.imagingHook).toBe('org.example.imaging-study-complete')
    expect(config.fhirTimeoutMs).toBe(1500)
    expect(parseConfig({ ...dev, CDS_CORS_ORIGINS: 'https://a.test,*' }).corsOrigins).toBe('*')
    expect(parseConfig({ ...dev, CDS_IMAGING_HOOK: 'x-hook' }).imagingHook).toBe('x-hook')
  })
})

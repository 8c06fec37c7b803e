/**
 * Prometheus metrics fed by the app's Observer calls: one hook call that reads from a real FHIR
 * server (Medplum over HTTP), a refused token and feedback, then the exposition text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFhirServer, type FhirTestServer } from '../../demo/fhir-server'
import { imagingStudyCompleteRequest, loadFixtureResources } from '../../fixtures'
import { createHarness, fhirAuthorization } from '../../test/support/harness'
import { createMetrics, metricsHandler, pathOf } from './metrics'

describe('metrics', () => {
  let fhir: FhirTestServer
  let text: string
  beforeAll(async () => {
    fhir = await startFhirServer({ resources: loadFixtureResources('screening-4a') })
    const metrics = createMetrics({ defaultMetrics: false })
    const h = await createHarness({}, { observer: metrics.observer }, [fhir.url])
    const body = {
      ...imagingStudyCompleteRequest('screening-4a', { fhirServer: fhir.url }),
      fhirAuthorization: fhirAuthorization(),
    }
    const res = await h.call('/cds-services/imaging-ai-findings', body)
    const { cards } = (await res.json()) as { cards: { uuid: string }[] }
    await h.call('/cds-services/imaging-ai-findings/feedback', {
      feedback: [
        { card: cards[0]!.uuid, outcome: 'overridden', outcomeTimestamp: '2026-11-29T12:00:00Z' },
      ],
    })
    await h.app.request('http://localhost/cds-services', {
      headers: { authorization: 'Bearer x.y.z' },
    })
    await h.app.request('http://localhost/nowhere/12345')
    const answer = await metricsHandler(metrics)(new Request('http://127.0.0.1:9464/metrics'))
    text = await answer.text()
  })
  afterAll(async () => {
    await fhir?.close()
  })

  it('counts requests by service, hook and status, with latency', () => {
    const hook = 'service="imaging-ai-findings",hook="org.imaging-cds.imaging-study-complete"'
    expect(text).toContain(`cds_http_requests_total{endpoint="service",${hook},status="200"} 1`)
    expect(text).toContain(`cds_http_requests_total{endpoint="feedback",${hook},status="200"} 1`)
    expect(text).toContain(
      'cds_http_requests_total{endpoint="discovery",service="",hook="",status="401"} 1'
    )
    // A path nobody declared is "other", never the path itself.
    expect(text).toContain(
      'cds_http_requests_total{endpoint="other",service="",hook="",status="404"} 1'
    )
    expect(text).not.toContain('nowhere')
    expect(text).toContain(`cds_http_request_duration_seconds_count{endpoint="service",${hook}} 1`)
  })

  it('counts FHIR reads by outcome, with latency', () => {
    expect(text).toMatch(/cds_fhir_reads_total\{outcome="ok"\} [1-9]/)
    expect(text).toMatch(/cds_fhir_read_duration_seconds_count\{outcome="ok"\} [1-9]/)
  })

  it('counts cards by indicator and finding kind, rejections by reason, feedback by outcome', () => {
    expect(text).toContain(
      'cds_cards_total{service="imaging-ai-findings",indicator="warning",finding_kind="pulmonary-nodule"} 1'
    )
    expect(text).toContain('cds_auth_rejections_total{reason="malformed_token"} 1')
    expect(text).toContain(
      'cds_feedback_entries_total{service="imaging-ai-findings",outcome="stored"} 1'
    )
  })
})

describe('pathOf', () => {
  it.each([
    ['http://h:1/metrics', '/metrics'],
    ['http://h/metrics?x=1', '/metrics'],
    ['http://h', '/'],
    ['http://h/a/b?c', '/a/b'],
  ])('%s -> %s', (url, path) => expect(pathOf(url)).toBe(path))
})

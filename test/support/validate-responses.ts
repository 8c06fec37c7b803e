/**
 * @module test/support/validate-responses
 * One assertion for every HTTP response a test gets back from the service: a 2xx body is checked
 * as the endpoint's CDS Hooks body, anything else as a JSON OperationOutcome (§2.11). Reads a
 * clone, so the test can still read the body afterwards.
 */
import {
  validateCdsResponse,
  validateDiscovery,
  validateOperationOutcome,
  type ValidationResult,
  validateFeedbackAnswer,
} from '../../src/protocol/validate'

export type ResponseKind = 'discovery' | 'service' | 'feedback'

const JSON_CONTENT_TYPE = /^application\/(?:fhir\+)?json\s*(?:;|$)/i

/**
 * Throws an Error listing every problem with `res`; returns the parsed body (undefined when it is
 * empty) so the caller can go on asserting on it.
 *
 * - discovery / service, 2xx: status 200, JSON Content-Type, a valid discovery / service body.
 * - feedback, 2xx: the spec defines no body (F4); ours is empty, `{}`, or the refused entries.
 * - any kind, non-2xx: JSON Content-Type and a valid OperationOutcome.
 */
export async function expectValidResponse(res: Response, kind: ResponseKind): Promise<unknown> {
  let text: string
  try {
    text = await res.clone().text()
  } catch (err) {
    throw new Error(
      `expectValidResponse(${kind}): cannot read the body (already consumed?): ${String(err)}`,
      { cause: err }
    )
  }
  const errors: string[] = []
  const success = res.status >= 200 && res.status < 300
  const contentType = res.headers.get('content-type') ?? ''

  let body: unknown
  if (text.length > 0) {
    try {
      body = JSON.parse(text)
    } catch {
      errors.push(`body: not JSON: ${text.slice(0, 200)}`)
    }
  }

  const requireJsonContentType = () => {
    if (!JSON_CONTENT_TYPE.test(contentType))
      errors.push(`Content-Type: expected application/json, got ${contentType || '(none)'}`)
  }
  const add = (result: ValidationResult) => {
    if (!result.ok) errors.push(...result.errors)
  }

  if (!success) {
    requireJsonContentType()
    if (text.length === 0) errors.push('body: a non-2xx response needs an OperationOutcome body')
    else if (body !== undefined) add(validateOperationOutcome(body))
  } else if (kind === 'feedback') {
    const isAnswer = body !== undefined && validateFeedbackAnswer(body).ok
    if (text.length > 0 && !isAnswer)
      errors.push(
        `body: a feedback response is empty, {} or {"refused": [...]}, got ${text.slice(0, 200)}`
      )
  } else {
    if (res.status !== 200) errors.push(`status: expected 200, got ${res.status}`)
    requireJsonContentType()
    if (text.length === 0) errors.push('body: empty')
    else if (body !== undefined)
      add(kind === 'discovery' ? validateDiscovery(body) : validateCdsResponse(body))
  }

  if (errors.length > 0) {
    const where = `${res.status} ${res.url || ''}`.trim()
    throw new Error(
      `Invalid ${kind} response (${where}):\n  ${errors.join('\n  ')}\nBody: ${text.slice(0, 2000)}`
    )
  }
  return body
}

/** The request schema's length bounds at their edges (issue 14). */
import { describe, expect, it } from 'vitest'
import { cdsRequestSchema, MAX_ACCESS_TOKEN_CHARS, MAX_FHIR_SERVER_CHARS } from './request'

const base = 'https://fhir.test/r4/'
const request = (fhirServer: string, accessToken = 'token') => ({
  hook: 'patient-view',
  hookInstance: 'd1577c69-dfbe-44ad-ba6d-3e05e953b2ea',
  fhirServer,
  fhirAuthorization: { access_token: accessToken },
  context: { patientId: 'p1' },
})
/** A fhirServer of exactly `length` characters. */
const serverOf = (length: number) => base + 'a'.repeat(length - base.length)

describe('cdsRequestSchema length bounds', () => {
  it(`accepts a fhirServer of ${MAX_FHIR_SERVER_CHARS} characters, refuses one more`, () => {
    expect(cdsRequestSchema.safeParse(request(serverOf(MAX_FHIR_SERVER_CHARS))).success).toBe(true)
    const over = cdsRequestSchema.safeParse(request(serverOf(MAX_FHIR_SERVER_CHARS + 1)))
    expect(over.success).toBe(false)
    expect(over.error?.issues[0]?.path).toEqual(['fhirServer'])
  })

  it(`accepts an access token of ${MAX_ACCESS_TOKEN_CHARS} characters, refuses one more`, () => {
    const token = (n: number) => 'x'.repeat(n)
    expect(cdsRequestSchema.safeParse(request(base, token(MAX_ACCESS_TOKEN_CHARS))).success).toBe(
      true
    )
    const over = cdsRequestSchema.safeParse(request(base, token(MAX_ACCESS_TOKEN_CHARS + 1)))
    expect(over.success).toBe(false)
    expect(over.error?.issues[0]?.path).toEqual(['fhirAuthorization', 'access_token'])
  })
})

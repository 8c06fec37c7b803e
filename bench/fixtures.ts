/**
 * @module bench/fixtures
 * What the bench and the profiler send: the screening-4a imaging-study-complete call with and
 * without prefetch, and ES384 JWTs signed in bulk (every call needs its own, jti values are
 * single-use).
 */
import { randomUUID, sign, type KeyObject } from 'node:crypto'
import { promisify } from 'node:util'
import { imagingStudyCompleteRequest, loadFixtureResources } from '../fixtures'
import type { Bundle, FhirResource } from 'fhir/r4'

export const BENCH_ISSUER = 'https://ehr.bench.test'
export const BENCH_KID = 'bench'
export const HOOK_PATH = '/cds-services/imaging-ai-findings'

const signAsync = promisify(sign)
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/**
 * Signs `count` ES384 JWTs for `aud`, shaped as scripts/lib/sign.ts makes them. Node's callback
 * `crypto.sign` runs on the libuv pool, so every core signs while the caller waits.
 */
export async function signTokens(
  privateKey: KeyObject,
  aud: string,
  count: number
): Promise<string[]> {
  const header = b64url({ alg: 'ES384', typ: 'JWT', kid: BENCH_KID })
  const iat = Math.floor(Date.now() / 1000)
  const tokens: string[] = []
  for (let start = 0; start < count; start += 1000) {
    const batch = Array.from({ length: Math.min(1000, count - start) }, async () => {
      const claims = { iss: BENCH_ISSUER, aud, iat, exp: iat + 300, jti: randomUUID() }
      const input = `${header}.${b64url(claims)}`
      const signature = await signAsync('sha384', Buffer.from(input), {
        key: privateKey,
        dsaEncoding: 'ieee-p1363',
      })
      return `${input}.${signature.toString('base64url')}`
    })
    tokens.push(...(await Promise.all(batch)))
  }
  return tokens
}

/** The public half as a trust-file JWK. */
export function benchJwk(publicKey: KeyObject) {
  return { ...publicKey.export({ format: 'jwk' }), kid: BENCH_KID, alg: 'ES384' }
}

/**
 * The imaging-study-complete request bodies: `withPrefetch` carries everything the service needs,
 * as an EHR that honours the prefetch templates would send it; `fetching` carries nothing, so the
 * service reads it all from `fhirUrl`.
 */
export function hookBodies(fhirUrl: string) {
  const base = imagingStudyCompleteRequest('screening-4a')
  const resources = loadFixtureResources('screening-4a')
  const byType = (type: string): Bundle => ({
    resourceType: 'Bundle',
    type: 'searchset',
    entry: resources
      .filter((r) => r.resourceType === type)
      .map((resource) => ({ resource: resource as FhirResource })),
  })
  const prefetch = {
    patient: resources.find((r) => r.resourceType === 'Patient'),
    study: resources.find((r) => r.resourceType === 'ImagingStudy'),
    reports: byType('DiagnosticReport'),
    findings: byType('Observation'),
    smoking: { resourceType: 'Bundle', type: 'searchset', entry: [] },
    orders: byType('ServiceRequest'),
  }
  const fhirAuthorization = {
    access_token: 'bench-token',
    token_type: 'Bearer',
    expires_in: 300,
    scope: 'patient/*.read',
    subject: 'imaging-cds',
  }
  return {
    withPrefetch: JSON.stringify({ ...base, fhirServer: fhirUrl, fhirAuthorization, prefetch }),
    fetching: JSON.stringify({ ...base, fhirServer: fhirUrl, fhirAuthorization }),
  }
}

/**
 * @module stack/test-support
 * For the stack's integration tests: whether Orthanc is here. Locally a missing Orthanc skips those
 * tests with the install line; in CI (`IMAGING_CDS_REQUIRE_STACK=1`, set by .ci/run) it fails them.
 */
import { ORTHANC_INSTALL, orthancMissing } from './orthanc'

export function orthancForTests(): { skip: boolean; reason?: string } {
  const missing = orthancMissing()
  if (!missing) return { skip: false }
  if (process.env.IMAGING_CDS_REQUIRE_STACK === '1') {
    throw new Error(`${missing}; CI must install it: ${ORTHANC_INSTALL}`)
  }
  console.warn(`Skipping the Orthanc tests: ${missing}. Install: ${ORTHANC_INSTALL}`)
  return { skip: true, reason: missing }
}

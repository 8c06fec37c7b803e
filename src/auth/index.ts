/**
 * @module auth
 * Authentication of CDS clients: trust file, JWT verification, replay store, Hono middleware and
 * the FHIR server allowlist.
 * @see docs/security.md
 */
export {
  parseTrustConfig,
  SIGNING_ALGORITHMS,
  DEFAULT_ALGORITHMS,
  type TrustConfig,
  type IssuerConfig,
  type SigningAlgorithm,
} from './trust'
export {
  createKeySource,
  createPinnedKeySource,
  createRemoteKeySource,
  KeySourceError,
  type KeySource,
  type RemoteJwksOptions,
} from './jwks'
export { createMemoryReplayStore, type ReplayStore, type MemoryReplayStoreOptions } from './replay'
export {
  createJwtVerifier,
  AuthError,
  type AuthFailure,
  type Caller,
  type JwtVerifier,
  type JwtVerifierOptions,
} from './verify'
export { cdsAuth, devCaller, type AuthVariables, type CdsAuthOptions } from './middleware'
export { isFhirServerAllowed } from './fhir-allowlist'

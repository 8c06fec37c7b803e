/**
 * @module scripts/lib/service
 * Starts the service on loopback as a deployment would, trusting one issuer whose ES384 key pair
 * is made here for this run only and allowing only the given FHIR servers. The demo and the stack
 * sign their hook calls with the key it returns.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose'
import { parseConfig } from '../../src/config'
import { startServer, type RunningServer } from '../../src/node'
import { freePort } from './ports'

export interface TrustedService {
  server: RunningServer
  /** The issuer's private key, its JWK form and key id, for signing calls. */
  privateKey: CryptoKey
  privateJwk: JWK
  kid: string
}

export async function startTrustedService(options: {
  issuer: string
  fhirServers: string[]
  /** Further configuration variables (OHIF_VIEWER_URL, ...). */
  env?: Record<string, string>
  /** Written into the trust document (who made it). */
  note?: string
  deps?: Parameters<typeof startServer>[1]
}): Promise<TrustedService> {
  const { publicKey, privateKey } = await generateKeyPair('ES384', { extractable: true })
  const publicJwk = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(publicJwk)
  const trust = {
    ...(options.note ? { _note: options.note } : {}),
    issuers: [
      {
        iss: options.issuer,
        jwks: { keys: [{ ...publicJwk, kid, alg: 'ES384', use: 'sig' }] },
        algorithms: ['ES384'],
        fhirServers: options.fhirServers,
      },
    ],
  }
  const config = parseConfig({
    HOST: '127.0.0.1',
    PORT: String(await freePort()),
    CDS_TRUST: JSON.stringify(trust),
    ...options.env,
  })
  const server = await startServer(config, options.deps)
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'ES384' }
  return { server, privateKey, privateJwk, kid }
}

/**
 * @module scripts/make-keys
 * Makes an ES384 key pair for a CDS client and a trust file that trusts it (public key pinned).
 * Node only. Writes, in --out:
 *   private.jwk.json  the client's private key (mode 600; keep it out of git)
 *   jwks.json         its public JWK Set (publish it, or give it to the service operator)
 *   trust.json        a trust file for this service, pinning that public key
 *
 *   npm run keys -- --out demo/.keys --iss https://ehr.example.org \
 *     [--tenant t1] [--fhir-server https://fhir.example.org/r4 ...] [--force]
 */
import { access, chmod, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose'
import { parseTrustConfig } from '../src/auth/trust'

const usage = `Usage: npm run keys -- --out <dir> --iss <issuer URI>
  [--tenant <tenant> ...] [--fhir-server <FHIR base URL> ...] [--force]`

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false
  )
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      iss: { type: 'string' },
      tenant: { type: 'string', multiple: true },
      'fhir-server': { type: 'string', multiple: true },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help || !values.out || !values.iss) {
    console.error(usage)
    return values.help ? 0 : 2
  }
  const privatePath = join(values.out, 'private.jwk.json')
  if (!values.force && (await exists(privatePath))) {
    console.error(`${privatePath} exists; pass --force to replace the key pair`)
    return 1
  }

  const { publicKey, privateKey } = await generateKeyPair('ES384', { extractable: true })
  const publicJwk = await exportJWK(publicKey)
  // A thumbprint kid is stable for the key and unique without coordination.
  const kid = await calculateJwkThumbprint(publicJwk)
  const meta = { kid, alg: 'ES384', use: 'sig' }
  const jwks = { keys: [{ ...publicJwk, ...meta }] }
  // Validate with the service's own parser, so the file written is one the service accepts.
  const trust = parseTrustConfig({
    issuers: [
      {
        iss: values.iss,
        jwks,
        algorithms: ['ES384'],
        ...(values.tenant?.length ? { tenants: values.tenant } : {}),
        fhirServers: values['fhir-server'] ?? [],
      },
    ],
  })

  await mkdir(values.out, { recursive: true })
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`
  await writeFile(privatePath, json({ ...(await exportJWK(privateKey)), ...meta }), {
    mode: 0o600,
  })
  // writeFile's mode applies only to new files; --force may be overwriting an old one.
  await chmod(privatePath, 0o600)
  await writeFile(join(values.out, 'jwks.json'), json(jwks))
  await writeFile(join(values.out, 'trust.json'), json(trust))
  console.log(
    `Wrote ${privatePath} (private, keep secret), jwks.json and trust.json in ${values.out}`
  )
  console.log(`iss ${values.iss}, kid ${kid}, alg ES384`)
  if (!values['fhir-server']?.length) {
    console.log('trust.json allows no fhirServer; add some with --fhir-server <base URL>')
  }
  return 0
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err)
    process.exit(2)
  }
)

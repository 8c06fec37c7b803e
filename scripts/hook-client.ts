/**
 * @module scripts/hook-client
 * Calls any CDS Hooks endpoint (discovery, service or feedback) with a freshly signed JWT whose
 * `aud` is that URL, and prints the status and JSON response. Node only.
 *
 *   npm run hook -- --url http://localhost:8787/cds-services --key demo/.keys/private.jwk.json \
 *     --iss https://ehr.example.org [--body request.json] [--kid k1] [--alg ES384] [--tenant t1]
 */
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { importPKCS8, type CryptoKey, type JWK } from 'jose'
import { signCdsJwt } from './lib/sign'
import { callCds } from './lib/call'

const usage = `Usage: npm run hook -- --url <endpoint URL> --key <private JWK or PKCS8 PEM file> --iss <issuer>
  [--kid <key id, default: the JWK's kid>] [--alg ES384] [--body <request JSON file> (POST; GET without)]
  [--tenant <tenant>] [--jku <URL of your JWKS>]`

async function loadKey(file: string, alg: string): Promise<{ key: CryptoKey | JWK; kid?: string }> {
  const text = await readFile(file, 'utf8')
  if (text.includes('-----BEGIN')) {
    if (!text.includes('-----BEGIN PRIVATE KEY-----')) {
      throw new Error(`${file}: expected a PKCS8 PEM ("BEGIN PRIVATE KEY")`)
    }
    return { key: await importPKCS8(text, alg) }
  }
  const jwk = JSON.parse(text) as JWK
  if (typeof jwk.d !== 'string') throw new Error(`${file}: not a private JWK (no "d")`)
  return { key: jwk, kid: jwk.kid }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      key: { type: 'string' },
      iss: { type: 'string' },
      kid: { type: 'string' },
      alg: { type: 'string', default: 'ES384' },
      body: { type: 'string' },
      tenant: { type: 'string' },
      jku: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help || !values.url || !values.key || !values.iss) {
    console.error(usage)
    return values.help ? 0 : 2
  }
  const alg = values.alg ?? 'ES384'
  const { key, kid } = await loadKey(values.key, alg)
  if (!values.kid && !kid) throw new Error('--kid is required when the key file has no kid (PEM)')
  // aud is the endpoint as called, without query or fragment (CDS Hooks T3).
  const url = new URL(values.url)
  const aud = `${url.origin}${url.pathname}`
  const jwt = await signCdsJwt({
    privateKey: key,
    kid: values.kid ?? kid,
    alg,
    iss: values.iss,
    aud,
    tenant: values.tenant,
    jku: values.jku,
  })
  const body = values.body ? await readFile(values.body, 'utf8') : undefined
  const result = await callCds(url, jwt, body)
  console.log(
    `${body === undefined ? 'GET' : 'POST'} ${aud} -> ${result.status} ${result.statusText}`
  )
  if (typeof result.json === 'string') {
    if (result.json) console.log(result.json)
  } else {
    console.log(JSON.stringify(result.json, null, 2))
  }
  return result.status >= 200 && result.status < 300 ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err)
    process.exit(2)
  }
)

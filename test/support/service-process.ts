/**
 * The service as operators run it, as a child process: `node dist/node.js` (built by the suite's
 * global setup) with only the environment given, over real HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto'

export interface ServiceProcess {
  child: ChildProcess
  /** Everything it printed so far (stdout and stderr). */
  output(): string
}

export function runService(env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, ['--enable-source-maps', 'dist/node.js'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  return { child, output: () => out }
}

/** Resolves the URL it listens on, once its start-up log line says so. */
export async function listening(proc: ServiceProcess): Promise<string> {
  for (let i = 0; i < 400; i++) {
    const match = proc.output().match(/"event":"startup.listening","url":"([^"]+)"/)
    if (match) return match[1]!
    if (proc.child.exitCode !== null) throw new Error(`exited: ${proc.output()}`)
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`did not start: ${proc.output()}`)
}

/** Kills it (SIGKILL unless told otherwise) and waits for the exit. */
export async function stopService(proc: ServiceProcess, signal: NodeJS.Signals = 'SIGKILL') {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return
  const exited = once(proc.child, 'exit')
  proc.child.kill(signal)
  await exited
}

/** A CDS client: an ES384 key pair, its trust file entry, and fresh tokens for any endpoint. */
export interface TestClient {
  iss: string
  /** The trust file content (CDS_TRUST) trusting this client for `fhirServers`. */
  trust(fhirServers?: string[]): string
  /** A new token (new jti) for `publicUrl + path`. */
  token(publicUrl: string, path: string, jti?: string): string
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

export function testClient(iss = 'https://ehr.process.test'): TestClient {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' })
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES384', use: 'sig' }
  return {
    iss,
    trust: (fhirServers = []) =>
      JSON.stringify({ issuers: [{ iss, jwks: { keys: [jwk] }, fhirServers }] }),
    token: (publicUrl, path, jti = randomUUID()) =>
      signEs384(privateKey, iss, publicUrl + path, jti),
  }
}

function signEs384(key: KeyObject, iss: string, aud: string, jti: string): string {
  const iat = Math.floor(Date.now() / 1000)
  const input = `${b64url({ alg: 'ES384', typ: 'JWT', kid: 'k1' })}.${b64url({ iss, aud, iat, exp: iat + 300, jti })}`
  const signature = sign('sha384', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
  return `${input}.${signature.toString('base64url')}`
}

/**
 * The URL of a server the shared-state tests need (`CDS_TEST_REDIS_URL`,
 * `CDS_TEST_POSTGRES_URL`). Unset locally: the caller skips, saying so. Unset in CI: an error,
 * because .ci/run starts both servers and sets both.
 */
export function serverUrl(
  name: 'CDS_TEST_REDIS_URL' | 'CDS_TEST_POSTGRES_URL'
): string | undefined {
  const url = process.env[name]?.trim()
  if (url) return url
  if (process.env.CI) throw new Error(`${name} is not set: .ci/run starts the server and sets it`)
  console.warn(`${name} is not set: skipping its tests (source .ci/services.sh to run them)`)
  return undefined
}

/**
 * @module demo/run
 * `npm run demo`: the whole story on one machine, with nothing to configure. Starts the in-memory
 * FHIR server seeded with every fixture scenario, makes a signing key and a trust file in memory,
 * starts the real service (not dev mode: every call carries a signed JWT), then acts as an EHR:
 * fires imaging-study-complete, order-select and patient-view, prints the cards as a clinician
 * would see them, posts feedback on two of them and prints the feedback report. Exits 0, or 1
 * with the reason when any call answers unexpectedly.
 *
 *   npm run demo              run through the calls and exit
 *   npm run demo -- --keep    then leave the service and FHIR server running until Ctrl-C
 *   npm run demo -- --keep --sandbox-origin ORIGIN [--sandbox-port 8081] [--fhir-port N]
 *                             also start a service that trusts the CDS Hooks sandbox's published
 *                             key (config/trust.dev-sandbox.UNSAFE.json, development only) with
 *                             that CORS origin, and print sandbox URLs per scenario
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { CryptoKey, JWK } from 'jose'
import type { Endpoint, Resource } from 'fhir/r4'
import { startFhirServer, type FhirTestServer } from './fhir-server'
import { renderCallHeader, renderCards, styleFor, type RenderStyle } from './render'
import { demoCalls, type DemoCall } from './scenarios'
import { loadFixtureResources, type FixtureHookRequest } from '../fixtures/index'
import { signCdsJwt } from '../scripts/lib/sign'
import { callCds } from '../scripts/lib/call'
import { startTrustedService, type TrustedService } from '../scripts/lib/service'
import { runCli } from '../scripts/lib/cli'
import { formatFeedbackReport } from '../scripts/feedback-report'
import { parseConfig } from '../src/config'
import { createLogger, type Logger } from '../src/log'
import { startServer, type RunningServer } from '../src/node'
import { openSqliteFeedbackSink, type SqliteFeedbackSink } from '../src/node/feedback-sqlite'
import type { FeedbackReport } from '../src/feedback/report'
import { fillTemplate } from '../src/prefetch'
import type { FeedbackItem } from '../src/feedback'
import type { Card } from '../src/cards/types'
import type { ServiceDefinition } from '../src/services/types'

/** The demo EHR's issuer (`iss`); its key exists only in this process. */
export const DEMO_ISSUER = 'https://ehr.demo.imaging-cds.invalid'
/** A demo viewer base: links open the public OHIF viewer, which will not hold these studies. */
export const DEMO_VIEWER_URL = 'https://viewer.ohif.org'
const DEMO_DATA_SOURCE = 'orthanc'
/** The access token the demo EHR hands the service for its FHIR server (which ignores it). */
const DEMO_ACCESS_TOKEN = 'demo-access-token-not-a-secret'

/** The fhirAuthorization an EHR sends with a hook call (CDS Hooks 2.0 §2.3). */
const demoFhirAuthorization = (patientId?: string) => ({
  access_token: DEMO_ACCESS_TOKEN,
  token_type: 'Bearer',
  expires_in: 300,
  scope: 'patient/*.read',
  subject: 'imaging-cds',
  ...(patientId ? { patient: patientId } : {}),
})

export interface DemoOptions {
  /** Leave everything running after the calls, until `stop` resolves (Ctrl-C by default). */
  keep?: boolean
  /** Where the demo writes (stdout by default). */
  write?: (text: string) => void
  style?: RenderStyle
  /** Resolves when a --keep demo should stop. */
  stop?: Promise<unknown>
  /** With `keep`: also serve the CDS Hooks sandbox (its published key, this CORS origin). */
  sandbox?: { origin: string; port?: number }
  /** A fixed port for the FHIR server (the sandbox's FHIR URL is typed in by hand). */
  fhirPort?: number
}

/** The dev-only trust file for the CDS Hooks sandbox (its private key is public). */
export const SANDBOX_TRUST_FILE = 'config/trust.dev-sandbox.UNSAFE.json'
export const DEFAULT_SANDBOX_PORT = 8081

export interface CallResult {
  call: DemoCall
  status: number
  cards: Card[]
  ms: number
  /** FHIR requests the service made during this call. */
  fhirReads: number
}

export interface DemoResult {
  exitCode: 0 | 1
  calls: CallResult[]
  report?: FeedbackReport
  /** Why the demo failed, when it did. */
  error?: string
}

/** An unexpected answer: the demo prints the message and exits 1. */
class DemoFailure extends Error {}

interface DemoEnv {
  dir: string
  fhir: FhirTestServer
  service: RunningServer
  sink: SqliteFeedbackSink
  privateJwk: JWK
  privateKey: CryptoKey
  kid: string
  logPath: string
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const write = options.write ?? ((text: string) => process.stdout.write(`${text}\n`))
  const style = options.style ?? styleFor(process.stdout, process.env)
  const calls: CallResult[] = []
  let env: DemoEnv | undefined
  let failed = false
  try {
    env = await startEverything(options.fhirPort)
    write(
      [
        'imaging-cds demo: an EHR calling the service with signed JWTs (dev mode is off)',
        `  FHIR server   ${env.fhir.url} (every fixture scenario)`,
        `  CDS service   ${env.service.url} (trusts only ${DEMO_ISSUER}, ES384)`,
        `  service log   ${env.logPath}`,
        '',
      ].join('\n')
    )
    const services = await discover(env)
    for (const call of demoCalls()) {
      const result = await fire(env, call, services)
      calls.push(result)
      write(renderCallHeader(style, { ...call, ...result }))
      write(`${renderCards(style, result.cards)}\n`)
    }
    await postFeedback(env, calls, write)
    const report = env.sink.report()
    write(`${formatFeedbackReport(report)}\n`)
    const cardCount = calls.reduce((n, c) => n + c.cards.length, 0)
    write(
      `Demo complete: ${calls.length} hook calls, ${cardCount} cards, feedback stored once each.`
    )
    if (options.keep) await keepRunning(env, write, options.stop, options.sandbox)
    return { exitCode: 0, calls, report }
  } catch (err) {
    const message =
      err instanceof DemoFailure ? err.message : `unexpected error: ${(err as Error).stack ?? err}`
    write(`\nDemo FAILED: ${message}`)
    failed = true
    // Kept, so the service's side of the failure can be read.
    if (env) write(`Service log (kept): ${env.logPath}`)
    return { exitCode: 1, calls, error: message }
  } finally {
    await stopEverything(env, { keepFiles: failed })
  }
}

async function startEverything(fhirPort?: number): Promise<DemoEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'imaging-cds-demo-'))
  const logPath = join(dir, 'service.log')
  const logger = createLogger({ write: (line) => appendFileSync(logPath, `${line}\n`) })
  const resources = loadFixtureResources()
  const fhir = await startFhirServer({ resources, ...(fhirPort ? { port: fhirPort } : {}) })
  try {
    return await startService(dir, logPath, logger, resources, fhir)
  } catch (err) {
    await fhir.close()
    throw err
  }
}

async function startService(
  dir: string,
  logPath: string,
  logger: Logger,
  resources: Resource[],
  fhir: FhirTestServer
): Promise<DemoEnv> {
  // A key pair and a trust file that pins its public key and allows only this FHIR server.
  const endpoint = resources.find((r): r is Endpoint => r.resourceType === 'Endpoint')
  const sink = openSqliteFeedbackSink(join(dir, 'feedback.sqlite'), logger)
  let started: TrustedService
  try {
    started = await startTrustedService({
      issuer: DEMO_ISSUER,
      fhirServers: [fhir.url],
      note: 'Made by demo/run.ts for this run only.',
      env: {
        OHIF_VIEWER_URL: DEMO_VIEWER_URL,
        ...(endpoint?.address
          ? { OHIF_DATA_SOURCES: JSON.stringify({ [endpoint.address]: DEMO_DATA_SOURCE }) }
          : {}),
      },
      deps: { logger, feedbackSink: sink },
    })
  } catch (err) {
    sink.close()
    throw err
  }
  const { server: service, privateJwk, privateKey, kid } = started
  return { dir, fhir, service, sink, privateJwk, privateKey, kid, logPath }
}

async function stopEverything(
  env: DemoEnv | undefined,
  options: { keepFiles: boolean }
): Promise<void> {
  if (!env) return
  await env.service.close()
  env.sink.close()
  await env.fhir.close()
  if (!options.keepFiles) rmSync(env.dir, { recursive: true, force: true })
}

/** Calls the service as the EHR: a fresh JWT per call, `aud` = the URL called. */
async function callService(
  env: DemoEnv,
  path: string,
  body?: unknown
): Promise<{ status: number; json: unknown; ms: number }> {
  const url = `${env.service.url}${path}`
  const jwt = await signCdsJwt({
    privateKey: env.privateKey,
    kid: env.kid,
    iss: DEMO_ISSUER,
    aud: url,
  })
  const { status, json, ms } = await callCds(
    url,
    jwt,
    body === undefined ? undefined : JSON.stringify(body)
  )
  return { status, json, ms }
}

function explain(what: string, status: number, json: unknown): DemoFailure {
  const outcome = json as { issue?: { diagnostics?: string }[] } | undefined
  const why = outcome?.issue?.map((i) => i.diagnostics).join('; ') || JSON.stringify(json)
  return new DemoFailure(`${what} answered HTTP ${status}: ${why}`)
}

async function discover(env: DemoEnv): Promise<ServiceDefinition[]> {
  const { status, json } = await callService(env, '/cds-services')
  if (status !== 200) throw explain('Discovery (GET /cds-services)', status, json)
  return (json as { services: ServiceDefinition[] }).services
}

/** The prefetch an EHR would send: each discovery template filled and read from its FHIR server. */
async function assemblePrefetch(
  env: DemoEnv,
  templates: Record<string, string>,
  context: Record<string, unknown>
): Promise<Record<string, unknown>> {
  const prefetch: Record<string, unknown> = {}
  for (const [key, template] of Object.entries(templates)) {
    const query = fillTemplate(template, context)
    if (query === undefined) continue
    const response = await fetch(`${env.fhir.url}/${query}`, {
      headers: { accept: 'application/fhir+json', authorization: `Bearer ${DEMO_ACCESS_TOKEN}` },
    })
    if (response.status === 404) prefetch[key] = null
    else if (response.ok) prefetch[key] = await response.json()
    else throw new DemoFailure(`The demo FHIR server answered ${response.status} to ${query}`)
  }
  return prefetch
}

async function fire(
  env: DemoEnv,
  call: DemoCall,
  services: ServiceDefinition[]
): Promise<CallResult> {
  const service = services.find((s) => s.id === call.serviceId)
  if (!service) throw new DemoFailure(`Discovery does not list the ${call.serviceId} service`)
  const request: FixtureHookRequest = {
    ...call.request(),
    hook: service.hook,
    fhirServer: env.fhir.url,
    fhirAuthorization: demoFhirAuthorization(call.patientId),
  }
  if (call.prefetch === 'prefetch') {
    request.prefetch = await assemblePrefetch(env, service.prefetch ?? {}, request.context)
  }
  const before = env.fhir.requests.length
  const { status, json, ms } = await callService(env, `/cds-services/${service.id}`, request)
  const reads = env.fhir.requests.slice(before)
  if (status !== 200) throw explain(`${call.hook} for Patient/${call.patientId}`, status, json)
  // The service must use the token it was given, and only on the server it was given.
  const unauthorised = reads.filter((r) => r.authorization !== `Bearer ${DEMO_ACCESS_TOKEN}`)
  if (unauthorised.length > 0) {
    throw new DemoFailure(
      `${call.hook}: the service called the FHIR server without the access token (${unauthorised[0]!.url})`
    )
  }
  const cards = (json as { cards?: Card[] }).cards
  if (!Array.isArray(cards)) throw new DemoFailure(`${call.hook}: the response has no cards array`)
  return { call, status, cards, ms, fhirReads: reads.length }
}

/** The clinician acts on two cards: accepts the 4A follow-up, dismisses the incidental nodule. */
async function postFeedback(
  env: DemoEnv,
  calls: CallResult[],
  write: (text: string) => void
): Promise<void> {
  const cardOf = (id: string, want: (card: Card) => boolean) => {
    const card = calls.find((c) => c.call.id === id)?.cards.find(want)
    if (!card?.uuid) throw new DemoFailure(`No card to give feedback on for ${id}`)
    return card as Card & { uuid: string }
  }
  const screening = cardOf('study:screening-4a', (c) => !!c.suggestions?.[0]?.uuid)
  const incidental = cardOf('study:incidental-7mm', (c) => !!c.overrideReasons?.length)
  const reasons = incidental.overrideReasons!
  const reason = reasons.find((r) => r.code === 'patient-declined') ?? reasons[0]!
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')
  const feedback: FeedbackItem[] = [
    {
      card: screening.uuid,
      outcome: 'accepted',
      acceptedSuggestions: [{ id: screening.suggestions![0]!.uuid! }],
      outcomeTimestamp: now,
    },
    {
      card: incidental.uuid,
      outcome: 'overridden',
      overrideReason: {
        reason,
        // Free text reaches the service but is never stored (only that there was one).
        userComment: 'Discussed with the patient; she prefers to revisit at her next visit.',
      },
      outcomeTimestamp: now,
    },
  ]
  const path = `/cds-services/imaging-ai-findings/feedback`
  write(
    [
      `── feedback · POST ${path}, twice (as an EHR retrying would) `.padEnd(60, '─'),
      `  accepted    ${screening.suggestions![0]!.label}`,
      `  overridden  ${incidental.summary}`,
      `              reason: ${reason.display}, with a free-text comment (never stored)`,
    ].join('\n')
  )
  for (let attempt = 0; attempt < 2; attempt++) {
    const { status, json } = await callService(env, path, { feedback })
    if (status !== 200) throw explain(`Feedback (POST ${path})`, status, json)
  }
  const stored = env.sink.outcomes()
  if (stored.length !== feedback.length) {
    throw new DemoFailure(`Expected ${feedback.length} stored outcomes, found ${stored.length}`)
  }
  write('')
}

async function keepRunning(
  env: DemoEnv,
  write: (text: string) => void,
  stop: Promise<unknown> | undefined,
  sandbox?: { origin: string; port?: number }
): Promise<void> {
  const keyPath = join(env.dir, 'private.jwk.json')
  writeFileSync(keyPath, `${JSON.stringify(env.privateJwk, null, 2)}\n`, { mode: 0o600 })
  const requestPath = join(env.dir, 'imaging-study-complete.json')
  const sample = demoCalls()
    .find((c) => c.id === 'study:screening-4a')!
    .request()
  writeFileSync(
    requestPath,
    `${JSON.stringify(
      {
        ...sample,
        fhirServer: env.fhir.url,
        fhirAuthorization: demoFhirAuthorization(),
      },
      null,
      2
    )}\n`
  )
  const svc = env.service.url
  write(
    [
      '',
      'Still running (--keep). Ctrl-C stops both servers and deletes the demo files.',
      `  Discovery      ${svc}/cds-services`,
      `  FHIR base      ${env.fhir.url}   (all fixture scenarios; e.g. ${env.fhir.url}/Patient)`,
      `  Feedback store ${env.sink.path}`,
      `  Service log    ${env.logPath}`,
      '',
      'Call it as the demo EHR (a fresh signed JWT per call):',
      `  npm run hook -- --url ${svc}/cds-services --key ${keyPath} --iss ${DEMO_ISSUER}`,
      `  npm run hook -- --url ${svc}/cds-services/imaging-ai-findings --key ${keyPath} --iss ${DEMO_ISSUER} \\`,
      `    --body ${requestPath}`,
      `  npm run feedback:report -- --db ${env.sink.path}`,
      '',
      ...(sandbox
        ? []
        : [
            'The CDS Hooks sandbox signs with its own key, which this instance does not trust: add',
            '--sandbox-origin ORIGIN (e.g. https://sandbox.cds-hooks.org) for a second service that does.',
          ]),
    ].join('\n')
  )
  const sandboxService = sandbox ? await startSandboxService(env, sandbox, write) : undefined
  // `on`, not `once`: Ctrl-C reaches both tsx and this process, and tsx relays it too; a second
  // SIGINT during clean-up must not kill the process before the temp files are removed.
  await (stop ??
    new Promise((resolve) => {
      process.on('SIGINT', resolve)
      process.on('SIGTERM', resolve)
    }))
  write('\nStopping.')
  await sandboxService?.close()
}

/**
 * A second service for the CDS Hooks sandbox: it trusts the sandbox's published key (development
 * only: anyone can sign with it), allows the sandbox's origin (with private-network preflights),
 * and reads the demo FHIR server. Prints what to type in the sandbox and a URL per scenario.
 */
async function startSandboxService(
  env: DemoEnv,
  sandbox: { origin: string; port?: number },
  write: (text: string) => void
): Promise<RunningServer> {
  const origin = new URL(sandbox.origin).origin
  const port = sandbox.port ?? DEFAULT_SANDBOX_PORT
  const logPath = join(env.dir, 'sandbox-service.log')
  const logger = createLogger({ write: (line) => appendFileSync(logPath, `${line}\n`) })
  const config = parseConfig({
    HOST: '127.0.0.1',
    PORT: String(port),
    CDS_TRUST: readFileSync(new URL(`../${SANDBOX_TRUST_FILE}`, import.meta.url), 'utf8'),
    CDS_CORS_ORIGINS: origin,
    OHIF_VIEWER_URL: DEMO_VIEWER_URL,
  })
  const service = await startServer(config, { logger }).catch((err: unknown) => {
    throw new DemoFailure(
      `The sandbox service could not listen on 127.0.0.1:${port} (${(err as Error).message}); choose another with --sandbox-port`
    )
  })
  const discovery = `${config.publicUrl}/cds-services`
  const open = (patientId: string, screen: 'patient-view' | 'pama') =>
    `${origin}/?${new URLSearchParams({
      fhirServiceUrl: env.fhir.url,
      patientId,
      serviceDiscoveryURL: discovery,
      screen,
    }).toString()}`
  const patients = [...new Set(demoCalls().map((c) => c.patientId))]
  write(
    [
      '',
      `CDS Hooks sandbox (${origin}): a service trusting its published key, DEVELOPMENT ONLY`,
      `  Discovery URL  ${discovery}   (gear menu → "Add CDS Services"; type it exactly: the JWT aud must match)`,
      `  FHIR server    ${env.fhir.url}   (gear menu → "Change FHIR Server", if not set by the URLs below)`,
      `  Service log    ${logPath}   ("auth.rejected" with reason "bad_aud" = the URL typed differs)`,
      '  Per patient: patient-view, then the PAMA imaging order screen (order-select):',
      ...patients.flatMap((id) => [
        `  ${id}`,
        `    ${open(id, 'patient-view')}`,
        `    ${open(id, 'pama')}`,
      ]),
    ].join('\n')
  )
  return service
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      keep: { type: 'boolean', default: false },
      'sandbox-origin': { type: 'string' },
      'sandbox-port': { type: 'string' },
      'fhir-port': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    console.log(
      'Usage: npm run demo [-- --keep [--sandbox-origin ORIGIN] [--sandbox-port 8081] [--fhir-port N]]'
    )
    return 0
  }
  const port = (name: 'sandbox-port' | 'fhir-port') => {
    const value = values[name]
    if (value === undefined) return undefined
    const n = Number(value)
    if (!Number.isInteger(n) || n < 1 || n > 65535)
      throw new Error(`--${name}: not a port: ${value}`)
    return n
  }
  const origin = values['sandbox-origin']
  if (origin !== undefined && !/^https?:\/\/[^/]+\/?$/.test(origin)) {
    console.error(
      `--sandbox-origin: an origin such as https://sandbox.cds-hooks.org, not ${origin}`
    )
    return 1
  }
  const sandboxPort = port('sandbox-port')
  const fhirPort = port('fhir-port')
  const result = await runDemo({
    keep: values.keep || origin !== undefined,
    ...(origin ? { sandbox: { origin, ...(sandboxPort ? { port: sandboxPort } : {}) } } : {}),
    ...(fhirPort ? { fhirPort } : {}),
  })
  return result.exitCode
}

runCli(import.meta.url, main, { fullErrors: true })

/**
 * @module stack/run
 * `npm run stack`: the whole pipeline on one machine, on real parts. Starts Orthanc (DICOMweb),
 * the in-memory FHIR server (the EHR's data: patients, smoking status, orders) and the service;
 * generates synthetic CT studies and stores them by STOW-RS; runs the bridge (ImagingStudy +
 * Endpoint); stores the AI results (DiagnosticReport, Observations, Device); fires
 * imaging-study-complete with a signed JWT as an integration engine would; serves OHIF against
 * Orthanc; prints the cards with links that open in that OHIF; stays up until Ctrl-C.
 *
 *   npm run stack                 everything above, then wait for Ctrl-C
 *   npm run stack -- --check      the same headless, plus Chromium opening every key-image link;
 *                                 exit 0 only when every step worked; screenshot in docs/
 */
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
  readFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { Card } from '../src/cards/types'
import type { ServiceDefinition } from '../src/services/types'
import { createLogger } from '../src/log'
import type { RunningServer } from '../src/node'
import { loadFixtureResources } from '../fixtures/index'
import { startFhirServer, type FhirTestServer } from '../demo/fhir-server'
import { renderCards, styleFor } from '../demo/render'
import { signCdsJwt } from '../scripts/lib/sign'
import { callCds } from '../scripts/lib/call'
import { storeAiResult } from './ai-results/store'
import { bridgeAll } from './bridge/bridge'
import { CHROMIUM, CHROMIUM_INSTALL, launchChromium, openViewerLink } from './browser'
import { generateStudy, stowRs, type GeneratedStudy } from './dicom/synthetic-ct'
import { createHttpClient } from './http'
import { ensureOhif, OHIF_DATA_SOURCE, serveOhif, type RunningViewer } from './ohif'
import { ORTHANC_INSTALL, orthancMissing, startOrthanc, type RunningOrthanc } from './orthanc'
import { freePort } from '../scripts/lib/ports'
import { startTrustedService } from '../scripts/lib/service'
import { runCli } from '../scripts/lib/cli'
import { PATIENT_ID_SYSTEM, STACK_SCENARIOS, studySpec, type StackScenario } from './scenarios'

/** The integration engine's issuer; its key exists only in this process. */
export const STACK_ISSUER = 'https://integration-engine.stack.imaging-cds.invalid'
const ACCESS_TOKEN = 'stack-access-token-not-a-secret'
/** Where --check saves the picture of OHIF on the first key image. */
export const SCREENSHOT = 'docs/ohif-key-image.png'

export interface StackOptions {
  check?: boolean
  write?: (text: string) => void
  /** Resolves when an interactive stack should stop (Ctrl-C by default). */
  stop?: Promise<unknown>
  screenshot?: string
}

interface Step {
  name: string
  ms: number
  ok: boolean
  detail?: string
}

interface StudyRun {
  scenario: StackScenario
  generated: GeneratedStudy
  imagingStudyId?: string
  reportId?: string
  cards: Card[]
  /** Key-image links: the URL and the image it must show. */
  keyLinks: { url: string; seriesInstanceUid: string; sopInstanceUid: string }[]
  /** Study links: the URL and the series (the finding's) it must open on. */
  studyLinks: { url: string; seriesInstanceUid: string }[]
}

class StepFailure extends Error {}

export async function runStack(
  options: StackOptions = {}
): Promise<{ exitCode: 0 | 1; steps: Step[] }> {
  const write = options.write ?? ((text: string) => process.stdout.write(`${text}\n`))
  const steps: Step[] = []
  const cleanups: (() => Promise<void> | void)[] = []
  const step = async <T>(
    name: string,
    work: () => Promise<T>,
    detail?: (t: T) => string
  ): Promise<T> => {
    const started = performance.now()
    try {
      const value = await work()
      const ms = Math.round(performance.now() - started)
      const d = detail?.(value)
      steps.push({ name, ms, ok: true, ...(d ? { detail: d } : {}) })
      write(`  ✓ ${name.padEnd(44)} ${String(ms).padStart(6)} ms${d ? `  ${d}` : ''}`)
      return value
    } catch (err) {
      const ms = Math.round(performance.now() - started)
      const message = (err as Error).message
      steps.push({ name, ms, ok: false, detail: message })
      write(`  ✗ ${name.padEnd(44)} ${String(ms).padStart(6)} ms  ${message}`)
      throw new StepFailure(`${name}: ${message}`)
    }
  }

  const missing = orthancMissing()
  if (missing) {
    write(`${missing}. Install it (Debian 12, as root):\n  ${ORTHANC_INSTALL}`)
    return { exitCode: 1, steps }
  }
  if (options.check && !existsSync(CHROMIUM)) {
    write(
      `Chromium is not installed (${CHROMIUM}). Install it (Debian 12, as root):\n  ${CHROMIUM_INSTALL}`
    )
    return { exitCode: 1, steps }
  }

  const dir = mkdtempSync(join(tmpdir(), 'imaging-cds-stack-'))
  const logPath = join(dir, 'service.log')
  let failed = false
  try {
    write(
      `imaging-cds stack${options.check ? ' --check' : ''}: every part real, on loopback (scratch files in ${dir})`
    )
    // The OHIF build downloads (first run only) while the servers start.
    const ohifDist = ensureOhif({ log: (line) => write(`    ${line}`) })
    ohifDist.catch(() => {})

    const orthanc: RunningOrthanc = await step(
      'Start Orthanc (DICOMweb)',
      () => startOrthanc(),
      (o) => o.url
    )
    cleanups.push(() => orthanc.stop())
    const ehrData = loadFixtureResources().filter(
      (r) =>
        !['ImagingStudy', 'DiagnosticReport', 'Device', 'Endpoint'].includes(r.resourceType) &&
        !(
          r.resourceType === 'Observation' &&
          JSON.stringify((r as { category?: unknown }).category ?? []).includes('"imaging"')
        )
    )
    const fhir: FhirTestServer = await step(
      'Start the FHIR server (patients, orders)',
      () => startFhirServer({ resources: ehrData }),
      (f) => f.url
    )
    cleanups.push(() => fhir.close())

    const viewerPort = await freePort()
    const viewerUrl = `http://127.0.0.1:${viewerPort}`
    const service = await step(
      'Start the service (JWT trust, OHIF links)',
      () => startService(fhir.url, viewerUrl, orthanc.dicomweb, logPath),
      (s) => s.server.url
    )
    cleanups.push(() => service.server.close())

    const runs: StudyRun[] = await step(
      'Generate synthetic CTs, store by STOW-RS',
      async () => {
        const out: StudyRun[] = []
        for (const scenario of STACK_SCENARIOS) {
          const generated = generateStudy(studySpec(scenario))
          await stowRs(orthanc.dicomweb, generated.files)
          out.push({ scenario, generated, cards: [], keyLinks: [], studyLinks: [] })
        }
        return out
      },
      (r) => `${r.length} studies, ${r.reduce((n, x) => n + x.generated.files.length, 0)} images`
    )

    const dicomweb = createHttpClient({ baseUrl: orthanc.dicomweb })
    const fhirClient = createHttpClient({ baseUrl: fhir.url })
    await step(
      'Bridge: QIDO-RS to ImagingStudy + Endpoint',
      async () => {
        const results = await bridgeAll({
          dicomweb,
          fhir: fhirClient,
          patientIdentifierSystem: PATIENT_ID_SYSTEM,
        })
        for (const run of runs) {
          const result = results.find((r) => r.studyInstanceUid === run.generated.studyInstanceUid)
          if (!result?.imagingStudyId) {
            throw new Error(
              `${run.scenario.name}: ${result?.outcome ?? 'not listed'} ${result?.message ?? ''}`
            )
          }
          run.imagingStudyId = result.imagingStudyId
        }
        return results
      },
      (r) => r.map((x) => x.outcome).join(', ')
    )

    await step(
      'Store AI results (one transaction per run)',
      async () => {
        for (const run of runs) {
          const file = join(dir, `ai-result-${run.scenario.name}.json`)
          writeFileSync(file, `${JSON.stringify(run.scenario.ai(run.generated), null, 2)}\n`)
          const stored = await storeAiResult(fhirClient, JSON.parse(readFileSync(file, 'utf8')))
          run.reportId = stored.diagnosticReport.split('/')[1]
        }
      },
      () => `${runs.length} DiagnosticReports (JSON in ${dir})`
    )

    await step(
      'Fire imaging-study-complete (signed JWT)',
      async () => {
        const discovery = await callService(service, '/cds-services')
        const services = (discovery.json as { services?: ServiceDefinition[] }).services ?? []
        const findings = services.find((s) => s.id === 'imaging-ai-findings')
        if (!findings) throw new Error('discovery does not list imaging-ai-findings')
        for (const run of runs) {
          const patientId = await patientOf(fhir.url, run.imagingStudyId!)
          const { status, json } = await callService(service, '/cds-services/imaging-ai-findings', {
            hook: findings.hook,
            hookInstance: crypto.randomUUID(),
            fhirServer: fhir.url,
            fhirAuthorization: {
              access_token: ACCESS_TOKEN,
              token_type: 'Bearer',
              expires_in: 300,
              scope: 'patient/*.read',
              subject: 'imaging-cds',
            },
            context: {
              patientId,
              imagingStudyId: run.imagingStudyId,
              diagnosticReportId: run.reportId,
            },
          })
          if (status !== 200)
            throw new Error(
              `${run.scenario.name}: HTTP ${status} ${JSON.stringify(json).slice(0, 300)}`
            )
          run.cards = (json as { cards: Card[] }).cards
          const key = run.scenario.ai(run.generated).findings[0]?.keyImage
          for (const card of run.cards) {
            for (const link of card.links ?? []) {
              if (
                key &&
                link.url.includes(`initialSeriesInstanceUID=${key.seriesInstanceUid}`) &&
                !link.url.includes('initialSopInstanceUID=')
              ) {
                run.studyLinks.push({ url: link.url, seriesInstanceUid: key.seriesInstanceUid })
              }
              if (
                key?.sopInstanceUid &&
                link.url.includes(`initialSopInstanceUID=${key.sopInstanceUid}`)
              ) {
                run.keyLinks.push({
                  url: link.url,
                  seriesInstanceUid: key.seriesInstanceUid,
                  sopInstanceUid: key.sopInstanceUid,
                })
              }
            }
          }
          if (run.keyLinks.length === 0)
            throw new Error(`${run.scenario.name}: no card links to the key image`)
        }
      },
      () => `${runs.reduce((n, r) => n + r.cards.length, 0)} cards`
    )

    const viewer: RunningViewer = await step(
      `Serve OHIF ${viewerUrl}`,
      async () => serveOhif({ dist: await ohifDist, orthanc: orthanc.url, port: viewerPort }),
      () => `proxy /dicom-web, /wado -> ${orthanc.url}`
    )
    cleanups.push(() => viewer.close())

    const style = styleFor(process.stdout, process.env)
    for (const run of runs) {
      write(
        `\n── ${run.scenario.name}: Patient/${await patientOf(fhir.url, run.imagingStudyId!)}, ImagingStudy/${run.imagingStudyId} `.padEnd(
          100,
          '─'
        )
      )
      write(renderCards(style, run.cards))
    }

    if (options.check) {
      write('')
      await step(
        'Chromium: key image and finding series shown',
        async () => {
          const browser = await launchChromium()
          try {
            let first = true
            const report: string[] = []
            for (const run of runs) {
              for (const link of run.keyLinks) {
                const result = await openViewerLink(browser, link.url, link, {
                  ...(first ? { screenshot: options.screenshot ?? SCREENSHOT } : {}),
                  timeoutMs: 90_000,
                })
                first = false
                if (result.error)
                  throw new Error(`${run.scenario.name}: ${result.error} (${link.url})`)
                if (
                  result.displayed?.sopInstanceUid !== link.sopInstanceUid ||
                  result.displayed?.seriesInstanceUid !== link.seriesInstanceUid
                ) {
                  throw new Error(
                    `${run.scenario.name}: OHIF shows ${result.displayed?.imageId}, not the key image`
                  )
                }
                report.push(`${run.scenario.name} ${Math.round(result.ms / 100) / 10} s`)
              }
              for (const link of run.studyLinks) {
                const result = await openViewerLink(browser, link.url, {}, { timeoutMs: 90_000 })
                if (result.error)
                  throw new Error(`${run.scenario.name}: ${result.error} (${link.url})`)
                if (result.displayed?.seriesInstanceUid !== link.seriesInstanceUid) {
                  throw new Error(
                    `${run.scenario.name}: the study link opens series ${result.displayed?.seriesInstanceUid}, not the finding's`
                  )
                }
              }
            }
            return report.join(', ')
          } finally {
            await browser.close()
          }
        },
        (r) => r
      )
      write(
        `\nStack check passed: ${steps.length} steps; screenshot ${options.screenshot ?? SCREENSHOT}.`
      )
      return { exitCode: 0, steps }
    }

    write(
      [
        '',
        'Running until Ctrl-C:',
        `  OHIF          ${viewerUrl}   (worklist; the card links above open the key images)`,
        `  Orthanc       ${orthanc.url}   (DICOMweb ${orthanc.dicomweb})`,
        `  FHIR          ${fhir.url}`,
        `  CDS service   ${service.server.url}/cds-services   (trusts ${STACK_ISSUER} only)`,
        `  Service log   ${logPath}`,
        `  Bridge again  npm run bridge -- --dicomweb ${orthanc.dicomweb} --fhir ${fhir.url} --patient-system ${PATIENT_ID_SYSTEM}`,
      ].join('\n')
    )
    await (options.stop ??
      new Promise((resolve) => {
        process.on('SIGINT', resolve)
        process.on('SIGTERM', resolve)
      }))
    write('\nStopping.')
    return { exitCode: 0, steps }
  } catch (err) {
    failed = true
    write(`\nStack FAILED: ${err instanceof StepFailure ? err.message : (err as Error).stack}`)
    write(`Service log (kept): ${logPath}`)
    return { exitCode: 1, steps }
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await Promise.resolve(cleanup()).catch(() => {})
    }
    if (!failed) rmSync(dir, { recursive: true, force: true })
  }
}

interface StackService {
  server: RunningServer
  privateKey: CryptoKey
  kid: string
}

async function startService(
  fhirUrl: string,
  viewerUrl: string,
  dicomweb: string,
  logPath: string
): Promise<StackService> {
  const logger = createLogger({ write: (line) => appendFileSync(logPath, `${line}\n`) })
  const { server, privateKey, kid } = await startTrustedService({
    issuer: STACK_ISSUER,
    fhirServers: [fhirUrl],
    env: {
      OHIF_VIEWER_URL: viewerUrl,
      OHIF_DATA_SOURCES: JSON.stringify({ [dicomweb]: OHIF_DATA_SOURCE }),
    },
    deps: { logger },
  })
  return { server, privateKey, kid }
}

async function callService(service: StackService, path: string, body?: unknown) {
  const url = `${service.server.url}${path}`
  const jwt = await signCdsJwt({
    privateKey: service.privateKey,
    kid: service.kid,
    iss: STACK_ISSUER,
    aud: url,
  })
  return callCds(url, jwt, body === undefined ? undefined : JSON.stringify(body))
}

async function patientOf(fhirUrl: string, imagingStudyId: string): Promise<string> {
  const study = (await (await fetch(`${fhirUrl}/ImagingStudy/${imagingStudyId}`)).json()) as {
    subject?: { reference?: string }
  }
  return study.subject?.reference?.replace(/^Patient\//, '') ?? ''
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { check: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
  })
  if (values.help) {
    console.log('Usage: npm run stack [-- --check]')
    return 0
  }
  if (values.check) mkdirSync('docs', { recursive: true })
  return (await runStack({ check: values.check })).exitCode
}

runCli(import.meta.url, main, { fullErrors: true })

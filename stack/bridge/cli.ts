/**
 * @module stack/bridge/cli
 * `npm run bridge -- --dicomweb URL --fhir URL [--watch]`: QIDO-RS to ImagingStudy + Endpoint.
 *
 *   --dicomweb URL           DICOMweb base (QIDO-RS), e.g. http://127.0.0.1:8042/dicom-web
 *   --fhir URL               FHIR R4 base
 *   --patient-system URI     identifier system of DICOM PatientID at this site (required)
 *   --endpoint-address URL   the Endpoint address viewers use (default: --dicomweb)
 *   --accession-system URI   identifier system of accession numbers (optional)
 *   --timezone ±hh:mm        zone of DICOM times without TimezoneOffsetFromUTC (default: keep dates only)
 *   --study UID              bridge only this study (repeatable)
 *   --watch                  then follow Orthanc's change feed until Ctrl-C
 *   --orthanc URL            Orthanc REST base for --watch (default: --dicomweb without /dicom-web)
 *   --state FILE             where --watch keeps its position (default .bridge-state.json)
 *
 * Credentials come from the environment, never the command line: BRIDGE_DICOMWEB_TOKEN, or
 * BRIDGE_DICOMWEB_USER and BRIDGE_DICOMWEB_PASSWORD (Basic); BRIDGE_FHIR_TOKEN / _USER / _PASSWORD.
 * Exit code: 0 when every study was bridged (or unchanged), 1 on failures, 2 when some study's
 * Patient was not found (nothing is created for it).
 */
import { parseArgs } from 'node:util'
import { authFromEnv, createHttpClient, type HttpClient } from '../http'
import { bridgeAll, bridgeStudy, type BridgeOptions, type StudyResult } from './bridge'
import { watch } from './watch'
import { runCli } from '../../scripts/lib/cli'

const USAGE =
  'Usage: npm run bridge -- --dicomweb URL --fhir URL --patient-system URI [--watch] (see stack/bridge/cli.ts)'

export function clientFor(url: string, envPrefix: string, log: (s: string) => void): HttpClient {
  return createHttpClient({
    baseUrl: url,
    auth: authFromEnv(process.env, envPrefix),
    onRetry: ({ url: u, attempt, delayMs, reason }) =>
      log(
        `retry ${attempt} of ${new URL(u).origin}${new URL(u).pathname} in ${delayMs} ms (${reason})`
      ),
  })
}

export function summarise(results: StudyResult[]): { line: string; exitCode: 0 | 1 | 2 } {
  const count = (o: StudyResult['outcome']) => results.filter((r) => r.outcome === o).length
  const failed = count('failed')
  const unmatched = count('no-patient') + count('ambiguous-patient')
  return {
    line: `${results.length} studies: ${count('created')} created, ${count('updated')} updated, ${count('unchanged')} unchanged, ${unmatched} without a single matching Patient, ${failed} failed`,
    exitCode: failed > 0 ? 1 : unmatched > 0 ? 2 : 0,
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      dicomweb: { type: 'string' },
      fhir: { type: 'string' },
      'patient-system': { type: 'string' },
      'endpoint-address': { type: 'string' },
      'accession-system': { type: 'string' },
      timezone: { type: 'string' },
      study: { type: 'string', multiple: true },
      watch: { type: 'boolean', default: false },
      orthanc: { type: 'string' },
      state: { type: 'string', default: '.bridge-state.json' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  if (!values.dicomweb || !values.fhir || !values['patient-system']) {
    console.error(USAGE)
    return 1
  }
  const log = (line: string) => console.log(line)
  const options: BridgeOptions = {
    dicomweb: clientFor(values.dicomweb, 'BRIDGE_DICOMWEB', log),
    fhir: clientFor(values.fhir, 'BRIDGE_FHIR', log),
    patientIdentifierSystem: values['patient-system'],
    log,
    ...(values['endpoint-address'] ? { endpointAddress: values['endpoint-address'] } : {}),
    ...(values['accession-system'] ? { accessionSystem: values['accession-system'] } : {}),
    ...(values.timezone ? { timezone: values.timezone } : {}),
  }
  if (values.watch) {
    const orthanc = values.orthanc ?? values.dicomweb.replace(/\/dicom-web\/?$/, '')
    const stop = new Promise((resolve) => {
      process.on('SIGINT', resolve)
      process.on('SIGTERM', resolve)
    })
    await watch({
      ...options,
      orthanc: clientFor(orthanc, 'BRIDGE_DICOMWEB', log),
      stateFile: values.state,
      stop,
    })
    return 0
  }
  const results = values.study?.length
    ? await Promise.all(values.study.map((uid) => bridgeStudy(options, uid)))
    : await bridgeAll(options)
  const { line, exitCode } = summarise(results)
  console.log(line)
  return exitCode
}

runCli(import.meta.url, main)

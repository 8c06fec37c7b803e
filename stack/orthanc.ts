/**
 * @module stack/orthanc
 * Starts a private Orthanc (Debian's `orthanc` + `orthanc-dicomweb`) for the stack and its tests:
 * a scratch folder for storage and index, loopback clients only, no DICOM port, DICOMweb at
 * `/dicom-web/` and `/wado`, studies called stable after one second (for `--watch`).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort } from '../scripts/lib/ports'

export const ORTHANC_BINARY = '/usr/sbin/Orthanc'
export const DICOMWEB_PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so'
/** The one line that installs what is missing (Debian 12). */
export const ORTHANC_INSTALL =
  'apt-get update && apt-get install -y --no-install-recommends orthanc orthanc-dicomweb'

/** What is missing for a local Orthanc with DICOMweb, or undefined when both are installed. */
export function orthancMissing(): string | undefined {
  if (!existsSync(ORTHANC_BINARY)) return `Orthanc is not installed (${ORTHANC_BINARY})`
  if (!existsSync(DICOMWEB_PLUGIN))
    return `Orthanc's DICOMweb plugin is not installed (${DICOMWEB_PLUGIN})`
  return undefined
}

export interface RunningOrthanc {
  /** REST base, e.g. http://127.0.0.1:40123 */
  url: string
  /** DICOMweb base, e.g. http://127.0.0.1:40123/dicom-web */
  dicomweb: string
  dir: string
  stop(): Promise<void>
}

export async function startOrthanc(
  options: { port?: number; log?: (line: string) => void } = {}
): Promise<RunningOrthanc> {
  const missing = orthancMissing()
  if (missing) throw new Error(`${missing}. Install it with: ${ORTHANC_INSTALL}`)
  const dir = mkdtempSync(join(tmpdir(), 'imaging-cds-orthanc-'))
  const port = options.port ?? (await freePort())
  const config = {
    Name: 'imaging-cds-stack',
    StorageDirectory: join(dir, 'storage'),
    IndexDirectory: join(dir, 'index'),
    HttpPort: port,
    DicomServerEnabled: false,
    // Orthanc listens on every interface; this makes it refuse all but loopback clients.
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    StableAge: 1,
    Plugins: [DICOMWEB_PLUGIN],
    DicomWeb: { Enable: true, Root: '/dicom-web/', EnableWado: true, WadoRoot: '/wado' },
  }
  const configPath = join(dir, 'orthanc.json')
  writeFileSync(configPath, JSON.stringify(config, null, 2))
  const child: ChildProcess = spawn(ORTHANC_BINARY, [configPath], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000)
  })
  const url = `http://127.0.0.1:${port}`
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await Promise.race([exited, sleep(5000)])
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    }
    rmSync(dir, { recursive: true, force: true })
  }
  const deadline = Date.now() + 20_000
  for (;;) {
    if (child.exitCode !== null) {
      await stop()
      throw new Error(
        `Orthanc exited with code ${child.exitCode}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`
      )
    }
    try {
      const response = await fetch(`${url}/system`)
      if (response.ok) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`Orthanc did not answer on ${url} within 20 s`)
    }
    await sleep(100)
  }
  options.log?.(`Orthanc ${url} (storage ${dir})`)
  return { url, dicomweb: `${url}/dicom-web`, dir, stop }
}

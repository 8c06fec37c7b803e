/**
 * @module test/worker/global-setup
 * Bundles the Worker once per run, as `wrangler deploy` would (dry run, wrangler.toml, minified),
 * so the tests exercise the very artifact that gets deployed, not the TypeScript sources. Wrangler
 * runs with the offline settings: no metrics, no error reports, no cf.json download.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Absolute path of the bundled Worker module. */
    workerBundle: string
    /** `compatibility_date` from wrangler.toml. */
    compatibilityDate: string
    /** `compatibility_flags` from wrangler.toml (none today). */
    compatibilityFlags: string[]
  }
}

export const OFFLINE_ENV = {
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
  CI: 'true',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
} as const

export default async function setup(project: TestProject) {
  // Miniflare, started in the test workers, reads these too (no cf.json download).
  Object.assign(process.env, OFFLINE_ENV)
  const root = project.config.root
  const outDir = await mkdtemp(join(tmpdir(), 'imaging-cds-worker-'))
  const wrangler = createRequire(join(root, 'package.json')).resolve('wrangler/bin/wrangler.js')
  try {
    await promisify(execFile)(
      process.execPath,
      [wrangler, 'deploy', '--dry-run', '--outdir', outDir, '--minify'],
      { cwd: root, env: { ...process.env, ...OFFLINE_ENV } }
    )
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string }
    throw new Error(`wrangler could not bundle the Worker:\n${stdout ?? ''}\n${stderr ?? ''}`, {
      cause: err,
    })
  }
  const bundle = (await readdir(outDir)).find((name) => name.endsWith('.js'))
  if (!bundle) throw new Error(`wrangler wrote no .js module to ${outDir}`)
  const toml = await readFile(join(root, 'wrangler.toml'), 'utf8')
  const date = /^compatibility_date\s*=\s*"([\d-]+)"/m.exec(toml)?.[1]
  if (!date) throw new Error('wrangler.toml has no compatibility_date')
  // A one-line array of strings is valid JSON too.
  const flags = /^compatibility_flags\s*=\s*(\[.*\])/m.exec(toml)?.[1]
  project.provide('workerBundle', join(outDir, bundle))
  project.provide('compatibilityDate', date)
  project.provide('compatibilityFlags', flags ? (JSON.parse(flags) as string[]) : [])
  return () => rm(outDir, { recursive: true, force: true })
}

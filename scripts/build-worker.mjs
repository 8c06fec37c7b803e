#!/usr/bin/env node
/**
 * @module scripts/build-worker
 * Bundles the Worker exactly as `wrangler deploy` would (dry run, minified, into dist/worker/),
 * without network access or an account, then prints the bundle's raw and gzip sizes and fails
 * when the gzip size is above the budget (a smaller Worker starts faster on a cold isolate).
 * Usage: npm run build:worker [-- --budget-kib 150]
 */
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

const OUT_DIR = 'dist/worker'
const budgetFlag = process.argv.indexOf('--budget-kib')
const BUDGET_KIB = budgetFlag > 0 ? Number(process.argv[budgetFlag + 1]) : 150

// Keeps wrangler off the network: no metrics, no error reports, no cf.json download.
const OFFLINE_ENV = {
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
  CI: 'true',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
}

const wrangler = createRequire(import.meta.url).resolve('wrangler/bin/wrangler.js')
// A stale file from an older build would be counted otherwise.
rmSync(OUT_DIR, { recursive: true, force: true })
const run = spawnSync(
  process.execPath,
  [wrangler, 'deploy', '--dry-run', '--outdir', OUT_DIR, '--minify'],
  { stdio: 'inherit', env: { ...process.env, ...OFFLINE_ENV } }
)
if (run.status !== 0) {
  console.error(`build-worker: wrangler exited with ${run.status ?? run.signal}`)
  process.exit(1)
}

// Every module wrangler would upload; source maps and its README are not part of the Worker.
const modules = readdirSync(OUT_DIR).filter(
  (name) => /\.(m?js|wasm)$/.test(name) && statSync(join(OUT_DIR, name)).isFile()
)
if (modules.length === 0) {
  console.error(`build-worker: no bundle found in ${OUT_DIR}`)
  process.exit(1)
}
const kib = (bytes) => `${(bytes / 1024).toFixed(2)} KiB`
let raw = 0
let gzip = 0
for (const name of modules) {
  const bytes = readFileSync(join(OUT_DIR, name))
  const zipped = gzipSync(bytes, { level: 9 }).length
  raw += bytes.length
  gzip += zipped
  console.log(`${join(OUT_DIR, name)}: ${kib(bytes.length)} raw, ${kib(zipped)} gzip`)
}
console.log(`Worker bundle: ${kib(raw)} raw, ${kib(gzip)} gzip (budget ${BUDGET_KIB} KiB gzip)`)
if (gzip > BUDGET_KIB * 1024) {
  console.error(
    `build-worker: the gzip size is over the ${BUDGET_KIB} KiB budget; see docs/workers.md (bundle size)`
  )
  process.exit(1)
}

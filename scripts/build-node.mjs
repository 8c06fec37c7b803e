#!/usr/bin/env node
/**
 * @module scripts/build-node
 * `npm run build`: compiles the Node runtime into plain JavaScript in dist/ with esbuild, so
 * `npm start` runs `node dist/node.js` with no TypeScript toolchain at run time. Our sources
 * (src/, cards/, discovery.json) are bundled into one file per entry; npm packages stay external
 * and load from node_modules, as they would for any Node program. Source maps map stack traces
 * back to the TypeScript (`node --enable-source-maps`).
 *
 * Entries: dist/node.js (the service) and dist/feedback-report.js (the report, for hosts that
 * installed without devDependencies). Usage: npm run build [-- --outdir dist]
 */
import { rmSync } from 'node:fs'
import { build } from 'esbuild'

const outFlag = process.argv.indexOf('--outdir')
const outdir = outFlag > 0 ? process.argv[outFlag + 1] : 'dist'

// Only the Node entries' files: the Worker bundle lives in dist/worker (npm run build:worker).
for (const name of ['node.js', 'node.js.map', 'feedback-report.js', 'feedback-report.js.map']) {
  rmSync(`${outdir}/${name}`, { force: true })
}
const started = Date.now()
await build({
  entryPoints: { node: 'src/node.ts', 'feedback-report': 'scripts/feedback-report.ts' },
  outdir,
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
})
console.log(
  `build: ${outdir}/node.js and ${outdir}/feedback-report.js in ${Date.now() - started} ms`
)

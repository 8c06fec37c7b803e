/**
 * Vitest global setup: builds dist/ (`npm run build`) once before the Node suites, so the tests
 * that start the service as a process run the built artefact, as operators do.
 */
import { spawnSync } from 'node:child_process'

export default function setup() {
  const run = spawnSync(process.execPath, ['scripts/build-node.mjs'], { encoding: 'utf8' })
  if (run.status !== 0) throw new Error(`npm run build failed:\n${run.stdout}${run.stderr}`)
}

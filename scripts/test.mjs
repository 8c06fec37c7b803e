#!/usr/bin/env node
// Runs every test suite (Node and workerd) and ends with the line CI counts: "N passed, M failed".
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, existsSync } from 'node:fs'

const suites = [
  { name: 'node', args: ['vitest', 'run'] },
  ...(existsSync('test/worker/vitest.config.ts')
    ? [{ name: 'workerd', args: ['vitest', 'run', '--config', 'test/worker/vitest.config.ts'] }]
    : []),
]
mkdirSync('.test-results', { recursive: true })
let passed = 0
let failed = 0
let exitCode = 0
for (const suite of suites) {
  const out = `.test-results/${suite.name}.json`
  const run = spawnSync(
    'npx',
    [
      ...suite.args,
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${out}`,
      ...process.argv.slice(2),
    ],
    { stdio: 'inherit' }
  )
  if (run.status !== 0) exitCode = 1
  if (existsSync(out)) {
    const result = JSON.parse(readFileSync(out, 'utf8'))
    passed += result.numPassedTests
    failed += result.numFailedTests
    // A suite that failed without a failing test (an unhandled error, a file that did not load)
    // still counts as one failure, so the summary line never says "0 failed" for a red run.
    if (run.status !== 0 && result.numFailedTests === 0) failed += 1
  } else {
    failed += 1
  }
}
console.log(`${passed} passed, ${failed} failed`)
process.exit(exitCode)

/**
 * @module test/worker/vitest.config
 * The workerd suite: Node vitest drives Miniflare, which runs the bundled Worker in workerd with
 * the compatibility date and flags of wrangler.toml. Run by scripts/test.mjs, or alone with
 * `npx vitest run --config test/worker/vitest.config.ts`.
 */
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  // The repository root, so paths and wrangler.toml resolve as in the main suite.
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/worker/**/*.test.ts'],
    globalSetup: ['test/worker/global-setup.ts'],
    // Offline wrangler and Miniflare whatever the shell says (global-setup sets them too).
    env: {
      WRANGLER_SEND_METRICS: 'false',
      WRANGLER_SEND_ERROR_REPORTS: 'false',
      CI: 'true',
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    },
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
})

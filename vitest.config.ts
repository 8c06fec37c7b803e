import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: [
      'src/**/*.test.ts',
      'test/**/*.test.ts',
      'cards/**/*.test.ts',
      'demo/**/*.test.ts',
      'fixtures/**/*.test.ts',
      'stack/**/*.test.ts',
    ],
    exclude: ['test/worker/**', 'node_modules/**'],
    // Builds dist/ once, so tests run the artefact operators run (`node dist/node.js`).
    globalSetup: ['test/support/build-node.global.ts'],
    testTimeout: 20000,
    hookTimeout: 60000,
  },
})

// Lint rules: typescript-eslint recommended, plus a guard that keeps the core free of Node-only imports.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['node_modules', 'dist', '.wrangler', 'coverage'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Node scripts written as plain ESM.
    files: ['**/*.mjs'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', fetch: 'readonly' },
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // The core must run unchanged on Workers: no node:* imports, no process.env.
    files: ['src/**/*.ts', 'cards/**/*.ts'],
    ignores: ['src/node.ts', 'src/node/**', 'src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'http', 'crypto', 'undici', '@hono/node-server'],
              message: 'Core code must not import Node-only modules.',
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "ImportDeclaration[source.value='zod'][importKind='value'] > ImportSpecifier[imported.name='z']",
          message:
            "Use `import * as z from 'zod'`: the named import defeats tree-shaking (Worker bundle size).",
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'Read configuration in the runtime entry, not in the core.' },
      ],
    },
  }
)

// ESLint (flat config): typescript-eslint for .ts, eslint-plugin-vue for .vue, and the project's layer
// rules (scripts/lint/layers.js). Not type-aware on purpose: `npm run typecheck` does the type checking
// and lint stays fast.

import tseslint from 'typescript-eslint'
import vue from 'eslint-plugin-vue'
import vueParser from 'vue-eslint-parser'
import globals from 'globals'
import layers from './scripts/lint/layers.js'

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'artifacts/**', 'demo-output/**', 'test-results/**', 'playwright-report/**', '.cache/**'] },
  ...tseslint.configs.recommended,
  ...vue.configs['flat/essential'],
  {
    files: ['**/*.vue'],
    languageOptions: { parser: vueParser, parserOptions: { parser: tseslint.parser, sourceType: 'module', extraFileExtensions: ['.vue'] } },
  },
  {
    plugins: { layers },
    rules: {
      'layers/imports': 'error',
      'layers/no-sync-fs': 'error',
      'layers/no-hdf5-on-main': 'error',
      // Typed step tables (StepDefinition<any>) and worker transfer objects use `any` on purpose; the
      // type checker runs in strict mode.
      '@typescript-eslint/no-explicit-any': 'off',
      // Core correctness rules (ESLint's own recommended set is a separate package we do not install).
      'no-control-regex': 'error',
      'no-debugger': 'error',
      'no-dupe-else-if': 'error',
      'no-duplicate-case': 'error',
      'no-fallthrough': 'error',
      'no-self-assign': 'error',
      'no-unreachable': 'error',
      'no-unsafe-finally': 'error',
      'no-cond-assign': 'error',
      'use-isnan': 'error',
      'valid-typeof': 'error',
    },
  },
  {
    files: ['src-renderer/**'],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['src-main/**', 'src-worker/**', 'test/**', 'scripts/**', '*.config.{js,ts}'],
    languageOptions: { globals: globals.node },
  },
)

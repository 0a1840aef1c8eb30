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
      // Typed step tables (StepDefinition<any>) and worker transfer objects use `any` on purpose; the
      // type checker runs in strict mode.
      '@typescript-eslint/no-explicit-any': 'off',
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

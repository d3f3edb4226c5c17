// Layer rules (the VS Code habit): each layer may only import what its runtime provides.
//   src-core      pure Node: never electron, never the DOM, never the renderer
//   src-renderer  browser: only *types* from src-core/api, never node:, electron or other core code
//   src-main / src-preload  may import src-core (main) or only api types (preload)
import pluginVue from 'eslint-plugin-vue'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['node_modules/', 'out/', 'dist/', '.venv/', 'engine/', 'test-output/', '.xlab-data/'] },
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
    },
  },
  {
    files: ['src-core/**/*.ts'],
    languageOptions: { globals: globals.node },
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['electron', 'electron/*'], message: 'src-core is pure Node: it runs under xlab serve and the CLI.' },
          { group: ['**/src-renderer/**', '**/src-main/**', '**/src-preload/**', 'vue', 'pinia', 'chart.js'], message: 'src-core must not depend on the app layers.' },
        ],
      }],
      'no-restricted-globals': ['error', 'window', 'document', 'navigator', 'localStorage'],
    },
  },
  {
    files: ['src-renderer/**/*.{ts,vue}'],
    languageOptions: { globals: globals.browser },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', disallowTypeAnnotations: false }],
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['electron', 'node:*', 'better-sqlite3', 'sharp', 'ws'], message: 'The renderer runs in a sandboxed page: it talks to the lab only through window.lab / the API client.' },
          { group: ['**/src-core/*', '**/src-core/**', '!**/src-core/api', '!**/src-core/api/**'], message: 'The renderer may only import API types from src-core/api.' },
          { group: ['**/src-core/api/**', '**/src-core/api'], allowTypeImports: true, message: 'Import only types from src-core/api (import type ...).' },
        ],
      }],
    },
  },
  {
    files: ['src-main/**/*.ts', 'src-preload/**/*.ts', 'scripts/**/*.{ts,mjs,js}', 'tests/**/*.{ts,mjs}', '*.config.{ts,js}'],
    languageOptions: { globals: globals.node },
  },
)

// ESLint flat config. Formatting is prettier's job (`eslint-config-prettier` turns off the
// stylistic rules it would fight); this file holds the rules about structure and habits.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig, globalIgnores } from 'eslint/config';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Anything that reaches outside the process: none of it belongs in the pure workflow core.
const IO_MODULES_MESSAGE = 'src/machines/ is the pure core: no I/O, logger, store, SDK or rxjs; take what it needs as event data.';

// A file in src/<folder>/ (or deeper) that reaches into another folder must go through an
// `index.js` (the folder's, or a subfolder's that is meant to be loaded on its own such as
// api/client). `depth` is how many `../` lead from the file back to src/.
function folderBoundary(depth) {
  const up = depth === 0 ? '\\./' : `(?:\\.\\./){${depth}}`;
  return {
    // `<up><name>/…` that does not end in `/index.js`, and `<up>index.js`/`<up>server.js` (the package root).
    regex: `^${up}(?!.*/index\\.js$)`,
    message: 'Import another src/ folder through its index.js, not its internals.',
  };
}

export default defineConfig(
  // templates/ are copied into users' projects by `ecl init`; they are not part of this project's tsconfig.
  globalIgnores(['dist/', 'bench/results/', 'test/fixtures/', 'templates/', '.ecl/']),
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 'latest',
      sourceType: 'module',
      globals: { ...globals.node },
    },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.mts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.mts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: `${import.meta.dirname}/tsconfig.json`, alwaysTryTypes: true })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  // Type-aware rules, chosen for what bites a durable engine: a promise nobody awaits, a thrown
  // string, an object printed as [object Object]. (The full type-checked preset mostly flags
  // Fastify's thenable replies and casts of parsed JSON, so it is not used.)
  {
    files: ['**/*.ts', '**/*.mts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-array-delete': 'error',
      '@typescript-eslint/no-base-to-string': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-for-in-array': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
    },
  },
  // src/: the package. No console outside the CLI (the logger is passed in); folders meet at their index.
  {
    files: ['src/**/*.{ts,mts,js,mjs}'],
    rules: {
      'no-console': 'error',
    },
  },
  {
    files: ['src/cli/**'],
    rules: {
      'no-console': 'off',
    },
  },
  {
    files: ['src/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [folderBoundary(0)] }] },
  },
  {
    files: ['src/*/*.{ts,mts,js,mjs}'],
    rules: { 'no-restricted-imports': ['error', { patterns: [folderBoundary(1)] }] },
  },
  {
    files: ['src/*/*/*.{ts,mts,js,mjs}'],
    rules: { 'no-restricted-imports': ['error', { patterns: [folderBoundary(2)] }] },
  },
  {
    files: ['src/*/*/*/*.{ts,mts,js,mjs}'],
    rules: { 'no-restricted-imports': ['error', { patterns: [folderBoundary(3)] }] },
  },
  // Tests and benchmarks: the same habits, looser about types: a parsed response body may stay
  // `any`, and a JSON value known to be a string may go through String().
  {
    files: ['test/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  // The pure core: xstate, zod and its own files; another folder only for its types.
  {
    files: ['src/machines/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^(?!xstate$|zod$|\\.\\.?/)', message: IO_MODULES_MESSAGE },
            { regex: '^\\.\\./', allowTypeImports: true, message: 'src/machines/ may import another folder for its types only (`import type`).' },
          ],
        },
      ],
    },
  },
  // The kinds of step are part of the core: they import the core's files (`../`), other folders for types only.
  {
    files: ['src/machines/kinds/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^(?!xstate$|zod$|\\.\\.?/)', message: IO_MODULES_MESSAGE },
            { regex: '^\\.\\./\\.\\./', allowTypeImports: true, message: 'src/machines/kinds/ may import another folder for its types only (`import type`).' },
          ],
        },
      ],
    },
  },
  prettier,
  // After prettier's config, which turns max-len off: prettier keeps code within 160 columns but
  // cannot break comments or long message strings; this holds the rest to the same width.
  {
    files: ['**/*.ts'],
    rules: {
      'max-len': ['error', { code: 160, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true }],
    },
  },
);

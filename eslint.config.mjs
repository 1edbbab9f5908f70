// Lint: typescript-eslint recommended (type-aware), no floating promises anywhere, and the house's
// import boundaries (docs/guidelines.md): the workflow sandbox rule (code under workflows/ may
// import only @temporalio/workflow, other workflow modules, and *types* from anywhere else), and
// one rule per room saying which other rooms it may not import. test/unit/import-boundaries.test.ts
// proves each rule fires on a planted violation.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Import specifiers a room may not use, each with the reason printed on a violation. */
const BANS = {
  simulator: {
    regex: '(^|/)simulator/',
    message: 'simulator/ is a test double: production code never imports it (the local stack and tests may).',
  },
  stack: {
    regex: '(^|/)stack/',
    message: 'stack/ runs the local processes and the demo: only its own entrypoints and tests use it.',
  },
  cli: {
    regex: '(^|/)cli/',
    message: 'cli/ is commands and output: nothing else imports it (shared client code lives in client/).',
  },
  client: {
    regex: '(^|/)client/',
    message: 'client/ talks to Temporal as a client, for cli/ and stack/: the service itself does not import it.',
  },
  dashboard: {
    regex: '(^|/)dashboard/',
    message:
      'dashboard/ is a reader served by the CLI (and the local stack): the service and the client do not import it.',
  },
  sourceFolder: {
    regex: '(^|/)sources/[a-z0-9-]+/',
    message:
      "Only a source's own folder names it: go through the registry (activities/sources/index.ts or simulator/sources/index.ts) and the SourceDefinition contract.",
  },
  siblingSource: {
    regex: '^\\.\\./[a-z0-9-]+/',
    message: 'A source folder does not import another source folder.',
  },
  productionSource: {
    regex: '(^|/)activities/sources/',
    message: 'A simulator twin is independent of the client it tests: it imports no production source code.',
  },
};

/** One room: files, what they may not import (`ignores`: subfolders with their own rule). */
function room(files, bans, ignores = []) {
  return {
    files,
    ignores,
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: bans.map((b) => BANS[b]) }],
    },
  };
}

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.tools/', '.data/', '.tmp/', 'coverage/', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // Anything that is not @temporalio/workflow or a module inside workflows/.
              regex: '^(?!@temporalio/workflow$)(?!\\./)(?!\\.\\./contracts/)(?!\\./contracts/).*',
              allowTypeImports: true,
              message:
                'Workflow code runs in the deterministic sandbox: import only @temporalio/workflow, workflow modules, or types (import type).',
            },
          ],
        },
      ],
    },
  },
  room(
    ['activities/**/*.ts'],
    ['simulator', 'stack', 'cli', 'client', 'dashboard', 'sourceFolder'],
    ['activities/sources/*/**'],
  ),
  room(['activities/sources/*/**/*.ts'], ['simulator', 'stack', 'cli', 'client', 'dashboard', 'siblingSource']),
  room(['workers/**/*.ts'], ['simulator', 'stack', 'cli', 'client', 'dashboard', 'sourceFolder']),
  room(['client/**/*.ts'], ['simulator', 'stack', 'cli', 'dashboard', 'sourceFolder']),
  room(['dashboard/**/*.ts'], ['simulator', 'stack', 'cli', 'client', 'sourceFolder']),
  room(['cli/**/*.ts'], ['simulator', 'stack', 'sourceFolder']),
  room(['stack/**/*.ts'], ['cli', 'sourceFolder']),
  room(['simulator/**/*.ts'], ['stack', 'cli', 'client', 'dashboard', 'sourceFolder'], ['simulator/sources/*/**']),
  room(['simulator/sources/*/**/*.ts'], ['stack', 'cli', 'client', 'dashboard', 'siblingSource', 'productionSource']),
);

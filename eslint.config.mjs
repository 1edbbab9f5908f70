// Lint: typescript-eslint recommended (type-aware), no floating promises anywhere, and the
// workflow sandbox rule: code under workflows/ may import only @temporalio/workflow, other
// workflow modules, and *types* from anywhere else.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
);

import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'docs/**', '**/coverage/**', '.turbo/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        structuredClone: 'readonly',
        queueMicrotask: 'readonly',
        performance: 'readonly',
        Buffer: 'readonly',
        setImmediate: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The dashboard's page: plain browser JavaScript served as is (no build step).
    files: ['packages/dashboard/assets/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: {
        window: 'readonly',
        document: 'readonly',
        EventSource: 'readonly',
        fetch: 'readonly',
        sessionStorage: 'readonly',
        prompt: 'readonly',
        requestAnimationFrame: 'readonly',
      },
    },
  },
  {
    // @taskfit/core's main entry runs inside Temporal's workflow sandbox: no Node built-ins.
    files: ['packages/core/src/**/*.ts'],
    ignores: ['packages/core/src/node/**', 'packages/core/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^node:',
              message: '@taskfit/core must not import Node built-ins; put Node-only code in src/node/.',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'process', 'Buffer', 'require'],
    },
  },
  {
    // Workflow entry of the Temporal adapter: sandbox-safe imports only.
    files: ['packages/temporal-adapter/src/workflow/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^node:', message: 'workflow code runs in the Temporal sandbox: no Node built-ins.' },
            {
              regex: '^(piscina|@temporalio/(activity|client|worker|testing)|@taskfit/(core/node|piscina-adapter))',
              message: 'not allowed in workflow code.',
            },
          ],
        },
      ],
    },
  },
);

import { defineConfig } from 'vitest/config';

// One vitest run over every workspace. Packages that start threads, processes or the
// Temporal native addon run in the `forks` pool (native addons misbehave in worker threads).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'core',
          root: 'packages/core',
          include: ['src/**/*.test.ts'],
          typecheck: { enabled: true, include: ['src/**/*.test-d.ts'], tsconfig: './tsconfig.test.json' },
        },
      },
      {
        test: {
          name: 'piscina-adapter',
          root: 'packages/piscina-adapter',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          pool: 'forks',
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'temporal-adapter',
          root: 'packages/temporal-adapter',
          globalSetup: ['../../testing/temporal-setup.mjs'],
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          pool: 'forks',
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          // The dashboard's page is driven in a real headless Chromium (found or installed by the
          // globalSetup); its Temporal test needs the dev server, hence forks.
          name: 'dashboard',
          root: 'packages/dashboard',
          globalSetup: ['../../testing/chromium-setup.mjs', '../../testing/temporal-setup.mjs'],
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          pool: 'forks',
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'examples',
          root: 'examples',
          globalSetup: ['../testing/temporal-setup.mjs'],
          include: ['**/*.test.ts'],
          exclude: ['**/node_modules/**'],
          pool: 'forks',
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'packaging',
          root: 'test',
          include: ['**/*.test.ts'],
          pool: 'forks',
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});

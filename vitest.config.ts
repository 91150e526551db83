import { defineConfig } from 'vitest/config';

// Two projects: "unit" (pure code, beside the sources) and "storage" (anything that touches a
// database; the PostgreSQL run in CI repeats exactly this project with TEST_DATABASES=postgres).
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        test: {
          name: 'unit',
          testTimeout: 30_000,
          hookTimeout: 30_000,
          include: [
            'apps/*/src/**/*.test.ts',
            'packages/*/src/**/*.test.ts',
            'apps/whatsapp-simulator/test/**/*.test.ts',
          ],
        },
      },
      {
        test: {
          name: 'storage',
          testTimeout: 30_000,
          hookTimeout: 60_000,
          include: ['apps/server/test/**/*.test.ts'],
          pool: 'forks',
        },
      },
    ],
  },
});

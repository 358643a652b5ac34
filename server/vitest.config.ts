// Vitest: real PostgreSQL per test file, v8 coverage of the server code with enforced thresholds.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      // Process entry points: exercised by the smoke test in a child process, which v8 cannot see.
      exclude: ['src/main.ts', 'src/db/migrate-cli.ts', 'src/db/migrations/**'],
      reporter: ['text-summary', 'text'],
      thresholds: { lines: 95, statements: 95, branches: 90, functions: 95 },
    },
  },
});

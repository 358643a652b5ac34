// Vitest runs the browser tests: playwright-core driving Debian's Chromium against the production build
// served by the real server (node server/dist/main.js) on a fresh PostgreSQL database.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});

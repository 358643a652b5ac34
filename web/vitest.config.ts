// Vitest: unit tests of the web client's state logic (no browser; the e2e workspace drives Chromium).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { include: ['test/**/*.test.ts'] },
});

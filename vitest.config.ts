import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Builds the web app (web/dist) when missing or stale: the browser tests load what the dashboard serves.
    globalSetup: ['tests/e2e/build-web.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});

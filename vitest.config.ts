import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Builds the web app (web/dist) when missing or stale: the browser tests load what the dashboard serves.
    globalSetup: ['tests/e2e/build-web.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // The design tokens are read as text by web/src/palette.ts (`?raw`): Vitest empties CSS it does not include.
    css: { include: [/styles\/tokens\.css/] },
    // A bound on waiting, not a timing assert: on a loaded 2-core machine a store's writer thread
    // takes up to a second to start, so the default 1 s made waits fail that only needed longer.
    expect: { poll: { timeout: 10_000 } },
  },
});

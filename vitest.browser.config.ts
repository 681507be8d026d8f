import { defineConfig } from 'vitest/config';

/** Browser journeys: Playwright driving Debian's Chromium against the app on a real port. */
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    pool: 'forks',
    // One server and one browser per file; files run one at a time to keep two cores responsive.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});

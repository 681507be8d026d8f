import { defineConfig } from 'vitest/config';

/** Browser journeys: Playwright driving Debian's Chromium against the app on a real port. */
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    pool: 'forks',
    // One server, one in-memory database and one browser per file, each on a port of its own
    // (harness.ts). A journey mostly waits on the browser, the server or the database in turn, so
    // one file at a time kept about one core busy: two at a time use both cores of a CI machine.
    fileParallelism: true,
    maxWorkers: 2,
    // A worker keeps the modules it has loaded for its next file (as the integration tests do):
    // loading the app, Playwright and axe took several seconds per file. Every file still starts
    // its own server, database and browser, and closes them.
    isolate: false,
    // Two files share the machine, and a long walk-through took over 120 s on a busy one: a limit
    // that catches a hang, not a slow machine.
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});

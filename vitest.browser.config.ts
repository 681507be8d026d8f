import { defineConfig } from 'vitest/config';

/** Browser journeys: Playwright driving Debian's Chromium against the app on a real port. */
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    pool: 'forks',
    // Each file has a server of its own on a port of its own (harness.ts). A journey mostly waits
    // on the browser, the server or the database in turn, so one file at a time kept about one core
    // busy: two at a time use both cores of a CI machine, and were still faster than one at a time
    // on a machine busy with other work (docs/readme/browser-speed.md).
    fileParallelism: true,
    maxWorkers: 2,
    // A worker keeps the modules it has loaded for its next file (as the integration tests do):
    // loading the app, Playwright and axe took several seconds per file. The harness also keeps
    // the worker's in-memory database and Chromium: each file puts every table back to a snapshot
    // of the seeded demo first, opens browser contexts of its own and closes them at its end.
    isolate: false,
    // Two files share the machine, and a long walk-through took over 120 s on a busy one: a limit
    // that catches a hang, not a slow machine.
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});

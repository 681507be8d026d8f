import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/browser/**', 'node_modules/**'],
    pool: 'forks',
    // Test files in one worker share its PGlite instance (about 4 s to start); each file has its own schema.
    isolate: false,
    // Vitest's default is one worker fewer than the cores: on a 2-core CI machine that is one
    // worker, and the files ran strictly one after another (the sum of the files' times was the
    // suite's time) while the second core waited. Two workers use both cores; each has its own
    // PGlite, and every file already works in a schema of its own (PostgreSQL databases made by the
    // CLI tests are named by process id), so files do not meet.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 30_000,
    // Building a demo world is the slow part under load (a busy 2-core machine took over 60 s).
    hookTimeout: 180_000,
  },
});

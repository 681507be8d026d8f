import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/browser/**', 'node_modules/**'],
    pool: 'forks',
    // Test files in one worker share its PGlite instance (about 4 s to start); each file has its own schema.
    isolate: false,
    testTimeout: 30_000,
    // Building a demo world is the slow part under load (a busy 2-core machine took over 60 s).
    hookTimeout: 180_000,
  },
});

import { defineConfig } from 'vitest/config';

/**
 * Only the policy tests (pure functions, no database): the test runner for `npm run test:mutation`
 * (stryker.config.json). `npx vitest run --config vitest.policy.config.ts` runs them on their own.
 */
export default defineConfig({
  test: {
    include: ['test/policy/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
  },
});

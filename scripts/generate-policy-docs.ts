/**
 * npm run docs:policy — writes docs/policy.md from the policy register, the rule metadata and the
 * clauses whose outcome the tests in test/policy/*.test.ts assert (scripts/policy-test-assertions.ts:
 * a clause number in a test's title counts for nothing, and neither does a skipped test).
 */
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as prettier from 'prettier';
import { POLICY_REGISTER, POLICY_RULES, renderPolicyDocs } from '../src/policy/index.js';
import type { TestCitation } from '../src/policy/index.js';
import { extractAssertedClauses } from './policy-test-assertions.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DOCS_PATH = join(ROOT, 'docs', 'policy.md');
const TEST_DIR = join(ROOT, 'test', 'policy');

/**
 * Test files whose clause numbers are sample data for the docs machinery itself (the gap finder is
 * tested by removing a clause), not assertions about the policy.
 */
export const NOT_POLICY_TESTS: readonly string[] = ['coverage.test.ts'];

/** One citation per running test and clause whose outcome it asserts. */
export function readTestCitations(root: string = ROOT): TestCitation[] {
  const dir = join(root, 'test', 'policy');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.test.ts') && !NOT_POLICY_TESTS.includes(f))
    .sort()
    .flatMap((f) => extractAssertedClauses(`test/policy/${f}`, readFileSync(join(dir, f), 'utf8')));
}

/** The exact contents docs/policy.md should have. */
export async function buildPolicyDocs(root: string = ROOT): Promise<string> {
  const markdown = renderPolicyDocs({
    register: POLICY_REGISTER,
    rules: POLICY_RULES,
    citations: readTestCitations(root),
  });
  const config = (await prettier.resolveConfig(join(root, 'docs', 'policy.md'))) ?? {};
  return prettier.format(markdown, { ...config, parser: 'markdown' });
}

async function main(): Promise<void> {
  const contents = await buildPolicyDocs();
  mkdirSync(dirname(DOCS_PATH), { recursive: true });
  writeFileSync(DOCS_PATH, contents);
  process.stdout.write(
    `Wrote ${DOCS_PATH} (${readdirSync(TEST_DIR).filter((f) => f.endsWith('.test.ts')).length} test files scanned)\n`,
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}

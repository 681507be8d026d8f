/**
 * npm run docs:policy — writes docs/policy.md from the policy register, the rule metadata and the
 * clause numbers cited in the titles of test/policy/*.test.ts.
 */
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as prettier from 'prettier';
import {
  POLICY_REGISTER,
  POLICY_RULES,
  extractClauseCitations,
  renderPolicyDocs,
} from '../src/policy/index.js';
import type { TestCitation } from '../src/policy/index.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DOCS_PATH = join(ROOT, 'docs', 'policy.md');
const TEST_DIR = join(ROOT, 'test', 'policy');

export function readTestCitations(root: string = ROOT): TestCitation[] {
  const dir = join(root, 'test', 'policy');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .flatMap((f) => extractClauseCitations(`test/policy/${f}`, readFileSync(join(dir, f), 'utf8')));
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

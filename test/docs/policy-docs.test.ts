import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DOCS_PATH,
  ROOT,
  buildPolicyDocs,
  readTestCitations,
} from '../../scripts/generate-policy-docs.js';

/**
 * docs/policy.md counts a clause as covered only when a running test in test/policy ASSERTS its
 * outcome. These tests build the docs from small test trees of their own, so they fail if a title,
 * a skipped test or a stale committed file would ever count.
 */
const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

/** A project root whose test/policy holds just the given files. */
function treeWith(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'npq-policy-docs-'));
  roots.push(root);
  mkdirSync(join(root, 'test', 'policy'), { recursive: true });
  for (const [name, source] of Object.entries(files)) {
    writeFileSync(join(root, 'test', 'policy', name), source);
  }
  return root;
}

/** The "Asserting tests" and "Covered" cells of a clause's row in the at-a-glance table. */
function coverageRow(markdown: string, clause: string): string[] {
  const row = markdown.split('\n').find((l) => l.startsWith(`| [${clause}](`));
  expect(row, `row for ${clause}`).toBeDefined();
  return row!
    .split('|')
    .map((c) => c.trim())
    .slice(-3, -1);
}

describe('docs/policy.md', () => {
  it('is current: the committed file is exactly what `npm run docs:policy` writes now', async () => {
    const actual = readFileSync(DOCS_PATH, 'utf8');
    expect(actual, 'docs/policy.md is out of date: run `npm run docs:policy`').toBe(
      await buildPolicyDocs(),
    );
    expect(actual).toContain('a clause number in a title or a skipped test counts for nothing');
    expect(actual).not.toMatch(/test titles/);
  });

  it('counts a clause only for a running test that asserts it: not a title, a skip, a todo or an inverted test', async () => {
    const root = treeWith({
      'sample.test.ts': `
describe('2.3.2 in a title only', () => {
  it('refuses when 2.3.3 applies (title only)', () => {
    expect(decide().outcome).toBe('refused');
  });
  it('asserts its clause', () => {
    expect(decide().reasons[0].clause).toBe('2.3.9');
  });
  it.skip('skipped, asserting 2.4.1', () => {
    expect(decide().reasons[0].clause).toBe('2.4.1');
  });
  it.todo('todo 2.4.2');
  it.fails('inverted, asserting 2.5.3', () => {
    expect(decide().reasons[0].clause).toBe('2.5.3');
  });
});
describe.skip('a skipped group', () => {
  it('asserts 3.1.1 but never runs', () => {
    expect(decide().reasons[0].clause).toBe('3.1.1');
  });
});
`,
    });
    expect(readTestCitations(root).map((c) => `${c.clause} ${c.title}`)).toEqual([
      '2.3.9 asserts its clause',
    ]);
    const md = await buildPolicyDocs(root);
    expect(coverageRow(md, '2.3.9')).toEqual(['1', 'yes']);
    for (const clause of ['2.3.2', '2.3.3', '2.4.1', '2.4.2', '2.5.3', '3.1.1']) {
      expect(coverageRow(md, clause), clause).toEqual(['0', '**no**']);
    }
    expect(md).toContain('**No test asserts this clause.**');
  });

  it('counts nothing from the real policy tests once they are all skipped', async () => {
    // The real files as they are count for every clause; skipping every test must remove it all.
    const real = join(ROOT, 'test', 'policy');
    const root = treeWith({});
    cpSync(real, join(root, 'test', 'policy'), { recursive: true });
    expect(readTestCitations(root).length).toBeGreaterThan(0);
    for (const file of readdirSync(real).filter((f) => f.endsWith('.test.ts'))) {
      const source = readFileSync(join(real, file), 'utf8');
      const skipped = source.replace(/(?<![\w$.])(describe|it|test)(?=\s*[.(])/g, '$1.skip');
      writeFileSync(join(root, 'test', 'policy', file), skipped);
    }
    expect(readTestCitations(root)).toEqual([]);
    const md = await buildPolicyDocs(root);
    expect(md).not.toContain('All 32 clauses have at least one rule and at least one test.');
    expect(coverageRow(md, '2.3.9')).toEqual(['0', '**no**']);
  });
});

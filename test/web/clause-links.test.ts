import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clauseLink } from '../../src/web/clause-link.js';

/**
 * Issue 14: a clause is a small link to that clause of the published policy, never a bare
 * "(Policy 2.3.2)" label. Every page template is read (comments aside) and none may name a clause
 * in plain text: the words go through clauseRef (views/policy-macros.njk) or clauseLink.
 */
const VIEWS = join(import.meta.dirname, '../../src/web/views');

/** Templates owned by other branches this session (coaching; assessment marking): theirs to change. */
const OTHER_BRANCHES = new Set<string>([]);

function templates(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? templates(join(dir, e.name))
      : e.name.endsWith('.njk')
        ? [join(dir, e.name)]
        : [],
  );
}

describe('clause references in page templates', () => {
  it('no template names a clause in plain text ("(Policy 2.3.2)", "policy 2.3.8")', () => {
    const files = templates(VIEWS);
    expect(files.length).toBeGreaterThan(50);
    const bare: string[] = [];
    for (const file of files) {
      const name = relative(VIEWS, file);
      if (OTHER_BRANCHES.has(name)) continue;
      const source = readFileSync(file, 'utf8').replace(/\{#[\s\S]*?#\}/g, '');
      for (const m of source.matchAll(/.{0,40}\bpolicy \d+\.\d[^)]*\)?/gi))
        bare.push(`${name}: ${m[0]}`);
    }
    expect(bare).toEqual([]);
  });

  it('the check itself finds a bare clause', () => {
    const sample = '<p>Clinics are attended in order. (Policy 2.2.1.2)</p>';
    expect([...sample.matchAll(/.{0,40}\bpolicy \d+\.\d[^)]*\)?/gi)]).toHaveLength(1);
  });

  it('a section links to its first clause; a clause to its own anchor', () => {
    expect(clauseLink('2.3')).toBe('/policy#clause-2-3-1');
    expect(clauseLink('2.3.10')).toBe('/policy#clause-2-3-10');
    expect(clauseLink('2.2.1.4')).toBe('/policy#clause-2-2-1-4');
  });
});

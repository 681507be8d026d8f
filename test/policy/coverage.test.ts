/**
 * Keeps the code, the tests and docs/policy.md honest about the policy: every clause in the
 * register must be implemented by a rule and cited by a test, and the committed docs must match
 * what the generator produces now.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as policy from '../../src/policy/index.js';
import {
  POLICY_REGISTER,
  POLICY_RULES,
  clauseNumbers,
  extractClauseCitations,
  extractTestTitles,
  findCoverageGaps,
  isClauseNumber,
  renderPolicyDocs,
} from '../../src/policy/index.js';
import {
  DOCS_PATH,
  ROOT,
  buildPolicyDocs,
  readTestCitations,
} from '../../scripts/generate-policy-docs.js';
import { extractAssertedClauses } from '../../scripts/policy-test-assertions.js';

const citations = readTestCitations();

describe('clause coverage', () => {
  it.each(clauseNumbers().map((clause) => ({ clause })))(
    'clause $clause has a rule and a running test that asserts it (not just a title naming it)',
    ({ clause }) => {
      const rules = POLICY_RULES.filter((r) => r.clauses.includes(clause)).map((r) => r.rule);
      const tests = citations.filter((c) => c.clause === clause).map((c) => c.title);
      expect(rules, `no rule implements ${clause}`).not.toEqual([]);
      expect(tests, `no running test asserts ${clause}`).not.toEqual([]);
    },
  );

  it('the gap finder reports a clause with no rule or no test', () => {
    const withoutDeferralRules = POLICY_RULES.map((r) => ({
      ...r,
      clauses: r.clauses.filter((c) => c !== '2.3.9'),
    }));
    const withoutDeferralTests = citations.filter((c) => c.clause !== '2.3.9');
    expect(findCoverageGaps(POLICY_REGISTER, withoutDeferralRules, citations)).toEqual([
      { clause: '2.3.9', missing: 'rule' },
    ]);
    expect(findCoverageGaps(POLICY_REGISTER, POLICY_RULES, withoutDeferralTests)).toEqual([
      { clause: '2.3.9', missing: 'test' },
    ]);
    expect(findCoverageGaps(POLICY_REGISTER, POLICY_RULES, citations)).toEqual([]);
  });

  it('every rule named in the metadata is an exported function, and cites only register clauses', () => {
    const exported = policy as unknown as Record<string, unknown>;
    for (const rule of POLICY_RULES) {
      expect(typeof exported[rule.rule], rule.rule).toBe('function');
      expect(rule.clauses.length).toBeGreaterThan(0);
      for (const c of rule.clauses) expect(POLICY_REGISTER.clauses[c]).toBeDefined();
      expect(readFileSync(join(ROOT, rule.file), 'utf8')).toContain(`function ${rule.rule}(`);
    }
  });
});

describe('test citation scanner', () => {
  it('finds clause numbers in describe, it, test and it.each titles', () => {
    // Kept in a .txt file so the scanner does not count these sample titles as real tests.
    const source = readFileSync(new URL('./scanner-sample.txt', import.meta.url), 'utf8');
    expect(extractTestTitles(source)).toEqual([
      '2.3.2 eligibility',
      'refuses before 2.3.3 and 2.2.1.1 (not 9.9.9)',
      '2.5.4 row $a',
      '2.6.4 template',
      '2.4.1 skipped still counts as written',
    ]);
    expect(extractClauseCitations('x.test.ts', source).map((c) => c.clause)).toEqual([
      '2.3.2',
      '2.3.3',
      '2.2.1.1',
      '2.5.4',
      '2.6.4',
      '2.4.1',
    ]);
    expect(isClauseNumber('9.9.9')).toBe(false);
  });
});

describe('test assertion scanner (what docs/policy.md counts as covered)', () => {
  it('counts a clause only where a running test asserts it, not where a title names it', () => {
    const source = readFileSync(new URL('./assertion-sample.txt', import.meta.url), 'utf8');
    expect(
      extractAssertedClauses('x.test.ts', source).map((c) => `${c.clause} ${c.title}`),
    ).toEqual([
      '2.3.9 asserts a reason clause',
      '2.5.3 table rows with a clause each',
      '2.5.4 table rows with a clause each',
      '2.2.1.2 a helper named expect… counts',
    ]);
  });

  it('every citation in docs/policy.md comes from an assertion in a policy test file', () => {
    expect(citations.length).toBeGreaterThan(0);
    for (const c of citations) {
      expect(c.file).toMatch(/^test\/policy\/(?!coverage\.test\.ts$).+\.test\.ts$/);
      const source = readFileSync(join(ROOT, c.file), 'utf8');
      expect(source).toContain(`'${c.clause}'`);
    }
  });
});

describe('docs/policy.md', () => {
  it('is current: it matches what `npm run docs:policy` would write', async () => {
    const expected = await buildPolicyDocs();
    const actual = readFileSync(DOCS_PATH, 'utf8');
    expect(actual, 'docs/policy.md is out of date: run `npm run docs:policy`').toBe(expected);
  });

  it('shows each clause with its text, rules and tests, and flags gaps', () => {
    const md = renderPolicyDocs({ register: POLICY_REGISTER, rules: POLICY_RULES, citations });
    expect(md).toContain('All 32 clauses have at least one rule and at least one test.');
    expect(md).toContain('#### Clause 2.3.10');
    expect(md).toContain('`evaluateDeferral` in `src/policy/deferral.ts`');
    const gapped = renderPolicyDocs({
      register: POLICY_REGISTER,
      rules: POLICY_RULES.map((r) => ({ ...r, clauses: r.clauses.filter((c) => c !== '2.4.2') })),
      citations,
    });
    expect(gapped).toContain('2.4.2 has no rule');
    expect(gapped).toContain('**No rule implements this clause.**');
  });
});

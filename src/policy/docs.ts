/**
 * Builds docs/policy.md: for each clause, its text, the rules that implement it and the tests that
 * assert it. Pure functions only; scripts/generate-policy-docs.ts reads the test files and writes
 * the result, and a test checks the committed file is current.
 *
 * A test counts for a clause only when it ASSERTS that clause's outcome: an assertion inside the
 * running test names the clause (scripts/policy-test-assertions.ts finds these citations). A clause
 * number in a describe/it title counts for nothing, and neither does a skipped, todo or inverted
 * test. `extractTestTitles`/`extractClauseCitations` below read titles only; they are kept for
 * tools that list titles and are never used to count coverage.
 */
import { isClauseNumber } from './clauses.js';
import type { ClauseNumber } from './clauses.js';
import { OUTCOMES, OUTCOME_MEANINGS } from './decision.js';
import type { RuleMetadata } from './decision.js';
import { clauseNumbers } from './register.js';
import type { PolicyRegister } from './register.js';

/** A running test that asserts a clause's outcome (found by scripts/policy-test-assertions.ts). */
export interface TestCitation {
  readonly file: string;
  readonly title: string;
  readonly clause: ClauseNumber;
}

const CLAUSE_PATTERN = /\d+(?:\.\d+){2,3}/g;
const TEST_CALL = /\b(?:describe|it|test)(?:\.(?:only|skip|concurrent|sequential|each|for))*\s*\(/g;

/** Reads a string literal starting at `start` (a quote or backtick); returns its raw body and end. */
function readString(source: string, start: number): { body: string; end: number } | null {
  const quote = source[start];
  if (quote !== "'" && quote !== '"' && quote !== '`') return null;
  let i = start + 1;
  while (i < source.length && source[i] !== quote) i += source[i] === '\\' ? 2 : 1;
  return i < source.length ? { body: source.slice(start + 1, i), end: i + 1 } : null;
}

/** From the '(' at `open`, the index just after its matching ')', skipping strings. */
function skipParens(source: string, open: number): number {
  let depth = 0;
  let i = open;
  while (i < source.length) {
    const ch = source[i];
    if (ch === "'" || ch === '"' || ch === '`') {
      i = readString(source, i)?.end ?? source.length;
      continue;
    }
    if (ch === '(') depth += 1;
    if (ch === ')') {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
    i += 1;
  }
  return source.length;
}

/** The titles of the describe/it/test blocks in a test file's source. */
export function extractTestTitles(source: string): string[] {
  const titles: string[] = [];
  for (const match of source.matchAll(TEST_CALL)) {
    let at = (match.index ?? 0) + match[0].length;
    if (/\.(?:each|for)\s*\($/.test(match[0])) {
      // it.each(table)('title', ...): the title follows the table's closing parenthesis.
      const afterTable = skipParens(source, at - 1);
      const rest = /^\s*\(\s*/.exec(source.slice(afterTable));
      if (!rest) continue;
      at = afterTable + rest[0].length;
    } else {
      at += /^\s*/.exec(source.slice(at))?.[0].length ?? 0;
    }
    const title = readString(source, at);
    if (title) titles.push(title.body.replace(/\s+/g, ' ').trim());
  }
  return titles;
}

/** Clause numbers named in titles. Not coverage: a title proves nothing (see the header). */
export function extractClauseCitations(file: string, source: string): TestCitation[] {
  const citations: TestCitation[] = [];
  for (const title of extractTestTitles(source)) {
    const seen = new Set<string>();
    for (const m of title.matchAll(CLAUSE_PATTERN)) {
      const clause = m[0];
      if (isClauseNumber(clause) && !seen.has(clause)) {
        seen.add(clause);
        citations.push({ file, title, clause });
      }
    }
  }
  return citations;
}

export interface CoverageGap {
  readonly clause: ClauseNumber;
  readonly missing: 'rule' | 'test';
}

/** Clauses in the register with no implementing rule or no running test that asserts them. */
export function findCoverageGaps(
  register: PolicyRegister,
  rules: readonly RuleMetadata[],
  citations: readonly TestCitation[],
): CoverageGap[] {
  const gaps: CoverageGap[] = [];
  for (const clause of clauseNumbers(register)) {
    if (!rules.some((r) => r.clauses.includes(clause))) gaps.push({ clause, missing: 'rule' });
    if (!citations.some((c) => c.clause === clause)) gaps.push({ clause, missing: 'test' });
  }
  return gaps;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function quote(text: string): string {
  return text
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n>\n');
}

export interface PolicyDocsInput {
  readonly register: PolicyRegister;
  readonly rules: readonly RuleMetadata[];
  readonly citations: readonly TestCitation[];
}

/** The markdown for docs/policy.md (before formatting with prettier). */
export function renderPolicyDocs({ register, rules, citations }: PolicyDocsInput): string {
  const clauses = clauseNumbers(register);
  const rulesFor = (c: ClauseNumber) => rules.filter((r) => r.clauses.includes(c));
  const testsFor = (c: ClauseNumber) =>
    citations
      .filter((t) => t.clause === c)
      .slice()
      .sort((a, b) => a.file.localeCompare(b.file) || a.title.localeCompare(b.title));
  const gaps = findCoverageGaps(register, rules, citations);
  const out: string[] = [];

  out.push(`# ${register.policyName}: implementation map`);
  out.push(
    '_Generated by `npm run docs:policy` from `src/policy/register.ts`, the rule metadata in `src/policy/` and the assertions in `test/policy/` (a test counts for a clause only when it asserts that clause; a clause number in a title or a skipped test counts for nothing). Do not edit by hand: a test fails when this file is out of date._',
  );
  out.push(
    table(
      ['Version', 'Owner', 'Approved by', 'Last reviewed', 'Next review due'],
      [
        [
          register.version,
          register.owner,
          register.approvedBy,
          register.lastReviewed,
          register.nextReviewDue,
        ],
      ],
    ),
  );
  out.push(`Applies to: ${register.appliesTo}.`);

  out.push('## Coverage at a glance');
  out.push(
    gaps.length === 0
      ? `All ${clauses.length} clauses have at least one rule and at least one test.`
      : `${gaps.length} gap(s): ${gaps.map((g) => `${g.clause} has no ${g.missing}`).join('; ')}.`,
  );
  out.push(
    table(
      ['Clause', 'Section', 'Rules', 'Asserting tests', 'Covered'],
      clauses.map((c) => {
        const rs = rulesFor(c);
        const ts = testsFor(c);
        return [
          `[${c}](#clause-${c.replace(/\./g, '')})`,
          register.clauses[c].section,
          rs.map((r) => `\`${r.rule}\``).join(', ') || 'none',
          String(ts.length),
          rs.length > 0 && ts.length > 0 ? 'yes' : '**no**',
        ];
      }),
    ),
  );

  out.push('## How to read a decision');
  out.push(
    'Every rule answers with `{ outcome, reasons: [{ code, clause, met, message, evidence }], policyVersion, details }`. The outcome is one of:',
  );
  out.push(
    table(
      ['Outcome', 'Meaning'],
      OUTCOMES.map((o) => [`\`${o}\``, OUTCOME_MEANINGS[o]]),
    ),
  );
  out.push(
    'A reason with `met: false` under an `allowed` or `met` outcome is advice (for example, being behind the ideal 2-week module window).',
  );

  out.push('## Parameters');
  out.push(
    'The numbers the policy, the DfE or the lead provider may change. Rules read them from the register, never from code.',
  );
  const parameterRows: string[][] = [];
  for (const n of register.parameterNotes) {
    const value = register.parameters[n.parameter];
    const shown = Array.isArray(value)
      ? value.join(', ')
      : typeof value === 'object'
        ? Object.entries(value)
            .map(([k, v]) => `${k}: ${String(v)}`)
            .join(', ')
        : String(value);
    parameterRows.push([
      `\`${n.parameter}\``,
      shown,
      n.source.replace(/_/g, ' '),
      n.clauses.join(', '),
      n.note,
    ]);
  }
  out.push(table(['Parameter', 'Value', 'Source', 'Clauses', 'Note'], parameterRows));

  out.push('## Version history');
  out.push(
    table(
      ['Version', 'Issue/release date', 'Summary of changes', 'Approver'],
      register.versionHistory.map((v) => [v.version, v.released, v.summary, v.approver]),
    ),
  );

  out.push('## Clauses');
  let section = '';
  for (const c of clauses) {
    const clause = register.clauses[c];
    if (clause.section !== section) {
      section = clause.section;
      out.push(`### ${section}`);
    }
    out.push(`#### Clause ${c}`);
    out.push(quote(clause.text));
    const rs = rulesFor(c);
    out.push('Implemented by:');
    out.push(
      rs.length === 0
        ? '- **No rule implements this clause.**'
        : rs.map((r) => `- \`${r.rule}\` in \`${r.file}\`: ${r.summary}`).join('\n'),
    );
    const ts = testsFor(c);
    out.push('Asserted by:');
    out.push(
      ts.length === 0
        ? '- **No test asserts this clause.**'
        : ts.map((t) => `- \`${t.file}\`: ${t.title.replace(/`/g, "'")}`).join('\n'),
    );
  }
  return `${out.join('\n\n')}\n`;
}

/**
 * Which policy clauses the tests in test/policy actually assert, for docs/policy.md.
 *
 * A test counts for clause C only when, inside that test (not in its title):
 * - an assertion statement names C as a string literal: `expect(reason.clause).toBe('2.3.3')`,
 *   `expect(d.reasons).toContainEqual(expect.objectContaining({ clause: '2.3.3' }))`, or a call to
 *   a helper whose name starts with `expect` (`expectReason(d, '2.3.3', false)`); or
 * - it is a table test (`it.each(rows)` / `it.for(rows)`) whose rows name C as a string literal and
 *   whose body has an assertion statement about a `clause`.
 *
 * A clause number in a `describe`/`it` title counts for nothing. Tests that do not run, or whose
 * result is inverted, count for nothing either: `.skip`, `.todo`, `.fails`, `.skipIf(...)`,
 * `.runIf(...)`, and any test inside a `describe` with one of those.
 */
import { isClauseNumber } from '../src/policy/index.js';
import type { ClauseNumber, TestCitation } from '../src/policy/index.js';

const NOT_RUN = new Set(['skip', 'todo', 'fails', 'skipIf', 'runIf']);
const WITH_ARGUMENTS = new Set(['each', 'for', 'skipIf', 'runIf']);
const QUOTES = new Set(["'", '"', '`']);

/** Index just after the string literal starting at `start` (a quote or backtick). */
function stringEnd(source: string, start: number): number {
  const quote = source[start];
  let i = start + 1;
  while (i < source.length && source[i] !== quote) i += source[i] === '\\' ? 2 : 1;
  return Math.min(i + 1, source.length);
}

/** The source with comments blanked out (same length, so offsets still match). */
export function withoutComments(source: string): string {
  const out = source.split('');
  let i = 0;
  while (i < source.length) {
    const ch = source[i] ?? '';
    if (QUOTES.has(ch)) {
      i = stringEnd(source, i);
      continue;
    }
    if (ch === '/' && source[i + 1] === '/') {
      while (i < source.length && source[i] !== '\n') out[i++] = ' ';
      continue;
    }
    if (ch === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end === -1 ? source.length : end + 2;
      for (; i < stop; i += 1) if (out[i] !== '\n') out[i] = ' ';
      continue;
    }
    i += 1;
  }
  return out.join('');
}

/** From an opening bracket at `open`, the index just after its match, skipping strings. */
function matchingEnd(source: string, open: number): number {
  let depth = 0;
  let i = open;
  while (i < source.length) {
    const ch = source[i] ?? '';
    if (QUOTES.has(ch)) {
      i = stringEnd(source, i);
      continue;
    }
    if (ch === '(' || ch === '[' || ch === '{') depth += 1;
    if (ch === ')' || ch === ']' || ch === '}') {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
    i += 1;
  }
  return source.length;
}

function skipSpace(source: string, at: number): number {
  while (at < source.length && /\s/.test(source[at] ?? '')) at += 1;
  return at;
}

interface TestCall {
  readonly kind: 'describe' | 'it' | 'test';
  readonly modifiers: readonly string[];
  readonly title: string;
  /** The table of it.each / it.for, if any. */
  readonly table: { start: number; end: number } | null;
  /** After the title, to the end of the call: the test function. */
  readonly body: { start: number; end: number };
  readonly span: { start: number; end: number };
}

/** Every describe/it/test call in a (comment-free) test file. */
export function findTestCalls(source: string): TestCall[] {
  const calls: TestCall[] = [];
  for (const match of source.matchAll(/\b(describe|it|test)\b/g)) {
    const start = match.index ?? 0;
    const before = source.slice(0, start).trimEnd();
    if (before.endsWith('.') || /[\w$]$/.test(source.slice(0, start))) continue;
    let at = start + match[0].length;
    const modifiers: string[] = [];
    let table: TestCall['table'] = null;
    for (;;) {
      at = skipSpace(source, at);
      if (source[at] !== '.') break;
      const name = /^\.\s*([A-Za-z]+)/.exec(source.slice(at));
      if (!name?.[1]) break;
      modifiers.push(name[1]);
      at = skipSpace(source, at + name[0].length);
      if (WITH_ARGUMENTS.has(name[1]) && source[at] === '(') {
        const end = matchingEnd(source, at);
        if (name[1] === 'each' || name[1] === 'for') table = { start: at, end };
        at = end;
      }
    }
    at = skipSpace(source, at);
    if (source[at] !== '(') continue;
    const callEnd = matchingEnd(source, at);
    const titleAt = skipSpace(source, at + 1);
    if (!QUOTES.has(source[titleAt] ?? '')) continue;
    const titleEnd = stringEnd(source, titleAt);
    calls.push({
      kind: match[1] as TestCall['kind'],
      modifiers,
      title: source
        .slice(titleAt + 1, titleEnd - 1)
        .replace(/\s+/g, ' ')
        .trim(),
      table,
      body: { start: titleEnd, end: callEnd },
      span: { start, end: callEnd },
    });
  }
  return calls;
}

/** The assertion statements in a piece of code: from `expect…` to the end of its statement. */
export function assertionStatements(code: string): string[] {
  const statements: string[] = [];
  for (const match of code.matchAll(/(?<![\w$.])expect[\w$]*\s*[(.]/g)) {
    const start = match.index ?? 0;
    let depth = 0;
    let i = start;
    while (i < code.length) {
      const ch = code[i] ?? '';
      if (QUOTES.has(ch)) {
        i = stringEnd(code, i);
        continue;
      }
      if (ch === '(' || ch === '[' || ch === '{') depth += 1;
      if (ch === ')' || ch === ']' || ch === '}') {
        depth -= 1;
        if (depth < 0) break;
      }
      if (depth === 0 && (ch === ';' || ch === ',')) break;
      i += 1;
    }
    statements.push(code.slice(start, i));
  }
  return statements;
}

/** The clause numbers written as whole string literals in a piece of code. */
export function clauseLiterals(code: string): ClauseNumber[] {
  const found: ClauseNumber[] = [];
  for (const m of code.matchAll(/(['"`])(\d+(?:\.\d+){2,3})\1/g)) {
    const clause = m[2] ?? '';
    if (isClauseNumber(clause) && !found.includes(clause)) found.push(clause);
  }
  return found;
}

/** The clauses each running test in `source` asserts, as citations (see the header comment). */
export function extractAssertedClauses(file: string, source: string): TestCitation[] {
  const code = withoutComments(source);
  const calls = findTestCalls(code);
  const notRun = calls.filter((c) => c.modifiers.some((m) => NOT_RUN.has(m)));
  const citations: TestCitation[] = [];
  for (const call of calls) {
    if (call.kind === 'describe') continue;
    if (notRun.some((s) => s.span.start <= call.span.start && call.span.end <= s.span.end)) {
      continue;
    }
    const statements = assertionStatements(code.slice(call.body.start, call.body.end));
    const clauses = clauseLiterals(statements.join('\n'));
    if (call.table && statements.some((s) => /\bclause\b/.test(s))) {
      for (const c of clauseLiterals(code.slice(call.table.start, call.table.end))) {
        if (!clauses.includes(c)) clauses.push(c);
      }
    }
    for (const clause of clauses) citations.push({ file, title: call.title, clause });
  }
  return citations;
}

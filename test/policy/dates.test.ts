import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  compareDates,
  dayNumber,
  daysBetween,
  formatLongDate,
  fromDayNumber,
  isBefore,
  isIsoDate,
  isOnOrBefore,
  londonDateOf,
  maxDate,
} from '../../src/policy/index.js';
import { formatLongDateByFormatter, londonDateByFormatter } from '../../src/policy/dates.js';

describe('calendar dates used by the rules', () => {
  it.each([
    { instant: '2026-05-18T22:59:59Z', day: '2026-05-18' },
    { instant: '2026-05-18T23:00:00Z', day: '2026-05-19' },
    { instant: '2026-01-31T23:59:59Z', day: '2026-01-31' },
  ])(
    '2.2.1.5 a submission at $instant falls on $day in England (window days are English calendar days)',
    ({ instant, day }) => {
      expect(londonDateOf(new Date(instant))).toBe(day);
    },
  );

  it('adds days across month, year and leap-day boundaries', () => {
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
    expect(daysBetween('2026-03-28', '2026-03-30')).toBe(2);
    expect(formatLongDate('2026-03-05')).toBe('5 March 2026');
  });

  it.each(['2026-02-30', '2026-13-01', '26-01-01', '2026-1-1', ''])('rejects %j', (value) => {
    expect(isIsoDate(value)).toBe(false);
    expect(() => dayNumber(value)).toThrow(RangeError);
  });
});

describe('date comparisons the rules decide with', () => {
  it.each([
    { a: '2026-03-01', b: '2026-03-02', before: true, onOrBefore: true, max: '2026-03-02' },
    { a: '2026-03-02', b: '2026-03-02', before: false, onOrBefore: true, max: '2026-03-02' },
    { a: '2026-03-03', b: '2026-03-02', before: false, onOrBefore: false, max: '2026-03-03' },
    { a: '2025-12-31', b: '2026-01-01', before: true, onOrBefore: true, max: '2026-01-01' },
  ])('$a against $b', ({ a, b, before, onOrBefore, max }) => {
    expect(isBefore(a, b)).toBe(before);
    expect(isOnOrBefore(a, b)).toBe(onOrBefore);
    expect(maxDate(a, b)).toBe(max);
    expect(maxDate(b, a)).toBe(max);
    expect(Math.sign(compareDates(a, b))).toBe(before ? -1 : onOrBefore ? 0 : 1);
  });

  it('day numbers count from 1970-01-01 and go both ways', () => {
    expect(dayNumber('1970-01-01')).toBe(0);
    expect(dayNumber('1970-01-02')).toBe(1);
    expect(fromDayNumber(-1)).toBe('1969-12-31');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(daysBetween('2026-03-30', '2026-03-28')).toBe(-2);
    expect(isIsoDate('2028-02-29')).toBe(true);
    expect(() => dayNumber('2026-02-30')).toThrow('No such calendar date: 2026-02-30');
    expect(() => dayNumber('x')).toThrow('Not an ISO calendar date (YYYY-MM-DD): "x"');
  });

  it('keeps the last hour’s day only where that is exact: every instant’s day is the formatter’s', () => {
    const hour = 3_600_000;
    // Instants from 1800 to 2200, each with the hour's first and last millisecond and its
    // neighbours, asked in random order so the kept hour is both hit and missed.
    const instant = fc.integer({ min: Date.UTC(1800, 0, 1), max: Date.UTC(2200, 0, 1) });
    fc.assert(
      fc.property(fc.array(instant, { minLength: 1, maxLength: 20 }), (instants) => {
        const edges = instants.flatMap((ms) => {
          const start = Math.floor(ms / hour) * hour;
          return [ms, start, start - 1, start + hour - 1, start + hour];
        });
        for (const ms of edges)
          expect(londonDateOf(new Date(ms))).toBe(londonDateByFormatter(new Date(ms)));
      }),
      { numRuns: 300 },
    );
    // London mean time, before 1848: 00:00:30 UTC on 1 January 1800 was still 31 December.
    expect(londonDateOf(new Date('1800-01-01T00:30:00Z'))).toBe('1800-01-01');
    expect(londonDateOf(new Date('1800-01-01T00:00:30Z'))).toBe('1799-12-31');
    expect(londonDateOf(new Date('1800-01-01T00:00:50Z'))).toBe('1799-12-31');
  });

  it('dates by arithmetic are the dates Date gives, and the same strings are refused', () => {
    const MS = 86_400_000;
    // The implementation before session 15: a Date round trip for each.
    const byDate = (day: number) => new Date(day * MS).toISOString().slice(0, 10);
    const dayByDate = (date: string) => {
      const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
      if (!match) return 'malformed';
      const day = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) / MS;
      return byDate(day) === date ? day : 'no such date';
    };
    const outcome = (date: string) => {
      try {
        return dayNumber(date);
      } catch (error) {
        return String((error as Error).message).startsWith('Not an ISO')
          ? 'malformed'
          : 'no such date';
      }
    };
    // Every day from 0001 to 9999 and a little beyond, whole and not.
    const day = fc.oneof(
      fc.integer({ min: -800_000, max: 3_000_000 }),
      fc.double({ min: -800_000, max: 3_000_000, noNaN: true }),
    );
    fc.assert(
      fc.property(day, (d) => {
        expect(fromDayNumber(d)).toBe(byDate(d));
      }),
      { numRuns: 2_000 },
    );
    // Strings shaped like dates, most of them impossible (31 April, 29 February of 1900 or 2100).
    const digits = (n: number, max: number) =>
      fc.integer({ min: 0, max }).map((v) => String(v).padStart(n, '0'));
    const date = fc
      .tuple(digits(4, 9999), digits(2, 13), digits(2, 32))
      .map(([y, m, d]) => `${y}-${m}-${d}`);
    fc.assert(
      fc.property(date, (text) => {
        expect(outcome(text)).toBe(dayByDate(text));
      }),
      { numRuns: 5_000 },
    );
    for (const text of [
      '1900-02-29',
      '2000-02-29',
      '2100-02-29',
      '2024-02-29',
      '2026-04-31',
      '0050-01-01',
    ])
      expect(outcome(text), text).toBe(dayByDate(text));
  });

  it('writes a long date as the en-GB formatter does, every day from 0100 to 9999', () => {
    const day = fc.integer({ min: -680_000, max: 2_900_000 });
    fc.assert(
      fc.property(day, (d) => {
        const date = fromDayNumber(d);
        expect(formatLongDate(date)).toBe(formatLongDateByFormatter(date));
      }),
      { numRuns: 3_000 },
    );
  });

  it('a London day is padded and follows British Summer Time', () => {
    expect(londonDateOf(new Date('2026-03-29T00:30:00Z'))).toBe('2026-03-29');
    expect(londonDateOf(new Date('2026-10-24T23:30:00Z'))).toBe('2026-10-25');
    expect(londonDateOf(new Date('2026-01-05T12:00:00Z'))).toBe('2026-01-05');
    expect(formatLongDate('2026-01-05')).toBe('5 January 2026');
  });
});

/**
 * A date is 'YYYY-MM-DD' and nothing else. A real date with anything before or after it (a time, a
 * space, a stray character, a fifth year digit) is malformed — it is refused with the format
 * message that names the value, not read as the date inside it and not called an impossible date.
 */
describe('the whole value must be YYYY-MM-DD', () => {
  const formatError = (value: string) =>
    `Not an ISO calendar date (YYYY-MM-DD): ${JSON.stringify(value)}`;

  it.each([
    { value: 'x2026-01-01', extra: 'a character before' },
    { value: ' 2026-01-01', extra: 'a space before' },
    { value: '12026-01-01', extra: 'a fifth year digit' },
    { value: '2026-01-01x', extra: 'a character after' },
    { value: '2026-01-01 ', extra: 'a space after' },
    { value: '2026-01-01\n', extra: 'a newline after' },
    { value: '2026-01-011', extra: 'a third day digit' },
    { value: '2026-01-01T00:00:00Z', extra: 'a time after' },
  ])('$value ($extra) is not a date', ({ value }) => {
    expect(isIsoDate(value)).toBe(false);
    expect(() => dayNumber(value)).toThrow(formatError(value));
    expect(() => addDays(value, 1)).toThrow(formatError(value));
  });

  it('any real date with anything before or after it is refused as malformed (property)', () => {
    const realDate = fc.integer({ min: -25_000, max: 50_000 }).map(fromDayNumber);
    fc.assert(
      fc.property(
        realDate,
        fc.string({ minLength: 1, maxLength: 12 }),
        fc.boolean(),
        (date, junk, before) => {
          expect(isIsoDate(date)).toBe(true);
          const value = before ? junk + date : date + junk;
          expect(isIsoDate(value)).toBe(false);
          expect(() => dayNumber(value)).toThrow(formatError(value));
        },
      ),
      { numRuns: 500 },
    );
  });
});

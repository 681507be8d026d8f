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
import { londonDateByFormatter } from '../../src/policy/dates.js';

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

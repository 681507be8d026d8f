import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromDayNumber } from '../../src/policy/index.js';
import { govukDate } from '../../src/web/render.js';

/** The filter as it was: every value through an en-GB formatter in London, a date at noon. */
const byFormatter = (value: string | Date) => {
  const format = new Intl.DateTimeFormat('en-GB', {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'Europe/London',
  });
  const d = typeof value === 'string' ? new Date(`${value.slice(0, 10)}T12:00:00Z`) : value;
  return Number.isNaN(d.getTime()) ? String(value) : format.format(d);
};

describe('the govukDate filter', () => {
  it('writes every date, date-time and non-date as the formatter did', () => {
    const day = fc.integer({ min: -600_000, max: 2_900_000 }).map(fromDayNumber);
    const value = fc.oneof(
      day,
      fc
        .tuple(day, fc.constantFrom('T00:30:00Z', 'T23:59:59+01:00', ' 12:00'))
        .map(([d, t]) => d + t),
      fc.constantFrom('2026-02-30', '2026-13-01', 'not a date', '2026-1-1', '0050-01-01'),
    );
    fc.assert(
      fc.property(value, (v) => {
        expect(govukDate(v)).toBe(byFormatter(v));
      }),
      { numRuns: 2_000 },
    );
    expect(govukDate('2026-03-05')).toBe('5 March 2026');
    expect(govukDate(null)).toBe('');
    const instant = new Date('2026-06-30T23:30:00Z');
    expect(govukDate(instant)).toBe('1 July 2026');
  });
});

import { describe, expect, it } from 'vitest';
import {
  addDays,
  dayNumber,
  daysBetween,
  formatLongDate,
  isIsoDate,
  londonDateOf,
} from '../../src/policy/index.js';

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

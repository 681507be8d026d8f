import { describe, expect, it } from 'vitest';
import { countWord, daysText, noticePeriodsText } from '../../src/web/policy-words.js';

/** The policy's numbers as the pages word them (issue 16). */
describe('policy words', () => {
  it('counts in words below 10 and in figures from 10', () => {
    expect([0, 1, 2, 3, 9, 10, 12].map(countWord)).toEqual([
      'no',
      'one',
      'two',
      'three',
      'nine',
      '10',
      '12',
    ]);
    expect(countWord(2.5)).toBe('2.5');
    expect(countWord(undefined)).toBe('');
  });

  it('gives whole weeks as weeks, anything else as days', () => {
    expect([1, 7, 14, 30, 42, 70].map(daysText)).toEqual([
      '1 day',
      '1 week',
      '2 weeks',
      '30 days',
      '6 weeks',
      '10 weeks',
    ]);
  });

  it('puts kinds with the same notice period together, in the policy’s order', () => {
    expect(
      noticePeriodsText({
        clinic: 42,
        conference: 42,
        assessment_window: 42,
        community_session: 14,
      }),
    ).toBe(
      "Clinics, conferences and assessment windows need 6 weeks' notice; community sessions 2 weeks.",
    );
    expect(
      noticePeriodsText({
        clinic: 70,
        conference: 60,
        assessment_window: 42,
        community_session: 30,
      }),
    ).toBe(
      "Clinics need 10 weeks' notice; conferences 60 days; assessment windows 6 weeks; community sessions 30 days.",
    );
    expect(
      noticePeriodsText({
        clinic: 28,
        conference: 42,
        assessment_window: 28,
        community_session: 42,
      }),
    ).toBe(
      "Clinics and assessment windows need 4 weeks' notice; conferences and community sessions 6 weeks.",
    );
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DEFAULT_RETENTION_YEARS_AFTER_END,
  ENDED_ENROLMENT_STATUSES,
  REDACTED,
  erasedEmail,
  erasedName,
  erasedRegistrationId,
  redactAuditDetails,
  retentionCutoff,
  retentionSchedule,
} from '../../src/policy/retention.js';
import { addDays, isIsoDate } from '../../src/policy/index.js';

describe('how long personal data is kept', () => {
  it('seven years after the last enrolment ended, counted from completed, withdrawn or transferred out', () => {
    expect(DEFAULT_RETENTION_YEARS_AFTER_END).toBe(7);
    expect([...ENDED_ENROLMENT_STATUSES].sort()).toEqual(
      ['completed_failed', 'completed_passed', 'transferred_out', 'withdrawn'].sort(),
    );
  });

  it('the schedule a participant reads at /my-data, record by record', () => {
    expect(retentionSchedule(5)).toEqual([
      {
        record: 'Your name, email address, TRN and DfE registration id',
        kept: '5 years after your last enrolment ended',
        then: 'Replaced with "Former participant" and a reference number',
      },
      {
        record: 'Your account',
        kept: '5 years after your last enrolment ended',
        then: 'Closed: the email address is removed and no one can sign in to it',
      },
      {
        record:
          'What you told us in deferral and assessment deferral requests, and withdrawal notes',
        kept: '5 years after your last enrolment ended',
        then: 'Deleted',
      },
      {
        record: 'Emails we sent you',
        kept: '5 years after your last enrolment ended',
        then: 'Deleted',
      },
      {
        record: 'The record of who did what (audit trail)',
        kept: 'Always, so the programme can be audited',
        then: 'Names, contact details and anything written in words are removed after the same period',
      },
      {
        record: 'Enrolments, engagement, bookings, assessment results and decisions',
        kept: 'Always, for funding and programme statistics',
        then: 'Kept without your name or contact details',
      },
    ]);
  });
});

describe('the retention cut-off date', () => {
  it.each([
    { today: '2026-03-16', years: 7, cutoff: '2019-03-16' },
    { today: '2026-12-31', years: 1, cutoff: '2025-12-31' },
    { today: '2026-01-01', years: 7, cutoff: '2019-01-01' },
    { today: '2028-02-29', years: 1, cutoff: '2027-02-28' },
    { today: '2028-02-29', years: 4, cutoff: '2024-02-29' },
    { today: '2026-03-31', years: 0, cutoff: '2026-03-31' },
    { today: '2026-11-30', years: 3, cutoff: '2023-11-30' },
    { today: '2030-01-09', years: 2025, cutoff: '0005-01-09' },
  ])('$years years before $today is $cutoff', ({ today, years, cutoff }) => {
    expect(retentionCutoff(today, years)).toBe(cutoff);
  });

  it('property: the same day and month, `years` earlier (28 February for a lost 29th), always a real date', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20_000 }),
        fc.integer({ min: 0, max: 30 }),
        (offset, years) => {
          const today = addDays('2000-01-01', offset);
          const cutoff = retentionCutoff(today, years);
          expect(isIsoDate(cutoff)).toBe(true);
          const [y, m, d] = today.split('-').map(Number) as [number, number, number];
          const [cy, cm, cd] = cutoff.split('-').map(Number) as [number, number, number];
          expect(cy).toBe(y - years);
          expect(cm).toBe(m);
          const leap = (yr: number) => (yr % 4 === 0 && yr % 100 !== 0) || yr % 400 === 0;
          expect(cd).toBe(m === 2 && d === 29 && !leap(cy) ? 28 : d);
        },
      ),
    );
  });
});

describe('what an erased record holds instead', () => {
  it('a name, addresses that can never receive mail, and an id that keeps the identifier check true', () => {
    expect(erasedName(42)).toBe('Former participant 42');
    expect(erasedEmail('participant', 42)).toBe('erased-participant-42@erased.invalid');
    expect(erasedEmail('user', 7)).toBe('erased-user-7@erased.invalid');
    expect(erasedRegistrationId(42)).toBe('erased-42');
    expect(REDACTED).toBe('[redacted]');
  });
});

describe('audit details after the retention period', () => {
  it('keeps what happened (codes, dates, ids, clauses, numbers) and removes what could identify someone', () => {
    expect(
      redactAuditDetails({
        code: 'DEFERRAL.NOT_COMMENCED',
        clause: '2.3.2',
        on: '2026-03-16',
        participantId: 42,
        allowed: false,
        nothing: null,
        name: 'Ada Lovelace',
        fullName: 'Ada Lovelace',
        display_name: 'Ada',
        email: 'ada@example.org',
        to_email: 'ada@example.org',
        TRN: '1234567',
        dfeRegistrationId: 'abc',
        note: 'x',
        description: 'ill',
        evidenceNote: 'letter',
        evidence_request: 'letter please',
        reasonableAdjustments: 'ramp',
        phone: '0123',
        postcode: 'AB1',
        address: 'x',
        message: 'hi',
        text: 'hi',
        comment: 'She was in hospital for a month',
        contact: 'ada@example.org',
        reference: '7654321',
        ref: '76543210',
        long: 'a'.repeat(41),
        atLimit: 'a'.repeat(40),
        empty: '',
        tokens: 'Ab-9_x.y:z+1',
      }),
    ).toEqual({
      code: 'DEFERRAL.NOT_COMMENCED',
      clause: '2.3.2',
      on: '2026-03-16',
      participantId: 42,
      allowed: false,
      nothing: null,
      name: REDACTED,
      fullName: REDACTED,
      display_name: REDACTED,
      email: REDACTED,
      to_email: REDACTED,
      TRN: REDACTED,
      dfeRegistrationId: REDACTED,
      note: REDACTED,
      description: REDACTED,
      evidenceNote: REDACTED,
      evidence_request: REDACTED,
      reasonableAdjustments: REDACTED,
      phone: REDACTED,
      postcode: REDACTED,
      address: REDACTED,
      message: REDACTED,
      text: REDACTED,
      comment: REDACTED,
      contact: REDACTED,
      reference: REDACTED,
      ref: '76543210',
      long: REDACTED,
      atLimit: 'a'.repeat(40),
      empty: '',
      tokens: 'Ab-9_x.y:z+1',
      redacted: 'retention',
    });
  });

  it('a personal key stays empty when it was empty, and is redacted whatever its value', () => {
    expect(
      redactAuditDetails({ name: null, email: undefined, trn: 1234567, note: { a: 1 } }),
    ).toEqual({
      name: null,
      email: undefined,
      trn: REDACTED,
      note: REDACTED,
      redacted: 'retention',
    });
  });

  it('nested objects and lists are redacted the same way, key by key', () => {
    expect(
      redactAuditDetails({
        before: { status: 'active', email: 'a@b.c', count: 3 },
        ids: [1, 'abc', 'two words', '1234567'],
        people: [{ name: 'Ada', id: 9 }],
      }),
    ).toEqual({
      before: { status: 'active', email: REDACTED, count: 3 },
      ids: [1, 'abc', REDACTED, REDACTED],
      people: [{ name: REDACTED, id: 9 }],
      redacted: 'retention',
    });
  });

  it.each([
    { details: null, name: 'null' },
    { details: undefined, name: 'nothing' },
    { details: 'Ada Lovelace', name: 'a string' },
    { details: ['Ada Lovelace'], name: 'a list' },
    { details: 5, name: 'a number' },
  ])('details that are $name keep only the retention mark', ({ details }) => {
    expect(redactAuditDetails(details)).toEqual({ redacted: 'retention' });
  });
});

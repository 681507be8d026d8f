import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  addDays,
  evaluateClinicAttendance,
  evaluateClinicBooking,
  evaluateClinicCancellation,
} from '../../src/policy/index.js';
import type {
  ClinicAccommodation,
  ClinicBookingInput,
  ClinicRecord,
} from '../../src/policy/index.js';

const TODAY = '2025-10-01';

const accommodation: ClinicAccommodation = {
  grantedBy: 'staff-17',
  grantedByRole: 'delivery_partner_staff',
  recordedOn: TODAY,
  note: 'Works Mondays to Wednesdays; clinic 2 slots all fall on Thursdays.',
};

function book(overrides: Partial<ClinicBookingInput>): ReturnType<typeof evaluateClinicBooking> {
  return evaluateClinicBooking({
    clinicNumber: 1,
    sessionOn: '2025-10-20',
    today: TODAY,
    history: [],
    workingPattern: 'full_time',
    ...overrides,
  });
}

describe('2.2.1.2 clinics should be attended in sequence', () => {
  const rows: {
    name: string;
    clinicNumber: number;
    sessionOn: string;
    history: ClinicRecord[];
    outcome: string;
    code: string;
  }[] = [
    {
      name: 'the first clinic',
      clinicNumber: 1,
      sessionOn: '2025-10-20',
      history: [],
      outcome: 'allowed',
      code: 'CLINIC.IN_SEQUENCE',
    },
    {
      name: 'clinic 2 after clinic 1 was attended',
      clinicNumber: 2,
      sessionOn: '2025-11-20',
      history: [{ clinicNumber: 1, status: 'attended', on: '2025-09-20' }],
      outcome: 'allowed',
      code: 'CLINIC.IN_SEQUENCE',
    },
    {
      name: 'clinic 2 after clinic 1 is booked for an earlier date',
      clinicNumber: 2,
      sessionOn: '2025-11-20',
      history: [{ clinicNumber: 1, status: 'booked', on: '2025-10-20' }],
      outcome: 'allowed',
      code: 'CLINIC.IN_SEQUENCE',
    },
    {
      name: 'clinic 2 on the same day as booked clinic 1',
      clinicNumber: 2,
      sessionOn: '2025-10-20',
      history: [{ clinicNumber: 1, status: 'booked', on: '2025-10-20' }],
      outcome: 'refused',
      code: 'CLINIC.OUT_OF_SEQUENCE',
    },
    {
      name: 'clinic 2 with clinic 1 neither booked nor attended',
      clinicNumber: 2,
      sessionOn: '2025-11-20',
      history: [],
      outcome: 'refused',
      code: 'CLINIC.OUT_OF_SEQUENCE',
    },
    {
      name: 'moving clinic 1 after an already booked clinic 2',
      clinicNumber: 1,
      sessionOn: '2025-12-01',
      history: [
        { clinicNumber: 1, status: 'booked', on: '2025-10-20' },
        { clinicNumber: 2, status: 'booked', on: '2025-11-20' },
      ],
      outcome: 'refused',
      code: 'CLINIC.AFTER_LATER_CLINIC',
    },
    {
      name: 'moving clinic 1 to another date still before clinic 2',
      clinicNumber: 1,
      sessionOn: '2025-10-27',
      history: [
        { clinicNumber: 1, status: 'booked', on: '2025-10-20' },
        { clinicNumber: 2, status: 'booked', on: '2025-11-20' },
      ],
      outcome: 'allowed',
      code: 'CLINIC.IN_SEQUENCE',
    },
  ];
  it.each(rows)(
    '2.2.1.2 $name -> $outcome',
    ({ clinicNumber, sessionOn, history, outcome, code }) => {
      const d = book({ clinicNumber, sessionOn, history });
      expect(d.outcome).toBe(outcome);
      expect(d.reasons.map((r) => r.code)).toContain(code);
      expect(d.details.allowedByAccommodation).toBe(false);
      expect(d.reasons.every((r) => r.clause === '2.2.1.2')).toBe(true);
    },
  );

  it('2.2.1.2 a clinic date that has passed cannot be booked, even with an accommodation', () => {
    const d = book({ sessionOn: '2025-09-01', workingPattern: 'part_time', accommodation });
    expect(d.outcome).toBe('refused');
    expect(d.reasons[0]?.code).toBe('CLINIC.DATE_PASSED');
  });

  it('2.2.1.2 a clinic already attended cannot be booked again', () => {
    const d = book({ history: [{ clinicNumber: 1, status: 'attended', on: '2025-09-20' }] });
    expect(d.outcome).toBe('refused');
    expect(d.reasons.map((r) => r.code)).toContain('CLINIC.ALREADY_ATTENDED');
  });

  it.each([
    { attended: [1], clinic: 2, outcome: 'allowed' },
    { attended: [], clinic: 2, outcome: 'refused' },
    { attended: [1, 2], clinic: 3, outcome: 'allowed' },
    { attended: [1], clinic: 3, outcome: 'refused' },
  ])(
    '2.2.1.2 attending clinic $clinic after attending $attended -> $outcome',
    ({ attended, clinic, outcome }) => {
      const history: ClinicRecord[] = attended.map((n) => ({
        clinicNumber: n,
        status: 'attended',
        on: `2025-1${n}-01`,
      }));
      const d = evaluateClinicAttendance({
        clinicNumber: clinic,
        attendedOn: '2025-12-20',
        history,
        workingPattern: 'full_time',
      });
      expect(d.outcome).toBe(outcome);
    },
  );
});

describe('2.2.1.2 we will seek to accommodate changes for participants who work part-time (2.1.2, 2.2.1)', () => {
  const outOfSequence = {
    clinicNumber: 2,
    sessionOn: '2025-10-15',
    history: [{ clinicNumber: 1, status: 'booked' as const, on: '2025-10-20' }],
  };

  it('2.2.1.2 2.1.2 a part-time participant with a staff accommodation may change the sequence, recorded as allowed by accommodation', () => {
    const d = book({ ...outOfSequence, workingPattern: 'part_time', accommodation });
    expect(d.outcome).toBe('allowed');
    expect(d.details).toEqual({ inSequence: false, allowedByAccommodation: true });
    const codes = d.reasons.map((r) => r.code);
    expect(codes).toContain('CLINIC.OUT_OF_SEQUENCE');
    expect(codes).toContain('CLINIC.ALLOWED_BY_ACCOMMODATION');
    const considered = d.reasons.find((r) => r.code === 'CLINIC.WORKING_PATTERN_CONSIDERED');
    expect(considered?.clause).toBe('2.1.2');
    expect(
      d.reasons.find((r) => r.code === 'CLINIC.ALLOWED_BY_ACCOMMODATION')?.evidence['grantedBy'],
    ).toBe('staff-17');
  });

  it('2.2.1 2.2.1.2 a part-time participant without an accommodation is refused and told how to ask for one', () => {
    const d = book({ ...outOfSequence, workingPattern: 'part_time' });
    expect(d.outcome).toBe('refused');
    expect(d.reasons.find((r) => r.code === 'CLINIC.NO_ACCOMMODATION')?.message).toContain(
      'part-time',
    );
  });

  it('2.2.1.2 a full-time participant with an accommodation needs a programme-team exception', () => {
    const d = book({ ...outOfSequence, workingPattern: 'full_time', accommodation });
    expect(d.outcome).toBe('needs_exception');
    expect(d.details.allowedByAccommodation).toBe(false);
  });

  it.each([
    {
      name: 'recorded by a participant',
      acc: { ...accommodation, grantedByRole: 'participant' as const },
    },
    { name: 'recorded without a note', acc: { ...accommodation, note: '  ' } },
  ])('2.2.1.2 an accommodation $name is not valid', ({ acc }) => {
    const d = book({ ...outOfSequence, workingPattern: 'part_time', accommodation: acc });
    expect(d.outcome).toBe('refused');
    expect(d.reasons.map((r) => r.code)).toContain('CLINIC.ACCOMMODATION_INVALID');
  });

  it('2.2.1.2 an accommodation also covers attending out of sequence', () => {
    const d = evaluateClinicAttendance({
      clinicNumber: 2,
      attendedOn: '2025-10-15',
      history: [],
      workingPattern: 'part_time',
      accommodation,
    });
    expect(d.outcome).toBe('allowed');
    expect(d.details.allowedByAccommodation).toBe(true);
  });

  it('2.2.1.2 rejects a clinic number below 1', () => {
    expect(() => book({ clinicNumber: 0 })).toThrow(RangeError);
  });
});

describe('2.2.1.2 a missed clinic does not block the next one', () => {
  const missedFirst = [{ clinicNumber: 1, status: 'missed' as const, on: '2026-01-20' }];

  it('lets a participant book clinic 2 after all the dates of clinic 1 have passed unattended', () => {
    const d = evaluateClinicBooking({
      clinicNumber: 2,
      sessionOn: '2026-03-10',
      today: '2026-02-01',
      history: missedFirst,
      workingPattern: 'full_time',
    });
    expect(d.outcome).toBe('allowed');
    expect(d.reasons.find((r) => r.code === 'CLINIC.IN_SEQUENCE')?.message).toContain('missed');
  });

  it('still refuses clinic 3 while clinic 2 is neither attended, booked nor missed', () => {
    const d = evaluateClinicBooking({
      clinicNumber: 3,
      sessionOn: '2026-04-10',
      today: '2026-02-01',
      history: missedFirst,
      workingPattern: 'full_time',
    });
    expect(d.outcome).toBe('refused');
  });

  it('counts attendance at clinic 2 as in sequence after a missed clinic 1', () => {
    const d = evaluateClinicAttendance({
      clinicNumber: 2,
      attendedOn: '2026-03-10',
      history: missedFirst,
      workingPattern: 'full_time',
    });
    expect(d.outcome).toBe('allowed');
  });
});

describe('2.2.1.2 cancelling a clinic keeps the others in order', () => {
  const booked3 = { clinicNumber: 3, status: 'booked' as const, on: '2026-05-01' };
  it.each([
    { later: [], outcome: 'allowed', code: 'CLINIC.CANCELLATION_KEEPS_SEQUENCE' },
    { later: [booked3], outcome: 'refused', code: 'CLINIC.LATER_CLINIC_BOOKED' },
    {
      later: [{ ...booked3, accommodated: true }],
      outcome: 'allowed',
      code: 'CLINIC.CANCELLATION_KEEPS_SEQUENCE',
    },
    {
      later: [{ ...booked3, status: 'attended' as const }],
      outcome: 'allowed',
      code: 'CLINIC.CANCELLATION_KEEPS_SEQUENCE',
    },
  ])('cancelling clinic 2 with later records $later: $outcome', ({ later, outcome, code }) => {
    const d = evaluateClinicCancellation({
      clinicNumber: 2,
      history: [{ clinicNumber: 1, status: 'attended', on: '2026-01-10' }, ...later],
    });
    expect(d.outcome).toBe(outcome);
    expect(d.reasons.map((r) => [r.code, r.clause])).toEqual([[code, '2.2.1.2']]);
  });
});

describe('2.2.1.2 clinic order: each row states what the clause requires', () => {
  const attended1 = { clinicNumber: 1, status: 'attended' as const, on: '2025-09-20' };
  const rows: {
    name: string;
    clinicNumber: number;
    sessionOn: string;
    history: ClinicRecord[];
    outcome: string;
    inSequence: boolean;
    unmet: string[];
  }[] = [
    {
      name: 'clinic 2 after attended clinic 1, but on or after an already booked clinic 3',
      clinicNumber: 2,
      sessionOn: '2025-12-05',
      history: [attended1, { clinicNumber: 3, status: 'booked', on: '2025-12-01' }],
      outcome: 'refused',
      inSequence: false,
      unmet: ['CLINIC.AFTER_LATER_CLINIC'],
    },
    {
      name: 'clinic 2 on the same day as an already booked clinic 3',
      clinicNumber: 2,
      sessionOn: '2025-12-01',
      history: [attended1, { clinicNumber: 3, status: 'booked', on: '2025-12-01' }],
      outcome: 'refused',
      inSequence: false,
      unmet: ['CLINIC.AFTER_LATER_CLINIC'],
    },
    {
      name: 'clinic 2 the day before a booked clinic 3',
      clinicNumber: 2,
      sessionOn: '2025-11-30',
      history: [attended1, { clinicNumber: 3, status: 'booked', on: '2025-12-01' }],
      outcome: 'allowed',
      inSequence: true,
      unmet: [],
    },
    {
      name: 'clinic 2 after a later clinic 3 that was missed (a missed clinic blocks nothing)',
      clinicNumber: 2,
      sessionOn: '2025-12-05',
      history: [attended1, { clinicNumber: 3, status: 'missed', on: '2025-12-01' }],
      outcome: 'allowed',
      inSequence: true,
      unmet: [],
    },
    {
      name: 'clinic 1 after an attended clinic 2',
      clinicNumber: 1,
      sessionOn: '2025-12-05',
      history: [{ clinicNumber: 2, status: 'attended', on: '2025-11-01' }],
      outcome: 'refused',
      inSequence: false,
      unmet: ['CLINIC.AFTER_LATER_CLINIC'],
    },
    {
      name: 'clinic 1 after a missed clinic 2',
      clinicNumber: 1,
      sessionOn: '2025-12-05',
      history: [{ clinicNumber: 2, status: 'missed', on: '2025-11-01' }],
      outcome: 'allowed',
      inSequence: true,
      unmet: [],
    },
    {
      name: 'clinic 3 after a later-booked clinic 2 (clinic 2 is on a later date)',
      clinicNumber: 3,
      sessionOn: '2025-11-01',
      history: [attended1, { clinicNumber: 2, status: 'booked', on: '2025-11-10' }],
      outcome: 'refused',
      inSequence: false,
      unmet: ['CLINIC.OUT_OF_SEQUENCE'],
    },
    {
      name: 'clinic 2 when clinic 1 was booked, then attended (attended wins over the old booking)',
      clinicNumber: 2,
      sessionOn: '2025-10-10',
      history: [{ clinicNumber: 1, status: 'booked', on: '2025-10-20' }, attended1],
      outcome: 'allowed',
      inSequence: true,
      unmet: [],
    },
    {
      name: 'clinic 2 booked after clinic 1 is both booked and missed: the booking decides',
      clinicNumber: 2,
      sessionOn: '2025-10-15',
      history: [
        { clinicNumber: 1, status: 'missed', on: '2025-09-01' },
        { clinicNumber: 1, status: 'booked', on: '2025-10-20' },
      ],
      outcome: 'refused',
      inSequence: false,
      unmet: ['CLINIC.OUT_OF_SEQUENCE'],
    },
    {
      name: 'a later clinic 3 on a date already passed blocks a clinic 2 after it',
      clinicNumber: 2,
      sessionOn: '2025-10-05',
      history: [attended1, { clinicNumber: 3, status: 'attended', on: '2025-10-02' }],
      outcome: 'refused',
      inSequence: false,
      unmet: ['CLINIC.AFTER_LATER_CLINIC'],
    },
  ];

  it.each(rows)(
    '2.2.1.2 booking: $name -> $outcome',
    ({ clinicNumber, sessionOn, history, outcome, inSequence, unmet }) => {
      const d = book({ clinicNumber, sessionOn, history });
      expect(d.outcome).toBe(outcome);
      expect(d.details).toEqual({ inSequence, allowedByAccommodation: false });
      const notMet = d.reasons.filter((r) => !r.met);
      expect(notMet.map((r) => r.code)).toEqual(
        unmet.length === 0 ? [] : [...unmet, 'CLINIC.NO_ACCOMMODATION'],
      );
      for (const r of d.reasons) expect(r.clause).toBe('2.2.1.2');
      // The history may come in any order.
      const reversed = book({ clinicNumber, sessionOn, history: [...history].reverse() });
      expect(reversed.outcome).toBe(outcome);
    },
  );

  it('2.2.1.2 the refusal for a clash names the later clinic and its date', () => {
    const d = book({
      clinicNumber: 2,
      sessionOn: '2025-12-05',
      history: [attended1, { clinicNumber: 3, status: 'booked', on: '2025-12-01' }],
    });
    const r = d.reasons.find((x) => x.code === 'CLINIC.AFTER_LATER_CLINIC');
    expect(r?.clause).toBe('2.2.1.2');
    expect(r?.evidence).toMatchObject({ laterClinicNumber: 3, laterOn: '2025-12-01' });
    expect(r?.message).toBe(
      'Clinics are attended in order: clinic 2 must come before your clinic 3 on 1 December 2025.',
    );
  });

  it('2.2.1.2 a refusal for order names the previous clinic and its date', () => {
    const d = book({
      clinicNumber: 2,
      sessionOn: '2025-10-15',
      history: [{ clinicNumber: 1, status: 'booked', on: '2025-10-20' }],
    });
    const r = d.reasons.find((x) => x.code === 'CLINIC.OUT_OF_SEQUENCE');
    expect(r?.clause).toBe('2.2.1.2');
    expect(r?.evidence).toMatchObject({ previousStatus: 'booked', previousOn: '2025-10-20' });
    expect(r?.message).toBe(
      'Clinics are attended in order: your clinic 1 is on 20 October 2025, so clinic 2 must be after that.',
    );
    expect(book({ clinicNumber: 2, history: [] }).reasons[0]?.message).toBe(
      'Clinics are attended in order: book clinic 1 before clinic 2.',
    );
  });

  it.each([
    { status: 'attended' as const, state: 'is attended' },
    { status: 'booked' as const, state: 'is booked for an earlier date' },
    { status: 'missed' as const, state: 'is missed (all its dates have passed' },
  ])('2.2.1.2 booking clinic 2 after clinic 1 $status says so', ({ status, state }) => {
    const d = book({
      clinicNumber: 2,
      sessionOn: '2025-11-20',
      history: [{ clinicNumber: 1, status, on: '2025-10-20' }],
    });
    expect(d.outcome).toBe('allowed');
    const r = d.reasons.find((x) => x.code === 'CLINIC.IN_SEQUENCE');
    expect(r?.clause).toBe('2.2.1.2');
    expect(r?.message).toContain(`Clinic 1 comes first and ${state}`);
    expect(r?.evidence).toMatchObject({ previousStatus: status, previousOn: '2025-10-20' });
  });

  it.each([
    { previous: 'attended' as const, on: '2025-10-01', outcome: 'allowed' },
    { previous: 'missed' as const, on: '2025-10-01', outcome: 'allowed' },
    { previous: 'booked' as const, on: '2025-10-01', outcome: 'refused' },
    { previous: 'attended' as const, on: '2025-12-20', outcome: 'refused' },
    { previous: 'attended' as const, on: '2025-12-25', outcome: 'refused' },
  ])(
    '2.2.1.2 attending clinic 2 on 20 December after clinic 1 $previous on $on -> $outcome',
    ({ previous, on, outcome }) => {
      const d = evaluateClinicAttendance({
        clinicNumber: 2,
        attendedOn: '2025-12-20',
        history: [{ clinicNumber: 1, status: previous, on }],
        workingPattern: 'full_time',
      });
      expect(d.outcome).toBe(outcome);
      expect(d.details.inSequence).toBe(outcome === 'allowed');
      expect(d.reasons[0]?.clause).toBe('2.2.1.2');
      expect(d.reasons[0]?.met).toBe(outcome === 'allowed');
    },
  );

  it('2.2.1.2 attendance of clinic 3 needs clinic 2, not clinic 1', () => {
    const d = evaluateClinicAttendance({
      clinicNumber: 3,
      attendedOn: '2025-12-20',
      history: [
        { clinicNumber: 1, status: 'attended', on: '2025-10-01' },
        { clinicNumber: 3, status: 'booked', on: '2025-12-20' },
      ],
      workingPattern: 'full_time',
    });
    expect(d.outcome).toBe('refused');
    expect(d.reasons[0]?.message).toBe(
      'Clinics are attended in order: clinic 2 has not been attended before clinic 3.',
    );
    expect(d.reasons[0]?.clause).toBe('2.2.1.2');
  });

  it('2.2.1.2 cancelling names the first later clinic that depends on it', () => {
    const d = evaluateClinicCancellation({
      clinicNumber: 1,
      history: [
        { clinicNumber: 3, status: 'booked', on: '2026-05-01' },
        { clinicNumber: 2, status: 'booked', on: '2026-03-01' },
      ],
    });
    expect(d.outcome).toBe('refused');
    expect(d.details.laterClinicNumber).toBe(2);
    expect(d.reasons[0]?.clause).toBe('2.2.1.2');
    expect(d.reasons[0]?.evidence).toEqual({
      clinicNumber: 1,
      laterClinicNumber: 2,
      laterOn: '2026-03-01',
    });
    expect(
      evaluateClinicCancellation({
        clinicNumber: 2,
        history: [{ clinicNumber: 1, status: 'booked', on: '2026-01-01' }],
      }).outcome,
    ).toBe('allowed');
  });
});

describe('2.2.1.2 property: a generated clinic history, in any order, gives the decision the rule states', () => {
  it('2.2.1.2 booking clinic n is allowed exactly when the date is ahead, n is not attended, n-1 is attended, missed or booked earlier, and no later clinic is on or before it', () => {
    const day = (d: number) => addDays('2025-09-01', d);
    const status = fc.constantFrom('booked' as const, 'attended' as const, 'missed' as const);
    fc.assert(
      fc.property(
        // At most one record per clinic, clinics 1-5.
        fc.uniqueArray(
          fc.record({
            clinicNumber: fc.integer({ min: 1, max: 5 }),
            status,
            on: fc.integer({ min: 0, max: 120 }),
          }),
          { selector: (r) => r.clinicNumber, maxLength: 5 },
        ),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 120 }),
        fc.integer({ min: 0, max: 120 }),
        fc.boolean(),
        (raw, n, sessionDay, todayDay, reverse) => {
          const history: ClinicRecord[] = raw.map((r) => ({ ...r, on: day(r.on) }));
          const d = evaluateClinicBooking({
            clinicNumber: n,
            sessionOn: day(sessionDay),
            today: day(todayDay),
            history: reverse ? [...history].reverse() : history,
            workingPattern: 'full_time',
          });
          const prev = raw.find((r) => r.clinicNumber === n - 1);
          const previousOk =
            n === 1 || (prev !== undefined && (prev.status !== 'booked' || prev.on < sessionDay));
          const laterClash = raw.some(
            (r) => r.clinicNumber > n && r.status !== 'missed' && r.on <= sessionDay,
          );
          const alreadyAttended = raw.some((r) => r.clinicNumber === n && r.status === 'attended');
          const allowed = sessionDay >= todayDay && !alreadyAttended && previousOk && !laterClash;
          expect(d.outcome).toBe(allowed ? 'allowed' : 'refused');
          expect(d.details.inSequence).toBe(previousOk && !laterClash);
          for (const r of d.reasons) expect(r.clause).toBe('2.2.1.2');
        },
      ),
    );
  });
});

describe('2.2.1.2 2.1.2 clinic decisions in full: the words the participant reads and the evidence', () => {
  const outOfSequence = {
    clinicNumber: 2,
    sessionOn: '2025-10-15',
    today: TODAY,
    history: [{ clinicNumber: 1, status: 'booked' as const, on: '2025-10-20' }],
  };
  const OUT_OF_SEQUENCE = [
    'CLINIC.OUT_OF_SEQUENCE',
    '2.2.1.2',
    false,
    'Clinics are attended in order: your clinic 1 is on 20 October 2025, so clinic 2 must be after that.',
    {
      clinicNumber: 2,
      sessionOn: '2025-10-15',
      today: TODAY,
      previousStatus: 'booked',
      previousOn: '2025-10-20',
    },
  ];
  const staff = {
    grantedBy: 'staff-17',
    grantedByRole: 'delivery_partner_staff',
    recordedOn: TODAY,
  };
  const full = (d: ReturnType<typeof evaluateClinicBooking>) =>
    d.reasons.map((r) => [r.code, r.clause, r.met, r.message, r.evidence]);

  it.each([
    {
      name: 'part-time with a staff accommodation: allowed, and recorded as allowed by accommodation',
      workingPattern: 'part_time' as const,
      accommodation,
      outcome: 'allowed',
      allowedByAccommodation: true,
      then: [
        [
          'CLINIC.ALLOWED_BY_ACCOMMODATION',
          '2.2.1.2',
          true,
          'Because you work part-time, your Delivery Partner has agreed this change to your clinic sequence.',
          { workingPattern: 'part_time', ...staff, note: accommodation.note },
        ],
        [
          'CLINIC.WORKING_PATTERN_CONSIDERED',
          '2.1.2',
          true,
          'Your working pattern was taken into account so you can keep engaging with the programme.',
          { workingPattern: 'part_time', ...staff },
        ],
      ],
    },
    {
      name: 'part-time without an accommodation: refused, and told who can record one',
      workingPattern: 'part_time' as const,
      accommodation: undefined,
      outcome: 'refused',
      allowedByAccommodation: false,
      then: [
        [
          'CLINIC.NO_ACCOMMODATION',
          '2.2.1.2',
          false,
          'If your part-time working pattern means you cannot attend clinics in order, ask your Delivery Partner: they can record a change for you.',
          { workingPattern: 'part_time', grantedBy: null, grantedByRole: null, recordedOn: null },
        ],
      ],
    },
    {
      name: 'full-time without an accommodation: refused, and asked to keep the order',
      workingPattern: 'full_time' as const,
      accommodation: undefined,
      outcome: 'refused',
      allowedByAccommodation: false,
      then: [
        [
          'CLINIC.NO_ACCOMMODATION',
          '2.2.1.2',
          false,
          'Clinics are attended in order. Please choose a date that keeps them in sequence.',
          { workingPattern: 'full_time', grantedBy: null, grantedByRole: null, recordedOn: null },
        ],
      ],
    },
    {
      name: 'full-time with an accommodation: only by a programme-team exception',
      workingPattern: 'full_time' as const,
      accommodation,
      outcome: 'needs_exception',
      allowedByAccommodation: false,
      then: [
        [
          'CLINIC.ACCOMMODATION_PART_TIME_ONLY',
          '2.2.1.2',
          false,
          'Changes to the clinic sequence are accommodated for participants who work part-time; for anyone else the programme team must approve it as an exception.',
          { workingPattern: 'full_time', ...staff },
        ],
      ],
    },
    {
      name: 'part-time with an accommodation recorded by the participant: not valid',
      workingPattern: 'part_time' as const,
      accommodation: { ...accommodation, grantedByRole: 'participant' as const },
      outcome: 'refused',
      allowedByAccommodation: false,
      then: [
        [
          'CLINIC.ACCOMMODATION_INVALID',
          '2.2.1.2',
          false,
          'A change to the clinic sequence must be recorded, with a note, by your Delivery Partner or the programme team.',
          { workingPattern: 'part_time', ...staff, grantedByRole: 'participant' },
        ],
      ],
    },
    ...(['programme_team', 'admin'] as const).map((grantedByRole) => ({
      name: `part-time with an accommodation recorded by ${grantedByRole}: allowed`,
      workingPattern: 'part_time' as const,
      accommodation: { ...accommodation, grantedByRole },
      outcome: 'allowed',
      allowedByAccommodation: true,
      then: [
        [
          'CLINIC.ALLOWED_BY_ACCOMMODATION',
          '2.2.1.2',
          true,
          'Because you work part-time, your Delivery Partner has agreed this change to your clinic sequence.',
          { workingPattern: 'part_time', ...staff, grantedByRole, note: accommodation.note },
        ],
        [
          'CLINIC.WORKING_PATTERN_CONSIDERED',
          '2.1.2',
          true,
          'Your working pattern was taken into account so you can keep engaging with the programme.',
          { workingPattern: 'part_time', ...staff, grantedByRole },
        ],
      ],
    })),
  ])(
    '2.2.1.2 booking clinic 2 before a booked clinic 1, $name',
    ({ workingPattern, accommodation: acc, outcome, allowedByAccommodation, then }) => {
      const d = evaluateClinicBooking({ ...outOfSequence, workingPattern, accommodation: acc });
      expect(d.outcome).toBe(outcome);
      expect(d.details).toEqual({ inSequence: false, allowedByAccommodation });
      expect(full(d)).toEqual([OUT_OF_SEQUENCE, ...then]);
    },
  );

  it('2.2.1.2 a passed date and an attended clinic are both refused, before the order is considered', () => {
    const d = book({
      sessionOn: '2025-09-01',
      history: [{ clinicNumber: 1, status: 'attended', on: '2025-09-01' }],
      workingPattern: 'part_time',
      accommodation,
    });
    const evidence = { clinicNumber: 1, sessionOn: '2025-09-01', today: TODAY };
    expect(d.outcome).toBe('refused');
    expect(d.details).toEqual({ inSequence: true, allowedByAccommodation: false });
    expect(full(d)).toEqual([
      [
        'CLINIC.DATE_PASSED',
        '2.2.1.2',
        false,
        'The clinic on 1 September 2025 has already taken place; please choose a later date.',
        evidence,
      ],
      [
        'CLINIC.ALREADY_ATTENDED',
        '2.2.1.2',
        false,
        'You have already attended clinic 1.',
        evidence,
      ],
      ['CLINIC.IN_SEQUENCE', '2.2.1.2', true, 'This is your first clinic.', evidence],
    ]);
  });

  it('2.2.1.2 a clinic booked today has not passed', () => {
    const d = book({ sessionOn: TODAY });
    expect(d.outcome).toBe('allowed');
    expect(full(d)).toEqual([
      [
        'CLINIC.IN_SEQUENCE',
        '2.2.1.2',
        true,
        'This is your first clinic.',
        { clinicNumber: 1, sessionOn: TODAY, today: TODAY },
      ],
    ]);
  });

  it('2.2.1.2 an accommodation is not needed, nor looked at, when the clinics are in order', () => {
    const d = book({
      clinicNumber: 2,
      sessionOn: '2025-11-20',
      history: [{ clinicNumber: 1, status: 'attended', on: '2025-09-20' }],
      workingPattern: 'part_time',
      accommodation,
    });
    expect(d.outcome).toBe('allowed');
    expect(d.details).toEqual({ inSequence: true, allowedByAccommodation: false });
    expect(full(d)).toEqual([
      [
        'CLINIC.IN_SEQUENCE',
        '2.2.1.2',
        true,
        'Clinic 1 comes first and is attended, so you can book clinic 2.',
        {
          clinicNumber: 2,
          sessionOn: '2025-11-20',
          today: TODAY,
          previousStatus: 'attended',
          previousOn: '2025-09-20',
        },
      ],
    ]);
  });

  it.each([
    {
      name: 'in order',
      history: [{ clinicNumber: 1, status: 'attended' as const, on: '2025-10-01' }],
      reason: ['CLINIC.IN_SEQUENCE', '2.2.1.2', true, 'Clinic 2 was attended in order.'],
    },
    {
      name: 'out of order',
      history: [],
      reason: [
        'CLINIC.OUT_OF_SEQUENCE',
        '2.2.1.2',
        false,
        'Clinics are attended in order: clinic 1 has not been attended before clinic 2.',
      ],
    },
  ])('2.2.1.2 attendance at clinic 2 $name, in the words shown', ({ history, reason }) => {
    const d = evaluateClinicAttendance({
      clinicNumber: 2,
      attendedOn: '2025-12-20',
      history,
      workingPattern: 'full_time',
    });
    expect(
      d.reasons.slice(0, 1).map((r) => [r.code, r.clause, r.met, r.message, r.evidence]),
    ).toEqual([[...reason, { clinicNumber: 2, attendedOn: '2025-12-20' }]]);
  });

  it.each([0, -1, 1.5, Number.NaN])(
    '2.2.1.2 clinic number %s is a programming error, said in words',
    (n) => {
      const message = `Clinic number must be 1 or more; got ${n}`;
      expect(() => book({ clinicNumber: n })).toThrow(new RangeError(message));
      expect(() =>
        evaluateClinicAttendance({
          clinicNumber: n,
          attendedOn: TODAY,
          history: [],
          workingPattern: 'full_time',
        }),
      ).toThrow(new RangeError(message));
    },
  );

  it.each([
    {
      name: 'nothing later depends on it',
      clinicNumber: 2,
      history: [{ clinicNumber: 1, status: 'booked' as const, on: '2026-01-01' }],
      outcome: 'allowed',
      reason: [
        'CLINIC.CANCELLATION_KEEPS_SEQUENCE',
        '2.2.1.2',
        true,
        'No later clinic depends on this one, so cancelling clinic 2 keeps your clinics in order.',
        { clinicNumber: 2, laterClinicNumber: null, laterOn: null },
      ],
      laterClinicNumber: null,
    },
    {
      name: 'a later clinic is booked on the strength of it',
      clinicNumber: 1,
      history: [{ clinicNumber: 2, status: 'booked' as const, on: '2026-03-01' }],
      outcome: 'refused',
      reason: [
        'CLINIC.LATER_CLINIC_BOOKED',
        '2.2.1.2',
        false,
        'Clinics are attended in order and you are booked on clinic 2 on 1 March 2026. Change clinic 1 to another date instead, or cancel clinic 2 first.',
        { clinicNumber: 1, laterClinicNumber: 2, laterOn: '2026-03-01' },
      ],
      laterClinicNumber: 2,
    },
  ])(
    '2.2.1.2 cancelling clinic $clinicNumber when $name -> $outcome, in the words shown',
    ({ clinicNumber, history, outcome, reason, laterClinicNumber }) => {
      const d = evaluateClinicCancellation({ clinicNumber, history });
      expect(d.outcome).toBe(outcome);
      expect(d.reasons.map((r) => [r.code, r.clause, r.met, r.message, r.evidence])).toEqual([
        reason,
      ]);
      expect(d.details).toEqual({ laterClinicNumber });
    },
  );
});

describe('2.2.1.2 the first clinic and clinics of the same number (mutation testing)', () => {
  it('clinic 1 attended with no clinic before it is in order, for full- and part-time alike', () => {
    for (const workingPattern of ['full_time', 'part_time'] as const) {
      const d = evaluateClinicAttendance({
        clinicNumber: 1,
        attendedOn: '2025-10-20',
        history: [],
        workingPattern,
      });
      expect(d.outcome).toBe('allowed');
      expect(d.reasons.map((r) => [r.code, r.clause, r.met, r.message, r.evidence])).toEqual([
        [
          'CLINIC.IN_SEQUENCE',
          '2.2.1.2',
          true,
          'Clinic 1 was attended in order.',
          { clinicNumber: 1, attendedOn: '2025-10-20' },
        ],
      ]);
    }
  });

  it('another booked date of the same clinic does not stop it being cancelled: only a later clinic depends on it', () => {
    const d = evaluateClinicCancellation({
      clinicNumber: 2,
      history: [
        { clinicNumber: 1, status: 'attended', on: '2026-01-10' },
        { clinicNumber: 2, status: 'booked', on: '2026-02-12' },
      ],
    });
    expect(d.outcome).toBe('allowed');
    expect(d.details).toEqual({ laterClinicNumber: null });
    expect(d.reasons.map((r) => r.code)).toEqual(['CLINIC.CANCELLATION_KEEPS_SEQUENCE']);
  });
});

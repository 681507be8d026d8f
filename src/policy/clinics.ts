/**
 * Clinics (policy 2.2.1.2, with 2.1.2 and 2.2.1). Clinics build on each other, so they are attended
 * in sequence. The rule we apply: you may book clinic n on a date once clinic n-1 is attended, or is
 * booked for an earlier date; and a booking may not jump ahead of a later clinic you have already
 * booked. A clinic is attended only after the previous one was attended. Staff may record an
 * accommodation that allows a change to this for a participant who works part-time; the decision
 * then says it was allowed by accommodation, so the record shows why the sequence was broken.
 */
import type { Role, WorkingPattern } from '../domain/catalogue.js';
import { decision, reason } from './decision.js';
import type { Decision, Reason, RuleMetadata } from './decision.js';
import { formatLongDate, isBefore } from './dates.js';
import type { IsoDate } from './dates.js';
import { POLICY_REGISTER } from './register.js';
import type { PolicyRegister } from './register.js';

export interface ClinicRecord {
  /** 1 for the first clinic of the programme, 2 for the next, and so on. */
  readonly clinicNumber: number;
  /**
   * 'missed': every date of this clinic has passed and the participant did not attend. Missing a
   * clinic costs engagement (2.1.1) but must not stop them going on to the next one.
   */
  readonly status: 'booked' | 'attended' | 'missed';
  /** The day attended or booked; for a missed clinic, its last date. */
  readonly on: IsoDate;
  /** Booked out of sequence with a staff accommodation, so it does not depend on the clinics before it. */
  readonly accommodated?: boolean;
}

/** A change to the clinic sequence agreed by staff (2.2.1.2: "we will seek to accommodate changes"). */
export interface ClinicAccommodation {
  readonly grantedBy: string;
  readonly grantedByRole: Role;
  readonly recordedOn: IsoDate;
  readonly note: string;
}

export interface ClinicBookingInput {
  readonly clinicNumber: number;
  /** The date of the clinic session being booked. */
  readonly sessionOn: IsoDate;
  readonly today: IsoDate;
  readonly history: readonly ClinicRecord[];
  readonly workingPattern: WorkingPattern;
  readonly accommodation?: ClinicAccommodation;
}

export interface ClinicDecisionDetails {
  readonly inSequence: boolean;
  readonly allowedByAccommodation: boolean;
}

export type ClinicDecision = Decision<
  'allowed' | 'refused' | 'needs_exception',
  ClinicDecisionDetails
>;

/** Staff roles that may record an accommodation. */
export const ACCOMMODATION_ROLES: readonly Role[] = [
  'delivery_partner_staff',
  'programme_team',
  'admin',
];

function latest(history: readonly ClinicRecord[], clinicNumber: number): ClinicRecord | undefined {
  const of = (status: ClinicRecord['status']) =>
    history.find((r) => r.clinicNumber === clinicNumber && r.status === status);
  return of('attended') ?? of('booked') ?? of('missed');
}

/**
 * When the sequence is broken, the accommodation decides: allowed for a part-time participant with
 * an accommodation recorded by staff; otherwise only by exception (full-time) or not at all.
 */
function resolveSequence(
  sequenceReasons: Reason[],
  input: { workingPattern: WorkingPattern; accommodation?: ClinicAccommodation },
  register: PolicyRegister,
  extraReasons: Reason[],
): ClinicDecision {
  const inSequence = sequenceReasons.every((r) => r.met);
  const reasons = [...extraReasons, ...sequenceReasons];
  if (extraReasons.some((r) => !r.met)) {
    return decision(register.version, 'refused', reasons, {
      inSequence,
      allowedByAccommodation: false,
    });
  }
  if (inSequence) {
    return decision(register.version, 'allowed', reasons, {
      inSequence,
      allowedByAccommodation: false,
    });
  }
  const acc = input.accommodation;
  const evidence = {
    workingPattern: input.workingPattern,
    grantedBy: acc?.grantedBy ?? null,
    grantedByRole: acc?.grantedByRole ?? null,
    recordedOn: acc?.recordedOn ?? null,
  };
  if (acc === undefined) {
    reasons.push(
      reason(
        'CLINIC.NO_ACCOMMODATION',
        '2.2.1.2',
        false,
        input.workingPattern === 'part_time'
          ? 'If your part-time working pattern means you cannot attend clinics in order, ask your Delivery Partner: they can record a change for you.'
          : 'Clinics are attended in order. Please choose a date that keeps them in sequence.',
        evidence,
      ),
    );
    return decision(register.version, 'refused', reasons, {
      inSequence,
      allowedByAccommodation: false,
    });
  }
  if (!ACCOMMODATION_ROLES.includes(acc.grantedByRole) || acc.note.trim() === '') {
    reasons.push(
      reason(
        'CLINIC.ACCOMMODATION_INVALID',
        '2.2.1.2',
        false,
        'A change to the clinic sequence must be recorded, with a note, by your Delivery Partner or the programme team.',
        evidence,
      ),
    );
    return decision(register.version, 'refused', reasons, {
      inSequence,
      allowedByAccommodation: false,
    });
  }
  if (input.workingPattern !== 'part_time') {
    reasons.push(
      reason(
        'CLINIC.ACCOMMODATION_PART_TIME_ONLY',
        '2.2.1.2',
        false,
        'Changes to the clinic sequence are accommodated for participants who work part-time; for anyone else the programme team must approve it as an exception.',
        evidence,
      ),
    );
    return decision(register.version, 'needs_exception', reasons, {
      inSequence,
      allowedByAccommodation: false,
    });
  }
  reasons.push(
    reason(
      'CLINIC.ALLOWED_BY_ACCOMMODATION',
      '2.2.1.2',
      true,
      'Because you work part-time, your Delivery Partner has agreed this change to your clinic sequence.',
      { ...evidence, note: acc.note },
    ),
    reason(
      'CLINIC.WORKING_PATTERN_CONSIDERED',
      '2.1.2',
      true,
      'Your working pattern was taken into account so you can keep engaging with the programme.',
      evidence,
    ),
  );
  return decision(register.version, 'allowed', reasons, {
    inSequence,
    allowedByAccommodation: true,
  });
}

export function evaluateClinicBooking(
  input: ClinicBookingInput,
  register: PolicyRegister = POLICY_REGISTER,
): ClinicDecision {
  const n = input.clinicNumber;
  if (!Number.isSafeInteger(n) || n < 1)
    throw new RangeError(`Clinic number must be 1 or more; got ${n}`);
  const evidence = { clinicNumber: n, sessionOn: input.sessionOn, today: input.today };
  const extra: Reason[] = [];
  if (isBefore(input.sessionOn, input.today)) {
    extra.push(
      reason(
        'CLINIC.DATE_PASSED',
        '2.2.1.2',
        false,
        `The clinic on ${formatLongDate(input.sessionOn)} has already taken place; please choose a later date.`,
        evidence,
      ),
    );
  }
  if (input.history.some((r) => r.clinicNumber === n && r.status === 'attended')) {
    extra.push(
      reason(
        'CLINIC.ALREADY_ATTENDED',
        '2.2.1.2',
        false,
        `You have already attended clinic ${n}.`,
        evidence,
      ),
    );
  }

  const sequence: Reason[] = [];
  if (n > 1) {
    const previous = latest(input.history, n - 1);
    const ok =
      previous !== undefined &&
      (previous.status !== 'booked' || isBefore(previous.on, input.sessionOn));
    const previousState =
      previous?.status === 'attended'
        ? 'attended'
        : previous?.status === 'missed'
          ? 'missed (all its dates have passed, which counts against your engagement)'
          : 'booked for an earlier date';
    sequence.push(
      ok
        ? reason(
            'CLINIC.IN_SEQUENCE',
            '2.2.1.2',
            true,
            `Clinic ${n - 1} comes first and is ${previousState}, so you can book clinic ${n}.`,
            {
              ...evidence,
              // Stryker disable next-line OptionalChaining: equivalent, `ok` is true only when previous is defined
              previousStatus: previous?.status ?? null,
              // Stryker disable next-line OptionalChaining: equivalent, `ok` is true only when previous is defined
              previousOn: previous?.on ?? null,
            },
          )
        : reason(
            'CLINIC.OUT_OF_SEQUENCE',
            '2.2.1.2',
            false,
            previous === undefined
              ? `Clinics are attended in order: book clinic ${n - 1} before clinic ${n}.`
              : `Clinics are attended in order: your clinic ${n - 1} is on ${formatLongDate(previous.on)}, so clinic ${n} must be after that.`,
            {
              ...evidence,
              previousStatus: previous?.status ?? null,
              previousOn: previous?.on ?? null,
            },
          ),
    );
  }
  const laterClash = input.history.find(
    (r) => r.status !== 'missed' && r.clinicNumber > n && !isBefore(input.sessionOn, r.on),
  );
  if (laterClash) {
    sequence.push(
      reason(
        'CLINIC.AFTER_LATER_CLINIC',
        '2.2.1.2',
        false,
        `Clinics are attended in order: clinic ${n} must come before your clinic ${laterClash.clinicNumber} on ${formatLongDate(laterClash.on)}.`,
        { ...evidence, laterClinicNumber: laterClash.clinicNumber, laterOn: laterClash.on },
      ),
    );
  }
  if (n === 1 && !laterClash) {
    sequence.push(
      reason('CLINIC.IN_SEQUENCE', '2.2.1.2', true, 'This is your first clinic.', evidence),
    );
  }
  return resolveSequence(sequence, input, register, extra);
}

export interface ClinicAttendanceInput {
  readonly clinicNumber: number;
  readonly attendedOn: IsoDate;
  readonly history: readonly ClinicRecord[];
  readonly workingPattern: WorkingPattern;
  readonly accommodation?: ClinicAccommodation;
}

/** Recording attendance: clinic n counts in sequence once clinic n-1 was attended. */
export function evaluateClinicAttendance(
  input: ClinicAttendanceInput,
  register: PolicyRegister = POLICY_REGISTER,
): ClinicDecision {
  const n = input.clinicNumber;
  if (!Number.isSafeInteger(n) || n < 1)
    throw new RangeError(`Clinic number must be 1 or more; got ${n}`);
  const evidence = { clinicNumber: n, attendedOn: input.attendedOn };
  // A missed earlier clinic does not hold the participant back (see ClinicRecord).
  const previousAttended =
    n === 1 ||
    input.history.some(
      (r) =>
        r.clinicNumber === n - 1 &&
        (r.status === 'attended' || r.status === 'missed') &&
        isBefore(r.on, input.attendedOn),
    );
  const sequence = [
    previousAttended
      ? reason(
          'CLINIC.IN_SEQUENCE',
          '2.2.1.2',
          true,
          `Clinic ${n} was attended in order.`,
          evidence,
        )
      : reason(
          'CLINIC.OUT_OF_SEQUENCE',
          '2.2.1.2',
          false,
          `Clinics are attended in order: clinic ${n - 1} has not been attended before clinic ${n}.`,
          evidence,
        ),
  ];
  return resolveSequence(sequence, input, register, []);
}

export interface ClinicCancellationInput {
  readonly clinicNumber: number;
  /** The participant's clinics, without the booking being cancelled. */
  readonly history: readonly ClinicRecord[];
}

/**
 * Cancelling clinic n while a later clinic is booked in sequence on the strength of it would leave
 * that later one out of order, so it is refused: change this one to another date, or cancel the
 * later booking first. A later booking made with a staff accommodation does not depend on it.
 */
export function evaluateClinicCancellation(
  input: ClinicCancellationInput,
  register: PolicyRegister = POLICY_REGISTER,
): Decision<'allowed' | 'refused', { laterClinicNumber: number | null }> {
  const n = input.clinicNumber;
  const later = input.history
    .filter((r) => r.clinicNumber > n && r.status === 'booked' && !r.accommodated)
    .sort((a, b) => a.clinicNumber - b.clinicNumber)[0];
  const evidence = {
    clinicNumber: n,
    laterClinicNumber: later?.clinicNumber ?? null,
    laterOn: later?.on ?? null,
  };
  return later
    ? decision(
        register.version,
        'refused',
        [
          reason(
            'CLINIC.LATER_CLINIC_BOOKED',
            '2.2.1.2',
            false,
            `Clinics are attended in order and you are booked on clinic ${later.clinicNumber} on ${formatLongDate(later.on)}. Change clinic ${n} to another date instead, or cancel clinic ${later.clinicNumber} first.`,
            evidence,
          ),
        ],
        { laterClinicNumber: later.clinicNumber },
      )
    : decision(
        register.version,
        'allowed',
        [
          reason(
            'CLINIC.CANCELLATION_KEEPS_SEQUENCE',
            '2.2.1.2',
            true,
            `No later clinic depends on this one, so cancelling clinic ${n} keeps your clinics in order.`,
            evidence,
          ),
        ],
        { laterClinicNumber: null },
      );
}

export const CLINIC_RULES: readonly RuleMetadata[] = [
  {
    rule: 'evaluateClinicBooking',
    file: 'src/policy/clinics.ts',
    clauses: ['2.1.2', '2.2.1', '2.2.1.2'],
    summary:
      'Clinic n may be booked once clinic n-1 is attended or booked earlier, and never after a later clinic; a staff accommodation allows a change for a part-time participant and is recorded as such.',
  },
  {
    rule: 'evaluateClinicCancellation',
    file: 'src/policy/clinics.ts',
    clauses: ['2.2.1.2'],
    summary:
      'A clinic booking may be cancelled unless a later clinic booked in sequence depends on it.',
  },
  {
    rule: 'evaluateClinicAttendance',
    file: 'src/policy/clinics.ts',
    clauses: ['2.2.1.2'],
    summary: 'Attendance at clinic n is in sequence when clinic n-1 was attended first.',
  },
];

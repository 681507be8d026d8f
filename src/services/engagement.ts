import { parse } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { arrayParam, queryRows, type Db } from '../db/client.js';
import { copyCell, copyText } from '../db/copy.js';
import {
  enrolmentFactsStatement,
  factsFromRow,
  loadEnrolmentFacts,
  type EnrolmentFacts,
  type FactsRow,
} from '../db/queries/enrolment-facts.js';
import {
  ACTIVITY_KINDS,
  ENGAGEMENT_SOURCES,
  type ActivityKind,
  type EngagementSource,
  type Role,
} from '../domain/catalogue.js';
import {
  evaluateClinicAttendance,
  evaluateCoachingEntitlement,
  evaluateEngagement,
  evaluateProgrammeAccess,
  evaluateStudySessionAccess,
  isCoachingCourse,
  londonDateOf,
  type AccessInput,
  type ClinicAccommodation,
  type Decision,
  type SessionAccessDecision,
  type PolicyRegister,
} from '../policy/index.js';
import { csvCellProblem } from '../domain/text.js';
import type { Actor } from './actor.js';
import { audit } from './audit.js';
import { enrolmentVisibleTo, requireEnrolment } from './authorisation.js';
import { loadClinicHistory, type AccommodationInput, type Tx } from './bookings.js';
import { commenceDueInBulk, commenceIfDue } from './commencement.js';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PolicyRefusalError,
  ValidationError,
  type FieldError,
} from './errors.js';
import type { ServiceDeps } from './participants.js';
import { engagementDecisionOf } from './engagement-decision.js';
import { registerInForce } from './policy-register.js';

/**
 * Engagement evidence (policy 2.1.1, 2.1.3, 2.2.1.1): study sessions completed in sequence,
 * attendance at clinics, community sessions, conferences and coaching, and bulk feeds (JSON, CSV,
 * xAPI). Every record is keyed by (source, source_event_id), so a retry, a re-sent statement or a
 * re-run import lands once.
 */

type Executor = Pick<Db, 'execute'>;

/** Roles that may feed engagement in bulk; a delivery partner only for its own participants. */
const INGEST_ROLES: readonly Role[] = ['admin', 'programme_team', 'delivery_partner_staff'];
const EVENT_KINDS: readonly ActivityKind[] = ['clinic', 'community_session', 'conference'];
const INGEST_CHUNK = 5_000;
/** Rows per staging COPY and transaction in ingestEngagement (the import runner's page, too). */
export const COPY_CHUNK = 25_000;

/** The source event id of a platform completion: the same session completed twice lands once. */
export const sessionEventId = (participantId: number, activityId: number) =>
  `session-${participantId}-${activityId}`;
/** The source event id of attendance recorded by staff, one per participant and activity. */
export const attendanceEventId = (participantId: number, activityId: number) =>
  `attendance-${participantId}-${activityId}`;

/* ------------------------------------------------------------------------------------------ */
/* Study sessions                                                                              */
/* ------------------------------------------------------------------------------------------ */

async function loadFacts(db: Executor, enrolmentId: number): Promise<EnrolmentFacts> {
  const facts = await loadEnrolmentFacts(db, enrolmentId);
  if (!facts) throw new NotFoundError('Enrolment not found');
  return facts;
}

/** The access rule's input: content stays open to the end of a re-joined cohort after a deferral. */
function accessInput(facts: EnrolmentFacts, today: string): AccessInput {
  return {
    modules: facts.modules,
    sessions: facts.sessions,
    completedSessionIds: facts.completedActivityIds,
    today,
    enrolmentStatus: facts.enrolment.status,
    programmeEndsOn: facts.cohort.endDate,
    ...(facts.rejoinCohortEndsOn ? { rejoinCohortEndsOn: facts.rejoinCohortEndsOn } : {}),
  };
}

export interface CompletionResult {
  enrolmentId: number;
  activityId: number;
  /** False when the session was already complete: nothing was written. */
  changed: boolean;
  decision: SessionAccessDecision;
}

/**
 * A participant completes a study session (or staff who may change the record do so for them).
 * Refused, with the access rule's reasons, when an earlier session is not done or the content is
 * not open; completing a completed session changes nothing.
 */
export async function completeStudySession(
  deps: ServiceDeps,
  actor: Actor,
  input: { enrolmentId: number; activityId: number },
): Promise<CompletionResult> {
  return deps.db.transaction(async (tx) => {
    await requireEnrolment(tx, actor, input.enrolmentId, 'write', { participantMayWrite: true });
    const facts = await loadFacts(tx, input.enrolmentId);
    const sessionId = String(input.activityId);
    if (!facts.sessions.some((s) => s.id === sessionId)) {
      throw new NotFoundError('Study session not found');
    }
    const now = deps.clock.now();
    const today = londonDateOf(now);
    const decision = evaluateStudySessionAccess(
      accessInput(facts, today),
      sessionId,
      await registerInForce(tx, today),
    );
    const base = { enrolmentId: input.enrolmentId, activityId: input.activityId, decision };
    if (decision.details.state === 'done') return { ...base, changed: false };
    if (decision.outcome !== 'allowed') throw new PolicyRefusalError(decision);

    const participantId = facts.participant.id;
    const inserted = await insertRecords(
      tx,
      [
        {
          participantId,
          activityId: input.activityId,
          kind: 'study_session',
          occurredAt: now,
          source: 'platform',
          sourceEventId: sessionEventId(participantId, input.activityId),
        },
      ],
      now,
    );
    if (inserted === 0) return { ...base, changed: false };
    await audit(tx, {
      what: 'STUDY_SESSION_COMPLETED',
      who: actor,
      subjectType: 'enrolment',
      subjectId: input.enrolmentId,
      details: { activityId: input.activityId, participantId, decision },
      at: now,
    });
    // The first engagement may complete the start of the programme (2.3.2).
    await commenceIfDue(tx, {
      participantIds: [participantId],
      who: actor,
      at: now,
      trigger: 'study_session_completed',
    });
    return { ...base, changed: true };
  });
}

/* ------------------------------------------------------------------------------------------ */
/* Attendance                                                                                  */
/* ------------------------------------------------------------------------------------------ */

export interface AttendanceInput {
  enrolmentId: number;
  cohortEventId?: number | undefined;
  coachingSessionId?: number | undefined;
  /** Staff agreeing, for a part-time participant, that a clinic attended out of order counts (2.2.1.2). */
  accommodation?: AccommodationInput | undefined;
}

export interface AttendanceResult {
  enrolmentId: number;
  activityId: number;
  kind: ActivityKind;
  /** False when this attendance was already recorded. */
  changed: boolean;
  bookingId: number | null;
  coachingSessionId: number | null;
  /** The clinic sequence decision (2.2.1.2) or the coaching entitlement (2.2.1.3); null for other events. */
  decision: Decision | null;
}

/**
 * Records attendance at a clinic, community session or conference (a cohort event) or at a coaching
 * session, and marks the matching booking or session attended. Delivery-partner staff, the
 * programme team and admins record for participants they can see; a facilitator for events
 * assigned to them; a coach for their own participants' coaching.
 */
export async function recordAttendance(
  deps: ServiceDeps,
  actor: Actor,
  input: AttendanceInput,
): Promise<AttendanceResult> {
  if ((input.cohortEventId === undefined) === (input.coachingSessionId === undefined)) {
    throw new ValidationError([
      { path: 'cohortEventId', message: 'Give either a cohort event or a coaching session.' },
    ]);
  }
  return deps.db.transaction(async (tx) => {
    const facilitatorOfEvent =
      actor.role === 'facilitator' &&
      input.cohortEventId !== undefined &&
      (
        await queryRows(
          tx,
          sql`select 1 from staff_assignment where user_id = ${actor.userId} and cohort_event_id = ${input.cohortEventId}`,
        )
      ).length > 0;
    if (!facilitatorOfEvent) {
      await requireEnrolment(tx, actor, input.enrolmentId);
      // A coach may see only their assigned participants, so seeing the enrolment is the check.
      const coachOfSession = actor.role === 'coach' && input.coachingSessionId !== undefined;
      if (!coachOfSession) await requireEnrolment(tx, actor, input.enrolmentId, 'write');
    }
    const facts = await loadFacts(tx, input.enrolmentId);
    return input.cohortEventId !== undefined
      ? attendEvent(tx, deps, actor, facts, input.cohortEventId, input.accommodation)
      : attendCoaching(tx, deps, actor, facts, input.coachingSessionId!);
  });
}

async function attendEvent(
  tx: Tx,
  deps: ServiceDeps,
  actor: Actor,
  facts: EnrolmentFacts,
  cohortEventId: number,
  accommodationInput: AccommodationInput | undefined,
): Promise<AttendanceResult> {
  const now = deps.clock.now();
  const participantId = facts.participant.id;
  const [event] = await queryRows<{
    activity_id: number;
    kind: ActivityKind;
    sequence_number: number;
    programme_id: number;
    cohort_id: number;
    starts_at: string | Date;
  }>(
    tx,
    sql`select ce.activity_id, a.kind, a.sequence_number, a.programme_id, ce.cohort_id, ce.starts_at
        from cohort_event ce join programme_activity a on a.id = ce.activity_id where ce.id = ${cohortEventId}`,
  );
  if (!event || event.cohort_id !== facts.cohort.id) throw new NotFoundError('Event not found');
  if (!EVENT_KINDS.includes(event.kind)) {
    throw new ValidationError([
      {
        path: 'cohortEventId',
        message: 'Attendance is recorded for clinics, community sessions and conferences.',
      },
    ]);
  }
  const startsAt = new Date(event.starts_at);
  if (startsAt > now) {
    throw new ValidationError([
      { path: 'cohortEventId', message: 'This session has not taken place yet.' },
    ]);
  }
  const [booking] = await queryRows<{ id: number; status: string; accommodation: string | null }>(
    tx,
    sql`select id, status, accommodation from event_booking
        where participant_id = ${participantId} and cohort_event_id = ${cohortEventId} and status <> 'cancelled'
        for update`,
  );
  const base = {
    enrolmentId: facts.enrolment.id,
    activityId: event.activity_id,
    kind: event.kind,
    bookingId: booking?.id ?? null,
    coachingSessionId: null,
  };
  const already = facts.completedActivityIds.has(String(event.activity_id));
  if (already && (!booking || booking.status === 'attended')) {
    return { ...base, changed: false, decision: null };
  }

  let decision: Decision | null = null;
  if (event.kind === 'clinic' && !already) {
    const accommodation =
      accommodationFromInput(actor, accommodationInput, londonDateOf(now)) ??
      (booking?.accommodation
        ? await accommodationOfBooking(tx, booking.id, booking.accommodation)
        : undefined);
    const attendedOn = londonDateOf(startsAt);
    const clinic = evaluateClinicAttendance(
      {
        clinicNumber: event.sequence_number,
        attendedOn,
        history: await loadClinicHistory(tx, participantId, event.programme_id, {
          missedIn: { cohortId: facts.cohort.id, today: attendedOn },
        }),
        workingPattern: facts.participant.workingPattern,
        ...(accommodation ? { accommodation } : {}),
      },
      // The clinic rules of the version in force on the day of the clinic.
      await registerInForce(tx, attendedOn),
    );
    if (clinic.outcome !== 'allowed') throw new PolicyRefusalError(clinic);
    decision = clinic;
  }

  await insertRecords(
    tx,
    [
      {
        participantId,
        activityId: event.activity_id,
        kind: event.kind,
        occurredAt: startsAt,
        source: 'staff',
        sourceEventId: attendanceEventId(participantId, event.activity_id),
      },
    ],
    now,
  );
  if (booking && booking.status === 'booked') {
    await tx.execute(sql`update event_booking set status = 'attended' where id = ${booking.id}`);
  }
  await audit(tx, {
    what: 'ATTENDANCE_RECORDED',
    who: actor,
    subjectType: booking ? 'event_booking' : 'enrolment',
    subjectId: booking?.id ?? facts.enrolment.id,
    details: {
      enrolmentId: facts.enrolment.id,
      cohortEventId,
      activityId: event.activity_id,
      kind: event.kind,
      decision,
    },
    at: now,
  });
  await commenceIfDue(tx, {
    participantIds: [participantId],
    who: actor,
    at: now,
    trigger: 'attendance_recorded',
  });
  return { ...base, changed: true, decision };
}

function accommodationFromInput(
  actor: Actor,
  input: AccommodationInput | undefined,
  today: string,
): ClinicAccommodation | undefined {
  return input
    ? {
        grantedBy: actor.displayName,
        grantedByRole: actor.role,
        recordedOn: today,
        note: input.note,
      }
    : undefined;
}

/** The accommodation agreed at booking, with who agreed it (kept in the booking's audit event). */
async function accommodationOfBooking(
  tx: Executor,
  bookingId: number,
  note: string,
): Promise<ClinicAccommodation | undefined> {
  const [row] = await queryRows<{ accommodation: ClinicAccommodation | null }>(
    tx,
    sql`select details->'accommodation' as accommodation from audit_event
        where subject_type = 'event_booking' and subject_id = ${String(bookingId)}
          and details ? 'accommodation' and details->'accommodation' <> 'null'::jsonb
        order by id desc limit 1`,
  );
  return row?.accommodation ? { ...row.accommodation, note } : undefined;
}

async function attendCoaching(
  tx: Tx,
  deps: ServiceDeps,
  actor: Actor,
  facts: EnrolmentFacts,
  sessionId: number,
): Promise<AttendanceResult> {
  const now = deps.clock.now();
  const [session] = await queryRows<{
    id: number;
    enrolment_id: number;
    coach_user_id: number;
    activity_id: number;
    starts_at: string | Date;
    status: string;
  }>(
    tx,
    sql`select id, enrolment_id, coach_user_id, activity_id, starts_at, status from coaching_session
        where id = ${sessionId} for update`,
  );
  if (!session || session.enrolment_id !== facts.enrolment.id) {
    throw new NotFoundError('Coaching session not found');
  }
  const base = {
    enrolmentId: facts.enrolment.id,
    activityId: session.activity_id,
    kind: 'coaching' as const,
    bookingId: null,
    coachingSessionId: session.id,
  };
  const decision = evaluateCoachingEntitlement(
    { course: facts.cohort.course },
    await registerInForce(tx, londonDateOf(new Date(session.starts_at))),
  );
  if (session.status === 'attended') return { ...base, changed: false, decision };
  if (session.status === 'cancelled') {
    throw new ConflictError('This coaching session was cancelled, so it cannot be attended.');
  }
  if (decision.outcome !== 'allowed') throw new PolicyRefusalError(decision);
  const startsAt = new Date(session.starts_at);
  if (startsAt > now) {
    throw new ValidationError([
      { path: 'coachingSessionId', message: 'This coaching session has not taken place yet.' },
    ]);
  }
  await insertRecords(
    tx,
    [
      {
        participantId: facts.participant.id,
        activityId: session.activity_id,
        kind: 'coaching',
        occurredAt: startsAt,
        source: 'staff',
        sourceEventId: attendanceEventId(facts.participant.id, session.activity_id),
      },
    ],
    now,
  );
  await tx.execute(sql`update coaching_session set status = 'attended' where id = ${session.id}`);
  await audit(tx, {
    what: 'COACHING_ATTENDED',
    who: actor,
    subjectType: 'coaching_session',
    subjectId: session.id,
    details: { enrolmentId: facts.enrolment.id, activityId: session.activity_id, decision },
    at: now,
  });
  await commenceIfDue(tx, {
    participantIds: [facts.participant.id],
    who: actor,
    at: now,
    trigger: 'coaching_attended',
  });
  return { ...base, changed: true, decision };
}

/* ------------------------------------------------------------------------------------------ */
/* Bulk ingest: JSON batch, CSV, xAPI                                                          */
/* ------------------------------------------------------------------------------------------ */

export interface EngagementRow {
  participantId: number;
  activityId: number;
  kind: ActivityKind;
  occurredAt: Date;
  source: EngagementSource;
  sourceEventId: string;
}

/** Set-based insert; rows already there (same source and source event id) are skipped. */
export async function insertRecords(
  tx: Executor,
  rows: readonly EngagementRow[],
  now: Date,
): Promise<number> {
  if (rows.length === 0) return 0;
  const [result] = await queryRows<{ n: number }>(
    tx,
    sql`with ins as (
          insert into engagement_record (participant_id, activity_id, kind, occurred_at, source, source_event_id, recorded_at)
          select u.participant_id, u.activity_id, u.kind, to_timestamp(u.at), u.source, u.source_event_id, ${now}
          from unnest(
            ${arrayParam(rows.map((r) => r.participantId))}::int[],
            ${arrayParam(rows.map((r) => r.activityId))}::int[],
            ${arrayParam(rows.map((r) => r.kind))}::text[],
            ${arrayParam(rows.map((r) => r.occurredAt.getTime() / 1000))}::float8[],
            ${arrayParam(rows.map((r) => r.source))}::text[],
            ${arrayParam(rows.map((r) => r.sourceEventId))}::text[]
          ) as u(participant_id, activity_id, kind, at, source, source_event_id)
          on conflict (source, source_event_id) do nothing
          returning 1)
        select count(*)::int as n from ins`,
  );
  return result?.n ?? 0;
}

/**
 * Who a row is about. `trn:`, `email:` or `id:` say it outright; otherwise an address with @ is
 * an email, seven digits a TRN, and any other whole number a participant id.
 */
export function parseParticipantRef(
  value: string,
): { by: 'trn' | 'email' | 'id'; key: string } | null {
  const v = value.trim();
  const prefixed = /^(trn|email|id):(.+)$/i.exec(v);
  if (prefixed) {
    const by = prefixed[1]!.toLowerCase() as 'trn' | 'email' | 'id';
    const key = prefixed[2]!.trim();
    if (by === 'trn' && !/^\d{7}$/.test(key)) return null;
    if (by === 'id' && !/^\d{1,9}$/.test(key)) return null;
    return { by, key: by === 'email' ? key.toLowerCase() : key };
  }
  if (v.includes('@')) return { by: 'email', key: v.toLowerCase() };
  if (/^\d{7}$/.test(v)) return { by: 'trn', key: v };
  if (/^\d{1,9}$/.test(v)) return { by: 'id', key: v };
  return null;
}

export const IngestRowSchema = z.object({
  participant: z
    .string({ message: 'Enter the participant (TRN, email or participant id)' })
    .trim()
    .min(1, 'Enter the participant (TRN, email or participant id)')
    .refine(
      (v) => parseParticipantRef(v) !== null,
      'Enter a TRN (7 digits), an email address or a participant id',
    ),
  activityId: z.coerce
    .number({ message: 'Activity id must be a whole number' })
    .int('Activity id must be a whole number')
    .positive('Activity id must be a whole number')
    .max(2_147_483_647, 'Activity id must be a whole number'),
  kind: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z
      .enum(ACTIVITY_KINDS, { message: `Kind must be one of ${ACTIVITY_KINDS.join(', ')}` })
      .optional(),
  ),
  occurredAt: z.iso.datetime({
    offset: true,
    message: 'Enter when it happened as a date and time, e.g. 2026-03-01T10:00:00Z',
  }),
  source: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z
      .enum(ENGAGEMENT_SOURCES, {
        message: `Source must be one of ${ENGAGEMENT_SOURCES.join(', ')}`,
      })
      .default('import'),
  ),
  sourceEventId: z
    .string({ message: 'Enter the source event id' })
    .trim()
    .min(1, 'Enter the source event id')
    .max(200, 'The source event id must be 200 characters or fewer'),
});

export type IngestRowInput = z.input<typeof IngestRowSchema>;

export interface IngestError {
  /** 0-based position in the batch. */
  index: number;
  /** The CSV line (the header is line 1); null for JSON. */
  line: number | null;
  field: string;
  message: string;
}

export interface IngestResult {
  received: number;
  inserted: number;
  /** Valid rows already recorded (the same source and source event id), e.g. on a re-run. */
  duplicates: number;
  errors: IngestError[];
}

/** CSV column for each row field, so CSV errors name the column the user wrote. */
export const ENGAGEMENT_CSV_COLUMNS = {
  participant: 'participant',
  activityId: 'activity_id',
  kind: 'kind',
  occurredAt: 'occurred_at',
  source: 'source',
  sourceEventId: 'source_event_id',
} as const;

interface ValidRow {
  index: number;
  ref: { by: 'trn' | 'email' | 'id'; key: string };
  activityId: number;
  kind: ActivityKind | undefined;
  occurredAt: Date;
  source: EngagementSource;
  sourceEventId: string;
}

interface Resolved {
  rows: EngagementRow[];
  errors: { index: number; field: keyof typeof ENGAGEMENT_CSV_COLUMNS; message: string }[];
}

type IngestFieldError = Resolved['errors'][number];

const ISO_DATETIME = z.regexes.datetime({ offset: true });
const KIND_SET: ReadonlySet<string> = new Set(ACTIVITY_KINDS);
const SOURCE_SET: ReadonlySet<string> = new Set(ENGAGEMENT_SOURCES);
/** Any NUL or UTF-16 surrogate at all (paired or not): only then can csvCellProblem find something. */
const MAYBE_BAD_TEXT = /[\0\uD800-\uDFFF]/;
const WHOLE_NUMBER_TEXT = /^[1-9][0-9]{0,9}$/;

/**
 * What IngestRowSchema gives for a row that is plainly valid (the usual case in a large import),
 * without building zod's issue machinery per row; null sends the row through zod and csvCellProblem
 * for their messages. It accepts only what they accept and returns exactly their output (a
 * property test holds it to that, test/services/ingest-row.test.ts).
 */
export function quickIngestRow(raw: object): z.output<typeof IngestRowSchema> | null {
  return quickRow(raw)?.data ?? null;
}

type ParticipantRef = NonNullable<ReturnType<typeof parseParticipantRef>>;

function quickRow(
  raw: object,
): { data: z.output<typeof IngestRowSchema>; ref: ParticipantRef } | null {
  const r = raw as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    const v = r[key];
    if (MAYBE_BAD_TEXT.test(key) || (typeof v === 'string' && MAYBE_BAD_TEXT.test(v))) return null;
  }
  const { participant, activityId, kind, occurredAt, source, sourceEventId } = r;
  if (
    typeof participant !== 'string' ||
    typeof occurredAt !== 'string' ||
    typeof sourceEventId !== 'string'
  ) {
    return null;
  }
  const who = participant.trim();
  const ref = parseParticipantRef(who);
  if (ref === null) return null;
  const id =
    typeof activityId === 'number'
      ? activityId
      : typeof activityId === 'string' && WHOLE_NUMBER_TEXT.test(activityId)
        ? Number(activityId)
        : Number.NaN;
  if (!Number.isInteger(id) || id <= 0 || id > 2_147_483_647) return null;
  let kindOut: ActivityKind | undefined;
  if (kind !== undefined) {
    if (typeof kind !== 'string') return null;
    if (kind.trim() !== '') {
      if (!KIND_SET.has(kind)) return null;
      kindOut = kind as ActivityKind;
    }
  }
  let sourceOut: EngagementSource = 'import';
  if (source !== undefined) {
    if (typeof source !== 'string') return null;
    if (source.trim() !== '') {
      if (!SOURCE_SET.has(source)) return null;
      sourceOut = source as EngagementSource;
    }
  }
  if (!ISO_DATETIME.test(occurredAt)) return null;
  const eventId = sourceEventId.trim();
  if (eventId.length < 1 || eventId.length > 200) return null;
  return {
    data: {
      participant: who,
      activityId: id,
      kind: kindOut,
      occurredAt,
      source: sourceOut,
      sourceEventId: eventId,
    },
    ref,
  };
}

/**
 * The checks of one row that need no database, in order: text that cannot be stored, the fields'
 * shapes (IngestRowSchema), then a time in the future. Pushes its field errors, or returns the row.
 */
function checkRow(
  raw: unknown,
  index: number,
  nowMs: number,
  errors: IngestFieldError[],
): ValidRow | null {
  const isRecord = raw !== null && typeof raw === 'object' && !Array.isArray(raw);
  const quick = isRecord ? quickRow(raw) : null;
  let data = quick?.data;
  if (!data) {
    const bad = isRecord ? csvCellProblem(raw as Record<string, string>) : null;
    if (bad) {
      const field = bad.field as keyof typeof ENGAGEMENT_CSV_COLUMNS;
      errors.push({
        index,
        field: field in ENGAGEMENT_CSV_COLUMNS ? field : 'participant',
        message: bad.message,
      });
      return null;
    }
    const parsed = IngestRowSchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = String(issue.path[0] ?? 'participant') as keyof typeof ENGAGEMENT_CSV_COLUMNS;
        errors.push({
          index,
          field: field in ENGAGEMENT_CSV_COLUMNS ? field : 'participant',
          message: issue.message,
        });
      }
      return null;
    }
    data = parsed.data;
  }
  const occurredAt = new Date(data.occurredAt);
  if (occurredAt.getTime() > nowMs) {
    errors.push({
      index,
      field: 'occurredAt',
      message: 'This is in the future; record engagement once it has happened',
    });
    return null;
  }
  return {
    index,
    ref: quick?.ref ?? parseParticipantRef(data.participant)!,
    activityId: data.activityId,
    kind: data.kind,
    occurredAt,
    source: data.source,
    sourceEventId: data.sourceEventId,
  };
}

/**
 * Validates rows and resolves participants and activities in a few set-based queries. A row about
 * a participant the actor cannot see is an error, reported as not found: nothing is written for it.
 * (xAPI statements; the bulk feeds use ingestEngagement's COPY path.)
 */
async function resolveRows(
  db: Executor,
  actor: Actor,
  input: readonly unknown[],
  now: Date,
): Promise<Resolved> {
  const errors: Resolved['errors'] = [];
  const valid: ValidRow[] = [];
  const nowMs = now.getTime();
  input.forEach((raw, index) => {
    const row = checkRow(raw, index, nowMs, errors);
    if (row) valid.push(row);
  });

  const keys = (by: ValidRow['ref']['by']) => [
    ...new Set(valid.filter((v) => v.ref.by === by).map((v) => v.ref.key)),
  ];
  const trns = keys('trn');
  const emails = keys('email');
  const ids = keys('id').map(Number);
  const found = await queryRows<{ id: number; trn: string | null; email: string }>(
    db,
    sql`select p.id, p.trn, lower(p.email) as email from participant p
        where p.trn = any(${arrayParam(trns)}::text[])
           or lower(p.email) = any(${arrayParam(emails)}::text[])
           or p.id = any(${arrayParam(ids)}::int[])`,
  );
  const byTrn = new Map(found.filter((f) => f.trn !== null).map((f) => [f.trn!, f.id]));
  const byEmail = new Map(found.map((f) => [f.email, f.id]));
  const byId = new Set(found.map((f) => f.id));
  const participantOf = (ref: ValidRow['ref']): number | undefined =>
    ref.by === 'trn'
      ? byTrn.get(ref.key)
      : ref.by === 'email'
        ? byEmail.get(ref.key)
        : byId.has(Number(ref.key))
          ? Number(ref.key)
          : undefined;

  // Programmes each participant is enrolled on, as far as the actor may see.
  const scope = await queryRows<{ participant_id: number; programme_id: number }>(
    db,
    sql`select distinct e.participant_id, c.programme_id from enrolment e join cohort c on c.id = e.cohort_id
        where e.participant_id = any(${arrayParam(found.map((f) => f.id))}::int[]) and (${enrolmentVisibleTo(actor)})`,
  );
  const visible = new Set(scope.map((s) => s.participant_id));
  const onProgramme = new Set(scope.map((s) => `${s.participant_id}:${s.programme_id}`));
  const activities = await queryRows<{ id: number; kind: ActivityKind; programme_id: number }>(
    db,
    sql`select id, kind, programme_id from programme_activity
        where id = any(${arrayParam([...new Set(valid.map((v) => v.activityId))])}::int[])`,
  );
  const activityById = new Map(activities.map((a) => [a.id, a]));

  const rows: EngagementRow[] = [];
  for (const v of valid) {
    const participantId = participantOf(v.ref);
    if (participantId === undefined || !visible.has(participantId)) {
      errors.push({
        index: v.index,
        field: 'participant',
        message: 'No participant of yours matches this',
      });
      continue;
    }
    const activity = activityById.get(v.activityId);
    if (!activity || !onProgramme.has(`${participantId}:${activity.programme_id}`)) {
      errors.push({
        index: v.index,
        field: 'activityId',
        message: "This activity is not part of the participant's programme",
      });
      continue;
    }
    if (v.kind !== undefined && v.kind !== activity.kind) {
      errors.push({
        index: v.index,
        field: 'kind',
        message: `This activity is a ${activity.kind}, not a ${v.kind}`,
      });
      continue;
    }
    rows.push({
      participantId,
      activityId: v.activityId,
      kind: activity.kind,
      occurredAt: v.occurredAt,
      source: v.source,
      sourceEventId: v.sourceEventId,
    });
  }
  errors.sort((a, b) => a.index - b.index);
  return { rows, errors };
}

function requireIngestRole(actor: Actor): void {
  if (!INGEST_ROLES.includes(actor.role)) {
    throw new ForbiddenError(
      'Only delivery partner staff, the programme team and admins can load engagement records.',
    );
  }
}

/** The staging table a chunk is copied into; dropped when its transaction ends. */
const STAGE = 'engagement_ingest_stage';
const STAGE_COLUMNS = `${STAGE} (idx, ref_by, ref_key, activity_id, kind, at_ms, source, source_event_id)`;

/**
 * The chunk as COPY text, one line a row: its position, who (trn, email or id, and the key), the
 * evidence. Kind and source are from fixed lists and the numbers are digits, so only the key and
 * the source event id can need escaping.
 */
function stageText(chunk: readonly ValidRow[]): string {
  let out = '';
  for (const v of chunk) {
    out += `${v.index}\t${v.ref.by}\t${copyCell(v.ref.key)}\t${v.activityId}\t${v.kind ?? '\\N'}\t${v.occurredAt.getTime()}\t${v.source}\t${copyCell(v.sourceEventId)}\n`;
  }
  return out;
}

interface ChunkOutcome {
  inserted: number;
  /** Rows of the chunk that passed every check (inserted or already recorded). */
  landed: ValidRow[];
  errors: IngestFieldError[];
}

/**
 * One chunk in one transaction: COPY into a temporary staging table, then one statement that
 * resolves each row's participant (TRN, email or id), checks the actor may see them, that the
 * activity is on their programme and of the kind given, and inserts the rows that pass with
 * `on conflict do nothing` (in the batch's order, so of two rows with one source event id the
 * first lands). It returns the rows that failed, with their reason, and who got evidence.
 */
async function landChunk(
  tx: Tx,
  actor: Actor,
  chunk: readonly ValidRow[],
  now: Date,
): Promise<ChunkOutcome & { participantIds: number[] }> {
  await tx.execute(
    sql.raw(`create temporary table ${STAGE} (
      idx int not null, ref_by text not null, ref_key text collate "C" not null, activity_id int not null,
      kind text, at_ms int8 not null, source text not null, source_event_id text not null
    ) on commit drop`),
  );
  await copyText(tx, STAGE_COLUMNS, stageText(chunk));
  // Its size and spread, so the statement below joins by hashing instead of sorting.
  await tx.execute(sql.raw(`analyze ${STAGE} (ref_by, ref_key, activity_id)`));
  const stage = sql.raw(STAGE);
  const [out] = await queryRows<{
    inserted: number;
    participants: number[];
    problems: [number, 'participant' | 'activityId' | 'kind', string | null, string | null][];
  }>(
    tx,
    sql`with who as (
          -- Each participant named, looked up once (an index probe) however many rows name them.
          select k.ref_by, k.ref_key,
                 case k.ref_by
                   when 'trn' then (select p.id from participant p where p.trn = k.ref_key)
                   when 'email' then (select p.id from participant p where lower(p.email) = k.ref_key)
                   else (select p.id from participant p where p.id = k.ref_key::int)
                 end as participant_id
          from (select distinct ref_by, ref_key from ${stage}) k
        ), res as (
          select s.idx, s.activity_id, s.kind, s.at_ms, s.source, s.source_event_id, w.participant_id
          from ${stage} s join who w on w.ref_by = s.ref_by and w.ref_key = s.ref_key
        ), scope as materialized (
          -- Programmes each participant is enrolled on, as far as the actor may see.
          select distinct e.participant_id, c.programme_id
          from enrolment e join cohort c on c.id = e.cohort_id
          where e.participant_id in (select participant_id from who) and (${enrolmentVisibleTo(actor)})
        ), checked as materialized (
          select res.*, a.kind as activity_kind,
                 case when seen.participant_id is null then 'participant'
                      when onp.participant_id is null then 'activityId'
                      when res.kind is not null and res.kind <> a.kind then 'kind'
                 end as problem
          from res
          left join (select distinct participant_id from scope) seen on seen.participant_id = res.participant_id
          left join programme_activity a on a.id = res.activity_id
          left join scope onp on onp.participant_id = res.participant_id and onp.programme_id = a.programme_id
        ), ins as (
          insert into engagement_record (participant_id, activity_id, kind, occurred_at, source, source_event_id, recorded_at)
          -- float8 milliseconds / 1000 is the double insertRecords sends for the same Date, so the
          -- same instant is stored.
          select participant_id, activity_id, activity_kind, to_timestamp(at_ms::float8 / 1000), source, source_event_id, ${now}
          from checked where problem is null
          order by idx
          on conflict (source, source_event_id) do nothing
          returning 1
        )
        select (select count(*)::int from ins) as inserted,
               (select coalesce(array_agg(distinct participant_id), '{}') from checked where problem is null) as participants,
               (select coalesce(json_agg(json_build_array(idx, problem, kind, activity_kind) order by idx), '[]')
                from checked where problem is not null) as problems`,
  );
  const failed = new Set<number>();
  const errors: IngestFieldError[] = out!.problems.map(([index, problem, given, actual]) => {
    failed.add(index);
    return {
      index,
      field: problem,
      message:
        problem === 'participant'
          ? 'No participant of yours matches this'
          : problem === 'activityId'
            ? "This activity is not part of the participant's programme"
            : `This activity is a ${actual}, not a ${given}`,
    };
  });
  return {
    inserted: out!.inserted,
    landed: chunk.filter((v) => !failed.has(v.index)),
    errors,
    participantIds: out!.participants.map(Number),
  };
}

/**
 * Bulk ingest of engagement rows (a JSON batch or a parsed CSV). Bad rows are reported with their
 * position (and CSV line) and field; good rows land, in chunks of one transaction each, so a run
 * killed half-way keeps whole chunks and re-running it inserts only what is missing. Each chunk is
 * copied into a staging table and checked and inserted by one set-based statement (landChunk);
 * only the checks that need no database run per row here.
 */
export async function ingestEngagement(
  deps: ServiceDeps,
  actor: Actor,
  input: readonly unknown[],
  options: {
    format: 'json' | 'csv';
    lines?: readonly number[];
    /** Rows per transaction (tests use small chunks); COPY_CHUNK otherwise. */
    chunkSize?: number;
  } = { format: 'json' },
): Promise<IngestResult> {
  requireIngestRole(actor);
  const now = deps.clock.now();
  const nowMs = now.getTime();
  const chunkSize = options.chunkSize ?? COPY_CHUNK;
  const errors: IngestFieldError[] = [];
  const checked: ValidRow[] = [];
  input.forEach((raw, index) => {
    const row = checkRow(raw, index, nowMs, errors);
    if (row) checked.push(row);
  });
  let inserted = 0;
  let landed = 0;
  for (let i = 0; i < checked.length; i += chunkSize) {
    const chunk = checked.slice(i, i + chunkSize);
    const outcome = await deps.db.transaction(async (tx) => {
      const result = await landChunk(tx, actor, chunk, now);
      const first = result.landed[0];
      if (!first) return result;
      await audit(tx, {
        what: 'ENGAGEMENT_IMPORTED',
        who: actor,
        subjectType: 'engagement_import',
        subjectId: `${options.format}:${first.source}:${first.sourceEventId}`,
        details: {
          format: options.format,
          rows: result.landed.length,
          inserted: result.inserted,
          duplicates: result.landed.length - result.inserted,
        },
        at: now,
      });
      // Set-based: every enrolment this chunk brings to the start of its programme (2.3.2).
      await commenceDueInBulk(tx, {
        participantIds: result.participantIds,
        who: actor,
        at: now,
        trigger: 'engagement_imported',
      });
      return result;
    });
    inserted += outcome.inserted;
    landed += outcome.landed.length;
    errors.push(...outcome.errors);
  }
  errors.sort((a, b) => a.index - b.index);
  return {
    received: input.length,
    inserted,
    duplicates: landed - inserted,
    errors: errors.map((e) => ({
      index: e.index,
      line: options.lines?.[e.index] ?? null,
      field: options.format === 'csv' ? ENGAGEMENT_CSV_COLUMNS[e.field] : e.field,
      message: e.message,
    })),
  };
}

/**
 * Parses an engagement CSV (header: participant, activity_id, kind, occurred_at, source,
 * source_event_id) into row objects and the line each starts on.
 */
export function parseEngagementCsv(text: string): {
  rows: Record<string, string>[];
  lines: number[];
} {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(text, {
      columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
      skip_empty_lines: true,
      trim: true,
      bom: true,
      info: true,
      relax_column_count: true,
    }) as unknown as typeof records;
  } catch (error) {
    throw new ValidationError([
      { path: 'body', message: `The CSV could not be read: ${(error as Error).message}` },
    ]);
  }
  const first = records[0]?.record;
  if (first) {
    const missing = ['participant', 'activity_id', 'occurred_at', 'source_event_id'].filter(
      (c) => !(c in first),
    );
    if (missing.length > 0) {
      throw new ValidationError(
        missing.map((c) => ({ path: `header.${c}`, message: `The CSV needs a ${c} column` })),
      );
    }
  }
  const rows = records.map(({ record }) => {
    const out: Record<string, string> = {};
    for (const [field, column] of Object.entries(ENGAGEMENT_CSV_COLUMNS)) {
      if (record[column] !== undefined) out[field] = record[column];
    }
    return out;
  });
  // info.lines is the line a record ends on; a record spanning lines is rare enough to report its end.
  return { rows, lines: records.map((r) => r.info.lines) };
}

export async function importEngagementCsv(
  deps: ServiceDeps,
  actor: Actor,
  csv: string,
): Promise<IngestResult> {
  requireIngestRole(actor);
  const { rows, lines } = parseEngagementCsv(csv);
  return ingestEngagement(deps, actor, rows, { format: 'csv', lines });
}

/* xAPI ------------------------------------------------------------------------------------- */

export const XAPI_COMPLETED = 'http://adlnet.gov/expapi/verbs/completed';
export const XAPI_ATTENDED = 'http://adlnet.gov/expapi/verbs/attended';
/** Our activity IRIs: `<base>/activities/<programme_activity id>`; any base is accepted. */
export const XAPI_ACTIVITY_BASE = 'https://npq-ops.example/activities/';
const XAPI_ACTIVITY_ID = /\/activities\/(\d{1,9})\/?$/;

const XapiStatement = z.looseObject({
  id: z.uuid({ message: 'Each statement needs an id (a UUID) so that re-sending it is safe' }),
  actor: z.looseObject({
    mbox: z
      .string({ message: 'The actor must be identified by mbox (mailto:<email>)' })
      .regex(/^mailto:[^@\s]+@[^@\s]+$/i, 'The actor must be identified by mbox (mailto:<email>)'),
  }),
  verb: z.looseObject({ id: z.string({ message: 'The verb needs an id' }) }),
  object: z.looseObject({
    id: z
      .string({ message: 'The object needs an id' })
      .regex(
        XAPI_ACTIVITY_ID,
        `The object id must be an activity IRI such as ${XAPI_ACTIVITY_BASE}<id>`,
      ),
  }),
  timestamp: z.iso
    .datetime({ offset: true, message: 'The timestamp must be an ISO 8601 date and time' })
    .optional(),
});

/**
 * xAPI statements with the completed and attended verbs. A batch is all or nothing, as an LRS
 * treats it; the statement id is the source event id, so a re-sent statement changes nothing.
 * `completed` is for study sessions; `attended` for clinics, community sessions, conferences and
 * coaching. Returns the statement ids in the order received.
 */
export async function recordXapiStatements(
  deps: ServiceDeps,
  actor: Actor,
  statements: readonly unknown[],
): Promise<string[]> {
  requireIngestRole(actor);
  const problems: FieldError[] = [];
  const rows: IngestRowInput[] = [];
  const verbs: string[] = [];
  const ids: string[] = [];
  const now = deps.clock.now();
  statements.forEach((raw, i) => {
    const parsed = XapiStatement.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        problems.push({ path: [i, ...issue.path].join('.'), message: issue.message });
      }
      return;
    }
    const s = parsed.data;
    if (s.verb.id !== XAPI_COMPLETED && s.verb.id !== XAPI_ATTENDED) {
      problems.push({
        path: `${i}.verb.id`,
        message: `Only the verbs ${XAPI_COMPLETED} and ${XAPI_ATTENDED} are recorded; ${s.verb.id} is not`,
      });
      return;
    }
    ids.push(s.id);
    verbs.push(s.verb.id);
    rows.push({
      participant: `email:${s.actor.mbox.slice('mailto:'.length)}`,
      activityId: Number(XAPI_ACTIVITY_ID.exec(s.object.id)![1]),
      occurredAt: s.timestamp ?? now.toISOString(),
      source: 'xapi',
      sourceEventId: s.id.toLowerCase(),
    });
  });
  if (problems.length > 0) throw new ValidationError(problems);

  const { rows: resolved, errors } = await resolveRows(deps.db, actor, rows, now);
  const xapiPath: Record<string, string> = {
    participant: 'actor.mbox',
    activityId: 'object.id',
    occurredAt: 'timestamp',
    kind: 'object.id',
  };
  for (const e of errors)
    problems.push({ path: `${e.index}.${xapiPath[e.field] ?? e.field}`, message: e.message });
  if (problems.length > 0) throw new ValidationError(problems);
  // With no errors, resolved rows are the statements in order.
  resolved.forEach((r, i) => {
    const completed = verbs[i] === XAPI_COMPLETED;
    if (completed !== (r.kind === 'study_session')) {
      problems.push({
        path: `${i}.verb.id`,
        message: completed
          ? `"completed" is for study sessions; this activity is a ${r.kind}, so use "attended"`
          : '"attended" is for clinics, community sessions, conferences and coaching; a study session is "completed"',
      });
    }
  });
  if (problems.length > 0) throw new ValidationError(problems);

  await deps.db.transaction(async (tx) => {
    for (let i = 0; i < resolved.length; i += INGEST_CHUNK) {
      const chunk = resolved.slice(i, i + INGEST_CHUNK);
      const n = await insertRecords(tx, chunk, now);
      await audit(tx, {
        what: 'XAPI_STATEMENTS_RECORDED',
        who: actor,
        subjectType: 'engagement_import',
        subjectId: `xapi:${chunk[0]!.sourceEventId}`,
        details: { statements: chunk.length, inserted: n, duplicates: chunk.length - n },
        at: now,
      });
    }
    await commenceDueInBulk(tx, {
      participantIds: [...new Set(resolved.map((r) => r.participantId))],
      who: actor,
      at: now,
      trigger: 'xapi_statements_recorded',
    });
  });
  return ids;
}

/* ------------------------------------------------------------------------------------------ */
/* Reading engagement                                                                          */
/* ------------------------------------------------------------------------------------------ */

export interface KindBreakdown {
  kind: ActivityKind;
  activities: number;
  completed: number;
  totalWeight: number;
  completedWeight: number;
  /** Coaching counts only on courses that include it (2.2.1.3). */
  countsTowardsEngagement: boolean;
}

export interface SessionAccessView {
  activityId: number;
  moduleId: number;
  title: string;
  state: 'done' | 'open' | 'locked';
  advice: string | null;
  decision: SessionAccessDecision;
}

export interface EnrolmentEngagement {
  enrolmentId: number;
  participantId: number;
  course: string;
  decision: ReturnType<typeof evaluateEngagement>;
  /** The policy version in force today, which decided (its threshold is what the page shows). */
  register: PolicyRegister;
  byKind: KindBreakdown[];
  sessions: SessionAccessView[];
}

/**
 * The required activities by kind, in programme order of each kind's first activity: how many,
 * how many done, and their weights (an activity's weight, else its planned minutes).
 */
function breakdownByKind(facts: EnrolmentFacts): Omit<KindBreakdown, 'countsTowardsEngagement'>[] {
  const byKind = new Map<ActivityKind, Omit<KindBreakdown, 'countsTowardsEngagement'>>();
  const ordered = [...facts.activities].sort((a, b) => a.sequence - b.sequence);
  for (const a of ordered) {
    const k = byKind.get(a.kind) ?? {
      kind: a.kind,
      activities: 0,
      completed: 0,
      totalWeight: 0,
      completedWeight: 0,
    };
    const weight = a.weight ?? a.plannedMinutes;
    const done = facts.completedActivityIds.has(a.id);
    k.activities += 1;
    k.totalWeight += weight;
    if (done) {
      k.completed += 1;
      k.completedWeight += weight;
    }
    byKind.set(a.kind, k);
  }
  return [...byKind.values()];
}

/** Where an enrolment stands against 2.1.1, by kind of activity, and which study sessions are open. */
export async function getEnrolmentEngagement(
  { db, clock }: ServiceDeps,
  actor: Actor,
  enrolmentId: number,
): Promise<EnrolmentEngagement> {
  // One statement: the facts of an enrolment the actor may see (else not found); and the
  // version of the policy in force today, which decides.
  const today = londonDateOf(clock.now());
  const [[row], register] = await Promise.all([
    queryRows<FactsRow>(
      db,
      enrolmentFactsStatement(enrolmentId, { where: enrolmentVisibleTo(actor) }),
    ),
    registerInForce(db, today),
  ]);
  const facts = row ? factsFromRow(row) : null;
  if (!facts) throw new NotFoundError('Enrolment not found');
  return engagementOf(facts, today, register);
}

/** An enrolment's engagement from its facts already loaded (a participant snapshot, say). */
export function engagementOf(
  facts: EnrolmentFacts,
  today: string,
  register: PolicyRegister,
): EnrolmentEngagement {
  const enrolmentId = facts.enrolment.id;
  const decision = engagementDecisionOf(facts, today, register);
  const kinds = breakdownByKind(facts);
  const coaching = isCoachingCourse(facts.cohort.course, register);
  const titles = new Map(facts.sessions.map((s) => [s.id, s.title ?? '']));
  const access = evaluateProgrammeAccess(accessInput(facts, today), register);
  return {
    enrolmentId,
    participantId: facts.participant.id,
    course: facts.cohort.course,
    decision,
    register,
    byKind: kinds.map((k) => ({
      ...k,
      countsTowardsEngagement: k.kind !== 'coaching' || coaching,
    })),
    sessions: access.map((d) => ({
      activityId: Number(d.details.sessionId),
      moduleId: Number(d.details.moduleId),
      title: titles.get(d.details.sessionId) ?? '',
      state: d.details.state,
      advice: d.details.advice,
      decision: d,
    })),
  };
}

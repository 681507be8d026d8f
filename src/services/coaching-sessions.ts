/**
 * After a coaching session (2.2.1.3): the coach records whether the participant attended and a
 * short note. "Attended" is engagement evidence exactly as a register's attendance is (the same
 * `recordAttendance`, in the same transaction as the note), so it counts towards 90% and can
 * commence the participant (2.3.2); "did not attend" records nothing towards engagement. Staff see
 * a participant's coaching, notes included, on their record.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../db/client.js';
import type { Actor } from './actor.js';
import { audit } from './audit.js';
import { requireParticipant } from './authorisation.js';
import {
  COACHING_SELECT,
  toCoachingView,
  type CoachingRow,
  type CoachingSessionView,
} from './bookings.js';
import { recordAttendance } from './engagement/attendance.js';
import { ConflictError, NotFoundError, ValidationError } from './errors.js';
import type { ServiceDeps } from './participants.js';

export const NOTE_MAX = 500;

export interface CoachSessionView extends CoachingSessionView {
  participantName: string;
  cohortName: string;
}

interface Row extends CoachingRow {
  participant_name: string;
  cohort_name: string;
}

const SELECT = sql`select q.*, p.full_name as participant_name, c.name as cohort_name
  from (${COACHING_SELECT}) q join participant p on p.id = q.participant_id
  join enrolment e on e.id = q.enrolment_id join cohort c on c.id = e.cohort_id`;

const toView = (r: Row): CoachSessionView => ({
  ...toCoachingView(r),
  participantName: r.participant_name,
  cohortName: r.cohort_name,
});

/** One of the coach's own sessions. */
export async function getCoachSession(
  deps: ServiceDeps,
  actor: Actor,
  sessionId: number,
): Promise<CoachSessionView> {
  if (actor.role !== 'coach') throw new NotFoundError('Coaching session not found');
  const [row] = await queryRows<Row>(
    deps.db,
    sql`${SELECT} where q.id = ${sessionId} and q.coach_user_id = ${actor.userId}`,
  );
  if (!row) throw new NotFoundError('Coaching session not found');
  return toView(row);
}

export interface OutcomeInput {
  attended: 'attended' | 'did_not_attend';
  note: string;
}

/** The coach records attendance and a note once the session has started; corrections allowed. */
export async function recordCoachingOutcome(
  deps: ServiceDeps,
  actor: Actor,
  sessionId: number,
  input: OutcomeInput,
): Promise<CoachSessionView> {
  if (actor.role !== 'coach') throw new NotFoundError('Coaching session not found');
  const note = input.note.trim();
  if (note.length > NOTE_MAX) {
    throw new ValidationError([
      { path: 'note', message: `The note must be ${NOTE_MAX} characters or fewer` },
    ]);
  }
  return deps.db.transaction(async (tx) => {
    const [row] = await queryRows<Row>(
      tx,
      sql`${SELECT} where q.id = ${sessionId} and q.coach_user_id = ${actor.userId}`,
    );
    if (!row) throw new NotFoundError('Coaching session not found');
    await tx.execute(sql`select id from coaching_session where id = ${sessionId} for update`);
    const now = deps.clock.now();
    if (row.status === 'cancelled') {
      throw new ConflictError('This coaching session was cancelled.');
    }
    if (new Date(row.starts_at) > now) {
      throw new ValidationError([
        { path: 'attended', message: 'You can record this session once it has started' },
      ]);
    }
    if (input.attended === 'did_not_attend' && row.status === 'attended') {
      throw new ValidationError([
        {
          path: 'attended',
          message:
            'This session is already recorded as attended and counts towards engagement; ask the programme team to correct it',
        },
      ]);
    }
    const txDeps = { ...deps, db: tx as unknown as Db };
    if (input.attended === 'attended') {
      // The same path as a register's attendance: evidence, session attended, commencement.
      await recordAttendance(txDeps, actor, {
        enrolmentId: row.enrolment_id,
        coachingSessionId: sessionId,
      });
    } else {
      await tx.execute(
        sql`update coaching_session set status = 'did_not_attend' where id = ${sessionId}`,
      );
    }
    await tx.execute(
      sql`update coaching_session set note = ${note === '' ? null : note}, recorded_at = ${now}
          where id = ${sessionId}`,
    );
    await audit(tx, {
      what: 'COACHING_RECORDED',
      who: actor,
      subjectType: 'coaching_session',
      subjectId: sessionId,
      // The note is personal: the audit says that one was written, not what it says.
      details: { enrolmentId: row.enrolment_id, outcome: input.attended, note: note !== '' },
      at: now,
    });
    const [after] = await queryRows<Row>(tx, sql`${SELECT} where q.id = ${sessionId}`);
    return toView(after!);
  });
}

/** A participant's coaching, every enrolment, with the coach's notes: for staff who can see them. */
export async function participantCoaching(
  deps: ServiceDeps,
  actor: Actor,
  participantId: number,
): Promise<CoachSessionView[]> {
  await requireParticipant(deps.db, actor, participantId);
  const rows = await queryRows<Row>(
    deps.db,
    sql`${SELECT} where q.participant_id = ${participantId} order by q.starts_at desc, q.id desc limit 200`,
  );
  return rows.map(toView);
}

/**
 * A participant's own enrolments for My programme's held page (issue 13): one kept statement per
 * request, which also checks a remembered session again (recent-sessions.ts) and reads each
 * enrolment's stored engagement answer version for the day (its xmin: the triggers delete the
 * row with any change to what the page shows, so a stored-again row has a new version;
 * src/web/held-pages.ts).
 */
import { sql } from 'drizzle-orm';
import { keptStatements, type Db } from '../db/client.js';
import { actorKey, type Actor } from './actor.js';
import { enrolmentVisibleTo } from './authorisation.js';
import {
  ENROLMENT_COLUMNS,
  ENROLMENT_JOINS,
  enrolmentFromRow,
  type EnrolmentRow,
  type ParticipantEnrolment,
} from './participants.js';
import { sessionStillValid, type SessionRecheck } from './recent-sessions.js';

export interface OwnEnrolment extends ParticipantEnrolment {
  /** The version (xmin) of the engagement answer stored for the day asked, or null if none. */
  answerVersion: string | null;
}

export interface OwnEnrolments {
  /** False when the remembered session no longer holds (nothing else is read then). */
  sessionOk: boolean;
  /** Oldest cohort first, as enrolmentsOf. */
  enrolments: OwnEnrolment[];
}

type Row = { session_ok: boolean; answer_version: string | null } & (
  EnrolmentRow | { [K in keyof EnrolmentRow]: null }
);

const reads = keptStatements<{ today: string; sessionId: string; sessionNow: string }>();

/**
 * The participant's enrolments the actor may see, each with its answer version for `today`; with
 * a session to check again, only while it still holds (else `sessionOk` is false).
 */
export async function ownEnrolments(
  db: Pick<Db, '_'>,
  actor: Actor,
  participantId: number,
  today: string,
  recheck: SessionRecheck | null,
): Promise<OwnEnrolments> {
  const key = `${recheck ? 'recheck' : 'plain'}:${participantId}:${actorKey(actor)}`;
  const rows = await reads<Row>(
    db,
    key,
    () => {
      const ok = recheck
        ? sessionStillValid(recheck, sql.placeholder('sessionId'), sql.placeholder('sessionNow'))
        : sql`true`;
      return sql`select k.session_ok, x.id, x.cohort_id, x.cohort_name, x.delivery_partner,
                        x.status, x.commenced_at, x.answer_version
        from (select ${ok} as session_ok) k
        left join lateral (
          select ${ENROLMENT_COLUMNS}, c.start_date,
                 (select s.xmin::text from enrolment_engagement_answer s
                  where s.enrolment_id = e.id
                    and s.answered_on = ${sql.placeholder('today')}::date) as answer_version
          from ${ENROLMENT_JOINS}
          where e.participant_id = ${participantId} and (${enrolmentVisibleTo(actor)})
        ) x on k.session_ok
        order by x.start_date`;
    },
    {
      today,
      sessionId: recheck?.sessionId ?? '',
      sessionNow: (recheck?.now ?? new Date(0)).toISOString(),
    },
  );
  const sessionOk = rows[0]?.session_ok === true;
  const enrolments: OwnEnrolment[] = [];
  for (const row of rows) {
    if (row.id === null) continue;
    enrolments.push({ ...enrolmentFromRow(row), answerVersion: row.answer_version ?? null });
  }
  return { sessionOk, enrolments };
}

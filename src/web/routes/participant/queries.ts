import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../../db/client.js';

/**
 * Page-only reads of programme content (module dates, session text). The caller has already
 * resolved the enrolment through a service that checks the participant may see it.
 */

export type { ModuleSchedule } from '../../../services/participant-snapshot.js';

export interface SessionContent {
  id: number;
  title: string;
  contentMd: string | null;
  plannedMinutes: number;
  sessionNumber: number | null;
  moduleTitle: string | null;
  modulePosition: number | null;
}

export async function sessionContent(
  db: Pick<Db, 'execute'>,
  activityId: number,
): Promise<SessionContent | null> {
  const [row] = await queryRows<{
    id: number;
    title: string;
    content_md: string | null;
    planned_minutes: number;
    session_number: number | null;
    module_title: string | null;
    module_position: number | null;
  }>(
    db,
    sql`select a.id, a.title, a.content_md, a.planned_minutes, a.session_number,
               m.title as module_title, m.position as module_position
        from programme_activity a left join programme_module m on m.id = a.module_id
        where a.id = ${activityId} and a.kind = 'study_session'`,
  );
  return row
    ? {
        id: row.id,
        title: row.title,
        contentMd: row.content_md,
        plannedMinutes: row.planned_minutes,
        sessionNumber: row.session_number,
        moduleTitle: row.module_title,
        modulePosition: row.module_position,
      }
    : null;
}

/** The coach assigned to a participant (policy 2.2.1.3: coaching is arranged with them). */
export async function assignedCoach(
  db: Pick<Db, 'execute'>,
  participantId: number,
): Promise<{ id: number; name: string } | null> {
  const [row] = await queryRows<{ id: number; name: string }>(
    db,
    sql`select u.id, u.display_name as name from staff_assignment sa join app_user u on u.id = sa.user_id
        where sa.participant_id = ${participantId} and u.role = 'coach'
        order by sa.id limit 1`,
  );
  return row ?? null;
}

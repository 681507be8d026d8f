import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../src/db/client.js';

/** A row of engagement_completion, its date as text (YYYY-MM-DD). */
export interface Completion {
  participant_id: number;
  activity_id: number;
  first_completed_on: string;
}

/** engagement_completion as it stands, in key order (one participant's rows, or everyone's). */
export function storedCompletions(db: Db, participantId?: number): Promise<Completion[]> {
  return queryRows<Completion>(
    db,
    sql`select participant_id, activity_id, first_completed_on::text as first_completed_on
        from engagement_completion
        ${participantId === undefined ? sql`` : sql`where participant_id = ${participantId}`}
        order by participant_id, activity_id`,
  );
}

/** What engagement_completion must hold: the records grouped by pair, the first London day of each. */
export function completionsOfRecords(db: Db, participantId?: number): Promise<Completion[]> {
  return queryRows<Completion>(
    db,
    sql`select participant_id, activity_id,
               min((occurred_at at time zone 'Europe/London')::date)::text as first_completed_on
        from engagement_record
        ${participantId === undefined ? sql`` : sql`where participant_id = ${participantId}`}
        group by participant_id, activity_id
        order by participant_id, activity_id`,
  );
}

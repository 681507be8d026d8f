import { sql } from 'drizzle-orm';
import type { Db } from '../../src/db/client.js';

/**
 * The coach offers a time (policy 2.2.1.3: participants book coaching only into a coach's
 * availability slots). Tests that book coaching through the API or a service offer it first.
 */
export async function offerSlot(
  db: Pick<Db, 'execute'>,
  coachUserId: number,
  startsAt: string | Date,
  endsAt: string | Date,
): Promise<void> {
  await db.execute(sql`insert into coaching_slot (coach_user_id, starts_at, ends_at, mode, place)
    values (${coachUserId}, ${new Date(startsAt)}, ${new Date(endsAt)}, 'online', 'https://meet.example.org/test')`);
}

import { sql } from 'drizzle-orm';
import { queryRows, type Database } from './db/client.js';
import { loadActor, type Actor } from './services/actor.js';
import { PolicyRefusalError, ServiceError } from './services/errors.js';

/**
 * What the commands that act as someone share: the account given with --as, and the way a refusal
 * is told to the operator.
 */

/** The account the command acts as: the service checks what it may do, and the audit names it. */
export async function actorFor(db: Database['db'], email: string): Promise<Actor> {
  const [row] = await queryRows<{ id: number }>(
    db,
    sql`select id from app_user where lower(email) = lower(${email})`,
  );
  const actor = row ? await loadActor(db, row.id) : null;
  if (!actor)
    throw new ServiceError(`There is no account with the email ${email}`, 422, 'NO_ACCOUNT');
  return actor;
}

/**
 * A refusal the operator can act on: the message (field errors are in it) and, for a policy
 * refusal, each unmet reason with its clause, on stderr; exit code 2.
 */
export async function refusing(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (!(error instanceof ServiceError)) throw error;
    console.error(`Refused: ${error.message}`);
    if (error instanceof PolicyRefusalError) {
      for (const r of error.decision.reasons.filter((x) => !x.met)) {
        console.error(`  ${r.code} (policy ${r.clause}): ${r.message}`);
      }
    }
    process.exitCode = 2;
  }
}

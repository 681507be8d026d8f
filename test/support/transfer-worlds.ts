import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { SYSTEM } from '../../src/services/actor.js';
import {
  createSigningKey,
  publishedKeySet,
  trustSenderKeys,
} from '../../src/services/transfers/keys.js';
import type { DemoWorld } from './demo-world.js';

/**
 * Two npq-ops installations for transfer tests: `sender` (a demo world whose participant 2 moved
 * outside its network, with a transfer case whose lead provider is chosen and consent given) and
 * `receiver` (another demo world in its own schema, which trusts the sender's published key).
 * Both demos are seeded alike, so the moving participant gets a TRN and email of their own first.
 */
export const MOVER = { trn: '7654321', email: 'mover@example.org', fullName: 'Morgan Mover' };

export async function prepareTransfer(
  sender: DemoWorld,
): Promise<{ transferId: number; enrolmentId: number }> {
  const db = sender.t.db;
  const now = sender.clock.now();
  const [enrolment] = await queryRows<{
    id: number;
    participant_id: number;
    current_school_id: number;
  }>(
    db,
    sql`select e.id, e.participant_id, p.current_school_id from enrolment e join participant p on p.id = e.participant_id
        where e.participant_id = 2 order by e.id limit 1`,
  );
  await db.execute(sql`update participant set trn = ${MOVER.trn}, email = ${MOVER.email}, full_name = ${MOVER.fullName}, dfe_registration_id = null
    where id = ${enrolment!.participant_id}`);
  await db.execute(
    sql`update app_user set email = ${MOVER.email} where participant_id = ${enrolment!.participant_id}`,
  );
  const [outside] = await queryRows<{ id: number }>(
    db,
    sql`select s.id from school s where not exists (select 1 from lead_provider_region lr where lr.region_id = s.region_id)
        order by s.id limit 1`,
  );
  const [staff] = await queryRows<{ id: number }>(
    db,
    sql`select id from app_user where role = 'programme_team' limit 1`,
  );
  const [move] = await queryRows<{ id: number }>(
    db,
    sql`insert into school_move (participant_id, enrolment_id, from_school_id, to_school_id, moved_on, inside_network, notified_by, decision)
        values (${enrolment!.participant_id}, ${enrolment!.id}, ${enrolment!.current_school_id}, ${outside!.id}, '2026-03-02', false, ${staff!.id}, '{}'::jsonb)
        returning id`,
  );
  const [transfer] = await queryRows<{ id: number }>(
    db,
    sql`insert into transfer_case (school_move_id, enrolment_id, status, receiving_lead_provider, data_sharing_consent, consent_recorded_at)
        values (${move!.id}, ${enrolment!.id}, 'provider_chosen', 'Other Lead Provider', true, ${now}) returning id`,
  );
  return { transferId: transfer!.id, enrolmentId: enrolment!.id };
}

/** The sender creates its key; the receiver registers the sender's published key set. */
export async function exchangeKeys(sender: DemoWorld, receiver: DemoWorld): Promise<string> {
  const key = await createSigningKey(sender.t.db, SYSTEM, { at: sender.clock.now() });
  const jwks = await publishedKeySet(sender.t.db);
  await trustSenderKeys(receiver.t.db, SYSTEM, {
    senderName: 'Ambition Institute (sender)',
    keysText: JSON.stringify(jwks),
    at: receiver.clock.now(),
  });
  return key.kid;
}

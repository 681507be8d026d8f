import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../../src/db/client.js';
import { insertReferenceWorld } from '../../support/fixtures.js';

/** DfE ids are uuids; participant n gets a recognisable one. */
export const dfeIdOf = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** The reference world plus active, commenced NPQH 2025 participants (DfE ids unless told not). */
export async function insertDfeWorld(
  db: Db,
  count = 2,
  options: { withoutDfeId?: number[] } = {},
): Promise<{ enrolmentIds: number[]; participantIds: number[]; cohortId: number }> {
  await insertReferenceWorld(db);
  const participantIds: number[] = [];
  const enrolmentIds: number[] = [];
  for (let n = 1; n <= count; n += 1) {
    const dfeId = options.withoutDfeId?.includes(n) ? null : dfeIdOf(n);
    const [p] = await queryRows<{ id: number }>(
      db,
      sql`insert into participant (trn, full_name, email, funding_route, dfe_participant_id)
          values (${String(1000000 + n)}, ${`Person ${n}`}, ${`p${n}@example.test`}, 'school', ${dfeId})
          returning id`,
    );
    const [e] = await queryRows<{ id: number }>(
      db,
      sql`insert into enrolment (participant_id, cohort_id, delivery_partner_id, status, commenced_at)
          select ${p!.id}, c.id, (select min(id) from delivery_partner), 'active', '2025-10-06T09:00:00Z'
          from cohort c where c.name = 'NPQH 2025'
          returning id`,
    );
    participantIds.push(p!.id);
    enrolmentIds.push(e!.id);
  }
  const [c] = await queryRows<{ id: number }>(
    db,
    sql`select id from cohort where name = 'NPQH 2025'`,
  );
  return { enrolmentIds, participantIds, cohortId: c!.id };
}

export interface FakeCall {
  method: string;
  path: string;
  body: unknown;
}

/**
 * A tiny scripted stand-in for the DfE (for failure scenarios only; contract validity is proved
 * against Prism): each call is recorded and answered by `answer`, which may throw to act as a
 * timeout.
 */
export function scriptedDfe(
  answer: (call: FakeCall) => { status: number; body?: unknown } | Promise<never>,
) {
  const calls: FakeCall[] = [];
  const fetch = async (request: Request) => {
    const text = request.method === 'GET' ? '' : await request.text();
    const call = {
      method: request.method,
      path: new URL(request.url).pathname,
      body: text ? (JSON.parse(text) as unknown) : null,
    };
    calls.push(call);
    const a = await answer(call);
    return new Response(JSON.stringify(a.body ?? {}), {
      status: a.status,
      headers: { 'content-type': 'application/json' },
    });
  };
  return { calls, fetch };
}

/**
 * Declarations: works out which are due (src/domain/dfe-declarations.ts, run set-based by
 * src/db/queries/declarations-due.ts) and queues them in the DfE outbox; voids a declaration a
 * correction has made wrong. Run by the job runner before each delivery, and by
 * `npx npq-ops dfe declarations`.
 */
import { sql } from 'drizzle-orm';
import type { Clock } from '../../../clock.js';
import { queryRows, type Db } from '../../../db/client.js';
import { queueDueDeclarations } from '../../../db/queries/declarations-due.js';
import { londonDateOf } from '../../../policy/index.js';
import type { Actor } from '../../actor.js';
import { audit } from '../../audit.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../../errors.js';

type Tx = Pick<Db, 'execute'>;

export interface DeclarationSyncReport {
  queued: number;
  voiding: number;
  dropped: number;
}

/**
 * Declarations live at npq-ops that the facts no longer support: a completed one whose outcome was
 * corrected (has_passed differs, or no outcome now), or one dated after a withdrawal recorded since.
 */
const NO_LONGER_SUPPORTED = sql`
  d.status in ('queued', 'submitted')
  and (
    (d.declaration_type = 'completed'
      and (e.status not in ('completed_passed', 'completed_failed')
           or d.has_passed is distinct from (e.status = 'completed_passed')))
    or (e.status = 'withdrawn' and wd.withdrawn_on is not null
        and (d.declaration_date at time zone 'UTC')::date > wd.withdrawn_on)
  )`;

/**
 * Voids what a correction has made wrong, then queues what is due, in one transaction each way:
 * a declaration not yet sent is dropped (its request dismissed), one the DfE has gets a void
 * request; once voided, the corrected declaration becomes due again and is queued.
 */
export async function syncDeclarations({
  db,
  clock,
}: {
  db: Db;
  clock: Clock;
}): Promise<DeclarationSyncReport> {
  const at = clock.now();
  return db.transaction(async (tx) => {
    const drop = await queryRows<{ id: number }>(
      tx,
      sql`select d.id::int as id from dfe_declaration d
          join enrolment e on e.id = d.enrolment_id
          left join withdrawal wd on wd.enrolment_id = e.id
          join dfe_outbox o on o.declaration_id = d.id and o.action = 'declare'
          where d.status = 'queued' and o.status = 'pending' and ${NO_LONGER_SUPPORTED}
          for update of d, o`,
    );
    if (drop.length > 0) {
      const ids = sql.join(
        drop.map((r) => sql`${r.id}`),
        sql`, `,
      );
      await tx.execute(
        sql`update dfe_outbox set status = 'dismissed', last_error = 'No longer due after a correction'
            where declaration_id in (${ids}) and action = 'declare' and status = 'pending'`,
      );
      await tx.execute(
        sql`update dfe_declaration set status = 'voided', refusal = 'Withdrawn before sending: no longer due after a correction', updated_at = ${at}
            where id in (${ids})`,
      );
    }
    const voiding = await queueVoids(
      tx,
      sql`d.status = 'submitted' and ${NO_LONGER_SUPPORTED}`,
      at,
      'A correction means this declaration is no longer supported',
    );
    const queued = await queueDueDeclarations(tx, londonDateOf(at), at);
    return { queued, voiding, dropped: drop.length };
  });
}

/** Marks matching submitted declarations 'voiding' and queues a void request for each. */
async function queueVoids(tx: Tx, where: ReturnType<typeof sql>, at: Date, why: string) {
  const rows = await queryRows<{ n: number }>(
    tx,
    sql`with v as (
          update dfe_declaration d set status = 'voiding', refusal = ${why}, updated_at = ${at}
          from enrolment e left join withdrawal wd on wd.enrolment_id = e.id
          where e.id = d.enrolment_id and ${where}
          returning d.id, d.enrolment_id, d.participant_id, d.declaration_type
        ),
        q as (
          insert into dfe_outbox (request_key, action, enrolment_id, participant_id, declaration_id,
                                  attributes, next_attempt_at, created_at)
          select 'void:' || v.id, 'void', v.enrolment_id, v.participant_id, v.id,
                 jsonb_build_object('declaration_type', v.declaration_type), ${at}, ${at}
          from v
          on conflict (request_key) do nothing
          returning 1
        )
        select count(*)::int as n from q`,
  );
  return rows[0]?.n ?? 0;
}

const ACTORS_WHO_VOID: readonly Actor['role'][] = ['admin', 'programme_team'];

/** The programme team voids a declaration the DfE has (a correction only staff know of). */
export async function voidDeclaration(
  { db, clock }: { db: Db; clock: Clock },
  actor: Actor,
  declarationId: number,
  input: { reason: string },
): Promise<void> {
  if (!ACTORS_WHO_VOID.includes(actor.role)) throw new ForbiddenError();
  const reason = input.reason.trim();
  if (reason === '')
    throw new ValidationError([{ path: 'reason', message: 'Say why the declaration is voided' }]);
  const at = clock.now();
  await db.transaction(async (tx) => {
    const [row] = await queryRows<{ status: string; enrolment_id: number }>(
      tx,
      sql`select d.status, d.enrolment_id from dfe_declaration d
          join enrolment e on e.id = d.enrolment_id join cohort c on c.id = e.cohort_id
          where d.id = ${declarationId}
            and (${actor.role === 'admin'} or c.lead_provider_id = ${actor.leadProviderId ?? -1})
          for update of d`,
    );
    if (!row) throw new NotFoundError('No such declaration');
    if (row.status !== 'submitted') {
      throw new ValidationError([
        { path: 'declaration', message: 'Only a declaration the DfE has accepted can be voided' },
      ]);
    }
    await queueVoids(tx, sql`d.id = ${declarationId}`, at, reason);
    await audit(tx, {
      what: 'DFE_DECLARATION_VOID_REQUESTED',
      who: actor,
      subjectType: 'enrolment',
      subjectId: row.enrolment_id,
      details: { declarationId, reason },
      at,
    });
  });
}

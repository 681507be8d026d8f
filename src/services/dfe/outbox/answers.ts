/**
 * What the DfE answered to a request it took, applied to npq-ops in one transaction: the outbox
 * row is marked sent and the answer's record stored (a declaration's DfE id, state and statement;
 * an application as the DfE now has it). An answer that does not match the contract is never
 * half-applied: the row is parked (status 'parked'), the answer kept in dfe_parked_response with
 * the field at fault, and a staff task opened. Sending it again first asks the DfE whether it took
 * effect (see delivery.ts), so a parked request is never made twice.
 */
import { sql } from 'drizzle-orm';
import type { Clock } from '../../../clock.js';
import type { Db } from '../../../db/client.js';
import { londonDateOf } from '../../../policy/index.js';
import { SYSTEM } from '../../actor.js';
import { audit } from '../../audit.js';
import { checkApplication, type ContractProblem } from '../applications/contract-check.js';
import { storeApplications } from '../applications/pull.js';
import type { DfeOutboxAction } from './enqueue.js';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export interface SentItem {
  id: number;
  action: DfeOutboxAction;
  enrolment_id: number | null;
  application_id: number | null;
  declaration_id: number | null;
  dfe_participant_id: string | null;
  dfe_application_id: string | null;
}

interface DeclarationAnswer {
  id: string;
  state: string;
  statementId: string | null;
}

/** The declaration in a declare/void answer, or the field that breaks the contract. */
function checkDeclaration(body: unknown): { ok: true; value: DeclarationAnswer } | ContractFail {
  const data = (body as { data?: { id?: unknown; attributes?: Record<string, unknown> } } | null)
    ?.data;
  if (!data || typeof data !== 'object') return fail('data', 'Required');
  if (typeof data.id !== 'string' || data.id === '') return fail('data.id', 'Expected a string');
  const state = data.attributes?.state;
  if (typeof state !== 'string') return fail('data.attributes.state', 'Expected a string');
  const statement = data.attributes?.statement_id;
  if (statement !== undefined && statement !== null && typeof statement !== 'string')
    return fail('data.attributes.statement_id', 'Expected a string or null');
  return { ok: true, value: { id: data.id, state, statementId: statement ?? null } };
}

interface ContractFail {
  ok: false;
  problem: ContractProblem;
}
const fail = (field: string, problem: string): ContractFail => ({
  ok: false,
  problem: { field, problem },
});

/**
 * Records a request the DfE took. Returns 'parked' when its answer broke the contract (nothing of
 * it applied), 'sent' otherwise.
 */
export async function recordSent(
  { db, clock }: { db: Db; clock: Clock },
  item: SentItem,
  body: unknown,
  note?: string,
): Promise<'sent' | 'parked'> {
  const now = clock.now();
  const isDeclaration = item.declaration_id !== null && ['declare', 'void'].includes(item.action);
  const isApplication = ['accept', 'reject', 'change_funded_place'].includes(item.action);
  const declaration = isDeclaration ? checkDeclaration(body) : null;
  const application = isApplication
    ? checkApplication((body as { data?: unknown } | null)?.data)
    : null;
  const problem =
    declaration && !declaration.ok
      ? declaration.problem
      : application && !application.ok
        ? application.problem
        : null;
  return db.transaction(async (tx) => {
    if (problem) {
      await park(tx, now, item, body, problem);
      return 'parked' as const;
    }
    await tx.execute(
      sql`update dfe_outbox set status = 'sent', sent_at = ${now}, attempts = attempts + 1,
            last_error = ${note ? `Reconciled: ${note}` : null}, response = ${JSON.stringify(body ?? null)}::jsonb
          where id = ${item.id} and status = 'sending'`,
    );
    if (declaration?.ok && item.action === 'declare') {
      const d = declaration.value;
      await tx.execute(
        sql`update dfe_declaration set status = 'submitted', dfe_id = ${d.id}, dfe_state = ${d.state},
              statement_id = ${d.statementId}, updated_at = ${now}
            where id = ${item.declaration_id}`,
      );
    }
    if (declaration?.ok && item.action === 'void') {
      await tx.execute(
        sql`update dfe_declaration set status = 'voided', dfe_state = ${declaration.value.state},
              updated_at = ${now}
            where id = ${item.declaration_id}`,
      );
    }
    if (application?.ok)
      await storeApplications(tx as unknown as Db, [application.application], null, now);
    return 'sent' as const;
  });
}

async function park(tx: Tx, now: Date, item: SentItem, body: unknown, problem: ContractProblem) {
  const text = `The DfE's answer does not match the contract (${problem.field}: ${problem.problem}); nothing of it was applied`;
  await tx.execute(
    sql`update dfe_outbox set status = 'parked', attempts = attempts + 1, last_error = ${text},
          response = ${JSON.stringify(body ?? null)}::jsonb
        where id = ${item.id} and status = 'sending'`,
  );
  await tx.execute(
    sql`insert into dfe_parked_response (source, dfe_id, field, problem, payload)
        values (${`${item.action} answer (outbox ${item.id})`},
                ${item.dfe_application_id ?? item.dfe_participant_id}, ${problem.field},
                ${problem.problem}, ${JSON.stringify(body ?? null)}::jsonb)`,
  );
  await openStaffTask(tx, now, item);
  await audit(tx, {
    what: 'DFE_ANSWER_PARKED',
    who: SYSTEM,
    ...subjectOf(item),
    details: { outboxId: item.id, action: item.action, field: problem.field },
    at: now,
  });
}

/** The staff task for a request the DfE refused, that failed, or whose answer was parked. */
export async function openStaffTask(
  tx: Pick<Db, 'execute'>,
  now: Date,
  item: Pick<SentItem, 'id' | 'enrolment_id'>,
) {
  await tx.execute(
    sql`insert into staff_task (kind, enrolment_id, dfe_outbox_id, due_on, created_at)
        values ('dfe_refused', ${item.enrolment_id}, ${item.id}, ${londonDateOf(now)}, ${now})
        on conflict (kind, dfe_outbox_id) do update set status = 'open', completed_at = null`,
  );
}

/** What an audit event about an outbox request is about: its enrolment, else its application. */
export function subjectOf(item: Pick<SentItem, 'enrolment_id' | 'application_id'>) {
  return item.enrolment_id !== null
    ? { subjectType: 'enrolment', subjectId: item.enrolment_id }
    : { subjectType: 'dfe_application', subjectId: item.application_id ?? 0 };
}

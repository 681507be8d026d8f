import type { Db } from '../db/client.js';
import { auditEvent } from '../db/schema.js';
import { actorLabel, type Actor, type SYSTEM } from './actor.js';

export interface AuditEntry {
  /** Past tense, upper snake case: PARTICIPANT_DEFERRED, CLINIC_BOOKED. */
  what: string;
  who: Actor | typeof SYSTEM;
  subjectType: string;
  subjectId: string | number;
  details?: Record<string, unknown>;
  correlationId?: string | undefined;
  at: Date;
}

/** Written inside the use case's transaction, so the trail and the change land together or not at all. */
export async function audit(tx: Pick<Db, 'insert'>, ...entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await tx.insert(auditEvent).values(
    entries.map((e) => ({
      what: e.what,
      who: actorLabel(e.who),
      subjectType: e.subjectType,
      subjectId: String(e.subjectId),
      details: e.details ?? {},
      correlationId: e.correlationId ?? null,
      occurredAt: e.at,
    })),
  );
}

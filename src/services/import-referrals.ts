import { sql } from 'drizzle-orm';
import { queryRows } from '../db/client.js';
import type { Actor } from './actor.js';
import { NotFoundError } from './errors.js';
import type { ServiceDeps } from './participants.js';

/**
 * Rows a delivery partner's participant import could not add because they clashed with a
 * participant or an account outside that partner. The partner was told only that the programme
 * team has been told; this is what the programme team (of the partner's lead provider) and admins
 * read: who tried, on which line, and what it clashed with. Reads only.
 */
export interface ImportReferral {
  id: number;
  occurredAt: string;
  importedBy: string;
  deliveryPartner: string | null;
  line: number;
  field: string;
  reason: string;
  /** The participant the row clashed with; null when it was another kind of account. */
  participantId: number | null;
}

const READERS: readonly Actor['role'][] = ['admin', 'programme_team'];

export async function listImportReferrals(
  { db }: ServiceDeps,
  actor: Actor,
  options: { limit?: number } = {},
): Promise<ImportReferral[]> {
  if (!READERS.includes(actor.role)) throw new NotFoundError('Import referrals are not yours');
  const rows = await queryRows<{
    id: number;
    occurred_at: string | Date;
    who_name: string | null;
    partner: string | null;
    details: { line?: number; field?: string; reason?: string; participantId?: number | null };
  }>(
    db,
    sql`select ae.id, ae.occurred_at, u.display_name as who_name, dp.name as partner, ae.details
        from audit_event ae
        left join app_user u on ae.who = 'user:' || u.id
        left join delivery_partner dp on dp.id = (ae.details->'deliveryPartnerIds'->>0)::int
        where ae.what = 'IMPORT_ROW_REFERRED'
          and ${actor.role === 'admin' ? sql`true` : sql`dp.lead_provider_id = ${actor.leadProviderId ?? -1}`}
        order by ae.occurred_at desc, ae.id desc
        limit ${options.limit ?? 200}`,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    occurredAt: new Date(r.occurred_at).toISOString(),
    importedBy: r.who_name ?? 'an import',
    deliveryPartner: r.partner,
    line: Number(r.details.line ?? 0),
    field: String(r.details.field ?? 'row'),
    reason: String(r.details.reason ?? ''),
    participantId: r.details.participantId ?? null,
  }));
}

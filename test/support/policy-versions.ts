import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import {
  approveDraft,
  createDraft,
  formValuesOf,
  updateDraft,
  valuesFromForm,
  type DraftEdit,
} from '../../src/services/policy-register.js';
import type { PolicyParameters } from '../../src/policy/register.js';
import type { DemoWorld } from './demo-world.js';

/** The demo's programme team and admin: who drafts and who approves a policy version. */
export const TEAM = 'programme.team@demo.npq-ops.test';
export const ADMIN = 'admin@demo.npq-ops.test';

/** The edit form's submission for a version: its own fields, with `values` over its parameters. */
export function editOf(
  version: {
    revision: number;
    summary: string;
    owner: string | null;
    appliesTo: string | null;
    parameters: PolicyParameters | null;
  },
  values: Record<string, string>,
): DraftEdit {
  return {
    revision: version.revision,
    summary: version.summary,
    owner: version.owner ?? '',
    ownerEmail: '',
    appliesTo: version.appliesTo ?? '',
    nextReviewOn: '2027-07-01',
    values: valuesFromForm({ ...formValuesOf(version.parameters!), ...values }),
  };
}

/** A draft of `version` with the given form values (as the edit form sends them) over 2.2's. */
export async function draftVersion(
  w: DemoWorld,
  version: string,
  values: Record<string, string>,
): Promise<void> {
  const deps = { db: w.t.db, clock: w.clock };
  const teamActor = await w.actor(TEAM);
  const draft = await createDraft(deps, teamActor, { version, summary: `Version ${version}` });
  await updateDraft(deps, teamActor, version, editOf(draft, values));
}

/** Drafts `version` and approves it to come into force on `issuedOn`. */
export async function approveVersion(
  w: DemoWorld,
  version: string,
  values: Record<string, string>,
  issuedOn: string,
): Promise<void> {
  await draftVersion(w, version, values);
  const [row] = await queryRows<{ revision: number }>(
    w.t.db,
    sql`select revision from policy_version where version = ${version}`,
  );
  await approveDraft({ db: w.t.db, clock: w.clock }, await w.actor(ADMIN), version, {
    revision: row!.revision,
    issuedOn,
    approver: 'Programme Operations Committee',
  });
}

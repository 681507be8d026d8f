/**
 * The policy register in the database (policy header, 3.1.1): the versions, the version in force on
 * a date, and the one draft the programme team edits and an approver approves.
 *
 * - Read: admins, the programme team and delivery-partner staff (the policy is public anyway).
 * - Draft and edit: admins and the programme team.
 * - Approve: admins and the programme team, but never the person who created or last edited the
 *   draft (four eyes). An approved version is in force from its issue date; it cannot change.
 *
 * Rules decide under `registerInForce(db, date)`: the latest approved version with parameters
 * issued on or before the date (before the first such version, that first version: npq-ops began
 * under 2.2, and versions 1, 2 and 2.1 are history only). Every decision carries its version.
 */
import { sql } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import { queryRows, type Db } from '../db/client.js';
import {
  changedParameters,
  EDITABLE_PARAMETERS,
  parameterProblems,
  parameterValue,
  registerFromVersion,
  withParameterValues,
  type StoredPolicyVersion,
} from '../policy/register-versions.js';
import {
  isIsoDate,
  isBefore,
  londonDateOf,
  POLICY_REGISTER,
  type PolicyParameters,
  type PolicyRegister,
} from '../policy/index.js';
import type { Actor } from './actor.js';
import { audit } from './audit.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from './errors.js';

export interface RegisterDeps {
  db: Db;
  clock: Clock;
}

const READERS: readonly Actor['role'][] = ['admin', 'programme_team', 'delivery_partner_staff'];
const EDITORS: readonly Actor['role'][] = ['admin', 'programme_team'];

export const mayReadRegister = (actor: Actor): boolean => READERS.includes(actor.role);
export const mayEditRegister = (actor: Actor): boolean => EDITORS.includes(actor.role);

export type VersionStatus = 'draft' | 'approved' | 'discarded';

export interface PolicyVersionView extends StoredPolicyVersion {
  id: number;
  status: VersionStatus;
  /** 'in force', 'superseded', 'approved, in force from <date>', 'history', 'draft'. */
  standing: 'draft' | 'in_force' | 'superseded' | 'scheduled' | 'history' | 'discarded';
  ownerEmail: string | null;
  basedOnVersion: string | null;
  approvedAt: string | null;
  approvedBy: string | null;
  createdBy: string | null;
  createdByUserId: number | null;
  updatedByUserId: number | null;
  revision: number;
}

interface VersionRow {
  id: number;
  version: string;
  status: VersionStatus;
  owner: string | null;
  owner_email: string | null;
  approver: string | null;
  issued_on: string | null;
  summary: string;
  applies_to: string | null;
  next_review_on: string | null;
  parameters: PolicyParameters | null;
  based_on_version: string | null;
  approved_at: string | null;
  approved_by: string | null;
  created_by: string | null;
  created_by_user_id: number | null;
  updated_by_user_id: number | null;
  revision: number;
}

async function versionRows(db: Pick<Db, 'execute'>, where = sql`true`): Promise<VersionRow[]> {
  return queryRows<VersionRow>(
    db,
    sql`select v.id, v.version, v.status, v.owner, v.owner_email, v.approver,
               to_char(v.issued_on, 'YYYY-MM-DD') as issued_on, v.summary, v.applies_to,
               to_char(v.next_review_on, 'YYYY-MM-DD') as next_review_on, v.parameters,
               v.based_on_version,
               to_char(v.approved_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as approved_at,
               au.display_name as approved_by, cu.display_name as created_by,
               v.created_by_user_id, v.updated_by_user_id, v.revision
        from policy_version v
        left join app_user au on au.id = v.approved_by_user_id
        left join app_user cu on cu.id = v.created_by_user_id
        where ${where}
        order by v.status = 'draft', v.issued_on nulls last, v.id`,
  );
}

const stored = (r: VersionRow): StoredPolicyVersion => ({
  version: r.version,
  owner: r.owner,
  approver: r.approver,
  issuedOn: r.issued_on,
  summary: r.summary,
  appliesTo: r.applies_to,
  nextReviewOn: r.next_review_on,
  parameters: r.parameters,
});

/** Of the approved versions (in issue order), the one deciding on `date`. */
function inForceOf(approved: readonly VersionRow[], date: string): VersionRow | undefined {
  const decidable = approved.filter((r) => r.parameters !== null);
  const started = decidable.filter((r) => r.issued_on !== null && r.issued_on <= date);
  return started.at(-1) ?? decidable[0];
}

function views(rows: readonly VersionRow[], today: string): PolicyVersionView[] {
  const approved = rows.filter((r) => r.status === 'approved');
  const inForce = inForceOf(approved, today);
  return rows.map((r) => ({
    ...stored(r),
    id: r.id,
    status: r.status,
    standing:
      r.status === 'draft'
        ? 'draft'
        : r.status === 'discarded'
          ? 'discarded'
          : r === inForce
            ? 'in_force'
            : r.parameters === null
              ? 'history'
              : r.issued_on !== null && r.issued_on > today
                ? 'scheduled'
                : 'superseded',
    ownerEmail: r.owner_email,
    basedOnVersion: r.based_on_version,
    approvedAt: r.approved_at,
    approvedBy: r.approved_by,
    createdBy: r.created_by,
    createdByUserId: r.created_by_user_id,
    updatedByUserId: r.updated_by_user_id,
    revision: r.revision,
  }));
}

/**
 * The register the rules decide under on `date`, with the version table up to that version. Falls
 * back to the code's register only on a database without the register (never after migrating).
 */
export async function registerInForce(
  db: Pick<Db, 'execute'>,
  date: string,
): Promise<PolicyRegister> {
  const approved = await versionRows(db, sql`v.status = 'approved'`);
  const chosen = inForceOf(approved, date);
  if (!chosen) return POLICY_REGISTER;
  const history = approved.filter((r) => r.issued_on !== null && r.issued_on <= chosen.issued_on!);
  return registerFromVersion(POLICY_REGISTER, stored(chosen), history.map(stored));
}

/** A version's register as if it were in force (a draft, for the what-if). */
export function registerOfVersion(version: PolicyVersionView): PolicyRegister {
  return registerFromVersion(POLICY_REGISTER, version, []);
}

export async function listPolicyVersions(
  { db, clock }: RegisterDeps,
  actor: Actor,
): Promise<PolicyVersionView[]> {
  if (!mayReadRegister(actor)) throw new ForbiddenError();
  return views(await versionRows(db), londonDateOf(clock.now()));
}

export async function getPolicyVersion(
  deps: RegisterDeps,
  actor: Actor,
  version: string,
): Promise<PolicyVersionView> {
  const found = (await listPolicyVersions(deps, actor)).find((v) => v.version === version);
  if (!found) throw new NotFoundError(`Policy version ${version}`);
  return found;
}

const VERSION_PATTERN = /^\d{1,3}(\.\d{1,3}){0,2}$/;

/**
 * Starts a draft from the version in force today: same owner, parameters and review date, ready to
 * edit. One draft at a time (a second is a conflict); the version number must be new.
 */
export async function createDraft(
  { db, clock }: RegisterDeps,
  actor: Actor,
  input: { version: string; summary: string },
): Promise<PolicyVersionView> {
  if (!mayEditRegister(actor)) throw new ForbiddenError();
  const version = input.version.trim();
  const summary = input.summary.trim();
  const problems = [];
  if (!VERSION_PATTERN.test(version))
    problems.push({ path: 'version', message: 'Enter a version number, for example 2.3 or 3' });
  if (!summary) problems.push({ path: 'summary', message: 'Enter a summary of the changes' });
  if (summary.length > 500)
    problems.push({ path: 'summary', message: 'Summary must be 500 characters or fewer' });
  if (problems.length) throw new ValidationError(problems);
  const at = clock.now();
  const today = londonDateOf(at);
  return db.transaction(async (tx) => {
    const rows = await versionRows(tx);
    if (rows.some((r) => r.status === 'draft'))
      throw new ConflictError('There is already a draft version: edit or approve it first.');
    if (rows.some((r) => r.version === version))
      throw new ValidationError([
        { path: 'version', message: `Version ${version} already exists` },
      ]);
    const base = inForceOf(
      rows.filter((r) => r.status === 'approved'),
      today,
    );
    const [created] = await queryRows<{ id: number }>(
      tx,
      sql`insert into policy_version
            (version, status, owner, owner_email, approver, summary, applies_to, next_review_on,
             parameters, based_on_version, created_by_user_id, updated_by_user_id, created_at, updated_at)
          values (${version}, 'draft', ${base?.owner ?? POLICY_REGISTER.owner}, ${base?.owner_email ?? null},
                  ${base?.approver ?? null}, ${summary}, ${base?.applies_to ?? POLICY_REGISTER.appliesTo},
                  ${base?.next_review_on ?? null}::date,
                  ${JSON.stringify(base?.parameters ?? POLICY_REGISTER.parameters)}::jsonb,
                  ${base?.version ?? null}, ${actor.userId}, ${actor.userId}, ${at}, ${at})
          returning id`,
    );
    await audit(tx, {
      what: 'POLICY_DRAFT_CREATED',
      who: actor,
      subjectType: 'policy_version',
      subjectId: created!.id,
      details: { version, basedOn: base?.version ?? null, summary },
      at,
    });
    return views(await versionRows(tx), today).find((v) => v.id === created!.id)!;
  });
}

export interface DraftEdit {
  revision: number;
  summary: string;
  owner: string;
  ownerEmail: string;
  appliesTo: string;
  nextReviewOn: string;
  /** Whole-number values by field (basis points for the threshold): see EDITABLE_PARAMETERS. */
  values: Record<string, number>;
}

/** Field problems of an edit, before anything is saved (so a form can check answers first). */
export function draftEditProblems(edit: DraftEdit): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (!edit.summary.trim())
    problems.push({ path: 'summary', message: 'Enter a summary of the changes' });
  if (edit.summary.length > 500)
    problems.push({ path: 'summary', message: 'Summary must be 500 characters or fewer' });
  if (!edit.owner.trim()) problems.push({ path: 'owner', message: 'Enter the policy owner' });
  if (edit.ownerEmail.trim() && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(edit.ownerEmail.trim()))
    problems.push({
      path: 'ownerEmail',
      message: 'Enter an email address in the correct format, like name@example.com',
    });
  if (!edit.appliesTo.trim())
    problems.push({ path: 'appliesTo', message: 'Enter who the policy applies to' });
  if (!isIsoDate(edit.nextReviewOn))
    problems.push({ path: 'nextReviewOn', message: 'Enter the date the next review is due' });
  for (const p of parameterProblems(edit.values))
    problems.push({ path: p.field, message: p.message });
  return problems;
}

async function draftRow(tx: Pick<Db, 'execute'>, version: string): Promise<VersionRow> {
  const [row] = await versionRows(tx, sql`v.version = ${version} and v.status = 'draft'`);
  if (!row) throw new NotFoundError(`Draft policy version ${version}`);
  return row;
}

export async function updateDraft(
  { db, clock }: RegisterDeps,
  actor: Actor,
  version: string,
  edit: DraftEdit,
): Promise<PolicyVersionView> {
  if (!mayEditRegister(actor)) throw new ForbiddenError();
  const problems = draftEditProblems(edit);
  if (problems.length) throw new ValidationError(problems);
  const at = clock.now();
  return db.transaction(async (tx) => {
    const row = await draftRow(tx, version);
    if (row.revision !== edit.revision) throw new ConflictError();
    const before = row.parameters ?? POLICY_REGISTER.parameters;
    const parameters = withParameterValues(before, edit.values);
    await tx.execute(sql`
      update policy_version set summary = ${edit.summary.trim()}, owner = ${edit.owner.trim()},
        owner_email = ${edit.ownerEmail.trim() || null}, applies_to = ${edit.appliesTo.trim()},
        next_review_on = ${edit.nextReviewOn}::date, parameters = ${JSON.stringify(parameters)}::jsonb,
        updated_by_user_id = ${actor.userId}, updated_at = ${at}, revision = revision + 1
      where id = ${row.id}`);
    await audit(tx, {
      what: 'POLICY_DRAFT_EDITED',
      who: actor,
      subjectType: 'policy_version',
      subjectId: row.id,
      details: {
        version,
        changed: Object.fromEntries(
          changedParameters(before, parameters).map((f) => [
            f,
            { from: parameterValue(before, f), to: parameterValue(parameters, f) },
          ]),
        ),
      },
      at,
    });
    return views(await versionRows(tx), londonDateOf(at)).find((v) => v.id === row.id)!;
  });
}

/**
 * Approves the draft: it is in force from `issuedOn` (today or later, and not before the version
 * in force now), published on /policy from then, and can no longer change. The approver named is
 * the role or committee the version table shows; the signed-in approver is kept beside it.
 */
export async function approveDraft(
  { db, clock }: RegisterDeps,
  actor: Actor,
  version: string,
  input: { revision: number; issuedOn: string; approver: string },
): Promise<PolicyVersionView> {
  if (!mayEditRegister(actor)) throw new ForbiddenError();
  const at = clock.now();
  const today = londonDateOf(at);
  return db.transaction(async (tx) => {
    const row = await draftRow(tx, version);
    if (row.created_by_user_id === actor.userId || row.updated_by_user_id === actor.userId)
      throw new ForbiddenError(
        'Someone other than the person who drafted or last edited this version must approve it.',
      );
    if (row.revision !== input.revision) throw new ConflictError();
    const problems: { path: string; message: string }[] = [];
    if (!isIsoDate(input.issuedOn))
      problems.push({ path: 'issuedOn', message: 'Enter the date the version comes into force' });
    else if (isBefore(input.issuedOn, today))
      problems.push({
        path: 'issuedOn',
        message: 'The date it comes into force must be today or later',
      });
    if (!input.approver.trim())
      problems.push({
        path: 'approver',
        message: 'Enter who approved it, as the version table shows',
      });
    if (row.next_review_on && isIsoDate(input.issuedOn) && row.next_review_on <= input.issuedOn)
      problems.push({
        path: 'issuedOn',
        message: 'The version must come into force before its next review date',
      });
    if (problems.length) throw new ValidationError(problems);
    await tx.execute(sql`
      update policy_version set status = 'approved', issued_on = ${input.issuedOn}::date,
        approver = ${input.approver.trim()}, approved_by_user_id = ${actor.userId}, approved_at = ${at},
        updated_at = ${at}, revision = revision + 1
      where id = ${row.id}`);
    // A new version is the outcome of the review (3.1.1): the review-due task is done.
    await tx.execute(sql`
      update staff_task set status = 'done', completed_at = ${at},
        outcome = ${JSON.stringify({ approvedVersion: version })}::jsonb
      where kind = 'policy_review' and status = 'open'`);
    await audit(tx, {
      what: 'POLICY_VERSION_APPROVED',
      who: actor,
      subjectType: 'policy_version',
      subjectId: row.id,
      details: { version, issuedOn: input.issuedOn, approver: input.approver.trim() },
      at,
    });
    return views(await versionRows(tx), today).find((v) => v.id === row.id)!;
  });
}

/** Discards the draft (kept, marked discarded, so its version number stays used). */
export async function discardDraft(
  { db, clock }: RegisterDeps,
  actor: Actor,
  version: string,
): Promise<void> {
  if (!mayEditRegister(actor)) throw new ForbiddenError();
  const at = clock.now();
  await db.transaction(async (tx) => {
    const row = await draftRow(tx, version);
    await tx.execute(sql`
      update policy_version set status = 'discarded', updated_by_user_id = ${actor.userId},
        updated_at = ${at}, revision = revision + 1 where id = ${row.id}`);
    await audit(tx, {
      what: 'POLICY_DRAFT_DISCARDED',
      who: actor,
      subjectType: 'policy_version',
      subjectId: row.id,
      details: { version },
      at,
    });
  });
}

/** The editable parameters of a version as form values (the threshold as a percentage). */
export function formValuesOf(parameters: PolicyParameters): Record<string, string> {
  return Object.fromEntries(
    EDITABLE_PARAMETERS.map((e) => {
      const v = parameterValue(parameters, e.field);
      return [e.field, e.unit === 'percent' ? String(v / 100) : String(v)];
    }),
  );
}

/** Form text to whole-number values: NaN where it is not a number (a field error follows). */
export function valuesFromForm(form: Readonly<Record<string, string>>): Record<string, number> {
  return Object.fromEntries(
    EDITABLE_PARAMETERS.map((e) => {
      const raw = (form[e.field] ?? '').trim().replace(/%$/, '');
      if (e.unit === 'percent') {
        if (!/^\d{1,3}(\.\d{1,2})?$/.test(raw)) return [e.field, NaN];
        return [e.field, Math.round(Number(raw) * 100)];
      }
      return [e.field, /^\d{1,4}$/.test(raw) ? Number(raw) : NaN];
    }),
  );
}

export interface ReviewTaskView {
  id: number;
  version: string;
  dueOn: string;
  raisedOn: string;
}

/** The open review-due tasks (3.1.1), raised by the daily job before a version's review date. */
export async function openReviewTasks(
  { db }: RegisterDeps,
  actor: Actor,
): Promise<ReviewTaskView[]> {
  if (!mayReadRegister(actor)) throw new ForbiddenError();
  return queryRows<ReviewTaskView>(
    db,
    sql`select st.id, v.version, to_char(st.due_on, 'YYYY-MM-DD') as "dueOn",
               to_char((st.created_at at time zone 'Europe/London')::date, 'YYYY-MM-DD') as "raisedOn"
        from staff_task st join policy_version v on v.id = st.policy_version_id
        where st.kind = 'policy_review' and st.status = 'open' order by st.due_on, st.id`,
  );
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { fixedClock } from '../../src/clock.js';
import { queryRows } from '../../src/db/client.js';
import { apiToken } from '../../src/db/schema.js';
import { passwordProblem } from '../../src/domain/password-rules.js';
import { describeAccountLink } from '../../src/services/accounts/passwords.js';
import { loadActor, type Actor } from '../../src/services/actor.js';
import {
  authenticatePassword,
  authenticateToken,
  createApiToken,
  hashPassword,
  loadSessionActor,
  startSession,
} from '../../src/services/auth.js';
import { AdminExistsError, createFirstAdmin } from '../../src/services/accounts/bootstrap.js';
import { changeAccount } from '../../src/services/accounts/changes.js';
import { inviteStaff, resendInvitation } from '../../src/services/accounts/invitations.js';
import {
  AccountLinkError,
  requestPasswordReset,
  setPasswordFromLink,
} from '../../src/services/accounts/passwords.js';
import { deactivateAccount, reactivateAccount } from '../../src/services/accounts/status.js';
import {
  ConflictError,
  ForbiddenError,
  ValidationError,
  type FieldError,
} from '../../src/services/errors.js';
import { insertReferenceWorld } from '../support/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const T0 = new Date('2025-11-03T09:00:00Z');
const PUBLIC_URL = 'https://npq.example.test';
const GOOD_PASSWORD = 'orange piano bicycle cloud';
let t: TestDatabase;
let admin: Actor;
let team: Actor;
let partnerStaff: Actor;
const deps = (now = T0) => ({ db: t.db, clock: fixedClock(now), publicUrl: PUBLIC_URL });

async function fieldErrors(promise: Promise<unknown>): Promise<FieldError[]> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).errors;
}

/** The token of the newest link emailed to an address (the link is in the email's personalisation). */
async function emailedToken(email: string, template?: string): Promise<string> {
  const [row] = await queryRows<{ link: string }>(
    t.db,
    sql`select personalisation->>'link' as link from email_message
        where lower(to_email) = lower(${email}) ${template ? sql`and template = ${template}` : sql``}
        order by id desc limit 1`,
  );
  expect(row?.link).toBeDefined();
  return row!.link.split('/').pop()!;
}

async function emailsTo(email: string): Promise<{ template: string }[]> {
  return queryRows(
    t.db,
    sql`select template from email_message where lower(to_email) = lower(${email}) order by id`,
  );
}

async function userWith(role: string, email: string, extra: Record<string, unknown> = {}) {
  const [row] = await queryRows<{ id: number }>(
    t.db,
    sql`insert into app_user (email, display_name, password_hash, role, lead_provider_id, delivery_partner_id)
        values (${email}, ${email.split('@')[0]}, ${await hashPassword(GOOD_PASSWORD)}, ${role},
                ${(extra.leadProviderId as number | undefined) ?? null}, ${(extra.deliveryPartnerId as number | undefined) ?? null})
        returning id`,
  );
  return (await loadActor(t.db, row!.id))!;
}

beforeAll(async () => {
  t = await createTestDatabase();
  // The first admin is made on an empty database, before anything else exists.
  const first = await createFirstAdmin(
    t.db,
    { email: 'Ada@Example.test', name: 'Ada Admin' },
    T0,
    PUBLIC_URL,
  );
  expect(first.link).toMatch(/^https:\/\/npq\.example\.test\/account\/set-password\/[\w-]{40,}$/);
  await setPasswordFromLink(t.db, first.link.split('/').pop()!, GOOD_PASSWORD, T0);
  admin = (await loadActor(t.db, first.userId))!;
  await insertReferenceWorld(t.db);
  team = await userWith('programme_team', 'team@example.test', { leadProviderId: 1 });
  partnerStaff = await userWith('delivery_partner_staff', 'north@example.test', {
    leadProviderId: 1,
    deliveryPartnerId: 1,
  });
});
afterAll(async () => {
  await t.destroy();
});

describe('password rules', () => {
  it('asks for at least 12 characters and refuses the most common passwords, in any case', () => {
    expect(passwordProblem('short pass1')).toMatch(/at least 12 characters/);
    expect(passwordProblem('QWERTY123456')).toMatch(/most common passwords/);
    expect(passwordProblem('leavemealone')).toMatch(/most common passwords/);
    expect(passwordProblem('ada@example.test', { email: 'Ada@Example.test' })).toMatch(/email/);
    expect(passwordProblem(GOOD_PASSWORD)).toBeNull();
    // Counted as people count characters: twelve emoji are twelve characters.
    expect(passwordProblem('🙂'.repeat(11))).toMatch(/at least 12/);
    expect(passwordProblem('🙂'.repeat(12))).toBeNull();
  });
});

describe('the first admin', () => {
  it('is refused once an active admin exists, and never has a password until they set one', async () => {
    await expect(
      createFirstAdmin(t.db, { email: 'other@example.test', name: 'Other' }, T0, PUBLIC_URL),
    ).rejects.toBeInstanceOf(AdminExistsError);
    const [events] = await queryRows<{ n: number }>(
      t.db,
      sql`select count(*)::int as n from audit_event where what = 'FIRST_ADMIN_CREATED'`,
    );
    expect(events!.n).toBe(1);
  });
});

describe('inviting staff', () => {
  it('creates an account with no password, a 7-day link, the email and an audit event, in one go', async () => {
    const invited = await inviteStaff(deps(), team, {
      email: 'Coach.One@Example.test',
      name: 'Cora Coach',
      role: 'coach',
    });
    expect(invited.expiresAt.toISOString()).toBe('2025-11-10T09:00:00.000Z');
    const [user] = await queryRows<{
      password_hash: string | null;
      lead_provider_id: number;
      role: string;
    }>(
      t.db,
      sql`select password_hash, lead_provider_id, role from app_user where id = ${invited.userId}`,
    );
    expect(user).toEqual({ password_hash: null, lead_provider_id: 1, role: 'coach' });
    expect(await emailsTo('coach.one@example.test')).toEqual([{ template: 'staff_invitation' }]);
    const [mail] = await queryRows<{ p: Record<string, string> }>(
      t.db,
      sql`select personalisation as p from email_message where subject_id = ${String(invited.userId)}`,
    );
    expect(mail!.p).toMatchObject({
      name: 'Cora Coach',
      invited_by: 'team',
      role_description: 'a coach',
      expires: '10 November 2025 at 9:00am',
    });
    const [audit] = await queryRows<{ who: string; details: { role: string } }>(
      t.db,
      sql`select who, details from audit_event where what = 'STAFF_INVITED' and subject_id = ${String(invited.userId)}`,
    );
    expect(audit).toMatchObject({ who: `user:${team.userId}`, details: { role: 'coach' } });
    // No password yet: nothing signs in, whatever is typed.
    expect(
      await authenticatePassword(t.db, 'coach.one@example.test', 'npq-ops-unknown-user'),
    ).toBeNull();
  });

  it('refuses a duplicate email, in any case, as a field error on email', async () => {
    const errors = await fieldErrors(
      inviteStaff(deps(), admin, { email: 'COACH.ONE@example.TEST', name: 'Again', role: 'coach' }),
    );
    expect(errors).toEqual([
      { path: 'email', message: 'There is already an account with this email address' },
    ]);
  });

  it('two invitations for one email at once: one account, the other a field error on email', async () => {
    const results = await Promise.allSettled(
      ['Twin@example.test', 'twin@EXAMPLE.test'].map((email) =>
        inviteStaff(deps(), admin, { email, name: 'Twin', role: 'coach' }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected');
    expect(refused?.reason).toBeInstanceOf(ValidationError);
    expect((refused?.reason as ValidationError).errors).toMatchObject([{ path: 'email' }]);
  });

  it('lets admins give any staff role, the programme team any but admin, and nobody else invite', async () => {
    const admin2 = await inviteStaff(deps(), admin, {
      email: 'admin2@example.test',
      name: 'Second Admin',
      role: 'admin',
    });
    expect(admin2.userId).toBeGreaterThan(0);
    await expect(
      inviteStaff(deps(), team, { email: 'admin3@example.test', name: 'No', role: 'admin' }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    await expect(
      inviteStaff(deps(), partnerStaff, { email: 'x@example.test', name: 'No', role: 'coach' }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    expect(
      await fieldErrors(
        inviteStaff(deps(), team, { email: 'p@example.test', name: 'P', role: 'participant' }),
      ),
    ).toMatchObject([{ path: 'role' }]);
    expect(await emailsTo('admin3@example.test')).toEqual([]);
  });

  it('needs a partner for partner staff, and says what is missing field by field', async () => {
    expect(
      await fieldErrors(
        inviteStaff(deps(), team, {
          email: 'dp@example.test',
          name: 'Dee',
          role: 'delivery_partner_staff',
        }),
      ),
    ).toEqual([
      { path: 'deliveryPartnerId', message: 'Select the delivery partner they work for' },
    ]);
    const paths = (
      await fieldErrors(inviteStaff(deps(), team, { email: 'nope', name: ' ', role: 'coach' }))
    ).map((e) => e.path);
    expect(paths.sort()).toEqual(['email', 'name']);
    const ok = await inviteStaff(deps(), team, {
      email: 'dp@example.test',
      name: 'Dee',
      role: 'delivery_partner_staff',
      deliveryPartnerId: 2,
    });
    const [mail] = await queryRows<{ role: string }>(
      t.db,
      sql`select personalisation->>'role_description' as role from email_message where subject_id = ${String(ok.userId)}`,
    );
    expect(mail!.role).toBe('a member of staff at South Hub');
  });
});

describe('links', () => {
  it('an invitation sets a password once, within 7 days; the password must pass the rules', async () => {
    const { userId } = await inviteStaff(deps(), team, {
      email: 'fac@example.test',
      name: 'Fay',
      role: 'facilitator',
    });
    const token = await emailedToken('fac@example.test');
    const week = 7 * 24 * 3_600_000;
    expect((await describeAccountLink(t.db, token, new Date(T0.getTime() + week - 1))).state).toBe(
      'valid',
    );
    expect((await describeAccountLink(t.db, token, new Date(T0.getTime() + week))).state).toBe(
      'expired',
    );
    await expect(
      setPasswordFromLink(t.db, token, GOOD_PASSWORD, new Date(T0.getTime() + week)),
    ).rejects.toMatchObject({
      state: 'expired',
      purpose: 'invitation',
    });
    expect(await fieldErrors(setPasswordFromLink(t.db, token, 'too short', T0))).toMatchObject([
      { path: 'password', message: expect.stringMatching(/at least 12 characters/) as unknown },
    ]);
    expect(await fieldErrors(setPasswordFromLink(t.db, token, 'qwerty123456', T0))).toMatchObject([
      { path: 'password', message: expect.stringMatching(/most common/) as unknown },
    ]);
    const done = await setPasswordFromLink(t.db, token, GOOD_PASSWORD, T0);
    expect(done).toMatchObject({ userId, purpose: 'invitation' });
    expect((await authenticatePassword(t.db, 'FAC@example.test', GOOD_PASSWORD))?.userId).toBe(
      userId,
    );
    const second = await setPasswordFromLink(t.db, token, 'another long passphrase', T0).catch(
      (e: unknown) => e,
    );
    expect(second).toBeInstanceOf(AccountLinkError);
    expect(second).toMatchObject({ state: 'used' });
    expect((await emailsTo('fac@example.test')).map((e) => e.template)).toEqual([
      'staff_invitation',
      'password_changed',
    ]);
  });

  it('a resent invitation kills the old link', async () => {
    const { userId } = await inviteStaff(deps(), team, {
      email: 'ass@example.test',
      name: 'Asa',
      role: 'assessor',
    });
    const old = await emailedToken('ass@example.test');
    await resendInvitation(deps(), team, userId);
    const fresh = await emailedToken('ass@example.test');
    expect(fresh).not.toBe(old);
    expect((await describeAccountLink(t.db, old, T0)).state).toBe('used');
    expect((await describeAccountLink(t.db, fresh, T0)).state).toBe('valid');
    await setPasswordFromLink(t.db, fresh, GOOD_PASSWORD, T0);
    // Once they have a password, resending is refused with the way forward.
    expect(await fieldErrors(resendInvitation(deps(), team, userId))).toMatchObject([
      { path: 'invitation', message: expect.stringMatching(/Forgotten your password/) as unknown },
    ]);
  });

  it('a reset gives the same answer for unknown emails and queues nothing for them', async () => {
    await expect(
      requestPasswordReset(t.db, 'nobody@example.test', T0, PUBLIC_URL),
    ).resolves.toBeUndefined();
    expect(await emailsTo('nobody@example.test')).toEqual([]);
    await expect(
      requestPasswordReset(t.db, ' TEAM@example.test ', T0, PUBLIC_URL),
    ).resolves.toBeUndefined();
    expect((await emailsTo('team@example.test')).map((e) => e.template)).toEqual([
      'password_reset',
    ]);
  });

  it('a reset link lasts 1 hour, works once and signs out every session of the account', async () => {
    const target = await userWith('coach', 'reset.me@example.test', { leadProviderId: 1 });
    const session = await startSession(t.db, target.userId, T0, 12);
    await requestPasswordReset(t.db, 'reset.me@example.test', T0, PUBLIC_URL);
    const token = await emailedToken('reset.me@example.test', 'password_reset');
    expect((await describeAccountLink(t.db, token, new Date(T0.getTime() + 3_600_000))).state).toBe(
      'expired',
    );
    const minuteBefore = new Date(T0.getTime() + 3_540_000);
    await setPasswordFromLink(t.db, token, 'a brand new passphrase', minuteBefore);
    expect(await loadSessionActor(t.db, session, T0)).toBeNull();
    expect(await authenticatePassword(t.db, 'reset.me@example.test', GOOD_PASSWORD)).toBeNull();
    expect(
      await authenticatePassword(t.db, 'reset.me@example.test', 'a brand new passphrase'),
    ).not.toBeNull();
    await expect(
      setPasswordFromLink(t.db, token, 'yet another passphrase', minuteBefore),
    ).rejects.toMatchObject({
      state: 'used',
    });
  });
});

describe('deactivation', () => {
  it('ends a live session and kills API tokens at once; the account cannot sign in until reactivated', async () => {
    const target = await userWith('programme_team', 'leaver@example.test', { leadProviderId: 1 });
    const session = await startSession(t.db, target.userId, T0, 12);
    const { token } = await createApiToken(
      t.db,
      { email: 'leaver@example.test', role: 'programme_team' },
      T0,
    );
    expect(await loadSessionActor(t.db, session, T0)).not.toBeNull();
    expect(await authenticateToken(t.db, token, T0)).not.toBeNull();

    const { version } = await deactivateAccount(deps(), team, target.userId);
    expect(await loadSessionActor(t.db, session, T0)).toBeNull();
    expect(await authenticateToken(t.db, token, T0)).toBeNull();
    const tokens = await t.db.select({ revokedAt: apiToken.revokedAt }).from(apiToken);
    expect(tokens.every((r) => r.revokedAt !== null)).toBe(true);
    expect(await authenticatePassword(t.db, 'leaver@example.test', GOOD_PASSWORD)).toBeNull();
    // No reset link for a deactivated account either.
    await requestPasswordReset(t.db, 'leaver@example.test', T0, PUBLIC_URL);
    expect(await emailsTo('leaver@example.test')).toEqual([]);

    await expect(
      reactivateAccount(deps(), team, target.userId, { expectedVersion: version - 1 }),
    ).rejects.toBeInstanceOf(ConflictError);
    await reactivateAccount(deps(), team, target.userId, { expectedVersion: version });
    expect(await authenticatePassword(t.db, 'leaver@example.test', GOOD_PASSWORD)).not.toBeNull();
    expect(await authenticateToken(t.db, token, T0)).toBeNull();
  });

  it('is never of yourself, and only admins deactivate admins', async () => {
    await expect(deactivateAccount(deps(), admin, admin.userId)).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    await expect(deactivateAccount(deps(), team, admin.userId)).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    await expect(deactivateAccount(deps(), partnerStaff, team.userId)).rejects.toBeInstanceOf(
      ForbiddenError,
    );
  });
});

describe('role and partner changes', () => {
  it('are audited with the old and new role and partner, and refused on a stale version', async () => {
    const target = await userWith('coach', 'mover@example.test', { leadProviderId: 1 });
    const changed = await changeAccount(deps(), team, target.userId, {
      role: 'delivery_partner_staff',
      deliveryPartnerId: 1,
      expectedVersion: 1,
    });
    expect(changed.version).toBe(2);
    const moved = await loadActor(t.db, target.userId);
    expect(moved).toMatchObject({
      role: 'delivery_partner_staff',
      deliveryPartnerId: 1,
      leadProviderId: 1,
    });
    const [audit] = await queryRows<{ details: unknown }>(
      t.db,
      sql`select details from audit_event where what = 'ACCOUNT_ROLE_CHANGED' and subject_id = ${String(target.userId)}`,
    );
    expect(audit!.details).toMatchObject({
      from: { role: 'coach', deliveryPartnerId: null },
      to: { role: 'delivery_partner_staff', deliveryPartnerId: 1 },
    });
    await expect(
      changeAccount(deps(), team, target.userId, { role: 'coach', expectedVersion: 1 }),
    ).rejects.toBeInstanceOf(ConflictError);
    await expect(
      changeAccount(deps(), team, target.userId, { role: 'admin', expectedVersion: 2 }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    await expect(
      changeAccount(deps(), team, team.userId, { role: 'coach', expectedVersion: 1 }),
    ).rejects.toBeInstanceOf(ForbiddenError);
  });
});

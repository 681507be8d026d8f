import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { appUser, deliveryPartner } from '../../db/schema.js';
import { ROLES, type Role } from '../../domain/catalogue.js';
import { accountLinkUrl, issueAccountLink } from '../account-links.js';
import { actorLabel, STAFF_ROLES, type Actor } from '../actor.js';
import { audit } from '../audit.js';
import { enqueueEmail } from '../email/outbox.js';
import { ForbiddenError, ValidationError } from '../errors.js';
import {
  accountForWrite,
  DUPLICATE_EMAIL,
  duplicateEmailError,
  emailDateTime,
  emailTaken,
  isAccountManager,
  roleDescription,
  rolesActorMayGive,
  scopeFor,
  type AccountDeps,
  type Tx,
} from './common.js';

export const InvitationInput = z.object({
  name: z
    .string({ message: 'Enter their full name' })
    .trim()
    .min(1, 'Enter their full name')
    .max(200, 'Their name must be 200 characters or fewer'),
  email: z
    .string({ message: 'Enter their email address' })
    .trim()
    .min(1, 'Enter their email address')
    .max(320, 'Their email address must be 320 characters or fewer')
    .pipe(
      z.email({ message: 'Enter an email address in the correct format, like name@example.com' }),
    ),
  role: z.enum(ROLES, { message: 'Select a role' }),
  deliveryPartnerId: z.number().int().positive().nullish(),
});
export type InvitationInput = z.input<typeof InvitationInput>;

function fieldErrors(error: z.ZodError): ValidationError {
  return new ValidationError(
    error.issues.map((i) => ({ path: String(i.path[0] ?? 'form'), message: i.message })),
  );
}

/**
 * Invites a member of staff: an account with no password, a 7-day single-use invitation link and
 * the invitation email, all in one transaction. Admins may give any staff role, the programme team
 * any but admin; participant accounts come from imports, not from here.
 */
export async function inviteStaff(
  deps: AccountDeps,
  actor: Actor,
  input: InvitationInput,
): Promise<{ userId: number; email: string; expiresAt: Date }> {
  if (!isAccountManager(actor))
    throw new ForbiddenError('Only admins and the programme team invite staff');
  const parsed = InvitationInput.safeParse(input);
  if (!parsed.success) throw fieldErrors(parsed.error);
  const { name, email, role } = parsed.data;
  if (role === 'participant')
    throw new ValidationError([
      {
        path: 'role',
        message: 'Participants get their accounts when they are imported: choose a staff role',
      },
    ]);
  if (!rolesActorMayGive(actor).includes(role))
    throw new ForbiddenError('Only an admin can invite another admin');
  const now = deps.clock.now();
  const invite = deps.db.transaction(async (tx) => {
    if (await emailTaken(tx, email))
      throw new ValidationError([{ path: 'email', message: DUPLICATE_EMAIL }]);
    const scope = await scopeFor(tx, actor, role, parsed.data.deliveryPartnerId);
    const [user] = await tx
      .insert(appUser)
      .values({
        email,
        displayName: name,
        passwordHash: null,
        role,
        leadProviderId: scope.leadProviderId,
        deliveryPartnerId: scope.deliveryPartnerId,
        createdAt: now,
      })
      .returning({ id: appUser.id });
    const userId = user!.id;
    const { expiresAt } = await sendInvitation(tx, deps, actor, {
      userId,
      email,
      name,
      role,
      partnerName: scope.partnerName,
    });
    await audit(tx, {
      what: 'STAFF_INVITED',
      who: actor,
      subjectType: 'app_user',
      subjectId: userId,
      details: {
        role,
        deliveryPartnerId: scope.deliveryPartnerId,
        expiresAt: expiresAt.toISOString(),
      },
      at: now,
    });
    return { userId, email, expiresAt };
  });
  return invite.catch((error: unknown) => {
    throw duplicateEmailError(error) ?? error;
  });
}

/**
 * A new invitation for someone who has not set a password yet; the earlier links stop working.
 * Participants whose link has gone use "Forgotten your password?" instead.
 */
export async function resendInvitation(
  deps: AccountDeps,
  actor: Actor,
  userId: number,
): Promise<{ userId: number; email: string; expiresAt: Date }> {
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const account = await accountForWrite(tx, actor, userId);
    const role = account.role as Role;
    const refuse = (message: string) => new ValidationError([{ path: 'invitation', message }]);
    if (account.deactivatedAt) throw refuse('This account is deactivated: reactivate it first');
    if (account.passwordHash !== null)
      throw refuse(
        'They have already set a password. If they have forgotten it, they can use "Forgotten your password?" on the sign-in page',
      );
    if (!STAFF_ROLES.includes(role))
      throw refuse(
        'Participants get a new link with "Forgotten your password?" on the sign-in page',
      );
    const [partner] = account.deliveryPartnerId
      ? await tx
          .select({ name: deliveryPartner.name })
          .from(deliveryPartner)
          .where(eq(deliveryPartner.id, account.deliveryPartnerId))
      : [];
    const { expiresAt } = await sendInvitation(tx, deps, actor, {
      userId,
      email: account.email,
      name: account.displayName,
      role,
      partnerName: partner?.name ?? null,
    });
    await audit(tx, {
      what: 'INVITATION_RESENT',
      who: actor,
      subjectType: 'app_user',
      subjectId: userId,
      details: { expiresAt: expiresAt.toISOString() },
      at: now,
    });
    return { userId, email: account.email, expiresAt };
  });
}

async function sendInvitation(
  tx: Tx,
  deps: AccountDeps,
  actor: Actor,
  to: { userId: number; email: string; name: string; role: Role; partnerName: string | null },
): Promise<{ expiresAt: Date }> {
  const { token, expiresAt } = await issueAccountLink(tx, {
    userId: to.userId,
    purpose: 'invitation',
    createdBy: actorLabel(actor),
    now: deps.clock.now(),
  });
  await enqueueEmail(tx, {
    template: 'staff_invitation',
    to: to.email,
    personalisation: {
      name: to.name,
      invited_by: actor.displayName,
      role_description: roleDescription(to.role, to.partnerName),
      link: accountLinkUrl(deps.publicUrl, 'invitation', token),
      expires: emailDateTime(expiresAt),
    },
    subject: { type: 'app_user', id: to.userId },
  });
  return { expiresAt };
}

import { and, eq, isNull } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client.js';
import { appUser } from '../../db/schema.js';
import { accountLinkUrl, issueAccountLink } from '../account-links.js';
import { SYSTEM } from '../actor.js';
import { audit } from '../audit.js';
import { ConflictError, ValidationError } from '../errors.js';
import { DUPLICATE_EMAIL, emailTaken } from './common.js';

const FirstAdmin = z.object({
  email: z
    .string()
    .trim()
    .min(1, 'Enter their email address')
    .pipe(
      z.email({ message: 'Enter an email address in the correct format, like name@example.com' }),
    ),
  name: z
    .string()
    .trim()
    .min(1, 'Enter their name')
    .max(200, 'Name must be 200 characters or fewer'),
});

export class AdminExistsError extends ConflictError {
  constructor() {
    super('An active admin already exists: sign in as them and use the Accounts page to invite');
  }
}

/**
 * Bootstrap: the first admin of an empty database, from the command line. Refused once an active
 * admin exists. The admin gets no password: the one-time invitation link (7 days) that is
 * returned lets them choose one, so no password is ever typed on a command line.
 */
export async function createFirstAdmin(
  db: Db,
  input: { email: string; name: string },
  now: Date,
  publicUrl: string,
): Promise<{ userId: number; link: string; expiresAt: Date }> {
  const parsed = FirstAdmin.safeParse(input);
  if (!parsed.success)
    throw new ValidationError(
      parsed.error.issues.map((i) => ({ path: String(i.path[0] ?? 'form'), message: i.message })),
    );
  const { email, name } = parsed.data;
  return db.transaction(async (tx) => {
    const [admin] = await tx
      .select({ id: appUser.id })
      .from(appUser)
      .where(and(eq(appUser.role, 'admin'), isNull(appUser.deactivatedAt)))
      .limit(1);
    if (admin) throw new AdminExistsError();
    if (await emailTaken(tx, email))
      throw new ValidationError([{ path: 'email', message: DUPLICATE_EMAIL }]);
    const [user] = await tx
      .insert(appUser)
      .values({ email, displayName: name, passwordHash: null, role: 'admin', createdAt: now })
      .returning({ id: appUser.id });
    const { token, expiresAt } = await issueAccountLink(tx, {
      userId: user!.id,
      purpose: 'invitation',
      createdBy: SYSTEM,
      now,
    });
    await audit(tx, {
      what: 'FIRST_ADMIN_CREATED',
      who: SYSTEM,
      subjectType: 'app_user',
      subjectId: user!.id,
      details: { role: 'admin' },
      at: now,
    });
    return { userId: user!.id, link: accountLinkUrl(publicUrl, 'invitation', token), expiresAt };
  });
}

/**
 * 3.1.1: every policy is regularly reviewed by its owner. The daily job raises, once per version, a
 * review-due task (staff_task 'policy_review', on the policy register page) and emails the owner
 * REVIEW_NOTICE_DAYS before the version in force falls due for review: to the version's owner email,
 * or, when none is recorded, to every active admin and programme-team member (who can draft the
 * next version). Approving a newer version closes the task.
 */
import { sql } from 'drizzle-orm';
import { queryRows } from '../db/client.js';
import { addDays, evaluatePolicyReview, formatLongDate } from '../policy/index.js';
import { SYSTEM } from './actor.js';
import { audit } from './audit.js';
import { enqueueEmail } from './email/outbox.js';
import { registerInForce } from './policy-register.js';
import type { Tx } from './withdrawals.js';

/** How long before the review date the owner is told: two months to draft, try and approve. */
export const REVIEW_NOTICE_DAYS = 60;

export async function raisePolicyReviewDue(
  tx: Tx,
  input: { today: string; at: Date; publicUrl?: string | undefined },
): Promise<{ tasksOpened: number; noticesQueued: number }> {
  const register = await registerInForce(tx, input.today);
  // The rule says "due" once its due date is reached; asking it about the day the notice period
  // ends tells whether the review falls due within the notice period.
  const review = evaluatePolicyReview(
    { today: addDays(input.today, REVIEW_NOTICE_DAYS) },
    register,
  );
  if (review.outcome === 'met') return { tasksOpened: 0, noticesQueued: 0 };
  const [version] = await queryRows<{
    id: number;
    owner: string | null;
    owner_email: string | null;
    next_review_on: string | null;
  }>(
    tx,
    sql`select id, owner, owner_email, to_char(next_review_on, 'YYYY-MM-DD') as next_review_on
        from policy_version where version = ${register.version} and status = 'approved'
          and next_review_on is not null and review_notice_sent_at is null
        for update`,
  );
  if (!version) return { tasksOpened: 0, noticesQueued: 0 };
  const task = await queryRows<{ id: number }>(
    tx,
    sql`insert into staff_task (kind, policy_version_id, due_on, created_at)
        values ('policy_review', ${version.id}, ${version.next_review_on}::date, ${input.at})
        on conflict (kind, policy_version_id) do nothing returning id`,
  );
  const recipients = version.owner_email
    ? [{ email: version.owner_email, name: version.owner ?? register.owner }]
    : await queryRows<{ email: string; name: string }>(
        tx,
        sql`select email, display_name as name from app_user
            where role in ('admin', 'programme_team') and deactivated_at is null order by id`,
      );
  const link = `${input.publicUrl ?? ''}/policy-register`;
  const ids = await enqueueEmail(
    tx,
    ...recipients.map((r) => ({
      template: 'policy_review_due' as const,
      to: r.email,
      personalisation: {
        owner: version.owner ?? register.owner,
        policy: register.policyName,
        version: register.version,
        due: formatLongDate(version.next_review_on!),
        link,
      },
      subject: { type: 'policy_version', id: version.id },
    })),
  );
  await tx.execute(
    sql`update policy_version set review_notice_sent_at = ${input.at} where id = ${version.id}`,
  );
  await audit(tx, {
    what: 'POLICY_REVIEW_DUE',
    who: SYSTEM,
    subjectType: 'policy_version',
    subjectId: version.id,
    details: {
      version: register.version,
      dueOn: version.next_review_on,
      notified: recipients.map((r) => r.email),
      clause: '3.1.1',
      decision: JSON.parse(JSON.stringify(review)) as Record<string, unknown>,
    },
    at: input.at,
  });
  return { tasksOpened: task.length, noticesQueued: ids.length };
}

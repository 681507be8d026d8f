import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { queryRows } from '../../db/client.js';
import { FUNDING_ROUTES, WORKING_PATTERNS } from '../../domain/catalogue.js';
import type { Actor } from '../actor.js';
import { audit } from '../audit.js';
import { requireParticipant } from '../authorisation.js';
import { commenceIfDue } from '../commencement.js';
import { ConflictError, ValidationError, type FieldError } from '../errors.js';
import type { ServiceDeps } from '../participants.js';

/**
 * Staff corrections to a participant's record: the two confirmations that start a programme
 * (policy 2.3.2), name, email, working pattern and part-time fraction, funding route. Each edit is
 * checked against the version the editor read (409 if someone else changed it first) and audited
 * with every field's old and new value. Recording the second confirmation after engagement has
 * arrived starts the programme at once.
 */

const fraction = z
  .number({ message: 'Enter the part-time fraction as a number, for example 0.6' })
  .transform((n) => Math.round(n * 100) / 100)
  .pipe(
    z
      .number()
      .gt(0, 'The part-time fraction must be more than 0')
      .lt(1, 'The part-time fraction must be less than 1'),
  );

export const ParticipantEditSchema = z.object({
  expectedVersion: z
    .number({ message: 'Give the version of the record you read' })
    .int()
    .positive(),
  fullName: z
    .string()
    .trim()
    .min(1, 'Enter the full name')
    .max(200, 'Full name must be 200 characters or fewer')
    .optional(),
  email: z
    .string()
    .trim()
    .pipe(
      z.email({ message: 'Enter an email address in the correct format, like name@example.com' }),
    )
    .optional(),
  workingPattern: z.enum(WORKING_PATTERNS, { message: 'Choose full time or part time' }).optional(),
  partTimeFraction: fraction.nullable().optional(),
  fundingRoute: z
    .enum(FUNDING_ROUTES, { message: `Funding route must be one of ${FUNDING_ROUTES.join(', ')}` })
    .optional(),
  dfeRegistrationConfirmed: z.boolean({ message: 'Choose yes or no' }).optional(),
  employmentConfirmed: z.boolean({ message: 'Choose yes or no' }).optional(),
});

export type ParticipantEdit = z.input<typeof ParticipantEditSchema>;

interface Row {
  full_name: string;
  email: string;
  working_pattern: string;
  part_time_fraction: number | null;
  funding_route: string;
  dfe_registration_confirmed: boolean;
  employment_confirmed: boolean;
  version: number;
}

const FIELDS = {
  fullName: 'full_name',
  email: 'email',
  workingPattern: 'working_pattern',
  partTimeFraction: 'part_time_fraction',
  fundingRoute: 'funding_route',
  dfeRegistrationConfirmed: 'dfe_registration_confirmed',
  employmentConfirmed: 'employment_confirmed',
} as const satisfies Record<string, keyof Row>;
type Field = keyof typeof FIELDS;

export interface EditResult {
  participantId: number;
  version: number;
  /** The fields whose value changed. */
  changed: Field[];
  /** Enrolments that commenced because this edit completed 2.3.2. */
  commencedEnrolmentIds: number[];
}

export async function editParticipant(
  deps: ServiceDeps,
  actor: Actor,
  participantId: number,
  raw: unknown,
): Promise<EditResult> {
  const parsed = ParticipantEditSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ValidationError(
      parsed.error.issues.map((i) => ({ path: String(i.path[0] ?? 'form'), message: i.message })),
    );
  }
  const input = parsed.data;
  return deps.db.transaction(async (tx) => {
    await requireParticipant(tx, actor, participantId, 'write');
    const [current] = await queryRows<Row>(
      tx,
      sql`select full_name, email, working_pattern, part_time_fraction::float8 as part_time_fraction, funding_route,
                 dfe_registration_confirmed, employment_confirmed, version
          from participant where id = ${participantId} for update`,
    );
    if (!current) throw new ValidationError([{ path: 'id', message: 'No such participant' }]);
    if (current.version !== input.expectedVersion) throw new ConflictError();

    const next: Row = { ...current };
    for (const [field, column] of Object.entries(FIELDS) as [Field, keyof Row][]) {
      const value = input[field];
      if (value !== undefined) (next as unknown as Record<string, unknown>)[column] = value;
    }
    // Full time clears the fraction; part time needs one.
    if (next.working_pattern === 'full_time') next.part_time_fraction = null;
    const errors: FieldError[] = [];
    if (next.working_pattern === 'part_time' && next.part_time_fraction === null)
      errors.push({ path: 'partTimeFraction', message: 'Enter the part-time fraction' });
    if (next.email.toLowerCase() !== current.email.toLowerCase()) {
      const [taken] = await queryRows<{ kind: string }>(
        tx,
        sql`select 'participant' as kind from participant where lower(email) = lower(${next.email}) and id <> ${participantId}
            union all
            select 'account' from app_user where lower(email) = lower(${next.email})
              and participant_id is distinct from ${participantId}
            limit 1`,
      );
      if (taken)
        errors.push({
          path: 'email',
          message:
            taken.kind === 'participant'
              ? 'This email address belongs to another participant'
              : 'This email address is already used to sign in to another account',
        });
    }
    if (errors.length > 0) throw new ValidationError(errors);

    const changes: Record<string, { from: unknown; to: unknown }> = {};
    const changed: Field[] = [];
    for (const [field, column] of Object.entries(FIELDS) as [Field, keyof Row][]) {
      if (current[column] !== next[column]) {
        changes[field] = { from: current[column], to: next[column] };
        changed.push(field);
      }
    }
    if (changed.length === 0) {
      return {
        participantId,
        version: current.version,
        changed,
        commencedEnrolmentIds: [],
      };
    }

    const now = deps.clock.now();
    const [updated] = await queryRows<{ version: number }>(
      tx,
      sql`update participant set full_name = ${next.full_name}, email = ${next.email},
                 working_pattern = ${next.working_pattern}, part_time_fraction = ${next.part_time_fraction},
                 funding_route = ${next.funding_route},
                 dfe_registration_confirmed = ${next.dfe_registration_confirmed},
                 employment_confirmed = ${next.employment_confirmed}, version = version + 1
          where id = ${participantId} and version = ${current.version}
          returning version`,
    );
    if (!updated) throw new ConflictError();
    if (changes.email || changes.fullName) {
      // The participant signs in with this email, and is greeted by this name.
      await tx.execute(sql`update app_user set email = ${next.email}, display_name = ${next.full_name},
                                 version = version + 1
                           where participant_id = ${participantId}`);
    }
    await audit(tx, {
      what: 'PARTICIPANT_UPDATED',
      who: actor,
      subjectType: 'participant',
      subjectId: participantId,
      details: { changes },
      at: now,
    });
    const confirmed =
      (changes.dfeRegistrationConfirmed?.to === true || changes.employmentConfirmed?.to === true) &&
      next.dfe_registration_confirmed &&
      next.employment_confirmed;
    const commencedEnrolmentIds = confirmed
      ? await commenceIfDue(tx, {
          participantIds: [participantId],
          who: actor,
          at: now,
          trigger: 'confirmation_recorded',
        })
      : [];
    return { participantId, version: updated.version, changed, commencedEnrolmentIds };
  });
}

/**
 * Checks an NPQ application from the DfE against the contract before anything of it is stored.
 * The Zod schema below is tied to the types generated from the contract: the compile-time checks
 * at the end fail if the two drift apart (a value the contract allows that the schema refuses, or
 * the other way round). It also insists on the fields npq-ops cannot work without.
 */
import { z } from 'zod';
import type { components } from '../contract.js';

export type DfeApplication = components['schemas']['Application'];
type Attributes = DfeApplication['attributes'];
type Values<K extends keyof Attributes> = NonNullable<Attributes[K]>;

const COURSES = [
  'npq-senior-leadership',
  'npq-headship',
  'npq-executive-leadership',
  'npq-early-years-leadership',
  'npq-leading-teaching',
  'npq-leading-behaviour-culture',
  'npq-leading-teaching-development',
  'npq-leading-literacy',
  'npq-leading-primary-mathematics',
  'npq-additional-support-offer',
  'npq-early-headship-coaching-offer',
  'npq-senco',
] as const satisfies readonly Values<'course_identifier'>[];
const FUNDING_CHOICES = [
  'school',
  'trust',
  'self',
  'another',
  'employer',
] as const satisfies readonly Values<'funding_choice'>[];
const HEADTEACHER_STATUSES = [
  'no',
  'yes_when_course_starts',
  'yes_in_first_two_years',
  'yes_over_two_years',
  'yes_in_first_five_years',
  'yes_over_five_years',
] as const satisfies readonly Values<'headteacher_status'>[];
const INELIGIBLE_REASONS = [
  'previously-funded',
  'establishment-ineligible',
] as const satisfies readonly Values<'ineligible_for_funding_reason'>[];
const STATUSES = ['pending', 'accepted', 'rejected'] as const satisfies readonly Values<'status'>[];
export const SCHEDULES = [
  'npq-aso-march',
  'npq-aso-june',
  'npq-aso-november',
  'npq-aso-december',
  'npq-ehco-march',
  'npq-ehco-june',
  'npq-ehco-november',
  'npq-ehco-december',
  'npq-leadership-autumn',
  'npq-leadership-spring',
  'npq-specialist-autumn',
  'npq-specialist-spring',
] as const satisfies readonly Values<'schedule_identifier'>[];

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, {
  message: 'must be a UUID',
});
const dateTime = z.string().refine((v) => !Number.isNaN(Date.parse(v)) && /T/.test(v), {
  message: 'must be an ISO 8601 date and time',
});
const text = z.string();

/** The contract's Application, with the fields npq-ops needs made required. */
export const DfeApplicationSchema = z.object({
  id: uuid,
  type: z.literal('npq_application'),
  attributes: z.looseObject({
    course_identifier: z.enum(COURSES),
    email: text.nullable().optional(),
    email_validated: z.boolean().optional(),
    employer_name: text.nullable().optional(),
    employment_role: text.nullable().optional(),
    full_name: text.min(1),
    funding_choice: z.enum(FUNDING_CHOICES).nullable().optional(),
    headteacher_status: z.enum(HEADTEACHER_STATUSES).optional(),
    ineligible_for_funding_reason: z.enum(INELIGIBLE_REASONS).nullable().optional(),
    participant_id: uuid,
    private_childcare_provider_urn: text.nullable().optional(),
    teacher_reference_number: text.nullable().optional(),
    teacher_reference_number_validated: z.boolean(),
    school_urn: text.optional(),
    school_ukprn: text.nullable().optional(),
    status: z.enum(STATUSES),
    reason_for_rejection: text.nullable().optional(),
    works_in_school: z.boolean().optional(),
    cohort: text.nullable().optional(),
    cohort_suffix: text.optional(),
    eligible_for_funding: z.boolean(),
    targeted_delivery_funding_eligibility: z.boolean().optional(),
    teacher_catchment: z.boolean().nullable().optional(),
    teacher_catchment_country: text.nullable().optional(),
    teacher_catchment_iso_country_code: text.nullable().optional(),
    itt_provider: text.nullable().optional(),
    lead_mentor: z.boolean().nullable().optional(),
    funded_place: z.boolean().nullable().optional(),
    created_at: dateTime.optional(),
    updated_at: dateTime,
    schedule_identifier: z.enum(SCHEDULES).nullable().optional(),
    works_as_senco: z.boolean().nullable().optional(),
    senco_start_date: text.nullable().optional(),
  }),
});

export type CheckedApplication = z.infer<typeof DfeApplicationSchema>;

// Compile-time ties to the generated contract types (no runtime effect).
type Exhaustive<Union, Listed> = [Exclude<Union, Listed>] extends [never] ? true : false;
const coverage: [
  Exhaustive<Values<'course_identifier'>, (typeof COURSES)[number]>,
  Exhaustive<Values<'funding_choice'>, (typeof FUNDING_CHOICES)[number]>,
  Exhaustive<Values<'headteacher_status'>, (typeof HEADTEACHER_STATUSES)[number]>,
  Exhaustive<Values<'ineligible_for_funding_reason'>, (typeof INELIGIBLE_REASONS)[number]>,
  Exhaustive<Values<'status'>, (typeof STATUSES)[number]>,
  Exhaustive<Values<'schedule_identifier'>, (typeof SCHEDULES)[number]>,
] = [true, true, true, true, true, true];
void coverage;
export const asContractApplication = (checked: CheckedApplication): DfeApplication => checked;

export interface ContractProblem {
  /** The field at fault, as a path into the record: `attributes.course_identifier`. */
  field: string;
  problem: string;
}

/** The record as checked, or the first field that breaks the contract. */
export function checkApplication(
  value: unknown,
): { ok: true; application: CheckedApplication } | { ok: false; problem: ContractProblem } {
  const parsed = DfeApplicationSchema.safeParse(value);
  if (parsed.success) return { ok: true, application: parsed.data };
  const issue = parsed.error.issues[0]!;
  return {
    ok: false,
    problem: { field: issue.path.join('.') || 'record', problem: issue.message },
  };
}

/** The id of a record that may be broken, when it has a usable one. */
export function dfeIdOf(value: unknown): string | null {
  const id = (value as { id?: unknown } | null)?.id;
  return typeof id === 'string' && uuid.safeParse(id).success ? id : null;
}

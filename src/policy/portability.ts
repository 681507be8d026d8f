/**
 * Portability (policy 2.6.1-2.6.4, serving 1.1.1 and 1.1.2). A move of school or setting should not
 * stop anyone engaging: inside our network the enrolment simply continues and the new employer is
 * added to the history; outside it (an area we do not serve as lead provider) we support a transfer
 * to the lead provider of the participant's choice, which may include sharing their record. Either
 * way the participant must tell us, so the records stay right.
 */
import type { EnrolmentStatus } from '../domain/catalogue.js';
import { decision, reason } from './decision.js';
import type { Decision, Reason, RuleMetadata } from './decision.js';
import { addDays, formatLongDate, isBefore } from './dates.js';
import type { IsoDate } from './dates.js';
import { contactFor, describeContact } from './contacts.js';
import type { CohortDelivery, Contact } from './contacts.js';
import { POLICY_REGISTER } from './register.js';
import type { PolicyRegister } from './register.js';

export interface School {
  /** The school's unique reference number, or another setting identifier. */
  readonly urn: string;
  readonly name: string;
  /** Its English region's code; null outside England's regions (GIAS "Not Applicable"). */
  readonly region: string | null;
  /** Its local authority's code (GIAS `LA (code)`), when known. */
  readonly localAuthority?: string | null;
}

export interface EmploymentPeriod {
  readonly school: School;
  readonly from: IsoDate;
  /** Last day at the school; absent for the current employer. */
  readonly to?: IsoDate;
}

export interface SchoolMoveInput {
  readonly enrolmentStatus: EnrolmentStatus;
  readonly employmentHistory: readonly EmploymentPeriod[];
  readonly newSchool: School;
  /** First day at the new school. */
  readonly movedOn: IsoDate;
  /** The day the participant told us; absent if we learnt of it another way. */
  readonly notifiedOn?: IsoDate;
  /** Regions where we are the lead provider for every school (whole-region coverage). */
  readonly coveredRegions: readonly string[];
  /**
   * Local authorities served by us or one of our delivery partners: every school in them is inside
   * our network, whatever its region.
   */
  readonly coveredAreas?: readonly string[];
  readonly delivery: CohortDelivery;
  /** The lead provider the participant has chosen, for a move outside our network. */
  readonly chosenLeadProvider?: string;
}

/** What we would share with the new lead provider, and why (2.6.4). */
export interface DataSharingRecord {
  readonly recipient: string | null;
  readonly purpose: string;
  readonly categories: readonly string[];
  readonly status: 'awaiting_participant_choice' | 'ready_to_share';
}

export interface SchoolMoveDetails {
  readonly route: 'continue' | 'transfer_out' | null;
  readonly employmentHistory: readonly EmploymentPeriod[];
  readonly dataSharing: DataSharingRecord | null;
  /** The participant-lifecycle event to apply once the transfer completes. */
  readonly lifecycleEvent: 'transfer_out' | null;
  readonly contact: Contact;
}

const MOVABLE: readonly EnrolmentStatus[] = ['accepted', 'active', 'deferred'];

export const TRANSFER_DATA_CATEGORIES: readonly string[] = [
  'identity and DfE participant id',
  'course and cohort',
  'engagement record (completed activities)',
  'assessment attempts',
  'deferral history',
];

export function evaluateSchoolMove(
  input: SchoolMoveInput,
  register: PolicyRegister = POLICY_REGISTER,
): Decision<'allowed' | 'refused' | 'needs_review', SchoolMoveDetails> {
  const contact = contactFor(input.delivery, register);
  const current = input.employmentHistory.find((e) => e.to === undefined);
  // Stryker disable next-line ArrayDeclaration: [] and ["Stryker was here"] differ only for a school whose local-authority code is that literal text; the property "no areas given is no areas served" kills any real code as the default
  const inside = insideNetwork(input.newSchool, input.coveredRegions, input.coveredAreas ?? []);
  const evidence = {
    newSchoolUrn: input.newSchool.urn,
    newSchoolRegion: input.newSchool.region,
    newSchoolLocalAuthority: input.newSchool.localAuthority ?? null,
    movedOn: input.movedOn,
    notifiedOn: input.notifiedOn ?? null,
    enrolmentStatus: input.enrolmentStatus,
  };
  const reasons: Reason[] = [
    reason(
      'PORTABILITY.MOVE_RECOGNISED',
      '2.6.1',
      true,
      'We expect participants to finish with the same school, but we recognise a move is sometimes unavoidable.',
      evidence,
    ),
  ];

  if (!MOVABLE.includes(input.enrolmentStatus)) {
    reasons.push(
      reason(
        'PORTABILITY.NO_CURRENT_ENROLMENT',
        '2.6.2',
        false,
        'You do not have a current enrolment to continue at your new school.',
        evidence,
      ),
    );
    return decision(register.version, 'refused', reasons, {
      route: null,
      employmentHistory: input.employmentHistory,
      dataSharing: null,
      lifecycleEvent: null,
      contact,
    });
  }
  if (current !== undefined && !isBefore(current.from, input.movedOn)) {
    throw new RangeError(`The move on ${input.movedOn} is not after the current employment began`);
  }
  const history: EmploymentPeriod[] = [
    ...input.employmentHistory.map((e) =>
      e === current ? { ...e, to: addDays(input.movedOn, -1) } : e,
    ),
    { school: input.newSchool, from: input.movedOn },
  ];

  reasons.push(
    input.notifiedOn !== undefined
      ? reason(
          'PORTABILITY.NOTIFIED',
          '2.6.3',
          true,
          `Thank you for telling us about your move on ${formatLongDate(input.notifiedOn)}; your records are up to date.`,
          evidence,
        )
      : reason(
          'PORTABILITY.NOT_NOTIFIED',
          '2.6.3',
          false,
          `If you move school or setting, you must tell ${describeContact(contact)} so we can keep your records up to date.`,
          evidence,
        ),
  );

  let dataSharing: DataSharingRecord | null = null;
  if (inside) {
    reasons.push(
      reason(
        'PORTABILITY.CONTINUES',
        '2.6.2',
        true,
        `${input.newSchool.name} is in an area we cover, so you continue your programme as before; your new school is added to your employment history.`,
        evidence,
      ),
    );
  } else {
    dataSharing = {
      recipient: input.chosenLeadProvider ?? null,
      purpose:
        "To support the participant's transfer to a programme delivered by the lead provider of their choice (policy 2.6.4).",
      categories: TRANSFER_DATA_CATEGORIES,
      status:
        input.chosenLeadProvider === undefined ? 'awaiting_participant_choice' : 'ready_to_share',
    };
    reasons.push(
      reason(
        'PORTABILITY.OUTSIDE_NETWORK',
        '2.6.4',
        true,
        `${input.newSchool.name} is in an area where ${register.leadProviderName} is not the lead provider. We will work with the lead provider of your choice to transfer you to their programme, which may include sharing your records with them${input.chosenLeadProvider === undefined ? '. Please tell us which lead provider you choose.' : ` (${input.chosenLeadProvider}).`}`,
        {
          ...evidence,
          coveredRegions: [...input.coveredRegions],
          coveredAreas: [...(input.coveredAreas ?? [])],
          chosenLeadProvider: input.chosenLeadProvider ?? null,
        },
      ),
    );
  }

  return decision(
    register.version,
    input.notifiedOn === undefined ? 'needs_review' : 'allowed',
    reasons,
    {
      route: inside ? 'continue' : 'transfer_out',
      employmentHistory: history,
      dataSharing,
      lifecycleEvent: inside ? null : 'transfer_out',
      contact,
    },
  );
}

/**
 * Our network (2.6.4): a school is inside it when its local authority is one we or a delivery
 * partner serve, or its whole region is covered.
 */
export function insideNetwork(
  school: School,
  coveredRegions: readonly string[],
  coveredAreas: readonly string[],
): boolean {
  return (
    (school.region !== null && coveredRegions.includes(school.region)) ||
    (school.localAuthority != null && coveredAreas.includes(school.localAuthority))
  );
}

export const PORTABILITY_RULES: readonly RuleMetadata[] = [
  {
    rule: 'evaluateSchoolMove',
    file: 'src/policy/portability.ts',
    clauses: ['1.1.1', '1.1.2', '2.1.2', '2.6.1', '2.6.2', '2.6.3', '2.6.4'],
    summary:
      "A move inside the network continues the enrolment and adds to the employment history; outside it, a transfer to the lead provider of the participant's choice with a data-sharing record; the move must be notified.",
  },
];

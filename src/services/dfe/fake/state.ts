/**
 * The state of the fake DfE lead provider API v3 (a development and test tool, never used in
 * production): applications, participants with their training status, declarations and
 * statements, changed by the same actions, with the same refusals, as the DfE's own service.
 * Every record is shaped by the types generated from the contract (src/services/dfe/contract.ts).
 */
import { randomUUID } from 'node:crypto';
import type { components } from '../contract.js';

type Schemas = components['schemas'];
export type FakeApplication = Schemas['Application'];
export type FakeParticipant = Schemas['Participant'];
export type FakeEnrolment = NonNullable<FakeParticipant['attributes']['npq_enrolments']>[number];
export type FakeDeclaration = Schemas['ParticipantDeclaration'];
export type FakeStatement = Schemas['Statement'];
export type CourseIdentifier = NonNullable<FakeApplication['attributes']['course_identifier']>;
export type ScheduleIdentifier = NonNullable<FakeApplication['attributes']['schedule_identifier']>;
export type DeclarationType = FakeDeclaration['attributes']['declaration_type'];
export type DeferralReason = Schemas['ParticipantDeferRequest']['data']['attributes']['reason'];
export type WithdrawalReason =
  Schemas['ParticipantWithdrawRequest']['data']['attributes']['reason'];

/** A refusal as the DfE words it: 422 with `errors: [{ title, detail }]` (or 404). */
export class FakeDfeRefusal extends Error {
  constructor(
    readonly status: 404 | 422,
    readonly title: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}

const LEADERSHIP: readonly CourseIdentifier[] = [
  'npq-senior-leadership',
  'npq-headship',
  'npq-executive-leadership',
  'npq-early-years-leadership',
  'npq-senco',
];
const EHCO: readonly CourseIdentifier[] = ['npq-early-headship-coaching-offer'];

/** The schedules a course may follow (as the DfE's schedules table has them). */
export function schedulesFor(course: CourseIdentifier): ScheduleIdentifier[] {
  if (EHCO.includes(course))
    return ['npq-ehco-march', 'npq-ehco-june', 'npq-ehco-november', 'npq-ehco-december'];
  if (course === 'npq-additional-support-offer')
    return ['npq-aso-march', 'npq-aso-june', 'npq-aso-november', 'npq-aso-december'];
  if (LEADERSHIP.includes(course)) return ['npq-leadership-autumn', 'npq-leadership-spring'];
  return ['npq-specialist-autumn', 'npq-specialist-spring'];
}

/** Whether a course's completed declaration carries has_passed (leadership and specialist). */
function carriesOutcome(course: CourseIdentifier): boolean {
  return !EHCO.includes(course) && course !== 'npq-additional-support-offer';
}

/** A request or a fault the next matching request meets instead of its normal answer. */
export interface FakeFault {
  /** 'timeout' holds the request for `delayMs` (default 30 s) before answering 504. */
  kind: 'status' | 'timeout';
  status?: number;
  delayMs?: number;
  /** Only requests whose path contains this (default: any request). */
  pathIncludes?: string;
}

export interface FakeDfeOptions {
  /** The fake's clock (tests fix it); the DfE stamps updated_at with it. */
  now?: () => Date;
  leadProviderName?: string;
  /**
   * As the DfE: a participant with no declaration cannot be deferred or withdrawn. On by default;
   * off for flows that do not get as far as a declaration.
   */
  requireDeclarationForDeferOrWithdraw?: boolean;
}

export class FakeDfeState {
  readonly applications = new Map<string, FakeApplication>();
  readonly participants = new Map<string, FakeParticipant>();
  readonly declarations = new Map<string, FakeDeclaration>();
  readonly statements = new Map<string, FakeStatement>();
  /** Faults waiting for the next requests, first in first out. */
  readonly faults: FakeFault[] = [];
  /** Application ids whose next response is broken (for "bad response is parked" tests). */
  readonly broken = new Map<string, (application: FakeApplication) => unknown>();
  /** Every request the fake answered: method, path and status (tests count retries with it). */
  readonly requests: { method: string; path: string; status: number }[] = [];
  readonly now: () => Date;
  readonly leadProviderName: string;
  private readonly requireDeclaration: boolean;
  private tick = 0;

  constructor(options: FakeDfeOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.leadProviderName = options.leadProviderName ?? 'Example Institute';
    this.requireDeclaration = options.requireDeclarationForDeferOrWithdraw ?? true;
  }

  /**
   * A timestamp for a change: the clock, moved on by a millisecond per change so two changes are
   * never stamped alike even on a fixed clock (updated_since must see the later one).
   */
  stamp(): string {
    this.tick += 1;
    return new Date(this.now().getTime() + this.tick).toISOString();
  }

  /* ------------------------------------------------------------------ applications */

  addApplication(application: FakeApplication): void {
    this.applications.set(application.id, application);
  }

  application(id: string): FakeApplication {
    const found = this.applications.get(id);
    if (!found) throw new FakeDfeRefusal(404, 'Resource not found', 'Resource not found');
    return found;
  }

  acceptApplication(
    id: string,
    attributes: { funded_place?: boolean; schedule_identifier?: ScheduleIdentifier | null } = {},
  ): FakeApplication {
    const app = this.application(id);
    const a = app.attributes;
    if (a.status === 'accepted')
      throw new FakeDfeRefusal(
        422,
        'npq_application',
        'This NPQ application has already been accepted',
      );
    if (a.status === 'rejected')
      throw new FakeDfeRefusal(
        422,
        'npq_application',
        'Once rejected an application cannot change state',
      );
    const course = a.course_identifier!;
    const accepted = [...this.applications.values()].find(
      (o) =>
        o.id !== id &&
        o.attributes.participant_id === a.participant_id &&
        o.attributes.course_identifier === course &&
        o.attributes.status === 'accepted',
    );
    if (accepted)
      throw new FakeDfeRefusal(
        422,
        'npq_application',
        'The participant has already had an application accepted for this course.',
      );
    if (a.eligible_for_funding && attributes.funded_place === undefined)
      throw new FakeDfeRefusal(
        422,
        'funded_place',
        "The entered '#/funded_place' is missing from your request. Check details and try again.",
      );
    if (attributes.funded_place === true && !a.eligible_for_funding)
      throw new FakeDfeRefusal(
        422,
        'funded_place',
        "The participant is not eligible for funding, so '#/funded_place' cannot be set to true.",
      );
    const schedule =
      attributes.schedule_identifier ?? a.schedule_identifier ?? schedulesFor(course)[0]!;
    if (!schedulesFor(course).includes(schedule))
      throw new FakeDfeRefusal(
        422,
        'schedule_identifier',
        "Selected schedule is not valid for the course. Enter a valid '#/schedule_identifier'.",
      );
    const now = this.stamp();
    a.status = 'accepted';
    a.funded_place = a.eligible_for_funding ? (attributes.funded_place ?? null) : false;
    a.schedule_identifier = schedule;
    a.updated_at = now;
    // Other pending applications of the same participant for the same course are rejected.
    for (const other of this.applications.values()) {
      if (
        other.id !== id &&
        other.attributes.participant_id === a.participant_id &&
        other.attributes.course_identifier === course &&
        other.attributes.status === 'pending'
      ) {
        other.attributes.status = 'rejected';
        other.attributes.updated_at = now;
      }
    }
    this.enrol(app);
    return app;
  }

  rejectApplication(id: string): FakeApplication {
    const app = this.application(id);
    const a = app.attributes;
    if (a.status === 'rejected')
      throw new FakeDfeRefusal(
        422,
        'npq_application',
        'This NPQ application has already been rejected',
      );
    if (a.status === 'accepted')
      throw new FakeDfeRefusal(
        422,
        'npq_application',
        'Once accepted an application cannot change state',
      );
    a.status = 'rejected';
    a.updated_at = this.stamp();
    return app;
  }

  changeFundedPlace(id: string, fundedPlace: boolean): FakeApplication {
    const app = this.application(id);
    const a = app.attributes;
    if (a.status !== 'accepted')
      throw new FakeDfeRefusal(
        422,
        'npq_application',
        'The application is not accepted (pending applications cannot change funded place)',
      );
    if (fundedPlace && !a.eligible_for_funding)
      throw new FakeDfeRefusal(
        422,
        'funded_place',
        "The participant is not eligible for funding, so '#/funded_place' cannot be set to true.",
      );
    const live = [...this.declarations.values()].some(
      (d) =>
        d.attributes.application_id === id &&
        ['eligible', 'payable', 'paid'].includes(d.attributes.state),
    );
    if (live && !fundedPlace)
      throw new FakeDfeRefusal(
        422,
        'funded_place',
        "You must void or claw back your declarations for this participant before being able to set '#/funded_place' to false",
      );
    a.funded_place = fundedPlace;
    a.updated_at = this.stamp();
    const enrolment = this.enrolmentOf(a.participant_id!, a.course_identifier!);
    if (enrolment) {
      enrolment.funded_place = fundedPlace;
      this.touch(a.participant_id!);
    }
    return app;
  }

  /* ------------------------------------------------------------------ participants */

  private enrol(app: FakeApplication): void {
    const a = app.attributes;
    const pid = a.participant_id!;
    const now = a.updated_at!;
    const participant: FakeParticipant = this.participants.get(pid) ?? {
      id: pid,
      type: 'npq-participant',
      attributes: {
        full_name: a.full_name!,
        previous_names: [],
        teacher_reference_number: a.teacher_reference_number ?? null,
        updated_at: now,
        npq_enrolments: [],
        participant_id_changes: [],
      },
    };
    participant.attributes.npq_enrolments!.push({
      course_identifier: a.course_identifier!,
      schedule_identifier: a.schedule_identifier ?? null,
      cohort: a.cohort ?? null,
      cohort_suffix: a.cohort_suffix ?? 'a',
      npq_application_id: app.id,
      eligible_for_funding: a.eligible_for_funding ?? false,
      training_status: 'active',
      school_urn: a.school_urn ?? null,
      targeted_delivery_funding_eligibility: a.targeted_delivery_funding_eligibility ?? false,
      funded_place: a.funded_place ?? null,
      email: a.email ?? null,
      withdrawal: null,
      deferral: null,
      created_at: now,
    });
    participant.attributes.updated_at = now;
    this.participants.set(pid, participant);
  }

  participant(id: string): FakeParticipant {
    const found = this.participants.get(id);
    if (!found) throw new FakeDfeRefusal(404, 'Resource not found', 'Resource not found');
    return found;
  }

  private enrolmentOf(participantId: string, course: string): FakeEnrolment | undefined {
    return this.participants
      .get(participantId)
      ?.attributes.npq_enrolments?.find((e) => e.course_identifier === course);
  }

  private enrolmentFor(participantId: string, course: string): FakeEnrolment {
    this.participant(participantId);
    const enrolment = this.enrolmentOf(participantId, course);
    if (!enrolment)
      throw new FakeDfeRefusal(
        422,
        'course_identifier',
        "The entered '#/course_identifier' is not recognised for the given participant. Check details and try again.",
      );
    return enrolment;
  }

  private touch(participantId: string): void {
    this.participant(participantId).attributes.updated_at = this.stamp();
  }

  private hasDeclaration(participantId: string, course: string): boolean {
    return [...this.declarations.values()].some(
      (d) =>
        d.attributes.participant_id === participantId &&
        d.attributes.course_identifier === course &&
        d.attributes.state !== 'voided',
    );
  }

  defer(participantId: string, course: string, reason: DeferralReason): FakeParticipant {
    const e = this.enrolmentFor(participantId, course);
    if (e.training_status === 'deferred')
      throw new FakeDfeRefusal(422, 'participant_id', 'The participant is already deferred');
    if (e.training_status === 'withdrawn')
      throw new FakeDfeRefusal(
        422,
        'participant_id',
        'The participant is withdrawn and cannot be deferred',
      );
    if (this.requireDeclaration && !this.hasDeclaration(participantId, course))
      throw new FakeDfeRefusal(
        422,
        'participant_id',
        'You cannot defer an NPQ participant that has no declarations',
      );
    e.training_status = 'deferred';
    e.deferral = { reason, date: this.stamp() };
    this.touch(participantId);
    return this.participant(participantId);
  }

  withdraw(participantId: string, course: string, reason: WithdrawalReason): FakeParticipant {
    const e = this.enrolmentFor(participantId, course);
    if (e.training_status === 'withdrawn')
      throw new FakeDfeRefusal(422, 'participant_id', 'The participant is already withdrawn');
    if (this.requireDeclaration && !this.hasDeclaration(participantId, course))
      throw new FakeDfeRefusal(
        422,
        'participant_id',
        'An NPQ participant who has not got a started declaration cannot be withdrawn. Please contact the DfE for further support.',
      );
    e.training_status = 'withdrawn';
    e.withdrawal = { reason, date: this.stamp() };
    this.touch(participantId);
    return this.participant(participantId);
  }

  resume(participantId: string, course: string): FakeParticipant {
    const e = this.enrolmentFor(participantId, course);
    if (e.training_status === 'active')
      throw new FakeDfeRefusal(422, 'participant_id', 'The participant is already active');
    e.training_status = 'active';
    this.touch(participantId);
    return this.participant(participantId);
  }

  changeSchedule(
    participantId: string,
    course: string,
    schedule: ScheduleIdentifier,
    cohort?: string | null,
  ): FakeParticipant {
    const e = this.enrolmentFor(participantId, course);
    if (e.training_status === 'withdrawn')
      throw new FakeDfeRefusal(
        422,
        'participant_id',
        'You cannot change the schedule of a withdrawn participant',
      );
    if (!schedulesFor(course as CourseIdentifier).includes(schedule))
      throw new FakeDfeRefusal(
        422,
        'schedule_identifier',
        "Selected schedule is not valid for the course. Enter a valid '#/schedule_identifier'.",
      );
    if (cohort && cohort !== e.cohort) {
      const started = [...this.declarations.values()].some(
        (d) =>
          d.attributes.participant_id === participantId &&
          d.attributes.course_identifier === course &&
          !['voided', 'ineligible'].includes(d.attributes.state),
      );
      if (started)
        throw new FakeDfeRefusal(
          422,
          'cohort',
          "You cannot change the '#/cohort' field once a declaration has been submitted",
        );
      e.cohort = cohort;
    }
    e.schedule_identifier = schedule;
    this.touch(participantId);
    return this.participant(participantId);
  }

  /* ------------------------------------------------------------------ declarations */

  declare(input: {
    participant_id: string;
    declaration_type: DeclarationType;
    declaration_date: string;
    course_identifier: string;
    has_passed?: boolean;
    delivery_partner_id?: string;
  }): FakeDeclaration {
    const participant = this.participants.get(input.participant_id);
    if (!participant)
      throw new FakeDfeRefusal(
        422,
        'participant_id',
        "Your update cannot be made as the '#/participant_id' is not recognised. Check participant details and try again.",
      );
    const e = this.enrolmentFor(input.participant_id, input.course_identifier);
    const date = new Date(input.declaration_date);
    if (Number.isNaN(date.getTime()))
      throw new FakeDfeRefusal(
        422,
        'declaration_date',
        "Enter a valid RCF3339 '#/declaration_date'.",
      );
    if (date.getTime() > this.now().getTime())
      throw new FakeDfeRefusal(
        422,
        'declaration_date',
        "The '#/declaration_date' value cannot be a future date. Check the date and try again.",
      );
    if (e.training_status === 'withdrawn' && e.withdrawal && date > new Date(e.withdrawal.date))
      throw new FakeDfeRefusal(
        422,
        'participant_id',
        `This participant withdrew from this course on ${e.withdrawal.date.slice(0, 10)}. Enter a '#/declaration_date' that's on or before the withdrawal date.`,
      );
    const course = input.course_identifier as CourseIdentifier;
    if (
      input.declaration_type === 'completed' &&
      carriesOutcome(course) &&
      input.has_passed === undefined
    )
      throw new FakeDfeRefusal(
        422,
        'has_passed',
        "Enter a '#/has_passed' value for this participant.",
      );
    const duplicate = [...this.declarations.values()].find(
      (d) =>
        d.attributes.participant_id === input.participant_id &&
        d.attributes.course_identifier === course &&
        d.attributes.declaration_type === input.declaration_type &&
        !['voided', 'awaiting_clawback', 'clawed_back'].includes(d.attributes.state),
    );
    if (duplicate)
      throw new FakeDfeRefusal(
        422,
        'base',
        'A declaration has already been submitted that will be, or has been, paid for this event',
      );
    const now = this.stamp();
    const fundable = e.eligible_for_funding && e.funded_place !== false;
    const statement = fundable ? this.nextStatement(e.cohort ?? '', date) : undefined;
    const declaration: FakeDeclaration = {
      id: randomUUID(),
      type: 'participant-declaration',
      attributes: {
        participant_id: input.participant_id,
        declaration_type: input.declaration_type,
        declaration_date: input.declaration_date,
        course_identifier: course,
        state: fundable ? 'eligible' : 'submitted',
        has_passed: input.has_passed === undefined ? null : input.has_passed ? 'true' : 'false',
        statement_id: statement?.id ?? null,
        clawback_statement_id: null,
        uplift_paid: false,
        lead_provider_name: this.leadProviderName,
        ineligible_for_funding_reason: null,
        created_at: now,
        delivery_partner_id: input.delivery_partner_id ?? null,
        delivery_partner_name: null,
        secondary_delivery_partner_id: null,
        secondary_delivery_partner_name: null,
        application_id: e.npq_application_id,
        updated_at: now,
      },
    };
    this.declarations.set(declaration.id, declaration);
    return declaration;
  }

  declaration(id: string): FakeDeclaration {
    const found = this.declarations.get(id);
    if (!found) throw new FakeDfeRefusal(404, 'Resource not found', 'Resource not found');
    return found;
  }

  voidDeclaration(id: string): FakeDeclaration {
    const d = this.declaration(id);
    const a = d.attributes;
    if (a.state === 'voided' || a.state === 'awaiting_clawback' || a.state === 'clawed_back')
      throw new FakeDfeRefusal(422, 'id', 'This declaration has already been voided.');
    if (a.state === 'paid') {
      a.state = 'awaiting_clawback';
      a.clawback_statement_id =
        this.nextStatement(
          this.enrolmentOf(a.participant_id, a.course_identifier)?.cohort ?? '',
          this.now(),
        )?.id ?? null;
    } else a.state = 'voided';
    a.updated_at = this.stamp();
    return d;
  }

  /** Moves a declaration along the DfE's payment states (tests: eligible → payable → paid). */
  setDeclarationState(id: string, state: FakeDeclaration['attributes']['state']): void {
    const d = this.declaration(id);
    d.attributes.state = state;
    d.attributes.updated_at = this.stamp();
  }

  /* ------------------------------------------------------------------ statements */

  addStatement(statement: FakeStatement): void {
    this.statements.set(statement.id, statement);
  }

  /** The first unpaid statement of the cohort whose cut-off is on or after the date. */
  private nextStatement(cohort: string, date: Date): FakeStatement | undefined {
    const day = date.toISOString().slice(0, 10);
    return [...this.statements.values()]
      .filter(
        (s) =>
          s.attributes.cohort === cohort &&
          !s.attributes.paid &&
          (s.attributes.cut_off_date ?? '') >= day,
      )
      .sort((x, y) =>
        (x.attributes.cut_off_date ?? '').localeCompare(y.attributes.cut_off_date ?? ''),
      )[0];
  }
}

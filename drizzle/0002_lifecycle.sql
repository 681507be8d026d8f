CREATE TABLE "api_token" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "api_token_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"user_id" integer NOT NULL,
	"name" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_token_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "assessment_deferral_case" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "assessment_deferral_case_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"enrolment_id" integer NOT NULL,
	"window_id" integer NOT NULL,
	"status" text DEFAULT 'requested' NOT NULL,
	"circumstance" text NOT NULL,
	"description" text NOT NULL,
	"requested_at" timestamp with time zone NOT NULL,
	"requested_by" integer NOT NULL,
	"evidence_request" text,
	"evidence_note" text,
	"next_window_id" integer,
	"decision" jsonb,
	"decided_by" integer,
	"decided_at" timestamp with time zone,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "assessment_deferral_case_status_valid" CHECK (status in ('requested', 'evidence_requested', 'evidence_received', 'approved', 'declined'))
);
--> statement-breakpoint
CREATE TABLE "assessment_entry" (
	"enrolment_id" integer PRIMARY KEY NOT NULL,
	"window_id" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "assessment_submission" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "assessment_submission_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"enrolment_id" integer NOT NULL,
	"window_id" integer NOT NULL,
	"attempt_number" integer NOT NULL,
	"submitted_at" timestamp with time zone NOT NULL,
	"outcome" text,
	"assessed_by" integer,
	"assessed_at" timestamp with time zone,
	CONSTRAINT "assessment_submission_attempt_range" CHECK ("assessment_submission"."attempt_number" between 1 and 2),
	CONSTRAINT "assessment_submission_outcome_valid" CHECK ("assessment_submission"."outcome" is null or "assessment_submission"."outcome" in ('passed', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "assessment_window_result" (
	"enrolment_id" integer NOT NULL,
	"window_id" integer NOT NULL,
	"result" text NOT NULL,
	"decision" jsonb NOT NULL,
	"processed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "assessment_window_result_enrolment_id_window_id_pk" PRIMARY KEY("enrolment_id","window_id"),
	CONSTRAINT "assessment_window_result_valid" CHECK (result in ('submitted', 'attempt_lost', 'protected', 'not_entered'))
);
--> statement-breakpoint
CREATE TABLE "coaching_session" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "coaching_session_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"enrolment_id" integer NOT NULL,
	"participant_id" integer NOT NULL,
	"coach_user_id" integer NOT NULL,
	"activity_id" integer NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'scheduled' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "coaching_session_times" CHECK ("coaching_session"."starts_at" < "coaching_session"."ends_at"),
	CONSTRAINT "coaching_session_status_valid" CHECK (status in ('scheduled', 'cancelled', 'attended'))
);
--> statement-breakpoint
CREATE TABLE "deferral_case" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "deferral_case_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"enrolment_id" integer NOT NULL,
	"participant_id" integer NOT NULL,
	"status" text DEFAULT 'requested' NOT NULL,
	"circumstance" text NOT NULL,
	"description" text NOT NULL,
	"dfe_reason" text NOT NULL,
	"requested_on" date NOT NULL,
	"requested_by" integer NOT NULL,
	"alternatives_offered" jsonb,
	"participant_choice" text,
	"is_exception" boolean DEFAULT false NOT NULL,
	"exception_approved_by" integer,
	"target_cohort_id" integer,
	"rejoin_activity_id" integer,
	"rejoin_date" date,
	"rejoin_plan" jsonb,
	"intent_contact_due_on" date,
	"reasonable_adjustments" text,
	"decision" jsonb,
	"decided_by" integer,
	"decided_at" timestamp with time zone,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "deferral_case_status_valid" CHECK (status in ('requested', 'discussed', 'approved', 'declined', 'deferred', 'intent_contact_due', 'confirmed', 'resumed', 'withdrawn'))
);
--> statement-breakpoint
CREATE TABLE "engagement_alert" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "engagement_alert_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"kind" text NOT NULL,
	"enrolment_id" integer NOT NULL,
	"raised_on" date NOT NULL,
	"details" jsonb NOT NULL,
	CONSTRAINT "engagement_alert_kind_valid" CHECK (kind in ('engagement_unreachable', 'engagement_behind'))
);
--> statement-breakpoint
CREATE TABLE "event_booking" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "event_booking_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"participant_id" integer NOT NULL,
	"enrolment_id" integer NOT NULL,
	"cohort_event_id" integer NOT NULL,
	"status" text DEFAULT 'booked' NOT NULL,
	"accommodation" text,
	"booked_at" timestamp with time zone NOT NULL,
	"cancelled_at" timestamp with time zone,
	CONSTRAINT "event_booking_status_valid" CHECK (status in ('booked', 'cancelled', 'attended'))
);
--> statement-breakpoint
CREATE TABLE "idempotency_key" (
	"user_id" integer NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"response_status" integer NOT NULL,
	"response_body" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "idempotency_key_user_id_key_pk" PRIMARY KEY("user_id","key")
);
--> statement-breakpoint
CREATE TABLE "school_move" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "school_move_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"participant_id" integer NOT NULL,
	"enrolment_id" integer NOT NULL,
	"from_school_id" integer,
	"to_school_id" integer NOT NULL,
	"moved_on" date NOT NULL,
	"inside_network" boolean NOT NULL,
	"notified_by" integer NOT NULL,
	"decision" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "staff_assignment" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "staff_assignment_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"user_id" integer NOT NULL,
	"participant_id" integer,
	"cohort_event_id" integer,
	CONSTRAINT "staff_assignment_one_target" CHECK (("staff_assignment"."participant_id" is null) <> ("staff_assignment"."cohort_event_id" is null))
);
--> statement-breakpoint
CREATE TABLE "staff_task" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "staff_task_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"kind" text NOT NULL,
	"enrolment_id" integer NOT NULL,
	"deferral_case_id" integer,
	"due_on" date NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	CONSTRAINT "staff_task_kind_valid" CHECK (kind in ('intent_contact')),
	CONSTRAINT "staff_task_status_valid" CHECK (status in ('open', 'done'))
);
--> statement-breakpoint
CREATE TABLE "transfer_case" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "transfer_case_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"school_move_id" integer NOT NULL,
	"enrolment_id" integer NOT NULL,
	"status" text DEFAULT 'opened' NOT NULL,
	"receiving_lead_provider" text,
	"data_sharing_consent" boolean,
	"consent_recorded_at" timestamp with time zone,
	"export_package" jsonb,
	"confirmed_at" timestamp with time zone,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "transfer_case_school_move_id_unique" UNIQUE("school_move_id"),
	CONSTRAINT "transfer_case_status_valid" CHECK (status in ('opened', 'provider_chosen', 'exported', 'transferred_out', 'cancelled'))
);
--> statement-breakpoint
CREATE TABLE "withdrawal" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "withdrawal_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"enrolment_id" integer NOT NULL,
	"reason" text NOT NULL,
	"withdrawn_on" date NOT NULL,
	"recorded_by" text NOT NULL,
	"note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "withdrawal_enrolment_id_unique" UNIQUE("enrolment_id"),
	CONSTRAINT "withdrawal_reason_valid" CHECK (reason in ('insufficient-capacity-to-undertake-programme', 'personal-reason-health-or-pregnancy-related', 'personal-reason-moving-school', 'personal-reason-other', 'insufficient-capacity', 'change-in-developmental-or-personal-priorities', 'change-in-school-circumstances', 'change-in-school-leadership', 'quality-of-programme-structure-not-suitable.', 'quality-of-programme-content-not-suitable', 'quality-of-programme-facilitation-not-effective', 'quality-of-programme-accessibility', 'quality-of-programme-other', 'programme-not-appropriate-for-role-and-cpd-needs', 'started-in-error', 'expected-commitment-unclear', 'assessment-requirements-not-met', 'change-in-career', 'disengaged-and-unresponsive', 'non-payment-of-invoice', 'other'))
);
--> statement-breakpoint
ALTER TABLE "api_token" ADD CONSTRAINT "api_token_user_id_app_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."app_user"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assessment_deferral_case" ADD CONSTRAINT "assessment_deferral_case_enrolment_id_enrolment_id_fk" FOREIGN KEY ("enrolment_id") REFERENCES "public"."enrolment"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assessment_deferral_case" ADD CONSTRAINT "assessment_deferral_case_window_id_assessment_window_id_fk" FOREIGN KEY ("window_id") REFERENCES "public"."assessment_window"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assessment_deferral_case" ADD CONSTRAINT "assessment_deferral_case_requested_by_app_user_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."app_user"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assessment_deferral_case" ADD CONSTRAINT "assessment_deferral_case_next_window_id_assessment_window_id_fk" FOREIGN KEY ("next_window_id") REFERENCES "public"."assessment_window"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assessment_deferral_case" ADD CONSTRAINT "assessment_deferral_case_decided_by_app_user_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."app_user"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assessment_entry" ADD CONSTRAINT "assessment_entry_enrolment_id_enrolment_id_fk" FOREIGN KEY ("enrolment_id") REFERENCES "public"."enrolment"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assessment_entry" ADD CONSTRAINT "assessment_entry_window_id_assessment_window_id_fk" FOREIGN KEY ("window_id") REFERENCES "public"."assessment_window"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assessment_submission" ADD CONSTRAINT "assessment_submission_enrolment_id_enrolment_id_fk" FOREIGN KEY ("enrolment_id") REFERENCES "public"."enrolment"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assessment_submission" ADD CONSTRAINT "assessment_submission_window_id_assessment_window_id_fk" FOREIGN KEY ("window_id") REFERENCES "public"."assessment_window"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assessment_submission" ADD CONSTRAINT "assessment_submission_assessed_by_app_user_id_fk" FOREIGN KEY ("assessed_by") REFERENCES "public"."app_user"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assessment_window_result" ADD CONSTRAINT "assessment_window_result_enrolment_id_enrolment_id_fk" FOREIGN KEY ("enrolment_id") REFERENCES "public"."enrolment"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assessment_window_result" ADD CONSTRAINT "assessment_window_result_window_id_assessment_window_id_fk" FOREIGN KEY ("window_id") REFERENCES "public"."assessment_window"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "coaching_session" ADD CONSTRAINT "coaching_session_enrolment_id_enrolment_id_fk" FOREIGN KEY ("enrolment_id") REFERENCES "public"."enrolment"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "coaching_session" ADD CONSTRAINT "coaching_session_participant_id_participant_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."participant"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "coaching_session" ADD CONSTRAINT "coaching_session_coach_user_id_app_user_id_fk" FOREIGN KEY ("coach_user_id") REFERENCES "public"."app_user"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "coaching_session" ADD CONSTRAINT "coaching_session_activity_id_programme_activity_id_fk" FOREIGN KEY ("activity_id") REFERENCES "public"."programme_activity"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deferral_case" ADD CONSTRAINT "deferral_case_enrolment_id_enrolment_id_fk" FOREIGN KEY ("enrolment_id") REFERENCES "public"."enrolment"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deferral_case" ADD CONSTRAINT "deferral_case_participant_id_participant_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."participant"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deferral_case" ADD CONSTRAINT "deferral_case_requested_by_app_user_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."app_user"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deferral_case" ADD CONSTRAINT "deferral_case_exception_approved_by_app_user_id_fk" FOREIGN KEY ("exception_approved_by") REFERENCES "public"."app_user"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deferral_case" ADD CONSTRAINT "deferral_case_target_cohort_id_cohort_id_fk" FOREIGN KEY ("target_cohort_id") REFERENCES "public"."cohort"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deferral_case" ADD CONSTRAINT "deferral_case_rejoin_activity_id_programme_activity_id_fk" FOREIGN KEY ("rejoin_activity_id") REFERENCES "public"."programme_activity"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deferral_case" ADD CONSTRAINT "deferral_case_decided_by_app_user_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."app_user"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "engagement_alert" ADD CONSTRAINT "engagement_alert_enrolment_id_enrolment_id_fk" FOREIGN KEY ("enrolment_id") REFERENCES "public"."enrolment"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "event_booking" ADD CONSTRAINT "event_booking_participant_id_participant_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."participant"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "event_booking" ADD CONSTRAINT "event_booking_enrolment_id_enrolment_id_fk" FOREIGN KEY ("enrolment_id") REFERENCES "public"."enrolment"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "event_booking" ADD CONSTRAINT "event_booking_cohort_event_id_cohort_event_id_fk" FOREIGN KEY ("cohort_event_id") REFERENCES "public"."cohort_event"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "idempotency_key" ADD CONSTRAINT "idempotency_key_user_id_app_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."app_user"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "school_move" ADD CONSTRAINT "school_move_participant_id_participant_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."participant"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "school_move" ADD CONSTRAINT "school_move_enrolment_id_enrolment_id_fk" FOREIGN KEY ("enrolment_id") REFERENCES "public"."enrolment"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "school_move" ADD CONSTRAINT "school_move_from_school_id_school_id_fk" FOREIGN KEY ("from_school_id") REFERENCES "public"."school"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "school_move" ADD CONSTRAINT "school_move_to_school_id_school_id_fk" FOREIGN KEY ("to_school_id") REFERENCES "public"."school"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "school_move" ADD CONSTRAINT "school_move_notified_by_app_user_id_fk" FOREIGN KEY ("notified_by") REFERENCES "public"."app_user"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "staff_assignment" ADD CONSTRAINT "staff_assignment_user_id_app_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."app_user"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "staff_assignment" ADD CONSTRAINT "staff_assignment_participant_id_participant_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."participant"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "staff_assignment" ADD CONSTRAINT "staff_assignment_cohort_event_id_cohort_event_id_fk" FOREIGN KEY ("cohort_event_id") REFERENCES "public"."cohort_event"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "staff_task" ADD CONSTRAINT "staff_task_enrolment_id_enrolment_id_fk" FOREIGN KEY ("enrolment_id") REFERENCES "public"."enrolment"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "staff_task" ADD CONSTRAINT "staff_task_deferral_case_id_deferral_case_id_fk" FOREIGN KEY ("deferral_case_id") REFERENCES "public"."deferral_case"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "transfer_case" ADD CONSTRAINT "transfer_case_school_move_id_school_move_id_fk" FOREIGN KEY ("school_move_id") REFERENCES "public"."school_move"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "transfer_case" ADD CONSTRAINT "transfer_case_enrolment_id_enrolment_id_fk" FOREIGN KEY ("enrolment_id") REFERENCES "public"."enrolment"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "withdrawal" ADD CONSTRAINT "withdrawal_enrolment_id_enrolment_id_fk" FOREIGN KEY ("enrolment_id") REFERENCES "public"."enrolment"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_token_user_idx" ON "api_token" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "assessment_deferral_case_enrolment_idx" ON "assessment_deferral_case" USING btree ("enrolment_id");--> statement-breakpoint
CREATE UNIQUE INDEX "assessment_deferral_case_open_uq" ON "assessment_deferral_case" USING btree ("enrolment_id","window_id") WHERE status in ('requested', 'evidence_requested', 'evidence_received');--> statement-breakpoint
CREATE INDEX "assessment_entry_window_idx" ON "assessment_entry" USING btree ("window_id");--> statement-breakpoint
CREATE UNIQUE INDEX "assessment_submission_attempt_uq" ON "assessment_submission" USING btree ("enrolment_id","attempt_number");--> statement-breakpoint
CREATE UNIQUE INDEX "assessment_submission_window_uq" ON "assessment_submission" USING btree ("enrolment_id","window_id");--> statement-breakpoint
CREATE INDEX "coaching_session_coach_idx" ON "coaching_session" USING btree ("coach_user_id","starts_at");--> statement-breakpoint
CREATE INDEX "coaching_session_participant_idx" ON "coaching_session" USING btree ("participant_id","starts_at");--> statement-breakpoint
CREATE INDEX "deferral_case_enrolment_idx" ON "deferral_case" USING btree ("enrolment_id");--> statement-breakpoint
CREATE INDEX "deferral_case_status_idx" ON "deferral_case" USING btree ("status");--> statement-breakpoint
CREATE UNIQUE INDEX "deferral_case_one_open_per_enrolment_uq" ON "deferral_case" USING btree ("enrolment_id") WHERE status in ('requested', 'discussed', 'approved', 'deferred', 'intent_contact_due', 'confirmed');--> statement-breakpoint
CREATE UNIQUE INDEX "engagement_alert_kind_enrolment_uq" ON "engagement_alert" USING btree ("kind","enrolment_id");--> statement-breakpoint
CREATE UNIQUE INDEX "event_booking_active_uq" ON "event_booking" USING btree ("participant_id","cohort_event_id") WHERE status <> 'cancelled';--> statement-breakpoint
CREATE INDEX "event_booking_event_idx" ON "event_booking" USING btree ("cohort_event_id","status");--> statement-breakpoint
CREATE INDEX "school_move_participant_idx" ON "school_move" USING btree ("participant_id");--> statement-breakpoint
CREATE UNIQUE INDEX "staff_assignment_participant_uq" ON "staff_assignment" USING btree ("user_id","participant_id");--> statement-breakpoint
CREATE UNIQUE INDEX "staff_assignment_event_uq" ON "staff_assignment" USING btree ("user_id","cohort_event_id");--> statement-breakpoint
CREATE INDEX "staff_assignment_participant_idx" ON "staff_assignment" USING btree ("participant_id");--> statement-breakpoint
CREATE UNIQUE INDEX "staff_task_kind_case_uq" ON "staff_task" USING btree ("kind","deferral_case_id");--> statement-breakpoint
CREATE INDEX "staff_task_open_idx" ON "staff_task" USING btree ("status","due_on");--> statement-breakpoint
CREATE INDEX "transfer_case_enrolment_idx" ON "transfer_case" USING btree ("enrolment_id");
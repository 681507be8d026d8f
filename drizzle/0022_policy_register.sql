CREATE TABLE "policy_version" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "policy_version_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"version" text NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"owner" text,
	"owner_email" text,
	"approver" text,
	"approved_by_user_id" integer,
	"approved_at" timestamp with time zone,
	"issued_on" date,
	"summary" text NOT NULL,
	"applies_to" text,
	"next_review_on" date,
	"parameters" jsonb,
	"based_on_version" text,
	"created_by_user_id" integer,
	"updated_by_user_id" integer,
	"review_notice_sent_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revision" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "policy_version_version_unique" UNIQUE("version"),
	CONSTRAINT "policy_version_status_valid" CHECK (status in ('draft', 'approved', 'discarded')),
	CONSTRAINT "policy_version_approved_complete" CHECK ("policy_version"."status" <> 'approved' or ("policy_version"."issued_on" is not null and "policy_version"."approver" is not null))
);
--> statement-breakpoint
ALTER TABLE "enrolment" DROP CONSTRAINT "enrolment_attempts_range";--> statement-breakpoint
ALTER TABLE "staff_task" DROP CONSTRAINT "staff_task_kind_valid";--> statement-breakpoint
ALTER TABLE "staff_task" DROP CONSTRAINT "staff_task_enrolment_present";--> statement-breakpoint
ALTER TABLE "staff_task" ADD COLUMN "policy_version_id" integer;--> statement-breakpoint
ALTER TABLE "policy_version" ADD CONSTRAINT "policy_version_approved_by_user_id_app_user_id_fk" FOREIGN KEY ("approved_by_user_id") REFERENCES "public"."app_user"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "policy_version" ADD CONSTRAINT "policy_version_created_by_user_id_app_user_id_fk" FOREIGN KEY ("created_by_user_id") REFERENCES "public"."app_user"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "policy_version" ADD CONSTRAINT "policy_version_updated_by_user_id_app_user_id_fk" FOREIGN KEY ("updated_by_user_id") REFERENCES "public"."app_user"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "policy_version_one_draft_uq" ON "policy_version" USING btree ("status") WHERE "policy_version"."status" = 'draft';--> statement-breakpoint
CREATE INDEX "policy_version_in_force_idx" ON "policy_version" USING btree ("status","issued_on");--> statement-breakpoint
ALTER TABLE "staff_task" ADD CONSTRAINT "staff_task_policy_version_id_policy_version_id_fk" FOREIGN KEY ("policy_version_id") REFERENCES "public"."policy_version"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "staff_task_kind_policy_version_uq" ON "staff_task" USING btree ("kind","policy_version_id");--> statement-breakpoint
ALTER TABLE "enrolment" ADD CONSTRAINT "enrolment_attempts_range" CHECK ("enrolment"."assessment_attempts_used" >= 0);--> statement-breakpoint
ALTER TABLE "staff_task" ADD CONSTRAINT "staff_task_kind_valid" CHECK (kind in ('intent_contact', 'dfe_refused', 'options_contact', 'policy_review'));--> statement-breakpoint
ALTER TABLE "staff_task" ADD CONSTRAINT "staff_task_enrolment_present" CHECK ("staff_task"."enrolment_id" is not null or "staff_task"."kind" in ('dfe_refused', 'policy_review'));--> statement-breakpoint
-- custom: policy_register
-- The seed policy's header and version table (3.1.1) as the register's first four rows. Only 2.2 holds
-- parameters: npq-ops has decided under no earlier version, so 1, 2 and 2.1 are kept for their history.
-- The seed's version table names the approver of each version (its header names the Programme
-- Operations Committee for 2.2; the table, which is per version, is what is kept here).
INSERT INTO "policy_version" ("version", "status", "owner", "approver", "issued_on", "summary", "applies_to", "next_review_on", "parameters")
VALUES
  ('1', 'approved', NULL, 'Programme Director, NPQs', '2024-01-01', 'N/A', NULL, NULL, NULL),
  ('2', 'approved', NULL, 'Programme Director, NPQs', '2024-07-01', 'Insertion of NPQ-specific deferral policy', NULL, NULL, NULL),
  ('2.1', 'approved', NULL, 'Programme Operations Committee', '2025-06-01', 'Annual review, minor changes', NULL, NULL, NULL),
  ('2.2', 'approved', 'Director, NPQ Programmes', 'Programme Director, NPQs', '2025-08-01', 'Minor changes to 2.3 following revised DfE guidance on deferrals.', 'Participants on National Professional Qualification programmes beginning Autumn 2021 onwards', '2026-07-01', '{"engagementThresholdBp":9000,"assessmentWindowDays":8,"assessmentAttempts":2,"deferralsAllowed":1,"intentContactLeadDays":28,"idealModuleWindowDays":14,"moduleReleaseLeadDays":7,"eventNoticeDays":{"clinic":42,"community_session":14,"conference":42,"assessment_window":42},"expectedCohortIntervalMonths":12,"coachingCourses":["npq-executive-leadership","npq-early-headship-coaching-offer"],"scholarshipRetainedOnRestart":true,"refundAtDeferral":false}'::jsonb)
ON CONFLICT ("version") DO NOTHING;

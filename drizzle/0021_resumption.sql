ALTER TABLE "staff_task" DROP CONSTRAINT "staff_task_kind_valid";--> statement-breakpoint
ALTER TABLE "deferral_case" ADD COLUMN "rejoin_date_reason" text;--> statement-breakpoint
ALTER TABLE "deferral_case" ADD COLUMN "early_return_reason" text;--> statement-breakpoint
ALTER TABLE "engagement_alert" ADD COLUMN "cleared_on" date;--> statement-breakpoint
ALTER TABLE "staff_task" ADD COLUMN "outcome" jsonb;--> statement-breakpoint
ALTER TABLE "staff_task" ADD CONSTRAINT "staff_task_kind_valid" CHECK (kind in ('intent_contact', 'dfe_refused', 'options_contact'));--> statement-breakpoint
-- custom: resumption
-- Requests the policy refused at once before this migration get their "tell the participant their
-- options" task (2.3.10), so they can be closed like new ones.
INSERT INTO "staff_task" ("kind", "enrolment_id", "deferral_case_id", "due_on")
SELECT 'options_contact', dc."enrolment_id", dc."id", dc."requested_on"
FROM "deferral_case" dc
WHERE dc."status" = 'declined' AND dc."decided_by" IS NULL
ON CONFLICT ("kind", "deferral_case_id") DO NOTHING;

ALTER TABLE "dfe_outbox" DROP CONSTRAINT "dfe_outbox_action_valid";--> statement-breakpoint
ALTER TABLE "dfe_outbox" DROP CONSTRAINT "dfe_outbox_status_valid";--> statement-breakpoint
ALTER TABLE "dfe_outbox" ALTER COLUMN "enrolment_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "dfe_outbox" ALTER COLUMN "participant_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "staff_task" ALTER COLUMN "enrolment_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "dfe_outbox" ADD COLUMN "application_id" integer;--> statement-breakpoint
ALTER TABLE "dfe_outbox" ADD COLUMN "created_by" text;--> statement-breakpoint
ALTER TABLE "dfe_outbox" ADD CONSTRAINT "dfe_outbox_application_id_dfe_application_id_fk" FOREIGN KEY ("application_id") REFERENCES "public"."dfe_application"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "dfe_outbox_application_idx" ON "dfe_outbox" USING btree ("application_id","id");--> statement-breakpoint
ALTER TABLE "dfe_outbox" ADD CONSTRAINT "dfe_outbox_subject_present" CHECK ("dfe_outbox"."application_id" is not null or ("dfe_outbox"."enrolment_id" is not null and "dfe_outbox"."participant_id" is not null));--> statement-breakpoint
ALTER TABLE "dfe_outbox" ADD CONSTRAINT "dfe_outbox_action_valid" CHECK (action in ('defer', 'resume', 'withdraw', 'change_schedule', 'declare', 'void', 'accept', 'reject', 'change_funded_place'));--> statement-breakpoint
ALTER TABLE "dfe_outbox" ADD CONSTRAINT "dfe_outbox_status_valid" CHECK (status in ('pending', 'sending', 'sent', 'refused', 'failed', 'parked', 'dismissed'));--> statement-breakpoint
ALTER TABLE "staff_task" ADD CONSTRAINT "staff_task_enrolment_present" CHECK ("staff_task"."enrolment_id" is not null or "staff_task"."kind" = 'dfe_refused');--> statement-breakpoint
-- Application decisions move into the one DfE outbox, in their order, with their state.
INSERT INTO "dfe_outbox" ("request_key", "action", "application_id", "attributes", "status", "attempts", "next_attempt_at", "last_error", "created_by", "created_at", "sent_at")
SELECT 'application:' || x."id", x."action", x."application_id",
       coalesce(x."body" -> 'data' -> 'attributes', '{}'::jsonb),
       CASE WHEN x."status" = 'failed' AND x."last_error" ~ '^4[0-9][0-9]:' THEN 'refused' ELSE x."status" END,
       x."attempts",
       CASE WHEN x."status" = 'sending' THEN coalesce(x."claimed_at", x."next_attempt_at") + interval '10 minutes' ELSE x."next_attempt_at" END,
       x."last_error", x."created_by", x."created_at", x."sent_at"
FROM "dfe_application_action" x ORDER BY x."id";--> statement-breakpoint
INSERT INTO "staff_task" ("kind", "enrolment_id", "dfe_outbox_id", "due_on", "created_at")
SELECT 'dfe_refused', a."enrolment_id", o."id", o."created_at"::date, o."created_at"
FROM "dfe_outbox" o JOIN "dfe_application" a ON a."id" = o."application_id"
WHERE o."status" IN ('refused', 'failed') AND o."request_key" LIKE 'application:%';--> statement-breakpoint
ALTER TABLE "dfe_application_action" DISABLE ROW LEVEL SECURITY;--> statement-breakpoint
DROP TABLE "dfe_application_action" CASCADE;

CREATE TABLE "dfe_declaration" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "dfe_declaration_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"enrolment_id" integer NOT NULL,
	"participant_id" integer NOT NULL,
	"declaration_type" text NOT NULL,
	"declaration_date" timestamp with time zone NOT NULL,
	"course_identifier" text NOT NULL,
	"has_passed" boolean,
	"status" text DEFAULT 'queued' NOT NULL,
	"dfe_id" text,
	"dfe_state" text,
	"statement_id" text,
	"refusal" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "dfe_declaration_dfe_id_unique" UNIQUE("dfe_id"),
	CONSTRAINT "dfe_declaration_type_valid" CHECK (declaration_type in ('started', 'retained-1', 'retained-2', 'completed')),
	CONSTRAINT "dfe_declaration_status_valid" CHECK (status in ('queued', 'submitted', 'refused', 'voiding', 'voided'))
);
--> statement-breakpoint
CREATE TABLE "dfe_outbox" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "dfe_outbox_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"request_key" text NOT NULL,
	"action" text NOT NULL,
	"enrolment_id" integer NOT NULL,
	"participant_id" integer NOT NULL,
	"declaration_id" bigint,
	"attributes" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"response" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	CONSTRAINT "dfe_outbox_request_key_unique" UNIQUE("request_key"),
	CONSTRAINT "dfe_outbox_action_valid" CHECK (action in ('defer', 'resume', 'withdraw', 'change_schedule', 'declare', 'void')),
	CONSTRAINT "dfe_outbox_status_valid" CHECK (status in ('pending', 'sending', 'sent', 'refused', 'failed', 'dismissed'))
);
--> statement-breakpoint
CREATE TABLE "dfe_statement" (
	"dfe_id" text PRIMARY KEY NOT NULL,
	"cohort" text,
	"month" text,
	"year" text,
	"cut_off_date" date,
	"payment_date" date,
	"paid" boolean,
	"updated_at" timestamp with time zone,
	"read_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "staff_task" DROP CONSTRAINT "staff_task_kind_valid";--> statement-breakpoint
ALTER TABLE "enrolment" ADD COLUMN "dfe_application_id" text;--> statement-breakpoint
ALTER TABLE "participant" ADD COLUMN "dfe_participant_id" text;--> statement-breakpoint
ALTER TABLE "staff_task" ADD COLUMN "dfe_outbox_id" bigint;--> statement-breakpoint
ALTER TABLE "dfe_declaration" ADD CONSTRAINT "dfe_declaration_enrolment_id_enrolment_id_fk" FOREIGN KEY ("enrolment_id") REFERENCES "public"."enrolment"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dfe_declaration" ADD CONSTRAINT "dfe_declaration_participant_id_participant_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."participant"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dfe_outbox" ADD CONSTRAINT "dfe_outbox_enrolment_id_enrolment_id_fk" FOREIGN KEY ("enrolment_id") REFERENCES "public"."enrolment"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dfe_outbox" ADD CONSTRAINT "dfe_outbox_participant_id_participant_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."participant"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dfe_outbox" ADD CONSTRAINT "dfe_outbox_declaration_id_dfe_declaration_id_fk" FOREIGN KEY ("declaration_id") REFERENCES "public"."dfe_declaration"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "dfe_declaration_live_uq" ON "dfe_declaration" USING btree ("enrolment_id","declaration_type") WHERE status <> 'voided';--> statement-breakpoint
CREATE INDEX "dfe_declaration_participant_idx" ON "dfe_declaration" USING btree ("participant_id");--> statement-breakpoint
CREATE INDEX "dfe_declaration_statement_idx" ON "dfe_declaration" USING btree ("statement_id");--> statement-breakpoint
CREATE INDEX "dfe_outbox_due_idx" ON "dfe_outbox" USING btree ("next_attempt_at") WHERE "dfe_outbox"."status" in ('pending', 'sending');--> statement-breakpoint
CREATE INDEX "dfe_outbox_enrolment_idx" ON "dfe_outbox" USING btree ("enrolment_id","id");--> statement-breakpoint
ALTER TABLE "staff_task" ADD CONSTRAINT "staff_task_dfe_outbox_id_dfe_outbox_id_fk" FOREIGN KEY ("dfe_outbox_id") REFERENCES "public"."dfe_outbox"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "staff_task_kind_outbox_uq" ON "staff_task" USING btree ("kind","dfe_outbox_id");--> statement-breakpoint
ALTER TABLE "enrolment" ADD CONSTRAINT "enrolment_dfe_application_id_unique" UNIQUE("dfe_application_id");--> statement-breakpoint
ALTER TABLE "participant" ADD CONSTRAINT "participant_dfe_participant_id_unique" UNIQUE("dfe_participant_id");--> statement-breakpoint
ALTER TABLE "staff_task" ADD CONSTRAINT "staff_task_kind_valid" CHECK (kind in ('intent_contact', 'dfe_refused'));
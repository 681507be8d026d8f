CREATE TABLE "dfe_application" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "dfe_application_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"dfe_id" text NOT NULL,
	"dfe_participant_id" text NOT NULL,
	"dfe_status" text NOT NULL,
	"course_identifier" text NOT NULL,
	"cohort_year" integer,
	"schedule_identifier" text,
	"school_urn" text,
	"full_name" text NOT NULL,
	"funded_place" boolean,
	"eligible_for_funding" boolean NOT NULL,
	"trn_validated" boolean NOT NULL,
	"dfe_updated_at" timestamp with time zone NOT NULL,
	"attributes" jsonb NOT NULL,
	"first_pulled_at" timestamp with time zone NOT NULL,
	"last_pulled_at" timestamp with time zone NOT NULL,
	"decision" text,
	"rejection_reason" text,
	"decided_by" integer,
	"decided_at" timestamp with time zone,
	"delivery_partner_id" integer,
	"enrolment_id" integer,
	"version" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "dfe_application_dfe_id_unique" UNIQUE("dfe_id"),
	CONSTRAINT "dfe_application_status_valid" CHECK (dfe_status in ('pending', 'accepted', 'rejected')),
	CONSTRAINT "dfe_application_decision_valid" CHECK ("dfe_application"."decision" is null or "dfe_application"."decision" in ('accepted', 'rejected'))
);
--> statement-breakpoint
CREATE TABLE "dfe_application_action" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "dfe_application_action_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"application_id" integer NOT NULL,
	"action" text NOT NULL,
	"body" jsonb,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"claimed_at" timestamp with time zone,
	"last_error" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	CONSTRAINT "dfe_application_action_valid" CHECK (action in ('accept', 'reject', 'change_funded_place')),
	CONSTRAINT "dfe_application_action_status_valid" CHECK (status in ('pending', 'sending', 'sent', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "dfe_application_version" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "dfe_application_version_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"application_id" integer NOT NULL,
	"dfe_updated_at" timestamp with time zone NOT NULL,
	"attributes" jsonb NOT NULL,
	"pull_id" integer,
	"pulled_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "dfe_parked_response" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "dfe_parked_response_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"source" text NOT NULL,
	"dfe_id" text,
	"field" text NOT NULL,
	"problem" text NOT NULL,
	"payload" jsonb,
	"pull_id" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone,
	"resolved_by" text,
	"resolution" text
);
--> statement-breakpoint
CREATE TABLE "dfe_pull" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "dfe_pull_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	"status" text DEFAULT 'running' NOT NULL,
	"updated_since" timestamp with time zone,
	"pages" integer DEFAULT 0 NOT NULL,
	"received" integer DEFAULT 0 NOT NULL,
	"created" integer DEFAULT 0 NOT NULL,
	"updated" integer DEFAULT 0 NOT NULL,
	"unchanged" integer DEFAULT 0 NOT NULL,
	"parked" integer DEFAULT 0 NOT NULL,
	"retries" integer DEFAULT 0 NOT NULL,
	"error" text,
	"started_by" text NOT NULL,
	CONSTRAINT "dfe_pull_status_valid" CHECK (status in ('running', 'succeeded', 'failed'))
);
--> statement-breakpoint
ALTER TABLE "dfe_application" ADD CONSTRAINT "dfe_application_decided_by_app_user_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."app_user"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dfe_application" ADD CONSTRAINT "dfe_application_delivery_partner_id_delivery_partner_id_fk" FOREIGN KEY ("delivery_partner_id") REFERENCES "public"."delivery_partner"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dfe_application" ADD CONSTRAINT "dfe_application_enrolment_id_enrolment_id_fk" FOREIGN KEY ("enrolment_id") REFERENCES "public"."enrolment"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dfe_application_action" ADD CONSTRAINT "dfe_application_action_application_id_dfe_application_id_fk" FOREIGN KEY ("application_id") REFERENCES "public"."dfe_application"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dfe_application_version" ADD CONSTRAINT "dfe_application_version_application_id_dfe_application_id_fk" FOREIGN KEY ("application_id") REFERENCES "public"."dfe_application"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dfe_application_version" ADD CONSTRAINT "dfe_application_version_pull_id_dfe_pull_id_fk" FOREIGN KEY ("pull_id") REFERENCES "public"."dfe_pull"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dfe_parked_response" ADD CONSTRAINT "dfe_parked_response_pull_id_dfe_pull_id_fk" FOREIGN KEY ("pull_id") REFERENCES "public"."dfe_pull"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "dfe_application_queue_idx" ON "dfe_application" USING btree ("dfe_status","decision","dfe_updated_at");--> statement-breakpoint
CREATE INDEX "dfe_application_updated_idx" ON "dfe_application" USING btree ("dfe_updated_at");--> statement-breakpoint
CREATE INDEX "dfe_application_action_due_idx" ON "dfe_application_action" USING btree ("next_attempt_at") WHERE "dfe_application_action"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "dfe_application_action_application_idx" ON "dfe_application_action" USING btree ("application_id");--> statement-breakpoint
CREATE UNIQUE INDEX "dfe_application_version_uq" ON "dfe_application_version" USING btree ("application_id","dfe_updated_at");--> statement-breakpoint
CREATE INDEX "dfe_parked_response_open_idx" ON "dfe_parked_response" USING btree ("resolved_at","created_at");--> statement-breakpoint
CREATE INDEX "dfe_pull_status_idx" ON "dfe_pull" USING btree ("status","started_at");
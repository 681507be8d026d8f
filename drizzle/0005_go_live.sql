CREATE TABLE "account_link" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "account_link_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"user_id" integer NOT NULL,
	"purpose" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	CONSTRAINT "account_link_token_hash_unique" UNIQUE("token_hash"),
	CONSTRAINT "account_link_purpose_valid" CHECK (purpose in ('invitation', 'password_reset'))
);
--> statement-breakpoint
CREATE TABLE "email_message" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "email_message_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"template" text NOT NULL,
	"to_email" text NOT NULL,
	"personalisation" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"subject_type" text NOT NULL,
	"subject_id" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"notify_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	CONSTRAINT "email_message_status_valid" CHECK (status in ('pending', 'sending', 'sent', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "local_authority" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "local_authority_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"code" text NOT NULL,
	"name" text NOT NULL,
	"region_id" integer,
	CONSTRAINT "local_authority_code_unique" UNIQUE("code")
);
--> statement-breakpoint
CREATE TABLE "school_import" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "school_import_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"file_name" text NOT NULL,
	"started_by" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"rows_read" integer DEFAULT 0 NOT NULL,
	"created" integer DEFAULT 0 NOT NULL,
	"updated" integer DEFAULT 0 NOT NULL,
	"unchanged" integer DEFAULT 0 NOT NULL,
	"errors" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "service_area" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "service_area_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"lead_provider_id" integer NOT NULL,
	"delivery_partner_id" integer,
	"local_authority_id" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "staff_assignment" DROP CONSTRAINT "staff_assignment_one_target";--> statement-breakpoint
ALTER TABLE "app_user" ALTER COLUMN "password_hash" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "school" ALTER COLUMN "region_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "app_user" ADD COLUMN "deactivated_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "app_user" ADD COLUMN "version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "delivery_partner" ADD COLUMN "contact_email" text;--> statement-breakpoint
ALTER TABLE "delivery_partner" ADD COLUMN "contact_phone" text;--> statement-breakpoint
ALTER TABLE "delivery_partner" ADD COLUMN "opening_hours" text;--> statement-breakpoint
ALTER TABLE "delivery_partner" ADD COLUMN "version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "enrolment" ADD COLUMN "commenced_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "lead_provider" ADD COLUMN "contract_end_date" date;--> statement-breakpoint
ALTER TABLE "lead_provider" ADD COLUMN "contact_email" text;--> statement-breakpoint
ALTER TABLE "lead_provider" ADD COLUMN "contact_phone" text;--> statement-breakpoint
ALTER TABLE "lead_provider" ADD COLUMN "opening_hours" text;--> statement-breakpoint
ALTER TABLE "lead_provider" ADD COLUMN "version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "participant" ADD COLUMN "version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "school" ADD COLUMN "local_authority_id" integer;--> statement-breakpoint
ALTER TABLE "school" ADD COLUMN "postcode" text;--> statement-breakpoint
ALTER TABLE "school" ADD COLUMN "status" text DEFAULT 'Open' NOT NULL;--> statement-breakpoint
ALTER TABLE "school" ADD COLUMN "establishment_type" text;--> statement-breakpoint
ALTER TABLE "school" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "staff_assignment" ADD COLUMN "cohort_id" integer;--> statement-breakpoint
ALTER TABLE "staff_assignment" ADD COLUMN "created_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "account_link" ADD CONSTRAINT "account_link_user_id_app_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."app_user"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "local_authority" ADD CONSTRAINT "local_authority_region_id_region_id_fk" FOREIGN KEY ("region_id") REFERENCES "public"."region"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_area" ADD CONSTRAINT "service_area_lead_provider_id_lead_provider_id_fk" FOREIGN KEY ("lead_provider_id") REFERENCES "public"."lead_provider"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_area" ADD CONSTRAINT "service_area_delivery_partner_id_delivery_partner_id_fk" FOREIGN KEY ("delivery_partner_id") REFERENCES "public"."delivery_partner"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_area" ADD CONSTRAINT "service_area_local_authority_id_local_authority_id_fk" FOREIGN KEY ("local_authority_id") REFERENCES "public"."local_authority"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "account_link_user_idx" ON "account_link" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "email_message_due_idx" ON "email_message" USING btree ("next_attempt_at") WHERE "email_message"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "email_message_subject_idx" ON "email_message" USING btree ("subject_type","subject_id");--> statement-breakpoint
CREATE INDEX "email_message_to_idx" ON "email_message" USING btree (lower("to_email"));--> statement-breakpoint
CREATE UNIQUE INDEX "service_area_uq" ON "service_area" USING btree ("lead_provider_id",coalesce("delivery_partner_id", 0),"local_authority_id");--> statement-breakpoint
CREATE INDEX "service_area_local_authority_idx" ON "service_area" USING btree ("local_authority_id");--> statement-breakpoint
ALTER TABLE "school" ADD CONSTRAINT "school_local_authority_id_local_authority_id_fk" FOREIGN KEY ("local_authority_id") REFERENCES "public"."local_authority"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "staff_assignment" ADD CONSTRAINT "staff_assignment_cohort_id_cohort_id_fk" FOREIGN KEY ("cohort_id") REFERENCES "public"."cohort"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "school_local_authority_idx" ON "school" USING btree ("local_authority_id");--> statement-breakpoint
CREATE UNIQUE INDEX "staff_assignment_cohort_uq" ON "staff_assignment" USING btree ("user_id","cohort_id");--> statement-breakpoint
CREATE INDEX "staff_assignment_cohort_idx" ON "staff_assignment" USING btree ("cohort_id");--> statement-breakpoint
ALTER TABLE "delivery_partner" ADD CONSTRAINT "delivery_partner_slug_format" CHECK ("delivery_partner"."slug" ~ '^[a-z0-9]+(-[a-z0-9]+)*$');--> statement-breakpoint
ALTER TABLE "staff_assignment" ADD CONSTRAINT "staff_assignment_one_target" CHECK (num_nonnulls("staff_assignment"."participant_id", "staff_assignment"."cohort_event_id", "staff_assignment"."cohort_id") = 1);--> statement-breakpoint
UPDATE "enrolment" SET "commenced_at" = "status_changed_at" WHERE "status" NOT IN ('applied', 'accepted');

CREATE TABLE "app_user" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "app_user_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"email" text NOT NULL,
	"display_name" text NOT NULL,
	"password_hash" text NOT NULL,
	"role" text NOT NULL,
	"lead_provider_id" integer,
	"delivery_partner_id" integer,
	"participant_id" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "app_user_role_valid" CHECK (role in ('participant', 'delivery_partner_staff', 'programme_team', 'coach', 'facilitator', 'assessor', 'admin')),
	CONSTRAINT "app_user_participant_scope" CHECK (("app_user"."role" = 'participant') = ("app_user"."participant_id" is not null)),
	CONSTRAINT "app_user_partner_scope" CHECK ("app_user"."role" <> 'delivery_partner_staff' or "app_user"."delivery_partner_id" is not null),
	CONSTRAINT "app_user_lead_provider_scope" CHECK ("app_user"."role" in ('participant', 'admin', 'delivery_partner_staff') or "app_user"."lead_provider_id" is not null)
);
--> statement-breakpoint
CREATE TABLE "assessment_window" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "assessment_window_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"cohort_id" integer NOT NULL,
	"sequence_number" integer NOT NULL,
	"opens_on" date NOT NULL,
	"closes_on" date NOT NULL,
	CONSTRAINT "assessment_window_eight_days" CHECK ("assessment_window"."closes_on" - "assessment_window"."opens_on" = 7)
);
--> statement-breakpoint
CREATE TABLE "audit_event" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_event_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"what" text NOT NULL,
	"who" text NOT NULL,
	"subject_type" text NOT NULL,
	"subject_id" text NOT NULL,
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"correlation_id" text
);
--> statement-breakpoint
CREATE TABLE "cohort" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "cohort_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"lead_provider_id" integer NOT NULL,
	"programme_id" integer NOT NULL,
	"year" integer NOT NULL,
	"name" text NOT NULL,
	"start_date" date NOT NULL,
	"engagement_deadline" date NOT NULL,
	"end_date" date NOT NULL,
	"is_final" boolean DEFAULT false NOT NULL,
	"contract_end_date" date,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cohort_dates_ordered" CHECK ("cohort"."start_date" < "cohort"."engagement_deadline" and "cohort"."engagement_deadline" <= "cohort"."end_date")
);
--> statement-breakpoint
CREATE TABLE "cohort_event" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "cohort_event_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"cohort_id" integer NOT NULL,
	"activity_id" integer NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"capacity" integer,
	"location" text DEFAULT 'Online' NOT NULL,
	"published_on" date NOT NULL,
	CONSTRAINT "cohort_event_times_ordered" CHECK ("cohort_event"."starts_at" < "cohort_event"."ends_at"),
	CONSTRAINT "cohort_event_capacity_positive" CHECK ("cohort_event"."capacity" is null or "cohort_event"."capacity" > 0)
);
--> statement-breakpoint
CREATE TABLE "cohort_module_release" (
	"cohort_id" integer NOT NULL,
	"module_id" integer NOT NULL,
	"release_date" date NOT NULL,
	"ideal_window_start" date NOT NULL,
	"ideal_window_end" date NOT NULL,
	CONSTRAINT "cohort_module_release_cohort_id_module_id_pk" PRIMARY KEY("cohort_id","module_id"),
	CONSTRAINT "cohort_module_release_window_ordered" CHECK ("cohort_module_release"."release_date" <= "cohort_module_release"."ideal_window_start" and "cohort_module_release"."ideal_window_start" <= "cohort_module_release"."ideal_window_end")
);
--> statement-breakpoint
CREATE TABLE "course" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "course_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"identifier" text NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"course_group" text NOT NULL,
	CONSTRAINT "course_identifier_unique" UNIQUE("identifier"),
	CONSTRAINT "course_code_unique" UNIQUE("code"),
	CONSTRAINT "course_group_valid" CHECK (course_group in ('specialist', 'leadership', 'ehco'))
);
--> statement-breakpoint
CREATE TABLE "delivery_partner" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "delivery_partner_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"lead_provider_id" integer NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"is_national" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "delivery_partner_slug_unique" UNIQUE("slug")
);
--> statement-breakpoint
CREATE TABLE "engagement_record" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "engagement_record_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"participant_id" integer NOT NULL,
	"activity_id" integer NOT NULL,
	"kind" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"source" text NOT NULL,
	"source_event_id" text NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "engagement_record_kind_valid" CHECK (kind in ('study_session', 'clinic', 'community_session', 'coaching', 'conference')),
	CONSTRAINT "engagement_record_source_valid" CHECK (source in ('platform', 'import', 'xapi', 'staff'))
);
--> statement-breakpoint
CREATE TABLE "enrolment" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "enrolment_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"participant_id" integer NOT NULL,
	"cohort_id" integer NOT NULL,
	"delivery_partner_id" integer NOT NULL,
	"status" text DEFAULT 'applied' NOT NULL,
	"deferral_count" integer DEFAULT 0 NOT NULL,
	"assessment_attempts_used" integer DEFAULT 0 NOT NULL,
	"status_changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "enrolment_status_valid" CHECK (status in ('applied', 'accepted', 'active', 'deferred', 'withdrawn', 'transferred_out', 'completed_passed', 'completed_failed')),
	CONSTRAINT "enrolment_attempts_range" CHECK ("enrolment"."assessment_attempts_used" between 0 and 2),
	CONSTRAINT "enrolment_deferral_count_range" CHECK ("enrolment"."deferral_count" >= 0)
);
--> statement-breakpoint
CREATE TABLE "lead_provider" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "lead_provider_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "lead_provider_slug_unique" UNIQUE("slug")
);
--> statement-breakpoint
CREATE TABLE "lead_provider_region" (
	"lead_provider_id" integer NOT NULL,
	"region_id" integer NOT NULL,
	CONSTRAINT "lead_provider_region_lead_provider_id_region_id_pk" PRIMARY KEY("lead_provider_id","region_id")
);
--> statement-breakpoint
CREATE TABLE "participant" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "participant_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"trn" text,
	"dfe_registration_id" text,
	"full_name" text NOT NULL,
	"email" text NOT NULL,
	"dfe_registration_confirmed" boolean DEFAULT false NOT NULL,
	"employment_confirmed" boolean DEFAULT false NOT NULL,
	"current_school_id" integer,
	"funding_route" text NOT NULL,
	"working_pattern" text DEFAULT 'full_time' NOT NULL,
	"part_time_fraction" numeric(3, 2),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "participant_trn_unique" UNIQUE("trn"),
	CONSTRAINT "participant_dfe_registration_id_unique" UNIQUE("dfe_registration_id"),
	CONSTRAINT "participant_has_identifier" CHECK ("participant"."trn" is not null or "participant"."dfe_registration_id" is not null),
	CONSTRAINT "participant_trn_format" CHECK ("participant"."trn" is null or "participant"."trn" ~ '^[0-9]{7}$'),
	CONSTRAINT "participant_funding_route_valid" CHECK (funding_route in ('dfe_scholarship', 'school', 'trust', 'self', 'employer')),
	CONSTRAINT "participant_working_pattern_valid" CHECK (working_pattern in ('full_time', 'part_time')),
	CONSTRAINT "participant_part_time_fraction" CHECK (("participant"."working_pattern" = 'full_time' and "participant"."part_time_fraction" is null) or ("participant"."working_pattern" = 'part_time' and "participant"."part_time_fraction" > 0 and "participant"."part_time_fraction" < 1))
);
--> statement-breakpoint
CREATE TABLE "participant_employment" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "participant_employment_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"participant_id" integer NOT NULL,
	"school_id" integer NOT NULL,
	"started_on" date NOT NULL,
	"ended_on" date,
	CONSTRAINT "participant_employment_dates" CHECK ("participant_employment"."ended_on" is null or "participant_employment"."ended_on" >= "participant_employment"."started_on")
);
--> statement-breakpoint
CREATE TABLE "programme" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "programme_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"course_id" integer NOT NULL,
	"version" text NOT NULL,
	"name" text NOT NULL,
	"coaching_entitled" boolean DEFAULT false NOT NULL,
	"assessment_title" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "programme_activity" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "programme_activity_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"programme_id" integer NOT NULL,
	"kind" text NOT NULL,
	"position" integer NOT NULL,
	"module_id" integer,
	"session_number" integer,
	"sequence_number" integer NOT NULL,
	"title" text NOT NULL,
	"content_md" text,
	"planned_minutes" integer DEFAULT 50 NOT NULL,
	"weight" integer,
	"required" boolean DEFAULT true NOT NULL,
	CONSTRAINT "programme_activity_kind_valid" CHECK (kind in ('study_session', 'clinic', 'community_session', 'coaching', 'conference')),
	CONSTRAINT "programme_activity_minutes_positive" CHECK ("programme_activity"."planned_minutes" > 0),
	CONSTRAINT "programme_activity_weight_positive" CHECK ("programme_activity"."weight" is null or "programme_activity"."weight" > 0),
	CONSTRAINT "programme_activity_study_session_shape" CHECK (("programme_activity"."kind" = 'study_session') = ("programme_activity"."module_id" is not null and "programme_activity"."session_number" between 1 and 6))
);
--> statement-breakpoint
CREATE TABLE "programme_module" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "programme_module_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"programme_id" integer NOT NULL,
	"position" integer NOT NULL,
	"title" text NOT NULL,
	CONSTRAINT "programme_module_position_positive" CHECK ("programme_module"."position" >= 1)
);
--> statement-breakpoint
CREATE TABLE "region" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "region_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"code" text NOT NULL,
	"name" text NOT NULL,
	CONSTRAINT "region_code_unique" UNIQUE("code")
);
--> statement-breakpoint
CREATE TABLE "school" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "school_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"urn" text NOT NULL,
	"name" text NOT NULL,
	"region_id" integer NOT NULL,
	"town" text,
	"phase" text,
	CONSTRAINT "school_urn_unique" UNIQUE("urn"),
	CONSTRAINT "school_urn_format" CHECK ("school"."urn" ~ '^[0-9]{6,7}$')
);
--> statement-breakpoint
ALTER TABLE "app_user" ADD CONSTRAINT "app_user_lead_provider_id_lead_provider_id_fk" FOREIGN KEY ("lead_provider_id") REFERENCES "public"."lead_provider"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "app_user" ADD CONSTRAINT "app_user_delivery_partner_id_delivery_partner_id_fk" FOREIGN KEY ("delivery_partner_id") REFERENCES "public"."delivery_partner"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "app_user" ADD CONSTRAINT "app_user_participant_id_participant_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."participant"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assessment_window" ADD CONSTRAINT "assessment_window_cohort_id_cohort_id_fk" FOREIGN KEY ("cohort_id") REFERENCES "public"."cohort"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cohort" ADD CONSTRAINT "cohort_lead_provider_id_lead_provider_id_fk" FOREIGN KEY ("lead_provider_id") REFERENCES "public"."lead_provider"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cohort" ADD CONSTRAINT "cohort_programme_id_programme_id_fk" FOREIGN KEY ("programme_id") REFERENCES "public"."programme"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cohort_event" ADD CONSTRAINT "cohort_event_cohort_id_cohort_id_fk" FOREIGN KEY ("cohort_id") REFERENCES "public"."cohort"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cohort_event" ADD CONSTRAINT "cohort_event_activity_id_programme_activity_id_fk" FOREIGN KEY ("activity_id") REFERENCES "public"."programme_activity"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cohort_module_release" ADD CONSTRAINT "cohort_module_release_cohort_id_cohort_id_fk" FOREIGN KEY ("cohort_id") REFERENCES "public"."cohort"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cohort_module_release" ADD CONSTRAINT "cohort_module_release_module_id_programme_module_id_fk" FOREIGN KEY ("module_id") REFERENCES "public"."programme_module"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "delivery_partner" ADD CONSTRAINT "delivery_partner_lead_provider_id_lead_provider_id_fk" FOREIGN KEY ("lead_provider_id") REFERENCES "public"."lead_provider"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "engagement_record" ADD CONSTRAINT "engagement_record_participant_id_participant_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."participant"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "engagement_record" ADD CONSTRAINT "engagement_record_activity_id_programme_activity_id_fk" FOREIGN KEY ("activity_id") REFERENCES "public"."programme_activity"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrolment" ADD CONSTRAINT "enrolment_participant_id_participant_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."participant"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrolment" ADD CONSTRAINT "enrolment_cohort_id_cohort_id_fk" FOREIGN KEY ("cohort_id") REFERENCES "public"."cohort"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrolment" ADD CONSTRAINT "enrolment_delivery_partner_id_delivery_partner_id_fk" FOREIGN KEY ("delivery_partner_id") REFERENCES "public"."delivery_partner"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lead_provider_region" ADD CONSTRAINT "lead_provider_region_lead_provider_id_lead_provider_id_fk" FOREIGN KEY ("lead_provider_id") REFERENCES "public"."lead_provider"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lead_provider_region" ADD CONSTRAINT "lead_provider_region_region_id_region_id_fk" FOREIGN KEY ("region_id") REFERENCES "public"."region"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "participant" ADD CONSTRAINT "participant_current_school_id_school_id_fk" FOREIGN KEY ("current_school_id") REFERENCES "public"."school"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "participant_employment" ADD CONSTRAINT "participant_employment_participant_id_participant_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."participant"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "participant_employment" ADD CONSTRAINT "participant_employment_school_id_school_id_fk" FOREIGN KEY ("school_id") REFERENCES "public"."school"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "programme" ADD CONSTRAINT "programme_course_id_course_id_fk" FOREIGN KEY ("course_id") REFERENCES "public"."course"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "programme_activity" ADD CONSTRAINT "programme_activity_programme_id_programme_id_fk" FOREIGN KEY ("programme_id") REFERENCES "public"."programme"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "programme_activity" ADD CONSTRAINT "programme_activity_module_id_programme_module_id_fk" FOREIGN KEY ("module_id") REFERENCES "public"."programme_module"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "programme_module" ADD CONSTRAINT "programme_module_programme_id_programme_id_fk" FOREIGN KEY ("programme_id") REFERENCES "public"."programme"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "school" ADD CONSTRAINT "school_region_id_region_id_fk" FOREIGN KEY ("region_id") REFERENCES "public"."region"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "app_user_email_uq" ON "app_user" USING btree (lower("email"));--> statement-breakpoint
CREATE UNIQUE INDEX "assessment_window_cohort_sequence_uq" ON "assessment_window" USING btree ("cohort_id","sequence_number");--> statement-breakpoint
CREATE INDEX "audit_event_subject_idx" ON "audit_event" USING btree ("subject_type","subject_id","occurred_at");--> statement-breakpoint
CREATE INDEX "audit_event_occurred_idx" ON "audit_event" USING btree ("occurred_at");--> statement-breakpoint
CREATE UNIQUE INDEX "cohort_programme_year_uq" ON "cohort" USING btree ("lead_provider_id","programme_id","year");--> statement-breakpoint
CREATE INDEX "cohort_event_cohort_idx" ON "cohort_event" USING btree ("cohort_id","starts_at");--> statement-breakpoint
CREATE INDEX "cohort_event_activity_idx" ON "cohort_event" USING btree ("activity_id");--> statement-breakpoint
CREATE INDEX "delivery_partner_lead_provider_idx" ON "delivery_partner" USING btree ("lead_provider_id");--> statement-breakpoint
CREATE UNIQUE INDEX "engagement_record_source_event_uq" ON "engagement_record" USING btree ("source","source_event_id");--> statement-breakpoint
CREATE INDEX "engagement_record_participant_activity_idx" ON "engagement_record" USING btree ("participant_id","activity_id");--> statement-breakpoint
CREATE INDEX "engagement_record_activity_idx" ON "engagement_record" USING btree ("activity_id");--> statement-breakpoint
CREATE UNIQUE INDEX "enrolment_participant_cohort_uq" ON "enrolment" USING btree ("participant_id","cohort_id");--> statement-breakpoint
CREATE INDEX "enrolment_cohort_status_idx" ON "enrolment" USING btree ("cohort_id","status");--> statement-breakpoint
CREATE INDEX "enrolment_delivery_partner_idx" ON "enrolment" USING btree ("delivery_partner_id");--> statement-breakpoint
CREATE UNIQUE INDEX "participant_email_uq" ON "participant" USING btree (lower("email"));--> statement-breakpoint
CREATE INDEX "participant_school_idx" ON "participant" USING btree ("current_school_id");--> statement-breakpoint
CREATE INDEX "participant_employment_participant_idx" ON "participant_employment" USING btree ("participant_id");--> statement-breakpoint
CREATE UNIQUE INDEX "programme_course_version_uq" ON "programme" USING btree ("course_id","version");--> statement-breakpoint
CREATE UNIQUE INDEX "programme_activity_position_uq" ON "programme_activity" USING btree ("programme_id","position");--> statement-breakpoint
CREATE UNIQUE INDEX "programme_activity_kind_sequence_uq" ON "programme_activity" USING btree ("programme_id","kind","sequence_number");--> statement-breakpoint
CREATE INDEX "programme_activity_module_idx" ON "programme_activity" USING btree ("module_id");--> statement-breakpoint
CREATE UNIQUE INDEX "programme_module_position_uq" ON "programme_module" USING btree ("programme_id","position");--> statement-breakpoint
CREATE INDEX "school_region_idx" ON "school" USING btree ("region_id");
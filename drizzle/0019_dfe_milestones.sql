CREATE TABLE "dfe_milestone_schedule" (
	"cohort_year" integer NOT NULL,
	"schedule_identifier" text NOT NULL,
	"started_on" date NOT NULL,
	"retained_1_on" date NOT NULL,
	"retained_2_on" date,
	"completed_on" date NOT NULL,
	"updated_by_user_id" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "dfe_milestone_schedule_cohort_year_schedule_identifier_pk" PRIMARY KEY("cohort_year","schedule_identifier"),
	CONSTRAINT "dfe_milestone_schedule_identifier_valid" CHECK (schedule_identifier in ('npq-leadership-autumn', 'npq-leadership-spring', 'npq-specialist-autumn', 'npq-specialist-spring', 'npq-ehco-march', 'npq-ehco-june', 'npq-ehco-november', 'npq-ehco-december')),
	CONSTRAINT "dfe_milestone_schedule_in_order" CHECK (started_on < retained_1_on and retained_1_on < completed_on
          and (retained_2_on is null or (retained_1_on < retained_2_on and retained_2_on < completed_on))),
	CONSTRAINT "dfe_milestone_schedule_retained_2_leadership_only" CHECK ((retained_2_on is not null) = (schedule_identifier like 'npq-leadership-%'))
);
--> statement-breakpoint
ALTER TABLE "dfe_milestone_schedule" ADD CONSTRAINT "dfe_milestone_schedule_updated_by_user_id_app_user_id_fk" FOREIGN KEY ("updated_by_user_id") REFERENCES "public"."app_user"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "engagement_record_participant_occurred_idx" ON "engagement_record" USING btree ("participant_id","occurred_at","activity_id");
--> statement-breakpoint
-- custom: dfe_milestones
-- The DfE's published 2025 cohort milestone dates for every schedule (see DFE_2025_MILESTONES in
-- src/domain/dfe-declarations.ts; a test holds the two equal). Later years are entered by staff.
INSERT INTO "dfe_milestone_schedule" ("cohort_year", "schedule_identifier", "started_on", "retained_1_on", "retained_2_on", "completed_on") VALUES
  (2025, 'npq-leadership-autumn', '2025-05-30', '2025-12-19', '2026-07-24', '2027-02-25'),
  (2025, 'npq-leadership-spring', '2025-05-30', '2025-12-19', '2026-07-24', '2027-02-25'),
  (2025, 'npq-specialist-autumn', '2025-05-30', '2025-12-19', null, '2026-08-21'),
  (2025, 'npq-specialist-spring', '2025-05-30', '2025-12-19', null, '2026-08-21'),
  (2025, 'npq-ehco-march', '2025-05-30', '2025-12-19', null, '2026-08-21'),
  (2025, 'npq-ehco-june', '2025-05-30', '2025-12-19', null, '2026-08-21'),
  (2025, 'npq-ehco-november', '2025-05-30', '2025-12-19', null, '2026-08-21'),
  (2025, 'npq-ehco-december', '2025-05-30', '2025-12-19', null, '2026-08-21')
ON CONFLICT DO NOTHING;

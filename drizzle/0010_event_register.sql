CREATE TABLE "event_register" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "event_register_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"cohort_event_id" integer NOT NULL,
	"taken_by" integer NOT NULL,
	"taken_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "event_register_cohort_event_id_unique" UNIQUE("cohort_event_id")
);
--> statement-breakpoint
ALTER TABLE "event_register" ADD CONSTRAINT "event_register_cohort_event_id_cohort_event_id_fk" FOREIGN KEY ("cohort_event_id") REFERENCES "public"."cohort_event"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "event_register" ADD CONSTRAINT "event_register_taken_by_app_user_id_fk" FOREIGN KEY ("taken_by") REFERENCES "public"."app_user"("id") ON DELETE no action ON UPDATE no action;
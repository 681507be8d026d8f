CREATE TABLE "stored_object" (
	"key" text PRIMARY KEY NOT NULL,
	"content_type" text NOT NULL,
	"size" integer NOT NULL,
	"body" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "assessment_submission" ADD COLUMN "file_key" text;--> statement-breakpoint
ALTER TABLE "assessment_submission" ADD COLUMN "file_name" text;--> statement-breakpoint
ALTER TABLE "assessment_submission" ADD COLUMN "file_type" text;--> statement-breakpoint
ALTER TABLE "assessment_submission" ADD COLUMN "file_bytes" integer;--> statement-breakpoint
ALTER TABLE "assessment_submission" ADD COLUMN "file_uploaded_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "assessment_submission" ADD COLUMN "feedback" text;--> statement-breakpoint
ALTER TABLE "assessment_submission" ADD COLUMN "first_outcome" text;--> statement-breakpoint
ALTER TABLE "assessment_submission" ADD COLUMN "first_feedback" text;--> statement-breakpoint
ALTER TABLE "assessment_submission" ADD COLUMN "first_marked_by" integer;--> statement-breakpoint
ALTER TABLE "assessment_submission" ADD COLUMN "first_marked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "assessment_submission" ADD COLUMN "moderation_requested_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "assessment_submission" ADD COLUMN "moderation_requested_by" integer;--> statement-breakpoint
ALTER TABLE "assessment_submission" ADD COLUMN "second_outcome" text;--> statement-breakpoint
ALTER TABLE "assessment_submission" ADD COLUMN "second_feedback" text;--> statement-breakpoint
ALTER TABLE "assessment_submission" ADD COLUMN "second_marked_by" integer;--> statement-breakpoint
ALTER TABLE "assessment_submission" ADD COLUMN "second_marked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "assessment_submission" ADD COLUMN "version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "assessment_submission" ADD CONSTRAINT "assessment_submission_first_marked_by_app_user_id_fk" FOREIGN KEY ("first_marked_by") REFERENCES "public"."app_user"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assessment_submission" ADD CONSTRAINT "assessment_submission_moderation_requested_by_app_user_id_fk" FOREIGN KEY ("moderation_requested_by") REFERENCES "public"."app_user"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assessment_submission" ADD CONSTRAINT "assessment_submission_second_marked_by_app_user_id_fk" FOREIGN KEY ("second_marked_by") REFERENCES "public"."app_user"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "assessment_submission_queue_idx" ON "assessment_submission" USING btree ("submitted_at");--> statement-breakpoint
ALTER TABLE "assessment_submission" ADD CONSTRAINT "assessment_submission_file_type_valid" CHECK (file_type in ('pdf', 'docx', 'doc'));--> statement-breakpoint
ALTER TABLE "assessment_submission" ADD CONSTRAINT "assessment_submission_marks_valid" CHECK (("assessment_submission"."first_outcome" is null or "assessment_submission"."first_outcome" in ('passed', 'failed'))
          and ("assessment_submission"."second_outcome" is null or "assessment_submission"."second_outcome" in ('passed', 'failed')));
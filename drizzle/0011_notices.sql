CREATE TABLE "notice_preference" (
	"participant_id" integer PRIMARY KEY NOT NULL,
	"nudges" boolean DEFAULT true NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "email_message" ADD COLUMN "notice_key" text;--> statement-breakpoint
ALTER TABLE "email_message" ADD COLUMN "link_path" text;--> statement-breakpoint
ALTER TABLE "notice_preference" ADD CONSTRAINT "notice_preference_participant_id_participant_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."participant"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "email_message_notice_key_uq" ON "email_message" USING btree ("notice_key") WHERE "email_message"."notice_key" is not null;
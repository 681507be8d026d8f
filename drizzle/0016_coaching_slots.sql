CREATE TABLE "coaching_slot" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "coaching_slot_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"coach_user_id" integer NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"mode" text NOT NULL,
	"place" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"removed_at" timestamp with time zone,
	CONSTRAINT "coaching_slot_times" CHECK ("coaching_slot"."starts_at" < "coaching_slot"."ends_at"),
	CONSTRAINT "coaching_slot_mode_valid" CHECK (mode in ('online', 'in_person'))
);
--> statement-breakpoint
ALTER TABLE "coaching_session" DROP CONSTRAINT "coaching_session_status_valid";--> statement-breakpoint
ALTER TABLE "coaching_session" ADD COLUMN "slot_id" integer;--> statement-breakpoint
ALTER TABLE "coaching_session" ADD COLUMN "note" text;--> statement-breakpoint
ALTER TABLE "coaching_session" ADD COLUMN "recorded_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "coaching_session" ADD COLUMN "cancelled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "coaching_slot" ADD CONSTRAINT "coaching_slot_coach_user_id_app_user_id_fk" FOREIGN KEY ("coach_user_id") REFERENCES "public"."app_user"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "coaching_slot_coach_idx" ON "coaching_slot" USING btree ("coach_user_id","starts_at");--> statement-breakpoint
ALTER TABLE "coaching_session" ADD CONSTRAINT "coaching_session_slot_id_coaching_slot_id_fk" FOREIGN KEY ("slot_id") REFERENCES "public"."coaching_slot"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "coaching_session_slot_uq" ON "coaching_session" USING btree ("slot_id") WHERE status <> 'cancelled';--> statement-breakpoint
ALTER TABLE "coaching_session" ADD CONSTRAINT "coaching_session_status_valid" CHECK (status in ('scheduled', 'cancelled', 'attended', 'did_not_attend'));
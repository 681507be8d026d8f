CREATE TABLE "import_error" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "import_error_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"job_id" integer NOT NULL,
	"line" integer NOT NULL,
	"field" text NOT NULL,
	"message" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "import_job" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "import_job_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"kind" text NOT NULL,
	"file_name" text NOT NULL,
	"status" text DEFAULT 'receiving' NOT NULL,
	"started_by_user_id" integer NOT NULL,
	"delivery_partner_id" integer,
	"lead_provider_id" integer,
	"rows_received" integer DEFAULT 0 NOT NULL,
	"rows_processed" integer DEFAULT 0 NOT NULL,
	"added" integer DEFAULT 0 NOT NULL,
	"enrolled" integer DEFAULT 0 NOT NULL,
	"unchanged" integer DEFAULT 0 NOT NULL,
	"invited" integer DEFAULT 0 NOT NULL,
	"rejected" integer DEFAULT 0 NOT NULL,
	"failure" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	CONSTRAINT "import_job_kind_valid" CHECK (kind in ('participants', 'engagement')),
	CONSTRAINT "import_job_status_valid" CHECK (status in ('receiving', 'queued', 'running', 'completed', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "import_row" (
	"job_id" integer NOT NULL,
	"line" integer NOT NULL,
	"record" jsonb NOT NULL,
	CONSTRAINT "import_row_job_id_line_pk" PRIMARY KEY("job_id","line")
);
--> statement-breakpoint
ALTER TABLE "import_error" ADD CONSTRAINT "import_error_job_id_import_job_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."import_job"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "import_job" ADD CONSTRAINT "import_job_started_by_user_id_app_user_id_fk" FOREIGN KEY ("started_by_user_id") REFERENCES "public"."app_user"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "import_job" ADD CONSTRAINT "import_job_delivery_partner_id_delivery_partner_id_fk" FOREIGN KEY ("delivery_partner_id") REFERENCES "public"."delivery_partner"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "import_job" ADD CONSTRAINT "import_job_lead_provider_id_lead_provider_id_fk" FOREIGN KEY ("lead_provider_id") REFERENCES "public"."lead_provider"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "import_row" ADD CONSTRAINT "import_row_job_id_import_job_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."import_job"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "import_error_job_idx" ON "import_error" USING btree ("job_id","line");--> statement-breakpoint
CREATE INDEX "import_job_due_idx" ON "import_job" USING btree ("id") WHERE "import_job"."status" in ('queued', 'running');--> statement-breakpoint
CREATE INDEX "import_job_partner_idx" ON "import_job" USING btree ("delivery_partner_id");
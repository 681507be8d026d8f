CREATE TABLE "signing_key" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "signing_key_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"kid" text NOT NULL,
	"alg" text NOT NULL,
	"public_jwk" jsonb NOT NULL,
	"private_jwk" jsonb NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"retired_at" timestamp with time zone,
	CONSTRAINT "signing_key_kid_unique" UNIQUE("kid"),
	CONSTRAINT "signing_key_alg_valid" CHECK (alg in ('EdDSA', 'ES256'))
);
--> statement-breakpoint
CREATE TABLE "transfer_import" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "transfer_import_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"package_digest" text NOT NULL,
	"kid" text NOT NULL,
	"sender_name" text NOT NULL,
	"participant_id" integer NOT NULL,
	"enrolment_id" integer NOT NULL,
	"prior_learning_records" integer NOT NULL,
	"imported_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "transfer_import_package_digest_unique" UNIQUE("package_digest")
);
--> statement-breakpoint
CREATE TABLE "trusted_sender_key" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "trusted_sender_key_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"kid" text NOT NULL,
	"sender_name" text NOT NULL,
	"alg" text NOT NULL,
	"public_jwk" jsonb NOT NULL,
	"added_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "trusted_sender_key_kid_unique" UNIQUE("kid"),
	CONSTRAINT "trusted_sender_key_alg_valid" CHECK (alg in ('EdDSA', 'ES256'))
);
--> statement-breakpoint
ALTER TABLE "engagement_record" DROP CONSTRAINT "engagement_record_source_valid";--> statement-breakpoint
ALTER TABLE "transfer_import" ADD CONSTRAINT "transfer_import_participant_id_participant_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."participant"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "transfer_import" ADD CONSTRAINT "transfer_import_enrolment_id_enrolment_id_fk" FOREIGN KEY ("enrolment_id") REFERENCES "public"."enrolment"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "engagement_record" ADD CONSTRAINT "engagement_record_source_valid" CHECK (source in ('platform', 'import', 'xapi', 'staff', 'prior_learning'));
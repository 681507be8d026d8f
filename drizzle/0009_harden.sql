CREATE TABLE "sign_in_throttle_account" (
	"account_key" text PRIMARY KEY NOT NULL,
	"failures" integer NOT NULL,
	"last_failure_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sign_in_throttle_address" (
	"account_key" text NOT NULL,
	"address_key" text NOT NULL,
	"checked_at" timestamp with time zone NOT NULL,
	CONSTRAINT "sign_in_throttle_address_account_key_address_key_pk" PRIMARY KEY("account_key","address_key")
);

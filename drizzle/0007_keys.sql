-- API tokens expire. Tokens issued before this migration get 90 days from now, so machine clients
-- keep working while their owners issue replacements (npq-ops token create --expires-in-days N).
ALTER TABLE "api_token" ADD COLUMN "expires_at" timestamp with time zone;--> statement-breakpoint
UPDATE "api_token" SET "expires_at" = greatest("created_at", now()) + interval '90 days';--> statement-breakpoint
ALTER TABLE "api_token" ALTER COLUMN "expires_at" SET NOT NULL;

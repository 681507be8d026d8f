ALTER TABLE "lead_provider" ADD COLUMN "withdrawal_policy_url" text;--> statement-breakpoint
ALTER TABLE "lead_provider" ADD COLUMN "refund_policy_url" text;
-- The engagement notices now name the threshold of the policy version in force ((threshold)) instead
-- of a fixed "90%" (issue 16, 3.1.1). Every such message written before this migration was worded
-- under v2.2, whose threshold is 90%: give it that value so that it still renders (the outbox, the
-- participant's Messages, the staff mailbox and subject access all render stored messages).
UPDATE "email_message"
SET "personalisation" = "personalisation" || '{"threshold": "90%"}'::jsonb
WHERE "template" IN ('notice_deadline', 'notice_unreachable', 'notice_unreachable_partner')
  AND "personalisation"->>'threshold' IS NULL;

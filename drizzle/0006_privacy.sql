-- The audit trail stays append-only, with ONE exception: the retention job may redact the
-- personal content of an event's details (names, contact details, free text) once the participant
-- it is about is past their retention. Only `details` may change, the new details must carry the
-- "redacted" marker, and the transaction must first say so with
--   select set_config('npq.redaction', 'on', true)
-- (local to that transaction). DELETE and TRUNCATE are still refused: the event itself is kept.
CREATE OR REPLACE FUNCTION audit_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE'
     AND coalesce(current_setting('npq.redaction', true), '') = 'on'
     AND NEW.details ? 'redacted'
     AND (NEW.id, NEW.what, NEW.who, NEW.subject_type, NEW.subject_id, NEW.occurred_at, NEW.correlation_id)
         IS NOT DISTINCT FROM
         (OLD.id, OLD.what, OLD.who, OLD.subject_type, OLD.subject_id, OLD.occurred_at, OLD.correlation_id)
  THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit_event is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;

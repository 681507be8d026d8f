CREATE TABLE "daily_change" (
	"step" text NOT NULL,
	"participant_id" integer,
	"cohort_id" integer
);
--> statement-breakpoint
CREATE TABLE "daily_step_run" (
	"step" text PRIMARY KEY NOT NULL,
	"last_run_day" date NOT NULL,
	"last_run_at" timestamp with time zone NOT NULL,
	"register_key" text NOT NULL
);
--> statement-breakpoint
CREATE INDEX "daily_change_step_idx" ON "daily_change" USING btree ("step");--> statement-breakpoint
CREATE INDEX "coaching_session_starts_idx" ON "coaching_session" USING btree ("starts_at");--> statement-breakpoint
CREATE INDEX "email_message_behind_window_idx" ON "email_message" USING btree ("created_at") WHERE "email_message"."template" = 'notice_behind_window';--> statement-breakpoint
CREATE INDEX "enrolment_status_changed_idx" ON "enrolment" USING btree ("status_changed_at");--> statement-breakpoint
CREATE INDEX "participant_created_idx" ON "participant" USING btree ("created_at");
--> statement-breakpoint
-- The daily job's incremental steps (issue 13) read what changed since they last ran from
-- daily_change, written here by statement triggers in the same transaction as every change that
-- can alter their result, whatever sends it (services, imports, the seed, a hand-written
-- statement): one set-based insert per statement, never one per row. A row names a participant or
-- a cohort to look at again; a row with neither means "everything" (the catalogue changed, or a
-- table was truncated). The steps that read it:
CREATE FUNCTION daily_change_steps() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY['engagement_alerts', 'behind_window']
$$;
--> statement-breakpoint
-- TG_ARGV: [0] 'participant', 'cohort' or 'everything'; [1] the column holding the participant's
-- or cohort's id; [2] the columns whose change matters on UPDATE, key included (an update that
-- changes none of them notes nothing: only rows whose projection differs before and after count).
CREATE FUNCTION daily_change_note() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  target text := TG_ARGV[0];
  changed text;
BEGIN
  IF target = 'everything' OR TG_OP = 'TRUNCATE' THEN
    INSERT INTO daily_change (step) SELECT unnest(daily_change_steps());
    RETURN NULL;
  END IF;
  changed := CASE TG_OP
    WHEN 'INSERT' THEN format('SELECT %I AS v FROM new_rows', TG_ARGV[1])
    WHEN 'DELETE' THEN format('SELECT %I AS v FROM old_rows', TG_ARGV[1])
    ELSE format('SELECT %1$I AS v FROM ((SELECT %2$s FROM new_rows EXCEPT SELECT %2$s FROM old_rows)'
                ' UNION ALL (SELECT %2$s FROM old_rows EXCEPT SELECT %2$s FROM new_rows)) d',
                TG_ARGV[1], TG_ARGV[2])
  END;
  EXECUTE format('INSERT INTO daily_change (step, %I)'
                 ' SELECT s.step, x.v FROM unnest(daily_change_steps()) AS s(step)'
                 ' CROSS JOIN (SELECT DISTINCT v FROM (%s) y WHERE v IS NOT NULL) x',
                 target || '_id', changed);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
-- An alert written by anything but the engagement-alerts step itself (which says so in
-- npq.daily_step): that enrolment's participant is looked at again.
CREATE FUNCTION daily_change_note_alert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('npq.daily_step', true), '') = 'engagement_alerts' THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'TRUNCATE' THEN
    INSERT INTO daily_change (step) VALUES ('engagement_alerts');
  ELSIF TG_OP = 'INSERT' THEN
    INSERT INTO daily_change (step, participant_id)
    SELECT DISTINCT 'engagement_alerts', e.participant_id
    FROM enrolment e WHERE e.id IN (SELECT enrolment_id FROM new_rows);
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO daily_change (step, participant_id)
    SELECT DISTINCT 'engagement_alerts', e.participant_id
    FROM enrolment e WHERE e.id IN (SELECT enrolment_id FROM old_rows);
  ELSE
    INSERT INTO daily_change (step, participant_id)
    SELECT DISTINCT 'engagement_alerts', e.participant_id
    FROM enrolment e WHERE e.id IN (SELECT enrolment_id FROM new_rows
                                    UNION SELECT enrolment_id FROM old_rows);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
-- A behind-the-window nudge deleted, or moved to another address or day: whoever has the address
-- it was sent to may be due another (the nudge is once a fortnight per address).
CREATE FUNCTION daily_change_note_nudge() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_LEVEL = 'ROW' THEN
    INSERT INTO daily_change (step, participant_id)
    SELECT 'behind_window', p.id FROM participant p WHERE lower(p.email) = lower(OLD.to_email);
  ELSE
    INSERT INTO daily_change (step, participant_id)
    SELECT DISTINCT 'behind_window', p.id
    FROM (SELECT DISTINCT lower(to_email) AS email FROM old_rows
          WHERE template = 'notice_behind_window') m
    JOIN participant p ON lower(p.email) = m.email;
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER daily_change_on_insert AFTER INSERT ON engagement_completion
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION daily_change_note('participant', 'participant_id');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_update AFTER UPDATE ON engagement_completion
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION daily_change_note('participant', 'participant_id', 'participant_id, activity_id, first_completed_on');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_delete AFTER DELETE ON engagement_completion
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION daily_change_note('participant', 'participant_id');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_truncate AFTER TRUNCATE ON engagement_completion
  FOR EACH STATEMENT EXECUTE FUNCTION daily_change_note('everything');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_insert AFTER INSERT ON event_booking
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION daily_change_note('participant', 'participant_id');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_update AFTER UPDATE ON event_booking
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION daily_change_note('participant', 'participant_id', 'id, participant_id, enrolment_id, cohort_event_id, status');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_delete AFTER DELETE ON event_booking
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION daily_change_note('participant', 'participant_id');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_truncate AFTER TRUNCATE ON event_booking
  FOR EACH STATEMENT EXECUTE FUNCTION daily_change_note('everything');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_insert AFTER INSERT ON coaching_session
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION daily_change_note('participant', 'participant_id');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_update AFTER UPDATE ON coaching_session
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION daily_change_note('participant', 'participant_id', 'id, participant_id, enrolment_id, activity_id, starts_at, status');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_delete AFTER DELETE ON coaching_session
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION daily_change_note('participant', 'participant_id');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_truncate AFTER TRUNCATE ON coaching_session
  FOR EACH STATEMENT EXECUTE FUNCTION daily_change_note('everything');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_insert AFTER INSERT ON enrolment
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION daily_change_note('participant', 'participant_id');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_update AFTER UPDATE ON enrolment
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION daily_change_note('participant', 'participant_id', 'id, participant_id, cohort_id, status');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_delete AFTER DELETE ON enrolment
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION daily_change_note('participant', 'participant_id');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_truncate AFTER TRUNCATE ON enrolment
  FOR EACH STATEMENT EXECUTE FUNCTION daily_change_note('everything');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_insert AFTER INSERT ON notice_preference
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION daily_change_note('participant', 'participant_id');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_update AFTER UPDATE ON notice_preference
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION daily_change_note('participant', 'participant_id', 'participant_id, nudges');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_delete AFTER DELETE ON notice_preference
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION daily_change_note('participant', 'participant_id');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_truncate AFTER TRUNCATE ON notice_preference
  FOR EACH STATEMENT EXECUTE FUNCTION daily_change_note('everything');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_update AFTER UPDATE ON participant
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION daily_change_note('participant', 'id', 'id, email');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_delete AFTER DELETE ON participant
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION daily_change_note('participant', 'id');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_truncate AFTER TRUNCATE ON participant
  FOR EACH STATEMENT EXECUTE FUNCTION daily_change_note('everything');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_insert AFTER INSERT ON cohort_event
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION daily_change_note('cohort', 'cohort_id');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_update AFTER UPDATE ON cohort_event
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION daily_change_note('cohort', 'cohort_id', 'id, cohort_id, activity_id, starts_at');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_delete AFTER DELETE ON cohort_event
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION daily_change_note('cohort', 'cohort_id');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_truncate AFTER TRUNCATE ON cohort_event
  FOR EACH STATEMENT EXECUTE FUNCTION daily_change_note('everything');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_insert AFTER INSERT ON cohort_module_release
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION daily_change_note('cohort', 'cohort_id');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_update AFTER UPDATE ON cohort_module_release
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION daily_change_note('cohort', 'cohort_id', 'cohort_id, module_id, release_date, ideal_window_start, ideal_window_end');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_delete AFTER DELETE ON cohort_module_release
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION daily_change_note('cohort', 'cohort_id');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_truncate AFTER TRUNCATE ON cohort_module_release
  FOR EACH STATEMENT EXECUTE FUNCTION daily_change_note('everything');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_insert AFTER INSERT ON cohort
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION daily_change_note('cohort', 'id');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_update AFTER UPDATE ON cohort
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION daily_change_note('cohort', 'id', 'id, programme_id, engagement_deadline');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_delete AFTER DELETE ON cohort
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION daily_change_note('cohort', 'id');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_truncate AFTER TRUNCATE ON cohort
  FOR EACH STATEMENT EXECUTE FUNCTION daily_change_note('everything');
--> statement-breakpoint
-- The catalogue (activities, their weights and modules, programmes, courses): everything again.
CREATE TRIGGER daily_change_on_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON programme_activity
  FOR EACH STATEMENT EXECUTE FUNCTION daily_change_note('everything');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON programme_module
  FOR EACH STATEMENT EXECUTE FUNCTION daily_change_note('everything');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON programme
  FOR EACH STATEMENT EXECUTE FUNCTION daily_change_note('everything');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON course
  FOR EACH STATEMENT EXECUTE FUNCTION daily_change_note('everything');
--> statement-breakpoint
CREATE TRIGGER daily_change_on_insert AFTER INSERT ON engagement_alert
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION daily_change_note_alert();
--> statement-breakpoint
CREATE TRIGGER daily_change_on_update AFTER UPDATE ON engagement_alert
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION daily_change_note_alert();
--> statement-breakpoint
CREATE TRIGGER daily_change_on_delete AFTER DELETE ON engagement_alert
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION daily_change_note_alert();
--> statement-breakpoint
CREATE TRIGGER daily_change_on_truncate AFTER TRUNCATE ON engagement_alert
  FOR EACH STATEMENT EXECUTE FUNCTION daily_change_note_alert();
--> statement-breakpoint
CREATE TRIGGER daily_change_on_delete AFTER DELETE ON email_message
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION daily_change_note_nudge();
--> statement-breakpoint
CREATE TRIGGER daily_change_on_update AFTER UPDATE ON email_message
  FOR EACH ROW WHEN (OLD.template = 'notice_behind_window'
                     AND (NEW.template IS DISTINCT FROM OLD.template
                          OR lower(NEW.to_email) IS DISTINCT FROM lower(OLD.to_email)
                          OR NEW.created_at IS DISTINCT FROM OLD.created_at))
  EXECUTE FUNCTION daily_change_note_nudge();
--> statement-breakpoint
CREATE TRIGGER daily_change_on_truncate AFTER TRUNCATE ON email_message
  FOR EACH STATEMENT EXECUTE FUNCTION daily_change_note('everything');

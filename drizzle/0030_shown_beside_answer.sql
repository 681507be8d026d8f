-- My programme held ready to send (issue 13, src/web/held-pages.ts): a participant's page is held
-- in memory under the version (xmin) of the enrolment's stored engagement answer, and sent again
-- only while that same row is stored for today. The answer's triggers (0028) forget it with any
-- change to the enrolment's facts; these forget it with a change to anything else the page shows:
-- the open engagement alerts, the name of a coach booked, a coaching slot's mode and place, the
-- name of the cohort a deferral re-joins and the session it re-joins at, and the lead provider
-- (the contact of a national partner). Set-based, one statement per statement, under the answers'
-- advisory lock taken shared, as in 0028.
CREATE FUNCTION enrolment_engagement_answer_forget_shown() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  key text := TG_ARGV[0];
BEGIN
  PERFORM pg_advisory_xact_lock_shared(7263, 'enrolment_engagement_answer'::regclass::oid::int);
  IF key = 'coach' THEN
    -- Only a changed name: signing in or a new password leaves the coachees' pages.
    DELETE FROM enrolment_engagement_answer s USING coaching_session cs
    WHERE cs.enrolment_id = s.enrolment_id AND cs.coach_user_id IN (
      SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE n.display_name IS DISTINCT FROM o.display_name);
  ELSIF key = 'slot' THEN
    DELETE FROM enrolment_engagement_answer s USING coaching_session cs
    WHERE cs.enrolment_id = s.enrolment_id AND cs.slot_id IN (SELECT id FROM new_rows);
  ELSIF key = 'target_cohort' THEN
    DELETE FROM enrolment_engagement_answer s USING deferral_case dc
    WHERE dc.enrolment_id = s.enrolment_id AND dc.target_cohort_id IN (SELECT id FROM new_rows);
  ELSIF key = 'rejoin_activity' THEN
    DELETE FROM enrolment_engagement_answer s USING deferral_case dc
    WHERE dc.enrolment_id = s.enrolment_id AND dc.rejoin_activity_id IN (SELECT id FROM new_rows);
  ELSE
    RAISE EXCEPTION 'enrolment_engagement_answer_forget_shown: unknown key %', key;
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_engagement_alert_insert AFTER INSERT ON engagement_alert
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('enrolment_id');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_engagement_alert_update AFTER UPDATE ON engagement_alert
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('enrolment_id');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_engagement_alert_delete AFTER DELETE ON engagement_alert
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('enrolment_id');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_engagement_alert_truncate AFTER TRUNCATE ON engagement_alert
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('all');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_app_user_update AFTER UPDATE ON app_user
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget_shown('coach');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_app_user_truncate AFTER TRUNCATE ON app_user
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('all');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_coaching_slot_update AFTER UPDATE ON coaching_slot
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget_shown('slot');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_coaching_slot_truncate AFTER TRUNCATE ON coaching_slot
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('all');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_cohort_update_as_target AFTER UPDATE ON cohort
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget_shown('target_cohort');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_programme_activity_update_as_rejoin AFTER UPDATE ON programme_activity
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget_shown('rejoin_activity');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_lead_provider_insert AFTER INSERT ON lead_provider
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('all');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_lead_provider_update AFTER UPDATE ON lead_provider
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('all');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_lead_provider_delete AFTER DELETE ON lead_provider
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('all');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_lead_provider_truncate AFTER TRUNCATE ON lead_provider
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('all');

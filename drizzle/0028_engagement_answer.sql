CREATE TABLE "enrolment_engagement_answer" (
	"enrolment_id" integer PRIMARY KEY NOT NULL,
	"answered_on" date NOT NULL,
	"body" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "enrolment_engagement_answer" ADD CONSTRAINT "enrolment_engagement_answer_enrolment_id_enrolment_id_fk" FOREIGN KEY ("enrolment_id") REFERENCES "public"."enrolment"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- enrolment_engagement_answer: the engagement API's answer per enrolment for the day it was worked
-- out from the enrolment's facts (src/db/queries/enrolment-facts.ts). These triggers delete the
-- rows of every enrolment whose facts a statement may change, in the same transaction: one
-- set-based statement per statement, never per row. Facts come from the enrolment, its
-- participant, partner, cohort, programme and course, the programme's activities and modules, the
-- cohort's events and module releases, the participant's bookings, coaching sessions and
-- completions, and the enrolment's deferral cases; and the policy version in force.
--
-- Each delete first takes the answers' advisory lock (7263 and the table's oid) in shared mode,
-- held until its transaction ends; the warmer takes it exclusively (and only if free) to store
-- answers, so it never stores one worked out while a change it cannot yet see is under way, and a
-- change waits for a store in progress to commit before deleting what it wrote.
CREATE FUNCTION enrolment_engagement_answer_forget() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  key text := TG_ARGV[0];
BEGIN
  PERFORM pg_advisory_xact_lock_shared(7263, 'enrolment_engagement_answer'::regclass::oid::int);
  IF TG_OP = 'TRUNCATE' OR key = 'all' THEN
    DELETE FROM enrolment_engagement_answer;
  ELSIF key = 'enrolment' THEN
    DELETE FROM enrolment_engagement_answer s
    WHERE s.enrolment_id IN (SELECT id FROM new_rows UNION SELECT id FROM old_rows);
  ELSIF key = 'enrolment_id' THEN
    IF TG_OP = 'INSERT' THEN
      DELETE FROM enrolment_engagement_answer s WHERE s.enrolment_id IN (SELECT enrolment_id FROM new_rows);
    ELSIF TG_OP = 'DELETE' THEN
      DELETE FROM enrolment_engagement_answer s WHERE s.enrolment_id IN (SELECT enrolment_id FROM old_rows);
    ELSE
      DELETE FROM enrolment_engagement_answer s WHERE s.enrolment_id IN (
        SELECT enrolment_id FROM new_rows UNION SELECT enrolment_id FROM old_rows);
    END IF;
  ELSIF key = 'participant' THEN
    DELETE FROM enrolment_engagement_answer s USING enrolment e
    WHERE e.id = s.enrolment_id AND e.participant_id IN (SELECT id FROM new_rows);
  ELSIF key = 'participant_id' THEN
    IF TG_OP = 'INSERT' THEN
      DELETE FROM enrolment_engagement_answer s USING enrolment e
      WHERE e.id = s.enrolment_id AND e.participant_id IN (SELECT participant_id FROM new_rows);
    ELSIF TG_OP = 'DELETE' THEN
      DELETE FROM enrolment_engagement_answer s USING enrolment e
      WHERE e.id = s.enrolment_id AND e.participant_id IN (SELECT participant_id FROM old_rows);
    ELSE
      DELETE FROM enrolment_engagement_answer s USING enrolment e
      WHERE e.id = s.enrolment_id AND e.participant_id IN (
        SELECT participant_id FROM new_rows UNION SELECT participant_id FROM old_rows);
    END IF;
  ELSIF key = 'delivery_partner' THEN
    DELETE FROM enrolment_engagement_answer s USING enrolment e
    WHERE e.id = s.enrolment_id AND e.delivery_partner_id IN (SELECT id FROM new_rows);
  ELSIF key = 'cohort' THEN
    DELETE FROM enrolment_engagement_answer s USING enrolment e
    WHERE e.id = s.enrolment_id AND e.cohort_id IN (SELECT id FROM new_rows);
  ELSIF key = 'cohort_id' THEN
    IF TG_OP = 'INSERT' THEN
      DELETE FROM enrolment_engagement_answer s USING enrolment e
      WHERE e.id = s.enrolment_id AND e.cohort_id IN (SELECT cohort_id FROM new_rows);
    ELSIF TG_OP = 'DELETE' THEN
      DELETE FROM enrolment_engagement_answer s USING enrolment e
      WHERE e.id = s.enrolment_id AND e.cohort_id IN (SELECT cohort_id FROM old_rows);
    ELSE
      DELETE FROM enrolment_engagement_answer s USING enrolment e
      WHERE e.id = s.enrolment_id AND e.cohort_id IN (
        SELECT cohort_id FROM new_rows UNION SELECT cohort_id FROM old_rows);
    END IF;
  ELSIF key = 'programme' THEN
    DELETE FROM enrolment_engagement_answer s USING enrolment e, cohort c
    WHERE e.id = s.enrolment_id AND c.id = e.cohort_id AND c.programme_id IN (SELECT id FROM new_rows);
  ELSIF key = 'programme_id' THEN
    IF TG_OP = 'INSERT' THEN
      DELETE FROM enrolment_engagement_answer s USING enrolment e, cohort c
      WHERE e.id = s.enrolment_id AND c.id = e.cohort_id
        AND c.programme_id IN (SELECT programme_id FROM new_rows);
    ELSIF TG_OP = 'DELETE' THEN
      DELETE FROM enrolment_engagement_answer s USING enrolment e, cohort c
      WHERE e.id = s.enrolment_id AND c.id = e.cohort_id
        AND c.programme_id IN (SELECT programme_id FROM old_rows);
    ELSE
      DELETE FROM enrolment_engagement_answer s USING enrolment e, cohort c
      WHERE e.id = s.enrolment_id AND c.id = e.cohort_id AND c.programme_id IN (
        SELECT programme_id FROM new_rows UNION SELECT programme_id FROM old_rows);
    END IF;
  ELSE
    RAISE EXCEPTION 'enrolment_engagement_answer_forget: unknown key %', key;
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_enrolment_update AFTER UPDATE ON enrolment
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('enrolment');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_enrolment_truncate AFTER TRUNCATE ON enrolment
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('all');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_participant_update AFTER UPDATE ON participant
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('participant');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_participant_truncate AFTER TRUNCATE ON participant
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('all');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_delivery_partner_update AFTER UPDATE ON delivery_partner
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('delivery_partner');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_delivery_partner_truncate AFTER TRUNCATE ON delivery_partner
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('all');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_cohort_update AFTER UPDATE ON cohort
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('cohort');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_cohort_truncate AFTER TRUNCATE ON cohort
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('all');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_programme_update AFTER UPDATE ON programme
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('programme');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_programme_truncate AFTER TRUNCATE ON programme
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('all');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_course_update AFTER UPDATE ON course
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('all');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_course_delete AFTER DELETE ON course
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('all');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_course_truncate AFTER TRUNCATE ON course
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('all');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_policy_version_insert AFTER INSERT ON policy_version
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('all');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_policy_version_update AFTER UPDATE ON policy_version
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('all');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_policy_version_delete AFTER DELETE ON policy_version
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('all');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_policy_version_truncate AFTER TRUNCATE ON policy_version
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('all');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_programme_activity_insert AFTER INSERT ON programme_activity
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('programme_id');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_programme_activity_update AFTER UPDATE ON programme_activity
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('programme_id');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_programme_activity_delete AFTER DELETE ON programme_activity
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('programme_id');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_programme_activity_truncate AFTER TRUNCATE ON programme_activity
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('all');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_programme_module_insert AFTER INSERT ON programme_module
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('programme_id');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_programme_module_update AFTER UPDATE ON programme_module
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('programme_id');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_programme_module_delete AFTER DELETE ON programme_module
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('programme_id');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_programme_module_truncate AFTER TRUNCATE ON programme_module
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('all');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_cohort_event_insert AFTER INSERT ON cohort_event
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('cohort_id');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_cohort_event_update AFTER UPDATE ON cohort_event
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('cohort_id');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_cohort_event_delete AFTER DELETE ON cohort_event
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('cohort_id');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_cohort_event_truncate AFTER TRUNCATE ON cohort_event
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('all');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_cohort_module_release_insert AFTER INSERT ON cohort_module_release
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('cohort_id');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_cohort_module_release_update AFTER UPDATE ON cohort_module_release
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('cohort_id');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_cohort_module_release_delete AFTER DELETE ON cohort_module_release
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('cohort_id');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_cohort_module_release_truncate AFTER TRUNCATE ON cohort_module_release
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('all');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_event_booking_insert AFTER INSERT ON event_booking
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('participant_id');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_event_booking_update AFTER UPDATE ON event_booking
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('participant_id');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_event_booking_delete AFTER DELETE ON event_booking
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('participant_id');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_event_booking_truncate AFTER TRUNCATE ON event_booking
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('all');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_coaching_session_insert AFTER INSERT ON coaching_session
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('participant_id');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_coaching_session_update AFTER UPDATE ON coaching_session
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('participant_id');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_coaching_session_delete AFTER DELETE ON coaching_session
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('participant_id');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_coaching_session_truncate AFTER TRUNCATE ON coaching_session
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('all');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_engagement_completion_insert AFTER INSERT ON engagement_completion
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('participant_id');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_engagement_completion_update AFTER UPDATE ON engagement_completion
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('participant_id');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_engagement_completion_delete AFTER DELETE ON engagement_completion
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('participant_id');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_engagement_completion_truncate AFTER TRUNCATE ON engagement_completion
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('all');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_deferral_case_insert AFTER INSERT ON deferral_case
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('enrolment_id');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_deferral_case_update AFTER UPDATE ON deferral_case
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('enrolment_id');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_deferral_case_delete AFTER DELETE ON deferral_case
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('enrolment_id');
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_answer_on_deferral_case_truncate AFTER TRUNCATE ON deferral_case
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_answer_forget('all');

CREATE TABLE "enrolment_engagement" (
	"enrolment_id" integer PRIMARY KEY NOT NULL,
	"cohort_id" integer NOT NULL,
	"register_key" text NOT NULL,
	"valid_from" date NOT NULL,
	"valid_until" date NOT NULL,
	"completed" bigint NOT NULL,
	"total" bigint NOT NULL,
	"still_possible" bigint NOT NULL,
	"due" bigint NOT NULL,
	"completed_due" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX "enrolment_engagement_cohort_idx" ON "enrolment_engagement" USING btree ("cohort_id");
--> statement-breakpoint
-- enrolment_engagement: each enrolment's engagement figures as engagementSql works them out, valid
-- from valid_from up to (not including) valid_until. The job runner fills it; a reader uses a row
-- only while it holds and works the rest out live. These triggers delete the rows of every
-- enrolment whose figures a statement may change, in the same transaction: one set-based statement
-- per statement, never per row.
--
-- Every such delete first takes the summary's advisory lock (7261 and the table's oid, so each
-- schema has its own) in shared mode, held until its transaction ends. The refresh takes it
-- exclusively (and only if free), so it never works out figures while a change it cannot yet see
-- is under way, and a change waits for a refresh in progress to commit before deleting what that
-- refresh wrote: a row is never left stale.
CREATE FUNCTION enrolment_engagement_forget_participants() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(7261, 'enrolment_engagement'::regclass::oid::int);
  IF TG_OP = 'INSERT' THEN
    DELETE FROM enrolment_engagement s USING enrolment e
    WHERE e.id = s.enrolment_id AND e.participant_id IN (SELECT participant_id FROM new_rows);
  ELSIF TG_OP = 'DELETE' THEN
    DELETE FROM enrolment_engagement s USING enrolment e
    WHERE e.id = s.enrolment_id AND e.participant_id IN (SELECT participant_id FROM old_rows);
  ELSE
    DELETE FROM enrolment_engagement s USING enrolment e
    WHERE e.id = s.enrolment_id
      AND e.participant_id IN (SELECT participant_id FROM new_rows
                               UNION SELECT participant_id FROM old_rows);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE FUNCTION enrolment_engagement_forget_cohorts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(7261, 'enrolment_engagement'::regclass::oid::int);
  IF TG_OP = 'INSERT' THEN
    DELETE FROM enrolment_engagement s USING enrolment e
    WHERE e.id = s.enrolment_id AND e.cohort_id IN (SELECT cohort_id FROM new_rows);
  ELSIF TG_OP = 'DELETE' THEN
    DELETE FROM enrolment_engagement s USING enrolment e
    WHERE e.id = s.enrolment_id AND e.cohort_id IN (SELECT cohort_id FROM old_rows);
  ELSE
    DELETE FROM enrolment_engagement s USING enrolment e
    WHERE e.id = s.enrolment_id
      AND e.cohort_id IN (SELECT cohort_id FROM new_rows UNION SELECT cohort_id FROM old_rows);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
-- A programme's activities (weights, kinds, modules, order, required) or its course: every cohort
-- of the programme.
CREATE FUNCTION enrolment_engagement_forget_programmes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(7261, 'enrolment_engagement'::regclass::oid::int);
  IF TG_OP = 'INSERT' THEN
    DELETE FROM enrolment_engagement s USING enrolment e, cohort c
    WHERE e.id = s.enrolment_id AND c.id = e.cohort_id
      AND c.programme_id IN (SELECT programme_id FROM new_rows);
  ELSIF TG_OP = 'DELETE' THEN
    DELETE FROM enrolment_engagement s USING enrolment e, cohort c
    WHERE e.id = s.enrolment_id AND c.id = e.cohort_id
      AND c.programme_id IN (SELECT programme_id FROM old_rows);
  ELSE
    DELETE FROM enrolment_engagement s USING enrolment e, cohort c
    WHERE e.id = s.enrolment_id AND c.id = e.cohort_id
      AND c.programme_id IN (SELECT programme_id FROM new_rows
                             UNION SELECT programme_id FROM old_rows);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
-- A cohort's engagement deadline or programme changed (its name or other settings do not count).
CREATE FUNCTION enrolment_engagement_forget_cohort_dates() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(7261, 'enrolment_engagement'::regclass::oid::int);
  DELETE FROM enrolment_engagement s USING enrolment e
  WHERE e.id = s.enrolment_id AND e.cohort_id IN (
    SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE n.engagement_deadline IS DISTINCT FROM o.engagement_deadline
       OR n.programme_id IS DISTINCT FROM o.programme_id);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
-- A programme's course changed: whether coaching counts may have.
CREATE FUNCTION enrolment_engagement_forget_programme_course() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(7261, 'enrolment_engagement'::regclass::oid::int);
  DELETE FROM enrolment_engagement s USING enrolment e, cohort c
  WHERE e.id = s.enrolment_id AND c.id = e.cohort_id AND c.programme_id IN (
    SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE n.course_id IS DISTINCT FROM o.course_id);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
-- An enrolment moved to another cohort or participant, or was deleted.
CREATE FUNCTION enrolment_engagement_forget_enrolments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(7261, 'enrolment_engagement'::regclass::oid::int);
  IF TG_OP = 'DELETE' THEN
    DELETE FROM enrolment_engagement s WHERE s.enrolment_id IN (SELECT id FROM old_rows);
  ELSE
    DELETE FROM enrolment_engagement s WHERE s.enrolment_id IN (
      SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE n.cohort_id IS DISTINCT FROM o.cohort_id
         OR n.participant_id IS DISTINCT FROM o.participant_id);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
-- A course's identifier (whether coaching counts) changed, or a table was emptied: everything.
CREATE FUNCTION enrolment_engagement_forget_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(7261, 'enrolment_engagement'::regclass::oid::int);
  DELETE FROM enrolment_engagement;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_on_completion_insert AFTER INSERT ON engagement_completion
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_forget_participants();
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_on_completion_update AFTER UPDATE ON engagement_completion
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_forget_participants();
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_on_completion_delete AFTER DELETE ON engagement_completion
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_forget_participants();
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_on_completion_truncate AFTER TRUNCATE ON engagement_completion
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_forget_all();
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_on_booking_insert AFTER INSERT ON event_booking
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_forget_participants();
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_on_booking_update AFTER UPDATE ON event_booking
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_forget_participants();
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_on_booking_delete AFTER DELETE ON event_booking
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_forget_participants();
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_on_booking_truncate AFTER TRUNCATE ON event_booking
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_forget_all();
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_on_coaching_insert AFTER INSERT ON coaching_session
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_forget_participants();
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_on_coaching_update AFTER UPDATE ON coaching_session
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_forget_participants();
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_on_coaching_delete AFTER DELETE ON coaching_session
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_forget_participants();
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_on_coaching_truncate AFTER TRUNCATE ON coaching_session
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_forget_all();
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_on_event_insert AFTER INSERT ON cohort_event
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_forget_cohorts();
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_on_event_update AFTER UPDATE ON cohort_event
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_forget_cohorts();
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_on_event_delete AFTER DELETE ON cohort_event
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_forget_cohorts();
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_on_event_truncate AFTER TRUNCATE ON cohort_event
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_forget_all();
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_on_release_insert AFTER INSERT ON cohort_module_release
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_forget_cohorts();
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_on_release_update AFTER UPDATE ON cohort_module_release
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_forget_cohorts();
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_on_release_delete AFTER DELETE ON cohort_module_release
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_forget_cohorts();
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_on_release_truncate AFTER TRUNCATE ON cohort_module_release
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_forget_all();
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_on_activity_insert AFTER INSERT ON programme_activity
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_forget_programmes();
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_on_activity_update AFTER UPDATE ON programme_activity
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_forget_programmes();
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_on_activity_delete AFTER DELETE ON programme_activity
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_forget_programmes();
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_on_activity_truncate AFTER TRUNCATE ON programme_activity
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_forget_all();
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_on_cohort_update AFTER UPDATE ON cohort
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_forget_cohort_dates();
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_on_programme_update AFTER UPDATE ON programme
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_forget_programme_course();
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_on_course_update AFTER UPDATE OF identifier ON course
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_forget_all();
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_on_enrolment_update AFTER UPDATE ON enrolment
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_forget_enrolments();
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_on_enrolment_delete AFTER DELETE ON enrolment
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_forget_enrolments();
--> statement-breakpoint
CREATE TRIGGER enrolment_engagement_on_enrolment_truncate AFTER TRUNCATE ON enrolment
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_engagement_forget_all();

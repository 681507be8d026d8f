-- engagement_completion: engagement_record reduced to one row per (participant, activity) with the
-- London date of the earliest evidence, so cohort-wide engagement (dashboards, at-risk list, daily
-- job, what-if) reads one row per activity done instead of de-duplicating every record.
-- Statement-level triggers with transition tables keep it equal to
--   select participant_id, activity_id, min((occurred_at at time zone 'Europe/London')::date)
--   from engagement_record group by participant_id, activity_id
-- in the same transaction as every write to engagement_record, whatever sends it (services, the
-- demo seed, imports, corrections, a hand-written statement): one set-based statement per
-- statement on engagement_record, never one per row.
CREATE TABLE "engagement_completion" (
	"participant_id" integer NOT NULL,
	"activity_id" integer NOT NULL,
	"first_completed_on" date NOT NULL,
	CONSTRAINT "engagement_completion_participant_id_activity_id_pk" PRIMARY KEY("participant_id","activity_id")
);
--> statement-breakpoint
-- New evidence: add its pairs, or move a pair's date earlier (never later). In key order, so two
-- imports touching the same pairs lock them in the same order.
CREATE FUNCTION engagement_completion_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO engagement_completion (participant_id, activity_id, first_completed_on)
  SELECT participant_id, activity_id, min((occurred_at AT TIME ZONE 'Europe/London')::date)
  FROM added_records
  GROUP BY participant_id, activity_id
  ORDER BY participant_id, activity_id
  ON CONFLICT (participant_id, activity_id) DO UPDATE
    SET first_completed_on = excluded.first_completed_on
    WHERE engagement_completion.first_completed_on > excluded.first_completed_on;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
-- Evidence deleted or changed: the pairs it touched are worked out again from engagement_record.
-- Their rows are locked first (key order), so each statement after the lock sees evidence another
-- transaction committed for the same pair meanwhile (a new snapshot per statement).
CREATE FUNCTION engagement_completion_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  participants integer[];
  activities integer[];
BEGIN
  IF TG_OP = 'DELETE' THEN
    SELECT array_agg(participant_id), array_agg(activity_id) INTO participants, activities
    FROM (SELECT DISTINCT participant_id, activity_id FROM removed_records) x;
  ELSE
    SELECT array_agg(participant_id), array_agg(activity_id) INTO participants, activities
    FROM (SELECT participant_id, activity_id FROM removed_records
          UNION SELECT participant_id, activity_id FROM added_records) x;
  END IF;
  PERFORM 1 FROM engagement_completion c
  JOIN unnest(participants, activities) AS t(participant_id, activity_id)
    ON c.participant_id = t.participant_id AND c.activity_id = t.activity_id
  ORDER BY c.participant_id, c.activity_id
  FOR UPDATE OF c;
  DELETE FROM engagement_completion c
  USING unnest(participants, activities) AS t(participant_id, activity_id)
  WHERE c.participant_id = t.participant_id AND c.activity_id = t.activity_id
    AND NOT EXISTS (SELECT 1 FROM engagement_record r
                    WHERE r.participant_id = t.participant_id AND r.activity_id = t.activity_id);
  INSERT INTO engagement_completion (participant_id, activity_id, first_completed_on)
  SELECT r.participant_id, r.activity_id, min((r.occurred_at AT TIME ZONE 'Europe/London')::date)
  FROM unnest(participants, activities) AS t(participant_id, activity_id)
  JOIN engagement_record r ON r.participant_id = t.participant_id AND r.activity_id = t.activity_id
  GROUP BY r.participant_id, r.activity_id
  ORDER BY r.participant_id, r.activity_id
  ON CONFLICT (participant_id, activity_id) DO UPDATE
    SET first_completed_on = excluded.first_completed_on
    WHERE engagement_completion.first_completed_on <> excluded.first_completed_on;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE FUNCTION engagement_completion_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE engagement_completion;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
-- The triggers come before the backfill: CREATE TRIGGER waits for writers already under way and
-- holds new ones off until this migration commits, so the backfill misses nothing.
CREATE TRIGGER engagement_completion_on_insert AFTER INSERT ON engagement_record
  REFERENCING NEW TABLE AS added_records
  FOR EACH STATEMENT EXECUTE FUNCTION engagement_completion_add();
--> statement-breakpoint
CREATE TRIGGER engagement_completion_on_update AFTER UPDATE ON engagement_record
  REFERENCING OLD TABLE AS removed_records NEW TABLE AS added_records
  FOR EACH STATEMENT EXECUTE FUNCTION engagement_completion_refresh();
--> statement-breakpoint
CREATE TRIGGER engagement_completion_on_delete AFTER DELETE ON engagement_record
  REFERENCING OLD TABLE AS removed_records
  FOR EACH STATEMENT EXECUTE FUNCTION engagement_completion_refresh();
--> statement-breakpoint
CREATE TRIGGER engagement_completion_on_truncate AFTER TRUNCATE ON engagement_record
  FOR EACH STATEMENT EXECUTE FUNCTION engagement_completion_clear();
--> statement-breakpoint
INSERT INTO engagement_completion (participant_id, activity_id, first_completed_on)
SELECT participant_id, activity_id, min((occurred_at AT TIME ZONE 'Europe/London')::date)
FROM engagement_record
GROUP BY participant_id, activity_id;

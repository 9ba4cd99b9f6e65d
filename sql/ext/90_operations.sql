
-- Part 90: operations.  Scheduling retraining with pg_cron (optional: mktdb needs no
-- other extension; these helpers fail clearly when pg_cron is absent).
CREATE FUNCTION mktdb.schedule_retrain(model text, schedule text) RETURNS bigint
LANGUAGE plpgsql STRICT VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed in this database'
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Add pg_cron to shared_preload_libraries, then CREATE EXTENSION pg_cron in the database named by cron.database_name.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM mktdb.model m WHERE m.name = model
                   AND pg_catalog.pg_has_role(current_user, m.owner::oid, 'MEMBER')) THEN
        RAISE EXCEPTION 'model "%" does not exist or is not yours', model
            USING ERRCODE = 'undefined_object', HINT = 'Only the owner of a model schedules its retraining.';
    END IF;
    -- the job runs as the role that scheduled it; mktdb.retrain reads as the model's owner anyway
    RETURN cron.schedule('mktdb retrain ' || model, schedule, format('SELECT mktdb.retrain(%L)', model));
END $$;

CREATE FUNCTION mktdb.unschedule_retrain(model text) RETURNS boolean
LANGUAGE plpgsql STRICT VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed in this database' USING ERRCODE = 'feature_not_supported';
    END IF;
    RETURN cron.unschedule('mktdb retrain ' || model);
END $$;

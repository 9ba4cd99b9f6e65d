-- mktdb extension script, part 00: the model catalog.
-- (sql/mktdb--0.1.0.sql is assembled from sql/ext/*.sql by the Makefile.)
\echo Use "CREATE EXTENSION mktdb" to load this file. \quit

-- Every trained model version is one row.  data is the model in the mktdb binary
-- format (magic, format version, kind, length, CRC-32C); spec holds every training
-- argument so that mktdb.retrain() can replay it.
CREATE SEQUENCE mktdb.model_model_id_seq;

CREATE TABLE mktdb.model (
    model_id   bigint PRIMARY KEY DEFAULT nextval('mktdb.model_model_id_seq'),
    name       text NOT NULL CHECK (name <> '' AND octet_length(name) <= 200 AND strpos(name, '@') = 0),
    version    int NOT NULL CHECK (version >= 1),
    kind       text NOT NULL,
    owner      regrole NOT NULL DEFAULT current_user::regrole,
    spec       jsonb NOT NULL,
    metrics    jsonb,
    n_rows     bigint,
    train_ms   float8,
    trained_at timestamptz NOT NULL DEFAULT now(),
    data       bytea NOT NULL,
    UNIQUE (name, version)
);
ALTER SEQUENCE mktdb.model_model_id_seq OWNED BY mktdb.model.model_id;
-- model blobs are mostly floating point: compression costs time and saves little
ALTER TABLE mktdb.model ALTER COLUMN data SET STORAGE EXTERNAL;
COMMENT ON TABLE mktdb.model IS 'mktdb model catalog: one row per trained model version';

-- Roles a model's owner has let see and use the model (mktdb.grant_model).
CREATE TABLE mktdb.model_grant (
    name    text NOT NULL,
    grantee regrole NOT NULL,
    PRIMARY KEY (name, grantee)
);

-- user data: dumped by pg_dump, restored by pg_restore
SELECT pg_catalog.pg_extension_config_dump('mktdb.model', '');
SELECT pg_catalog.pg_extension_config_dump('mktdb.model_model_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('mktdb.model_grant', '');

-- Each model kind registers its retrain entry point here, in its own part of this
-- script: retrain(name text, spec jsonb) RETURNS jsonb replays a stored spec.
CREATE TABLE mktdb.model_kind (
    kind    text PRIMARY KEY,
    retrain regprocedure NOT NULL
);

-- Visibility: the owner (and members of the owning role), roles the model was
-- granted to, and superusers (who bypass row security).
CREATE FUNCTION mktdb._can_see(p_name text, p_owner regrole) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT pg_catalog.pg_has_role(current_user, p_owner::oid, 'MEMBER')
        OR EXISTS (SELECT 1 FROM mktdb.model_grant g
                   WHERE g.name = p_name AND pg_catalog.pg_has_role(current_user, g.grantee::oid, 'MEMBER'))
$$;

ALTER TABLE mktdb.model ENABLE ROW LEVEL SECURITY;
CREATE POLICY model_select ON mktdb.model FOR SELECT USING (mktdb._can_see(name, owner));
-- a role adds versions only as itself, and only to a name that no other role owns
CREATE POLICY model_insert ON mktdb.model FOR INSERT
    WITH CHECK (owner = current_user::regrole);
CREATE POLICY model_delete ON mktdb.model FOR DELETE
    USING (pg_catalog.pg_has_role(current_user, owner::oid, 'MEMBER'));

ALTER TABLE mktdb.model_grant ENABLE ROW LEVEL SECURITY;
CREATE POLICY grant_select ON mktdb.model_grant FOR SELECT USING (true);
CREATE POLICY grant_write ON mktdb.model_grant FOR ALL
    USING (EXISTS (SELECT 1 FROM mktdb.model m WHERE m.name = model_grant.name
                   AND pg_catalog.pg_has_role(current_user, m.owner::oid, 'MEMBER')))
    WITH CHECK (EXISTS (SELECT 1 FROM mktdb.model m WHERE m.name = model_grant.name
                   AND pg_catalog.pg_has_role(current_user, m.owner::oid, 'MEMBER')));

GRANT USAGE ON SCHEMA mktdb TO PUBLIC;
GRANT SELECT, INSERT, DELETE ON mktdb.model TO PUBLIC;
GRANT USAGE ON SEQUENCE mktdb.model_model_id_seq TO PUBLIC;
GRANT SELECT, INSERT, DELETE ON mktdb.model_grant TO PUBLIC;
GRANT SELECT ON mktdb.model_kind TO PUBLIC;

-- Views run with the caller's privileges so row security applies to them too.
CREATE VIEW mktdb.model_versions WITH (security_invoker = true) AS
SELECT name, version, kind, owner, trained_at, n_rows, train_ms,
       octet_length(data)::bigint AS size_bytes, metrics, model_id
  FROM mktdb.model;

CREATE VIEW mktdb.models WITH (security_invoker = true) AS
SELECT DISTINCT ON (name) name, version, kind, owner, trained_at, n_rows, train_ms,
       size_bytes, metrics, model_id
  FROM mktdb.model_versions
 ORDER BY name, version DESC;

GRANT SELECT ON mktdb.model_versions, mktdb.models TO PUBLIC;

-- Replays the newest version's spec with the privileges of the model's owner; the
-- trainer's own result row as jsonb.
CREATE FUNCTION mktdb._retrain(model text) RETURNS jsonb
AS 'MODULE_PATHNAME', 'mktdb_retrain' LANGUAGE C STRICT VOLATILE;

-- mktdb.retrain: one row whatever the kind.  The summary columns (model, version, n_rows,
-- train_ms) are always set; the kind's own result columns (k, inertia, iterations for
-- kmeans; n_users, n_items, n_interactions for recommender) where they apply; result
-- holds the trainer's whole result row as jsonb.
CREATE FUNCTION mktdb.retrain(model text)
RETURNS TABLE(model text, version int, n_rows bigint, train_ms float8,
              k int, inertia float8, iterations int,
              n_users bigint, n_items bigint, n_interactions bigint, result jsonb)
LANGUAGE sql STRICT VOLATILE AS $$
    SELECT r->>'model', (r->>'version')::int,
           coalesce((r->>'n_rows')::bigint, (r->>'n_interactions')::bigint), (r->>'train_ms')::float8,
           (r->>'k')::int, (r->>'inertia')::float8, (r->>'iterations')::int,
           (r->>'n_users')::bigint, (r->>'n_items')::bigint, (r->>'n_interactions')::bigint, r
      FROM mktdb._retrain($1) AS r
$$;

CREATE FUNCTION mktdb.drop_model(model text) RETURNS int
LANGUAGE plpgsql STRICT VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n_seen int;
    n_dropped int;
BEGIN
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('mktdb.model:' || model));
    SELECT count(*) INTO n_seen FROM mktdb.model m WHERE m.name = model;
    IF n_seen = 0 THEN
        RAISE EXCEPTION 'model "%" does not exist', model USING ERRCODE = 'undefined_object';
    END IF;
    DELETE FROM mktdb.model m WHERE m.name = model;
    GET DIAGNOSTICS n_dropped = ROW_COUNT;
    IF n_dropped < n_seen THEN
        RAISE EXCEPTION 'permission denied to drop model "%"', model
            USING ERRCODE = 'insufficient_privilege', HINT = 'Only the role that trained a model can drop it.';
    END IF;
    DELETE FROM mktdb.model_grant g WHERE g.name = model;
    RETURN n_dropped;
END $$;

CREATE FUNCTION mktdb.grant_model(model text, grantee regrole) RETURNS void
LANGUAGE plpgsql STRICT VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM mktdb.model m WHERE m.name = model
                   AND pg_catalog.pg_has_role(current_user, m.owner::oid, 'MEMBER')) THEN
        IF EXISTS (SELECT 1 FROM mktdb.model m WHERE m.name = model) THEN
            RAISE EXCEPTION 'permission denied to grant model "%"', model
                USING ERRCODE = 'insufficient_privilege', HINT = 'Only the role that trained a model can grant it.';
        END IF;
        RAISE EXCEPTION 'model "%" does not exist', model USING ERRCODE = 'undefined_object';
    END IF;
    INSERT INTO mktdb.model_grant VALUES (model, grantee) ON CONFLICT DO NOTHING;
END $$;

CREATE FUNCTION mktdb.revoke_model(model text, grantee regrole) RETURNS void
LANGUAGE plpgsql STRICT VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM mktdb.model m WHERE m.name = model
                   AND pg_catalog.pg_has_role(current_user, m.owner::oid, 'MEMBER')) THEN
        RAISE EXCEPTION 'model "%" does not exist or is not yours', model USING ERRCODE = 'insufficient_privilege';
    END IF;
    DELETE FROM mktdb.model_grant g WHERE g.name = model AND g.grantee = revoke_model.grantee;
END $$;

-- The header of a model blob, checked (magic, format version, kind, length, CRC-32C).
CREATE FUNCTION mktdb.model_header(data bytea)
RETURNS TABLE(kind text, format_version int, payload_bytes bigint, crc32c bigint)
AS 'MODULE_PATHNAME', 'mktdb_model_header' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

-- What this backend's model cache holds (for tests and monitoring).
CREATE FUNCTION mktdb.model_cache()
RETURNS TABLE(model_id bigint, name text, version int, kind text, bytes bigint, hits bigint)
AS 'MODULE_PATHNAME', 'mktdb_model_cache' LANGUAGE C STRICT VOLATILE;

-- Newest version and owner of a model name, whoever owns it: the trainers need it
-- to refuse adding a version to another role's model (row security would hide it).
-- SECURITY DEFINER is safe here: fixed search_path, no dynamic SQL, reads one row.
CREATE FUNCTION mktdb._model_head(p_name text) RETURNS TABLE(owner regrole, version int)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT m.owner, m.version FROM mktdb.model m WHERE m.name = p_name ORDER BY m.version DESC LIMIT 1
$$;
-- mktdb extension script, part 10: k-means segmentation (src/kmeans_sql.c, src/core/kmeans.c;
-- README "Customer segmentation").

-- Fits k-means on the feature columns of a table, view or query and stores a new version.
CREATE FUNCTION mktdb.kmeans_segment(
    model text, source text, features text[], k int,
    id_column text DEFAULT NULL,
    scaling text DEFAULT 'zscore',
    n_init int DEFAULT 3, max_iter int DEFAULT 300, tol float8 DEFAULT 1e-4, seed int DEFAULT 0)
RETURNS TABLE(model text, version int, k int, n_rows bigint, inertia float8, iterations int, train_ms float8)
AS 'MODULE_PATHNAME', 'mktdb_kmeans_segment' LANGUAGE C VOLATILE;

-- The segment (1..k) of one point given in original units.
CREATE FUNCTION mktdb.segment_of(model text, features float8[]) RETURNS int
AS 'MODULE_PATHNAME', 'mktdb_segment_of' LANGUAGE C STRICT STABLE PARALLEL SAFE;

-- The same for a model held as bytea (e.g. from mktdb.kmeans_fit).
CREATE FUNCTION mktdb.segment_of(model bytea, features float8[]) RETURNS int
AS 'MODULE_PATHNAME', 'mktdb_segment_of_bytea' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

-- Every row of the model's source: id, segment and the Euclidean distance to the segment's
-- centroid in the fitted space (NULL segment for rows with a NULL or non-finite feature).
CREATE FUNCTION mktdb.kmeans_assign(model text)
RETURNS TABLE(id text, segment int, distance float8)
AS 'MODULE_PATHNAME', 'mktdb_kmeans_assign' LANGUAGE C STRICT STABLE PARALLEL RESTRICTED;

-- Centroids (original units) of a model held as bytea.
CREATE FUNCTION mktdb.kmeans_centroids(model bytea)
RETURNS TABLE(segment int, size bigint, features text[], centroid float8[])
AS 'MODULE_PATHNAME', 'mktdb_kmeans_centroids' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

-- Shape and quality of a model held as bytea: k, features, n_rows, inertia, sizes, silhouette ...
CREATE FUNCTION mktdb.kmeans_info(model bytea) RETURNS jsonb
AS 'MODULE_PATHNAME', 'mktdb_kmeans_info' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

-- Centroids of every version of every k-means model the caller can see.
CREATE VIEW mktdb.kmeans_centroids WITH (security_invoker = true) AS
SELECT m.name AS model, m.version, c.segment, c.size, c.features, c.centroid
  FROM mktdb.model m
 CROSS JOIN LATERAL mktdb.kmeans_centroids(m.data) c
 WHERE m.kind = 'kmeans';

GRANT SELECT ON mktdb.kmeans_centroids TO PUBLIC;

-- Retrain entry point: replays a stored spec (with the search_path the model was trained
-- under, so that the source's names resolve as they did); the summary row as jsonb.
CREATE FUNCTION mktdb._kmeans_retrain(model text, spec jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    result jsonb;
BEGIN
    -- local to this function: its SET clause restores the caller's search_path on exit
    PERFORM pg_catalog.set_config('search_path', coalesce(spec->>'search_path', 'pg_catalog'), true);
    SELECT pg_catalog.to_jsonb(t) INTO result
      FROM mktdb.kmeans_segment(
               model, spec->>'source',
               ARRAY(SELECT f FROM pg_catalog.jsonb_array_elements_text(spec->'features')
                                    WITH ORDINALITY AS a(f, o) ORDER BY o),
               (spec->>'k')::int, spec->>'id_column', spec->>'scaling', (spec->>'n_init')::int,
               (spec->>'max_iter')::int, (spec->>'tol')::float8, (spec->>'seed')::int) t;
    RETURN result;
END $$;

INSERT INTO mktdb.model_kind VALUES ('kmeans', 'mktdb._kmeans_retrain(text,jsonb)');

-- The aggregate: one model per group, returned as bytea.  Its state is a bytea holding the
-- group's usable rows, so partial aggregation runs in parallel workers (and on Citus shards).
CREATE FUNCTION mktdb._kmeans_fit_add(state bytea, features float8[], k int) RETURNS bytea
AS 'MODULE_PATHNAME', 'mktdb_kmeans_fit_add' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION mktdb._kmeans_fit_add(state bytea, features float8[], k int, scaling text) RETURNS bytea
AS 'MODULE_PATHNAME', 'mktdb_kmeans_fit_add' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION mktdb._kmeans_fit_add(state bytea, features float8[], k int, scaling text,
                                      n_init int, max_iter int, tol float8, seed int) RETURNS bytea
AS 'MODULE_PATHNAME', 'mktdb_kmeans_fit_add' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION mktdb._kmeans_fit_combine(a bytea, b bytea) RETURNS bytea
AS 'MODULE_PATHNAME', 'mktdb_kmeans_fit_combine' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION mktdb._kmeans_fit_final(state bytea) RETURNS bytea
AS 'MODULE_PATHNAME', 'mktdb_kmeans_fit_final' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE mktdb.kmeans_fit(features float8[], k int) (
    SFUNC = mktdb._kmeans_fit_add, STYPE = bytea,
    COMBINEFUNC = mktdb._kmeans_fit_combine,
    FINALFUNC = mktdb._kmeans_fit_final, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE);
CREATE AGGREGATE mktdb.kmeans_fit(features float8[], k int, scaling text) (
    SFUNC = mktdb._kmeans_fit_add, STYPE = bytea,
    COMBINEFUNC = mktdb._kmeans_fit_combine,
    FINALFUNC = mktdb._kmeans_fit_final, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE);
CREATE AGGREGATE mktdb.kmeans_fit(features float8[], k int, scaling text,
                                  n_init int, max_iter int, tol float8, seed int) (
    SFUNC = mktdb._kmeans_fit_add, STYPE = bytea,
    COMBINEFUNC = mktdb._kmeans_fit_combine,
    FINALFUNC = mktdb._kmeans_fit_final, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE);
-- mktdb extension script, part 20: RFM scoring (src/rfm_sql.c, src/core/rfm.c; README "RFM scoring").

-- One row per customer; stores the score thresholds as a new version of model kind 'rfm'.
CREATE FUNCTION mktdb.rfm_score(
    model text, source text, customer_column text, date_column text, amount_column text,
    as_of timestamptz DEFAULT NULL, bins int DEFAULT 5)
RETURNS TABLE(customer_id text, recency_days int, frequency bigint, monetary float8,
              r int, f int, m int, rfm_cell text, segment text)
AS 'MODULE_PATHNAME', 'mktdb_rfm_score' LANGUAGE C VOLATILE;

-- Scores one customer's measures against a model's thresholds.
CREATE FUNCTION mktdb.rfm_of(model text, recency_days int, frequency bigint, monetary float8)
RETURNS TABLE(r int, f int, m int, rfm_cell text, segment text)
AS 'MODULE_PATHNAME', 'mktdb_rfm_of' LANGUAGE C STABLE PARALLEL SAFE;

-- rfm_score without the customer rows: what retrain runs.
CREATE FUNCTION mktdb._rfm_train(
    model text, source text, customer_column text, date_column text, amount_column text,
    as_of timestamptz, bins int)
RETURNS TABLE(model text, version int, n_rows bigint, train_ms float8)
AS 'MODULE_PATHNAME', 'mktdb_rfm_train' LANGUAGE C VOLATILE;

-- Retrain entry point: replays a stored spec; the summary row as jsonb.
CREATE FUNCTION mktdb._rfm_retrain(model text, spec jsonb) RETURNS jsonb
LANGUAGE sql VOLATILE AS $$
    SELECT pg_catalog.to_jsonb(t)
      FROM mktdb._rfm_train(model, spec->>'source', spec->>'customer_column', spec->>'date_column',
                            spec->>'amount_column', (spec->>'as_of')::timestamptz,
                            (spec->>'bins')::int) t
$$;

INSERT INTO mktdb.model_kind VALUES ('rfm', 'mktdb._rfm_retrain(text,jsonb)');

-- Customers per segment of every version of every RFM model (from the metrics stored at training).
CREATE VIEW mktdb.rfm_segments WITH (security_invoker = true) AS
SELECT v.name AS model, v.version, s->>'segment' AS segment, (s->>'customers')::bigint AS customers,
       (s->>'share')::float8 AS share, (s->>'avg_recency_days')::float8 AS avg_recency_days,
       (s->>'avg_frequency')::float8 AS avg_frequency, (s->>'avg_monetary')::float8 AS avg_monetary
  FROM mktdb.model_versions v
 CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(v.metrics->'segments') s
 WHERE v.kind = 'rfm';

-- The stored thresholds: score >= s when recency_days <= threshold (recency) or when the
-- value >= threshold (frequency, monetary); monetary thresholds are exact.
CREATE VIEW mktdb.rfm_thresholds WITH (security_invoker = true) AS
SELECT v.name AS model, v.version, t.measure, t.score, t.threshold
  FROM mktdb.model_versions v
 CROSS JOIN LATERAL (
        SELECT 'recency_days'::text, (o + 1)::int, x::numeric
          FROM pg_catalog.jsonb_array_elements_text(v.metrics->'thresholds'->'recency_days') WITH ORDINALITY a(x, o)
        UNION ALL
        SELECT 'frequency', (o + 1)::int, x::numeric
          FROM pg_catalog.jsonb_array_elements_text(v.metrics->'thresholds'->'frequency') WITH ORDINALITY a(x, o)
        UNION ALL
        SELECT 'monetary', (o + 1)::int, x::numeric
          FROM pg_catalog.jsonb_array_elements_text(v.metrics->'thresholds'->'monetary') WITH ORDINALITY a(x, o)
       ) t(measure, score, threshold)
 WHERE v.kind = 'rfm';

GRANT SELECT ON mktdb.rfm_segments, mktdb.rfm_thresholds TO PUBLIC;
-- Part 30: demand forecasting with seasonal ARIMA (src/arima_sql.c over src/core/arima.c).
-- One call fits one model per series and stores every series' fit and forecasts as one
-- model version of kind 'arima'; the views unpack the newest version of each model.

CREATE FUNCTION mktdb.arima_forecast(
    model text, source text, time_column text, value_column text,
    group_columns text[] DEFAULT NULL,
    horizon int DEFAULT 12,
    period int DEFAULT NULL,
    pdq int[] DEFAULT NULL,
    seasonal_pdq int[] DEFAULT NULL)
RETURNS TABLE(series jsonb, step int, ts timestamptz, forecast float8,
              lo_80 float8, hi_80 float8, lo_95 float8, hi_95 float8)
AS 'MODULE_PATHNAME', 'mktdb_arima_forecast' LANGUAGE C VOLATILE;

COMMENT ON FUNCTION mktdb.arima_forecast(text, text, text, text, text[], int, int, int[], int[]) IS
'Fits seasonal ARIMA per series (given orders: exact ML as R arima(method = "ML"); pdq NULL: orders chosen as R forecast::auto.arima), stores the model, returns the forecasts with 80 % and 95 % intervals';

-- Set-returning readers of stored arima models (NULL: every arima model the caller can see;
-- 'name' or 'name@N': that one).  The views below are these with NULL.
CREATE FUNCTION mktdb.forecasts_of(model text DEFAULT NULL)
RETURNS TABLE(model text, version int, series jsonb, step int, ts timestamptz, forecast float8,
              lo_80 float8, hi_80 float8, lo_95 float8, hi_95 float8)
AS 'MODULE_PATHNAME', 'mktdb_arima_forecast_rows' LANGUAGE C STABLE;

CREATE FUNCTION mktdb.arima_models_of(model text DEFAULT NULL)
RETURNS TABLE(model text, version int, series jsonb, p int, d int, q int, sp int, sd int, sq int,
              period int, coef jsonb, sigma2 float8, loglik float8, aicc float8, n_obs int,
              fallback text, converged boolean, mase_scale float8)
AS 'MODULE_PATHNAME', 'mktdb_arima_model_rows' LANGUAGE C STABLE;

-- The model column comes from the catalog, not from the function, so that a dashboard's
-- WHERE model = '...' is pushed into the catalog scan and only that model is decoded.  A name
-- counts when its newest visible version is an arima model.
CREATE VIEW mktdb.forecasts WITH (security_invoker = true) AS
SELECT n.name AS model, f.version, f.series, f.step, f.ts, f.forecast, f.lo_80, f.hi_80, f.lo_95, f.hi_95
  FROM (SELECT DISTINCT ON (c.name) c.name, c.kind FROM mktdb.model c ORDER BY c.name, c.version DESC) n
 CROSS JOIN LATERAL mktdb.forecasts_of(n.name) f
 WHERE n.kind = 'arima';

CREATE VIEW mktdb.arima_models WITH (security_invoker = true) AS
SELECT n.name AS model, m.version, m.series, m.p, m.d, m.q, m.sp, m.sd, m.sq, m.period, m.coef,
       m.sigma2, m.loglik, m.aicc, m.n_obs, m.fallback, m.converged, m.mase_scale
  FROM (SELECT DISTINCT ON (c.name) c.name, c.kind FROM mktdb.model c ORDER BY c.name, c.version DESC) n
 CROSS JOIN LATERAL mktdb.arima_models_of(n.name) m
 WHERE n.kind = 'arima';

GRANT SELECT ON mktdb.forecasts, mktdb.arima_models TO PUBLIC;

-- retrain: replays the stored spec (mktdb.retrain calls this as the model's owner).  No SET
-- search_path: a query source is resolved with the search_path it was trained with, i.e. the
-- session's; everything here is schema-qualified.
CREATE FUNCTION mktdb._arima_retrain(model text, spec jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    int3 text := 'SELECT pg_catalog.array_agg(x::int ORDER BY i) FROM pg_catalog.jsonb_array_elements_text($1) WITH ORDINALITY AS e(x, i)';
    v_pdq int[];
    v_spdq int[];
    v_groups text[];
    r record;
BEGIN
    IF pg_catalog.jsonb_typeof(spec->'pdq') = 'array' THEN EXECUTE int3 INTO v_pdq USING spec->'pdq'; END IF;
    IF pg_catalog.jsonb_typeof(spec->'seasonal_pdq') = 'array' THEN EXECUTE int3 INTO v_spdq USING spec->'seasonal_pdq'; END IF;
    IF pg_catalog.jsonb_typeof(spec->'group_columns') = 'array' THEN
        SELECT pg_catalog.array_agg(x ORDER BY i) INTO v_groups
          FROM pg_catalog.jsonb_array_elements_text(spec->'group_columns') WITH ORDINALITY AS e(x, i);
    END IF;
    PERFORM pg_catalog.count(*) FROM mktdb.arima_forecast(model, spec->>'source', spec->>'time_column',
        spec->>'value_column', v_groups, (spec->>'horizon')::int, (spec->>'period')::int, v_pdq, v_spdq);
    SELECT m.name, m.version, m.n_rows, m.train_ms INTO r
      FROM mktdb.model m WHERE m.name = _arima_retrain.model ORDER BY m.version DESC LIMIT 1;
    RETURN pg_catalog.jsonb_build_object('model', r.name, 'version', r.version, 'n_rows', r.n_rows, 'train_ms', r.train_ms);
END $$;

INSERT INTO mktdb.model_kind VALUES ('arima', 'mktdb._arima_retrain(text,jsonb)');

-- Scores the forecasts of a stored arima model (newest version, or 'name@N') against actuals
-- that arrived later: per series and overall (series = NULL) MAE, RMSE, MAPE, sMAPE, MASE as
-- forecast::accuracy computes them.  MASE's scale is each series' in-sample MAE of the
-- seasonal naive forecast (lag = period; 1 without seasonality), stored with the fit.  Actual
-- rows are matched to forecast rows by series (the group columns) and time (ts for time
-- columns, step for an integer index); NULL actuals are missing and skipped.  MAPE skips zero
-- actuals; sMAPE counts a period where both are 0 as 0.  Overall: means over all matched points
-- (MASE: the mean of the per-point scaled errors of series with a scale).
CREATE FUNCTION mktdb.forecast_accuracy(
    model text, actuals text, time_column text, value_column text,
    group_columns text[] DEFAULT NULL)
RETURNS TABLE(series jsonb, n int, mae float8, rmse float8, mape float8, smape float8, mase float8)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    src text;
    keyexpr text := '''{}''::jsonb';
    tq text;
    integer_time boolean;
BEGIN
    IF model IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22004', MESSAGE = 'model must not be NULL';
    END IF;
    IF actuals IS NULL OR time_column IS NULL OR value_column IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22004', MESSAGE = 'actuals, time_column and value_column must not be NULL';
    END IF;
    IF pg_catalog.array_position(group_columns, NULL) IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22004', MESSAGE = 'group_columns must not contain NULL';
    END IF;
    -- a query, or a relation name (resolved and quoted by regclass: unknown ones are 42P01)
    src := CASE WHEN actuals ~* '^\s*(select|with|values|table)\s' THEN '(' || actuals || ')'
                ELSE actuals::regclass::text END;
    IF group_columns IS NOT NULL AND pg_catalog.cardinality(group_columns) > 0 THEN
        SELECT 'pg_catalog.jsonb_build_object(' || pg_catalog.string_agg(pg_catalog.quote_literal(g) || ', a.' || pg_catalog.quote_ident(g), ', ' ORDER BY i) || ')'
          INTO keyexpr FROM pg_catalog.unnest(group_columns) WITH ORDINALITY AS u(g, i);
    END IF;
    tq := 'a.' || pg_catalog.quote_ident(time_column);
    EXECUTE pg_catalog.format('SELECT pg_catalog.pg_typeof(%s)::text IN (''smallint'', ''integer'', ''bigint'') FROM %s a LIMIT 1', tq, src)
       INTO integer_time;
    RETURN QUERY EXECUTE pg_catalog.format($q$
        WITH f AS (SELECT * FROM mktdb.forecasts_of(%1$L)),
             s AS (SELECT m.series, m.mase_scale FROM mktdb.arima_models_of(%1$L) m),
             a AS (SELECT %2$s AS series, %3$s AS t, (a.%4$I)::float8 AS y FROM %5$s a),
             j AS (SELECT f.series, a.y, f.forecast AS fc, s.mase_scale
                     FROM f JOIN a ON a.series = f.series AND %6$s
                     JOIN s ON s.series = f.series
                    WHERE a.y IS NOT NULL AND a.y <> 'NaN'::float8 AND f.forecast IS NOT NULL),
             per AS (SELECT j.series, pg_catalog.count(*)::int AS n,
                            pg_catalog.avg(abs(j.y - j.fc)) AS mae,
                            pg_catalog.sqrt(pg_catalog.avg((j.y - j.fc) ^ 2)) AS rmse,
                            pg_catalog.avg(100 * abs(j.y - j.fc) / abs(j.y)) FILTER (WHERE j.y <> 0) AS mape,
                            pg_catalog.avg(CASE WHEN j.y = 0 AND j.fc = 0 THEN 0
                                                ELSE 200 * abs(j.y - j.fc) / (abs(j.y) + abs(j.fc)) END) AS smape,
                            pg_catalog.avg(abs(j.y - j.fc) / j.mase_scale) AS mase
                       FROM j GROUP BY j.series),
             tot AS (SELECT NULL::jsonb AS series, pg_catalog.count(*)::int AS n,
                            pg_catalog.avg(abs(j.y - j.fc)),
                            pg_catalog.sqrt(pg_catalog.avg((j.y - j.fc) ^ 2)),
                            pg_catalog.avg(100 * abs(j.y - j.fc) / abs(j.y)) FILTER (WHERE j.y <> 0),
                            pg_catalog.avg(CASE WHEN j.y = 0 AND j.fc = 0 THEN 0
                                                ELSE 200 * abs(j.y - j.fc) / (abs(j.y) + abs(j.fc)) END),
                            pg_catalog.avg(abs(j.y - j.fc) / j.mase_scale)
                       FROM j)
        SELECT * FROM (SELECT * FROM per ORDER BY series::text) p
        UNION ALL SELECT * FROM tot$q$,
        model, keyexpr, tq, value_column, src,
        CASE WHEN integer_time THEN 'f.step = a.t' ELSE 'f.ts = (a.t)::timestamptz' END);
END $$;

COMMENT ON FUNCTION mktdb.forecast_accuracy(text, text, text, text, text[]) IS
'MAE, RMSE, MAPE, sMAPE and MASE of a stored arima forecast against later actuals, per series and overall (series NULL)';
-- mktdb extension script, part 40: implicit-feedback recommendations (kind 'recommender').
-- C code: src/recommend_sql.c over src/core/als.c and src/core/topn.c.  Guide: README "Recommendations".

-- Alternating least squares for implicit feedback (Hu, Koren & Volinsky 2008).
-- Options beyond the contract: solver ('cg': a few conjugate-gradient steps per row, as the
-- `implicit` library does; 'cholesky': exact solves), frequency_scaling (0: the same
-- regularization for every user and item; 1: scaled with their total confidence, Rendle et
-- al. 2022), cg_steps, precompute_n (every user's best precompute_n unseen items are computed
-- at training time and stored, so recommend_for with exclude_seen and n <= precompute_n scores
-- only the n items it returns; 0: none stored, every call scores all items).  The defaults of regularization (SPEC's starting point 0.01), alpha (1.0)
-- and frequency_scaling are the best single choice measured by test/bench/recommend_quality.py on
-- msweb, Complete Journey and planted-taste data (README "Recommendations"): with 0.01 the factors
-- overfit badly (msweb Recall@10 0.07 against 0.64 for most-popular).
CREATE FUNCTION mktdb.recommend_train(
    model text, source text, user_column text, item_column text,
    weight_column text DEFAULT NULL,
    factors int DEFAULT 64, iterations int DEFAULT 15,
    regularization float8 DEFAULT 100.0, alpha float8 DEFAULT 5.0, seed int DEFAULT 0,
    solver text DEFAULT 'cg', frequency_scaling float8 DEFAULT 1.0, cg_steps int DEFAULT 3,
    precompute_n int DEFAULT 50)
RETURNS TABLE(model text, version int, n_users bigint, n_items bigint, n_interactions bigint, train_ms float8)
AS 'MODULE_PATHNAME', 'mktdb_recommend_train' LANGUAGE C VOLATILE;

CREATE FUNCTION mktdb.recommend_for(model text, user_id text, n int DEFAULT 10, exclude_seen boolean DEFAULT true)
RETURNS TABLE(item_id text, score float8, rank int)
AS 'MODULE_PATHNAME', 'mktdb_recommend_for_text' LANGUAGE C STRICT STABLE ROWS 10;

CREATE FUNCTION mktdb.recommend_for(model text, user_id bigint, n int DEFAULT 10, exclude_seen boolean DEFAULT true)
RETURNS TABLE(item_id bigint, score float8, rank int)
AS 'MODULE_PATHNAME', 'mktdb_recommend_for_int8' LANGUAGE C STRICT STABLE ROWS 10;

CREATE FUNCTION mktdb.similar_items(model text, item_id text, n int DEFAULT 10)
RETURNS TABLE(item_id text, score float8, rank int)
AS 'MODULE_PATHNAME', 'mktdb_similar_items_text' LANGUAGE C STRICT STABLE ROWS 10;

CREATE FUNCTION mktdb.similar_items(model text, item_id bigint, n int DEFAULT 10)
RETURNS TABLE(item_id bigint, score float8, rank int)
AS 'MODULE_PATHNAME', 'mktdb_similar_items_int8' LANGUAGE C STRICT STABLE ROWS 10;

-- Every user's top n in one pass (blocks of users scored by matrix-matrix products).
-- Ids come back as text whatever their type (cast with ::bigint for integer ids).
CREATE FUNCTION mktdb.recommend_all(model text, n int DEFAULT 10, exclude_seen boolean DEFAULT true)
RETURNS TABLE(user_id text, item_id text, score float8, rank int)
AS 'MODULE_PATHNAME', 'mktdb_recommend_all' LANGUAGE C STRICT STABLE ROWS 100000;

-- Replays a stored spec (mktdb.retrain); returns recommend_train's row as jsonb.  Specs stored
-- before precompute_n existed get its default.  No SET
-- search_path: the stored source names a table the way the trainer's session resolved it
-- (pg_catalog is searched first, so the operators and casts below cannot be redirected).
CREATE FUNCTION mktdb._recommender_retrain(name text, spec jsonb) RETURNS jsonb
LANGUAGE sql VOLATILE AS $$
    SELECT pg_catalog.to_jsonb(r)
      FROM mktdb.recommend_train($1, $2->>'source', $2->>'user_column', $2->>'item_column',
                                 $2->>'weight_column',
                                 ($2->>'factors')::int, ($2->>'iterations')::int,
                                 ($2->>'regularization')::float8, ($2->>'alpha')::float8,
                                 ($2->>'seed')::int, $2->>'solver',
                                 ($2->>'frequency_scaling')::float8, ($2->>'cg_steps')::int,
                                 coalesce(($2->>'precompute_n')::int, 50)) r
$$;

INSERT INTO mktdb.model_kind VALUES ('recommender', 'mktdb._recommender_retrain(text,jsonb)');

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

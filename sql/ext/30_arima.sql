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
'Fits seasonal ARIMA by exact maximum likelihood (as R arima(method = "ML")) per series, stores the model, returns the forecasts with 80 % and 95 % intervals';

-- Set-returning readers of stored arima models (NULL: every arima model the caller can see;
-- 'name' or 'name@N': that one).  The views below are these with NULL.
CREATE FUNCTION mktdb.forecasts_of(model text DEFAULT NULL)
RETURNS TABLE(model text, version int, series jsonb, step int, ts timestamptz, forecast float8,
              lo_80 float8, hi_80 float8, lo_95 float8, hi_95 float8)
AS 'MODULE_PATHNAME', 'mktdb_arima_forecast_rows' LANGUAGE C STABLE;

CREATE FUNCTION mktdb.arima_models_of(model text DEFAULT NULL)
RETURNS TABLE(model text, version int, series jsonb, p int, d int, q int, sp int, sd int, sq int,
              period int, coef jsonb, sigma2 float8, loglik float8, aicc float8, n_obs int,
              fallback text, converged boolean)
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
       m.sigma2, m.loglik, m.aicc, m.n_obs, m.fallback, m.converged
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

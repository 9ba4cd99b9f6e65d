-- Part 30: demand forecasting with seasonal ARIMA (src/arima_train.c, arima_read.c, arima_model.c over src/core/arima.c).
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
-- 'name' or 'name@N': that one); forecasts_of reads mktdb.forecast's models (kind forecast) too.  The views below are these with NULL.
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
-- counts when its newest visible version is an arima model (forecasts: or a forecast model).
CREATE VIEW mktdb.forecasts WITH (security_invoker = true) AS
SELECT n.name AS model, f.version, f.series, f.step, f.ts, f.forecast, f.lo_80, f.hi_80, f.lo_95, f.hi_95
  FROM (SELECT DISTINCT ON (c.name) c.name, c.kind FROM mktdb.model c ORDER BY c.name, c.version DESC) n
 CROSS JOIN LATERAL mktdb.forecasts_of(n.name) f
 WHERE n.kind IN ('arima', 'forecast');

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

-- Scores the forecasts of a stored arima or forecast model (newest version, or 'name@N') against actuals
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
    v_kind text;
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
    -- the MASE scales come from the model's own reader: arima_forecast's or mktdb.forecast's
    SELECT m.kind INTO v_kind FROM mktdb.model m
     WHERE m.name = pg_catalog.regexp_replace(forecast_accuracy.model, '@[0-9]+$', '')
       AND (forecast_accuracy.model !~ '@[0-9]+$'
            OR m.version = pg_catalog.substring(forecast_accuracy.model, '@([0-9]+)$')::int)
     ORDER BY m.version DESC LIMIT 1;
    tq := 'a.' || pg_catalog.quote_ident(time_column);
    EXECUTE pg_catalog.format('SELECT pg_catalog.pg_typeof(%s)::text IN (''smallint'', ''integer'', ''bigint'') FROM %s a LIMIT 1', tq, src)
       INTO integer_time;
    RETURN QUERY EXECUTE pg_catalog.format($q$
        WITH f AS (SELECT * FROM mktdb.forecasts_of(%1$L)),
             s AS (SELECT m.series, m.mase_scale FROM mktdb.%7$I(%1$L) m),
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
        CASE WHEN integer_time THEN 'f.step = a.t' ELSE 'f.ts = (a.t)::timestamptz' END,
        CASE WHEN v_kind = 'forecast' THEN 'forecast_models_of' ELSE 'arima_models_of' END);
END $$;

COMMENT ON FUNCTION mktdb.forecast_accuracy(text, text, text, text, text[]) IS
'MAE, RMSE, MAPE, sMAPE and MASE of a stored arima_forecast or forecast model against later actuals, per series and overall (series NULL)';

-- Grouped forecasts on a Citus table distributed by a group column (src/arima_dist.c): the
-- coordinator runs this on every shard through run_command_on_shards; each worker fits the
-- series it holds and sends back its fits and forecasts, and one model version is stored.
CREATE FUNCTION mktdb._arima_forecast_shard(
    model text, source text, time_column text, value_column text, group_columns text[],
    horizon int, period int, pdq int[], seasonal_pdq int[])
RETURNS bytea
AS 'MODULE_PATHNAME', 'mktdb_arima_forecast_shard' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION mktdb._arima_forecast_shard(text, text, text, text, text[], int, int, int[], int[]) IS
'internal to arima_forecast on Citus tables distributed by a group column: one shard''s fits and forecasts as a model blob, not stored';

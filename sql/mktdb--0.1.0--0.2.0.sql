-- mktdb 0.1.0 -> 0.2.0
\echo Use "ALTER EXTENSION mktdb UPDATE TO '0.2.0'" to load this file. \quit

-- retrain returns a row with typed columns; the jsonb entry point keeps its C symbol as _retrain
ALTER FUNCTION mktdb.retrain(text) RENAME TO _retrain;
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

COMMENT ON FUNCTION mktdb.arima_forecast(text, text, text, text, text[], int, int, int[], int[]) IS
'Fits seasonal ARIMA per series (given orders: exact ML as R arima(method = "ML"); pdq NULL: orders chosen as R forecast::auto.arima), stores the model, returns the forecasts with 80 % and 95 % intervals';

-- arima: each series' MASE scale (in-sample MAE of the seasonal naive forecast) is stored
-- with its fit and shown by arima_models; forecast_accuracy scores stored forecasts
DROP VIEW mktdb.arima_models;
DROP FUNCTION mktdb.arima_models_of(text);
CREATE FUNCTION mktdb.arima_models_of(model text DEFAULT NULL)
RETURNS TABLE(model text, version int, series jsonb, p int, d int, q int, sp int, sd int, sq int,
              period int, coef jsonb, sigma2 float8, loglik float8, aicc float8, n_obs int,
              fallback text, converged boolean, mase_scale float8)
AS 'MODULE_PATHNAME', 'mktdb_arima_model_rows' LANGUAGE C STABLE;

CREATE VIEW mktdb.arima_models WITH (security_invoker = true) AS
SELECT n.name AS model, m.version, m.series, m.p, m.d, m.q, m.sp, m.sd, m.sq, m.period, m.coef,
       m.sigma2, m.loglik, m.aicc, m.n_obs, m.fallback, m.converged, m.mase_scale
  FROM (SELECT DISTINCT ON (c.name) c.name, c.kind FROM mktdb.model c ORDER BY c.name, c.version DESC) n
 CROSS JOIN LATERAL mktdb.arima_models_of(n.name) m
 WHERE n.kind = 'arima';

GRANT SELECT ON mktdb.arima_models TO PUBLIC;

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

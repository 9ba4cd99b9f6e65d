-- Part 35: more forecasting methods (src/forecast_sql.c over src/core/forecast.c, theta.c,
-- intermittent.c, ets.c and the ARIMA core).  One call forecasts every series with one method
-- (or the automatic rule) and stores one model version of kind 'forecast'; its forecasts appear
-- in mktdb.forecasts next to arima_forecast's, its per-series methods in mktdb.forecast_models.

CREATE FUNCTION mktdb.forecast(
    model text, source text, time_column text, value_column text,
    group_columns text[] DEFAULT NULL,
    horizon int DEFAULT 12,
    period int DEFAULT NULL,
    method text DEFAULT 'auto')
RETURNS TABLE(series jsonb, step int, ts timestamptz, forecast float8,
              lo_80 float8, hi_80 float8, lo_95 float8, hi_95 float8)
AS 'MODULE_PATHNAME', 'mktdb_forecast' LANGUAGE C VOLATILE;

COMMENT ON FUNCTION mktdb.forecast(text, text, text, text, text[], int, int, text) IS
'Forecasts every series with one method (auto: the mean of ETS, ARIMA and Theta, never below zero for demand that never was; arima, ets, theta, croston, sba, tsb, naive, snaive as their R namesakes), stores the model, returns the forecasts with 80 % and 95 % intervals';

-- the per-series methods of one stored forecast model ('name' or 'name@N')
CREATE FUNCTION mktdb.forecast_models_of(model text)
RETURNS TABLE(model text, version int, series jsonb, method text, description text, aicc float8,
              sigma2 float8, n_obs int, fallback text, mase_scale float8, requested text)
AS 'MODULE_PATHNAME', 'mktdb_forecast_model_rows' LANGUAGE C STABLE;

COMMENT ON FUNCTION mktdb.forecast_models_of(text) IS
'Per series of a stored mktdb.forecast model: the method and model used, AICc, sigma2, length, fallback, MASE scale and the method asked for';

CREATE VIEW mktdb.forecast_models WITH (security_invoker = true) AS
SELECT n.name AS model, m.version, m.series, m.method, m.description, m.aicc, m.sigma2, m.n_obs, m.fallback
  FROM (SELECT DISTINCT ON (c.name) c.name, c.kind FROM mktdb.model c ORDER BY c.name, c.version DESC) n
 CROSS JOIN LATERAL mktdb.forecast_models_of(n.name) m
 WHERE n.kind = 'forecast';

COMMENT ON VIEW mktdb.forecast_models IS
'Newest version of every mktdb.forecast model: per series the method used (auto: combination), the model description (ETS(M,Ad,M), ARIMA(0,1,1)(0,1,1)[12], mean of ets, arima, theta), AICc, sigma2, length and why a simpler model was used';

GRANT SELECT ON mktdb.forecast_models TO PUBLIC;

-- retrain: replays the stored spec (mktdb.retrain calls this as the model's owner)
CREATE FUNCTION mktdb._forecast_retrain(model text, spec jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_groups text[];
    r record;
BEGIN
    IF pg_catalog.jsonb_typeof(spec->'group_columns') = 'array' THEN
        SELECT pg_catalog.array_agg(x ORDER BY i) INTO v_groups
          FROM pg_catalog.jsonb_array_elements_text(spec->'group_columns') WITH ORDINALITY AS e(x, i);
    END IF;
    PERFORM pg_catalog.count(*) FROM mktdb.forecast(model, spec->>'source', spec->>'time_column',
        spec->>'value_column', v_groups, (spec->>'horizon')::int, (spec->>'period')::int, spec->>'method');
    SELECT m.name, m.version, m.n_rows, m.train_ms INTO r
      FROM mktdb.model m WHERE m.name = _forecast_retrain.model ORDER BY m.version DESC LIMIT 1;
    RETURN pg_catalog.jsonb_build_object('model', r.name, 'version', r.version, 'n_rows', r.n_rows, 'train_ms', r.train_ms);
END $$;

COMMENT ON FUNCTION mktdb._forecast_retrain(text, jsonb) IS
'mktdb.retrain''s entry point for kind forecast: replays a stored mktdb.forecast spec';

INSERT INTO mktdb.model_kind VALUES ('forecast', 'mktdb._forecast_retrain(text,jsonb)');

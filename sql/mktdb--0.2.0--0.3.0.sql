-- mktdb 0.2.0 -> 0.3.0
-- Sections follow the order of sql/ext/ (one per part of the extension script), so that
-- each capability's upgrade sits where its fresh-install SQL does.
\echo Use "ALTER EXTENSION mktdb UPDATE TO '0.3.0'" to load this file. \quit

-- 00_catalog

-- 10_kmeans
-- Training on Citus distributed tables (src/kmeans_dist.c): kmeans_segment runs these
-- aggregates where the rows are (float8[] states with a combine function, so Citus pushes
-- partial aggregation to the shards); only their states travel.
CREATE FUNCTION mktdb._kmeans_stats_add(state float8[], features float8[]) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mktdb_kmeans_stats_add' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION mktdb._kmeans_stats_combine(a float8[], b float8[]) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mktdb_kmeans_stats_combine' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE mktdb._kmeans_stats(features float8[]) (
    SFUNC = mktdb._kmeans_stats_add, STYPE = float8[],
    COMBINEFUNC = mktdb._kmeans_stats_combine, PARALLEL = SAFE);
CREATE FUNCTION mktdb._kmeans_sampled(features float8[], seed int, fraction float8) RETURNS boolean
AS 'MODULE_PATHNAME', 'mktdb_kmeans_sampled' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION mktdb._kmeans_lloyd_add(state float8[], features float8[], params float8[]) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mktdb_kmeans_lloyd_add' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION mktdb._kmeans_lloyd_combine(a float8[], b float8[]) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mktdb_kmeans_lloyd_combine' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE mktdb._kmeans_lloyd(features float8[], params float8[]) (
    SFUNC = mktdb._kmeans_lloyd_add, STYPE = float8[],
    COMBINEFUNC = mktdb._kmeans_lloyd_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE mktdb._kmeans_stats(float8[]) IS
    'internal to kmeans_segment on distributed sources: row count, means, squared deviations, minima and maxima of the features';
COMMENT ON FUNCTION mktdb._kmeans_sampled(float8[], int, float8) IS
    'internal to kmeans_segment on distributed sources: whether a row is in the seeding sample (a hash of its values and the seed below fraction)';
COMMENT ON AGGREGATE mktdb._kmeans_lloyd(float8[], float8[]) IS
    'internal to kmeans_segment on distributed sources: one Lloyd step (counts, sums and inertia for the centroids in params)';


-- 20_rfm

-- 30_arima
-- mktdb.forecasts shows mktdb.forecast's models too; forecast_accuracy scores both kinds;
-- forecasts_of (C) reads both kinds.
CREATE OR REPLACE VIEW mktdb.forecasts WITH (security_invoker = true) AS
SELECT n.name AS model, f.version, f.series, f.step, f.ts, f.forecast, f.lo_80, f.hi_80, f.lo_95, f.hi_95
  FROM (SELECT DISTINCT ON (c.name) c.name, c.kind FROM mktdb.model c ORDER BY c.name, c.version DESC) n
 CROSS JOIN LATERAL mktdb.forecasts_of(n.name) f
 WHERE n.kind IN ('arima', 'forecast');

CREATE OR REPLACE FUNCTION mktdb.forecast_accuracy(
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


-- 35_forecast
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

-- 40_recommend
-- recommend_train gains method (after seed, as in the SPEC), neighbors and min_buyers, and
-- regularization defaults to NULL (chosen on validation), and so does frequency_scaling (chosen
-- with it); alpha defaults to 1.0 as in the SPEC.
-- The signature changes, so the function is dropped and created again.
DROP FUNCTION mktdb.recommend_train(text, text, text, text, text, int, int, float8, float8, int, text, float8, int, int);
CREATE FUNCTION mktdb.recommend_train(
    model text, source text, user_column text, item_column text,
    weight_column text DEFAULT NULL,
    factors int DEFAULT 64, iterations int DEFAULT 15,
    regularization float8 DEFAULT NULL, alpha float8 DEFAULT 1.0, seed int DEFAULT 0,
    method text DEFAULT 'auto',
    solver text DEFAULT 'cg', frequency_scaling float8 DEFAULT NULL, cg_steps int DEFAULT 3,
    precompute_n int DEFAULT 50, neighbors int DEFAULT 256, min_buyers int DEFAULT 5)
RETURNS TABLE(model text, version int, n_users bigint, n_items bigint, n_interactions bigint, train_ms float8)
AS 'MODULE_PATHNAME', 'mktdb_recommend_train' LANGUAGE C VOLATILE;

CREATE OR REPLACE FUNCTION mktdb._recommender_retrain(name text, spec jsonb) RETURNS jsonb
LANGUAGE sql VOLATILE AS $$
    SELECT pg_catalog.to_jsonb(r)
      FROM mktdb.recommend_train($1, $2->>'source', $2->>'user_column', $2->>'item_column',
                                 $2->>'weight_column',
                                 ($2->>'factors')::int, ($2->>'iterations')::int,
                                 ($2->>'regularization')::float8, ($2->>'alpha')::float8,
                                 ($2->>'seed')::int, coalesce($2->>'method', 'als'), $2->>'solver',
                                 ($2->>'frequency_scaling')::float8, ($2->>'cg_steps')::int,
                                 coalesce(($2->>'precompute_n')::int, 50),
                                 coalesce(($2->>'neighbors')::int, 256),
                                 coalesce(($2->>'min_buyers')::int, 1)) r
$$;

-- Online calls (recommend_for, segment_of, ...) find a model by name in a per-backend cache
-- instead of an index scan of the catalog (src/model_store.c); this trigger keeps the cache
-- right: any change of mktdb.model or mktdb.model_grant sends a relcache invalidation of
-- mktdb.model to every backend.  The cache is used only while the trigger exists.
CREATE FUNCTION mktdb._model_changed() RETURNS trigger
AS 'MODULE_PATHNAME', 'mktdb_model_changed' LANGUAGE C;
CREATE TRIGGER model_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mktdb.model
    FOR EACH STATEMENT EXECUTE FUNCTION mktdb._model_changed();
CREATE TRIGGER model_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mktdb.model_grant
    FOR EACH STATEMENT EXECUTE FUNCTION mktdb._model_changed();

COMMENT ON FUNCTION mktdb.recommend_train(text, text, text, text, text, int, int, float8, float8, int, text, text, float8, int, int, int, int)
    IS 'Trains a recommender (method auto | ease | als) from (user, item[, weight]) rows; regularization NULL is chosen on a validation split';
COMMENT ON FUNCTION mktdb.recommend_for(text, text, int, boolean)
    IS 'A user''s top n items (text ids); unknown users get the most popular items';
COMMENT ON FUNCTION mktdb.recommend_for(text, bigint, int, boolean)
    IS 'A user''s top n items (bigint ids); unknown users get the most popular items';
COMMENT ON FUNCTION mktdb.similar_items(text, text, int)
    IS 'Items bought with the given one (EASE: its positive weights; ALS: cosine of the factors), text ids';
COMMENT ON FUNCTION mktdb.similar_items(text, bigint, int)
    IS 'Items bought with the given one (EASE: its positive weights; ALS: cosine of the factors), bigint ids';
COMMENT ON FUNCTION mktdb.recommend_all(text, int, boolean)
    IS 'Every user''s top n items in one pass (ids as text)';
COMMENT ON FUNCTION mktdb._model_changed()
    IS 'Trigger: a change of the model catalog invalidates every backend''s model name cache';

-- 50_clv

-- Summarises purchases per customer, fits BG/NBD or Pareto/NBD (+ Gamma-Gamma with amounts),
-- stores a new version of model kind 'clv'.
CREATE FUNCTION mktdb.clv_train(
    model text, source text, customer_column text, date_column text,
    amount_column text DEFAULT NULL, calibration_end date DEFAULT NULL,
    time_unit text DEFAULT 'week', purchase_model text DEFAULT 'bgnbd')
RETURNS TABLE(model text, version int, n_customers bigint, repeaters bigint, params jsonb, loglik float8,
              train_ms float8)
AS 'MODULE_PATHNAME', 'mktdb_clv_train' LANGUAGE C VOLATILE;

-- Every calibration customer of a model with P(alive), expected purchases, spend and value.
CREATE FUNCTION mktdb.customer_value(model text, horizon float8 DEFAULT 52, discount_rate float8 DEFAULT 0)
RETURNS TABLE(customer_id text, frequency int, recency float8, t float8, monetary float8, p_alive float8,
              expected_purchases float8, expected_spend float8, clv float8)
AS 'MODULE_PATHNAME', 'mktdb_customer_value' LANGUAGE C STABLE;

-- The same scores for any customer given as (frequency, recency, t, monetary).
CREATE FUNCTION mktdb.clv_of(model text, frequency int, recency float8, t float8, monetary float8 DEFAULT NULL,
                             horizon float8 DEFAULT 52, discount_rate float8 DEFAULT 0)
RETURNS TABLE(p_alive float8, expected_purchases float8, expected_spend float8, clv float8)
AS 'MODULE_PATHNAME', 'mktdb_clv_of' LANGUAGE C STABLE PARALLEL SAFE;

-- Predicted against actual purchases after calibration_end, per calibration frequency.
CREATE FUNCTION mktdb.clv_accuracy(model text, holdout_end date)
RETURNS TABLE(frequency int, customers bigint, actual float8, predicted float8)
AS 'MODULE_PATHNAME', 'mktdb_clv_accuracy' LANGUAGE C STABLE;

-- Retrain entry point: replays a stored spec; the summary row (with the rows read) as jsonb.
CREATE FUNCTION mktdb._clv_retrain(model text, spec jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    r jsonb;
BEGIN
    SELECT pg_catalog.to_jsonb(t) INTO r
      FROM mktdb.clv_train(model, spec->>'source', spec->>'customer_column', spec->>'date_column',
                           spec->>'amount_column', (spec->>'calibration_end')::date,
                           spec->>'time_unit', spec->>'purchase_model') t;
    -- a new statement: its snapshot sees the version just stored
    RETURN r || pg_catalog.jsonb_build_object('n_rows',
        (SELECT v.n_rows FROM mktdb.model_versions v
          WHERE v.name = r->>'model' AND v.version = (r->>'version')::int));
END $$;

INSERT INTO mktdb.model_kind VALUES ('clv', 'mktdb._clv_retrain(text,jsonb)');

-- Every version of every CLV model with its fitted parameters.
CREATE VIEW mktdb.clv_models WITH (security_invoker = true) AS
SELECT v.name AS model, v.version, v.metrics->>'purchase_model' AS purchase_model,
       (v.metrics->>'calibration_end')::date AS calibration_end, v.metrics->>'time_unit' AS time_unit,
       (v.metrics->>'n_customers')::bigint AS n_customers, (v.metrics->>'repeaters')::bigint AS repeaters,
       v.metrics->'params' AS params, (v.metrics->>'loglik')::float8 AS loglik
  FROM mktdb.model_versions v
 WHERE v.kind = 'clv';

GRANT SELECT ON mktdb.clv_models TO PUBLIC;

COMMENT ON FUNCTION mktdb.clv_train(text, text, text, text, text, date, text, text) IS
    'Fits a customer lifetime value model (BG/NBD or Pareto/NBD purchases, Gamma-Gamma spend) and stores it';
COMMENT ON FUNCTION mktdb.customer_value(text, float8, float8) IS
    'P(alive), expected purchases, expected spend and CLV of every calibration customer of a CLV model';
COMMENT ON FUNCTION mktdb.clv_of(text, int, float8, float8, float8, float8, float8) IS
    'P(alive), expected purchases, expected spend and CLV of one customer summary under a CLV model';
COMMENT ON FUNCTION mktdb.clv_accuracy(text, date) IS
    'Mean predicted against actual purchases per calibration frequency over a holdout period';
COMMENT ON FUNCTION mktdb._clv_retrain(text, jsonb) IS
    'Retrains a CLV model from its stored spec (used by mktdb.retrain)';
COMMENT ON VIEW mktdb.clv_models IS 'Versions of CLV models with their fitted parameters';

-- 60_abtest

-- The per-group moments every test is computed from: count, means, sums of squared and cross
-- deviations (Welford within a state, Chan et al. between states), so that partial states of
-- parallel workers and Citus shards combine into the one-pass numbers.
CREATE FUNCTION mktdb._ab_moments_add(state float8[], y float8)
RETURNS float8[] AS 'MODULE_PATHNAME', 'mktdb_ab_moments_add' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mktdb._ab_moments_add(state float8[], y float8, x float8)
RETURNS float8[] AS 'MODULE_PATHNAME', 'mktdb_ab_moments_add' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION mktdb._ab_moments_combine(a float8[], b float8[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'mktdb_ab_moments_combine' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE mktdb.ab_moments(y float8) (
    SFUNC = mktdb._ab_moments_add, STYPE = float8[],
    INITCOND = '{0,0,0,0,0,0,0,0}',
    COMBINEFUNC = mktdb._ab_moments_combine,
    PARALLEL = SAFE);
CREATE AGGREGATE mktdb.ab_moments(y float8, x float8) (
    SFUNC = mktdb._ab_moments_add, STYPE = float8[],
    INITCOND = '{0,0,0,0,0,0,0,0}',
    COMBINEFUNC = mktdb._ab_moments_combine,
    PARALLEL = SAFE);

CREATE FUNCTION mktdb.ab_test(
    source text, variant_column text, metric_column text,
    control text DEFAULT NULL,
    metric text DEFAULT 'auto',
    alpha float8 DEFAULT 0.05,
    covariate_column text DEFAULT NULL,
    expected_split float8[] DEFAULT NULL)
RETURNS TABLE(variant text, n bigint, mean float8, sd float8, diff float8, ci_lo float8, ci_hi float8,
              rel_lift float8, p_value float8, p_adjusted float8, test text, srm_p_value float8)
AS 'MODULE_PATHNAME', 'mktdb_ab_test' LANGUAGE C VOLATILE;

CREATE FUNCTION mktdb.ab_sequential(
    source text, variant_column text, metric_column text, time_column text,
    control text DEFAULT NULL, metric text DEFAULT 'auto', alpha float8 DEFAULT 0.05, tau float8 DEFAULT NULL)
RETURNS TABLE(variant text, ts timestamptz, n bigint, diff float8, ci_lo float8, ci_hi float8, p_value float8)
AS 'MODULE_PATHNAME', 'mktdb_ab_sequential' LANGUAGE C VOLATILE;

CREATE FUNCTION mktdb.ab_sample_size(baseline float8, mde float8, alpha float8 DEFAULT 0.05,
                                     power float8 DEFAULT 0.8, metric text DEFAULT 'proportion',
                                     sd float8 DEFAULT NULL)
RETURNS float8 AS 'MODULE_PATHNAME', 'mktdb_ab_sample_size' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION mktdb.ab_bayes(control_conversions bigint, control_n bigint, treatment_conversions bigint,
                               treatment_n bigint, prior_alpha float8 DEFAULT 1, prior_beta float8 DEFAULT 1)
RETURNS TABLE(prob_treatment_better float8, expected_loss_treatment float8, expected_loss_control float8)
AS 'MODULE_PATHNAME', 'mktdb_ab_bayes' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON AGGREGATE mktdb.ab_moments(float8) IS
'per-group moments of a metric as float8[8] (n, mean, M2, covariate mean, M2 and co-moment, non-0/1 count, sum); combinable, parallel safe: the one pass behind ab_test';
COMMENT ON AGGREGATE mktdb.ab_moments(float8, float8) IS
'per-group moments of a metric and a covariate as float8[8] (n, means, M2s, co-moment, non-0/1 count, sum); combinable, parallel safe: the one pass behind ab_test with CUPED';
COMMENT ON FUNCTION mktdb.ab_test(text, text, text, text, text, float8, text, float8[]) IS
'A/B test per treatment vs control, as R''s prop.test(correct = FALSE) or Welch t.test, optional CUPED covariate, Holm-adjusted p-values, sample-ratio-mismatch p-value (chisq.test)';
COMMENT ON FUNCTION mktdb.ab_sequential(text, text, text, text, text, text, float8, float8) IS
'always-valid p-values and confidence sequences (mixture SPRT, Johari et al.) after each time value, cumulative: safe to look every day; tau NULL = 0.1 x the metric''s standard deviation';
COMMENT ON FUNCTION mktdb.ab_sample_size(float8, float8, float8, float8, text, float8) IS
'per-group sample size of R''s power.prop.test (proportion) or power.t.test (mean, with sd) for a difference mde';
COMMENT ON FUNCTION mktdb.ab_bayes(bigint, bigint, bigint, bigint, float8, float8) IS
'Beta-Binomial posteriors: P(treatment rate > control rate) and each choice''s expected loss, by the exact finite sum (by quadrature when no prior parameter is an integer)';

-- 70_charts

CREATE FUNCTION mktdb.forecast_chart(model text, series jsonb DEFAULT '{}', width int DEFAULT 800,
                                     height int DEFAULT 400) RETURNS text
AS 'MODULE_PATHNAME', 'mktdb_forecast_chart' LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION mktdb.segment_chart(model text, width int DEFAULT 800, height int DEFAULT 400) RETURNS text
AS 'MODULE_PATHNAME', 'mktdb_segment_chart' LANGUAGE C STABLE PARALLEL RESTRICTED;

CREATE FUNCTION mktdb.rfm_chart(model text, width int DEFAULT 800, height int DEFAULT 400) RETURNS text
AS 'MODULE_PATHNAME', 'mktdb_rfm_chart' LANGUAGE C STABLE PARALLEL RESTRICTED;

COMMENT ON FUNCTION mktdb.forecast_chart(text, jsonb, int, int) IS
    'SVG chart of one series of a forecasting model: recent history, forecast, 80 % and 95 % bands (width, height in pixels)';
COMMENT ON FUNCTION mktdb.segment_chart(text, int, int) IS
    'SVG heat grid of a k-means model: each segment''s size and centroid against the overall mean per feature (width, height in pixels)';
COMMENT ON FUNCTION mktdb.rfm_chart(text, int, int) IS
    'SVG 5 x 5 grid of an RFM model: recency score against FM score, customers and segment name per cell (width, height in pixels)';

CREATE FUNCTION mktdb.clv_chart(model text, width int DEFAULT 800, height int DEFAULT 400) RETURNS text
AS 'MODULE_PATHNAME', 'mktdb_clv_chart' LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION mktdb.clv_chart(text, int, int) IS
    'SVG heat map of a customer lifetime value model: P(alive) over frequency x recency, parameters in the title (width, height in pixels)';

-- 90_operations

-- 95_comments

-- model catalog and operations
COMMENT ON TABLE mktdb.model_kind IS 'Model kinds and the function mktdb.retrain calls for each (internal registry)';
COMMENT ON TABLE mktdb.model_grant IS 'Roles a model''s owner let see and use the model (mktdb.grant_model / mktdb.revoke_model)';
COMMENT ON VIEW mktdb.models IS 'Newest version of each model: kind, owner, training time, rows, train_ms (milliseconds), size_bytes, metrics';
COMMENT ON VIEW mktdb.model_versions IS 'Every kept version of every model, with the columns of mktdb.models';
COMMENT ON FUNCTION mktdb.retrain(text) IS 'Retrains a model from its stored spec, reading with its owner''s privileges; the trainer''s summary as jsonb';
COMMENT ON FUNCTION mktdb.drop_model(text) IS 'Drops every version of a model';
COMMENT ON FUNCTION mktdb.grant_model(text, regrole) IS 'Lets a role see and use a model (owner only)';
COMMENT ON FUNCTION mktdb.revoke_model(text, regrole) IS 'Takes back mktdb.grant_model';
COMMENT ON FUNCTION mktdb.schedule_retrain(text, text) IS 'Schedules mktdb.retrain(model) with pg_cron on a cron schedule (e.g. ''0 3 * * *''); the job id';
COMMENT ON FUNCTION mktdb.unschedule_retrain(text) IS 'Removes the pg_cron job of mktdb.schedule_retrain for a model';
COMMENT ON FUNCTION mktdb.model_header(bytea) IS 'The checked header of a model blob: kind, format version, payload size (bytes), CRC-32C';
COMMENT ON FUNCTION mktdb.model_cache() IS 'The decoded models this backend''s cache holds (size in bytes, hits)';

-- k-means segmentation
COMMENT ON FUNCTION mktdb.kmeans_segment(text, text, text[], int, text, text, int, int, float8, int) IS
    'Fits k-means on feature columns of a table, view or query and stores a model version; inertia in the fitted space, train_ms in milliseconds';
COMMENT ON FUNCTION mktdb.segment_of(text, float8[]) IS 'The segment (1..k) of one point in original units, by a stored k-means model';
COMMENT ON FUNCTION mktdb.segment_of(bytea, float8[]) IS 'The segment (1..k) of one point in original units, by a k-means model held as bytea';
COMMENT ON FUNCTION mktdb.kmeans_assign(text) IS 'Every row of a k-means model''s source: id, segment, Euclidean distance to its centroid (fitted space)';
COMMENT ON FUNCTION mktdb.kmeans_centroids(bytea) IS 'Segments of a k-means model held as bytea: size (rows), feature names, centroid in original units';
COMMENT ON FUNCTION mktdb.kmeans_info(bytea) IS 'Shape and quality of a k-means model held as bytea: k, features, rows, inertia, sizes, silhouette';
COMMENT ON AGGREGATE mktdb.kmeans_fit(float8[], int) IS 'Aggregate: a k-means model (bytea) of the feature arrays of each group, z-scored';
COMMENT ON AGGREGATE mktdb.kmeans_fit(float8[], int, text) IS 'Aggregate: a k-means model (bytea) per group with the given scaling (zscore, minmax, none)';
COMMENT ON AGGREGATE mktdb.kmeans_fit(float8[], int, text, int, int, float8, int) IS
    'Aggregate: a k-means model (bytea) per group with scaling, n_init, max_iter, tol and seed';
COMMENT ON VIEW mktdb.kmeans_centroids IS 'Centroids (original units) and sizes (rows) of every version of every k-means model';

-- RFM scoring
COMMENT ON FUNCTION mktdb.rfm_score(text, text, text, text, text, timestamptz, int) IS
    'RFM scores per customer (recency in days, frequency in rows, monetary as summed amount) and segment; stores the thresholds as a model';
COMMENT ON FUNCTION mktdb.rfm_of(text, int, bigint, float8) IS 'Scores one customer (recency in days, frequency, monetary) against a stored RFM model';
COMMENT ON VIEW mktdb.rfm_segments IS 'Customers, share (0..1) and mean recency (days), frequency and monetary per segment of every RFM model';
COMMENT ON VIEW mktdb.rfm_thresholds IS 'The score thresholds of every RFM model: recency in days, frequency in rows, monetary exact';

-- ARIMA forecasting
COMMENT ON FUNCTION mktdb.forecasts_of(text) IS 'Forecasts of one arima_forecast or forecast model (or all visible ones for NULL): the rows behind mktdb.forecasts';
COMMENT ON FUNCTION mktdb.arima_models_of(text) IS 'Fitted orders and statistics of one ARIMA model (or all visible ones for NULL): the rows behind mktdb.arima_models';
COMMENT ON VIEW mktdb.forecasts IS 'Stored forecasts of every arima_forecast and forecast model (newest version): step, timestamp, point forecast and 80 % / 95 % interval bounds (units of the series)';
COMMENT ON VIEW mktdb.arima_models IS 'Per series of every ARIMA model: orders, period, coefficients (R''s names), sigma2, loglik, AICc, observations, fallback';

-- recommendations
COMMENT ON FUNCTION mktdb.recommend_for(text, text, int, boolean) IS 'Top n items for one user (text ids) with scores and rank 1..n; popular items for unknown users';
COMMENT ON FUNCTION mktdb.recommend_for(text, bigint, int, boolean) IS 'Top n items for one user (bigint ids) with scores and rank 1..n; popular items for unknown users';
COMMENT ON FUNCTION mktdb.recommend_all(text, int, boolean) IS 'Top n items for every user of a recommender model, as recommend_for per user (text ids)';
COMMENT ON FUNCTION mktdb.similar_items(text, text, int) IS 'The n items most similar to one item (text ids): customers who bought this also bought';
COMMENT ON FUNCTION mktdb.similar_items(text, bigint, int) IS 'The n items most similar to one item (bigint ids): customers who bought this also bought';

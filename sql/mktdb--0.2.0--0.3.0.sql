-- mktdb 0.2.0 -> 0.3.0
-- Sections follow the order of sql/ext/ (one per part of the extension script), so that
-- each capability's upgrade sits where its fresh-install SQL does.
\echo Use "ALTER EXTENSION mktdb UPDATE TO '0.3.0'" to load this file. \quit

-- 00_catalog

-- 10_kmeans

-- 20_rfm

-- 30_arima

-- 35_forecast

-- 40_recommend

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
'Beta-Binomial posteriors: P(treatment rate > control rate) and each choice''s expected loss, by the exact finite sum';

-- 70_charts

-- 90_operations

-- 95_comments

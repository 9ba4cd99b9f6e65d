-- mktdb extension script, part 60: campaign evaluation (src/abtest_sql.c, src/core/abtest.c,
-- src/core/msprt.c, src/core/dist.c; README "Campaign evaluation").  Nothing is stored.

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

-- abtest.sql -- campaign evaluation against R 4.2.2 (test/ref/abtest_ref.R): ab_test as
-- prop.test(correct = FALSE), Welch t.test, CUPED, p.adjust holm and chisq.test (1e-9
-- relative), ab_sample_size as power.prop.test / power.t.test (1e-6), ab_bayes against
-- quadrature, ab_sequential against the R transcription of the mixture SPRT; the same
-- numbers under a parallel plan; every bad input with its SQLSTATE.
-- Data files are read with client-side \copy, relative to the repository root.
SET extra_float_digits = 0;
CREATE TABLE exp (id int, variant text, converted int, revenue float8, pre_spend float8, day int);
\copy exp FROM 'test/ref/abtest_data.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE ref (case_name text, variant text, n bigint, mean float8, sd float8, diff float8,
                  ci_lo float8, ci_hi float8, rel_lift float8, p_value float8, p_adjusted float8,
                  test text, srm_p_value float8);
\copy ref FROM 'test/ref/abtest_ref_tests.csv' WITH (FORMAT csv, HEADER true, NULL 'NA')

CREATE FUNCTION try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- relative error; NULL against NULL is 0, NULL against a number is infinite
CREATE FUNCTION rel(a float8, b float8) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN a IS NULL AND b IS NULL THEN 0
                WHEN a IS NULL OR b IS NULL THEN 'infinity'
                WHEN b = 0 THEN abs(a)
                ELSE abs(a - b) / abs(b) END
$$;

-- one ab_test call against one reference case: variants, worst relative error <= 1e-9, test names
CREATE FUNCTION check_case(p_case text, call text)
RETURNS TABLE(case_name text, variants bigint, within_1e9 boolean, same_test boolean) LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format($q$
        SELECT %L::text, count(*),
               bool_and(greatest(rel(g.n, r.n), rel(g.mean, r.mean), rel(g.sd, r.sd), rel(g.diff, r.diff),
                                 rel(g.ci_lo, r.ci_lo), rel(g.ci_hi, r.ci_hi), rel(g.rel_lift, r.rel_lift),
                                 rel(g.p_value, r.p_value), rel(g.p_adjusted, r.p_adjusted),
                                 rel(g.srm_p_value, r.srm_p_value)) <= 1e-9),
               bool_and(g.test = r.test)
          FROM (%s) g JOIN ref r ON r.variant = g.variant AND r.case_name = %L$q$, p_case, call, p_case);
END $$;

CREATE VIEW cases AS
SELECT * FROM check_case('conv', $$SELECT * FROM mktdb.ab_test('exp', 'variant', 'converted')$$)
UNION ALL
SELECT * FROM check_case('conv_ctl_a_alpha10', $$SELECT * FROM mktdb.ab_test('exp', 'variant', 'converted', control => 'a', alpha => 0.1)$$)
UNION ALL
SELECT * FROM check_case('rev', $$SELECT * FROM mktdb.ab_test('exp', 'variant', 'revenue')$$)
UNION ALL
SELECT * FROM check_case('rev_split', $$SELECT * FROM mktdb.ab_test('exp', 'variant', 'revenue', alpha => 0.01, expected_split => '{0.3,0.3,0.4}')$$)
UNION ALL
SELECT * FROM check_case('rev_cuped', $$SELECT * FROM mktdb.ab_test('exp', 'variant', 'revenue', covariate_column => 'pre_spend')$$)
UNION ALL
-- a boolean metric is a proportion; a query source works as a table does
SELECT * FROM check_case('conv', $$SELECT * FROM mktdb.ab_test('SELECT variant, converted = 1 AS bought FROM exp', 'variant', 'bought')$$);

SELECT * FROM cases;

-- what a user sees
SELECT variant, n, round(mean::numeric, 4) AS mean, round(diff::numeric, 4) AS diff,
       round(ci_lo::numeric, 4) AS ci_lo, round(ci_hi::numeric, 4) AS ci_hi, round(p_value::numeric, 4) AS p,
       round(p_adjusted::numeric, 4) AS p_adj, test, round(srm_p_value::numeric, 4) AS srm_p
  FROM mktdb.ab_test('exp', 'variant', 'revenue', covariate_column => 'pre_spend');

-- CUPED narrows the interval: the width with and without the covariate
SELECT a.variant, round(((a.ci_hi - a.ci_lo) / (b.ci_hi - b.ci_lo))::numeric, 3) AS width_ratio
  FROM mktdb.ab_test('exp', 'variant', 'revenue', covariate_column => 'pre_spend') a
  JOIN mktdb.ab_test('exp', 'variant', 'revenue') b USING (variant)
 WHERE a.diff IS NOT NULL ORDER BY 1;

-- rows with a NULL variant or metric are skipped; an integer variant column sorts as integers
INSERT INTO exp VALUES (9001, NULL, 1, 5, 5, 1), (9002, 'a', NULL, NULL, 5, 1);
SELECT * FROM check_case('conv', $$SELECT * FROM mktdb.ab_test('exp', 'variant', 'converted')$$);
DELETE FROM exp WHERE id > 9000;
SELECT variant, n FROM mktdb.ab_test($$SELECT CASE variant WHEN 'control' THEN 2 WHEN 'a' THEN 10 ELSE 9 END AS v, converted FROM exp$$, 'v', 'converted');

-- the aggregate under a parallel plan (partial states combined) gives the one-pass numbers
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT variant, mktdb.ab_moments(revenue, pre_spend) FROM exp GROUP BY variant;
CREATE TABLE par AS SELECT variant, mktdb.ab_moments(revenue, pre_spend) AS m FROM exp GROUP BY variant;
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather; RESET parallel_leader_participation;
SET max_parallel_workers_per_gather = 0;
SELECT bool_and(rel(p.m[i], s.m[i]) <= 1e-12) AS parallel_equals_serial
  FROM par p JOIN (SELECT variant, mktdb.ab_moments(revenue, pre_spend) AS m FROM exp GROUP BY variant) s USING (variant),
       generate_series(1, 8) i;
RESET max_parallel_workers_per_gather;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SELECT * FROM cases;
RESET ALL;
SET extra_float_digits = 0;
SET datestyle = 'ISO, YMD';

-- sample sizes: power.prop.test / power.t.test, 1e-6 relative
CREATE TABLE ref_power (metric text, baseline float8, mde float8, alpha float8, power float8, sd float8, n float8);
\copy ref_power FROM 'test/ref/abtest_ref_power.csv' WITH (FORMAT csv, HEADER true)
SELECT metric, count(*) AS cases,
       bool_and(rel(mktdb.ab_sample_size(baseline, mde, alpha, power, metric, sd), n) <= 1e-6) AS within_1e6
  FROM ref_power GROUP BY metric ORDER BY metric;
SELECT round(mktdb.ab_sample_size(0.05, 0.01)::numeric, 3) AS n_one_point,
       round(mktdb.ab_sample_size(100, 5, metric => 'mean', sd => 40)::numeric, 3) AS n_mean;

-- Bayesian: exact sums against adaptive quadrature
CREATE TABLE ref_bayes (xc bigint, nc bigint, xt bigint, nt bigint, prior_alpha float8, prior_beta float8,
                        prob float8, loss_t float8, loss_c float8);
\copy ref_bayes FROM 'test/ref/abtest_ref_bayes.csv' WITH (FORMAT csv, HEADER true)
SELECT count(*) AS cases,
       bool_and(greatest(rel(b.prob_treatment_better, r.prob), rel(b.expected_loss_treatment, r.loss_t),
                         rel(b.expected_loss_control, r.loss_c)) <= 1e-9) AS within_1e9
  FROM ref_bayes r, mktdb.ab_bayes(xc, nc, xt, nt, prior_alpha, prior_beta) b;
-- no integer posterior parameter (Jeffreys' Beta(0.5, 0.5) prior): adaptive quadrature, against R's
SELECT round(b.prob_treatment_better::numeric, 12) AS p_better, rel(b.prob_treatment_better, r.prob) <= 1e-9 AS within_1e9
  FROM ref_bayes r, mktdb.ab_bayes(xc, nc, xt, nt, prior_alpha, prior_beta) b
 WHERE prior_alpha <> round(prior_alpha) AND prior_beta <> round(prior_beta);
SELECT round(prob_treatment_better::numeric, 6) AS p_better, round(expected_loss_treatment::numeric, 8) AS loss_t,
       round(expected_loss_control::numeric, 8) AS loss_c
  FROM mktdb.ab_bayes(2500, 50000, 2610, 50000);

-- sequential: the R transcription of the mixture SPRT (treatment b vs control, days 1..14)
CREATE TABLE ref_seq (metric text, day int, n bigint, diff float8, ci_lo float8, ci_hi float8, p_value float8);
\copy ref_seq FROM 'test/ref/abtest_ref_seq.csv' WITH (FORMAT csv, HEADER true)
SELECT r.metric, count(*) AS looks,
       bool_and(s.n = r.n AND greatest(rel(s.diff, r.diff), rel(s.p_value, r.p_value),
                rel(coalesce(s.ci_lo, '-infinity'), r.ci_lo), rel(coalesce(s.ci_hi, 'infinity'), r.ci_hi)) <= 1e-9) AS within_1e9
  FROM ref_seq r
  JOIN (SELECT 'mean' AS metric, * FROM mktdb.ab_sequential(
            $$SELECT variant, revenue, date '2026-01-01' + day AS d FROM exp$$, 'variant', 'revenue', 'd')
        UNION ALL
        SELECT 'proportion', * FROM mktdb.ab_sequential(
            $$SELECT variant, converted, date '2026-01-01' + day AS d FROM exp$$, 'variant', 'converted', 'd')) s
    ON s.metric = r.metric AND s.variant = 'b' AND s.ts = (date '2026-01-01' + r.day)::timestamptz
 GROUP BY r.metric ORDER BY 1;
SET timezone = 'UTC';
SELECT variant, ts::date AS day, n, round(diff::numeric, 3) AS diff, round(ci_lo::numeric, 3) AS ci_lo,
       round(ci_hi::numeric, 3) AS ci_hi, round(p_value::numeric, 4) AS p
  FROM mktdb.ab_sequential($$SELECT variant, revenue, date '2026-01-01' + day AS d FROM exp$$, 'variant', 'revenue', 'd',
                           tau => 2)
 WHERE ts::date IN ('2026-01-02', '2026-01-08', '2026-01-15') ORDER BY ts, variant;

-- bad input: clear errors with their SQLSTATEs
CREATE TABLE one_arm AS SELECT 'control'::text AS variant, converted, revenue FROM exp WHERE variant = 'control';
CREATE TABLE flat AS SELECT variant, 7.0::float8 AS y, pre_spend, 3 AS c FROM exp;
CREATE TABLE nulls AS SELECT variant, NULL::float8 AS y FROM exp;
SELECT q, try(q) FROM (VALUES
    ($$SELECT * FROM mktdb.ab_test('one_arm', 'variant', 'converted')$$),
    ($$SELECT * FROM mktdb.ab_test('exp', 'variant', 'converted', control => 'nobody')$$),
    ($$SELECT * FROM mktdb.ab_test('exp', 'variant', 'revenue', metric => 'proportion')$$),
    ($$SELECT * FROM mktdb.ab_test('exp', 'variant', 'revenue', metric => 'median')$$),
    ($$SELECT * FROM mktdb.ab_test('exp', 'variant', 'revenue', expected_split => '{0.5,0.5}')$$),
    ($$SELECT * FROM mktdb.ab_test('exp', 'variant', 'revenue', expected_split => '{0.5,0.3,0.3}')$$),
    ($$SELECT * FROM mktdb.ab_test('exp', 'variant', 'revenue', expected_split => '{0.5,0.5,0}')$$),
    ($$SELECT * FROM mktdb.ab_test('exp', 'variant', 'revenue', expected_split => '{0.5,NULL,0.5}')$$),
    ($$SELECT * FROM mktdb.ab_test('exp', 'variant', 'revenue', alpha => 0)$$),
    ($$SELECT * FROM mktdb.ab_test('exp', 'variant', 'revenue', alpha => 1.5)$$),
    ($$SELECT * FROM mktdb.ab_test('flat', 'variant', 'y')$$),
    ($$SELECT * FROM mktdb.ab_test('nulls', 'variant', 'y')$$),
    ($$SELECT * FROM mktdb.ab_test('flat', 'variant', 'pre_spend', covariate_column => 'c')$$),
    ($$SELECT * FROM mktdb.ab_test('exp', 'variant', 'variant')$$),
    ($$SELECT * FROM mktdb.ab_test('exp', 'variant', 'no_such_column')$$),
    ($$SELECT * FROM mktdb.ab_test('exp', NULL, 'revenue')$$),
    ($$SELECT * FROM mktdb.ab_test('SELECT variant, CASE WHEN id = 5 THEN ''NaN''::float8 ELSE revenue END AS y FROM exp', 'variant', 'y')$$),
    ($$SELECT * FROM mktdb.ab_bayes(10, 5, 1, 10)$$),
    ($$SELECT * FROM mktdb.ab_bayes(-1, 5, 1, 10)$$),
    ($$SELECT * FROM mktdb.ab_bayes(1, 5, 11, 10)$$),
    ($$SELECT * FROM mktdb.ab_bayes(1, 5, 1, -10)$$),
    ($$SELECT * FROM mktdb.ab_bayes(1, 5, 1, 10, 0.5, 'NaN')$$),
    ($$SELECT * FROM mktdb.ab_bayes(1, 5, 1, 10, 'infinity', 1)$$),
    ($$SELECT * FROM mktdb.ab_bayes(2000000000, 5000000000, 2000000000, 5000000000, 0.5, 0.5)$$),
    ($$SELECT * FROM mktdb.ab_bayes(1, 5, 1, 10, 0, 1)$$),
    ($$SELECT * FROM mktdb.ab_bayes(2000000000, 5000000000, 2000000000, 5000000000)$$),
    ($$SELECT mktdb.ab_sample_size(0.1, 0.01, power => 1)$$),
    ($$SELECT mktdb.ab_sample_size(0.1, 0.01, power => 0)$$),
    ($$SELECT mktdb.ab_sample_size(0.1, 0)$$),
    ($$SELECT mktdb.ab_sample_size(1.2, 0.01)$$),
    ($$SELECT mktdb.ab_sample_size(0.95, 0.1)$$),
    ($$SELECT mktdb.ab_sample_size(0.1, 0.01, alpha => 1)$$),
    ($$SELECT mktdb.ab_sample_size(10, 1, metric => 'mean')$$),
    ($$SELECT mktdb.ab_sample_size(10, 1, metric => 'mean', sd => -1)$$),
    ($$SELECT mktdb.ab_sample_size(0.1, 0.01, metric => 'ratio')$$),
    ($$SELECT * FROM mktdb.ab_sequential('exp', 'variant', 'revenue', 'day')$$),
    ($$SELECT * FROM mktdb.ab_sequential('SELECT variant, revenue, now() AS t FROM exp', 'variant', 'revenue', 't', tau => 0)$$),
    ($$SELECT mktdb._ab_moments_add('{1,2}', 3)$$)
) v(q);

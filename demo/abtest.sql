-- demo/abtest.sql -- campaign evaluation on the Complete Journey households (included by demo/demo.sql).
-- The experiment is SIMULATED: the sample has no randomised test, so households are split
-- deterministically (a hash of household_id) into 'control' and 'coupon' on 2017-07-01, and the
-- coupon's effect is added by this script: +10 % on each coupon household's second-half spend, and
-- one in twenty coupon households that did not buy meat in the second half counted as buying it.
-- Pre-period spend (first half of 2017) is the CUPED covariate.

\echo
\echo '=== 6. Campaign evaluation: a SIMULATED coupon experiment on the households (hash split, effect added) ==='
CREATE TEMP TABLE coupon_test AS
WITH h AS (
    SELECT household_id,
           CASE WHEN ('x' || substr(md5('coupon-2017:' || household_id), 1, 8))::bit(32)::int % 2 = 0
                THEN 'control' ELSE 'coupon' END AS variant,
           ('x' || substr(md5('meat:' || household_id), 1, 8))::bit(32)::int % 20 = 0 AS nudged
      FROM demo.customer_features
), t AS (
    SELECT t.household_id,
           sum(t.sales_value) FILTER (WHERE t.transaction_timestamp < '2017-07-01')  AS pre_spend,
           sum(t.sales_value) FILTER (WHERE t.transaction_timestamp >= '2017-07-01') AS post_spend,
           bool_or(p.department = 'MEAT' AND t.transaction_timestamp >= '2017-07-01') AS bought_meat,
           min(t.transaction_timestamp) FILTER (WHERE t.transaction_timestamp >= '2017-07-01')::date AS first_visit
      FROM demo.transactions t JOIN demo.products p USING (product_id)
     GROUP BY t.household_id
)
SELECT h.household_id, h.variant, coalesce(t.pre_spend, 0)::float8 AS pre_spend,
       (coalesce(t.post_spend, 0) * CASE h.variant WHEN 'coupon' THEN 1.10 ELSE 1 END)::float8 AS spend,
       (coalesce(t.bought_meat, false) OR (h.variant = 'coupon' AND h.nudged))::int AS bought_meat,
       t.first_visit
  FROM h JOIN t USING (household_id);

\echo 'Second-half spend per household, Welch test, with and without CUPED (pre-period spend):'
SELECT 'plain' AS analysis, variant, n, round(mean::numeric, 2) AS mean, round(diff::numeric, 2) AS diff,
       round(ci_lo::numeric, 2) AS ci_lo, round(ci_hi::numeric, 2) AS ci_hi, round(p_value::numeric, 4) AS p_value,
       round(srm_p_value::numeric, 3) AS srm_p_value
  FROM mktdb.ab_test('coupon_test', 'variant', 'spend')
UNION ALL
SELECT 'CUPED', variant, n, round(mean::numeric, 2), round(diff::numeric, 2), round(ci_lo::numeric, 2),
       round(ci_hi::numeric, 2), round(p_value::numeric, 4), round(srm_p_value::numeric, 3)
  FROM mktdb.ab_test('coupon_test', 'variant', 'spend', covariate_column => 'pre_spend')
 ORDER BY 1 DESC, 2;

\echo 'Bought meat in the second half (a 0/1 metric: the z-test for proportions, as R''s prop.test):'
SELECT variant, n, round(mean::numeric, 4) AS rate, round(diff::numeric, 4) AS diff, round(ci_lo::numeric, 4) AS ci_lo,
       round(ci_hi::numeric, 4) AS ci_hi, round(rel_lift::numeric, 3) AS rel_lift, round(p_value::numeric, 4) AS p_value, test
  FROM mktdb.ab_test('coupon_test', 'variant', 'bought_meat');

\echo 'The same counts, Bayesian (uniform prior): P(coupon better) and the expected loss of each choice:'
SELECT round(b.prob_treatment_better::numeric, 4) AS prob_coupon_better,
       round(b.expected_loss_treatment::numeric, 6) AS loss_if_coupon, round(b.expected_loss_control::numeric, 6) AS loss_if_control
  FROM (SELECT sum(bought_meat) FILTER (WHERE variant = 'control') AS xc, count(*) FILTER (WHERE variant = 'control') AS nc,
               sum(bought_meat) FILTER (WHERE variant = 'coupon') AS xt, count(*) FILTER (WHERE variant = 'coupon') AS nt
          FROM coupon_test) c,
       mktdb.ab_bayes(c.xc, c.nc, c.xt, c.nt) b;

\echo 'Looking every day without inflating false positives: always-valid p-values by first second-half visit (first Monday of each month shown):'
SELECT ts::date AS day, n, round(diff::numeric, 4) AS diff, round(ci_lo::numeric, 4) AS ci_lo,
       round(ci_hi::numeric, 4) AS ci_hi, round(p_value::numeric, 4) AS always_valid_p
  FROM mktdb.ab_sequential('coupon_test', 'variant', 'bought_meat', 'first_visit')
 WHERE variant = 'coupon' AND ((extract(isodow FROM ts) = 1 AND extract(day FROM ts) <= 7) OR ts = (SELECT max(first_visit) FROM coupon_test))
 ORDER BY ts;

\echo 'Households per arm needed to detect a one-point lift in a meat-buying rate of this size (80 % power, 5 % level):'
SELECT round(avg(bought_meat)::numeric, 4) AS control_rate,
       ceil(mktdb.ab_sample_size(avg(bought_meat), 0.01)) AS households_per_arm
  FROM coupon_test WHERE variant = 'control';

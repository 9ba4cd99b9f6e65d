-- Customer lifetime value: hand-computed summaries, parameters and scores against the
-- committed scipy reference (test/ref/clv_ref.py), P(alive) limits, clv_of = customer_value,
-- clv_accuracy, retrain, views, bad input with SQLSTATEs.
SET extra_float_digits = 0;

CREATE FUNCTION try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- ---------- a tiny case, summarised by hand ----------
CREATE TABLE buys(cust text, day date, amount numeric);
INSERT INTO buys VALUES
  ('a', '2024-01-01', 10), ('a', '2024-01-01', 5),     -- one purchase day of 15 (the first: not in m)
  ('a', '2024-01-15', 20), ('a', '2024-02-12', 40.50), -- x = 2, t_x = 42 d = 6 w, T = 84 d = 12 w, m = 30.25
  ('b', '2024-01-08', 7),                              -- x = 0, t_x = 0, T = 77 d = 11 w, m NULL
  ('c', '2024-01-01', 3), ('c', '2024-01-22', -2),     -- a repeat day summing to -2: not in m
  ('c', '2024-03-01', 8),                              -- x = 2, t_x = 60 d, T = 12 w, m = 8
  ('d', '2024-02-01', NULL), ('d', '2024-02-05', NULL),-- amounts unknown: x = 1, t_x = 4 d, T = 53 d, m NULL
  ('e', '2024-01-03', 12), ('e', '2024-02-14', 6),     -- x = 1, t_x = 42 d = 6 w, T = 82 d, m = 6
  ('e', '2024-02-14', 0.125),                          -- same day: 6.125
  ('e', '2024-04-10', 9),                              -- after calibration_end: ignored
  (NULL, '2024-01-05', 1), ('f', NULL, 1);             -- skipped and counted
SELECT model, version, n_customers, repeaters FROM mktdb.clv_train('tiny', 'buys', 'cust', 'day', 'amount',
       calibration_end => '2024-03-25', time_unit => 'week');
SELECT customer_id, frequency, round(recency::numeric * 7, 9) AS recency_days, round(t::numeric * 7, 9) AS t_days,
       monetary FROM mktdb.customer_value('tiny') ORDER BY 1;
SELECT metrics->'rows_used' AS rows_used, metrics->'skipped_null_customer' AS null_cust,
       metrics->'skipped_null_date' AS null_date, metrics->'skipped_after_calibration_end' AS after_end,
       metrics->'null_amounts' AS null_amounts, metrics->'days_without_amount' AS days_without_amount,
       metrics->'spend_customers' AS spend_customers
  FROM mktdb.models WHERE name = 'tiny';
-- time units: days and months; the default calibration_end is the newest date (2024-04-10)
SELECT n_customers FROM mktdb.clv_train('tiny_d', 'buys', 'cust', 'day', time_unit => 'day');
SELECT customer_id, frequency, recency, t FROM mktdb.customer_value('tiny_d') WHERE customer_id IN ('a', 'e') ORDER BY 1;
SELECT n_customers FROM mktdb.clv_train('tiny_m', 'buys', 'cust', 'day', time_unit => 'month', calibration_end => '2024-03-25');
SELECT customer_id, round(recency::numeric, 12) AS recency_months, round(42 / (365.25 / 12), 12) AS by_hand
  FROM mktdb.customer_value('tiny_m') WHERE customer_id = 'a';
SELECT model, version, purchase_model, calibration_end, time_unit, n_customers, repeaters, params ? 'p' AS has_spend
  FROM mktdb.clv_models WHERE model LIKE 'tiny%' ORDER BY 1;
-- without an amount column: no spend model, NULL spend and clv
SELECT params ? 'p' AS has_spend FROM mktdb.clv_train('tiny_np', 'buys', 'cust', 'day', calibration_end => '2024-03-25');
SELECT count(*) FILTER (WHERE expected_spend IS NULL AND clv IS NULL AND monetary IS NULL) AS null_spend, count(*)
  FROM mktdb.customer_value('tiny_np');

-- ---------- the Complete Journey sample, baskets as purchases ----------
CREATE TABLE tx (household_id int, store_id int, basket_id bigint, product_id int, quantity int,
                 sales_value numeric(10,2), retail_disc numeric(10,2), coupon_disc numeric(10,2),
                 coupon_match_disc numeric(10,2), week int, transaction_timestamp timestamp);
\copy tx FROM PROGRAM 'zcat demo/data/transactions.csv.gz' WITH (FORMAT csv, HEADER true)
CREATE TABLE ref_params(model text, param text, value float8);
\copy ref_params FROM 'test/ref/clv_ref_params.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE ref_scores(household_id text, x int, tx float8, t float8, m float8, p_alive_bgnbd float8,
                        exp13_bgnbd float8, p_alive_pnbd float8, spend float8);
\copy ref_scores FROM 'test/ref/clv_ref_scores.csv' WITH (FORMAT csv, HEADER true)

SELECT model, version, n_customers, repeaters, round(loglik::numeric, 4) AS loglik
  FROM mktdb.clv_train('cj_bg', 'tx', 'household_id', 'transaction_timestamp', 'sales_value',
                       calibration_end => '2017-10-31');
SELECT model, version, n_customers, repeaters, round(loglik::numeric, 4) AS loglik
  FROM mktdb.clv_train('cj_pn', 'tx', 'household_id', 'transaction_timestamp', 'sales_value',
                       calibration_end => '2017-10-31', purchase_model => 'pareto_nbd');
-- parameters and log-likelihoods against scipy.  On this sample (ten months of grocery baskets,
-- few households stop) BG/NBD's likelihood has no maximum at finite a, b: it rises towards the
-- limit a + b -> infinity at fixed p = a / (a + b) (a common dropout probability; the profile is
-- in doc/clv.md), so both sides fit that limit's (r, alpha, p) and report a = p * 1e12,
-- b = (1 - p) * 1e12.  Pareto/NBD runs up the same kind of ridge (s and beta growing together
-- at fixed s / beta = mu): both sides fit its limit (everyone's dropout rate mu) and report
-- s = 1e12, beta = 1e12 / mu.  Every parameter and log-likelihood to 1e-9 relative (measured
-- 1e-12 and better).
CREATE TABLE got AS
SELECT 'bgnbd' AS model, k AS param, (params->>k)::float8 AS value FROM mktdb.clv_models, unnest('{r,alpha,a,b}'::text[]) k
 WHERE model = 'cj_bg' AND version = 1
UNION ALL SELECT 'bgnbd', 'a/(a+b)', (params->>'a')::float8 / ((params->>'a')::float8 + (params->>'b')::float8)
  FROM mktdb.clv_models WHERE model = 'cj_bg' AND version = 1
UNION ALL SELECT 'bgnbd', 'loglik', loglik FROM mktdb.clv_models WHERE model = 'cj_bg' AND version = 1
UNION ALL SELECT 'pareto_nbd', k, (params->>k)::float8 FROM mktdb.clv_models, unnest('{r,alpha,s,beta}'::text[]) k WHERE model = 'cj_pn'
UNION ALL SELECT 'pareto_nbd', 's/beta', (params->>'s')::float8 / (params->>'beta')::float8 FROM mktdb.clv_models WHERE model = 'cj_pn'
UNION ALL SELECT 'pareto_nbd', 'loglik', loglik FROM mktdb.clv_models WHERE model = 'cj_pn'
UNION ALL SELECT 'gamma_gamma', k, (params->>k)::float8 FROM mktdb.clv_models, unnest('{p,q,gamma}'::text[]) k
 WHERE model = 'cj_bg' AND version = 1
UNION ALL SELECT 'gamma_gamma', 'loglik', (metrics->>'spend_loglik')::float8 FROM mktdb.model_versions
 WHERE name = 'cj_bg' AND version = 1;
SELECT g.model, g.param, round(r.value::numeric, 6) AS scipy,
       abs(g.value / r.value - 1) < 1e-9 AS same
  FROM got g JOIN ref_params r USING (model, param) ORDER BY 1, 2;
-- the fit says where its maximum is: both in the limit (Pareto/NBD: the limit's score for a
-- spread of dropout rates is negative, doc/clv.md)
SELECT name, metrics->'dropout_limit' AS dropout_limit, (metrics->>'fit_rows')::int AS fit_rows,
       (metrics->>'dispersion_score')::float8 < 0 AS spread_lowers_likelihood
  FROM mktdb.model_versions WHERE name IN ('cj_bg', 'cj_pn') AND version = 1 ORDER BY 1;
-- the summaries (exact) and scores of every 250th household against scipy's (both models in
-- their limits) to 1e-9; the formulas themselves agree with scipy's and mpmath's to 1e-9 at
-- fixed parameters (test/unit/test_clv.c)
SELECT count(*) AS households,
       count(*) FILTER (WHERE v.frequency = s.x AND abs(v.recency - s.tx) < 1e-12 AND abs(v.t - s.t) < 1e-12
                        AND (v.monetary IS NULL AND s.m IS NULL OR abs(v.monetary / s.m - 1) < 1e-12)) AS same_summary,
       count(*) FILTER (WHERE abs(v.p_alive / s.p_alive_bgnbd - 1) < 1e-9) AS same_p_alive,
       count(*) FILTER (WHERE abs(v.expected_purchases / s.exp13_bgnbd - 1) < 1e-9) AS same_expected,
       count(*) FILTER (WHERE abs(v.expected_spend / s.spend - 1) < 1e-9) AS same_spend,
       count(*) FILTER (WHERE abs(p.p_alive / s.p_alive_pnbd - 1) < 1e-9) AS same_p_alive_pareto
  FROM ref_scores s
  JOIN mktdb.customer_value('cj_bg', 13) v ON v.customer_id = s.household_id
  JOIN mktdb.customer_value('cj_pn', 13) p ON p.customer_id = s.household_id;

-- P(alive) limits: 1 for BG/NBD at x = 0; 1 for Pareto/NBD at t_x = T; falls as T grows without purchases
SELECT p_alive FROM mktdb.clv_of('cj_bg', 0, 0, 40);
SELECT round(p_alive::numeric, 12) AS p_alive FROM mktdb.clv_of('cj_pn', 5, 30, 30);
SELECT a.p_alive > b.p_alive AS falls, b.p_alive > c.p_alive AS falls_more
  FROM mktdb.clv_of('cj_bg', 5, 10, 20) a, mktdb.clv_of('cj_bg', 5, 10, 40) b, mktdb.clv_of('cj_bg', 5, 10, 80) c;
-- clv_of = customer_value on every household, both models, discounted too
SELECT count(*) AS households,
       count(*) FILTER (WHERE o.p_alive = v.p_alive AND o.expected_purchases = v.expected_purchases
                        AND o.expected_spend IS NOT DISTINCT FROM v.expected_spend
                        AND o.clv IS NOT DISTINCT FROM v.clv) AS same
  FROM mktdb.customer_value('cj_bg', 26, 0.003) v,
       LATERAL mktdb.clv_of('cj_bg', v.frequency, v.recency, v.t, v.monetary, 26, 0.003) o;
SELECT count(*) FILTER (WHERE o.p_alive = v.p_alive AND o.clv = v.clv) AS same_pareto
  FROM mktdb.customer_value('cj_pn') v, LATERAL mktdb.clv_of('cj_pn', v.frequency, v.recency, v.t, v.monetary) o;
-- clv = expected_spend * expected_purchases without discounting; discounting lowers it
SELECT count(*) FILTER (WHERE abs(clv - expected_spend * expected_purchases) <= 1e-12 * clv) AS undiscounted_ok
  FROM mktdb.customer_value('cj_bg');
SELECT bool_and(d.clv < u.clv) AS discounted_lower
  FROM mktdb.customer_value('cj_bg', 52, 0.01) d JOIN mktdb.customer_value('cj_bg', 52) u USING (customer_id);
SELECT expected_purchases = 0 AS zero, clv = 0 AS zero_clv FROM mktdb.clv_of('cj_bg', 3, 10, 20, 25, horizon => 0);
-- the population mean spend for a customer without repeat spend
SELECT round(expected_spend::numeric, 6) = round(((c.params->>'p')::float8 * (c.params->>'gamma')::float8
             / ((c.params->>'q')::float8 - 1))::numeric, 6) AS population_mean
  FROM mktdb.clv_of('cj_bg', 0, 0, 30) o, mktdb.clv_models c WHERE c.model = 'cj_bg';

-- accuracy on November-December
SELECT frequency, customers, round(actual::numeric, 3) AS actual, round(predicted::numeric, 3) AS predicted
  FROM mktdb.clv_accuracy('cj_bg', '2017-12-31');

-- ---------- retrain ----------
SELECT kind, retrain FROM mktdb.model_kind WHERE kind = 'clv';
SELECT r - 'train_ms' - 'params' - 'loglik' AS result, jsonb_typeof(r->'params') AS params
  FROM (SELECT result FROM mktdb.retrain('cj_bg')) s(r);
SELECT a.params = b.params AS same_params, a.loglik = b.loglik AS same_loglik
  FROM mktdb.clv_models a JOIN mktdb.clv_models b USING (model) WHERE model = 'cj_bg' AND a.version = 1 AND b.version = 2;
-- a NULL calibration_end means the newest date at retrain time
INSERT INTO buys VALUES ('g', '2024-05-01', 3);
SELECT r->'version' AS version FROM (SELECT result FROM mktdb.retrain('tiny_d')) s(r);
SELECT calibration_end, n_customers FROM mktdb.clv_models WHERE model = 'tiny_d' ORDER BY version;

-- ---------- bad input ----------
CREATE TABLE only_first(c int, d date, a numeric);
INSERT INTO only_first VALUES (1, '2024-01-01', 5), (2, '2024-01-03', 6);
CREATE TABLE textdates(c int, d text, a numeric);
INSERT INTO textdates VALUES (1, '2024-01-01', 5);
SELECT try($$SELECT * FROM mktdb.clv_train('bad', 'buys', 'cust', 'day', calibration_end => '2023-12-01')$$);
SELECT try($$SELECT * FROM mktdb.clv_train('bad', 'SELECT * FROM buys WHERE false', 'cust', 'day')$$);
SELECT try($$SELECT * FROM mktdb.clv_train('bad', 'only_first', 'c', 'd', 'a')$$);
SELECT try($$SELECT * FROM mktdb.clv_train('bad', 'buys', 'cust', 'day', time_unit => 'year')$$);
SELECT try($$SELECT * FROM mktdb.clv_train('bad', 'buys', 'cust', 'day', purchase_model => 'mbg')$$);
SELECT try($$SELECT * FROM mktdb.clv_train('bad', 'textdates', 'c', 'd', 'a')$$);
SELECT try($$SELECT * FROM mktdb.clv_train('bad', 'buys', 'cust', 'day', 'cust')$$);
SELECT try($$SELECT * FROM mktdb.clv_train('bad', 'buys', 'cust', 'nope')$$);
SELECT try($$SELECT * FROM mktdb.clv_train('bad', 'buys', NULL, 'day')$$);
SELECT try($$SELECT * FROM mktdb.customer_value('cj_bg', -1)$$);
SELECT try($$SELECT * FROM mktdb.customer_value('cj_bg', 52, -1)$$);
SELECT try($$SELECT * FROM mktdb.clv_of('cj_bg', 2, 10, 20, horizon => -0.5)$$);
SELECT try($$SELECT * FROM mktdb.clv_of('cj_bg', 2, 10, 20, discount_rate => -1.5)$$);
SELECT try($$SELECT * FROM mktdb.clv_of('cj_bg', 2, 30, 20)$$);
SELECT try($$SELECT * FROM mktdb.clv_of('cj_bg', -1, 0, 20)$$);
SELECT try($$SELECT * FROM mktdb.clv_of('cj_bg', 2, 10, 20, -5)$$);
SELECT try($$SELECT * FROM mktdb.clv_of('nope', 2, 10, 20)$$);
SELECT try($$SELECT * FROM mktdb.clv_accuracy('cj_bg', '2017-10-01')$$);
SELECT try($$SELECT * FROM mktdb.customer_value('tiny_np', NULL)$$);
-- a model that is not a CLV model
SELECT count(*) FROM mktdb.rfm_score('an_rfm', 'buys', 'cust', 'day', 'amount');
SELECT try($$SELECT * FROM mktdb.customer_value('an_rfm')$$);
SELECT try($$SELECT * FROM mktdb.clv_train('an_rfm', 'buys', 'cust', 'day')$$);
-- nothing stored on error
SELECT count(*) FROM mktdb.model_versions WHERE name = 'bad';

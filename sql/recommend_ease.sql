-- Recommendations II: EASE against the numpy reference (test/ref/ease_reference.py; the stored
-- weights are float32, so 1e-6 here; B itself is checked to 1e-10 in test/unit/test_ease.c),
-- ties by popularity, determinism and a reproducible validation choice, the 'auto' switch at
-- mktdb.ease_memory_limit, a model stored by 0.2.0 (layout 2) still answering and retraining as
-- ALS, bad inputs with their SQLSTATEs, and similar items on the bundled Complete Journey sample.
SET extra_float_digits = 0;
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

\set ECHO none
\i test/ref/ease_ref_values.sql
\set ECHO all

-- 1. the reference case: lambda 2.5, every weight kept, no item left out
SELECT n_users, n_items, n_interactions
  FROM mktdb.recommend_train('e_ref', 'ease_x', 'u', 'i', method => 'ease', regularization => 2.5,
                             neighbors => 100, min_buyers => 1);
SELECT metrics->>'method' AS method, metrics->>'regularization' AS lambda, metrics->>'regularization_source' AS source
  FROM mktdb.models WHERE name = 'e_ref';
-- every user's score of every item (exclude_seen false) = numpy's X B
SELECT count(*) AS scores, max(abs(r.score - s.s)) < 1e-6 AS equal_to_numpy
  FROM (SELECT DISTINCT u FROM ease_x) us CROSS JOIN LATERAL mktdb.recommend_for('e_ref', us.u::bigint, 7, false) r
  JOIN ease_s s ON s.u = us.u AND s.i = r.item_id;
-- similar_items = the item's positive weights of B, strongest first
SELECT count(*) AS pairs,
       bool_and(r.item_id IS NOT NULL AND b.b > 0 OR r.item_id IS NULL AND b.b <= 0) AS positive_weights_only,
       max(abs(r.score - b.b)) < 1e-6 AS equal_to_numpy
  FROM ease_b b LEFT JOIN LATERAL mktdb.similar_items('e_ref', b.i::bigint, 10) r ON r.item_id = b.j;
SELECT bool_and(ordered) AS best_first FROM (
  SELECT score <= lag(score, 1, 'Infinity') OVER (PARTITION BY i ORDER BY rank) AS ordered
    FROM generate_series(0, 6) i, mktdb.similar_items('e_ref', i::bigint, 10)) s;

-- 2. ties are broken by popularity: user 9 bought only item 4, which nobody else's items go
-- with, so every unseen item scores 0 and they come in order of their number of buyers (6, 5,
-- 4, then 2 and 2: the lower id first)
CREATE TABLE tie(u int, i int);
INSERT INTO tie SELECT u, 1 FROM generate_series(1, 6) u;     -- item 1: 6 buyers
INSERT INTO tie SELECT u, 2 FROM generate_series(1, 4) u;     -- item 2: 4 buyers
INSERT INTO tie SELECT u, 3 FROM generate_series(1, 5) u;     -- item 3: 5 buyers
INSERT INTO tie VALUES (7, 9), (8, 9), (7, 8), (8, 8), (9, 4), (10, 4);
SELECT * FROM mktdb.recommend_train('e_tie', 'tie', 'u', 'i', method => 'ease', regularization => 1, min_buyers => 1)
  \gset ignored_
SELECT item_id, round(score::numeric, 6) AS score, rank FROM mktdb.recommend_for('e_tie', 9::bigint, 6);

-- 3. determinism: the same data and seed choose the same lambda and give the same answers
CREATE TABLE pl AS
SELECT u, (u % 7) * 10 + (g * 13 + u) % 10 AS i
  FROM generate_series(1, 400) u, generate_series(1, 6) g;
INSERT INTO pl SELECT u, (u * 31) % 70 FROM generate_series(1, 400) u;
SELECT version FROM mktdb.recommend_train('e_det', 'pl', 'u', 'i');
CREATE TABLE det1 AS SELECT (SELECT (metrics->'validation') - 'ms' FROM mktdb.models WHERE name = 'e_det') AS val,
       (SELECT md5(string_agg(user_id || ':' || item_id || ':' || score, ',' ORDER BY user_id, rank)) FROM mktdb.recommend_all('e_det', 5)) AS answers;
SELECT version FROM mktdb.recommend_train('e_det', 'pl', 'u', 'i');
SELECT metrics->>'method' AS method, metrics->>'regularization_source' AS source,
       jsonb_array_length(metrics->'validation'->'regularization') AS grid_points,
       (metrics->'validation') - 'ms' = det1.val AS same_validation,
       (metrics->>'regularization')::float8 IN (SELECT jsonb_array_elements_text(metrics->'validation'->'regularization')::float8) AS a_grid_point,
       (SELECT md5(string_agg(user_id || ':' || item_id || ':' || score, ',' ORDER BY user_id, rank)) FROM mktdb.recommend_all('e_det', 5)) = det1.answers AS same_answers
  FROM mktdb.models, det1 WHERE name = 'e_det' AND version = 2;
-- recommend_all and recommend_for agree
SELECT bool_and(a.score = f.score) AND count(*) = 5 * 400 AS all_equals_for
  FROM mktdb.recommend_all('e_det', 5) a
  JOIN LATERAL mktdb.recommend_for('e_det', a.user_id::bigint, 5) f ON f.rank = a.rank AND f.item_id = a.item_id::bigint;

-- the precomputed lists (n <= precompute_n) give the rows and scores of a full scan, bit for bit
SELECT version FROM mktdb.recommend_train('e_dense', 'pl', 'u', 'i', precompute_n => 0);
SELECT count(*) = 400 * 5 AS all_rows, bool_and(a.item_id = b.item_id AND a.score = b.score) AS lists_equal_scan
  FROM mktdb.recommend_all('e_det', 5) a JOIN mktdb.recommend_all('e_dense', 5) b USING (user_id, rank);

-- ALS with regularization NULL: regularization and alpha on the same kind of holdout, reproducible
SELECT version FROM mktdb.recommend_train('a_val', 'pl', 'u', 'i', method => 'als', factors => 8, min_buyers => 1);
SELECT version FROM mktdb.recommend_train('a_val', 'pl', 'u', 'i', method => 'als', factors => 8, min_buyers => 1);
SELECT a.metrics->>'method' AS method, a.metrics->>'regularization_source' AS source,
       a.metrics->'validation'->'regularization' AS grid, a.metrics->'validation'->'alpha' AS alphas,
       (a.metrics->>'regularization')::float8 IN (SELECT jsonb_array_elements_text(a.metrics->'validation'->'regularization')::float8) AS a_grid_point,
       (a.metrics->'validation') - 'ms' = (b.metrics->'validation') - 'ms' AS same_validation,
       a.metrics->>'regularization' = b.metrics->>'regularization' AS same_choice,
       a.metrics->>'alpha' = b.metrics->>'alpha' AS same_alpha,
       a.metrics->>'alpha' IN (SELECT jsonb_array_elements_text(a.metrics->'validation'->'alpha')) AS alpha_of_grid
  FROM mktdb.models a JOIN mktdb.model_versions b ON b.name = a.name AND b.version = 1
 WHERE a.name = 'a_val';
-- frequency_scaling NULL (the default) is chosen with them: the stored (regularization, alpha,
-- frequency_scaling) is the grid point with the best validation NDCG (first on a tie); the spec keeps
-- NULL, so a retrain chooses again; given, it is used at every grid point and not listed
SELECT a.metrics->'validation'->'frequency_scaling' AS freq_grid,
       (SELECT (g.r, g.a, g.f) = ((a.metrics->>'regularization')::float8, (a.metrics->>'alpha')::float8,
                                  (a.metrics->>'frequency_scaling')::float8)
          FROM (SELECT r.v::float8 AS r, al.v::float8 AS a, f.v::float8 AS f, n.v::float8 AS n, r.k
                  FROM jsonb_array_elements_text(a.metrics->'validation'->'regularization') WITH ORDINALITY r(v, k)
                  JOIN jsonb_array_elements_text(a.metrics->'validation'->'alpha') WITH ORDINALITY al(v, k) USING (k)
                  JOIN jsonb_array_elements_text(a.metrics->'validation'->'frequency_scaling') WITH ORDINALITY f(v, k) USING (k)
                  JOIN jsonb_array_elements_text(a.metrics->'validation'->'ndcg') WITH ORDINALITY n(v, k) USING (k)
                 ORDER BY n DESC, k LIMIT 1) g) AS chose_best_point,
       m.spec->'frequency_scaling' AS spec_frequency_scaling
  FROM mktdb.models a JOIN mktdb.model m USING (model_id)
 WHERE a.name = 'a_val';
SELECT version FROM mktdb.recommend_train('a_val_fs', 'pl', 'u', 'i', method => 'als', factors => 8, min_buyers => 1,
                                          frequency_scaling => 0.5);
SELECT metrics->>'frequency_scaling' AS frequency_scaling, metrics->'validation' ? 'frequency_scaling' AS freq_listed,
       jsonb_array_length(metrics->'validation'->'ndcg') AS grid_points
  FROM mktdb.models WHERE name = 'a_val_fs';

-- 4. 'auto' at the memory limit: 70 items need 2 x 70^2 x 8 + 70 x 69 x 8 bytes = 117 kB
SET mktdb.ease_memory_limit = '1MB';
CREATE TABLE wide AS SELECT u, (u * 7 + g * 29) % 400 AS i FROM generate_series(1, 300) u, generate_series(1, 12) g;
SELECT n_items FROM mktdb.recommend_train('e_auto', 'pl', 'u', 'i', min_buyers => 1, regularization => 10);
SELECT metrics->>'method' AS method, metrics->>'method_reason' AS reason FROM mktdb.models WHERE name = 'e_auto';
SELECT n_items FROM mktdb.recommend_train('e_auto2', 'wide', 'u', 'i', min_buyers => 1, regularization => 10, iterations => 2);
SELECT metrics->>'method' AS method, metrics->>'method_reason' AS reason FROM mktdb.models WHERE name = 'e_auto2';
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_train('bad', 'wide', 'u', 'i', method => 'ease', min_buyers => 1)$$);
SELECT count(*) AS nothing_stored FROM mktdb.models WHERE name = 'bad';
RESET mktdb.ease_memory_limit;

-- 5. a model stored by mktdb 0.2.0 (layout 2, no method): the same answers the 0.2.0 library
-- gave (flour 0.754443, dates 0.511512, eggs 0.131534; similar to apple: flour 0.881308, ...)
\set ECHO none
\i test/ref/rec_layout2.sql
\set ECHO all
SELECT item_id, round(score::numeric, 6) AS score, rank FROM mktdb.recommend_for('old_als', 'alice', 3);
SELECT item_id, round(score::numeric, 6) AS score, rank FROM mktdb.similar_items('old_als', 'apple', 3);
CREATE TABLE ia(u text, i text, w numeric);
INSERT INTO ia VALUES ('alice','apple',1), ('alice','bread',1), ('alice','cheese',3),
    ('bob','apple',1), ('bob','bread',2), ('bob','dates',1), ('carol','cheese',1), ('carol','dates',2), ('carol','eggs',1),
    ('dave','apple',4), ('dave','eggs',1), ('erin','bread',1), ('erin','flour',2), ('erin','cheese',1),
    ('frank','dates',1), ('frank','eggs',3), ('frank','flour',1), ('grace','apple',1), ('grace','flour',1);
SELECT result->>'version' AS version FROM mktdb.retrain('old_als');
SELECT metrics->>'method' AS method, metrics->>'regularization' AS regularization, metrics->>'min_buyers' AS min_buyers
  FROM mktdb.models WHERE name = 'old_als' AND version = 2;
SELECT item_id, round(score::numeric, 6) AS score, rank FROM mktdb.recommend_for('old_als', 'alice', 3);

-- 6. bad input
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_train('bad', 'pl', 'u', 'i', method => 'svd')$$);
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_train('bad', 'pl', 'u', 'i', method => 'ease', regularization => 0)$$);
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_train('bad', 'pl', 'u', 'i', method => NULL)$$);
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_train('bad', 'pl', 'u', 'i', neighbors => 0)$$);
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_train('bad', 'pl', 'u', 'i', min_buyers => 0)$$);
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_train('bad', 'pl', 'u', 'i', min_buyers => 1000)$$);
SELECT count(*) AS nothing_stored FROM mktdb.models WHERE name = 'bad';

-- 7. the bundled Complete Journey sample: for the 20 best sellers, the 10 most similar items are
-- bought by at least 2 of the same households, with distinct scores (no collapsed model)
CREATE TABLE cj_tx(household_id int, store_id int, basket_id bigint, product_id int, quantity numeric,
                   sales_value numeric, retail_disc numeric, coupon_disc numeric, coupon_match_disc numeric,
                   week int, transaction_timestamp timestamptz);
\copy cj_tx FROM PROGRAM 'zcat demo/data/transactions.csv.gz' WITH (FORMAT csv, HEADER true)
CREATE TABLE cj AS SELECT household_id, product_id, count(*) AS times FROM cj_tx GROUP BY 1, 2;
SELECT n_users, n_items FROM mktdb.recommend_train('cj', 'cj', 'household_id', 'product_id', 'times', regularization => 100);
SELECT metrics->>'method' AS method, metrics->>'rare_items_left_out' AS rare_items FROM mktdb.models WHERE name = 'cj';
WITH best AS (SELECT product_id FROM cj GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 20),
sim AS (SELECT b.product_id AS best, r.item_id, r.score FROM best b, mktdb.similar_items('cj', b.product_id::bigint, 10) r),
co AS (SELECT s.*, (SELECT count(*) FROM cj x JOIN cj y USING (household_id)
                     WHERE x.product_id = s.best AND y.product_id = s.item_id) AS co_buyers FROM sim s),
per AS (SELECT best, count(*) AS n, count(*) FILTER (WHERE co_buyers >= 2) AS co2, count(DISTINCT score) AS distinct_scores
          FROM co GROUP BY best)
SELECT count(*) AS best_sellers, min(n) AS min_listed, min(co2) AS min_co_bought_by_2, min(distinct_scores) AS min_distinct
  FROM per;

-- Recommendations (kind 'recommender'): exact small cases against the numpy reference
-- (test/ref/als_reference.py wrote test/ref/als_ref_values.sql, read below), determinism,
-- unknown users, exclude_seen, both id types, similar_items, recommend_all, cache
-- invalidation after retrain, and bad inputs with their SQLSTATEs.
SET extra_float_digits = 0;

-- runs a statement, returns the SQLSTATE and message of its error (or 'no error')
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- the reference data: 7 users x 6 items, one duplicate row (alice, apple), and rows with a NULL
-- user, item or weight that training skips
CREATE TABLE ia(u text, i text, w numeric);
INSERT INTO ia VALUES
    ('alice','apple',1), ('alice','apple',1), ('alice','bread',1), ('alice','cheese',3),
    ('bob','apple',1), ('bob','bread',2), ('bob','dates',1),
    ('carol','cheese',1), ('carol','dates',2), ('carol','eggs',1),
    ('dave','apple',4), ('dave','eggs',1),
    ('erin','bread',1), ('erin','flour',2), ('erin','cheese',1),
    ('frank','dates',1), ('frank','eggs',3), ('frank','flour',1),
    ('grace','apple',1), ('grace','flour',1),
    (NULL,'apple',1), ('alice',NULL,1), ('bob','flour',NULL);
-- the same with bigint ids (users 101..107, items 11..16, in the same order)
CREATE TABLE ia_int AS
SELECT 100 + array_position(ARRAY['alice','bob','carol','dave','erin','frank','grace'], u)::bigint AS u,
       10 + array_position(ARRAY['apple','bread','cheese','dates','eggs','flour'], i) AS i, w
  FROM ia;

CREATE TABLE ref_scores(case_name text, u text, i text, score float8);
CREATE TABLE ref_cosine(case_name text, i text, j text, cosine float8);
\set ECHO none
\i test/ref/als_ref_values.sql
\set ECHO all
SELECT (SELECT count(*) FROM ref_scores) AS ref_scores, (SELECT count(*) FROM ref_cosine) AS ref_cosines;

-- case "exact": Cholesky solves, 3 factors, 6 iterations
SELECT model, version, n_users, n_items, n_interactions, train_ms > 0 AS timed
  FROM mktdb.recommend_train('rec', 'ia', 'u', 'i', 'w', method => 'als', min_buyers => 1, factors => 3, iterations => 6,
                             regularization => 0.1, alpha => 2.0, seed => 42, solver => 'cholesky', frequency_scaling => 0);
SELECT metrics->'skipped_rows' AS skipped, metrics->'skipped_null_user' AS null_user,
       metrics->'skipped_null_item' AS null_item, metrics->'skipped_null_weight' AS null_weight,
       metrics->'duplicate_rows_merged' AS dups, metrics->'user_id_type' AS utype, n_rows
  FROM mktdb.models WHERE name = 'rec';
-- every score x_u.y_i against numpy (tolerance 1e-9)
SELECT count(*) AS pairs, max(abs(r.score - s.score)) < 1e-9 AS scores_match
  FROM ref_scores s, LATERAL mktdb.recommend_for('rec', s.u, 6, false) r
 WHERE s.case_name = 'exact' AND r.item_id = s.i;
-- loss per iteration against numpy (tolerance 1e-10)
SELECT count(*) AS iterations, max(abs(l.v::float8 - r.v)) < 1e-10 AS loss_matches
  FROM mktdb.models m, jsonb_array_elements_text(m.metrics->'loss') WITH ORDINALITY l(v, k),
       unnest('{0.240017845251943,0.13630396480545376,0.11953266745051803,0.11030844186383638,0.10405745194307843,0.09954460897717227}'::float8[]) WITH ORDINALITY r(v, k)
 WHERE m.name = 'rec' AND l.k = r.k;
-- top 3 with seen items excluded equals the ranking of the reference scores
WITH ref AS (
    SELECT s.u, s.i, row_number() OVER (PARTITION BY s.u ORDER BY s.score DESC, s.i) AS rank
      FROM ref_scores s
     WHERE s.case_name = 'exact'
       AND NOT EXISTS (SELECT 1 FROM ia WHERE ia.u = s.u AND ia.i = s.i AND ia.w IS NOT NULL)
)
SELECT count(*) AS ranked, count(*) FILTER (WHERE r.item_id = ref.i) AS same_item
  FROM ref JOIN LATERAL mktdb.recommend_for('rec', ref.u, 3) r ON r.rank = ref.rank
 WHERE ref.rank <= 3;
SELECT item_id, round(score::numeric, 6) AS score, rank FROM mktdb.recommend_for('rec', 'alice', 3);

-- exclude_seen: by default none of the user's items; with false they come back
SELECT count(*) FILTER (WHERE EXISTS (SELECT 1 FROM ia WHERE ia.u = 'alice' AND ia.i = r.item_id)) AS seen_in_top
  FROM mktdb.recommend_for('rec', 'alice', 10) r;
SELECT count(*) AS all_items, count(*) FILTER (WHERE EXISTS (SELECT 1 FROM ia WHERE ia.u = 'alice' AND ia.i = r.item_id)) AS seen
  FROM mktdb.recommend_for('rec', 'alice', 10, exclude_seen => false) r;
-- n larger than what is left: every unseen item, ranks 1..k
SELECT array_agg(rank ORDER BY rank) FROM mktdb.recommend_for('rec', 'dave', 100);

-- unknown users get the most popular items (score = share of users; ties by id)
SELECT * FROM mktdb.recommend_for('rec', 'nobody', 3);
SELECT * FROM mktdb.recommend_for('rec', '', 2);

-- similar_items: cosine of item factors against numpy, the item itself left out
SELECT count(*) AS pairs, max(abs(r.score - c.cosine)) < 1e-9 AS cosines_match,
       count(*) FILTER (WHERE r.item_id = c.i) AS self
  FROM ref_cosine c, LATERAL mktdb.similar_items('rec', c.i, 10) r
 WHERE c.case_name = 'exact' AND r.item_id = c.j;
SELECT item_id, round(score::numeric, 6) AS score, rank FROM mktdb.similar_items('rec', 'apple', 3);
SELECT count(*) AS unknown_item_rows FROM mktdb.similar_items('rec', 'durian');

-- recommend_all equals recommend_for for every user, scores bit for bit (both use the canonical x.y)
SELECT count(*) AS rows, count(*) FILTER (WHERE a.item_id IS DISTINCT FROM r.item_id) AS other_item,
       bool_and(a.score = r.score) AS same_scores
  FROM mktdb.recommend_all('rec', 2) a
  FULL JOIN (SELECT u.u AS user_id, r.* FROM (SELECT DISTINCT u FROM ia WHERE u IS NOT NULL) u,
                    LATERAL mktdb.recommend_for('rec', u.u, 2) r) r
    ON r.user_id = a.user_id AND r.rank = a.rank;

-- determinism: the same seed stores the same model bytes; another seed does not
SELECT version FROM mktdb.recommend_train('rec', 'ia', 'u', 'i', 'w', method => 'als', min_buyers => 1, factors => 3, iterations => 6,
                                          regularization => 0.1, alpha => 2.0, seed => 42, solver => 'cholesky', frequency_scaling => 0);
SELECT version FROM mktdb.recommend_train('rec', 'ia', 'u', 'i', 'w', method => 'als', min_buyers => 1, factors => 3, iterations => 6,
                                          regularization => 0.1, alpha => 2.0, seed => 43, solver => 'cholesky', frequency_scaling => 0);
SELECT (SELECT data FROM mktdb.model WHERE name = 'rec' AND version = 1) =
       (SELECT data FROM mktdb.model WHERE name = 'rec' AND version = 2) AS same_seed_same_bytes,
       (SELECT data FROM mktdb.model WHERE name = 'rec' AND version = 1) =
       (SELECT data FROM mktdb.model WHERE name = 'rec' AND version = 3) AS other_seed_same_bytes;
-- 'name@N' reads an older version
SELECT count(*) AS pairs, max(abs(r.score - s.score)) < 1e-9 AS v1_matches
  FROM ref_scores s, LATERAL mktdb.recommend_for('rec@1', s.u, 6, false) r
 WHERE s.case_name = 'exact' AND r.item_id = s.i;

-- case "cg_freq": conjugate gradient (3 steps), frequency-scaled regularization
SELECT model, version, n_users, n_items, n_interactions
  FROM mktdb.recommend_train('rec_cg', 'ia', 'u', 'i', 'w', method => 'als', min_buyers => 1, factors => 4, iterations => 5,
                             regularization => 0.5, alpha => 1.5, seed => 7, solver => 'cg',
                             frequency_scaling => 1.0);
SELECT count(*) AS pairs, max(abs(r.score - s.score)) < 1e-9 AS scores_match
  FROM ref_scores s, LATERAL mktdb.recommend_for('rec_cg', s.u, 6, false) r
 WHERE s.case_name = 'cg_freq' AND r.item_id = s.i;
SELECT count(*) AS pairs, max(abs(r.score - c.cosine)) < 1e-9 AS cosines_match
  FROM ref_cosine c, LATERAL mktdb.similar_items('rec_cg', c.i, 10) r
 WHERE c.case_name = 'cg_freq' AND r.item_id = c.j;
SELECT count(*) AS iterations, max(abs(l.v::float8 - r.v)) < 1e-10 AS loss_matches
  FROM mktdb.models m, jsonb_array_elements_text(m.metrics->'loss') WITH ORDINALITY l(v, k),
       unnest('{0.24472313881204744,0.12610893873173543,0.121252184875176,0.11956659629867694,0.11889166868944562}'::float8[]) WITH ORDINALITY r(v, k)
 WHERE m.name = 'rec_cg' AND l.k = r.k;

-- bigint ids: the same model, read through the bigint functions
SELECT n_users, n_items, n_interactions
  FROM mktdb.recommend_train('rec_int', 'ia_int', 'u', 'i', 'w', method => 'als', min_buyers => 1, factors => 3, iterations => 6,
                             regularization => 0.1, alpha => 2.0, seed => 42, solver => 'cholesky', frequency_scaling => 0);
SELECT metrics->'user_id_type' AS utype, metrics->'item_id_type' AS itype FROM mktdb.models WHERE name = 'rec_int';
SELECT count(*) AS pairs, max(abs(r.score - s.score)) < 1e-9 AS scores_match
  FROM ref_scores s
  CROSS JOIN LATERAL (SELECT 100 + array_position(ARRAY['alice','bob','carol','dave','erin','frank','grace'], s.u)::bigint AS u,
                             10 + array_position(ARRAY['apple','bread','cheese','dates','eggs','flour'], s.i)::bigint AS i) k,
       LATERAL mktdb.recommend_for('rec_int', k.u, 6, false) r
 WHERE s.case_name = 'exact' AND r.item_id = k.i;
SELECT pg_typeof(item_id), item_id, round(score::numeric, 6) AS score, rank FROM mktdb.recommend_for('rec_int', 101, 3);
-- an integer literal picks the bigint form, a quoted one the text form; text ids are parsed
SELECT pg_typeof(item_id), item_id, rank FROM mktdb.recommend_for('rec_int', '101', 3);
SELECT item_id, rank FROM mktdb.recommend_for('rec_int', 'not a number', 2);
SELECT item_id, rank FROM mktdb.recommend_for('rec_int', 999, 2);
SELECT pg_typeof(item_id), item_id, round(score::numeric, 6) AS score FROM mktdb.similar_items('rec_int', 11, 3);
SELECT item_id, round(score::numeric, 6) AS score FROM mktdb.similar_items('rec_int', '11', 1);
-- text ids that are all integers: the bigint forms compare text forms
SELECT n_users FROM mktdb.recommend_train('rec_digits', 'SELECT u::text AS u, i::text AS i, w FROM ia_int',
                                          'u', 'i', 'w', method => 'als', min_buyers => 1, factors => 3, iterations => 6, regularization => 0.1,
                                          alpha => 2.0, seed => 42, solver => 'cholesky', frequency_scaling => 0);
SELECT metrics->'user_id_type' AS utype FROM mktdb.models WHERE name = 'rec_digits';
SELECT pg_typeof(item_id), item_id, round(score::numeric, 6) AS score, rank FROM mktdb.recommend_for('rec_digits', 101, 3);
SELECT item_id, round(score::numeric, 6) AS score FROM mktdb.similar_items('rec_digits', 11, 1);
-- bigint forms on text item ids that are not integers: a clear error
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_for('rec', 101)$$);
SELECT pg_temp.err($$SELECT * FROM mktdb.similar_items('rec', 11)$$);

-- duplicates summed, zero weights: a pair whose weights sum to 0 is no interaction
SELECT n_users, n_items, n_interactions
  FROM mktdb.recommend_train('rec_zero', $$VALUES ('a','x',1), ('a','y',0), ('b','y',2), ('b','y',-0.0), ('c','z',0)$$,
                             'column1', 'column2', 'column3', method => 'als', min_buyers => 1, factors => 2, iterations => 2);
SELECT metrics->'zero_weight_pairs' AS zero_pairs, metrics->'duplicate_rows_merged' AS dups
  FROM mktdb.models WHERE name = 'rec_zero';
SELECT * FROM mktdb.recommend_for('rec_zero', 'c', 5);
-- no weight column: every row weighs 1
SELECT n_interactions FROM mktdb.recommend_train('rec_nw', 'ia', 'u', 'i', method => 'als', min_buyers => 1, factors => 2, iterations => 2);

-- cache: a retrain is noticed on the next call, the old version leaves the cache
TRUNCATE ia;
INSERT INTO ia SELECT 'u' || g % 5, 'i' || g % 7, 1 FROM generate_series(1, 30) g;
SELECT count(*) AS cached_before FROM mktdb.model_cache() WHERE name = 'rec';
SELECT (r->>'version')::int AS version, (r->>'n_users')::int AS n_users, (r->>'n_items')::int AS n_items
  FROM (SELECT result FROM mktdb.retrain('rec')) s(r);
SELECT count(*) AS rows, bool_and(item_id LIKE 'i%') AS new_items FROM mktdb.recommend_for('rec', 'u1', 10, false);
SELECT version FROM mktdb.model_cache() WHERE name = 'rec';
SELECT spec - 'source' AS spec FROM mktdb.model WHERE name = 'rec' AND version = 4;
-- the retrained version is exactly a fresh training on the new data with the stored arguments
SELECT version FROM mktdb.recommend_train('rec_fresh', 'ia', 'u', 'i', 'w', method => 'als', min_buyers => 1, factors => 3, iterations => 6,
                                          regularization => 0.1, alpha => 2.0, seed => 43, solver => 'cholesky', frequency_scaling => 0);
SELECT (SELECT data FROM mktdb.model WHERE name = 'rec' AND version = 4) =
       (SELECT data FROM mktdb.model WHERE name = 'rec_fresh') AS retrain_equals_fresh_training;

-- precomputed lists (precompute_n): 400 users x 150 items with taste groups; the same factors
-- stored with lists of 5 and without lists give exactly the same rows (items, ranks, scores
-- bit for bit) through the list (n <= 5), the dense scan (n > 5), exclude_seen => false, and a
-- user who saw all but 3 items (a padded list answers any n); recommend_all likewise
CREATE TABLE pa AS
SELECT u, i, 1 + (u * 7 + i) % 3 AS w
  FROM generate_series(0, 399) u, generate_series(0, 149) i
 WHERE (i % 10 = u % 10 AND (u * 31 + i * 17) % 5 < 3) OR (u * 13 + i * 29) % 41 = 0;
INSERT INTO pa SELECT 1000, i, 1 FROM generate_series(0, 146) i;
SELECT model, n_users, n_items FROM mktdb.recommend_train('pa_list', 'pa', 'u', 'i', 'w', method => 'als', min_buyers => 1, factors => 8, iterations => 4, precompute_n => 5);
SELECT model, n_users, n_items FROM mktdb.recommend_train('pa_dense', 'pa', 'u', 'i', 'w', method => 'als', min_buyers => 1, factors => 8, iterations => 4, precompute_n => 0);
SELECT name, metrics->'precompute_n' AS precompute_n, spec->'precompute_n' AS asked FROM mktdb.model WHERE name LIKE 'pa%' ORDER BY 1;
WITH args(n, ex) AS (VALUES (1, true), (5, true), (6, true), (20, true), (5, false), (12, false)),
     users AS (SELECT DISTINCT u FROM pa),
     l AS (SELECT a.n, a.ex, u.u, r.* FROM args a, users u, LATERAL mktdb.recommend_for('pa_list', u.u, a.n, a.ex) r),
     d AS (SELECT a.n, a.ex, u.u, r.* FROM args a, users u, LATERAL mktdb.recommend_for('pa_dense', u.u, a.n, a.ex) r)
SELECT l.n, l.ex, count(*) AS rows, count(*) FILTER (WHERE l.item_id IS DISTINCT FROM d.item_id OR l.score IS DISTINCT FROM d.score) AS differ
  FROM l FULL JOIN d ON d.n = l.n AND d.ex = l.ex AND d.u = l.u AND d.rank = l.rank
 GROUP BY 1, 2 ORDER BY 1, 2;
SELECT array_agg(item_id ORDER BY rank) AS last_three FROM mktdb.recommend_for('pa_list', 1000, 10);
SELECT array_agg(item_id ORDER BY rank) AS last_three FROM mktdb.recommend_for('pa_dense', 1000, 10);
-- the stored lists rank the unseen items by the scores with seen items excluded (full sort in SQL)
WITH sc AS (SELECT u.u, r.item_id, r.score FROM (SELECT DISTINCT u FROM pa) u,
                   LATERAL mktdb.recommend_for('pa_dense', u.u, 150, false) r
             WHERE NOT EXISTS (SELECT 1 FROM pa WHERE pa.u = u.u AND pa.i = r.item_id)),
     ref AS (SELECT u, item_id, row_number() OVER (PARTITION BY u ORDER BY score DESC, item_id) AS rank FROM sc)
SELECT count(*) AS ranked, count(*) FILTER (WHERE r.item_id = ref.item_id) AS same_item
  FROM ref JOIN LATERAL mktdb.recommend_for('pa_list', ref.u, 5) r ON r.rank = ref.rank
 WHERE ref.rank <= 5;
WITH args(n, ex) AS (VALUES (5, true), (7, true), (5, false))
SELECT a.n, a.ex, count(*) AS rows,
       count(*) FILTER (WHERE l.item_id IS DISTINCT FROM d.item_id OR l.score IS DISTINCT FROM d.score) AS differ
  FROM args a,
       LATERAL (SELECT x.* FROM mktdb.recommend_all('pa_list', a.n, a.ex) x) l
       FULL JOIN LATERAL (SELECT u.u::text AS user_id, r.item_id::text AS item_id, r.score, r.rank
                            FROM (SELECT DISTINCT u FROM pa) u, LATERAL mktdb.recommend_for('pa_dense', u.u, a.n, a.ex) r) d
         ON d.user_id = l.user_id AND d.rank = l.rank
 GROUP BY 1, 2 ORDER BY 1, 2;

-- bad inputs: clear errors, nothing stored
SELECT count(*) AS models_before FROM mktdb.model;
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_train('bad', 'ia', 'u', 'i', factors => 0)$$);
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_train('bad', 'ia', 'u', 'i', iterations => 0)$$);
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_train('bad', 'ia', 'u', 'i', regularization => -0.1)$$);
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_train('bad', 'ia', 'u', 'i', regularization => 'NaN')$$);
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_train('bad', 'ia', 'u', 'i', alpha => -1)$$);
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_train('bad', 'ia', 'u', 'i', solver => 'lu')$$);
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_train('bad', 'ia', 'u', 'i', frequency_scaling => 2)$$);
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_train('bad', 'ia', 'u', 'i', precompute_n => -1)$$);
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_train('bad', 'ia', 'u', 'i', precompute_n => NULL)$$);
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_train('bad', 'ia', 'u', 'i', factors => NULL)$$);
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_train('bad', 'ia', NULL, 'i')$$);
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_train('bad', 'ia', 'u', 'nope')$$);
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_train('bad', 'no_such_table', 'u', 'i')$$);
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_train('bad', 'ia', 'u', 'i', 'u')$$);
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_train('bad', $q$VALUES ('a','x',1), ('b','x',-2)$q$, 'column1', 'column2', 'column3')$$);
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_train('bad', $q$VALUES ('a','x','Infinity'::float8)$q$, 'column1', 'column2', 'column3')$$);
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_train('bad', $q$VALUES ('a','x',0)$q$, 'column1', 'column2', 'column3')$$);
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_train('bad', 'SELECT u, i FROM ia WHERE false', 'u', 'i')$$);
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_train('bad', 'ia', 'u', 'i', factors => 10, regularization => 0, solver => 'cholesky', frequency_scaling => 0)$$);
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_train('bad@2', 'ia', 'u', 'i')$$);
SELECT count(*) AS models_after FROM mktdb.model;
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_for('rec', 'u1', 0)$$);
SELECT pg_temp.err($$SELECT * FROM mktdb.similar_items('rec', 'i1', -1)$$);
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_all('rec', 0)$$);
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_for('no_such_model', 'u1')$$);
INSERT INTO mktdb.model(name, version, kind, spec, data) VALUES ('not_a_recommender', 1, 'kmeans', '{}', '\x00');
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_for('not_a_recommender', 'u1')$$);
SELECT pg_temp.err($$SELECT * FROM mktdb.similar_items('not_a_recommender', 1)$$);
-- damaged model data: an error, never a crash
UPDATE mktdb.model SET data = '\x00' WHERE name = 'rec_nw';
SELECT pg_temp.err($$SELECT * FROM mktdb.recommend_for('rec_nw', 'alice')$$);
-- NULL arguments of the reading functions: no rows
SELECT count(*) FROM mktdb.recommend_for('rec', NULL::text);

-- Recommendations (kind 'recommender'): exact small cases against the numpy reference
-- (test/ref/als_reference.py; values pasted from test/ref/als_ref_values.sql), determinism,
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
INSERT INTO ref_scores
VALUES
    ('exact', 'alice', 'apple', 0.8235622634398526),
    ('exact', 'alice', 'bread', 1.0037013835028088),
    ('exact', 'alice', 'cheese', 0.9277201974670443),
    ('exact', 'alice', 'dates', 0.5778141373833846),
    ('exact', 'alice', 'eggs', 0.21281386500575436),
    ('exact', 'alice', 'flour', 0.8377273897532576),
    ('exact', 'bob', 'apple', 0.9313410935863697),
    ('exact', 'bob', 'bread', 0.8117894315172457),
    ('exact', 'bob', 'cheese', 0.7569879030814156),
    ('exact', 'bob', 'dates', 0.7598225140914217),
    ('exact', 'bob', 'eggs', 0.5562302271959126),
    ('exact', 'bob', 'flour', 0.7455054447980632),
    ('exact', 'carol', 'apple', 0.11262647822163438),
    ('exact', 'carol', 'bread', 0.3830024791150411),
    ('exact', 'carol', 'cheese', 0.8940260188170344),
    ('exact', 'carol', 'dates', 1.0209205496879254),
    ('exact', 'carol', 'eggs', 0.9411689579793888),
    ('exact', 'carol', 'flour', -0.2416901508904512),
    ('exact', 'dave', 'apple', 0.9148071997807532),
    ('exact', 'dave', 'bread', -0.044716922999008465),
    ('exact', 'dave', 'cheese', -0.22634019704120314),
    ('exact', 'dave', 'dates', 0.6315533395431616),
    ('exact', 'dave', 'eggs', 0.9269698864143551),
    ('exact', 'dave', 'flour', 0.40176140379144654),
    ('exact', 'erin', 'apple', 0.48348427243168457),
    ('exact', 'erin', 'bread', 1.0465317886216303),
    ('exact', 'erin', 'cheese', 0.9316756506492699),
    ('exact', 'erin', 'dates', 0.13950846249760598),
    ('exact', 'erin', 'eggs', -0.3768860105246498),
    ('exact', 'erin', 'flour', 0.8018666627817834),
    ('exact', 'frank', 'apple', 1.1036988344766046),
    ('exact', 'frank', 'bread', 0.3609847554835307),
    ('exact', 'frank', 'cheese', 0.21426949509257198),
    ('exact', 'frank', 'dates', 0.8362288497955863),
    ('exact', 'frank', 'eggs', 0.9507796195132198),
    ('exact', 'frank', 'flour', 0.6387459620241931),
    ('exact', 'grace', 'apple', 0.988028808445944),
    ('exact', 'grace', 'bread', 0.32063854647220597),
    ('exact', 'grace', 'cheese', -0.1914383325190166),
    ('exact', 'grace', 'dates', 0.0345464204142234),
    ('exact', 'grace', 'eggs', 0.04843145486597031),
    ('exact', 'grace', 'flour', 0.9264895058587166),
    ('cg_freq', 'alice', 'apple', 0.858673327352975),
    ('cg_freq', 'alice', 'bread', 1.062506826212948),
    ('cg_freq', 'alice', 'cheese', 0.8605629368453127),
    ('cg_freq', 'alice', 'dates', 0.24400665368082847),
    ('cg_freq', 'alice', 'eggs', -0.08995560649014965),
    ('cg_freq', 'alice', 'flour', 0.13230047436600598),
    ('cg_freq', 'bob', 'apple', 0.9650892053860936),
    ('cg_freq', 'bob', 'bread', 0.7971069109899023),
    ('cg_freq', 'bob', 'cheese', 0.6076230801770867),
    ('cg_freq', 'bob', 'dates', 0.6521531129800864),
    ('cg_freq', 'bob', 'eggs', 0.4493600998047799),
    ('cg_freq', 'bob', 'flour', -0.09820673828732983),
    ('cg_freq', 'carol', 'apple', -0.05412932830459916),
    ('cg_freq', 'carol', 'bread', 0.35495255042440604),
    ('cg_freq', 'carol', 'cheese', 0.7240208235782362),
    ('cg_freq', 'carol', 'dates', 0.9947143949649574),
    ('cg_freq', 'carol', 'eggs', 0.8130079423033255),
    ('cg_freq', 'carol', 'flour', 0.1498950013784134),
    ('cg_freq', 'dave', 'apple', 0.9432999294440679),
    ('cg_freq', 'dave', 'bread', 0.10290809334587428),
    ('cg_freq', 'dave', 'cheese', -0.16425162432874907),
    ('cg_freq', 'dave', 'dates', 0.504282803439527),
    ('cg_freq', 'dave', 'eggs', 0.6968837974208707),
    ('cg_freq', 'dave', 'flour', 0.13998468896398436),
    ('cg_freq', 'erin', 'apple', 0.17409860772765254),
    ('cg_freq', 'erin', 'bread', 0.8070694829408573),
    ('cg_freq', 'erin', 'cheese', 0.9680014424458727),
    ('cg_freq', 'erin', 'dates', 0.1558693083808807),
    ('cg_freq', 'erin', 'eggs', -0.09465922199824692),
    ('cg_freq', 'erin', 'flour', 0.9250994856728774),
    ('cg_freq', 'frank', 'apple', 0.08993941633229827),
    ('cg_freq', 'frank', 'bread', -0.07927018902731729),
    ('cg_freq', 'frank', 'cheese', 0.20553124296037278),
    ('cg_freq', 'frank', 'dates', 0.8040973998952501),
    ('cg_freq', 'frank', 'eggs', 0.9876047059086466),
    ('cg_freq', 'frank', 'flour', 0.8504257119574479),
    ('cg_freq', 'grace', 'apple', 0.8630377031595533),
    ('cg_freq', 'grace', 'bread', 0.23083629978505227),
    ('cg_freq', 'grace', 'cheese', -0.05672191481082478),
    ('cg_freq', 'grace', 'dates', -0.06312578457413835),
    ('cg_freq', 'grace', 'eggs', 0.15529162597498036),
    ('cg_freq', 'grace', 'flour', 0.9100349607341504)
;
CREATE TABLE ref_cosine(case_name text, i text, j text, cosine float8);
INSERT INTO ref_cosine
VALUES
    ('exact', 'apple', 'bread', 0.39770660986622397),
    ('exact', 'apple', 'cheese', 0.029575763749107246),
    ('exact', 'apple', 'dates', 0.3387632611628989),
    ('exact', 'apple', 'eggs', 0.21443657590236595),
    ('exact', 'apple', 'flour', 0.8347909483782671),
    ('exact', 'bread', 'apple', 0.39770660986622397),
    ('exact', 'bread', 'cheese', 0.8800657291108074),
    ('exact', 'bread', 'dates', 0.0903642506698403),
    ('exact', 'bread', 'eggs', -0.4935590346946087),
    ('exact', 'bread', 'flour', 0.7447277301846671),
    ('exact', 'cheese', 'apple', 0.029575763749107246),
    ('exact', 'cheese', 'bread', 0.8800657291108074),
    ('exact', 'cheese', 'dates', 0.2665745262012239),
    ('exact', 'cheese', 'eggs', -0.3507963501699696),
    ('exact', 'cheese', 'flour', 0.3482581939103401),
    ('exact', 'dates', 'apple', 0.3387632611628989),
    ('exact', 'dates', 'bread', 0.0903642506698403),
    ('exact', 'dates', 'cheese', 0.2665745262012239),
    ('exact', 'dates', 'eggs', 0.8037890860838705),
    ('exact', 'dates', 'flour', -0.037241147668889744),
    ('exact', 'eggs', 'apple', 0.21443657590236595),
    ('exact', 'eggs', 'bread', -0.4935590346946087),
    ('exact', 'eggs', 'cheese', -0.3507963501699696),
    ('exact', 'eggs', 'dates', 0.8037890860838705),
    ('exact', 'eggs', 'flour', -0.341491247388538),
    ('exact', 'flour', 'apple', 0.8347909483782671),
    ('exact', 'flour', 'bread', 0.7447277301846671),
    ('exact', 'flour', 'cheese', 0.3482581939103401),
    ('exact', 'flour', 'dates', -0.037241147668889744),
    ('exact', 'flour', 'eggs', -0.341491247388538),
    ('cg_freq', 'apple', 'bread', 0.6222318054627285),
    ('cg_freq', 'apple', 'cheese', 0.27535967926680055),
    ('cg_freq', 'apple', 'dates', 0.31083601922157783),
    ('cg_freq', 'apple', 'eggs', 0.2712288579915433),
    ('cg_freq', 'apple', 'flour', 0.179570360114154),
    ('cg_freq', 'bread', 'apple', 0.6222318054627285),
    ('cg_freq', 'bread', 'cheese', 0.8873507995738887),
    ('cg_freq', 'bread', 'dates', 0.3645935669205299),
    ('cg_freq', 'bread', 'eggs', 0.021966354611970787),
    ('cg_freq', 'bread', 'flour', 0.19150866302392427),
    ('cg_freq', 'cheese', 'apple', 0.27535967926680055),
    ('cg_freq', 'cheese', 'bread', 0.8873507995738887),
    ('cg_freq', 'cheese', 'dates', 0.5366669142407623),
    ('cg_freq', 'cheese', 'eggs', 0.1736459707398022),
    ('cg_freq', 'cheese', 'flour', 0.29627739184226587),
    ('cg_freq', 'dates', 'apple', 0.31083601922157783),
    ('cg_freq', 'dates', 'bread', 0.3645935669205299),
    ('cg_freq', 'dates', 'cheese', 0.5366669142407623),
    ('cg_freq', 'dates', 'eggs', 0.9058825693885089),
    ('cg_freq', 'dates', 'flour', 0.21249792086404104),
    ('cg_freq', 'eggs', 'apple', 0.2712288579915433),
    ('cg_freq', 'eggs', 'bread', 0.021966354611970787),
    ('cg_freq', 'eggs', 'cheese', 0.1736459707398022),
    ('cg_freq', 'eggs', 'dates', 0.9058825693885089),
    ('cg_freq', 'eggs', 'flour', 0.3073513985691431),
    ('cg_freq', 'flour', 'apple', 0.179570360114154),
    ('cg_freq', 'flour', 'bread', 0.19150866302392427),
    ('cg_freq', 'flour', 'cheese', 0.29627739184226587),
    ('cg_freq', 'flour', 'dates', 0.21249792086404104),
    ('cg_freq', 'flour', 'eggs', 0.3073513985691431)
;

-- case "exact": Cholesky solves, 3 factors, 6 iterations
SELECT model, version, n_users, n_items, n_interactions, train_ms > 0 AS timed
  FROM mktdb.recommend_train('rec', 'ia', 'u', 'i', 'w', factors => 3, iterations => 6,
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
       unnest('{0.14921863741608207,0.10527497462070153,0.09600785396377784,0.08926364583083048,0.0850319018937795,0.08255388668766224}'::float8[]) WITH ORDINALITY r(v, k)
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
SELECT version FROM mktdb.recommend_train('rec', 'ia', 'u', 'i', 'w', factors => 3, iterations => 6,
                                          regularization => 0.1, alpha => 2.0, seed => 42, solver => 'cholesky', frequency_scaling => 0);
SELECT version FROM mktdb.recommend_train('rec', 'ia', 'u', 'i', 'w', factors => 3, iterations => 6,
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
  FROM mktdb.recommend_train('rec_cg', 'ia', 'u', 'i', 'w', factors => 4, iterations => 5,
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
       unnest('{0.4517529107851941,0.16220248323628836,0.1329742473392456,0.1254354970649703,0.12223060677254417}'::float8[]) WITH ORDINALITY r(v, k)
 WHERE m.name = 'rec_cg' AND l.k = r.k;

-- bigint ids: the same model, read through the bigint functions
SELECT n_users, n_items, n_interactions
  FROM mktdb.recommend_train('rec_int', 'ia_int', 'u', 'i', 'w', factors => 3, iterations => 6,
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
                                          'u', 'i', 'w', factors => 3, iterations => 6, regularization => 0.1,
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
                             'column1', 'column2', 'column3', factors => 2, iterations => 2);
SELECT metrics->'zero_weight_pairs' AS zero_pairs, metrics->'duplicate_rows_merged' AS dups
  FROM mktdb.models WHERE name = 'rec_zero';
SELECT * FROM mktdb.recommend_for('rec_zero', 'c', 5);
-- no weight column: every row weighs 1
SELECT n_interactions FROM mktdb.recommend_train('rec_nw', 'ia', 'u', 'i', factors => 2, iterations => 2);

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
SELECT version FROM mktdb.recommend_train('rec_fresh', 'ia', 'u', 'i', 'w', factors => 3, iterations => 6,
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
SELECT model, n_users, n_items FROM mktdb.recommend_train('pa_list', 'pa', 'u', 'i', 'w', factors => 8, iterations => 4, precompute_n => 5);
SELECT model, n_users, n_items FROM mktdb.recommend_train('pa_dense', 'pa', 'u', 'i', 'w', factors => 8, iterations => 4, precompute_n => 0);
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

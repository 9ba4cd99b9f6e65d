-- kmeans.sql -- k-means segmentation: inertia, sizes, centroids and silhouette against
-- scikit-learn reference values (test/ref/kmeans_ref.py), determinism (threads, row order),
-- numbering, NULL/non-finite skipping, segment_of <-> kmeans_assign agreement, the centroid
-- view, retrain and the model cache, the kmeans_fit aggregate (GROUP BY, parallel plan),
-- and bad input with SQLSTATEs.
-- Data files are read with client-side \copy, relative to the repository root where
-- pg_regress runs.

-- errors as "SQLSTATE: message", so that the expected output pins both
CREATE FUNCTION try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- id int, f1 .. fd float8
CREATE FUNCTION mk_table(tname text, d int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TABLE %I (id int PRIMARY KEY, %s)', tname,
                   (SELECT string_agg(format('f%s float8', i), ', ' ORDER BY i) FROM generate_series(1, d) i));
END $$;
CREATE FUNCTION feats(d int) RETURNS text[] LANGUAGE sql AS $$
    SELECT array_agg('f' || i ORDER BY i) FROM generate_series(1, d) i
$$;

SELECT mk_table('km_iris', 4), mk_table('km_wine', 13), mk_table('km_breast_cancer', 30),
       mk_table('km_digits', 64), mk_table('km_synthetic', 3);
\copy km_iris FROM 'test/data/kmeans_iris.csv' WITH (FORMAT csv, HEADER true)
\copy km_wine FROM 'test/data/kmeans_wine.csv' WITH (FORMAT csv, HEADER true)
\copy km_breast_cancer FROM 'test/data/kmeans_breast_cancer.csv' WITH (FORMAT csv, HEADER true)
\copy km_digits FROM 'test/data/kmeans_digits.csv' WITH (FORMAT csv, HEADER true)
\copy km_synthetic FROM 'test/data/kmeans_synthetic.csv' WITH (FORMAT csv, HEADER true)

-- scikit-learn 1.2.1: KMeans(n_init=10, algorithm='lloyd', tol=0, random_state=0) and the
-- best inertia of 20 such runs, on StandardScaler / MinMaxScaler / raw data
CREATE TABLE kmeans_ref (dataset text, scaling text, k int, n int, d int, inertia float8,
                         best_inertia float8, silhouette float8, sizes bigint[], centroids float8[]);
\copy kmeans_ref FROM 'test/ref/kmeans_ref.csv' WITH (FORMAT csv, HEADER true)

-- ---------------------------------------------------------------- against scikit-learn
-- Every dataset x scaling with n_init => 10.  Asserted: inertia within 1 % of
-- scikit-learn's n_init=10 run.  Where both reached the same optimum (inertia equal to
-- 1e-9), sizes must be equal, centroids (original units, mktdb's order) within 1e-6
-- relative, and the silhouette (exact: n <= 2000 rows) within 1e-9.
CREATE TABLE fits AS
SELECT r.dataset, r.scaling, s.*
  FROM kmeans_ref r,
       LATERAL mktdb.kmeans_segment(r.dataset || '_' || r.scaling, 'km_' || r.dataset, feats(r.d),
                                    r.k, 'id', r.scaling, n_init => 10) s;

CREATE VIEW comparison AS
SELECT f.dataset, f.scaling, f.k, f.n_rows,
       f.inertia / r.inertia AS ratio,
       f.inertia / r.best_inertia AS ratio_best,
       abs(f.inertia / r.inertia - 1) < 1e-9 AS same_optimum,
       (SELECT array_agg(size ORDER BY segment) FROM mktdb.kmeans_centroids c
         WHERE c.model = f.model) = r.sizes AS sizes_equal,
       (SELECT max(abs(a - b) / greatest(abs(b), 1))
          FROM unnest((SELECT array_agg(x ORDER BY c.segment, u.o)
                         FROM mktdb.kmeans_centroids c, unnest(c.centroid) WITH ORDINALITY u(x, o)
                        WHERE c.model = f.model), r.centroids) z(a, b)) AS centroid_err,
       abs((m.metrics->>'silhouette')::float8 - r.silhouette) AS silhouette_err
  FROM fits f JOIN kmeans_ref r USING (dataset, scaling) JOIN mktdb.models m ON m.name = f.model;

SELECT dataset, scaling, k, n_rows, ratio <= 1.01 AS within_1pct,
       round(ratio_best::numeric, 3) AS vs_best_known, same_optimum,
       CASE WHEN same_optimum THEN sizes_equal AND centroid_err < 1e-6 AND silhouette_err < 1e-9 END
           AS same_solution
  FROM comparison ORDER BY dataset, scaling;

-- the same solution must be found at least on these (the global optimum, reached by both)
SELECT dataset, scaling FROM comparison
 WHERE NOT (same_optimum AND sizes_equal AND centroid_err < 1e-6 AND silhouette_err < 1e-9)
   AND (dataset, scaling) IN (('iris', 'none'), ('iris', 'minmax'), ('wine', 'none'),
                              ('breast_cancer', 'none'), ('breast_cancer', 'minmax'),
                              ('synthetic', 'zscore'), ('synthetic', 'minmax'), ('synthetic', 'none'));

-- model contents: spec replays the call, metrics hold the fit's numbers
SELECT spec - 'search_path' AS spec FROM mktdb.model WHERE name = 'iris_zscore';
SELECT k, round((metrics->>'inertia')::numeric, 6) AS inertia, metrics->'sizes' AS sizes,
       metrics->'skipped_rows' AS skipped, round((metrics->>'silhouette')::numeric, 6) AS silhouette,
       metrics->'silhouette_sample' AS sample, metrics->'n_init' AS n_init,
       (metrics->>'iterations')::int BETWEEN 1 AND 300 AS iterations_ok, m.n_rows
  FROM mktdb.models m JOIN fits f ON f.model = m.name WHERE name = 'iris_none';

-- ---------------------------------------------------------------- determinism
-- the same call twice: identical centroids, bit for bit
SELECT version, round(inertia::numeric, 6) AS inertia FROM mktdb.kmeans_segment('det', 'km_wine', feats(13), 3, seed => 7);
SELECT version, round(inertia::numeric, 6) AS inertia FROM mktdb.kmeans_segment('det', 'km_wine', feats(13), 3, seed => 7);
SELECT count(*) AS segments,
       bool_and(a.centroid = b.centroid AND a.size = b.size) AS identical
  FROM mktdb.kmeans_centroids a JOIN mktdb.kmeans_centroids b USING (model, segment)
 WHERE model = 'det' AND a.version = 1 AND b.version = 2;
-- one thread or several: the same (row slots and reductions do not depend on the thread
-- count); 35,940 rows of 8 digit pixels (20 copies of digits), so that there are many slots
CREATE TABLE km_digits_big AS SELECT (id + 2000 * c) AS id, f1, f2, f3, f4, f5, f6, f7, f8
  FROM km_digits, generate_series(0, 19) c;
ANALYZE km_digits_big;
SET mktdb.threads = 1;
SELECT version, n_rows FROM mktdb.kmeans_segment('threads', 'km_digits_big', feats(8), 6, seed => 3);
SET mktdb.threads = 4;
SELECT version, n_rows FROM mktdb.kmeans_segment('threads', 'km_digits_big', feats(8), 6, seed => 3);
RESET mktdb.threads;
SELECT bool_and(a.centroid = b.centroid AND a.size = b.size) AS identical_across_threads
  FROM mktdb.kmeans_centroids a JOIN mktdb.kmeans_centroids b USING (model, segment)
 WHERE model = 'threads' AND a.version = 1 AND b.version = 2;
SELECT version FROM mktdb.kmeans_segment('det', 'km_digits', feats(64), 10, seed => 3);
-- row order does not matter: sampling is keyed on row values (sums may differ in the last bits)
SELECT version FROM mktdb.kmeans_segment('det', 'SELECT * FROM km_digits ORDER BY id DESC', feats(64),
                                         10, seed => 3);
SELECT bool_and(a.size = b.size) AS same_sizes,
       max((SELECT max(abs(x - y)) FROM unnest(a.centroid, b.centroid) u(x, y))) < 1e-9 AS same_centroids
  FROM mktdb.kmeans_centroids a JOIN mktdb.kmeans_centroids b USING (model, segment)
 WHERE model = 'det' AND a.version = 3 AND b.version = 4;
-- another seed is another run
SELECT version FROM mktdb.kmeans_segment('det', 'km_digits', feats(64), 10, seed => 4);
SELECT bool_and(a.centroid = b.centroid) AS identical_other_seed
  FROM mktdb.kmeans_centroids a JOIN mktdb.kmeans_centroids b USING (model, segment)
 WHERE model = 'det' AND a.version = 3 AND b.version = 5;

-- ---------------------------------------------------------------- numbering
-- segments 1..k by descending size; equal sizes by centroid in original units, ascending
-- lexicographically (rows inserted in an order that would suggest otherwise)
CREATE TABLE ties (id text, x float8, y float8);
INSERT INTO ties VALUES ('a', 10, 1), ('b', 10, 0), ('c', 0, 1), ('d', 0, 0),
                        ('e', 5, 100), ('f', 5, 101), ('g', 5, 102);
SELECT k, n_rows, round(inertia::numeric, 6) AS inertia
  FROM mktdb.kmeans_segment('ties', 'ties', '{x,y}', 3, 'id', scaling => 'none');
SELECT segment, size, features, centroid FROM mktdb.kmeans_centroids WHERE model = 'ties' ORDER BY segment;
SELECT id, segment, round(distance::numeric, 6) AS distance FROM mktdb.kmeans_assign('ties') ORDER BY id;
-- k = n: every row is its own segment, inertia 0
SELECT k, n_rows, inertia FROM mktdb.kmeans_segment('ties_all', 'ties', '{x,y}', 7, scaling => 'minmax');
SELECT count(*) AS segments, min(size), max(size) FROM mktdb.kmeans_centroids WHERE model = 'ties_all';
-- k = 1: one segment, its centroid is the mean
SELECT k, round(inertia::numeric, 6) AS inertia
  FROM mktdb.kmeans_segment('ties_one', 'ties', '{x,y}', 1, scaling => 'none');
SELECT segment, size, centroid::numeric(10,6)[] FROM mktdb.kmeans_centroids WHERE model = 'ties_one';
SELECT metrics->'silhouette' AS silhouette_undefined FROM mktdb.models WHERE name = 'ties_one';

-- ---------------------------------------------------------------- NULL and non-finite rows
-- skipped and counted; a query source; numeric and integer feature types; quoted identifiers
CREATE TABLE "Customer Features" ("Customer" text, spend numeric, visits int, "Basket Size" real);
INSERT INTO "Customer Features"
SELECT 'c' || i, (i % 7) * 10.5 + (i % 2) * 100, i % 5, (i % 3)::real FROM generate_series(1, 60) i;
INSERT INTO "Customer Features" VALUES ('null spend', NULL, 1, 1), ('null visits', 1, NULL, 1),
    ('nan', 'NaN', 1, 1), ('inf', 1, 1, 'Infinity'), ('-inf', 1, 1, '-Infinity');
SELECT k, n_rows, iterations > 0 AS iterated
  FROM mktdb.kmeans_segment('cf', '"Customer Features"', '{spend,visits,Basket Size}', 4, 'Customer');
SELECT metrics->'skipped_rows' AS skipped_rows, n_rows FROM mktdb.models WHERE name = 'cf';
SELECT count(*) AS rows, count(segment) AS segmented, count(*) FILTER (WHERE segment IS NULL) AS unsegmented,
       string_agg(id, ', ' ORDER BY id COLLATE "C") FILTER (WHERE segment IS NULL) AS which
  FROM mktdb.kmeans_assign('cf');
SELECT k, n_rows FROM mktdb.kmeans_segment('cfq',
    'SELECT * FROM "Customer Features" WHERE visits > 0;', '{spend,visits}', 2);
SELECT metrics->'skipped_rows' AS skipped_rows FROM mktdb.models WHERE name = 'cfq';
-- float8 features (read by a tighter loop): the same skipping
SELECT k, n_rows FROM mktdb.kmeans_segment('f8', $$VALUES (1::float8, 2::float8), (NULL, 1), (3, 'Infinity'),
    ('-Infinity', 0), ('NaN', 1), (5, NULL), (5, 6)$$, '{column1,column2}', 1);
SELECT metrics->'skipped_rows' AS skipped_rows, metrics->'sizes' AS sizes FROM mktdb.models WHERE name = 'f8';
SELECT centroid FROM mktdb.kmeans_centroids WHERE model = 'f8';
-- kmeans_assign without an id column: ids are NULL
SELECT count(*), count(id) AS ids FROM mktdb.kmeans_assign('cfq');

-- ---------------------------------------------------------------- segment_of vs kmeans_assign
-- every row: segment_of agrees with kmeans_assign, and the squared distances sum to inertia
SELECT count(*) AS rows,
       count(*) FILTER (WHERE a.segment <> mktdb.segment_of('iris_zscore', ARRAY[f1, f2, f3, f4])) AS disagree,
       abs(sum(a.distance ^ 2) / (SELECT inertia FROM fits WHERE model = 'iris_zscore') - 1) < 1e-9
           AS distances_sum_to_inertia
  FROM mktdb.kmeans_assign('iris_zscore') a JOIN km_iris i ON i.id = a.id::int;
SELECT count(*) FILTER (WHERE a.segment <> mktdb.segment_of('digits_minmax', ARRAY[f1, f2, f3, f4, f5, f6, f7, f8,
           f9, f10, f11, f12, f13, f14, f15, f16, f17, f18, f19, f20, f21, f22, f23, f24, f25, f26, f27, f28,
           f29, f30, f31, f32, f33, f34, f35, f36, f37, f38, f39, f40, f41, f42, f43, f44, f45, f46, f47, f48,
           f49, f50, f51, f52, f53, f54, f55, f56, f57, f58, f59, f60, f61, f62, f63, f64])) AS disagree,
       abs(sum(a.distance ^ 2) / (SELECT inertia FROM fits WHERE model = 'digits_minmax') - 1) < 1e-9
           AS distances_sum_to_inertia
  FROM mktdb.kmeans_assign('digits_minmax') a JOIN km_digits i ON i.id = a.id::int;
-- segment sizes from kmeans_assign are the stored sizes
SELECT bool_and(c.size = a.n) AS sizes_agree
  FROM mktdb.kmeans_centroids c
  JOIN (SELECT segment, count(*) AS n FROM mktdb.kmeans_assign('wine_zscore') GROUP BY segment) a USING (segment)
 WHERE c.model = 'wine_zscore';
-- segment_of takes original units: a centroid is in its own segment
SELECT segment, mktdb.segment_of('synthetic_zscore', centroid) = segment AS own_segment
  FROM mktdb.kmeans_centroids WHERE model = 'synthetic_zscore' ORDER BY segment;
-- "name@version" reads an older version
SELECT mktdb.segment_of('det@1', (SELECT ARRAY[f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13]
                                    FROM km_wine WHERE id = 1)) BETWEEN 1 AND 3 AS versioned_ok;

-- ---------------------------------------------------------------- retrain and the cache
SELECT mktdb.segment_of('cf', '{52.5, 2, 1}') AS p1, mktdb.segment_of('cf', '{0, 0, 0}') AS p2,
       mktdb.segment_of('cf', '{110, 4, 2}') AS p3;
SELECT version FROM mktdb.model_cache() WHERE name = 'cf';
INSERT INTO "Customer Features" SELECT 'new' || i, 5000 + i, 4, 2 FROM generate_series(1, 40) i;
SELECT r->'model' AS model, r->'version' AS version, r->'k' AS k, r->'n_rows' AS n_rows,
       round((r->>'inertia')::numeric, 6) AS inertia, (r->>'iterations')::int > 0 AS iterated
  FROM (SELECT result FROM mktdb.retrain('cf')) s(r);
SELECT name, version, n_rows, metrics->'skipped_rows' AS skipped FROM mktdb.models WHERE name = 'cf';
SELECT spec = (SELECT spec FROM mktdb.model WHERE name = 'cf' AND version = 1) AS same_spec
  FROM mktdb.model WHERE name = 'cf' AND version = 2;
-- the next call notices version 2: the 40 big new spenders are now segment 1, the
-- others are renumbered
SELECT mktdb.segment_of('cf', '{52.5, 2, 1}') AS p1, mktdb.segment_of('cf', '{0, 0, 0}') AS p2,
       mktdb.segment_of('cf', '{110, 4, 2}') AS p3, mktdb.segment_of('cf', '{5020, 4, 2}') AS big_spender,
       (SELECT segment FROM mktdb.kmeans_assign('cf') WHERE id = 'new20') AS assigned;
SELECT version FROM mktdb.model_cache() WHERE name = 'cf';
SELECT version, segment, size FROM mktdb.kmeans_centroids WHERE model = 'cf' ORDER BY version, segment;
-- retrain replays the stored search_path: a source named without its schema still resolves
CREATE SCHEMA shop;
CREATE TABLE shop.buyers AS SELECT id, f1, f2 FROM km_iris;
SET search_path = shop, public;
SELECT version, n_rows FROM mktdb.kmeans_segment('buyers', 'buyers', '{f1,f2}', 2);
RESET search_path;
SELECT r->'version' AS version, r->'n_rows' AS n_rows FROM (SELECT result FROM mktdb.retrain('buyers')) s(r);

-- ---------------------------------------------------------------- the aggregate
-- the same rows give the same model as kmeans_segment
SELECT round((i->>'inertia')::numeric, 6) AS inertia, i->'sizes' AS sizes, i->'n_rows' AS n_rows,
       abs((i->>'inertia')::float8 / (SELECT inertia FROM fits WHERE model = 'iris_zscore') - 1) < 1e-9
           AS same_as_segment
  FROM (SELECT mktdb.kmeans_info(mktdb.kmeans_fit(ARRAY[f1, f2, f3, f4], 3, 'zscore', 10, 300, 1e-4, 0)) i
          FROM km_iris) s;
-- one model per group; segment_of and kmeans_centroids read the bytea
CREATE TABLE group_models AS
SELECT id % 2 AS grp, mktdb.kmeans_fit(ARRAY[f1, f2, f3, f4], 2, 'none') AS model
  FROM km_iris GROUP BY id % 2;
SELECT grp, (mktdb.kmeans_info(model)->>'n_rows')::int AS n_rows,
       mktdb.kmeans_info(model)->'sizes' AS sizes,
       mktdb.segment_of(model, '{5.0, 3.4, 1.5, 0.2}') AS setosa_like,
       mktdb.segment_of(model, '{6.5, 3.0, 5.5, 2.0}') AS virginica_like
  FROM group_models ORDER BY grp;
SELECT i - 'inertia' - 'silhouette' AS info, round((i->>'inertia')::numeric, 4) AS inertia,
       round((i->>'silhouette')::numeric, 4) AS silhouette
  FROM (SELECT mktdb.kmeans_info(model) i FROM group_models WHERE grp = 0) s;
SELECT mktdb.kmeans_info(data) - 'inertia' - 'silhouette' AS info FROM mktdb.model WHERE name = 'ties';
SELECT grp, c.segment, c.size, c.features, round(c.centroid[3]::numeric, 4) AS petal_length
  FROM group_models, mktdb.kmeans_centroids(model) c ORDER BY grp, c.segment;
-- NULL rows are skipped and counted; a group without usable rows gives NULL
SELECT mktdb.kmeans_info(mktdb.kmeans_fit(v, 1))->'skipped_rows' AS skipped,
       mktdb.kmeans_info(mktdb.kmeans_fit(v, 1))->'n_rows' AS n_rows
  FROM (VALUES (ARRAY[1.0, 2.0]::float8[]), (NULL), (ARRAY[NULL, 1]::float8[]), (ARRAY['NaN', 1]::float8[]),
               (ARRAY[3.0, 4.0]::float8[])) t(v);
SELECT mktdb.kmeans_fit(v, 2) IS NULL AS no_model
  FROM (VALUES (NULL::float8[]), (ARRAY[NULL, 1]::float8[])) t(v);
SELECT mktdb.kmeans_fit(v, 2) IS NULL AS no_rows FROM (SELECT NULL::float8[] WHERE false) t(v);
-- a parallel plan (partial states combined): a group this large (35,940 rows) is fitted on a
-- bounded summary (the partial states stay O(k x d)), so the plans may merge rows differently;
-- both stay within 5% of the inertia of an exact fit on the rows (measured: serial 1.6% above, parallel
-- plans 2.2-3.9% above, varying with how the workers split the rows; README: "Scaling out with Citus")
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
SELECT mktdb.kmeans_fit(ARRAY[f1, f2, f3, f4, f5, f6, f7, f8], 5) FROM km_digits_big;
CREATE TABLE par AS SELECT mktdb.kmeans_fit(ARRAY[f1, f2, f3, f4, f5, f6, f7, f8], 5) AS m FROM km_digits_big;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE ser AS SELECT mktdb.kmeans_fit(ARRAY[f1, f2, f3, f4, f5, f6, f7, f8], 5) AS m FROM km_digits_big;
RESET max_parallel_workers_per_gather;
SELECT inertia AS exact_inertia FROM mktdb.kmeans_segment('digits_exact', 'km_digits_big', feats(8), 5, n_init => 10) \gset
SELECT (mktdb.kmeans_info(p.m)->>'n_rows')::int AS n_rows,
       (SELECT sum(x::bigint) FROM jsonb_array_elements_text(mktdb.kmeans_info(p.m)->'sizes') x) AS par_rows,
       (SELECT sum(x::bigint) FROM jsonb_array_elements_text(mktdb.kmeans_info(s.m)->'sizes') x) AS ser_rows,
       (mktdb.kmeans_info(p.m)->>'inertia')::float8 / :exact_inertia BETWEEN 0.999 AND 1.05 AS par_within_5pct,
       (mktdb.kmeans_info(s.m)->>'inertia')::float8 / :exact_inertia BETWEEN 0.999 AND 1.025 AS ser_within_2_5pct,
       mktdb.kmeans_info(p.m)->'silhouette' AS silhouette
  FROM par p, ser s;
-- a group that fits in the summary is fitted exactly, whatever the plan
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
CREATE TABLE par_small AS SELECT mktdb.kmeans_fit(ARRAY[f1, f2, f3, f4], 3, 'zscore', 10, 300, 1e-4, 0) AS m FROM km_iris;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
SELECT abs((mktdb.kmeans_info(m)->>'inertia')::float8 / (SELECT inertia FROM fits WHERE model = 'iris_zscore') - 1) < 1e-9
           AS small_group_exact
  FROM par_small;

-- mktdb.pushdown = 'always': the path Citus distributed tables take (statistics, a sample, Lloyd
-- steps as float8[] aggregates) also runs on a local table, with the same answer
SET mktdb.pushdown = 'always';
SELECT n_rows, abs(inertia / (SELECT inertia FROM fits WHERE model = 'iris_zscore') - 1) < 1e-6 AS same_inertia
  FROM mktdb.kmeans_segment('iris_pushdown', 'km_iris', '{f1,f2,f3,f4}', 3, n_init => 10);
SELECT metrics->>'path' AS path, metrics->'passes' IS NOT NULL AS counted, metrics->'sample_rows' AS sample_rows
  FROM mktdb.models WHERE name = 'iris_pushdown';
SELECT abs(inertia / :exact_inertia - 1) < 1e-3 AS digits_within_0_1pct
  FROM mktdb.kmeans_segment('digits_pushdown', 'km_digits_big', feats(8), 5, n_init => 10);
RESET mktdb.pushdown;
SELECT metrics->>'path' AS path FROM mktdb.models WHERE name = 'digits_exact';

-- ---------------------------------------------------------------- bad input
SELECT try($$SELECT * FROM mktdb.kmeans_segment('bad', 'km_iris', '{f1,f2}', 0)$$);
SELECT try($$SELECT * FROM mktdb.kmeans_segment('bad', 'km_iris', '{f1,f2}', -3)$$);
SELECT try($$SELECT * FROM mktdb.kmeans_segment('bad', 'km_iris', '{f1,f2}', 151)$$);
SELECT try($$SELECT * FROM mktdb.kmeans_segment('bad', 'SELECT * FROM km_iris WHERE id <= 5', '{f1,f2}', 6)$$);
SELECT try($$SELECT * FROM mktdb.kmeans_segment('bad', 'SELECT * FROM km_iris WHERE false', '{f1,f2}', 2)$$);
SELECT try($$SELECT * FROM mktdb.kmeans_segment('bad', $q$SELECT NULL::float8 AS a, 'NaN'::float8 AS b$q$, '{a,b}', 1)$$);
SELECT try($$SELECT * FROM mktdb.kmeans_segment('bad', 'km_iris', '{f1,nope}', 2)$$);
SELECT try($$SELECT * FROM mktdb.kmeans_segment('bad', 'ties', '{x,id}', 2)$$);
SELECT try($$SELECT * FROM mktdb.kmeans_segment('bad', 'km_iris', '{f1,f2,f1}', 2)$$);
SELECT try($$SELECT * FROM mktdb.kmeans_segment('bad', 'km_iris', '{}', 2)$$);
SELECT try($$SELECT * FROM mktdb.kmeans_segment('bad', 'km_iris', '{f1,NULL}', 2)$$);
SELECT try($$SELECT * FROM mktdb.kmeans_segment('bad', 'km_iris', '{f1,f2}', 2, n_init => 0)$$);
SELECT try($$SELECT * FROM mktdb.kmeans_segment('bad', 'km_iris', '{f1,f2}', 2, max_iter => 0)$$);
SELECT try($$SELECT * FROM mktdb.kmeans_segment('bad', 'km_iris', '{f1,f2}', 2, tol => -1e-4)$$);
SELECT try($$SELECT * FROM mktdb.kmeans_segment('bad', 'km_iris', '{f1,f2}', 2, tol => 'NaN')$$);
SELECT try($$SELECT * FROM mktdb.kmeans_segment('bad', 'km_iris', '{f1,f2}', 2, tol => 'Infinity')$$);
SELECT try($$SELECT * FROM mktdb.kmeans_segment('bad', 'km_iris', '{f1,f2}', 2, scaling => 'robust')$$);
SELECT try($$SELECT * FROM mktdb.kmeans_segment('bad', 'km_iris', '{f1,f2}', 2, scaling => NULL)$$);
SELECT try($$SELECT * FROM mktdb.kmeans_segment('bad', 'km_iris', '{f1,f2}', NULL)$$);
SELECT try($$SELECT * FROM mktdb.kmeans_segment('bad', 'no_such_table', '{f1,f2}', 2)$$);
SELECT try($$SELECT * FROM mktdb.kmeans_segment('bad', 'km_iris', '{f1,f2}', 2, id_column => 'nope')$$);
SELECT try($$SELECT * FROM mktdb.kmeans_segment('bad', 'km_iris', '{f1,f2}', 2, id_column => 'f1')$$);
SELECT try($$SELECT * FROM mktdb.kmeans_segment('', 'km_iris', '{f1,f2}', 2)$$);
SELECT try($$SELECT * FROM mktdb.kmeans_segment('bad@2', 'km_iris', '{f1,f2}', 2)$$);
SELECT try($$SELECT mktdb.segment_of('iris_zscore', '{1,2,3}')$$);
SELECT try($$SELECT mktdb.segment_of('iris_zscore', '{1,2,3,4,5}')$$);
SELECT try($$SELECT mktdb.segment_of('iris_zscore', '{1,2,NULL,4}')$$);
SELECT try($$SELECT mktdb.segment_of('iris_zscore', '{1,2,NaN,4}')$$);
SELECT try($$SELECT mktdb.segment_of('iris_zscore', '{1,2,Infinity,4}')$$);
SELECT try($$SELECT mktdb.segment_of('iris_zscore', '{{1,2},{3,4}}')$$);
SELECT mktdb.segment_of('iris_zscore', NULL) IS NULL AS null_features_null_segment;
SELECT try($$SELECT mktdb.segment_of('no_model', '{1,2,3,4}')$$);
SELECT try($$SELECT mktdb.segment_of('iris_zscore@99', '{1,2,3,4}')$$);
SELECT try($$SELECT * FROM mktdb.kmeans_assign('no_model')$$);
-- damaged or foreign bytea
SELECT try($$SELECT mktdb.segment_of('\x00'::bytea, '{1,2}')$$);
SELECT try($$SELECT mktdb.segment_of(overlay(m placing '\xff'::bytea from 40 for 1), '{1,2,3,4,5,6,7,8}') FROM ser$$);
SELECT try($$SELECT * FROM mktdb.kmeans_centroids(substr((SELECT m FROM ser), 1, 60))$$);
SELECT try($$SELECT mktdb.kmeans_info(substr((SELECT m FROM ser), 1, 24))$$);
-- the aggregate
SELECT try($$SELECT mktdb.kmeans_fit(ARRAY[f1, f2], 0) FROM km_iris$$);
SELECT try($$SELECT mktdb.kmeans_fit(ARRAY[f1, f2], 151) FROM km_iris$$);
SELECT try($$SELECT mktdb.kmeans_fit(ARRAY[f1, f2], 2, 'robust') FROM km_iris$$);
SELECT try($$SELECT mktdb.kmeans_fit(ARRAY[f1, f2], 2, 'none', 0, 300, 1e-4, 0) FROM km_iris$$);
SELECT try($$SELECT mktdb.kmeans_fit(CASE WHEN id < 5 THEN ARRAY[f1] ELSE ARRAY[f1, f2] END, 2) FROM km_iris$$);
SELECT try($$SELECT mktdb.kmeans_fit(ARRAY[f1, f2], (id % 2) + 1) FROM km_iris$$);
SELECT try($$SELECT mktdb.kmeans_fit('{}'::float8[], 1) FROM km_iris$$);
SELECT try($$SELECT mktdb._kmeans_fit_add(NULL, '{1}', 1)$$);
-- nothing was stored by any failed call
SELECT count(*) AS stored_bad FROM mktdb.model WHERE name IN ('bad', '', 'bad@2');

-- rfm.sql -- RFM scoring: scores against pandas reference values (test/ref/rfm_reference.py),
-- ties, single-customer and all-equal data, id/date/amount types, exact sums, parallel
-- plans, rfm_of consistency, every grid cell, retrain, views, bad input with SQLSTATEs.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
-- client-side \copy (paths relative to the repository root, where pg_regress runs): the
-- server's user need not be able to read the checkout

CREATE TABLE orders (dataset text, customer_id int, ordered_at timestamp, amount numeric);
\copy orders FROM 'test/ref/rfm_orders.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE expected (case_name text, customer_id text, recency_days int, frequency bigint,
                       monetary numeric, r int, f int, m int, rfm_cell text, segment text);
\copy expected FROM 'test/ref/rfm_expected.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE grid (r int, f int, m int, fm int, segment text);
\copy grid FROM 'test/ref/rfm_grid.csv' WITH (FORMAT csv, HEADER true)

-- errors as "SQLSTATE: message", so that the expected output pins both
CREATE FUNCTION try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- got(case) vs expected(case): customers, customers missing on either side, rows whose
-- recency/frequency/scores/cell/segment differ, and monetary values that are not the
-- correctly rounded double of the exact reference sum (tolerance 0)
CREATE FUNCTION check_case(got regclass, p_case text)
RETURNS TABLE(case_name text, customers bigint, unmatched bigint, wrong bigint, monetary_wrong bigint)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format($q$
        SELECT %L::text, count(*),
               count(*) FILTER (WHERE g.customer_id IS NULL OR e.customer_id IS NULL),
               count(*) FILTER (WHERE (g.recency_days, g.frequency, g.r, g.f, g.m, g.rfm_cell, g.segment)
                                      IS DISTINCT FROM (e.recency_days, e.frequency, e.r, e.f, e.m, e.rfm_cell, e.segment)),
               count(*) FILTER (WHERE g.monetary IS DISTINCT FROM e.monetary::float8)
          FROM %s g FULL JOIN (SELECT * FROM expected WHERE expected.case_name = %L) e USING (customer_id)$q$,
        p_case, got, p_case);
END $$;

-- ---------- scores against the pandas reference ----------
CREATE TABLE got_main5 AS SELECT * FROM mktdb.rfm_score('t_main', $$SELECT * FROM orders WHERE dataset = 'main'$$,
                                                       'customer_id', 'ordered_at', 'amount');
CREATE TABLE got_main3 AS SELECT * FROM mktdb.rfm_score('t_main3', $$SELECT * FROM orders WHERE dataset = 'main'$$,
                                                       'customer_id', 'ordered_at', 'amount', bins => 3);
CREATE TABLE got_main7 AS SELECT * FROM mktdb.rfm_score('t_main7', $$SELECT * FROM orders WHERE dataset = 'main'$$,
                                                       'customer_id', 'ordered_at', 'amount', bins => 7);
CREATE TABLE got_main10 AS SELECT * FROM mktdb.rfm_score('t_main10', $$SELECT * FROM orders WHERE dataset = 'main'$$,
                                                        'customer_id', 'ordered_at', 'amount', bins => 10);
CREATE TABLE got_asof AS SELECT * FROM mktdb.rfm_score('t_asof', $$SELECT * FROM orders WHERE dataset = 'main'$$,
                                                      'customer_id', 'ordered_at', 'amount', as_of => '2023-09-30 12:00+00');
CREATE TABLE got_exact AS SELECT * FROM mktdb.rfm_score('t_exact', $$SELECT * FROM orders WHERE dataset = 'exact'$$,
                                                       'customer_id', 'ordered_at', 'amount');
CREATE TABLE got_single AS SELECT * FROM mktdb.rfm_score('t_single', $$SELECT * FROM orders WHERE dataset = 'single'$$,
                                                        'customer_id', 'ordered_at', 'amount');
CREATE TABLE got_equal AS SELECT * FROM mktdb.rfm_score('t_equal', $$SELECT * FROM orders WHERE dataset = 'equal'$$,
                                                       'customer_id', 'ordered_at', 'amount');
CREATE TABLE got_grid AS SELECT * FROM mktdb.rfm_score('t_grid', $$SELECT * FROM orders WHERE dataset = 'grid'$$,
                                                      'customer_id', 'ordered_at', 'amount');
SELECT c.* FROM (VALUES ('got_main5', 'main5'), ('got_main3', 'main3'), ('got_main7', 'main7'),
                        ('got_main10', 'main10'), ('got_asof', 'asof'), ('got_exact', 'exact'),
                        ('got_single', 'single'), ('got_equal', 'equal'), ('got_grid', 'grid')) v(t, n),
     LATERAL check_case(v.t::regclass, v.n) c;

-- ties that only exact sums keep (0.10 + 0.20 = 0.30 = 0.05 + 0.25), a single customer, all equal
SELECT * FROM got_exact ORDER BY customer_id;
SELECT * FROM got_single;
SELECT * FROM got_equal ORDER BY customer_id;
-- the hand-picked customers of 'main': exact ties, returns above purchases, NULLs
SELECT * FROM got_main5 WHERE customer_id IN ('901', '902', '903', '904', '905') ORDER BY customer_id;
SELECT DISTINCT rfm_cell FROM got_main10 WHERE rfm_cell LIKE '10-%' ORDER BY 1 LIMIT 3;

-- skipped rows are counted: 2 with a NULL customer, 1 with a NULL date; a NULL amount is an order of 0
SELECT metrics->'customers' AS customers, metrics->'rows_used' AS rows_used,
       metrics->'skipped_null_customer' AS null_customer, metrics->'skipped_null_date' AS null_date,
       metrics->'skipped_after_as_of' AS after_as_of, metrics->'null_amounts' AS null_amounts,
       metrics->'as_of' AS as_of, metrics->'arithmetic' AS arithmetic, n_rows
  FROM mktdb.models WHERE name IN ('t_main', 't_asof') ORDER BY name;
SELECT count(*) FILTER (WHERE customer_id IS NULL) AS null_customer,
       count(*) FILTER (WHERE ordered_at IS NULL) AS null_date,
       count(*) FILTER (WHERE ordered_at::date > '2023-09-30') AS after_as_of
  FROM orders WHERE dataset = 'main';

-- ---------- id, date and amount types give the same scores ----------
CREATE FUNCTION same_as_main5(q text, id_map text DEFAULT 'customer_id')
RETURNS TABLE(customers bigint, different bigint) LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format($f$
        SELECT count(*), count(*) FILTER (WHERE (g.recency_days, g.frequency, g.r, g.f, g.m, g.segment)
                                               IS DISTINCT FROM (e.recency_days, e.frequency, e.r, e.f, e.m, e.segment))
          FROM (%s) g FULL JOIN (SELECT *, %s AS k FROM got_main5) e ON e.k = g.customer_id$f$, q, id_map);
END $$;
-- text ids, uuid ids
SELECT * FROM same_as_main5($$SELECT * FROM mktdb.rfm_score('t_types', 'SELECT ''C-'' || customer_id AS c, ordered_at, amount FROM orders WHERE dataset = ''main''', 'c', 'ordered_at', 'amount')$$,
                            $$'C-' || customer_id$$);
SELECT * FROM same_as_main5($$SELECT * FROM mktdb.rfm_score('t_types', 'SELECT md5(customer_id::text)::uuid AS c, ordered_at, amount FROM orders WHERE dataset = ''main''', 'c', 'ordered_at', 'amount')$$,
                            $$md5(customer_id)::uuid::text$$);
-- mktdb.pushdown = 'always': per-customer summaries from a GROUP BY (what Citus distributed
-- tables use, where it runs on the workers) give the same scores, monetary sums and metrics
SET mktdb.pushdown = 'always';
SELECT * FROM same_as_main5($$SELECT * FROM mktdb.rfm_score('t_push', 'SELECT * FROM orders WHERE dataset = ''main''', 'customer_id', 'ordered_at', 'amount')$$);
SELECT count(*) FILTER (WHERE g.monetary IS DISTINCT FROM e.monetary OR g.rfm_cell IS DISTINCT FROM e.rfm_cell)
           AS differs
  FROM mktdb.rfm_score('t_push_asof', $$SELECT * FROM orders WHERE dataset = 'main'$$, 'customer_id', 'ordered_at', 'amount',
                       as_of => '2023-09-30 12:00+00') g
  FULL JOIN got_asof e USING (customer_id);
RESET mktdb.pushdown;
SELECT a.metrics->>'path' AS path, b.metrics->>'path' AS local_path,
       (a.metrics - 'path' - 'citus_distributed_by') = (b.metrics - 'path') AS same_metrics
  FROM mktdb.models a, mktdb.models b WHERE a.name = 't_push_asof' AND b.name = 't_asof';
-- bigint and smallint ids
SELECT * FROM same_as_main5($$SELECT * FROM mktdb.rfm_score('t_types', 'SELECT customer_id::int8 AS c, ordered_at, amount FROM orders WHERE dataset = ''main''', 'c', 'ordered_at', 'amount')$$);
SELECT * FROM same_as_main5($$SELECT * FROM mktdb.rfm_score('t_types', 'SELECT customer_id::int2 AS c, ordered_at, amount FROM orders WHERE dataset = ''main''', 'c', 'ordered_at', 'amount')$$);
-- date and timestamptz dates
SELECT * FROM same_as_main5($$SELECT * FROM mktdb.rfm_score('t_types', 'SELECT customer_id, ordered_at::date AS d, amount FROM orders WHERE dataset = ''main''', 'customer_id', 'd', 'amount')$$);
SELECT * FROM same_as_main5($$SELECT * FROM mktdb.rfm_score('t_types', 'SELECT customer_id, ordered_at::timestamptz AS d, amount FROM orders WHERE dataset = ''main''', 'customer_id', 'd', 'amount')$$);
-- amounts as cents in integer/bigint/smallint-safe ranges, as float8 and real: same order, same scores
SELECT * FROM same_as_main5($$SELECT * FROM mktdb.rfm_score('t_types', 'SELECT customer_id, ordered_at, (amount * 100)::int AS a FROM orders WHERE dataset = ''main''', 'customer_id', 'ordered_at', 'a')$$);
SELECT * FROM same_as_main5($$SELECT * FROM mktdb.rfm_score('t_types', 'SELECT customer_id, ordered_at, (amount * 100)::int8 AS a FROM orders WHERE dataset = ''main''', 'customer_id', 'ordered_at', 'a')$$);
SELECT * FROM same_as_main5($$SELECT * FROM mktdb.rfm_score('t_types', 'SELECT customer_id, ordered_at, amount::float8 AS a FROM orders WHERE dataset = ''main''', 'customer_id', 'ordered_at', 'a')$$);
SELECT * FROM same_as_main5($$SELECT * FROM mktdb.rfm_score('t_types', 'SELECT customer_id, ordered_at, amount::real AS a FROM orders WHERE dataset = ''main''', 'customer_id', 'ordered_at', 'a')$$);
-- float amounts are summed exactly (after PostgreSQL's float8::numeric rounding), so 0.1 + 0.2 ties 0.3
SELECT customer_id, monetary, m FROM mktdb.rfm_score('t_types', $$SELECT customer_id, ordered_at, amount::float8 AS a FROM orders WHERE dataset = 'exact'$$,
                                                    'customer_id', 'ordered_at', 'a') ORDER BY 1;
-- a domain over numeric, a table source with a quoted name and quoted columns
CREATE DOMAIN money_amount AS numeric(12, 2);
CREATE TABLE "Order Lines" ("Customer" int, "Day" date, "Amount" money_amount);
INSERT INTO "Order Lines" SELECT customer_id, ordered_at::date, amount FROM orders WHERE dataset = 'main';
SELECT * FROM same_as_main5($$SELECT * FROM mktdb.rfm_score('t_types', '"Order Lines"', 'Customer', 'Day', 'Amount')$$);

-- ---------- beyond 128-bit fixed point: exact numeric arithmetic takes over ----------
-- a whale (1e30) and amounts with 20 decimals; scores must equal the exact SQL formula
CREATE TABLE big_orders AS
SELECT customer_id, ordered_at, amount + (CASE WHEN customer_id % 7 = 0 THEN 0.00000000000000000001 ELSE 0 END) AS amount
  FROM orders WHERE dataset = 'main' AND customer_id IS NOT NULL AND ordered_at IS NOT NULL
UNION ALL SELECT 999, '2023-06-01', 1e30;
CREATE TABLE got_big AS SELECT * FROM mktdb.rfm_score('t_big', 'big_orders', 'customer_id', 'ordered_at', 'amount');
WITH agg AS (SELECT customer_id::text AS customer_id,
                    (SELECT max(ordered_at)::date + 1 FROM big_orders) - max(ordered_at)::date AS rec,
                    count(*) AS freq, coalesce(sum(amount), 0) AS mon FROM big_orders GROUP BY 1),
     ref AS (SELECT *, ceil(5 * cume_dist() OVER (ORDER BY rec DESC))::int AS r,
                       ceil(5 * cume_dist() OVER (ORDER BY freq))::int AS f,
                       ceil(5 * cume_dist() OVER (ORDER BY mon))::int AS m FROM agg)
SELECT count(*) AS customers,
       count(*) FILTER (WHERE (g.recency_days, g.frequency, g.r, g.f, g.m) IS DISTINCT FROM (ref.rec, ref.freq, ref.r, ref.f, ref.m)) AS different,
       count(*) FILTER (WHERE g.monetary IS DISTINCT FROM ref.mon::float8) AS monetary_different
  FROM got_big g FULL JOIN ref USING (customer_id);
SELECT (SELECT max(o.ordered_at)::date FROM big_orders o) AS newest, metrics->>'arithmetic' AS arithmetic
  FROM mktdb.models WHERE name = 't_big';
SELECT threshold FROM mktdb.rfm_thresholds WHERE model = 't_big' AND measure = 'monetary' ORDER BY score;

-- amounts that fit 128 bits one by one but whose sums overflow them: the switch happens mid-scan
CREATE TABLE ovf_orders AS
SELECT c AS customer_id, '2023-01-01'::date + (i % 30) AS d,
       CASE WHEN c = 2 THEN 5 ELSE 99999999999999999999.99 END AS amount
  FROM generate_series(1, 4) c, generate_series(1, CASE c WHEN 1 THEN 300 WHEN 3 THEN 200 ELSE 1 END) i;
SELECT g.customer_id, g.frequency, g.monetary, g.monetary = s.mon::float8 AS monetary_exact, g.m
  FROM mktdb.rfm_score('t_ovf', 'ovf_orders', 'customer_id', 'd', 'amount') g
  JOIN (SELECT customer_id::text, sum(amount) AS mon FROM ovf_orders GROUP BY 1) s USING (customer_id)
 ORDER BY 1;
SELECT measure, array_agg(threshold ORDER BY score) FROM mktdb.rfm_thresholds WHERE model = 't_ovf' GROUP BY 1 ORDER BY 1;
SELECT metrics->>'arithmetic' AS arithmetic FROM mktdb.models WHERE name = 't_ovf';

-- ---------- parallel plans give the same result ----------
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
CREATE TABLE main_orders AS SELECT * FROM orders WHERE dataset = 'main';
ANALYZE main_orders;
EXPLAIN (COSTS OFF) SELECT customer_id, ordered_at::date, amount FROM main_orders;
SELECT * FROM same_as_main5($$SELECT * FROM mktdb.rfm_score('t_par', 'main_orders', 'customer_id', 'ordered_at', 'amount')$$);
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- ---------- rfm_of scores like rfm_score ----------
SELECT count(*) AS customers,
       count(*) FILTER (WHERE (o.r, o.f, o.m, o.rfm_cell, o.segment) IS DISTINCT FROM (g.r, g.f, g.m, g.rfm_cell, g.segment)) AS different
  FROM got_main5 g, LATERAL mktdb.rfm_of('t_main', g.recency_days, g.frequency, g.monetary) o;
SELECT count(*) AS customers,
       count(*) FILTER (WHERE (o.r, o.f, o.m, o.rfm_cell, o.segment) IS DISTINCT FROM (g.r, g.f, g.m, g.rfm_cell, g.segment)) AS different
  FROM got_main10 g, LATERAL mktdb.rfm_of('t_main10', g.recency_days, g.frequency, g.monetary) o;
SELECT count(*) AS customers,
       count(*) FILTER (WHERE (o.r, o.f, o.m, o.rfm_cell, o.segment) IS DISTINCT FROM (g.r, g.f, g.m, g.rfm_cell, g.segment)) AS different
  FROM got_exact g, LATERAL mktdb.rfm_of('t_exact', g.recency_days, g.frequency, g.monetary) o;
-- the thresholds, and values between and outside them
SELECT measure, score, threshold FROM mktdb.rfm_thresholds WHERE model = 't_main' ORDER BY measure, score;
WITH t AS (SELECT threshold::float8 AS v FROM mktdb.rfm_thresholds WHERE model = 't_main' AND measure = 'monetary' AND score = 3)
SELECT (SELECT m FROM mktdb.rfm_of('t_main', 1, 1, t.v)) AS at_threshold,
       (SELECT m FROM mktdb.rfm_of('t_main', 1, 1, t.v - 0.001)) AS just_below,
       (SELECT m FROM mktdb.rfm_of('t_main', 1, 1, t.v + 0.001)) AS just_above
  FROM t;
SELECT * FROM mktdb.rfm_of('t_main', -3, 0, -1e9);          -- newer than as_of, no orders, huge returns
SELECT * FROM mktdb.rfm_of('t_main', 100000, 1000000, 'Infinity');
SELECT * FROM mktdb.rfm_of('t_main', NULL, 3, 10);
SELECT * FROM mktdb.rfm_of('t_main10', 1, 1000, 1e9);

-- ---------- every cell of the grid ----------
-- model t_grid scores customer k as r = f = m = k, so rfm_of(6 - r, f, m) has scores (r, f, m)
SELECT measure, array_agg(threshold ORDER BY score) FROM mktdb.rfm_thresholds WHERE model = 't_grid' GROUP BY 1 ORDER BY 1;
SELECT count(*) AS combinations,
       count(*) FILTER (WHERE (o.r, o.f, o.m) IS DISTINCT FROM (g.r, g.f, g.m)) AS wrong_scores,
       count(*) FILTER (WHERE o.segment IS DISTINCT FROM g.segment) AS wrong_segment,
       count(DISTINCT (g.r, g.fm)) AS cells, count(DISTINCT o.segment) AS segments
  FROM grid g, LATERAL mktdb.rfm_of('t_grid', 6 - g.r, g.f, g.m) o;
-- the grid as documented (rows r, columns fm = round((f + m) / 2.0))
SELECT r, string_agg(segment, ' | ' ORDER BY fm) AS "fm = 1 .. 5"
  FROM (SELECT DISTINCT r, fm, segment FROM grid) g GROUP BY r ORDER BY r DESC;

-- ---------- views ----------
SELECT model, version, segment, customers, round(share::numeric, 4) AS share, round(avg_recency_days::numeric, 2) AS avg_recency_days,
       round(avg_frequency::numeric, 3) AS avg_frequency, round(avg_monetary::numeric, 2) AS avg_monetary
  FROM mktdb.rfm_segments WHERE model = 't_main' ORDER BY customers DESC, segment;
SELECT s.segment, s.customers = g.n AS matches_rows
  FROM mktdb.rfm_segments s JOIN (SELECT segment, count(*) AS n FROM got_main5 GROUP BY 1) g USING (segment)
 WHERE s.model = 't_main' ORDER BY 1;
SELECT sum(customers) AS customers, round(sum(share)::numeric, 12) AS share FROM mktdb.rfm_segments WHERE model = 't_main';

-- ---------- retrain ----------
CREATE TABLE rt_orders AS SELECT customer_id, ordered_at, amount FROM orders WHERE dataset = 'main';
SELECT count(*) FROM mktdb.rfm_score('t_rt', 'rt_orders', 'customer_id', 'ordered_at', 'amount', bins => 4);
SELECT spec FROM mktdb.model WHERE name = 't_rt';
-- the registered entry point replays the spec; its result is the summary row as jsonb
SELECT kind, retrain FROM mktdb.model_kind WHERE kind = 'rfm';
SELECT r - 'train_ms' AS result, jsonb_typeof(r->'train_ms') AS train_ms
  FROM mktdb.model m, LATERAL mktdb._rfm_retrain(m.name, m.spec) r WHERE m.name = 't_rt';
INSERT INTO rt_orders VALUES (5000, '2024-01-02 10:00', 99.99), (5001, '2024-01-03 10:00', 5);
-- through mktdb.retrain, as pg_cron would call it
SELECT r - 'train_ms' AS result FROM (SELECT result FROM mktdb.retrain('t_rt')) s(r);
SELECT version, n_rows, metrics->'customers' AS customers, metrics->'as_of' AS as_of, metrics->'bins' AS bins
  FROM mktdb.model_versions WHERE name = 't_rt' ORDER BY version;
SELECT * FROM mktdb.rfm_of('t_rt', 1, 1, 5);          -- scored by the newest version
-- a fixed as_of is replayed as given
SELECT count(*) FROM mktdb.rfm_score('t_rt_asof', 'rt_orders', 'customer_id', 'ordered_at', 'amount', as_of => '2023-09-30 12:00+00');
SELECT r - 'train_ms' AS result
  FROM mktdb.model m, LATERAL mktdb._rfm_retrain(m.name, m.spec) r WHERE m.name = 't_rt_asof';
SELECT version, metrics->'as_of' AS as_of, metrics->'customers' AS customers, spec->'as_of' AS spec_as_of
  FROM mktdb.model WHERE name = 't_rt_asof' ORDER BY version;

-- ---------- bad input: a clear error, nothing stored ----------
SELECT count(*) AS models_before FROM mktdb.model;
SELECT try($$SELECT * FROM mktdb.rfm_score('bad', 'orders', 'customer_id', 'ordered_at', 'amount', bins => 1)$$);
SELECT try($$SELECT * FROM mktdb.rfm_score('bad', 'orders', 'customer_id', 'ordered_at', 'amount', bins => 101)$$);
SELECT try($$SELECT * FROM mktdb.rfm_score('bad', 'orders', 'customer_id', 'ordered_at', 'amount', bins => NULL)$$);
SELECT try($$SELECT * FROM mktdb.rfm_score('bad', 'orders', 'no_such_column', 'ordered_at', 'amount')$$);
SELECT try($$SELECT * FROM mktdb.rfm_score('bad', 'orders', 'customer_id', 'no_such_column', 'amount')$$);
SELECT try($$SELECT * FROM mktdb.rfm_score('bad', 'orders', 'customer_id', 'dataset', 'amount')$$);
SELECT try($$SELECT * FROM mktdb.rfm_score('bad', 'orders', 'customer_id', 'ordered_at', 'dataset')$$);
SELECT try($$SELECT * FROM mktdb.rfm_score('bad', 'orders', 'customer_id', 'customer_id', 'amount')$$);
SELECT try($$SELECT * FROM mktdb.rfm_score('bad', 'no_such_table', 'customer_id', 'ordered_at', 'amount')$$);
SELECT try($$SELECT * FROM mktdb.rfm_score('bad', 'SELECT * FROM orders WHERE false', 'customer_id', 'ordered_at', 'amount')$$);
SELECT try($$SELECT * FROM mktdb.rfm_score('bad', 'SELECT * FROM orders WHERE customer_id IS NULL', 'customer_id', 'ordered_at', 'amount')$$);
SELECT try($$SELECT * FROM mktdb.rfm_score('bad', 'orders', 'customer_id', 'ordered_at', 'amount', as_of => '2022-06-01')$$);
SELECT try($$SELECT * FROM mktdb.rfm_score('bad', 'orders', 'customer_id', 'ordered_at', 'amount', as_of => 'infinity')$$);
SELECT try($$SELECT * FROM mktdb.rfm_score('bad', 'SELECT 1 AS c, now() AS d, ''NaN''::numeric AS a', 'c', 'd', 'a')$$);
SELECT try($$SELECT * FROM mktdb.rfm_score('bad', 'SELECT 1 AS c, now() AS d, ''Infinity''::float8 AS a', 'c', 'd', 'a')$$);
SELECT try($$SELECT * FROM mktdb.rfm_score('bad', 'SELECT 1 AS c, ''infinity''::date AS d, 1 AS a', 'c', 'd', 'a')$$);
SELECT try($$SELECT * FROM mktdb.rfm_score('', 'orders', 'customer_id', 'ordered_at', 'amount')$$);
SELECT try($$SELECT * FROM mktdb.rfm_score('a@b', 'orders', 'customer_id', 'ordered_at', 'amount')$$);
SELECT try($$SELECT * FROM mktdb.rfm_score(NULL, 'orders', 'customer_id', 'ordered_at', 'amount')$$);
SELECT try($$SELECT * FROM mktdb.rfm_score('bad', 'orders', NULL, 'ordered_at', 'amount')$$);
SELECT try($$SELECT * FROM mktdb.rfm_score('bad', 'orders', '', 'ordered_at', 'amount')$$);
SELECT try($$SELECT * FROM mktdb.rfm_of('no_such_model', 1, 1, 1)$$);
SELECT try($$SELECT * FROM mktdb.rfm_of(NULL, 1, 1, 1)$$);
SELECT try($$SELECT * FROM mktdb.rfm_of('t_main', 1, 1, 'NaN')$$);
SELECT count(*) AS models_after FROM mktdb.model;
-- a damaged model is refused, never a crash
UPDATE mktdb.model SET data = set_byte(data, 30, get_byte(data, 30) # 255) WHERE name = 't_single';
SELECT try($$SELECT * FROM mktdb.rfm_of('t_single', 1, 1, 1)$$) LIKE 'XX001%' OR
       try($$SELECT * FROM mktdb.rfm_of('t_single', 1, 1, 1)$$) LIKE '22P03%' AS refused;

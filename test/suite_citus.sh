#!/usr/bin/env bash
# suite_citus.sh -- mktdb on a Citus cluster (a coordinator and two workers on loopback
# ports MKTDB_CITUS_PORTS..+2, default 5580-5582): the same answers on distributed tables as
# on a local copy of the same rows, with the work done on the workers.  Data moved is
# measured as the rows the workers' shard queries returned (pg_stat_statements on the
# workers) and the bytes the coordinator's backend read (rchar of /proc/self/io).
# Citus (AGPL-3.0, a test tool) is built from ../shared/vendor once per clone (.citus/).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/citus_lib.sh"
ok() { if [ "$1" = "$2" ]; then echo "ok - citus: $3"; else echo "not ok - citus: $3 (got '$1', want '$2')"; fi; }

echo "1..26"   # the plan: a suite that dies early (no Citus, no cluster) prints fewer results and fails (test/tap.sh)
t0=$(date +%s)
if ! mk_citus_build; then echo "not ok - citus: build Citus from $MKTDB_CITUS_TARBALL"; exit 0; fi
echo "ok - citus: Citus built (or cached) in $(( $(date +%s) - t0 )) s (clean build: $(cat "$CITUS_BUILD/build_seconds" 2>/dev/null || echo '?') s)"
mk_build || { echo "not ok - citus: build mktdb"; exit 0; }
base=$(mk_cluster_dir citus)
mk_citus_stop "$base"; rm -rf "$base"
trap 'mk_citus_stop "$base"' EXIT
if ! mk_citus_start "$base" >/dev/null; then echo "not ok - citus: start a coordinator and two workers"; exit 0; fi
ok "$(psql -X -At -d mk -c "SELECT count(*) FROM pg_dist_node WHERE noderole = 'primary' AND shouldhaveshards")" 2 \
   "a coordinator and two workers, mktdb installed on every node"
P=$MKTDB_CITUS_PORTS
q() { psql -X -At -v ON_ERROR_STOP=1 -d mk -c "$1"; }

moved() { mk_citus_moved "$base" "$1" "$2" | cut -d' ' -f1,2; }

mk_psql -d mk >/dev/null <<'SQL' || echo "not ok - citus: load the test data"
SET client_min_messages = warning;
-- six groups in eight features; the same rows in a local and a distributed table
SELECT setseed(0.42);
CREATE TABLE pts_local AS
SELECT g AS id, c * 3 + random() AS f1, (c % 3) * 2 + random() AS f2, random() * 10 AS f3, c + 2 * random() AS f4,
       (c * 7 % 5) + random() AS f5, random() AS f6, (c % 2) * 5 + random() AS f7, 100 * c + 30 * random() AS f8
  FROM (SELECT g, (g * 7919) % 6 AS c FROM generate_series(1, 100000) g) s;
CREATE TABLE pts_dist (LIKE pts_local);
SELECT create_distributed_table('pts_dist', 'id');
INSERT INTO pts_dist SELECT * FROM pts_local;
-- orders of 4,000 customers, distributed by customer
CREATE TABLE orders_local AS
SELECT 1 + (g * 7919) % 4000 AS customer_id,
       date '2024-01-01' + ((g * 104729) % (365 + (g % 4000) / 10))::int AS order_date,
       round((5 + (g * 31337 % 20000) / 100.0 * (1 + g % 4000 % 7))::numeric, 2) AS amount
  FROM generate_series(1::bigint, 60000) g;
CREATE TABLE orders_dist (LIKE orders_local);
SELECT create_distributed_table('orders_dist', 'customer_id');
INSERT INTO orders_dist SELECT * FROM orders_local;
SQL
feats="'{f1,f2,f3,f4,f5,f6,f7,f8}'"

# ---------------------------------------------------------------- k-means
read -r kl_rows kl_bytes <<<"$(moved pts_dist "SELECT * FROM mktdb.kmeans_segment('km_local', 'pts_local', $feats, 6, n_init => 10)")"
read -r kd_rows kd_bytes <<<"$(moved pts_dist "SELECT * FROM mktdb.kmeans_segment('km_dist', 'pts_dist', $feats, 6, n_init => 10)")"
SET_OFF="SET mktdb.pushdown = 'never'"
read -r kr_rows kr_bytes <<<"$(moved pts_dist "$SET_OFF; SELECT * FROM mktdb.kmeans_segment('km_read', 'pts_dist', $feats, 6, n_init => 10)")"
ok "$(q "SELECT metrics->>'path' FROM mktdb.models WHERE name = 'km_local'")/$(q "SELECT metrics->>'path' || ':' || (metrics->>'citus_distributed_by') FROM mktdb.models WHERE name = 'km_dist'")" \
   "local/pushdown:id" "kmeans_segment detects the distributed source and says in metrics which path ran"
ok "$(q "SELECT abs(d.inertia / l.inertia - 1) < 1e-6 AND d.n_rows = l.n_rows AND d.sizes = l.sizes
           FROM (SELECT (metrics->>'inertia')::float8 AS inertia, n_rows, metrics->'sizes' AS sizes FROM mktdb.models WHERE name = 'km_local') l,
                (SELECT (metrics->>'inertia')::float8 AS inertia, n_rows, metrics->'sizes' AS sizes FROM mktdb.models WHERE name = 'km_dist') d")" t \
   "kmeans_segment on the distributed table: same inertia (1e-6), rows and segment sizes as on the local copy"
ok "$(q "SELECT bool_and(abs(a.centroid[i] - b.centroid[i]) < 1e-6 * (1 + abs(b.centroid[i])))
           FROM mktdb.kmeans_centroids a JOIN mktdb.kmeans_centroids b USING (segment), generate_subscripts(a.centroid, 1) i
          WHERE a.model = 'km_dist' AND b.model = 'km_local'")" t "the same centroids (1e-6 relative)"
ok "$(q "SELECT mktdb.segment_of('km_dist', ARRAY[1.5, 2.5, 5, 1, 1.5, 0.5, 5.5, 115]) = mktdb.segment_of('km_local', ARRAY[1.5, 2.5, 5, 1, 1.5, 0.5, 5.5, 115])")" t \
   "segment_of on the coordinator reads the model trained on the shards"
echo "# k-means 100,000 x 8: rows / bytes the workers sent: read here ${kr_rows} / ${kr_bytes}, pushed down ${kd_rows} / ${kd_bytes}"
ok "$([ "$kr_rows" -ge 100000 ] && [ "$kd_rows" -lt 10000 ] && [ "$kd_bytes" -lt $((kr_bytes / 4)) ] && echo bounded)" bounded \
   "kmeans_segment ships a sample and k x d sums per pass, not the rows (${kd_rows} rows, ${kd_bytes} bytes vs ${kr_rows}, ${kr_bytes})"

read -r al_rows al_bytes <<<"$(moved pts_dist "CREATE TABLE agg_local AS SELECT mktdb.kmeans_fit(ARRAY[f1,f2,f3,f4,f5,f6,f7,f8], 6, 'zscore', 10, 300, 1e-4, 0) AS m FROM pts_local")"
read -r ad_rows ad_bytes <<<"$(moved pts_dist "CREATE TABLE agg_dist AS SELECT mktdb.kmeans_fit(ARRAY[f1,f2,f3,f4,f5,f6,f7,f8], 6, 'zscore', 10, 300, 1e-4, 0) AS m FROM pts_dist")"
echo "# kmeans_fit aggregate: ${ad_rows} partial states, ${ad_bytes} bytes sent by the workers"
ok "$(q "SELECT abs((mktdb.kmeans_info(d.m)->>'inertia')::float8 / (SELECT inertia FROM mktdb.models, LATERAL (SELECT (metrics->>'inertia')::float8) i(inertia) WHERE name = 'km_local') - 1) < 1e-3
           FROM agg_dist d")" t "kmeans_fit on the distributed table: inertia within 0.1% of the local fit"
ok "$([ "$ad_rows" -le 64 ] && [ "$ad_bytes" -lt 2000000 ] && echo bounded)" bounded \
   "kmeans_fit partial states are bounded by k and d (${ad_rows} states, ${ad_bytes} bytes for 100,000 rows)"

# ---------------------------------------------------------------- RFM
read -r rl_rows rl_bytes <<<"$(moved orders_dist "$SET_OFF; CREATE TABLE rfm_read AS SELECT * FROM mktdb.rfm_score('rfm_read', 'orders_dist', 'customer_id', 'order_date', 'amount')")"
read -r rd_rows rd_bytes <<<"$(moved orders_dist "CREATE TABLE rfm_dist AS SELECT * FROM mktdb.rfm_score('rfm_dist', 'orders_dist', 'customer_id', 'order_date', 'amount')")"
q "CREATE TABLE rfm_local AS SELECT * FROM mktdb.rfm_score('rfm_local', 'orders_local', 'customer_id', 'order_date', 'amount')" >/dev/null
ok "$(q "SELECT count(*) || ':' || count(*) FILTER (WHERE (l.recency_days, l.frequency, l.monetary, l.rfm_cell, l.segment)
                                                        IS DISTINCT FROM (d.recency_days, d.frequency, d.monetary, d.rfm_cell, d.segment))
           FROM rfm_local l FULL JOIN rfm_dist d USING (customer_id)")" "4000:0" \
   "rfm_score on the table distributed by customer: every customer's row equals the local copy's"
ok "$(q "SELECT metrics->>'path' || ':' || (metrics->>'citus_distributed_by') FROM mktdb.models WHERE name = 'rfm_dist'")" "pushdown:customer_id" \
   "rfm_score says in metrics that the per-customer summaries were computed on the workers"
echo "# RFM 60,000 orders of 4,000 customers: rows / bytes the workers sent: read here ${rl_rows} / ${rl_bytes}, pushed down ${rd_rows} / ${rd_bytes}"
ok "$([ "$rl_rows" -ge 60000 ] && [ "$rd_rows" -le 4010 ] && [ "$rd_bytes" -lt $((rl_bytes / 4)) ] && echo per-customer)" per-customer \
   "rfm_score ships one row per customer, not the orders (${rd_rows} rows, ${rd_bytes} bytes vs ${rl_rows}, ${rl_bytes})"

# ---------------------------------------------------------------- grouped forecasts
mk_psql -d mk >/dev/null <<'SQL' || echo "not ok - citus: load the sales series"
SET client_min_messages = warning;
-- 24 SKUs x 48 months of seasonal demand, distributed by SKU
CREATE TABLE sales_local AS
SELECT sku, (date '2021-01-01' + make_interval(months => m))::date AS month,
       round((100 + sku * 3 + m * (sku % 4) + 20 * sin(2 * pi() * m / 12 + sku)
              + 8 * sin(m * 1.7 + sku * 0.3))::numeric, 1) AS units
  FROM generate_series(1, 24) sku, generate_series(0, 47) m;
CREATE TABLE sales_dist (LIKE sales_local);
SELECT create_distributed_table('sales_dist', 'sku');
INSERT INTO sales_dist SELECT * FROM sales_local;
SQL
read -r fr_rows fr_bytes <<<"$(moved sales_dist "$SET_OFF; CREATE TABLE fc_read AS SELECT * FROM mktdb.arima_forecast('fc_read', 'sales_dist', 'month', 'units', '{sku}', horizon => 6)")"
read -r fd_rows fd_bytes <<<"$(moved sales_dist "CREATE TABLE fc_dist AS SELECT * FROM mktdb.arima_forecast('fc_dist', 'sales_dist', 'month', 'units', '{sku}', horizon => 6)")"
q "CREATE TABLE fc_local AS SELECT * FROM mktdb.arima_forecast('fc_local', 'sales_local', 'month', 'units', '{sku}', horizon => 6)" >/dev/null
ok "$(q "SELECT count(*) || ':' || count(*) FILTER (WHERE l.ts IS DISTINCT FROM d.ts OR abs(l.forecast - d.forecast) > 1e-9 * (1 + abs(l.forecast))
                                                        OR abs(l.hi_95 - d.hi_95) > 1e-9 * (1 + abs(l.hi_95)))
           FROM fc_local l FULL JOIN fc_dist d USING (series, step)")" "144:0" \
   "grouped arima_forecast on the table distributed by SKU: the same 144 forecasts and intervals as the local copy"
ok "$(q "SELECT count(*) FILTER (WHERE (l.p, l.d, l.q, l.sp, l.sd, l.sq, l.coef::text) IS DISTINCT FROM (d.p, d.d, d.q, d.sp, d.sd, d.sq, d.coef::text))
           FROM mktdb.arima_models l JOIN mktdb.arima_models d USING (series) WHERE l.model = 'fc_local' AND d.model = 'fc_dist'")" 0 \
   "the same orders and coefficients per series, stored as one model version on the coordinator"
ok "$(q "SELECT metrics->>'path' || ':' || (metrics->>'citus_distributed_by') || ':' || n_rows FROM mktdb.models WHERE name = 'fc_dist'")" "pushdown:sku:1152" \
   "arima_forecast says in metrics that the workers fitted their own series"
echo "# ARIMA 24 series x 48 months: rows / bytes the workers sent: read here ${fr_rows} / ${fr_bytes}, fitted on the workers ${fd_rows} / ${fd_bytes}"
ok "$([ "$fr_rows" -ge 1152 ] && [ "$fd_rows" -le 40 ] && echo fits)" fits \
   "grouped arima_forecast ships one model per shard (${fd_rows} rows, ${fd_bytes} bytes), not the rows (${fr_rows}, ${fr_bytes})"
q "SELECT mktdb.retrain('fc_dist')" >/dev/null
ok "$(q "SELECT version || ':' || (metrics->>'path') FROM mktdb.models WHERE name = 'fc_dist'")" "2:pushdown" "retrain replays the grouped forecast on the workers"

# ---------------------------------------------------------------- campaign evaluation: ab_moments per shard
mk_psql -d mk >/dev/null <<'SQL' || echo "not ok - citus: load the experiment"
SET client_min_messages = warning;
-- 120,000 users in three arms over 14 days, distributed by user
SELECT setseed(0.17);
CREATE TABLE exp_local AS
SELECT g AS user_id, (ARRAY['control', 'email', 'coupon'])[1 + (g * 7919) % 3] AS variant,
       date '2024-03-01' + ((g * 104729) % 14)::int AS day, pre,
       round((0.7 * pre + 30 * random() + 0.4 * ((g * 7919) % 3))::numeric, 2) AS spend,
       (random() < 0.10 + 0.004 * ((g * 7919) % 3))::int AS converted
  FROM (SELECT g::bigint, round((20 + 40 * random())::numeric, 2) AS pre FROM generate_series(1, 120000) g) s;
CREATE TABLE exp_dist (LIKE exp_local);
SELECT create_distributed_table('exp_dist', 'user_id');
INSERT INTO exp_dist SELECT * FROM exp_local;
-- |a - b| within tol relative to |a| + scale (scale: the magnitude of the sums a difference is taken of)
CREATE FUNCTION near(a float8, b float8, tol float8, scale float8 DEFAULT 0) RETURNS bool LANGUAGE sql IMMUTABLE AS
  $$ SELECT a IS NOT DISTINCT FROM b OR abs(a - b) <= tol * (greatest(abs(a), abs(b)) + scale) $$;
SQL
read -r xr_rows xr_bytes <<<"$(moved exp_dist "SELECT variant, spend, pre FROM exp_dist")"
read -r xd_rows xd_bytes <<<"$(moved exp_dist "SELECT * FROM mktdb.ab_test('exp_dist', 'variant', 'spend', covariate_column => 'pre')")"
read -r xp_rows xp_bytes <<<"$(moved exp_dist "SELECT * FROM mktdb.ab_test('exp_dist', 'variant', 'converted')")"
read -r xs_rows xs_bytes <<<"$(moved exp_dist "SELECT * FROM mktdb.ab_sequential('exp_dist', 'variant', 'spend', 'day')")"
ok "$(mk_citus_workers "SELECT count(*) FROM pg_stat_statements WHERE query LIKE '%worker_partial_agg%ab_moments%exp\\_dist\\_1%'" |
      awk '{s += $1} END {print (s > 0) ? "partial" : "rows"}')" partial \
   "ab_test's aggregate runs on the shards (worker_partial_agg of mktdb.ab_moments in the workers' statements)"
ok "$(q "SELECT bool_and(l.m[i] = d.m[i] OR near(l.m[i], d.m[i], 1e-12))
           FROM (SELECT variant, mktdb.ab_moments(spend::float8, pre::float8) m FROM exp_local GROUP BY 1) l
           JOIN (SELECT variant, mktdb.ab_moments(spend::float8, pre::float8) m FROM exp_dist GROUP BY 1) d USING (variant),
                generate_subscripts(l.m, 1) i")" t \
   "ab_moments: the per-shard partial states combine into the local one-pass moments (1e-12 relative)"
for a in "'spend'" "'spend', covariate_column => 'pre'" "'converted'"; do
    ok "$(q "WITH l AS (SELECT * FROM mktdb.ab_test('exp_local', 'variant', $a)),
                  d AS (SELECT * FROM mktdb.ab_test('exp_dist', 'variant', $a)),
                  s AS (SELECT abs(mean) AS scale FROM l WHERE variant = 'control')
             SELECT count(*) || ':' || count(*) FILTER (WHERE NOT (l.n = d.n AND l.test = d.test
                      AND near(l.mean, d.mean, 1e-12) AND near(l.sd, d.sd, 1e-12) AND near(l.srm_p_value, d.srm_p_value, 1e-12)
                      AND near(l.diff, d.diff, 1e-12, scale) AND near(l.ci_lo, d.ci_lo, 1e-12, scale)
                      AND near(l.ci_hi, d.ci_hi, 1e-12, scale) AND near(l.rel_lift, d.rel_lift, 1e-12, 1)
                      AND near(l.p_value, d.p_value, 1e-9) AND near(l.p_adjusted, d.p_adjusted, 1e-9)))
               FROM l JOIN d USING (variant), s")" "3:0" \
       "ab_test($a) on the distributed table equals the local copy (moments 1e-12, differences 1e-12 of the control mean, p 1e-9)"
done
ok "$(q "SELECT count(*) || ':' || count(*) FILTER (WHERE NOT (l.n = d.n AND near(l.diff, d.diff, 1e-12, 50)
                 AND near(l.ci_lo, d.ci_lo, 1e-12, 50) AND near(l.ci_hi, d.ci_hi, 1e-12, 50) AND near(l.p_value, d.p_value, 1e-9)))
           FROM mktdb.ab_sequential('exp_local', 'variant', 'spend', 'day') l
           JOIN mktdb.ab_sequential('exp_dist', 'variant', 'spend', 'day') d USING (variant, ts)")" "42:0" \
   "ab_sequential on the distributed table: the same 14 daily looks per arm as the local copy"
echo "# ab_test 120,000 users x 3 arms: rows / bytes the workers sent: the rows themselves ${xr_rows} / ${xr_bytes}; ab_test with CUPED ${xd_rows} / ${xd_bytes}, 0/1 metric ${xp_rows} / ${xp_bytes}; ab_sequential (14 days) ${xs_rows} / ${xs_bytes}"
ok "$([ "$xr_rows" -ge 120000 ] && [ "$xd_rows" -le 24 ] && [ "$xp_rows" -le 24 ] && [ "$xs_rows" -le 336 ] &&
      [ "$xd_bytes" -lt 100000 ] && [ "$xs_bytes" -lt 200000 ] && echo states)" states \
   "ab_test ships one moments state per shard and variant (${xd_rows} rows, ${xd_bytes} bytes), ab_sequential one per day too (${xs_rows}), not the rows (${xr_rows}, ${xr_bytes})"

# ---------------------------------------------------------------- recommendations and customer value: read through the coordinator
# (the same size as the RFM orders: 60,000 rows of 4,000 customers, distributed by customer)
mk_psql -d mk >/dev/null <<'SQL' || echo "not ok - citus: load the interactions"
SET client_min_messages = warning;
CREATE TABLE clicks_local AS
SELECT 1 + (g * 7919) % 4000 AS user_id, 1 + (g * 104729 + g / 7) % 500 AS item_id FROM generate_series(1::bigint, 60000) g;
CREATE TABLE clicks_dist (LIKE clicks_local);
SELECT create_distributed_table('clicks_dist', 'user_id');
INSERT INTO clicks_dist SELECT * FROM clicks_local;
SQL
read -r cr_rows cr_bytes <<<"$(moved clicks_dist "SELECT * FROM mktdb.recommend_train('rec_dist', 'clicks_dist', 'user_id', 'item_id', factors => 8, iterations => 3)")"
q "SELECT * FROM mktdb.recommend_train('rec_local', 'clicks_local', 'user_id', 'item_id', factors => 8, iterations => 3)" >/dev/null
echo "# recommend_train 60,000 interactions of 4,000 users: reads through the coordinator: ${cr_rows} rows / ${cr_bytes} bytes"
ok "$(q "SELECT (SELECT array_agg(item_id ORDER BY rank) FROM mktdb.recommend_for('rec_dist', 7::bigint, 5))
             = (SELECT array_agg(item_id ORDER BY rank) FROM mktdb.recommend_for('rec_local', 7::bigint, 5))")" t \
   "recommend_train on a distributed table reads every interaction (${cr_rows} rows) and gives the local model's recommendations"
mk_psql -d mk >/dev/null <<'SQL' || echo "not ok - citus: load the purchases"
SET client_min_messages = warning;
-- purchases of 4,000 customers as BG/NBD assumes them (Poisson buying, dropping out after a purchase), distributed by customer
SELECT setseed(0.23);
CREATE TABLE buys_local AS
WITH c AS (SELECT c AS customer_id, -ln(1 - random()) * 0.27 - ln(1 - random()) * 0.27 AS lam,
                  1 - (1 - random()) ^ (1 / 12.0) AS p FROM generate_series(1, 4000) c),
     j AS (SELECT customer_id, j, CASE WHEN j = 1 THEN 0 ELSE -ln(1 - random()) / lam END AS gap,
                  (random() < p)::int AS dropped FROM c, generate_series(1, 120) j),
     w AS (SELECT customer_id, sum(gap) OVER o AS wk,
                  coalesce(sum(dropped) OVER (o ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS gone
             FROM j WINDOW o AS (PARTITION BY customer_id ORDER BY j))
SELECT customer_id, date '2024-01-01' + (customer_id % 60) + floor(wk * 7)::int AS order_date,
       round((10 + 40 * random() * (1 + customer_id % 5))::numeric, 2) AS amount
  FROM w WHERE gone = 0 AND wk < 78;
CREATE TABLE buys_dist (LIKE buys_local);
SELECT create_distributed_table('buys_dist', 'customer_id');
INSERT INTO buys_dist SELECT * FROM buys_local;
SQL
CLV="'customer_id', 'order_date', 'amount', calibration_end => '2024-12-31'"
read -r vr_rows vr_bytes <<<"$(moved buys_dist "SELECT * FROM mktdb.clv_train('clv_dist', 'buys_dist', $CLV)")"
q "SELECT * FROM mktdb.clv_train('clv_local', 'buys_local', $CLV)" >/dev/null
echo "# clv_train $(q "SELECT count(*) FROM buys_local") purchases of 4,000 customers: reads through the coordinator: ${vr_rows} rows / ${vr_bytes} bytes"
ok "$(q "SELECT count(*) || ':' || count(*) FILTER (WHERE (l.frequency, l.recency, l.t, l.monetary) IS DISTINCT FROM (d.frequency, d.recency, d.t, d.monetary)
                                                        OR abs(l.clv - d.clv) > 1e-9 * abs(l.clv) OR abs(l.p_alive - d.p_alive) > 1e-9)
           FROM mktdb.customer_value('clv_local') l FULL JOIN mktdb.customer_value('clv_dist') d USING (customer_id)")" "4000:0" \
   "clv_train on a distributed table reads every purchase (${vr_rows} rows): the same customer summaries, P(alive) and values (1e-9) as the local model"

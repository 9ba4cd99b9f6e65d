#!/usr/bin/env bash
# test/bench/citus_bench.sh -- mktdb on a 3-node Citus cluster on localhost (a coordinator and
# two workers, test/citus_lib.sh) against a single node, one run each:
#   RFM on ORDERS orders of CUSTOMERS customers (table distributed by customer_id), and
#   k-means (k = 8) on KM_ROWS rows x 8 features (table distributed by id), and
#   ab_test with CUPED on AB_ROWS users in 3 arms (table distributed by user):
#     single node   the same rows in a local table on the coordinator
#     read through  the distributed table, every row read by the coordinator (mktdb.pushdown = never;
#                   for ab_test, which always aggregates on the shards: the rows themselves, as an
#                   export to R or Python would read them)
#     pushed down   the distributed table, the work done on the workers (the default)
# Prints wall seconds, rows the workers returned and bytes the workers sent (counted by the
# relays the workers are registered through), and checks that the answers agree.
# Not a timed test: run it by hand.  ORDERS, CUSTOMERS, KM_ROWS, AB_ROWS override the sizes,
# PARTS (default "rfm km ab") picks the parts;
# MKTDB_CITUS_PORTS the five ports (default 5580-5584).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../citus_lib.sh"
cd "$MKTDB_ROOT"

ORDERS=${ORDERS:-10000000}
CUSTOMERS=${CUSTOMERS:-1000000}
KM_ROWS=${KM_ROWS:-10000000}
AB_ROWS=${AB_ROWS:-10000000}
PARTS=${PARTS:-rfm km ab}
has() { [[ " $PARTS " == *" $1 "* ]]; }

mk_build
mk_citus_build
base=$(mk_cluster_dir citus-bench)
mk_citus_stop "$base"; rm -rf "$base"
trap 'mk_citus_stop "$base"' EXIT
mk_citus_start "$base"

has rfm || ORDERS=0
has km || KM_ROWS=0
has ab || AB_ROWS=0
mk_log "generating $ORDERS orders of $CUSTOMERS customers, $KM_ROWS points of 8 features and $AB_ROWS users in 3 arms"
mk_psql -d mk <<SQL
SET client_min_messages = warning;
SELECT setseed(0.42);
CREATE TABLE orders_local AS
SELECT (1 + floor(random() * $CUSTOMERS))::int AS customer_id,
       date '2022-01-01' + floor(random() * 730)::int AS order_date,
       round((random() * 200 - 5)::numeric, 2) AS amount
  FROM generate_series(1, $ORDERS);
CREATE TABLE orders_dist (LIKE orders_local);
SELECT create_distributed_table('orders_dist', 'customer_id');
INSERT INTO orders_dist SELECT * FROM orders_local;
CREATE TABLE pts_local AS
SELECT g AS id, c * 3 + random() AS f1, (c % 3) * 2 + random() AS f2, random() * 10 AS f3, c + 2 * random() AS f4,
       (c * 7 % 5) + random() AS f5, random() AS f6, (c % 2) * 5 + random() AS f7, 100 * c + 30 * random() AS f8
  FROM (SELECT g, (g * 7919) % 8 AS c FROM generate_series(1::bigint, $KM_ROWS) g) s;
CREATE TABLE pts_dist (LIKE pts_local);
SELECT create_distributed_table('pts_dist', 'id');
INSERT INTO pts_dist SELECT * FROM pts_local;
CREATE TABLE exp_local AS
SELECT g AS user_id, (ARRAY['control', 'email', 'coupon'])[1 + (g * 7919) % 3] AS variant, pre,
       round((0.7 * pre + 30 * random() + 0.05 * ((g * 7919) % 3))::numeric, 2)::float8 AS spend
  FROM (SELECT g, round((20 + 40 * random())::numeric, 2)::float8 AS pre FROM generate_series(1::bigint, $AB_ROWS) g) s;
CREATE TABLE exp_dist (LIKE exp_local);
SELECT create_distributed_table('exp_dist', 'user_id');
INSERT INTO exp_dist SELECT * FROM exp_local;
VACUUM ANALYZE orders_local, orders_dist, pts_local, pts_dist, exp_local, exp_dist;
SQL
# warm the caches once
mk_psql -d mk -c "SELECT count(*) FROM orders_local" -c "SELECT count(*) FROM orders_dist" \
        -c "SELECT count(*) FROM pts_local" -c "SELECT count(*) FROM pts_dist" \
        -c "SELECT count(*) FROM exp_local" -c "SELECT count(*) FROM exp_dist" >/dev/null

OFF="SET mktdb.pushdown = 'never';"
F="'{f1,f2,f3,f4,f5,f6,f7,f8}'"
declare -A R
run() {  # run NAME TABLE SQL
    mk_log "$1"
    R[$1]=$(mk_citus_moved "$base" "$2" "$3")
}
# part NAME TABLE SINGLE READ PUSH: the three runs of a part (NAME_single, NAME_read, NAME_push)
runs=()
part() {
    has "$1" || return 0
    runs+=("$1_single" "$1_read" "$1_push")
    run "$1_single" "$2" "$3"; run "$1_read" "$2" "$4"; run "$1_push" "$2" "$5"
}
RFM="'customer_id', 'order_date', 'amount'"
AB="'variant', 'spend', covariate_column => 'pre'"
part rfm orders_dist "CREATE TABLE rfm_single AS SELECT * FROM mktdb.rfm_score('rfm_single', 'orders_local', $RFM)" \
    "$OFF CREATE TABLE rfm_read AS SELECT * FROM mktdb.rfm_score('rfm_read', 'orders_dist', $RFM)" \
    "CREATE TABLE rfm_push AS SELECT * FROM mktdb.rfm_score('rfm_push', 'orders_dist', $RFM)"
part km pts_dist "SELECT * FROM mktdb.kmeans_segment('km_single', 'pts_local', $F, 8)" \
    "$OFF SELECT * FROM mktdb.kmeans_segment('km_read', 'pts_dist', $F, 8)" \
    "SELECT * FROM mktdb.kmeans_segment('km_push', 'pts_dist', $F, 8)"
part ab exp_dist "CREATE TABLE ab_single AS SELECT * FROM mktdb.ab_test('exp_local', $AB)" \
    "COPY (SELECT variant, spend, pre FROM exp_dist) TO '/dev/null'" \
    "CREATE TABLE ab_push AS SELECT * FROM mktdb.ab_test('exp_dist', $AB)"

if has rfm; then
rfm_same=$(psql -X -At -d mk -c "SELECT count(*) FILTER (WHERE (a.recency_days, a.frequency, a.monetary, a.rfm_cell)
                                   IS DISTINCT FROM (b.recency_days, b.frequency, b.monetary, b.rfm_cell))
                                  FROM rfm_single a FULL JOIN rfm_push b USING (customer_id)")
fi
if has km; then
km_ratio=$(psql -X -At -d mk -c "SELECT round(((SELECT (metrics->>'inertia')::numeric FROM mktdb.models WHERE name = 'km_push')
                                   / (SELECT (metrics->>'inertia')::numeric FROM mktdb.models WHERE name = 'km_single')), 6)")
km_info=$(psql -X -At -d mk -c "SELECT metrics->>'iterations' || ' Lloyd passes, ' || (metrics->>'passes') || ' queries, sample ' || (metrics->>'sample_rows')
                                  FROM mktdb.models WHERE name = 'km_push'")
fi
if has ab; then
ab_diff=$(psql -X -At -d mk -c "SELECT to_char(max(abs(a.p_value - b.p_value) / b.p_value), '9.9EEEE') || ' (p-values ' || string_agg(to_char(b.p_value, '9.99EEEE'), ', ') || ')'
                                  FROM ab_single a JOIN ab_push b USING (variant) WHERE b.p_value > 0")
fi

echo
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB; shared with other work during the run"
printf '%-34s %10s %14s %16s\n' "run" "seconds" "rows shipped" "bytes shipped"
for k in "${runs[@]}"; do
    read -r rows bytes ms <<<"${R[$k]}"
    printf '%-34s %10.1f %14s %16s\n' "$k" "$(echo "$ms / 1000" | bc -l)" "$rows" "$bytes"
done
has rfm && echo "RFM ($ORDERS orders, $CUSTOMERS customers): customers whose row differs, single node vs pushed down: $rfm_same"
has km && echo "k-means ($KM_ROWS x 8, k = 8): pushed-down inertia / single-node inertia = $km_ratio ($km_info)"
has ab && echo "ab_test with CUPED ($AB_ROWS users, 3 arms): largest relative p-value difference, single node vs pushed down: $ab_diff"
exit 0

#!/usr/bin/env bash
# test/bench/rfm_bench.sh -- RFM on 10,000,000 orders of 1,000,000 customers, one run each:
#   1. mktdb.rfm_score (scores every customer and stores the thresholds as a model)
#   2. the plain SQL a good analyst writes: GROUP BY + cume_dist() windows + a CASE for the grid
#   3. pandas after exporting the orders with COPY (export and pandas timed together and apart)
# Prints the times and the ratios, and checks that 1 and 2 agree on every customer.
# Not a timed test: run it by hand.  ORDERS / CUSTOMERS override the sizes.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
cd "$MKTDB_ROOT"

ORDERS=${ORDERS:-10000000}
CUSTOMERS=${CUSTOMERS:-1000000}
dir=$MKTDB_ROOT/.cluster/bench
db=rfm_bench
csv=/tmp/mktdb_rfm_bench_$$.csv
trap 'rm -f "$csv"' EXIT

mk_build
mk_cluster_start "$dir" "${MKTDB_BENCH_PORT:-5497}"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
mk_psql -d $db -c "CREATE EXTENSION mktdb"

mk_log "generating $ORDERS orders over $CUSTOMERS customers"
mk_psql -d $db <<SQL
SELECT setseed(0.42);
CREATE TABLE orders AS
SELECT (1 + floor(random() * $CUSTOMERS))::int AS customer_id,
       date '2022-01-01' + floor(random() * 730)::int AS order_date,
       round((random() * 200 - 5)::numeric, 2) AS amount
  FROM generate_series(1, $ORDERS);
VACUUM ANALYZE orders;
SQL

now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l; }

# warm the cache once: every contender then reads a table in memory
mk_psql -d $db -c "SELECT count(*) FROM orders" >/dev/null

mk_log "mktdb.rfm_score"
t0=$(now)
mk_psql -d $db -c "CREATE TABLE got AS SELECT * FROM mktdb.rfm_score('bench', 'orders', 'customer_id', 'order_date', 'amount')"
t_mktdb=$(secs "$t0" "$(now)")

mk_log "plain SQL (GROUP BY + cume_dist windows)"
t0=$(now)
mk_psql -d $db <<'SQL'
CREATE TABLE plain AS
WITH agg AS (
    SELECT customer_id, max(order_date) AS last_order, count(*) AS frequency, sum(amount) AS monetary
      FROM orders GROUP BY customer_id
), asof AS (SELECT max(last_order) + 1 AS d FROM agg),
scored AS (
    SELECT agg.*, asof.d - last_order AS recency_days,
           ceil(5 * cume_dist() OVER (ORDER BY asof.d - last_order DESC))::int AS r,
           ceil(5 * cume_dist() OVER (ORDER BY frequency))::int AS f,
           ceil(5 * cume_dist() OVER (ORDER BY monetary))::int AS m
      FROM agg, asof
), fm AS (SELECT *, round((f + m) / 2.0)::int AS fm FROM scored)
SELECT customer_id::text, recency_days, frequency, monetary::float8, r, f, m, r::text || f || m AS rfm_cell,
       CASE
           WHEN r <= 2 AND fm <= 2 THEN CASE WHEN r = 1 THEN 'Lost' ELSE 'Hibernating' END
           WHEN r <= 2 AND fm <= 4 THEN 'At Risk'
           WHEN r <= 2 THEN 'Can''t Lose Them'
           WHEN r = 3 AND fm <= 2 THEN 'About To Sleep'
           WHEN r = 3 AND fm = 3 THEN 'Need Attention'
           WHEN fm >= 4 AND r <= 4 THEN 'Loyal Customers'
           WHEN fm >= 4 THEN 'Champions'
           WHEN fm = 1 AND r = 4 THEN 'Promising'
           WHEN fm = 1 THEN 'New Customers'
           ELSE 'Potential Loyalist'
       END AS segment
  FROM fm;
SQL
t_sql=$(secs "$t0" "$(now)")

mk_log "for scale: the GROUP BY alone (aggregates, no scores)"
t0=$(now)
mk_psql -d $db -c "CREATE TABLE agg_only AS SELECT customer_id, max(order_date), count(*), sum(amount) FROM orders GROUP BY customer_id"
t_agg=$(secs "$t0" "$(now)")

mk_log "pandas after COPY export"
t0=$(now)
psql -X -q -d $db -c "\\copy orders TO '$csv' WITH (FORMAT csv, HEADER true)"
t_export=$(secs "$t0" "$(now)")
t_pandas=$(/usr/bin/python3 - "$csv" <<'PY'
import sys, time
import numpy as np
import pandas as pd
t0 = time.time()
o = pd.read_csv(sys.argv[1], parse_dates=["order_date"])
g = o.groupby("customer_id").agg(last=("order_date", "max"), frequency=("order_date", "size"),
                                 monetary=("amount", "sum"))
as_of = g["last"].max() + pd.Timedelta(days=1)
g["recency_days"] = (as_of - g["last"]).dt.days
n = len(g)
g["r"] = np.ceil(5 * g["recency_days"].rank(method="max", ascending=False) / n).astype(int)
g["f"] = np.ceil(5 * g["frequency"].rank(method="max") / n).astype(int)
g["m"] = np.ceil(5 * g["monetary"].rank(method="max") / n).astype(int)
fm = np.floor((g["f"] + g["m"]) / 2 + 0.5).astype(int)
grid = np.array([["Lost", "Lost", "At Risk", "At Risk", "Can't Lose Them"],
                 ["Hibernating", "Hibernating", "At Risk", "At Risk", "Can't Lose Them"],
                 ["About To Sleep", "About To Sleep", "Need Attention", "Loyal Customers", "Loyal Customers"],
                 ["Promising", "Potential Loyalist", "Potential Loyalist", "Loyal Customers", "Loyal Customers"],
                 ["New Customers", "Potential Loyalist", "Potential Loyalist", "Champions", "Champions"]])
g["segment"] = grid[g["r"].values - 1, fm.values - 1]
g["rfm_cell"] = g["r"].astype(str) + g["f"].astype(str) + g["m"].astype(str)
print(f"{time.time() - t0:.3f}")
PY
)
t_pd_total=$(echo "$t_export + $t_pandas" | bc -l)

mk_log "checking that mktdb and the plain SQL agree"
read -r n_cust n_diff < <(psql -X -A -t -F ' ' -d $db -c "
    SELECT count(*), count(*) FILTER (WHERE (g.recency_days, g.frequency, g.monetary, g.r, g.f, g.m, g.rfm_cell, g.segment)
                                            IS DISTINCT FROM (p.recency_days, p.frequency, p.monetary, p.r, p.f, p.m, p.rfm_cell, p.segment))
      FROM got g FULL JOIN plain p USING (customer_id)")

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
printf '\nRFM benchmark: %s orders, %s customers scored; %s cores (%s), PostgreSQL %s, default planner settings\n' \
    "$ORDERS" "$n_cust" "$(nproc)" "$cpu" "$(psql -X -A -t -d $db -c 'SHOW server_version')"
printf '  %-44s %8.2f s\n' "mktdb.rfm_score (incl. storing the model)" "$t_mktdb"
printf '  %-44s %8.2f s\n' "plain SQL: GROUP BY + cume_dist windows" "$t_sql"
printf '  %-44s %8.2f s\n' "  (its GROUP BY alone, without scores)" "$t_agg"
printf '  %-44s %8.2f s  (COPY export %.2f s + pandas %.2f s)\n' "pandas after COPY export" "$t_pd_total" "$t_export" "$t_pandas"
printf '  ratio mktdb / plain SQL: %.2f   (goal <= 0.50)\n' "$(echo "$t_mktdb / $t_sql" | bc -l)"
printf '  ratio mktdb / pandas:    %.2f\n' "$(echo "$t_mktdb / $t_pd_total" | bc -l)"
printf '  customers where mktdb and the plain SQL differ: %s\n' "$n_diff"
printf '  load average at the end: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
psql -X -q -d postgres -c "DROP DATABASE $db"
mk_cluster_stop "$dir"

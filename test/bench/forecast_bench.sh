#!/usr/bin/env bash
# test/bench/forecast_bench.sh -- mktdb.forecast against R's forecast package (issue 14): the same series
# (test/bench/forecast_bench_r.R lists the sets: R's data sets, aus_retail, Complete Journey daily/weekly
# department and product series, synthetic seasonal and intermittent sets), each split into a training part
# and its last h points.  R fits ets(y), thetaf(y), auto.arima(y), croston(y) and the mean of the first
# three on every training part (CPU timed per method); mktdb forecasts the same training parts with every
# method of mktdb.forecast, one grouped call per set and method (wall clock timed).  Prints per set and
# method mean sMAPE and MASE over the series every engine and method forecast, then R CPU / mktdb time
# (mktdb: the wall clock of the mktdb.forecast call alone, on a table of the group's training rows).
#
#   test/bench/forecast_bench.sh [--aus N] [--r-max N] [--no-build] [--reuse DIR]
#     --aus N     the first N full-length aus_retail series (default 152 = all; needs ../shared/data)
#     --r-max N   R fits only the first N series of each set (R needs ~1-3 CPU-seconds per series); accuracy
#                 is then compared on those, speed per series; mktdb's methods are also scored on every series
#     --reuse DIR reuse DIR's series.csv and R results (r_fc.csv, r_cpu.csv) from an earlier run
#
# Runs in database mk_bench_forecast of the dev cluster (port $MKTDB_DEV_PORT).  R runs one series at a
# time on one core; mktdb uses its threads (mktdb.threads, default: every core).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

aus=152 build=1 reuse="" rmax=0
while [ $# -gt 0 ]; do
    case $1 in
    --aus) aus=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    --reuse) reuse=$2; shift 2 ;;
    --r-max) rmax=$2; shift 2 ;;
    *) echo "usage: $0 [--aus N] [--no-build] [--reuse DIR]" >&2; exit 2 ;;
    esac
done
cd "$MKTDB_ROOT"
DB=mk_bench_forecast
AUS=${AUS_RETAIL:-$MKTDB_ROOT/../shared/data/aus_retail/aus_retail.csv.gz}
[ -f "$AUS" ] || AUS=$MKTDB_ROOT/../../shared/data/aus_retail/aus_retail.csv.gz   # from a worktree under /work/wt
[ -f "$AUS" ] || mk_log "aus_retail is absent ($AUS): that set is skipped"
work=${reuse:-$(mktemp -d /tmp/forecast_bench.XXXXXX)}
chmod 755 "$work"
export OPENBLAS_NUM_THREADS=1 PGOPTIONS="-c client_min_messages=warning"

[ $build = 1 ] && mk_build
mk_cluster_start "$(mk_cluster_dir dev)" "${MKTDB_DEV_PORT:-5499}"
psql -X -q -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1 || createdb "$DB"
q() { mk_psql -d "$DB" "$@"; }
q -c 'DROP EXTENSION IF EXISTS mktdb CASCADE' -c 'CREATE EXTENSION mktdb'

if [ -z "$reuse" ]; then
    mk_log "building the series sets"
    Rscript test/bench/forecast_bench_r.R series "$work" "$AUS" "$aus"
    mk_log "R: ets, thetaf, auto.arima, croston on every training part (one core)"
    Rscript test/bench/forecast_bench_r.R fit "$work" "$rmax"
fi

q <<SQL
DROP TABLE IF EXISTS fb_series, fb_fc, fb_time;
CREATE TABLE fb_series(set text, series text, period int, h int, t int, value float8, train boolean);
\copy fb_series FROM '$work/series.csv' CSV HEADER
CREATE TABLE fb_fc(set text, series text, method text, step int, forecast float8);
CREATE TABLE fb_time(set text, method text, ms float8);
SQL
mk_log "mktdb.forecast: every method on every set"
# one grouped call per set, period and horizon (R's data sets mix periods 1, 4 and 12), on a table of that
# group's training rows (as a user's own table: the timing is mktdb.forecast's, not a scan of every set)
while IFS='|' read -r set period h; do
    q -c "DROP TABLE IF EXISTS fb_cur" \
      -c "CREATE TABLE fb_cur AS SELECT series, t, value FROM fb_series WHERE set = '$set' AND period = $period AND h = $h AND train" \
      -c "ANALYZE fb_cur"
    for method in auto arima ets theta croston sba tsb naive snaive; do
        q <<SQL
\set ON_ERROR_STOP 0
SELECT clock_timestamp() AS t0 \gset
CREATE TEMP TABLE fb_out AS SELECT f.series->>'series' AS series, f.step, f.forecast
  FROM mktdb.forecast('fb_${set}_${period}_${h}_$method', 'SELECT series, t, value FROM fb_cur',
                      't', 'value', ARRAY['series'], horizon => $h, period => $period, method => '$method') f;
INSERT INTO fb_time SELECT '$set', '$method', 1000 * extract(epoch FROM clock_timestamp() - :'t0'::timestamptz);
INSERT INTO fb_fc SELECT '$set', o.series, '$method', o.step - n.last_t, o.forecast
  FROM fb_out o JOIN (SELECT series, max(t) AS last_t FROM fb_cur GROUP BY 1) n ON n.series = o.series;
SQL
    done
done < <(q -tAc "SELECT DISTINCT set, period, h FROM fb_series ORDER BY 1, 2, 3")
q -c "\copy (SELECT set, series, method, step, forecast FROM fb_fc ORDER BY 1, 2, 3, 4) TO '$work/mk_fc.csv' CSV HEADER"
q -c "\copy (SELECT set, method, ms FROM fb_time ORDER BY 1, 2) TO '$work/mk_time.csv' CSV HEADER"

echo "== accuracy on the held-out tails (mean over series; R = forecast 8.20)"
Rscript test/bench/forecast_bench_r.R score "$work"
echo
echo "== speed: R CPU seconds per series (one core, fit + forecast) / mktdb wall seconds per series (grouped call, $(nproc) cores)"
q -P footer=off <<SQL
CREATE TEMP TABLE r_cpu(set text, method text, cpu_s float8, n int);
\copy r_cpu FROM '$work/r_cpu.csv' CSV HEADER
CREATE TEMP TABLE mk_n AS SELECT set, count(DISTINCT series) AS n FROM fb_series GROUP BY 1;
CREATE TEMP TABLE mk_t AS SELECT set, method, sum(ms) AS ms FROM fb_time GROUP BY 1, 2;
SELECT coalesce(r.set, 'all') AS set, r.method, sum(r.n) AS r_series, round(sum(r.cpu_s)::numeric, 2) AS r_cpu_s,
       sum(m.n) AS mktdb_series, round(sum(t.ms / 1000)::numeric, 2) AS mktdb_s,
       round(((sum(r.cpu_s) / sum(r.n)) / (sum(t.ms / 1000) / sum(m.n)))::numeric, 1) AS ratio_per_series
  FROM r_cpu r JOIN mk_t t USING (set, method) JOIN mk_n m USING (set)
 GROUP BY GROUPING SETS ((r.set, r.method), (r.method)) ORDER BY r.set NULLS LAST, r.method;
SELECT method, round(sum(ms / 1000)::numeric, 2) AS mktdb_s FROM fb_time GROUP BY 1 ORDER BY 1;
SQL
echo "(results in $work)"

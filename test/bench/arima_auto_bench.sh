#!/usr/bin/env bash
# test/bench/arima_auto_bench.sh -- automatic ARIMA at scale (issue 6): mktdb.arima_forecast with
# pdq/seasonal_pdq NULL (one grouped call per series set and period) against R's forecast::auto.arima
# (defaults) over the same training series, scored on the same held-out last h points.
#
#   test/bench/arima_auto_bench.sh [--monthly N] [--daily N] [--sets LIST] [--cores C] [--seed S] [--no-build]
#                                  [--orders p,d,q/P,D,Q] [--r-max N]
#
# Series sets (--sets, comma-separated; default all):
#   ref_r       R's data sets and the forecast package's (test/ref/autoarima_series.csv), h = 2m or 10
#   ref_edge    synthetic edge cases of the same file: constant, short, intermittent, level shift, daily
#   aus_retail  the 148 full-length monthly series of ../shared/data/aus_retail, last 24 months held out
#               (skipped, with a message, when the data is absent)
#   syn_monthly the first N series of test/bench/arima_auto_gen.sql's monthly set (default N = 500), h = 24
#   syn_daily   the first N daily series (default 500), period 7, h = 14
# The issue's full run is --monthly 10000 --daily 10000; R needs about 1 CPU-second per series there
# (several hours), so --r-max N gives R only the first N series of each set (by series_id): accuracy is
# then compared on those, and the speed ratios per series (mktdb's CPU over all its series).
# --orders: a baseline with fixed orders on both sides instead (mktdb pdq/seasonal_pdq; R forecast::Arima,
# method "ML", mean when d + D = 0); the seasonal part is dropped for period-1 series.
#
# Runs in database mk_bench_autoarima of the dev cluster (test/dev.sh's, port 5499).  Prints per set:
# n series, mean sMAPE and mean MASE (on the series both sides forecast), seconds (mktdb: wall clock of the
# grouped call(s); R: total CPU of auto.arima + forecast, and wall clock with C forked workers), and ratios.
# sMAPE = mean 200|a-f|/(|a|+|f|) (0 when both are 0); MASE = MAE / in-sample MAE of the seasonal naive
# forecast (lag m, lag 1 when m = 1), as forecast::accuracy; series whose scale is 0 have no MASE.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

monthly=500 daily=500 cores=2 seed=1 build=1 sets="ref_r,ref_edge,aus_retail,syn_monthly,syn_daily" orders="" rmax=0
while [ $# -gt 0 ]; do
    case $1 in
    --monthly) monthly=$2; shift 2 ;;
    --daily) daily=$2; shift 2 ;;
    --sets) sets=$2; shift 2 ;;
    --cores) cores=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    --orders) orders=$2; shift 2 ;;
    --r-max) rmax=$2; shift 2 ;;
    *) echo "usage: $0 [--monthly N] [--daily N] [--sets a,b] [--cores C] [--seed S] [--no-build]" >&2; exit 2 ;;
    esac
done
has_set() { [[ ",$sets," == *",$1,"* ]]; }

DB=mk_bench_autoarima
AUS=${AUS_RETAIL:-$MKTDB_ROOT/../shared/data/aus_retail/aus_retail.csv.gz}
work=$(mktemp -d /tmp/arima_auto_bench.XXXXXX)
chmod 755 "$work"
export PGOPTIONS="-c client_min_messages=warning"
export OPENBLAS_NUM_THREADS=1   # one BLAS thread per process: R's workers and mktdb's threads share $cores

mktdb_ok=1 mktdb_why=""
if [ $build = 1 ]; then
    mk_build || { mktdb_ok=0; mktdb_why="the extension does not build"; }
fi
mk_cluster_start "$(mk_cluster_dir dev)" "${MKTDB_DEV_PORT:-5499}"
psql -X -q -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1 || createdb "$DB"
q() { mk_psql -d "$DB" "$@"; }
if [ $mktdb_ok = 1 ] && ! q -c 'CREATE EXTENSION IF NOT EXISTS mktdb' 2>"$work/ext.err"; then
    mktdb_ok=0; mktdb_why="CREATE EXTENSION mktdb failed: $(head -1 "$work/ext.err")"
fi

# ---- the series ------------------------------------------------------------------------------------------
mk_log "generating $monthly monthly + $daily daily synthetic series (seed $seed)"
q -f "$MKTDB_ROOT/test/bench/arima_auto_gen.sql" >/dev/null
q -c "SELECT * FROM arima_auto_bench.generate(monthly => $monthly, daily => $daily, seed => $seed)" >/dev/null
q <<'SQL'
DROP TABLE IF EXISTS arima_auto_bench.all_series, arima_auto_bench.ref_csv, arima_auto_bench.aus_csv,
                     arima_auto_bench.fc, arima_auto_bench.timing, arima_auto_bench.ref_expected CASCADE;
CREATE TABLE arima_auto_bench.all_series(set text, series_id text, period int, h int, t date, t_int int,
                                         value float8, PRIMARY KEY (set, series_id, t_int));
CREATE TABLE arima_auto_bench.ref_csv(series text, set text, period int, h int, t_int int, t_date text, value float8);
CREATE TABLE arima_auto_bench.aus_csv(state text, industry text, series_id text, month text, turnover float8);
CREATE TABLE arima_auto_bench.fc(engine text, set text, series_id text, step int, forecast float8,
                                 model text, cpu_s float8);
CREATE TABLE arima_auto_bench.timing(engine text, set text, wall_s float8, cpu_s float8, n int);
SQL
# CPU seconds of this backend process, all its threads included (utime + stime of /proc/self/stat)
q -c "CREATE OR REPLACE FUNCTION arima_auto_bench.backend_cpu_s() RETURNS float8 LANGUAGE sql AS
      \$\$ SELECT (f[14]::bigint + f[15]::bigint) / $(getconf CLK_TCK).0
             FROM string_to_array(pg_read_file('/proc/self/stat'), ' ') f \$\$"
read -r load1 _ < /proc/loadavg
busy=$(awk -v l="$load1" -v c="$(nproc)" 'BEGIN { print (l > 0.5 * c) ? 1 : 0 }')
[ "$busy" = 0 ] || mk_log "the machine is busy (load average $load1 on $(nproc) cores): wall-clock figures will be inflated; compare CPU seconds"
q -c "\\copy arima_auto_bench.ref_csv FROM '$MKTDB_ROOT/test/ref/autoarima_series.csv' WITH (FORMAT csv, HEADER true)"
if has_set ref_r || has_set ref_edge; then
    q -c "INSERT INTO arima_auto_bench.all_series
          SELECT CASE WHEN set = 'synthetic' THEN 'ref_edge' ELSE 'ref_r' END, series, period, h, NULL, t_int, value
            FROM arima_auto_bench.ref_csv WHERE set IN ('rdata', 'forecast', 'synthetic')
             AND CASE WHEN set = 'synthetic' THEN 'ref_edge' ELSE 'ref_r' END = ANY (string_to_array('$sets', ','))"
fi
if has_set aus_retail; then
    if [ -f "$AUS" ]; then
        zcat "$AUS" | q -c "\\copy arima_auto_bench.aus_csv FROM STDIN WITH (FORMAT csv, HEADER true)"
        q -c "INSERT INTO arima_auto_bench.all_series
              SELECT 'aus_retail', series_id, 12, 24, (month || '-01')::date,
                     row_number() OVER (PARTITION BY series_id ORDER BY month), turnover
                FROM arima_auto_bench.aus_csv
               WHERE series_id IN (SELECT series_id FROM arima_auto_bench.aus_csv GROUP BY 1 HAVING max(month) = '2018-12')"
    else
        mk_log "aus_retail: $AUS is absent, set skipped"
    fi
fi
q -c "INSERT INTO arima_auto_bench.all_series
      SELECT 'syn_' || set, series_id, CASE set WHEN 'monthly' THEN 12 ELSE 7 END,
             CASE set WHEN 'monthly' THEN 24 ELSE 14 END, t,
             row_number() OVER (PARTITION BY series_id ORDER BY t), value
        FROM arima_auto_bench.series
       WHERE ('syn_' || set) = ANY (string_to_array('$sets', ','))"
q <<'SQL'
CREATE OR REPLACE VIEW arima_auto_bench.lens AS
    SELECT set, series_id, count(*)::int AS n FROM arima_auto_bench.all_series GROUP BY 1, 2;
CREATE OR REPLACE VIEW arima_auto_bench.train AS
    SELECT s.* FROM arima_auto_bench.all_series s JOIN arima_auto_bench.lens l USING (set, series_id)
     WHERE s.t_int <= l.n - s.h;
CREATE OR REPLACE VIEW arima_auto_bench.test AS
    SELECT s.set, s.series_id, s.t_int - (l.n - s.h) AS step, s.value AS actual
      FROM arima_auto_bench.all_series s JOIN arima_auto_bench.lens l USING (set, series_id)
     WHERE s.t_int > l.n - s.h;
ANALYZE arima_auto_bench.all_series;
SQL
q -tA -F' ' -c "SELECT set, count(DISTINCT series_id), count(*) FROM arima_auto_bench.all_series GROUP BY 1 ORDER BY 1" |
    while read -r s n r; do mk_log "set $s: $n series, $r points"; done

# ---- mktdb: one grouped call per set and period (the period of a call is shared by its series) ------------
if [ -n "$orders" ]; then
    [[ $orders =~ ^[0-9]+,[0-9]+,[0-9]+/[0-9]+,[0-9]+,[0-9]+$ ]] || { echo "--orders wants p,d,q/P,D,Q" >&2; exit 2; }
    pdq="{${orders%/*}}" spdq="{${orders#*/}}"
    mk_log "fixed orders $orders on both sides (not automatic selection)"
elif [ $mktdb_ok = 1 ]; then
    # probe: does automatic order selection exist yet?  (issue 5 gives fixed orders first)
    if ! q -c "SELECT count(*) FROM mktdb.arima_forecast('bench_autoarima_probe',
                  'SELECT t_int, value FROM arima_auto_bench.ref_csv WHERE series = ''airpassengers''',
                  't_int', 'value', horizon => 12, period => 12)" >/dev/null 2>"$work/probe.err"; then
        mktdb_ok=0; mktdb_why="mktdb.arima_forecast with automatic orders failed: $(grep -m1 ERROR "$work/probe.err" || head -1 "$work/probe.err")"
    fi
fi
if [ $mktdb_ok = 1 ]; then
    while read -r s per h dated; do
        [ -n "$s" ] || continue
        if [ "$dated" = t ]; then tcol=t; parg=""; else tcol=t_int; parg=", period => $per"; fi
        if [ -n "$orders" ]; then
            if [ "$per" -gt 1 ]; then parg="$parg, pdq => '$pdq', seasonal_pdq => '$spdq'"
            else parg="$parg, pdq => '$pdq', seasonal_pdq => '{0,0,0}'"; fi
        fi
        mk_log "mktdb: set $s, period $per, horizon $h"
        q <<SQL
SELECT clock_timestamp() AS t0, arima_auto_bench.backend_cpu_s() AS c0 \\gset
INSERT INTO arima_auto_bench.fc
SELECT 'mktdb', '$s', series->>'series_id',
       -- 1..h whatever step numbering the time column gives (an integer index counts on from its last value)
       row_number() OVER (PARTITION BY series->>'series_id' ORDER BY step), forecast, NULL, NULL
  FROM mktdb.arima_forecast('bench_autoarima_${s}_$per',
         'SELECT series_id, $tcol, value FROM arima_auto_bench.train WHERE set = ''$s'' AND period = $per',
         '$tcol', 'value', group_columns => ARRAY['series_id'], horizon => $h$parg);
INSERT INTO arima_auto_bench.timing
SELECT 'mktdb', '$s', extract(epoch FROM clock_timestamp() - :'t0'::timestamptz),
       arima_auto_bench.backend_cpu_s() - :c0,
       (SELECT count(DISTINCT series_id) FROM arima_auto_bench.train WHERE set = '$s' AND period = $per);
SQL
    done < <(q -tA -F' ' -c "SELECT set, period, max(h), bool_and(t IS NOT NULL) FROM arima_auto_bench.all_series
                              GROUP BY 1, 2 ORDER BY 1, 2")
    # fold the per-period calls of a set into one timing row
    q -c "CREATE TEMP TABLE x AS SELECT engine, set, sum(wall_s) w, sum(cpu_s) c, sum(n) n FROM arima_auto_bench.timing GROUP BY 1, 2;
          DELETE FROM arima_auto_bench.timing; INSERT INTO arima_auto_bench.timing SELECT engine, set, w, c, n FROM x"
fi

# ---- R: auto.arima on the same training series, one R run per set ------------------------------------------
r_ok=1
if ! command -v Rscript >/dev/null || ! Rscript -e 'suppressMessages(library(forecast))' >/dev/null 2>&1; then
    r_ok=0; mk_log "R with the forecast package is not installed (apt-get install r-cran-forecast): R side skipped"
fi
if [ $r_ok = 1 ]; then
    for s in $(q -tA -c "SELECT DISTINCT set FROM arima_auto_bench.all_series ORDER BY 1"); do
        # --r-max: the first N series of the set (by series_id) only
        q -c "\\copy (SELECT set, series_id, period, h, value FROM arima_auto_bench.train
                      WHERE set = '$s' AND ($rmax = 0 OR series_id IN (SELECT DISTINCT series_id FROM arima_auto_bench.train
                                                                      WHERE set = '$s' ORDER BY 1 LIMIT $rmax))
                      ORDER BY series_id, t_int) TO '$work/train_$s.csv' WITH (FORMAT csv, HEADER true)"
        mk_log "R: set $s on $cores cores"
        if ! Rscript "$MKTDB_ROOT/test/bench/arima_auto_r.R" "$work/train_$s.csv" "$work/fc_$s.csv" "$cores" $orders \
                >"$work/r_$s.log" 2>"$work/r_$s.err"; then
            cat "$work/r_$s.err" >&2; exit 1
        fi
        grep -v '^R_' "$work/r_$s.log" >&2
        cpu=$(sed -n 's/^R_CPU_SECONDS=//p' "$work/r_$s.log"); wall=$(sed -n 's/^R_WALL_SECONDS=//p' "$work/r_$s.log")
        q <<SQL
CREATE TEMP TABLE f(set text, series_id text, step int, forecast float8, model text, cpu_s float8);
\\copy f FROM '$work/fc_$s.csv' WITH (FORMAT csv, HEADER true)
INSERT INTO arima_auto_bench.fc SELECT 'R', * FROM f;
INSERT INTO arima_auto_bench.timing VALUES ('R', '$s', $wall, $cpu, (SELECT count(DISTINCT series_id) FROM f));
SQL
    done
fi

# ---- scores ----------------------------------------------------------------------------------------------
q <<'SQL'
CREATE OR REPLACE VIEW arima_auto_bench.scale AS      -- in-sample MAE of the seasonal naive forecast
    SELECT set, series_id, avg(abs(value - prev)) AS scale
      FROM (SELECT set, series_id, value,
                   lag(value, greatest(period, 1)) OVER (PARTITION BY set, series_id ORDER BY t_int) AS prev
              FROM arima_auto_bench.train) x
     WHERE prev IS NOT NULL GROUP BY 1, 2;
DROP TABLE IF EXISTS arima_auto_bench.score;
CREATE TABLE arima_auto_bench.score AS
    SELECT f.engine, t.set, t.series_id,
           avg(CASE WHEN abs(t.actual) + abs(f.forecast) = 0 THEN 0
                    ELSE 200 * abs(t.actual - f.forecast) / (abs(t.actual) + abs(f.forecast)) END) AS smape,
           avg(abs(t.actual - f.forecast)) / nullif(max(sc.scale), 0) AS mase,
           bool_and(f.forecast IS NOT NULL AND f.forecast NOT IN ('NaN', 'Infinity', '-Infinity')) AS ok
      FROM arima_auto_bench.test t
      JOIN arima_auto_bench.fc f USING (set, series_id, step)
      LEFT JOIN arima_auto_bench.scale sc USING (set, series_id)
     GROUP BY 1, 2, 3;
SQL

# the R side must reproduce the committed reference figures (same data, same auto.arima defaults)
if [ $r_ok = 1 ] && [ -z "$orders" ] && { has_set ref_r || has_set ref_edge; }; then
    q <<SQL
CREATE TABLE arima_auto_bench.ref_expected(series text, fit text, n int, h int, period int, p int, d int,
    q int, sp int, sd int, sq int, constant text, approximation bool, seas_strength float8, nsdiffs int,
    kpss_d0 float8, kpss_d1 float8, ndiffs int, loglik float8, aic float8, aicc float8, bic float8,
    sigma2 float8, n_models int, smape float8, mase float8, cpu_s float8, model text);
\\copy arima_auto_bench.ref_expected FROM '$MKTDB_ROOT/test/ref/autoarima_ref.csv' WITH (FORMAT csv, HEADER true, NULL 'NA', FORCE_NULL (seas_strength, kpss_d0, kpss_d1, loglik, aic, aicc, bic, sigma2, smape, mase, cpu_s))
SQL
    q -tA -c "SELECT format('check: R here vs committed test/ref/autoarima_ref.csv on %s ref series: max |sMAPE diff| %s',
                            count(*), round(max(abs(s.smape - e.smape))::numeric, 6))
                FROM arima_auto_bench.score s JOIN arima_auto_bench.ref_expected e
                  ON e.series = s.series_id AND e.fit = 'holdout'
               WHERE s.engine = 'R' AND s.set IN ('ref_r', 'ref_edge')"
fi

echo
if [ -z "$orders" ]; then
    echo "automatic ARIMA: mktdb.arima_forecast (pdq NULL) vs R forecast::auto.arima -- $(nproc) cores, $(date -u +%F)"
else
    echo "FIXED orders $orders (baseline, not automatic): mktdb.arima_forecast vs R forecast::Arima -- $(nproc) cores, $(date -u +%F)"
fi
[ $mktdb_ok = 1 ] || echo "mktdb side UNAVAILABLE: $mktdb_why"
q -P footer=off <<'SQL'
WITH common AS (    -- series that every engine that ran forecast (finite forecasts)
    SELECT set, series_id FROM arima_auto_bench.score GROUP BY 1, 2
    HAVING bool_and(ok) AND count(*) = (SELECT count(DISTINCT engine) FROM arima_auto_bench.fc)
), agg AS (
    SELECT s.engine, s.set, count(*) AS n, avg(s.smape) AS smape, avg(s.mase) AS mase,
           count(s.mase) AS n_mase
      FROM arima_auto_bench.score s JOIN common USING (set, series_id) GROUP BY 1, 2
), fails AS (
    SELECT engine, set, count(*) FILTER (WHERE NOT ok) AS failed FROM arima_auto_bench.score GROUP BY 1, 2
), m AS (
    SELECT a.*, f.failed, t.wall_s, t.cpu_s, t.n AS n_fit FROM agg a JOIN fails f USING (engine, set)
      LEFT JOIN arima_auto_bench.timing t USING (engine, set)
)
SELECT set AS "series set", coalesce(r.n, mk.n) AS "n series",
       mk.n_fit || '/' || coalesce(r.n_fit::text, '-') AS "fitted mktdb/R",
       round(mk.smape::numeric, 3) AS "mktdb sMAPE", round(r.smape::numeric, 3) AS "R sMAPE",
       round((mk.smape / r.smape)::numeric, 3) AS "sMAPE ratio",
       round(mk.mase::numeric, 3) AS "mktdb MASE", round(r.mase::numeric, 3) AS "R MASE",
       round((mk.mase / r.mase)::numeric, 3) AS "MASE ratio",
       round(mk.wall_s::numeric, 2) AS "mktdb s (wall)", round(mk.cpu_s::numeric, 2) AS "mktdb s (CPU)",
       round(r.cpu_s::numeric, 1) AS "R s (CPU)", round(r.wall_s::numeric, 1) AS "R s (wall)",
       round(((r.cpu_s / r.n_fit) / (mk.wall_s / mk.n_fit))::numeric, 1) AS "R CPU / mktdb wall",
       round(((r.cpu_s / r.n_fit) / nullif(mk.cpu_s / mk.n_fit, 0))::numeric, 1) AS "R CPU / mktdb CPU",
       coalesce(mk.failed::text, '-') || '/' || coalesce(r.failed::text, '-') AS "failed mktdb/R"
  FROM (SELECT * FROM m WHERE engine = 'R') r
  FULL JOIN (SELECT * FROM m WHERE engine = 'mktdb') mk USING (set)
 ORDER BY 1;
SQL
echo "(sMAPE/MASE means over the series both sides forecast; MASE over those with a non-zero scale."
echo " sMAPE/MASE ratio = mktdb / R (< 1: mktdb more accurate; goal <= 1.02).  'R CPU / mktdb wall' is the"
echo " issue's speed-up (goal >= 20); 'R CPU / mktdb CPU' compares work done (mktdb CPU = the backend's"
echo " threads; parallel workers, if used, are not counted).  Both ratios are per series fitted: with"
echo " --r-max R fits only the first N series of a set ('fitted mktdb/R').  Wall clocks are only fair on an"
echo " idle machine.)"
rm -rf "$work"

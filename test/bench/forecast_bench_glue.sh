#!/usr/bin/env bash
# test/bench/forecast_bench_glue.sh -- the CPU of one mktdb.forecast call per series, on one thread
# (mktdb.threads = 1), read as the backend process's CPU time with all its threads (/proc/<pid>/stat: the
# fit runs on a batch thread while the backend polls for cancel, so the backend thread's own time would
# miss it), so that it compares with R's CPU per series (test/bench/forecast_bench_cpu.R) and with the bare
# core (test/bench/forecast_bench_core.sh): the difference to the core is the SQL glue (reading the rows,
# the stored model, the result rows).  croston's fit takes ~2 us a series, so its time is the glue alone.
# /proc/<pid>/stat counts in 10 ms ticks, so each measurement repeats the call for at least 0.5 s of CPU.
#
#   test/bench/forecast_bench_glue.sh [--reuse DIR] [--reps N] [--no-build] [METHOD...]
#     DIR/series.csv from forecast_bench_r.R ("series"); made in a new temporary folder without --reuse
#     METHOD     default: croston naive theta ets;  --reps N: N measurements, the fastest kept (default 3)
# Runs in database mk_bench_forecast_glue of the dev cluster (port $MKTDB_DEV_PORT); needs a superuser
# (pg_read_file of /proc).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
reuse="" reps=3 build=1 methods=()
while [ $# -gt 0 ]; do
    case $1 in
    --reuse) reuse=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    -*) echo "usage: $0 [--reuse DIR] [--reps N] [--no-build] [METHOD...]" >&2; exit 2 ;;
    *) methods+=("$1"); shift ;;
    esac
done
[ ${#methods[@]} -gt 0 ] || methods=(croston naive theta ets)
cd "$MKTDB_ROOT"
work=${reuse:-$(mktemp -d /tmp/forecast_glue.XXXXXX)}
if [ ! -f "$work/series.csv" ]; then
    AUS=$MKTDB_ROOT/../shared/data/aus_retail/aus_retail.csv.gz
    [ -f "$AUS" ] || AUS=$MKTDB_ROOT/../../shared/data/aus_retail/aus_retail.csv.gz
    Rscript test/bench/forecast_bench_r.R series "$work" "$AUS" 152
fi
export OPENBLAS_NUM_THREADS=1 PGOPTIONS="-c client_min_messages=warning"
[ $build = 1 ] && mk_build
mk_cluster_start "$(mk_cluster_dir dev)" "${MKTDB_DEV_PORT:-5499}"
DB=mk_bench_forecast_glue
psql -X -q -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1 || createdb "$DB"
meth=$(printf "'%s'," "${methods[@]}"); meth=${meth%,}
mk_psql -d "$DB" <<SQL
DROP EXTENSION IF EXISTS mktdb CASCADE;
CREATE EXTENSION mktdb;
DROP TABLE IF EXISTS fb_series, fb_cur;
CREATE TABLE fb_series(set text, series text, period int, h int, t int, value float8, train boolean);
\\copy fb_series FROM '$work/series.csv' CSV HEADER
SET mktdb.threads = 1;
CREATE TEMP TABLE cpu_log(set text, method text, series int, ns bigint);
CREATE FUNCTION pg_temp.cpu_ns() RETURNS bigint LANGUAGE sql AS
  \$\$ SELECT 10000000 * (split_part(x, ' ', 12)::bigint + split_part(x, ' ', 13)::bigint)
       FROM split_part(pg_read_file('/proc/' || pg_backend_pid() || '/stat'), ') ', 2) x \$\$;
DO \$\$
DECLARE s record; m text; t0 bigint; t1 bigint; calls int;
BEGIN
  -- the sets of one period and horizon (R's data sets mix them: left out)
  FOR s IN SELECT set, min(period) AS period, min(h) AS h FROM fb_series GROUP BY 1 HAVING count(DISTINCT (period, h)) = 1 LOOP
    DROP TABLE IF EXISTS fb_cur;
    EXECUTE format('CREATE TABLE fb_cur AS SELECT series, t, value FROM fb_series WHERE set = %L AND train', s.set);
    ANALYZE fb_cur;
    FOREACH m IN ARRAY ARRAY[$meth] LOOP
      FOR k IN 1..$reps LOOP
        t0 := pg_temp.cpu_ns();
        calls := 0;
        LOOP
          PERFORM count(*) FROM mktdb.forecast('glue_' || s.set || '_' || m, 'SELECT series, t, value FROM fb_cur', 't',
                                               'value', ARRAY['series'], horizon => s.h, period => s.period, method => m);
          calls := calls + 1;
          t1 := pg_temp.cpu_ns();
          EXIT WHEN t1 - t0 >= 500000000;
        END LOOP;
        INSERT INTO cpu_log SELECT s.set, m, (SELECT count(DISTINCT series) FROM fb_cur), (t1 - t0) / calls;
      END LOOP;
    END LOOP;
  END LOOP;
END \$\$;
SELECT set, method, max(series) AS series, round(min(ns) / 1e6 / max(series), 3) AS cpu_ms_per_series
  FROM cpu_log GROUP BY 1, 2 ORDER BY 2, 1;
SELECT method, round(sum(ms * series) / sum(series), 3) AS cpu_ms_per_series_all
  FROM (SELECT set, method, max(series) AS series, min(ns) / 1e6 / max(series) AS ms FROM cpu_log GROUP BY 1, 2) x
 GROUP BY 1 ORDER BY 1;
SQL
echo "(uptime: $(uptime | sed 's/.*load/load/'); series in $work)"

#!/usr/bin/env bash
# suite_interrupt.sh -- a grouped automatic arima_forecast (many series on mktdb.threads threads)
# stops within 3 s (measured: 0.1-0.2 s) of pg_cancel_backend and of pg_terminate_backend (the threads poll
# mk_cancel_poll: cancel and terminate), and stores nothing.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
db=mk_interrupt
echo "1..4"
ok() { if [ "$1" = "$2" ]; then echo "ok - interrupt: $3"; else echo "not ok - interrupt: $3 (got '$1', want '$2')"; fi; }
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
mk_psql -d $db <<'SQL' >/dev/null
CREATE EXTENSION mktdb;
-- 300 noisy weekly-seasonal daily series of 500 days: tens of seconds of automatic selection
CREATE TABLE sales AS
SELECT s AS sku, date '2020-01-01' + d AS day,
       100 + 10 * sin(2 * pi() * d / 7) + d * 0.05 * (s % 3) + (hashint4(s * 100000 + d) % 17) AS units
  FROM generate_series(1, 300) s, generate_series(0, 499) d;
SQL
# stop_after SIGNAL_FUNCTION: starts the call, sends the signal after 2 s, prints the seconds the
# backend took to go away after the signal
stop_after() {
    local fn=$1 pid t0 t1
    psql -X -q -d $db -c "SELECT count(*) FROM mktdb.arima_forecast('stopped', 'sales', 'day', 'units', ARRAY['sku'])" \
        >/dev/null 2>&1 &
    sleep 2
    pid=$(psql -X -At -d $db -c "SELECT pid FROM pg_stat_activity WHERE query LIKE '%arima_forecast(''stopped''%' AND pid <> pg_backend_pid()")
    if [ -z "$pid" ]; then echo "no-backend"; wait; return; fi
    t0=$(date +%s.%N)
    psql -X -At -d $db -c "SELECT $fn($pid)" >/dev/null
    while psql -X -At -d $db -c "SELECT 1 FROM pg_stat_activity WHERE pid = $pid AND state = 'active'" | grep -q 1; do
        sleep 0.05
        [ "$(echo "$(date +%s.%N) - $t0 > 30" | bc)" = 1 ] && break
    done
    t1=$(date +%s.%N)
    wait
    echo "$t1 - $t0" | bc -l
}
for fn in pg_cancel_backend pg_terminate_backend; do
    secs=$(stop_after $fn)
    ok "$(echo "$secs" | awk '{print ($1 != "no-backend" && $1 < 3) ? "fast" : "slow: " $1 " s"}')" fast \
       "$fn stops a grouped automatic arima_forecast within 3 s ($secs s)"
    ok "$(psql -X -At -d $db -c "SELECT count(*) FROM mktdb.model WHERE name = 'stopped'")" 0 "... and nothing was stored"
done
dropdb $db

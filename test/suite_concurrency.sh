#!/usr/bin/env bash
# suite_concurrency.sh -- 8 clients read models (segment_of, recommend_for, the forecasts and catalog views)
# with pgbench while they are retrained over and over: no reader ever sees an error or a
# half-written model.  Then two retrains of one model at once get consecutive versions.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
db=mk_concurrency
ok() { if [ "$1" = "$2" ]; then echo "ok - concurrency: $3"; else echo "not ok - concurrency: $3 (got '$1', want '$2')"; fi; }
echo "1..6"   # the plan: a suite that dies early prints fewer results and fails (test/tap.sh)
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
mk_psql -d $db <<'SQL' >/dev/null
CREATE EXTENSION mktdb;
CREATE TABLE pts AS SELECT g AS id, (g % 5) * 4.0 + (g % 11) * 0.1 AS x, (g % 3) * 2.0 AS y FROM generate_series(1, 20000) g;
SELECT * FROM mktdb.kmeans_segment('seg', 'pts', ARRAY['x', 'y'], 5, id_column => 'id');
CREATE TABLE clicks AS SELECT (g % 500)::bigint AS u, ((g * 7) % 300 + (g % 500) % 10)::bigint AS i FROM generate_series(1, 20000) g;
SELECT * FROM mktdb.recommend_train('rec', 'clicks', 'u', 'i', factors => 16, iterations => 5);
CREATE TABLE sales AS SELECT s AS sku, d AS day, 50 + 10 * sin(d / 2.0) + (d * 7919 % 13) + s AS units
  FROM generate_series(1, 4) s, generate_series(1, 120) d;
SELECT count(*) FROM mktdb.arima_forecast('fc', 'sales', 'day', 'units', group_columns => ARRAY['sku'], horizon => 7,
                                          pdq => '{1,0,0}', seasonal_pdq => '{0,0,0}');
SQL
cat > /tmp/mk_read.$$.sql <<'SQL'
\set a random(0, 20)
SELECT mktdb.segment_of('seg', ARRAY[:a::float8, 1.0]);
SELECT count(*) FROM mktdb.kmeans_centroids WHERE model = 'seg';
SELECT version FROM mktdb.models WHERE name = 'seg';
SELECT count(*) FROM mktdb.recommend_for('rec', :a::bigint, 5);
SELECT count(*) FROM mktdb.forecasts WHERE model = 'fc';
SQL
cat > /tmp/mk_write.$$.sql <<'SQL'
SELECT mktdb.retrain('seg');
SELECT mktdb.retrain('rec');
SELECT mktdb.retrain('fc');
SQL
pgbench -n -c 8 -j 2 -T 15 -f /tmp/mk_read.$$.sql -d $db > /tmp/mk_read.$$.log 2>&1 &
reader=$!
pgbench -n -c 1 -T 15 -f /tmp/mk_write.$$.sql -d $db > /tmp/mk_write.$$.log 2>&1
wait $reader
readers_ok=$(grep -c -E 'number of failed transactions: 0|^number of transactions actually processed' /tmp/mk_read.$$.log)
ok "$(grep -E 'number of failed transactions' /tmp/mk_read.$$.log | grep -o '[0-9]* (' | tr -d ' (')" 0 \
   "8 readers, $(grep -o 'processed: [0-9]*' /tmp/mk_read.$$.log | grep -o '[0-9]*') transactions, no error while retraining"
ok "$(grep -c -i error /tmp/mk_read.$$.log)" 0 "no reader logged an error"
ok "$(grep -E 'number of failed transactions' /tmp/mk_write.$$.log | grep -o '[0-9]* (' | tr -d ' (')" 0 \
   "$(grep -o 'processed: [0-9]*' /tmp/mk_write.$$.log | grep -o '[0-9]*') retrains, none failed"
# versions are consecutive and unique
before=$(psql -X -At -d $db -c "SELECT max(version) FROM mktdb.model WHERE name = 'seg'")
psql -X -At -d $db -c "SELECT mktdb.retrain('seg')" >/dev/null 2>/tmp/mk_r1.$$ &
p1=$!
psql -X -At -d $db -c "SELECT mktdb.retrain('seg')" >/dev/null 2>/tmp/mk_r2.$$ &
p2=$!
wait $p1 $p2
ok "$(cat /tmp/mk_r1.$$ /tmp/mk_r2.$$ | wc -l)" 0 "two simultaneous retrains both succeed"
ok "$(psql -X -At -d $db -c "SELECT max(version) - $before FROM mktdb.model WHERE name = 'seg'")" 2 "... and get the next two versions"
ok "$(psql -X -At -d $db -c "SELECT count(*) FROM mktdb.model WHERE name = 'seg'")" \
   "$(psql -X -q -At -d $db -c "LOAD 'mktdb'" -c "SHOW mktdb.keep_versions")" "old versions are pruned to mktdb.keep_versions"
rm -f /tmp/mk_read.$$.* /tmp/mk_write.$$.* /tmp/mk_r1.$$ /tmp/mk_r2.$$
dropdb $db

#!/usr/bin/env bash
# suite_concurrency.sh -- 8 clients read a model (segment_of, kmeans_assign, the catalog views)
# with pgbench while it is retrained over and over: no reader ever sees an error or a
# half-written model.  Then two retrains of one model at once get consecutive versions.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
db=mk_concurrency
ok() { if [ "$1" = "$2" ]; then echo "ok - concurrency: $3"; else echo "not ok - concurrency: $3 (got '$1', want '$2')"; fi; }
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
mk_psql -d $db <<'SQL' >/dev/null
CREATE EXTENSION mktdb;
CREATE TABLE pts AS SELECT g AS id, (g % 5) * 4.0 + (g % 11) * 0.1 AS x, (g % 3) * 2.0 AS y FROM generate_series(1, 20000) g;
SELECT * FROM mktdb.kmeans_segment('seg', 'pts', ARRAY['x', 'y'], 5, id_column => 'id');
SQL
cat > /tmp/mk_read.$$.sql <<'SQL'
\set a random(0, 20)
SELECT mktdb.segment_of('seg', ARRAY[:a::float8, 1.0]);
SELECT count(*) FROM mktdb.kmeans_centroids WHERE model = 'seg';
SELECT version FROM mktdb.models WHERE name = 'seg';
SQL
cat > /tmp/mk_write.$$.sql <<'SQL'
SELECT mktdb.retrain('seg');
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

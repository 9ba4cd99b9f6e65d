#!/usr/bin/env bash
# suite_dump.sh -- trained models survive pg_dump -> pg_restore into a new database.
# Needs the server started by test/run.sh (PGHOST/PGPORT/PGUSER set).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
ok() { if [ "$1" = "$2" ]; then echo "ok - dump: $3"; else echo "not ok - dump: $3 (got '$1', want '$2')"; fi; }
echo "1..6"   # the plan: a suite that dies early prints fewer results and fails (test/tap.sh)

dropdb --if-exists mk_dump_src >/dev/null 2>&1; dropdb --if-exists mk_dump_dst >/dev/null 2>&1
createdb mk_dump_src && createdb mk_dump_dst
mk_psql -d mk_dump_src <<'SQL' >/dev/null
CREATE EXTENSION mktdb;
CREATE TABLE pts AS SELECT g AS id, (g % 3) * 10 + (g % 7) * 0.1 AS x, (g % 3) * -5 + (g % 5) * 0.1 AS y
  FROM generate_series(1, 300) g;
SELECT * FROM mktdb.kmeans_segment('seg', 'pts', ARRAY['x', 'y'], 3, id_column => 'id');
SELECT mktdb.retrain('seg');
CREATE ROLE mk_dump_reader;
SELECT mktdb.grant_model('seg', 'mk_dump_reader');
SQL
pg_dump -Fc -d mk_dump_src -f /tmp/mk_dump.$$ || echo "not ok - dump: pg_dump failed"
pg_restore -d mk_dump_dst /tmp/mk_dump.$$ 2>/tmp/mk_restore.$$.log
ok "$(grep -c ERROR /tmp/mk_restore.$$.log)" 0 "pg_restore reports no error"
q="SELECT string_agg(name || ':' || version || ':' || kind || ':' || md5(data) || ':' || md5(spec::text), ',' ORDER BY name, version) FROM mktdb.model"
src=$(psql -X -At -d mk_dump_src -c "$q"); dst=$(psql -X -At -d mk_dump_dst -c "$q")
ok "$([ -n "$src" ] && [ "$src" = "$dst" ] && echo same)" same "every model version, blob and spec restored byte for byte"
ok "$(psql -X -At -d mk_dump_dst -c "SELECT count(*) FROM mktdb.model_grant")" 1 "grants restored"
ok "$(psql -X -At -d mk_dump_dst -c "SELECT mktdb.segment_of('seg', ARRAY[20.3, -10.2]) = (SELECT segment FROM mktdb.kmeans_assign('seg') WHERE id = '2')")" t \
   "the restored model is usable"
ok "$(psql -X -At -d mk_dump_dst -c "SELECT version FROM mktdb.retrain('seg')")" 3 "retraining after restore continues the version numbers"
ok "$(psql -X -At -d mk_dump_dst -c "SELECT count(*) FROM mktdb.model WHERE model_id IN (SELECT model_id FROM mktdb.model GROUP BY 1 HAVING count(*) > 1)")" 0 \
   "model ids stay unique after restore (sequence restored)"
rm -f /tmp/mk_dump.$$ /tmp/mk_restore.$$.log
dropdb mk_dump_src; dropdb mk_dump_dst; psql -X -q -d postgres -c "DROP ROLE IF EXISTS mk_dump_reader"

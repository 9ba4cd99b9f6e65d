#!/usr/bin/env bash
# suite_security.sh -- model ownership, grants, and whose privileges training and retraining use.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
db=mk_security
ok() { if [ "$1" = "$2" ]; then echo "ok - security: $3"; else echo "not ok - security: $3 (got '$1', want '$2')"; fi; }
# sqlstate ROLE SQL: the SQLSTATE the statement fails with as ROLE ("ok" when it succeeds)
sqlstate() {
    local out
    out=$(psql -X -At -d $db -v ON_ERROR_STOP=1 -v VERBOSITY=sqlstate -c "SET ROLE $1" -c "\\set VERBOSITY sqlstate" -c "$2" 2>&1 >/dev/null)
    if [ -z "$out" ]; then echo ok; else echo "$out" | grep -o -E '[0-9A-Z]{5}' | tail -1; fi
}
as() { psql -X -At -d $db -c "SET ROLE $1" -c "$2" 2>&1 | tail -1; }
echo "1..23"   # the plan: a suite that dies early prints fewer results and fails (test/tap.sh)

dropdb --if-exists $db >/dev/null 2>&1; createdb $db
mk_psql -d $db <<'SQL' >/dev/null
DROP ROLE IF EXISTS mk_alice; DROP ROLE IF EXISTS mk_bob;
CREATE ROLE mk_alice; CREATE ROLE mk_bob;
CREATE EXTENSION mktdb;
GRANT CREATE ON SCHEMA public TO mk_alice, mk_bob;
CREATE TABLE secret AS SELECT g AS id, g::float8 AS x, (g % 4)::float8 AS y FROM generate_series(1, 100) g;
REVOKE ALL ON secret FROM PUBLIC;
SET ROLE mk_alice;
CREATE TABLE alice_pts AS SELECT g AS id, (g % 3) * 10.0 AS x, (g % 5) * 1.0 AS y FROM generate_series(1, 200) g;
SELECT * FROM mktdb.kmeans_segment('alice_seg', 'alice_pts', ARRAY['x', 'y'], 3, id_column => 'id');
RESET ROLE;
SQL

ok "$(as mk_bob "SELECT count(*) FROM mktdb.models")" 0 "another role does not see the model"
ok "$(sqlstate mk_bob "SELECT mktdb.segment_of('alice_seg', ARRAY[1.0, 2.0])")" 42704 "another role cannot use it"
ok "$(sqlstate mk_bob "SELECT mktdb.retrain('alice_seg')")" 42704 "another role cannot retrain it"
ok "$(sqlstate mk_bob "SELECT mktdb.drop_model('alice_seg')")" 42704 "another role cannot drop it"
ok "$(sqlstate mk_bob "SELECT * FROM mktdb.kmeans_segment('alice_seg', 'SELECT 1.0 AS x, 2.0 AS y UNION ALL SELECT 3, 4', ARRAY['x','y'], 1)")" 42501 \
   "another role cannot overwrite it with a new version"
ok "$(sqlstate mk_bob "DELETE FROM mktdb.model")" ok "deleting catalog rows directly is allowed but ..."
ok "$(as mk_alice "SELECT count(*) FROM mktdb.model")" 1 "... row security kept alice's model"
ok "$(sqlstate mk_bob "INSERT INTO mktdb.model(name, version, kind, owner, spec, data) VALUES ('x', 1, 'kmeans', 'mk_alice', '{}', '')")" 42501 \
   "a role cannot insert catalog rows owned by another role"
ok "$(sqlstate mk_alice "SELECT mktdb.grant_model('alice_seg', 'mk_bob')")" ok "the owner grants the model"
ok "$(as mk_bob "SELECT count(*) FROM mktdb.models")" 1 "the grantee sees it"
ok "$(sqlstate mk_bob "SELECT mktdb.segment_of('alice_seg', ARRAY[1.0, 2.0])")" ok "the grantee uses it"
ok "$(sqlstate mk_bob "SELECT mktdb.retrain('alice_seg')")" 42501 "the grantee cannot retrain it"
ok "$(sqlstate mk_bob "SELECT mktdb.drop_model('alice_seg')")" 42501 "the grantee cannot drop it"
ok "$(sqlstate mk_bob "SELECT mktdb.grant_model('alice_seg', 'mk_bob')")" 42501 "the grantee cannot grant it further"
ok "$(sqlstate mk_alice "SELECT mktdb.revoke_model('alice_seg', 'mk_bob')")" ok "the owner revokes it"
ok "$(sqlstate mk_bob "SELECT mktdb.segment_of('alice_seg', ARRAY[1.0, 2.0])")" 42704 "after revoke the role cannot use it"

# training reads with the caller's privileges
ok "$(sqlstate mk_bob "SELECT * FROM mktdb.kmeans_segment('bob_secret', 'secret', ARRAY['x','y'], 2)")" 42501 \
   "a role without SELECT on a table cannot train on it"
ok "$(sqlstate mk_bob "SELECT * FROM mktdb.kmeans_segment('bob_secret', 'SELECT x, y FROM public.secret', ARRAY['x','y'], 2)")" 42501 \
   "... nor through a query source"

# retrain runs as the model's owner, whoever calls it: bob trains on a view over a
# SECURITY INVOKER function, then points the function at the secret table.  When a
# superuser (e.g. a pg_cron job) retrains bob's model, the read must still fail.
mk_psql -d $db <<'SQL' >/dev/null
SET ROLE mk_bob;
CREATE TABLE bob_pts AS SELECT g AS id, (g % 2) * 10.0 AS x, (g % 3) * 1.0 AS y FROM generate_series(1, 50) g;
CREATE FUNCTION bob_rows() RETURNS SETOF bob_pts LANGUAGE sql AS 'SELECT * FROM bob_pts';
CREATE VIEW bob_view AS SELECT * FROM bob_rows();
SELECT * FROM mktdb.kmeans_segment('bob_seg', 'bob_view', ARRAY['x','y'], 2);
CREATE OR REPLACE FUNCTION bob_rows() RETURNS SETOF bob_pts LANGUAGE sql AS 'SELECT id::int, x::numeric, y::numeric FROM public.secret';
RESET ROLE;
SQL
ok "$(sqlstate postgres "SELECT mktdb.retrain('bob_seg')")" 42501 "a superuser's retrain of bob's model reads as bob, not as superuser"
ok "$(psql -X -At -d $db -c "SELECT max(version) FROM mktdb.model WHERE name = 'bob_seg'")" 1 "... and stored nothing"
ok "$(sqlstate postgres "SELECT mktdb.retrain('alice_seg')")" ok "a superuser can retrain alice's model (as alice)"
ok "$(psql -X -At -d $db -c "SELECT owner FROM mktdb.models WHERE name = 'alice_seg'")" mk_alice "the new version still belongs to alice"
ok "$(psql -X -At -d $db -c "SELECT count(*) FROM pg_proc WHERE pronamespace = 'mktdb'::regnamespace AND prosecdef")" 1 \
   "one SECURITY DEFINER function only (mktdb._model_head: fixed search_path, no dynamic SQL)"

dropdb $db; psql -X -q -d postgres -c "DROP ROLE mk_alice" -c "DROP ROLE mk_bob"

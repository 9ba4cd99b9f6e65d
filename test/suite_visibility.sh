#!/usr/bin/env bash
# suite_visibility.sh -- the reading functions check a model's visibility in C (model_store.c,
# model_visible: a direct index scan, no executor) instead of through the row-security policy
# model_select on mktdb.model.  For a matrix of roles (owner, members with and without INHERIT,
# direct and group grantees, BYPASSRLS, superuser, the catalog's owner, unrelated) and models
# (private, granted to a role, granted to a group, owned by a group), the C rule (does
# mktdb.segment_of find the model?) must equal the policy (does SELECT on mktdb.model see it?)
# and the documented rule.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
db=mk_visibility
roles=(mk_v_owner mk_v_member mk_v_noinherit mk_v_grantee mk_v_ingroup mk_v_bypass mk_v_other mk_v_catowner postgres)
models=(v_private v_direct v_group v_groupowned)
# expected visibility, one row per role in the order above, one character per model
expect=(1110 1110 1110 0100 0011 1111 0000 1111 1111)
echo "1..$(( ${#roles[@]} * ${#models[@]} ))"

dropdb --if-exists $db >/dev/null 2>&1; createdb $db
drop_roles() {
    for r in mk_v_owner mk_v_member mk_v_noinherit mk_v_grantee mk_v_ingroup mk_v_bypass mk_v_other mk_v_group mk_v_catowner; do
        psql -X -q -d postgres -c "DROP ROLE IF EXISTS $r" 2>/dev/null
    done
}
drop_roles
mk_psql -d $db <<'SQL' >/dev/null
CREATE ROLE mk_v_owner; CREATE ROLE mk_v_group; CREATE ROLE mk_v_grantee; CREATE ROLE mk_v_other;
CREATE ROLE mk_v_member IN ROLE mk_v_owner;
CREATE ROLE mk_v_noinherit NOINHERIT IN ROLE mk_v_owner;
CREATE ROLE mk_v_ingroup IN ROLE mk_v_group;
CREATE ROLE mk_v_bypass BYPASSRLS;
CREATE ROLE mk_v_catowner;
CREATE EXTENSION mktdb;
-- the catalog table's owner is not subject to its row security (no FORCE ROW LEVEL SECURITY)
ALTER TABLE mktdb.model OWNER TO mk_v_catowner;
GRANT CREATE ON SCHEMA public TO mk_v_owner, mk_v_group;
CREATE TABLE pts AS SELECT g AS id, (g % 3) * 10.0 AS x, (g % 5) * 1.0 AS y FROM generate_series(1, 60) g;
GRANT SELECT ON pts TO PUBLIC;
-- C rule: can the role use the model in a reading function?
CREATE FUNCTION c_sees(m text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM mktdb.segment_of(m, ARRAY[1.0, 2.0]);
    RETURN true;
EXCEPTION WHEN undefined_object THEN
    RETURN false;
END $$;
SET ROLE mk_v_owner;
SELECT count(*) FROM mktdb.kmeans_segment('v_private', 'public.pts', ARRAY['x', 'y'], 2);
SELECT count(*) FROM mktdb.kmeans_segment('v_direct', 'public.pts', ARRAY['x', 'y'], 2);
SELECT count(*) FROM mktdb.kmeans_segment('v_group', 'public.pts', ARRAY['x', 'y'], 2);
SELECT mktdb.grant_model('v_direct', 'mk_v_grantee');
SELECT mktdb.grant_model('v_group', 'mk_v_group');
SET ROLE mk_v_group;
SELECT count(*) FROM mktdb.kmeans_segment('v_groupowned', 'public.pts', ARRAY['x', 'y'], 2);
RESET ROLE;
SQL
for i in "${!roles[@]}"; do
    r=${roles[$i]}
    out=$(psql -X -At -F ' ' -d $db -c "SET ROLE $r" \
        -c "SELECT m, c_sees(m)::int, EXISTS (SELECT 1 FROM mktdb.model WHERE name = m)::int
              FROM unnest('{$(IFS=,; echo "${models[*]}")}'::text[]) WITH ORDINALITY AS u(m, k) ORDER BY k" 2>&1)
    for j in "${!models[@]}"; do
        m=${models[$j]} want=${expect[$i]:$j:1}
        line=$(printf '%s\n' "$out" | grep "^$m " | head -1)
        c=$(echo "$line" | cut -d' ' -f2) sql=$(echo "$line" | cut -d' ' -f3)
        if [ -n "$c" ] && [ "$c" = "$sql" ] && [ "$c" = "$want" ]; then
            echo "ok - visibility: $r x $m: C rule = policy = $want"
        else
            echo "not ok - visibility: $r x $m: C rule '$c', policy '$sql', documented '$want' ${line:+}$( [ -z "$line" ] && echo "($out)")"
        fi
    done
done
dropdb $db
drop_roles

#!/usr/bin/env bash
# suite_upgrade.sh -- ALTER EXTENSION mktdb UPDATE from every released version to the current one:
# models trained under the old version stay readable and retrainable, and the upgraded schema is
# exactly the schema of a fresh install (functions, signatures, defaults, views, tables, policies).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
ok() { if [ "$1" = "$2" ]; then echo "ok - upgrade: $3"; else echo "not ok - upgrade: $3 (got '$1', want '$2')"; fi; }
q() { psql -X -At -d "$1" -c "$2" 2>&1 | tail -1; }
current=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$MKTDB_ROOT/mktdb.control")
sharedir=$("$PG_BIN/pg_config" --sharedir)/extension

# a description of everything the extension script creates, one line per object
describe() {
    psql -X -At -d "$1" <<'SQL'
SELECT 'function ' || p.oid::regprocedure || ' -> ' || pg_get_function_result(p.oid) || ' | ' ||
       pg_get_function_arguments(p.oid) || ' | ' || p.provolatile::text || p.proparallel::text || p.proisstrict::int || p.prosecdef::int ||
       ' | ' || coalesce(array_to_string(p.proconfig, ','), '') || ' | ' || md5(p.prosrc) || ' | ' || coalesce(p.probin, '')
  FROM pg_proc p WHERE p.pronamespace = 'mktdb'::regnamespace
UNION ALL
SELECT 'aggregate ' || a.aggfnoid::regprocedure || ' ' || a.aggtransfn::regproc || ' ' || a.aggcombinefn::regproc || ' ' ||
       a.aggfinalfn::regproc || ' ' || a.aggserialfn::regproc || ' ' || a.aggtranstype::regtype
  FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid WHERE p.pronamespace = 'mktdb'::regnamespace
UNION ALL
SELECT 'relation ' || c.relname || ' ' || c.relkind::text || ' ' || c.relrowsecurity::int || ' ' || coalesce(array_to_string(c.reloptions, ','), '') ||
       ' ' || coalesce(pg_get_viewdef(c.oid), '')
  FROM pg_class c WHERE c.relnamespace = 'mktdb'::regnamespace
UNION ALL
SELECT 'column ' || a.attrelid::regclass || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' ||
       a.attnotnull::int || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE c.relnamespace = 'mktdb'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'constraint ' || conrelid::regclass || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'mktdb'::regnamespace
UNION ALL
SELECT 'policy ' || tablename || ' ' || policyname || ' ' || cmd || ' ' || coalesce(qual, '') || ' ' || coalesce(with_check, '')
  FROM pg_policies WHERE schemaname = 'mktdb'
UNION ALL
SELECT 'comment ' || d.objoid::regprocedure || ' ' || md5(d.description)
  FROM pg_description d JOIN pg_proc p ON p.oid = d.objoid AND d.classoid = 'pg_proc'::regclass
 WHERE p.pronamespace = 'mktdb'::regnamespace
UNION ALL
SELECT 'kind ' || kind || ' ' || retrain::text FROM mktdb.model_kind
UNION ALL
SELECT 'config ' || unnest(extconfig)::regclass FROM pg_extension WHERE extname = 'mktdb'
ORDER BY 1
SQL
}

dropdb --if-exists mk_upgrade_new >/dev/null 2>&1; createdb mk_upgrade_new
mk_psql -d mk_upgrade_new -c "CREATE EXTENSION mktdb" >/dev/null
describe mk_upgrade_new > /tmp/mk_desc_new.$$

olds=$(ls "$sharedir" | sed -n 's/^mktdb--\([0-9.]*\)--.*\.sql$/\1/p' | sort -u)
# the plan: 6 results per released version (1 skip when there is none); a suite that dies early
# prints fewer and fails (test/tap.sh)
n_old=$(echo $olds | wc -w)
echo "1..$(( n_old > 0 ? 6 * n_old : 1 ))"
for old in $olds; do
    db=mk_upgrade_$(echo "$old" | tr . _)
    dropdb --if-exists $db >/dev/null 2>&1; createdb $db
    mk_psql -d $db >/dev/null 2>/tmp/mk_up_err.$$ <<SQL
CREATE EXTENSION mktdb VERSION '$old';
CREATE TABLE pts AS SELECT g AS id, (g % 3) * 10.0 + (g % 7) * 0.1 AS x, (g % 5) * 1.0 AS y FROM generate_series(1, 300) g;
SELECT * FROM mktdb.kmeans_segment('seg', 'pts', ARRAY['x', 'y'], 3, id_column => 'id');
CREATE TABLE orders AS SELECT (g % 40) AS customer, date '2024-01-01' + (g * 37 % 300) AS day, (g % 17) * 1.5 AS amount
  FROM generate_series(1, 2000) g;
SELECT count(*) FROM mktdb.rfm_score('rfm', 'orders', 'customer', 'day', 'amount');
CREATE TABLE sales AS SELECT d AS t, 100 + 10 * sin(d / 3.0) + (d * 7919 % 11) AS units FROM generate_series(1, 96) d;
SELECT count(*) FROM mktdb.arima_forecast('fc', 'sales', 't', 'units', horizon => 6, pdq => '{1,0,0}', seasonal_pdq => '{0,0,0}');
CREATE TABLE clicks AS SELECT (g % 60)::bigint AS u, ((g * 7) % 50)::bigint AS i FROM generate_series(1, 1500) g;
SELECT * FROM mktdb.recommend_train('rec', 'clicks', 'u', 'i', factors => 8, iterations => 3);
CREATE TABLE before AS
SELECT (SELECT string_agg(mktdb.segment_of('seg', ARRAY[x, y])::text, ',' ORDER BY id) FROM pts) AS seg,
       (SELECT string_agg(r::text || f || m || segment, ',') FROM mktdb.rfm_of('rfm', 10, 20, 30)) AS rfm,
       (SELECT string_agg(round(forecast::numeric, 8)::text, ',' ORDER BY step) FROM mktdb.forecasts WHERE model = 'fc') AS fc,
       (SELECT string_agg(item_id::text, ',' ORDER BY rank) FROM mktdb.recommend_for('rec', 7::bigint, 5)) AS rec;
SQL
    grep ERROR /tmp/mk_up_err.$$ | head -3
    ok "$(grep -c ERROR /tmp/mk_up_err.$$)" 0 "$old: install $old and train one model of each kind"
    ok "$(q $db "ALTER EXTENSION mktdb UPDATE" 2>&1)" "ALTER EXTENSION" "$old: ALTER EXTENSION mktdb UPDATE"
    ok "$(q $db "SELECT extversion FROM pg_extension WHERE extname = 'mktdb'")" "$current" "$old: now at $current"
    ok "$(q $db "SELECT (SELECT string_agg(mktdb.segment_of('seg', ARRAY[x, y])::text, ',' ORDER BY id) FROM pts) = seg
                   AND (SELECT string_agg(r::text || f || m || segment, ',') FROM mktdb.rfm_of('rfm', 10, 20, 30)) = rfm
                   AND (SELECT string_agg(round(forecast::numeric, 8)::text, ',' ORDER BY step) FROM mktdb.forecasts WHERE model = 'fc') = fc
                   AND (SELECT string_agg(item_id::text, ',' ORDER BY rank) FROM mktdb.recommend_for('rec', 7::bigint, 5)) = rec
                  FROM before")" t "$old: models trained before the update give the same answers after it"
    ok "$(q $db "SELECT count(*) FROM (SELECT mktdb.retrain(name) FROM mktdb.models) r")" 4 "$old: every old model retrains after the update"
    describe $db > /tmp/mk_desc_old.$$
    if [ -s /tmp/mk_desc_new.$$ ] && diff /tmp/mk_desc_new.$$ /tmp/mk_desc_old.$$ > /tmp/mk_desc_diff.$$; then
        echo "ok - upgrade: $old: the upgraded schema equals a fresh $current install ($(wc -l < /tmp/mk_desc_new.$$) objects compared)"
    else
        head -30 /tmp/mk_desc_diff.$$; echo "not ok - upgrade: $old: the upgraded schema differs from a fresh $current install"
    fi
    dropdb $db
done
[ -n "$(compgen -G "$sharedir/mktdb--*--*.sql")" ] || echo "ok - upgrade: no released version before $current # SKIP"
rm -f /tmp/mk_desc_*.$$ /tmp/mk_up_err.$$
dropdb mk_upgrade_new

#!/usr/bin/env bash
# test/readme_reference.sh -- prints the README's "Reference" section from an installed
# mktdb: every user-facing function, aggregate and view of schema mktdb with its arguments
# (defaults included), what it returns and its COMMENT ON.  test/suite_docs.sh checks
# that README.md carries exactly this text, so the reference cannot drift from the code.
#   bash test/readme_reference.sh [psql connection arguments]
set -euo pipefail
q() { psql -X -At -F '|' -v ON_ERROR_STOP=1 "$@"; }
cat <<'HEAD'
Generated from the installed extension by `test/readme_reference.sh` (checked by
`test/suite_docs.sh`); `\df+ mktdb.*` and `\dv+ mktdb.*` in psql show the same comments.
Names starting with `_` are internal and left out.

| function | returns | what it does |
| --- | --- | --- |
HEAD
q "$@" <<'SQL'
SELECT format('| `mktdb.%s(%s)`%s | %s | %s |',
              p.proname,
              replace(pg_get_function_arguments(p.oid), '|', '\|'),
              CASE p.prokind WHEN 'a' THEN ' (aggregate)' ELSE '' END,
              replace(regexp_replace(pg_get_function_result(p.oid), '^TABLE\((.*)\)$', 'rows (\1)'), '|', '\|'),
              replace(coalesce(obj_description(p.oid, 'pg_proc'), '(no comment)'), '|', '\|'))
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'mktdb' AND p.proname !~ '^_' AND p.prokind IN ('f', 'a')
ORDER BY p.proname, pg_get_function_identity_arguments(p.oid);
SQL
printf '\n| view | what it shows |\n| --- | --- |\n'
q "$@" <<'SQL'
SELECT format('| `mktdb.%s` | %s |', c.relname,
              replace(coalesce(obj_description(c.oid, 'pg_class'), '(no comment)'), '|', '\|'))
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'mktdb' AND c.relkind = 'v' AND c.relname !~ '^_'
ORDER BY c.relname;
SQL

#!/usr/bin/env bash
# suite_docs.sh -- the README's "Reference" section is what the installed extension says of
# itself (test/readme_reference.sh), so that a new function, argument, default or comment
# cannot be left out of the README.  Needs the server started by test/run.sh.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
echo "1..2"
dropdb --if-exists mk_docs >/dev/null 2>&1; createdb mk_docs
psql -X -q -d mk_docs -c "CREATE EXTENSION mktdb CASCADE" >/dev/null 2>&1
want=$(bash "$MKTDB_ROOT/test/readme_reference.sh" -d mk_docs)
have=$(sed -n '/^<!-- reference:begin -->$/,/^<!-- reference:end -->$/p' "$MKTDB_ROOT/README.md" | sed '1d;$d')
if [ -n "$want" ] && [ "$want" = "$have" ]; then
    echo "ok - docs: README's Reference section equals test/readme_reference.sh's output"
else
    diff <(printf '%s\n' "$have") <(printf '%s\n' "$want") | head -20 | sed 's/^/# /'
    echo "not ok - docs: README's Reference section differs from the installed extension (regenerate it with test/readme_reference.sh)"
fi
nodoc=$(printf '%s\n' "$want" | grep -c '(no comment)')
if [ "$nodoc" = 0 ]; then echo "ok - docs: every function and view in the reference has a comment"
else echo "not ok - docs: $nodoc reference rows without a COMMENT ON"; fi
dropdb mk_docs

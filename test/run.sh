#!/usr/bin/env bash
# test/run.sh -- runs every test suite of mktdb and ends with "N passed, N failed".
#
#   1. installs missing Debian packages, builds and installs the extension;
#   2. C unit tests of src/core (test/unit);
#   3. pg_regress over sql/*.sql against a throwaway cluster (pg_cron preloaded),
#      or against PGHOST/PGPORT when MKTDB_TEST_USE_SERVER=1;
#   4. the server suites test/suite_*.sh (dump/restore, pg_cron, concurrency, ...).
# Exit status is non-zero when anything failed.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$MKTDB_ROOT"

passed=0 failed=0
count() {  # reads "ok - ..." / "not ok - ..." lines, echoes them, counts them
    local line
    while IFS= read -r line; do
        printf '%s\n' "$line"
        case $line in
            "not ok"*) failed=$((failed + 1)) ;;
            "ok"*) passed=$((passed + 1)) ;;
        esac
    done
}

mk_packages || { echo "could not install packages"; echo "0 passed, 1 failed"; exit 1; }
mk_log "build"
buildlog=$( (flock 9; make PG_CONFIG="$PG_BIN/pg_config" 2>&1 && mk_root make -s install PG_CONFIG="$PG_BIN/pg_config" 2>&1) 9>/tmp/mktdb-build.lock)
if [ $? != 0 ]; then
    printf '%s\n' "$buildlog" | tail -30
    echo "not ok - build"; echo "0 passed, 1 failed"; exit 1
fi
warnings=$(printf '%s\n' "$buildlog" | grep -c 'warning:')
count < <([ "$warnings" = 0 ] && echo "ok - build has no compiler warnings" || { printf '%s\n' "$buildlog" | grep -A3 'warning:' | head -20; echo "not ok - build prints $warnings warnings"; })

mk_log "unit tests (test/unit)"
count < <(make -s -C test/unit run 2>&1 || echo "not ok - unit test build or run")

if [ "${MKTDB_TEST_USE_SERVER:-0}" != 1 ]; then
    dir=$(mk_cluster_dir test)
    mk_cluster_stop "$dir"; rm -rf "$dir"
    mk_cluster_start "$dir" "${MKTDB_TEST_PORT:-5492}"
    trap 'mk_cluster_stop "$dir"' EXIT
fi

mk_log "pg_regress (sql/*.sql)"
rm -rf results regression.diffs regression.out
make -s installcheck PG_CONFIG="$PG_BIN/pg_config" > /tmp/mktdb-regress.$$ 2>&1
count < <(sed -n -E 's/^(test|     ) *([a-z_0-9]+) +\.\.\. +(ok|FAILED).*$/\3 \2/p; s/^(ok|not ok) +[0-9]+ +[-+] +([a-z_0-9]+) .*$/\1 \2/p' /tmp/mktdb-regress.$$ \
    | sed -e 's/^ok /ok - pg_regress /' -e 's/^FAILED /not ok - pg_regress /' -e 's/^not ok /not ok - pg_regress /')
if grep -q -E 'FAILED|failed' /tmp/mktdb-regress.$$; then
    [ -f regression.diffs ] && head -150 regression.diffs
    grep -q -E 'ok|FAILED' /tmp/mktdb-regress.$$ || { cat /tmp/mktdb-regress.$$; echo "not ok - pg_regress did not run"; failed=$((failed + 1)); }
fi
rm -f /tmp/mktdb-regress.$$

for suite in test/suite_*.sh; do
    [ -e "$suite" ] || continue
    mk_log "$suite"
    count < <(bash "$suite" 2>&1 || echo "not ok - $suite exited with an error")
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

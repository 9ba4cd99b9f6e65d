#!/usr/bin/env bash
# test/run.sh -- runs every test suite of mktdb and ends with "N passed, N failed, N skipped".
#
#   1. installs missing Debian packages, builds and installs the extension;
#   2. C unit tests of src/core (test/unit), plain and under ASan/UBSan;
#   3. pg_regress over sql/*.sql against a throwaway cluster (pg_cron preloaded),
#      or against PGHOST/PGPORT when MKTDB_TEST_USE_SERVER=1;
#   4. the server suites test/suite_*.sh (dump/restore, pg_cron, concurrency, ...).
# Every program runs through test/tap.sh: its output is captured to a file (under
# results/tap/), and a program that exits non-zero, dies by a signal or prints fewer or
# more results than its plan line ("1..N") fails.  "ok - ... # SKIP why" counts as skipped,
# never as passed.  Exit status is non-zero when anything failed.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$MKTDB_ROOT"

passed=0 failed=0 skipped=0
count() {  # reads "ok - ..." / "not ok - ..." lines, echoes them, counts them
    local line
    while IFS= read -r line; do
        printf '%s\n' "$line"
        case $line in
            "not ok"*) failed=$((failed + 1)) ;;
            "ok"*"# SKIP"*|"ok"*"# skip"*) skipped=$((skipped + 1)) ;;
            "ok"*) passed=$((passed + 1)) ;;
        esac
    done
}
summary() { echo "$passed passed, $failed failed, $skipped skipped"; }
tapdir=$MKTDB_ROOT/results/tap

mk_packages || { echo "could not install packages"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
mk_log "build"
buildlog=$( (flock 9; make PG_CONFIG="$PG_BIN/pg_config" 2>&1 && mk_root make -s install PG_CONFIG="$PG_BIN/pg_config" 2>&1) 9>/tmp/mktdb-build.lock)
if [ $? != 0 ]; then
    printf '%s\n' "$buildlog" | tail -30
    echo "not ok - build"; echo "0 passed, 1 failed, 0 skipped"; exit 1
fi
warnings=$(printf '%s\n' "$buildlog" | grep -c 'warning:')
count < <([ "$warnings" = 0 ] && echo "ok - build has no compiler warnings" || { printf '%s\n' "$buildlog" | grep -A3 'warning:' | head -20; echo "not ok - build prints $warnings warnings"; })

# every unit binary, plain and under ASan/UBSan (test_autoarima on a subset there, see
# test/unit/Makefile); a build failure fails the pass
unit_pass() {  # unit_pass BUILD-TARGET RUN-TARGET LABEL
    local out
    if ! out=$(make -s -C test/unit "$1" 2>&1); then
        printf '%s\n' "$out" | tail -30; echo "not ok - $3 build"; return
    fi
    make -s -C test/unit "$2" 2>&1
}
rm -rf test/unit/out
mk_log "unit tests (test/unit)"
count < <(unit_pass all run "unit tests")
mk_log "unit tests under AddressSanitizer + UBSan"
count < <(unit_pass asan run-asan "sanitizer unit tests")

if [ "${MKTDB_TEST_USE_SERVER:-0}" != 1 ]; then
    dir=$(mk_cluster_dir test)
    mk_cluster_stop "$dir"; rm -rf "$dir"
    mk_cluster_start "$dir" "${MKTDB_TEST_PORT:-5492}"
    trap 'mk_cluster_stop "$dir"' EXIT
fi

mk_log "pg_regress (sql/*.sql), each test in its own database"
rm -rf results regression.diffs regression.out; mkdir -p "$tapdir"
regress=$(pg_regress_bin)
run_regress() {
for f in sql/*.sql; do
    t=$(basename "$f" .sql)
    case $t in mktdb--*) continue ;; esac
    mkdir -p "results/$t"
    if "$regress" --inputdir=. --outputdir="results/$t" --bindir="$PG_BIN" --dbname="mk_regress_$t" \
            --load-extension=mktdb "$t" > "results/$t/log" 2>&1; then
        echo "ok - pg_regress $t"
    else
        [ -f "results/$t/regression.diffs" ] && head -100 "results/$t/regression.diffs" || tail -20 "results/$t/log"
        echo "not ok - pg_regress $t"
    fi
done
}
count < <(run_regress)

for suite in test/suite_*.sh; do
    [ -e "$suite" ] || continue
    mk_log "$suite"
    # every suite must print its plan ("1..N"), so that one that dies early fails
    count < <(bash test/tap.sh --plan "$suite" "$tapdir/$(basename "$suite" .sh).out" bash "$suite")
done

summary
[ "$failed" = 0 ]

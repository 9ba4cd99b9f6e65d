#!/usr/bin/env bash
# test/tap.sh -- runs one test program and judges it by its TAP output, for test/run.sh and
# `make -C test/unit run`:
#
#   bash test/tap.sh [--plan] [--prefix TEXT] LABEL OUTFILE COMMAND [ARGS...]
#
# The program's output (stdout and stderr) goes to OUTFILE, not through a pipe, so that a
# program that crashes loses nothing; it is then printed, with TEXT after every "ok - " /
# "not ok - ".  Extra "not ok - LABEL ..." lines are added when the program
#   - died by a signal (always), or exited non-zero without printing any "not ok" line;
#   - printed a plan ("1..N") and then fewer or more than N results;
#   - printed no plan although --plan says it must (every unit binary starts with PLAN(n)).
# Exit status: 0 when no "not ok" line was printed or added.
set -uo pipefail
need_plan=0 prefix=
while [ $# -gt 0 ]; do
    case $1 in
        --plan) need_plan=1; shift ;;
        --prefix) prefix=$2; shift 2 ;;
        *) break ;;
    esac
done
label=$1 out=$2; shift 2
mkdir -p "$(dirname "$out")"
"$@" > "$out" 2>&1 < /dev/null
rc=$?

if [ -n "$prefix" ]; then
    sed "s/^\(not \)\{0,1\}ok - /&$prefix /" "$out"
else
    cat "$out"
fi
plan=$(grep -m1 -E '^1\.\.[0-9]+' "$out" | sed 's/^1\.\.\([0-9]*\).*/\1/')
results=$(grep -c -E '^(not )?ok( |$)' "$out")
nfail=$(grep -c -E '^not ok( |$)' "$out")
bad=0
if [ "$rc" -gt 128 ]; then
    sig=$((rc - 128))
    echo "not ok - $label died by signal $sig (SIG$(kill -l "$sig" 2>/dev/null || echo '?')) after $results results"
    bad=1
elif [ "$rc" != 0 ] && [ "$nfail" = 0 ]; then
    tail -5 "$out" | sed 's/^/# /'
    echo "not ok - $label exits with status $rc"
    bad=1
fi
if [ -n "$plan" ]; then
    if [ "$results" != "$plan" ]; then
        echo "not ok - $label printed $results results, planned $plan"
        bad=1
    fi
elif [ "$need_plan" = 1 ]; then
    echo "not ok - $label printed no plan line (1..N)"
    bad=1
fi
[ "$bad" = 0 ] && [ "$nfail" = 0 ]

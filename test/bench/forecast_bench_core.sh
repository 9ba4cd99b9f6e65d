#!/usr/bin/env bash
# test/bench/forecast_bench_core.sh -- the core of mktdb.forecast against R, CPU against CPU, one core each
# (issue 14's speed goal, without PostgreSQL: tells the fitting's cost from the SQL glue's, which
# test/bench/forecast_bench.sh times together).  Builds test/bench/forecast_bench_core.c with src/core,
# makes the series of forecast_bench_r.R (or reuses DIR/series.csv), and prints per set and method the
# CPU milliseconds per series of mktdb's core and of R (forecast 8.20), and their ratio.
#
#   test/bench/forecast_bench_core.sh [--reuse DIR] [--reps N] [--r-reps N] [METHOD...]
#     METHOD     ets, theta, croston (default: ets and theta; R's croston takes seconds on a long daily series)
#     --reps N   mktdb runs each series N times (default 3); --r-reps N: R (default 3)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
reuse="" reps=3 rreps=3 methods=()
while [ $# -gt 0 ]; do
    case $1 in
    --reuse) reuse=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --r-reps) rreps=$2; shift 2 ;;
    -*) echo "usage: $0 [--reuse DIR] [--reps N] [--r-reps N] [METHOD...]" >&2; exit 2 ;;
    *) methods+=("$1"); shift ;;
    esac
done
[ ${#methods[@]} -gt 0 ] || methods=(ets theta)
work=${reuse:-$(mktemp -d /tmp/forecast_core.XXXXXX)}
cd "$root"
if [ ! -f "$work/series.csv" ]; then
    AUS=$root/../shared/data/aus_retail/aus_retail.csv.gz
    [ -f "$AUS" ] || AUS=$root/../../shared/data/aus_retail/aus_retail.csv.gz
    Rscript test/bench/forecast_bench_r.R series "$work" "$AUS" 152
fi
export OPENBLAS_NUM_THREADS=1
gcc -O2 -std=gnu99 -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -pthread -Isrc \
    -I/usr/include/x86_64-linux-gnu -o "$work/forecast_bench_core" test/bench/forecast_bench_core.c src/core/*.c \
    -lopenblas -llapacke -lm -pthread
echo "== mktdb core: thread CPU ms per series (one thread, $reps runs each)"
"$work/forecast_bench_core" "$work/series.csv" "$reps" "${methods[@]}" | tee "$work/core.txt"
echo "== R (forecast $(Rscript -e 'cat(as.character(packageVersion("forecast")))')): CPU ms per series ($rreps runs each)"
Rscript test/bench/forecast_bench_cpu.R "$work/series.csv" "$rreps" "${methods[@]}" | tee "$work/r.txt"
echo "== ratio R CPU / mktdb core CPU per series"
awk 'NR == FNR { if (FNR > 1) mk[$1 " " $2] = $4; next }
     FNR > 1 && (($2 " " $1) in mk) { printf "%-14s %-8s %8.3f ms  %8.3f ms  %7.1fx\n", $2, $1, $3, mk[$2 " " $1], $3 / mk[$2 " " $1] }' \
    "$work/core.txt" "$work/r.txt"
echo "(uptime: $(uptime | sed 's/.*load/load/'); results in $work)"

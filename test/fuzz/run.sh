#!/usr/bin/env bash
# test/fuzz/run.sh [SECONDS] -- builds the libFuzzer targets with ASan/UBSan and runs each
# for SECONDS (default 60).  Prints "ok - fuzz <target>" when no crash was found.
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
command -v clang >/dev/null || { echo "ok - fuzz skipped: clang not installed # SKIP"; exit 0; }
for src in test/fuzz/fuzz_*.c; do
    t=$(basename "$src" .c)
    out=/tmp/mktdb-$t
    clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Isrc \
        "$src" src/core/format.c -o "$out" || { echo "not ok - fuzz $t does not build"; continue; }
    if "$out" -max_total_time="$secs" -max_len=4096 >/tmp/mktdb-$t.log 2>&1; then
        echo "ok - fuzz $t: $(grep -o 'Done [0-9]* runs' /tmp/mktdb-$t.log | head -1) without a crash"
    else
        tail -20 /tmp/mktdb-$t.log; echo "not ok - fuzz $t found a crash"
    fi
done

#!/usr/bin/env bash
# test/fuzz/run.sh [SECONDS] -- builds the libFuzzer targets with ASan/UBSan and runs each
# for SECONDS (default 60).  Prints "ok - fuzz <target>" when no crash was found.
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
# the test command installs clang (test/lib.sh mk_packages): without it the fuzz run fails
command -v clang >/dev/null || { echo "not ok - fuzz: clang not installed (apt-get install clang libclang-rt-14-dev)"; exit 1; }
echo "1..$(ls test/fuzz/fuzz_*.c | wc -l)"
tmp=$(mktemp -d /tmp/mktdb-fuzz.XXXXXX)   # private: other checkouts may fuzz at the same time
trap 'rm -rf "$tmp"' EXIT
for src in test/fuzz/fuzz_*.c; do
    t=$(basename "$src" .c)
    out=$tmp/$t
    clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Isrc \
        "$src" src/core/format.c -o "$out" || { echo "not ok - fuzz $t does not build"; continue; }
    if "$out" -max_total_time="$secs" -max_len=4096 >"$out.log" 2>&1; then
        echo "ok - fuzz $t: $(grep -o 'Done [0-9]* runs' "$out.log" | head -1) without a crash"
    else
        tail -20 "$out.log"; echo "not ok - fuzz $t found a crash"
    fi
done

#!/usr/bin/env bash
# Recommendation quality benchmark (see recommend_quality.py): builds and installs mktdb, starts
# the bench cluster (.cluster/bench_rec, port $MKTDB_BENCH_PORT or 5493) and runs mktdb, most-popular and EASE.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
mk_build
mk_cluster_start "$MKTDB_ROOT/.cluster/bench_rec" "${MKTDB_BENCH_PORT:-5493}"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS mk_bench_recommend" -c "CREATE DATABASE mk_bench_recommend"
MKTDB_DATA=${MKTDB_DATA:-$MKTDB_ROOT/../shared/data} BENCH_DB=mk_bench_recommend \
    /usr/bin/python3 "$MKTDB_ROOT/test/bench/recommend_quality.py" "$@"

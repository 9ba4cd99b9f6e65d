#!/usr/bin/env bash
# test/bench/kmeans_bench.sh -- k-means benchmark (see kmeans_bench.py for what is measured):
# mktdb.kmeans_segment vs psycopg2 COPY + pandas + scikit-learn vs SELECT sum(...) on a
# 1,000,000 x 16 table with 8 planted clusters, and inertia against scikit-learn on iris,
# wine, breast_cancer and digits.  Not a timed test: run it by hand.  ROWS / RUNS override.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
cd "$MKTDB_ROOT"

dir=$MKTDB_ROOT/.cluster/bench_kmeans   # its own cluster: other benchmarks restart theirs
db=kmeans_bench

mk_build
mk_cluster_start "$dir" "${MKTDB_BENCH_PORT:-5487}"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
BENCH_DB=$db /usr/bin/python3 test/bench/kmeans_bench.py

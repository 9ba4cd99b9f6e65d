#!/usr/bin/env bash
# test/bench/clv_bench.sh -- customer lifetime value on CUSTOMERS customers (default 1,000,000,
# about 5 purchase rows each, drawn from BG/NBD + Gamma-Gamma by clv_bench.py), one run each:
#   (a) mktdb: clv_train (summary + BG/NBD + Gamma-Gamma fit) + customer_value for everyone
#   (b) the export workflow: COPY -> pandas summary -> scipy fit -> numpy scoring
# Prints the times, the ratio (a)/(b) (goal <= 0.2) and the fit's share of (a) (goal <= 10 %),
# and the two fits' log-likelihoods.  Not a timed test: run it by hand (MKTDB_BENCH_PORT: a free port).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
cd "$MKTDB_ROOT"
mk_packages python3-pandas python3-psycopg2 python3-scipy
dir=$MKTDB_ROOT/.cluster/bench
port=${MKTDB_BENCH_PORT:-5497}
mk_build
mk_cluster_start "$dir" "$port"
trap 'mk_cluster_stop "$dir"' EXIT
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS clv_bench" -c "CREATE DATABASE clv_bench"
mk_psql -d clv_bench -c "CREATE EXTENSION mktdb"
PGHOST=$dir PGPORT=$port PGUSER=postgres BENCH_DB=clv_bench /usr/bin/python3 test/bench/clv_bench.py

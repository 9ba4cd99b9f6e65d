#!/usr/bin/env bash
# test/dev.sh -- developer loop on a dev cluster (.cluster/dev, port $MKTDB_DEV_PORT or 5499).
#   test/dev.sh build            build + install (serialised with other shells)
#   test/dev.sh regress NAME...  build, then run sql/NAME.sql in its own database mk_NAME and
#                                diff against expected/NAME.out (results in results/)
#   test/dev.sh psql [args]      psql to the dev cluster
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cmd=${1:-build}; shift || true
dir=$(mk_cluster_dir dev)
port=${MKTDB_DEV_PORT:-5499}
case $cmd in
build) mk_build ;;
regress)
    mk_build
    mk_cluster_start "$dir" "$port"
    for t in "$@"; do
        mkdir -p "$MKTDB_ROOT/results/$t"; rm -f "$MKTDB_ROOT/results/$t/results/$t.out"
        "$(pg_regress_bin)" --inputdir="$MKTDB_ROOT" \
            --outputdir="$MKTDB_ROOT/results/$t" --bindir="$PG_BIN" --host="$dir" --port="$port" \
            --user=postgres --dbname="mk_$t" --load-extension=mktdb "$t" | tail -3 || true
    done ;;
psql) mk_cluster_start "$dir" "$port"; psql -X "$@" ;;
*) echo "usage: $0 build|regress NAME...|psql" >&2; exit 2 ;;
esac

# test/citus_lib.sh -- builds Citus (a test tool, AGPL-3.0, never part of mktdb) from the
# source release in ../shared/vendor and starts a coordinator with two workers on
# loopback ports.  Sourced by test/suite_citus.sh and test/bench/citus_bench.sh after
# test/lib.sh.
#
#   MKTDB_CITUS_TARBALL  the source release (default ../shared/vendor/citus-13.2.2.tar.gz)
#   MKTDB_CITUS_PORTS    first port of five (default 5580: coordinator 5580, workers 5581 and
#                        5582, registered in Citus through counting relays on 5583 and 5584,
#                        test/citus_proxy.py, so that the bytes the workers send are measured)
#
# The build is cached in .citus/ (ignored by git): once per clean clone, with_llvm=no
# (no JIT bitcode: half the build time).

MKTDB_CITUS_TARBALL=${MKTDB_CITUS_TARBALL:-$MKTDB_ROOT/../shared/vendor/citus-13.2.2.tar.gz}
[ -f "$MKTDB_CITUS_TARBALL" ] || MKTDB_CITUS_TARBALL=/work/shared/vendor/citus-13.2.2.tar.gz
MKTDB_CITUS_PORTS=${MKTDB_CITUS_PORTS:-5580}
CITUS_BUILD=$MKTDB_ROOT/.citus

# Debian packages the Citus build needs (PG 15's libpq-be.h includes gssapi/gssapi.h).
CITUS_PACKAGES="liblz4-dev libzstd-dev libkrb5-dev"

# mk_citus_build: builds and installs Citus into $PG_BIN's PostgreSQL unless the
# installed citus.so is the one this clone built.  Prints the build's wall seconds.
mk_citus_build() {
    local pkglib src t0
    pkglib=$("$PG_BIN/pg_config" --pkglibdir)
    if [ -f "$CITUS_BUILD/built" ] && [ -f "$pkglib/citus.so" ] && cmp -s "$CITUS_BUILD/built" "$pkglib/citus.so"; then
        return 0
    fi
    mk_packages $CITUS_PACKAGES || return 1
    t0=$(date +%s)
    (
        set -e
        flock 8
        mkdir -p "$CITUS_BUILD"
        cd "$CITUS_BUILD"
        if [ ! -f src.ok ]; then
            rm -rf src && mkdir src
            tar xzf "$MKTDB_CITUS_TARBALL" -C src --strip-components=1
            # PostgreSQL 15.20 declares have_createdb_privilege() in commands/dbcommands.h;
            # Citus 13 defines a static one of that name for PG < 16: rename Citus's.
            sed -i 's/\bhave_createdb_privilege\b/citus_have_createdb_privilege/g' \
                src/src/include/pg_version_compat.h src/src/backend/distributed/commands/serialize_distributed_ddls.c
            touch src.ok
        fi
        cd src
        if [ ! -f ../configured ]; then
            PG_CONFIG="$PG_BIN/pg_config" ./configure --without-libcurl >../configure.log 2>&1
            touch ../configured
        fi
        nice make -s -j2 with_llvm=no >../build.log 2>&1
        mk_root make -s install with_llvm=no >>../build.log 2>&1
        cp "$pkglib/citus.so" ../built
    ) 8>"$MKTDB_ROOT/.citus.lock" || { tail -30 "$CITUS_BUILD/build.log" "$CITUS_BUILD/configure.log" 2>/dev/null; return 1; }
    # the time of a build from the source release (not of a relink after an install elsewhere)
    [ -f "$CITUS_BUILD/build_seconds" ] || echo "$(( $(date +%s) - t0 ))" > "$CITUS_BUILD/build_seconds"
}

# mk_citus_node DIR PORT: one Citus node (citus + pg_stat_statements preloaded).
mk_citus_node() {
    local dir=$1 port=$2
    local as=(); [ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        "${as[@]}" "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust --no-sync >/dev/null || return 1
        cat >> "$dir/data/postgresql.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
shared_preload_libraries = 'citus,pg_stat_statements'
pg_stat_statements.track = all
max_worker_processes = 16
max_connections = 60
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 128MB
work_mem = 32MB
citus.shard_count = 8
CONF
    fi
    "${as[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1 ||
        "${as[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
}

# mk_citus_start BASE: a coordinator (port P) and workers (P+1, P+2) under BASE/{c,w1,w2},
# database "mk" with citus, pg_stat_statements and mktdb on every node.
# Leaves PGHOST/PGPORT pointing at the coordinator.
mk_citus_start() {
    local base=$1 p=$MKTDB_CITUS_PORTS i
    mk_citus_node "$base/c" "$p" && mk_citus_node "$base/w1" $((p + 1)) && mk_citus_node "$base/w2" $((p + 2)) || return 1
    for i in 0 1 2; do
        psql -X -q -h 127.0.0.1 -p $((p + i)) -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'mk'" | grep -q 1 ||
            psql -X -q -h 127.0.0.1 -p $((p + i)) -U postgres -d postgres -c 'CREATE DATABASE mk' || return 1
        psql -X -q -h 127.0.0.1 -p $((p + i)) -U postgres -d mk -c 'SET client_min_messages = warning' \
            -c 'CREATE EXTENSION IF NOT EXISTS citus' -c 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements' || return 1
    done
    if ! [ -f "$base/proxy.pid" ] || ! kill -0 "$(cat "$base/proxy.pid")" 2>/dev/null; then
        python3 "$MKTDB_ROOT/test/citus_proxy.py" "$base/received" $((p + 3)):$((p + 1)) $((p + 4)):$((p + 2)) \
            >"$base/proxy.log" 2>&1 &
        echo $! >"$base/proxy.pid"
    fi
    for i in $(seq 1 50); do
        (exec 3<>/dev/tcp/127.0.0.1/$((p + 4))) 2>/dev/null && break
        sleep 0.2
    done
    export PGHOST=127.0.0.1 PGPORT=$p PGUSER=postgres
    psql -X -q -v ON_ERROR_STOP=1 -d mk <<SQL >/dev/null || return 1
SET client_min_messages = warning;
SELECT citus_set_coordinator_host('127.0.0.1', $p) WHERE NOT EXISTS (SELECT 1 FROM pg_dist_node WHERE groupid = 0);
SELECT citus_add_node('127.0.0.1', $((p + 3))) WHERE NOT EXISTS (SELECT 1 FROM pg_dist_node WHERE nodeport = $((p + 3)));
SELECT citus_add_node('127.0.0.1', $((p + 4))) WHERE NOT EXISTS (SELECT 1 FROM pg_dist_node WHERE nodeport = $((p + 4)));
CREATE EXTENSION IF NOT EXISTS mktdb;
SQL
}

# mk_citus_workers SQL: runs SQL on each worker directly (not through the counting relays)
mk_citus_workers() {
    local p
    for p in $((MKTDB_CITUS_PORTS + 1)) $((MKTDB_CITUS_PORTS + 2)); do psql -X -At -h 127.0.0.1 -p "$p" -d mk -c "$1"; done
}

# mk_citus_moved BASE TABLE SQL: runs SQL on the coordinator and prints "rows bytes ms": the rows
# the workers' shard queries over TABLE returned (pg_stat_statements on the workers), the bytes
# the workers sent meanwhile (counted by the relays they are registered through), wall ms
mk_citus_moved() {
    local base=$1 b0 rows t0 t1
    mk_citus_workers "SELECT pg_stat_statements_reset()" >/dev/null
    sleep 0.3; b0=$(mk_citus_received "$base")
    t0=$(date +%s%N)
    psql -X -q -v ON_ERROR_STOP=1 -d mk -c "$3" >/dev/null || echo "not ok - citus: $3 fails" >&2
    t1=$(date +%s%N)
    sleep 0.3
    rows=$(mk_citus_workers "SELECT coalesce(sum(rows), 0) FROM pg_stat_statements WHERE query LIKE '%$2\\_1%'" |
           awk '{s += $1} END {print s + 0}')
    echo "$rows $(( $(mk_citus_received "$base") - b0 )) $(( (t1 - t0) / 1000000 ))"
}

# bytes the workers have sent through the relays so far
mk_citus_received() { cat "$1/received" 2>/dev/null || echo 0; }

mk_citus_stop() {
    local base=$1 n
    if [ -f "$base/proxy.pid" ]; then
        n=$(cat "$base/proxy.pid"); kill "$n" 2>/dev/null
        while kill -0 "$n" 2>/dev/null; do sleep 0.1; done
        rm -f "$base/proxy.pid"
    fi
    for n in c w1 w2; do mk_cluster_stop "$base/$n"; done
}

# test/lib.sh -- shared shell helpers for demo.sh, test/run.sh and the suites under test/.
# Source it; it defines functions only.  Everything runs as root on Debian 12 (or as a
# user who can sudo); the PostgreSQL server itself runs as the "postgres" user.

MKTDB_ROOT=${MKTDB_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
# MKTDB_PG_PREFIX=/some/dir: build, install and test against a private copy of the
# PostgreSQL installation under that folder (PostgreSQL finds its share and lib folders
# relative to its binaries), so that several checkouts can be tested at once on one
# machine without installing over each other's mktdb.so.
if [ -n "${MKTDB_PG_PREFIX:-}" ]; then
    if [ ! -x "$MKTDB_PG_PREFIX/usr/lib/postgresql/15/bin/postgres" ] && [ -x /usr/lib/postgresql/15/bin/postgres ]; then
        mkdir -p "$MKTDB_PG_PREFIX/usr/lib/postgresql" "$MKTDB_PG_PREFIX/usr/share/postgresql" "$MKTDB_PG_PREFIX/usr/include"
        cp -a /usr/lib/postgresql/15 "$MKTDB_PG_PREFIX/usr/lib/postgresql/"
        cp -a /usr/share/postgresql/15 "$MKTDB_PG_PREFIX/usr/share/postgresql/"
        cp -a /usr/include/postgresql "$MKTDB_PG_PREFIX/usr/include/"
        chmod -R a+rX "$MKTDB_PG_PREFIX"
    fi
    PG_BIN=$MKTDB_PG_PREFIX/usr/lib/postgresql/15/bin
fi
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
export PATH="$PG_BIN:$PATH"

mk_log() { printf '== %s\n' "$*" >&2; }

# run a command as root (sudo when we are not root)
mk_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Installs the Debian packages mktdb needs to build and test, when missing (clang and
# its runtime for the libFuzzer targets of test/suite_fuzz.sh).
mk_packages() {
    local need=() p
    for p in build-essential postgresql-15 postgresql-server-dev-15 libopenblas-dev liblapacke-dev \
             postgresql-15-cron postgresql-contrib-15 clang libclang-rt-14-dev chromium libxml2-utils "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
    done
    # postgresql-contrib-15 is a virtual package on Debian 12 (provided by postgresql-15)
    local real=() q
    for q in "${need[@]}"; do [ "$q" = postgresql-contrib-15 ] || real+=("$q"); done
    if [ ${#real[@]} -gt 0 ]; then
        mk_log "installing ${real[*]}"
        mk_root apt-get update -qq
        DEBIAN_FRONTEND=noninteractive mk_root apt-get install -y -qq "${real[@]}" >/dev/null
    fi
}

# Builds and installs the extension (serialised: several shells may build at once).
mk_build() {
    (
        cd "$MKTDB_ROOT" || exit 1
        flock 9
        make -s PG_CONFIG="$PG_BIN/pg_config" >/dev/null && mk_root make -s install PG_CONFIG="$PG_BIN/pg_config" >/dev/null
    ) 9>/tmp/mktdb-build.lock
}

# mk_cluster_start DIR PORT: a throwaway cluster (pg_cron preloaded) listening on a
# socket in DIR and on localhost:PORT.  Idempotent.
mk_cluster_start() {
    local dir=$1 port=$2
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir"; fi
    local as=(); [ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        "${as[@]}" "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust --no-sync >/dev/null
        cat >> "$dir/data/postgresql.conf" <<CONF
port = $port
listen_addresses = 'localhost'
unix_socket_directories = '$dir'
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 16
fsync = off
synchronous_commit = off
full_page_writes = off
max_parallel_workers_per_gather = 2
shared_buffers = 512MB
work_mem = 64MB
maintenance_work_mem = 256MB
CONF
    fi
    if ! "${as[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        # the server must not inherit open descriptors: started under `flock /work/bench.lock`,
        # it would hold the benchmark lock for as long as it runs
        (
            for fd in $(ls /proc/$BASHPID/fd); do if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi; done 2>/dev/null || true
            "${as[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
        )
    fi
    export PGHOST=$dir PGPORT=$port PGUSER=postgres
}

mk_cluster_stop() {
    local dir=$1
    local as=(); [ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
    "${as[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

# psql with the options every script wants
mk_psql() { psql -X -v ON_ERROR_STOP=1 -q "$@"; }

# Loads the bundled Complete Journey sample into schema demo of database $1.
mk_load_demo() {
    local db=$1
    mk_psql -d "$db" -c 'DROP SCHEMA IF EXISTS demo CASCADE' 2>/dev/null
    mk_psql -d "$db" -f "$MKTDB_ROOT/demo/schema.sql"
    local t
    for t in transactions products households campaigns campaign_descriptions coupon_redemptions; do
        zcat "$MKTDB_ROOT/demo/data/$t.csv.gz" | mk_psql -d "$db" -c "\\copy demo.$t FROM STDIN WITH (FORMAT csv, HEADER true)"
    done
    mk_psql -d "$db" -f "$MKTDB_ROOT/demo/derive.sql"
}

# A directory for a throwaway cluster: under the project when the postgres user can
# reach it, else under /tmp (a clone in /root is not reachable by "postgres").
mk_cluster_dir() {
    local name=$1 d="$MKTDB_ROOT/.cluster/$1"
    if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$MKTDB_ROOT"; then
        d="/tmp/mktdb-cluster-$(echo "$MKTDB_ROOT" | md5sum | cut -c1-8)/$name"
    fi
    echo "$d"
}

pg_regress_bin() { echo "$("$PG_BIN/pg_config" --pgxs | xargs dirname)/../test/regress/pg_regress"; }

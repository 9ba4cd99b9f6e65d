#!/usr/bin/env bash
# demo.sh -- the main job: installs what is missing, builds and installs mktdb,
# starts a throwaway cluster (.cluster/demo), loads the bundled Complete Journey
# grocery sample into schema demo, and runs segmentation, RFM, forecasts,
# recommendations and customer lifetime value on it, printing the results (demo/demo.sql).
#   bash demo.sh            run it
#   bash demo.sh --stop     stop the demo cluster
set -euo pipefail
source "$(dirname "$0")/test/lib.sh"
dir=$(mk_cluster_dir demo)
port=${MKTDB_DEMO_PORT:-5491}
if [ "${1:-}" = --stop ]; then mk_cluster_stop "$dir"; exit 0; fi

mk_packages
mk_log "building and installing mktdb"
mk_build
mk_log "starting a throwaway cluster in $dir (port $port)"
mk_cluster_start "$dir" "$port"
dropdb --if-exists mktdb_demo 2>/dev/null || true
createdb mktdb_demo
mk_psql -d mktdb_demo -c 'CREATE EXTENSION mktdb'
mk_log "loading the Complete Journey grocery sample into schema demo"
mk_load_demo mktdb_demo
mk_log "running demo/demo.sql"
psql -X -v ON_ERROR_STOP=1 -d mktdb_demo -f "$MKTDB_ROOT/demo/demo.sql"
mk_log "done. Explore with: psql -h $dir -p $port -U postgres mktdb_demo   (stop: bash demo.sh --stop)"

#!/usr/bin/env bash
# demo.sh -- the main job: installs what is missing, builds and installs mktdb,
# starts a throwaway cluster (.cluster/demo), loads the bundled Complete Journey
# grocery sample into schema demo, and runs segmentation, RFM, forecasts,
# recommendations, customer lifetime value and campaign evaluation on it, printing the results
# (demo/demo.sql), then writes the charts of its models as SVG (and PNG, rendered by headless
# Chromium) to demo/charts/ and prints their paths.
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
mk_log "writing the charts of the demo models"
charts=${MKTDB_DEMO_CHARTS:-$MKTDB_ROOT/demo/charts}
mkdir -p "$charts"
# file|SQL|width|height (the README shows these pictures, from doc/charts/)
for c in "forecast_produce|SELECT mktdb.forecast_chart('department_units', '{\"department\": \"PRODUCE\"}')|800|400" \
         "forecast_auto_produce|SELECT mktdb.forecast_chart('department_backtest_auto', '{\"department\": \"PRODUCE\"}')|800|400" \
         "segments_households|SELECT mktdb.segment_chart('households', 900, 420)|900|420" \
         "rfm_grid|SELECT mktdb.rfm_chart('rfm', 900, 480)|900|480" \
         "clv_palive|SELECT mktdb.clv_chart('household_value', 900, 480)|900|480"; do
    IFS='|' read -r name sql w h <<<"$c"
    psql -X -At -v ON_ERROR_STOP=1 -d mktdb_demo -c "$sql" > "$charts/$name.svg"
    echo "$charts/$name.svg"
    if command -v chromium >/dev/null && bash "$MKTDB_ROOT/test/chart_png.sh" "$charts/$name.svg" "$charts/$name.png" "$w" "$h"; then
        echo "$charts/$name.png"
    fi
done
mk_log "done. Explore with: psql -h $dir -p $port -U postgres mktdb_demo   (stop: bash demo.sh --stop)"

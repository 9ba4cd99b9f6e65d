#!/usr/bin/env bash
# chart_png.sh SVG PNG WIDTH HEIGHT -- renders an SVG chart to a PNG of WIDTH x HEIGHT with
# headless Chromium (Debian chromium), in a fresh profile that is removed afterwards.
# Used by test/suite_charts.sh and demo.sh (the README's pictures).
set -uo pipefail
svg=$1 png=$2 w=$3 h=$4
ud=$(mktemp -d /tmp/mk_chrome.XXXXXX)
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
    --force-device-scale-factor=1 --user-data-dir="$ud" --window-size="$w,$h" --screenshot="$png" \
    "file://$(realpath "$svg")" >/dev/null 2>&1
rc=$?
rm -rf "$ud"
exit $rc

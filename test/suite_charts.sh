#!/usr/bin/env bash
# suite_charts.sh -- every chart in a real browser: renders forecast_chart (of arima_forecast and
# mktdb.forecast models), segment_chart, rfm_chart and clv_chart of tiny models with headless Chromium (Debian chromium) to PNG and checks the picture's
# size and that it is not blank (test/png_check.py); checks each SVG with xmllint --noout, that it
# has no script and no external reference, that a second call gives the same bytes, and that a
# model name and group values with < & and quotes come back as text.
# Needs the server started by test/run.sh (PGHOST/PGPORT/PGUSER set).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
ok() { if [ "$1" = "$2" ]; then echo "ok - charts: $3"; else echo "not ok - charts: $3 (got '$1', want '$2')"; fi; }

out=$(mktemp -d /tmp/mk_charts.XXXXXX)
db=mk_charts_suite
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
mk_psql -d $db <<'SQL' >/dev/null
CREATE EXTENSION mktdb;
CREATE TABLE sales AS
SELECT s.store, (date '2022-01-01' + make_interval(months => g))::date AS month,
       100 + 3 * g + (g % 4) * 5 - (g % 3) * 4 + s.k * 50 AS units
  FROM generate_series(0, 23) g, (VALUES ('north', 0), ('A<&"''>', 1)) s(store, k);
SELECT count(*) FROM mktdb.arima_forecast('sales <&"''>', 'sales', 'month', 'units', ARRAY['store'], horizon => 6);
CREATE TABLE daily AS
SELECT date '2024-01-01' + g AS day, 50 + 10 * sin(g * 2 * pi() / 7) + (g % 5) AS units FROM generate_series(0, 90) g;
SELECT count(*) FROM mktdb.arima_forecast('daily', 'daily', 'day', 'units', horizon => 14);
SELECT count(*) FROM mktdb.forecast('fc <&"''>', 'sales', 'month', 'units', ARRAY['store'], horizon => 6);
SELECT count(*) FROM mktdb.forecast('fc_daily', 'daily', 'day', 'units', horizon => 14, method => 'ets');
CREATE TABLE indexed AS SELECT g AS t, 20 + (g % 6) * 2.5 + g * 0.1 AS v FROM generate_series(1, 40) g;
SELECT count(*) FROM mktdb.arima_forecast('indexed', 'indexed', 't', 'v', horizon => 8, pdq => ARRAY[1, 0, 0]);
CREATE TABLE pts AS
SELECT i AS id, (i % 3) * 20 + i % 7 AS spend, (i % 3) * 3 + i % 2 AS "visits<&>", (i % 5) * 1.5 AS "tenure ""years"""
  FROM generate_series(1, 90) i;
SELECT k FROM mktdb.kmeans_segment('seg <&>', 'pts', ARRAY['spend', 'visits<&>', 'tenure "years"'], 3, seed => 1);
CREATE TABLE orders AS
SELECT c AS customer, date '2024-06-30' - ((c * 7) % 200 + o * 3) AS day, (c % 13 * 10 + o)::numeric AS amount
  FROM generate_series(1, 200) c, generate_series(1, 1 + c % 9) o;
SELECT count(*) FROM mktdb.rfm_score('rfm', 'orders', 'customer', 'day', 'amount');
SELECT n_customers FROM mktdb.clv_train('clv <&>', 'orders', 'customer', 'day', 'amount');
SQL

# name|SQL of the chart|width|height
charts=(
  "forecast_north|SELECT mktdb.forecast_chart('sales <&\"''>', '{\"store\": \"north\"}')|800|400"
  "forecast_escaped|SELECT mktdb.forecast_chart('sales <&\"''>', '{\"store\": \"A<&\\\"''>\"}', 640, 480)|640|480"
  "forecast_daily|SELECT mktdb.forecast_chart('daily')|800|400"
  "forecast_index|SELECT mktdb.forecast_chart('indexed', width => 500, height => 300)|500|300"
  "forecast_kind_auto|SELECT mktdb.forecast_chart('fc <&\"''>', '{\"store\": \"A<&\\\"''>\"}', 640, 480)|640|480"
  "forecast_kind_ets|SELECT mktdb.forecast_chart('fc_daily')|800|400"
  "segment|SELECT mktdb.segment_chart('seg <&>')|800|400"
  "rfm|SELECT mktdb.rfm_chart('rfm', 900, 500)|900|500"
  "clv|SELECT mktdb.clv_chart('clv <&>')|800|400"
)
# the plan: four results per chart and five on escaping and history; a suite that dies early
# prints fewer results and fails (test/tap.sh)
echo "1..$(( ${#charts[@]} * 4 + 5 ))"
for c in "${charts[@]}"; do
    IFS='|' read -r name sql w h <<<"$c"
    svg=$out/$name.svg
    psql -X -At -d $db -c "$sql" > "$svg" 2>"$out/$name.err" || {
        # the chart's four results, each failed, so that the count stays the plan's
        for check in "is well-formed XML" "has no script" "the same bytes twice" "renders in Chromium"; do
            echo "not ok - charts: $name $check: $(head -3 "$out/$name.err" | tr '\n' ' ')"
        done
        continue; }
    ok "$(xmllint --noout "$svg" 2>&1 | head -3)" "" "$name is well-formed XML (xmllint)"
    ok "$(grep -Eic '<script|href|url\(|<image|<foreignObject|@import' "$svg")" 0 "$name has no script and no external reference"
    ok "$(psql -X -At -d $db -c "$sql" | cmp - "$svg" >/dev/null && echo same)" same "$name: the same bytes on a second call"
    bash "$(dirname "$0")/chart_png.sh" "$svg" "$out/$name.png" "$w" "$h"
    if [ -s "$out/$name.png" ]; then
        res=$(python3 "$(dirname "$0")/png_check.py" "$out/$name.png" "$w" "$h") && echo "ok - charts: $name renders in Chromium: $res" \
            || echo "not ok - charts: $name renders in Chromium as $w x $h and not blank: $res"
    else
        echo "not ok - charts: $name: Chromium wrote no screenshot"
    fi
done

# escaping: the parsed document gives back the raw model name and group value
title=$(xmllint --xpath 'string(//*[local-name()="title"])' "$out/forecast_escaped.svg" 2>/dev/null)
ok "$(case $title in *"sales <&\"'>"*'"A<&\"'"'"'>"'*) echo both ;; esac)" both "model name and group value with < & \" ' round-trip through XML escaping"
ok "$(xmllint --xpath 'count(//*[local-name()="text"][.="visits<&>"])' "$out/segment.svg" 2>/dev/null)" 1 "feature names are escaped text"
ok "$(grep -c 'History not stored' "$out/forecast_north.svg")" 0 "a model of format 3 charts its history"
title=$(xmllint --xpath 'string(//*[local-name()="title"])' "$out/forecast_kind_auto.svg" 2>/dev/null)
ok "$(case $title in *"fc <&\"'>"*'"A<&\"'"'"'>"'*"auto: mean of"*) echo all ;; esac)" all "kind forecast: model name and group value escaped, the method in the title"
ok "$(grep -c 'stroke="#000000" stroke-width="1.5"' "$out/forecast_kind_ets.svg")" 1 "kind forecast charts its stored history"

dropdb $db
if [ -n "${MKTDB_CHARTS_KEEP:-}" ]; then echo "# charts kept in $out"; else rm -rf "$out"; fi

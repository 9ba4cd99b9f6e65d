#!/usr/bin/env bash
# ARIMA with fixed orders: the 152 monthly aus_retail series (../shared/data/aus_retail), log turnover,
# fitted and forecast 12 months ahead by one grouped mktdb.arima_forecast call and by R's
# stats::arima(method = "ML") + predict() in a loop, for two models: the airline model
# (0,1,1)(0,1,1)[12] and (2,1,0)(1,1,0)[12].  Prints both times (R: CPU seconds of the fitting
# loop only), the speed ratio, and the largest relative difference of the forecasts.
# Uses its own cluster .cluster/bench_arima (port 5488).  Not a timed test.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
DATA=${AUS_RETAIL:-$MKTDB_ROOT/../shared/data/aus_retail/aus_retail.csv.gz}
[ -f "$DATA" ] || { echo "aus_retail data not found at $DATA (set AUS_RETAIL); skipping"; exit 0; }
command -v Rscript >/dev/null || { echo "Rscript not found (apt-get install r-base-core); skipping"; exit 0; }
mk_build
mk_cluster_start "$MKTDB_ROOT/.cluster/bench_arima" 5488
DB=mk_bench_arima
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
mk_psql -d $DB -c "CREATE EXTENSION mktdb" \
    -c "CREATE TABLE aus(state text, industry text, series_id text, month text, turnover float8)"
zcat "$DATA" | mk_psql -d $DB -c "\\copy aus FROM STDIN WITH (FORMAT csv, HEADER true)"
mk_psql -d $DB -c "CREATE TABLE retail AS SELECT series_id, (month || '-01')::date AS month, ln(turnover) AS y FROM aus"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for model in "0,1,1 0,1,1" "2,1,0 1,1,0"; do
    set -- $model
    ms=$(mk_psql -d $DB -At <<SQL
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
SELECT count(*) FROM mktdb.arima_forecast('bench', 'retail', 'month', 'y', ARRAY['series_id'], 12,
    pdq => '{$1}', seasonal_pdq => '{$2}') \g /dev/null
SELECT round(((extract(epoch FROM clock_timestamp()) - :t0) * 1000)::numeric, 1);
SQL
)
    mk_psql -d $DB -c "\\copy (SELECT series->>'series_id', step, forecast FROM mktdb.forecasts WHERE model = 'bench') TO '$tmp/mk.csv' WITH (FORMAT csv)"
    mk_psql -d $DB -c "\\copy (SELECT series_id, month, y FROM retail ORDER BY 1, 2) TO '$tmp/data.csv' WITH (FORMAT csv)"
    Rscript - "$tmp" "$1" "$2" "$ms" <<'R'
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(file.path(args[1], "data.csv"), header = FALSE, col.names = c("id", "month", "y"))
mk <- read.csv(file.path(args[1], "mk.csv"), header = FALSE, col.names = c("id", "step", "fc"))
ord <- as.integer(strsplit(args[2], ",")[[1]]); sord <- as.integer(strsplit(args[3], ",")[[1]])
ids <- unique(d$id)
fc <- list()
t <- system.time(for (id in ids) {
  y <- ts(d$y[d$id == id], frequency = 12)
  f <- stats::arima(y, order = ord, seasonal = list(order = sord, period = 12), method = "ML")
  fc[[id]] <- as.numeric(predict(f, n.ahead = 12)$pred)
})
r_s <- unname(t["user.self"] + t["sys.self"])
rel <- sapply(seq_len(nrow(mk)), function(i) abs(mk$fc[i] - fc[[mk$id[i]]][mk$step[i]]) / abs(fc[[mk$id[i]]][mk$step[i]]))
mk_s <- as.numeric(args[4]) / 1000
cat(sprintf("(%s)(%s)[12], %d series: mktdb %.2f s (one grouped call, incl. reading and storing), R %.2f s CPU; R/mktdb = %.1fx; max rel. forecast difference %.1e\n",
            args[2], args[3], length(ids), mk_s, r_s, r_s / mk_s, max(rel)))
R
done

#!/usr/bin/env bash
# ARIMA with fixed orders: the 152 monthly aus_retail series (../shared/data/aus_retail), log turnover,
# fitted and forecast 12 months ahead by one grouped mktdb.arima_forecast call and by R's
# stats::arima(method = "ML") + predict() in a loop, for two models: the airline model
# (0,1,1)(0,1,1)[12] and (2,1,0)(1,1,0)[12].  Prints both times (R: CPU seconds of the fitting
# loop only; mktdb: wall and the backend's CPU, all threads), the speed ratios, and the largest
# relative difference of the forecasts.  Load average is printed: on a busy machine the threads
# of mktdb (mktdb.threads, default one per core) cannot all run.
# Uses its own cluster .cluster/bench_arima (port 5488).  Not a timed test.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
DATA=${AUS_RETAIL:-$MKTDB_ROOT/../shared/data/aus_retail/aus_retail.csv.gz}
[ -f "$DATA" ] || { echo "aus_retail data not found at $DATA (set AUS_RETAIL); skipping"; exit 0; }
command -v Rscript >/dev/null || { echo "Rscript not found (apt-get install r-base-core); skipping"; exit 0; }
mk_build
mk_cluster_start "$MKTDB_ROOT/.cluster/bench_arima" "${MKTDB_BENCH_PORT:-5488}"
DB=mk_bench_arima
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
mk_psql -d $DB -c "CREATE EXTENSION mktdb" \
    -c "CREATE TABLE aus(state text, industry text, series_id text, month text, turnover float8)"
zcat "$DATA" | mk_psql -d $DB -c "\\copy aus FROM STDIN WITH (FORMAT csv, HEADER true)"
mk_psql -d $DB -c "CREATE TABLE retail AS SELECT series_id, (month || '-01')::date AS month, ln(turnover) AS y FROM aus"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for model in "0,1,1 0,1,1" "2,1,0 1,1,0"; do
    set -- $model
    # wall time, and the backend's CPU time (all its threads) from /proc/self/stat (superuser)
    ms=$(mk_psql -d $DB -At <<SQL
CREATE FUNCTION pg_temp.cpu() RETURNS float8 LANGUAGE sql AS \$\$
  SELECT (split_part(s, ' ', 14)::bigint + split_part(s, ' ', 15)::bigint) / 100.0 FROM pg_read_file('/proc/self/stat') s \$\$;
SELECT extract(epoch FROM clock_timestamp()) AS t0, pg_temp.cpu() AS c0 \gset
SELECT count(*) FROM mktdb.arima_forecast('bench', 'retail', 'month', 'y', ARRAY['series_id'], 12,
    pdq => '{$1}', seasonal_pdq => '{$2}') \g /dev/null
SELECT round(((extract(epoch FROM clock_timestamp()) - :t0) * 1000)::numeric, 1) || ',' || (pg_temp.cpu() - :c0);
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
mk <- as.numeric(strsplit(args[4], ",")[[1]])
mk_s <- mk[1] / 1000; mk_cpu <- mk[2]
cat(sprintf("(%s)(%s)[12], %d series: mktdb %.2f s wall, %.2f s CPU (one grouped call on %s threads, incl. reading and storing); R %.2f s CPU; R CPU / mktdb wall = %.1fx, R CPU / mktdb CPU = %.1fx; max rel. forecast difference %.1e\n",
            args[2], args[3], length(ids), mk_s, mk_cpu, Sys.getenv("THREADS", "all"), r_s, r_s / mk_s, r_s / mk_cpu, max(rel)))
R
done

#!/usr/bin/env bash
# test/bench/arima_auto_demo.sh -- the README's two ARIMA examples on the demo data (daily units of 5
# departments, demo.daily_department_sales), in mktdb and in R on the same series, side by side:
#   fixed orders: arima_forecast(pdq => {1,0,1}, seasonal_pdq => {0,1,1}, horizon 14) against
#                 stats::arima(order = c(1,0,1), seasonal = c(0,1,1) period 7, method = "ML") + predict
#   automatic:    arima_forecast(pdq NULL, horizon 14) against forecast::auto.arima(ts(units, frequency = 7))
#                 + forecast
# Prints per department the first three forecasts of each side, the largest forecast difference in
# units of R's forecast standard error over the 14 steps, the chosen orders and the AICc.
# Uses its own cluster .cluster/bench_demo (port MKTDB_BENCH_PORT, default 5489).  Not a timed test.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
command -v Rscript >/dev/null || { echo "Rscript not found (apt-get install r-base-core r-cran-forecast); skipping"; exit 0; }
mk_build
mk_cluster_start "$MKTDB_ROOT/.cluster/bench_demo" "${MKTDB_BENCH_PORT:-5489}"
DB=mk_bench_demo
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" 2>/dev/null
mk_psql -d $DB -c "CREATE EXTENSION mktdb"
mk_load_demo $DB >/dev/null
tmp=$(mktemp -d)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT

mk_psql -d $DB >/dev/null <<SQL
CREATE TABLE fx AS SELECT * FROM mktdb.arima_forecast('dept_daily', 'demo.daily_department_sales', 'day', 'units',
    group_columns => ARRAY['department'], horizon => 14, pdq => ARRAY[1,0,1], seasonal_pdq => ARRAY[0,1,1]);
CREATE TABLE au AS SELECT * FROM mktdb.arima_forecast('dept_auto', 'demo.daily_department_sales', 'day', 'units',
    group_columns => ARRAY['department'], horizon => 14);
\copy (SELECT department, day, units FROM demo.daily_department_sales ORDER BY 1, 2) TO '$tmp/data.csv' WITH (FORMAT csv)
\copy (SELECT 'fixed', series->>'department', step, forecast FROM fx UNION ALL SELECT 'auto', series->>'department', step, forecast FROM au) TO '$tmp/mk.csv' WITH (FORMAT csv)
\copy (SELECT model, series->>'department', format('ARIMA(%s,%s,%s)(%s,%s,%s)[%s]', p, d, q, sp, sd, sq, period), aicc FROM mktdb.arima_models WHERE model IN ('dept_daily', 'dept_auto')) TO '$tmp/mkm.csv' WITH (FORMAT csv)
SQL

Rscript - "$tmp" <<'R'
suppressMessages(library(forecast))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(file.path(args[1], "data.csv"), header = FALSE, col.names = c("dept", "day", "units"))
mk <- read.csv(file.path(args[1], "mk.csv"), header = FALSE, col.names = c("kind", "dept", "step", "fc"))
mkm <- read.csv(file.path(args[1], "mkm.csv"), header = FALSE, col.names = c("model", "dept", "order", "aicc"))
cat(sprintf("R %s, forecast %s\n", getRversion(), packageVersion("forecast")))
for (kind in c("fixed", "auto")) {
  cat(sprintf("\n%s orders, 14 steps:\n", if (kind == "fixed") "fixed (1,0,1)(0,1,1)[7]" else "automatic"))
  for (dept in unique(d$dept)) {
    y <- ts(d$units[d$dept == dept], frequency = 7)
    if (kind == "fixed") {
      f <- stats::arima(y, order = c(1, 0, 1), seasonal = list(order = c(0, 1, 1), period = 7), method = "ML")
      p <- predict(f, n.ahead = 14); rf <- as.numeric(p$pred); rse <- as.numeric(p$se)
      npar <- length(f$coef) + 1; nst <- length(y) - 7
      raicc <- f$aic + 2 * npar * (npar + 1) / (nst - npar - 1)
      rord <- "ARIMA(1,0,1)(0,1,1)[7]"; m <- "dept_daily"
    } else {
      f <- auto.arima(y)
      p <- forecast(f, h = 14, level = 95); rf <- as.numeric(p$mean)
      rse <- as.numeric(p$upper - p$mean) / qnorm(0.975)
      raicc <- f$aicc
      o <- arimaorder(f); rord <- sprintf("ARIMA(%d,%d,%d)(%d,%d,%d)[7]", o[1], o[2], o[3],
                                          if (length(o) > 3) o[4] else 0L, if (length(o) > 3) o[5] else 0L,
                                          if (length(o) > 3) o[6] else 0L)
      m <- "dept_auto"
    }
    g <- mk[mk$kind == kind & mk$dept == dept, ]; g <- g[order(g$step), ]
    mm <- mkm[mkm$model == m & mkm$dept == dept, ]
    cat(sprintf("  %-10s mktdb %s AICc %.2f | R %s AICc %.2f | first 3: mktdb %s, R %s | max |diff| %.2g R se\n",
                dept, mm$order, mm$aicc, rord, raicc,
                paste(sprintf("%.3f", g$fc[1:3]), collapse = " "), paste(sprintf("%.3f", rf[1:3]), collapse = " "),
                max(abs(g$fc - rf) / rse)))
  }
}
R

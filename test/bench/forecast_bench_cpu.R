# test/bench/forecast_bench_cpu.R -- R's CPU per series for the methods whose core test/bench/forecast_bench_core.sh
# times: ets(y) + forecast, thetaf(y, h), croston(y, h) on every training part of a series.csv of
# forecast_bench_r.R ("series" command).  Each fit runs REPS times (thetaf and croston take milliseconds, so
# one run is below the timer's resolution); prints per set and method R's CPU milliseconds per series.
#   Rscript forecast_bench_cpu.R SERIES_CSV REPS [METHOD...]     (default methods: ets theta croston)
suppressMessages(library(forecast))
args <- commandArgs(trailingOnly = TRUE)
s <- read.csv(args[1], stringsAsFactors = FALSE)
reps <- as.integer(args[2])
methods <- if (length(args) > 2) args[-(1:2)] else c("ets", "theta", "croston")
s <- s[s$train == "TRUE" | s$train == TRUE, ]
keys <- unique(s[, c("set", "series")])
run <- list(ets = function(y, h) forecast(ets(y), h = h)$mean,
            theta = function(y, h) thetaf(y, h = h)$mean,
            croston = function(y, h) if (all(y >= 0)) croston(y, h = h)$mean else NULL)
res <- list()
for (k in seq_len(nrow(keys))) {
  d <- s[s$set == keys$set[k] & s$series == keys$series[k], ]
  y <- ts(d$value, frequency = d$period[1]); h <- d$h[1]
  for (meth in methods) {
    f <- run[[meth]]
    t0 <- proc.time()
    for (r in seq_len(reps)) f(y, h)
    tt <- proc.time() - t0
    res[[length(res) + 1]] <- data.frame(set = keys$set[k], method = meth, series = keys$series[k],
                                         cpu_ms = 1000 * unname(tt[1] + tt[2]) / reps)
  }
}
res <- do.call(rbind, res)
agg <- aggregate(cpu_ms ~ set + method, res, mean)
agg$series <- aggregate(cpu_ms ~ set + method, res, length)$cpu_ms
all <- aggregate(cpu_ms ~ method, res, mean); all$set <- "all"; all$series <- aggregate(cpu_ms ~ method, res, length)$cpu_ms
out <- rbind(agg[order(agg$method, agg$set), ], all[, names(agg)])
print(format(out, digits = 4), row.names = FALSE)

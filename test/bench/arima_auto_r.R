# test/bench/arima_auto_r.R -- the R side of test/bench/arima_auto_bench.sh: forecast::auto.arima()
# with its defaults on every training series of a CSV, h-step forecasts, per-series CPU time.
#   Rscript test/bench/arima_auto_r.R train.csv forecasts.csv [cores [p,d,q/P,D,Q]]
# With orders given: forecast::Arima(method = "ML") with those orders instead (mean when d + D = 0;
# no seasonal part for period-1 series), the benchmark's fixed-order baseline.
# train.csv: set,series_id,period,h,value with the rows of each series in time order.
# forecasts.csv (written): set,series_id,step,forecast,model,cpu_s (cpu_s on step 1 only, else 0).
# Series are spread over `cores` forked workers (parallel::mclapply); CPU time is measured inside each
# worker (user + system of that process), so the total is the CPU that R spent, whatever the core count.
suppressMessages({ library(forecast); library(parallel) })
args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 2) stop("usage: arima_auto_r.R train.csv forecasts.csv [cores]")
cores <- if (length(args) >= 3) as.integer(args[3]) else 2L
orders <- if (length(args) >= 4) as.integer(strsplit(args[4], "[,/]")[[1]]) else NULL

d <- read.csv(args[1], colClasses = c("character", "character", "integer", "integer", "numeric"))
keys <- unique(d[, c("set", "series_id")])
idx <- split(seq_len(nrow(d)), factor(paste(d$set, d$series_id, sep = "\r"),
                                      levels = paste(keys$set, keys$series_id, sep = "\r")))

one <- function(rows) {
  y <- ts(d$value[rows], frequency = d$period[rows[1]]); h <- d$h[rows[1]]
  t0 <- proc.time()
  r <- tryCatch({
    fit <- if (is.null(orders)) auto.arima(y) else {
      so <- if (frequency(y) > 1) orders[4:6] else c(0, 0, 0)
      Arima(y, order = orders[1:3], seasonal = so, include.mean = (orders[2] + so[2] == 0), method = "ML")
    }
    list(fc = as.numeric(forecast(fit, h = h)$mean), model = forecast:::arima.string(fit))
  }, error = function(e) list(fc = rep(NA_real_, h), model = paste("error:", conditionMessage(e))))
  r$cpu <- sum((proc.time() - t0)[1:2])
  r
}

wall0 <- proc.time()[3]
res <- mclapply(idx, one, mc.cores = cores, mc.preschedule = FALSE)
wall <- proc.time()[3] - wall0

out <- do.call(rbind, lapply(seq_along(res), function(i) {
  r <- res[[i]]; h <- length(r$fc)
  data.frame(set = keys$set[i], series_id = keys$series_id[i], step = seq_len(h),
             forecast = sprintf("%.10g", r$fc), model = gsub(",", " ", r$model),
             cpu_s = c(r$cpu, rep(0, h - 1)), stringsAsFactors = FALSE)
}))
write.csv(out, args[2], row.names = FALSE, quote = FALSE, na = "")
cpu <- sapply(res, `[[`, "cpu")
nerr <- sum(sapply(res, function(r) startsWith(r$model, "error")))
cat(sprintf("R %s: %d series, %d errors, CPU %.1f s (%.3f s/series, median %.3f, max %.1f), wall %.1f s on %d cores\n",
            if (is.null(orders)) "auto.arima" else paste("Arima", args[4]), length(res), nerr, sum(cpu), mean(cpu), median(cpu), max(cpu), wall, cores))
cat(sprintf("R_CPU_SECONDS=%.3f\nR_WALL_SECONDS=%.3f\n", sum(cpu), wall))

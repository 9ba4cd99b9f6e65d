# test/ref/theta_ref.R -- reference values for src/core/theta.c and src/core/intermittent.c (issue 14):
#   theta_ref.csv      forecast::thetaf(y, h) on every committed reference series (autoarima_series.csv:
#                      R's datasets, 30 aus_retail series, synthetic edge cases) plus a 6-point series (R's
#                      HoltWinters fallback of ses): per step mean and 80 % / 95 % bounds, with the fit's alpha,
#                      drift and sigma2 and whether the seasonality test fired
#   croston_ref.csv    forecast::croston(y, h) (alpha = 0.1) on the non-negative reference series and on the
#                      intermittent series of croston_series.csv, plus naive(y, h) and snaive(y, h) means and
#                      80 % bounds on the reference series
#   croston_series.csv the generated intermittent series (set.seed(14)): Poisson / lumpy demand with 20-90 %
#                      zero periods, an all-zero series and single-demand series
# Run from the repository root:  Rscript test/ref/theta_ref.R   (R 4.2.2, forecast 8.20; a few seconds)
suppressMessages(library(forecast))
out <- "test/ref"
sd_ <- read.csv(file.path(out, "autoarima_series.csv"), stringsAsFactors = FALSE)
names_ <- unique(sd_$series)
series <- lapply(names_, function(nm) {
  d <- sd_[sd_$series == nm, ]
  list(name = nm, m = d$period[1], h = d$h[1], y = ts(d$value, frequency = d$period[1]))
})
series[[length(series) + 1]] <- list(name = "nile_first6", m = 1, h = 5, y = ts(as.numeric(Nile)[1:6]))
series[[length(series) + 1]] <- list(name = "ukgas_first10", m = 4, h = 8, y = ts(as.numeric(UKgas)[1:10], frequency = 4))

seas_test <- function(x) {
  n <- length(x); m <- frequency(x)
  if (m > 1 && !is.constant(x) && n > 2 * m) {
    r <- as.numeric(acf(x, lag.max = m, plot = FALSE)$acf)[-1]
    stat <- sqrt((1 + 2 * sum(r[-m]^2)) / n)
    as.integer(abs(r[m]) / stat > qnorm(0.95))
  } else 0L
}

th <- do.call(rbind, lapply(series, function(s) {
  f <- suppressWarnings(thetaf(s$y, h = s$h))
  data.frame(series = s$name, n = length(s$y), m = s$m, h = s$h, step = seq_len(s$h),
             seasonal = seas_test(s$y), alpha = unname(f$model$alpha), drift = unname(f$model$drift),
             sigma2 = unname(f$model$sigma), mean = as.numeric(f$mean),
             lo80 = as.numeric(f$lower[, 1]), hi80 = as.numeric(f$upper[, 1]),
             lo95 = as.numeric(f$lower[, 2]), hi95 = as.numeric(f$upper[, 2]))
}))
write.csv(th, file.path(out, "theta_ref.csv"), row.names = FALSE)

# intermittent series
set.seed(14)
gen <- list()
for (i in 1:8) {
  n <- sample(c(30, 60, 120, 200), 1)
  p <- runif(1, 0.1, 0.8)                          # probability of a demand
  size <- if (i %% 2 == 0) rpois(n, 3) + 1 else round(rlnorm(n, 1, 1)) + 1   # smooth or lumpy sizes
  gen[[i]] <- list(name = sprintf("int%d", i), m = 1, h = 10, y = ts(rbinom(n, 1, p) * size))
}
gen[[9]] <- list(name = "int_allzero", m = 1, h = 5, y = ts(rep(0, 20)))
gen[[10]] <- list(name = "int_single", m = 1, h = 5, y = ts(c(0, 0, 0, 4, 0, 0, 0, 0)))
gen[[11]] <- list(name = "int_single_first", m = 1, h = 5, y = ts(c(7, 0, 0, 0, 0)))
gen[[12]] <- list(name = "int_fractional", m = 1, h = 5, y = ts(c(0, 0.5, 0, 0, 2.25, 0, 1.5, 0, 0, 0, 3, 0)))
write.csv(do.call(rbind, lapply(gen, function(s) data.frame(series = s$name, t = seq_along(s$y), value = as.numeric(s$y)))),
          file.path(out, "croston_series.csv"), row.names = FALSE)

cr <- do.call(rbind, lapply(c(series, gen), function(s) {
  y <- s$y
  rows <- list()
  if (all(y >= 0)) {
    f <- croston(y, h = s$h)
    rows[[1]] <- data.frame(series = s$name, method = "croston", step = seq_len(s$h), mean = as.numeric(f$mean),
                            lo80 = NA, hi80 = NA)
  }
  for (meth in c("naive", "snaive")) {
    f <- if (meth == "naive") naive(y, h = s$h) else snaive(y, h = s$h)
    rows[[length(rows) + 1]] <- data.frame(series = s$name, method = meth, step = seq_len(s$h),
                                           mean = as.numeric(f$mean), lo80 = as.numeric(f$lower[, 1]),
                                           hi80 = as.numeric(f$upper[, 1]))
  }
  do.call(rbind, rows)
}))
write.csv(cr, file.path(out, "croston_ref.csv"), row.names = FALSE)
cat("theta rows", nrow(th), "croston/naive rows", nrow(cr), "\n")

# test/ref/ets_short_ref.R -- R's forecast::ets(y) on very short series (forecast 8.20), for
# test/unit/test_ets_short.c.  With the default model "ZZZ", ets() counts npars = 2 and, when
# n <= npars + 4 = 6, does not fit a state-space model: it fits HoltWintersZZ() twice -- Holt's linear
# trend (alpha, beta) and simple exponential smoothing (alpha), started at l0 = y[1] (and b0 = y[2] - y[1]),
# each by L-BFGS-B on the sum of squared one-step errors within [0, 1] -- and keeps the one with the
# smaller mean squared error.  forecast.ets then gives the forecasts and intervals (class 1, sigma2 =
# that mean squared error).  A constant series gets ses(alpha = 0.99999) as for any length.
#   Rscript test/ref/ets_short_ref.R > test/ref/ets_short_ref.csv
suppressMessages(library(forecast))
set.seed(2026)
shapes <- list(
  up = function(n) 10 + 2 * (1:n) + rnorm(n),
  down = function(n) 50 - 3 * (1:n) + rnorm(n, 0, 2),
  level = function(n) 100 + rnorm(n, 0, 5),
  negative = function(n) rnorm(n, 0, 3),
  sales = function(n) rpois(n, 4) + 1,
  spike = function(n) { y <- rep(0, n); y[min(2, n)] <- 3; y },
  curve = function(n) (1:n)^2 + rnorm(n, 0, 0.5))
rows <- list()
for (nm in names(shapes)) for (n in 2:6) {
  y0 <- round(shapes[[nm]](n), 3)
  for (m in c(1, 4, 12)) {
    y <- ts(y0, frequency = m)
    f <- ets(y)
    fc <- forecast(f, h = 6, level = c(80, 95))
    rows[[length(rows) + 1]] <- data.frame(
      series = sprintf("%s_%d_m%d", nm, n, m), n = n, m = m, y = paste(format(y0, digits = 15), collapse = ";"),
      method = f$method, alpha = unname(f$par["alpha"]), beta = if ("beta" %in% names(f$par)) unname(f$par["beta"]) else NA,
      sigma2 = f$sigma2, step = 1:6, mean = as.numeric(fc$mean),
      lo80 = as.numeric(fc$lower[, 1]), hi80 = as.numeric(fc$upper[, 1]),
      lo95 = as.numeric(fc$lower[, 2]), hi95 = as.numeric(fc$upper[, 2]))
  }
}
out <- do.call(rbind, rows)
write.csv(format(out, digits = 17), stdout(), row.names = FALSE)

# test/ref/ets_fixed_short_ref.R -- R's forecast::ets(y, model = M, damped = D) on series too short for
# that model (forecast 8.20), for test/unit/test_ets_short.c.  With n <= npars + 4 (npars = 2, + 2 for a
# trend, + m for a season, + 1 when damped) ets() fits no state-space model but HoltWintersZZ(), by least
# squares, whatever the error type (damping is ignored): a seasonal model when it can start one from two
# seasons, else Holt for a trended model, SES for ETS(*,N,N), the better of Holt and SES for a trendless
# seasonal model.  Only the cases mktdb's ets_fit implements are written (not the seasonal HoltWinters fit
# of n >= 2m points, not the exponential Holt of a multiplicative trend).
#   Rscript test/ref/ets_fixed_short_ref.R > test/ref/ets_fixed_short_ref.csv
suppressMessages(library(forecast))
set.seed(2027)
shapes <- list(
  up = function(n) 10 + 2 * (1:n) + rnorm(n),
  level = function(n) 100 + rnorm(n, 0, 5),
  sales = function(n) rpois(n, 4) + 1)
models <- list(c("ANN", 0), c("MNN", 0), c("AAN", 0), c("MAN", 0), c("AAN", 1), c("MAN", 1),
               c("ANA", 0), c("MNM", 0), c("AAA", 0), c("MAM", 1))
rows <- list()
for (nm in names(shapes)) for (n in c(3, 5, 7, 9)) {
  y0 <- round(shapes[[nm]](n), 3)
  for (m in c(1, 4, 12)) for (md in models) {
    mod <- md[1]; damped <- md[2] == "1"
    trend <- substr(mod, 2, 2) != "N"; season <- substr(mod, 3, 3) != "N" && n > m
    if (m == 1 && substr(mod, 3, 3) != "N") next
    npars <- 2 + 2 * trend + m * season + damped
    if (n > npars + 4 || (season && n >= 2 * m)) next
    y <- ts(y0, frequency = m)
    f <- tryCatch(suppressWarnings(ets(y, model = mod, damped = damped)), error = function(e) NULL)
    if (is.null(f)) next
    fc <- forecast(f, h = 6, level = c(80, 95))
    rows[[length(rows) + 1]] <- data.frame(
      series = sprintf("%s_%d_m%d_%s%s", nm, n, m, mod, if (damped) "d" else ""), n = n, m = m,
      y = paste(format(y0, digits = 15), collapse = ";"), model = mod, damped = as.integer(damped),
      method = f$method, sigma2 = f$sigma2, step = 1:6, mean = as.numeric(fc$mean),
      lo80 = as.numeric(fc$lower[, 1]), hi80 = as.numeric(fc$upper[, 1]),
      lo95 = as.numeric(fc$lower[, 2]), hi95 = as.numeric(fc$upper[, 2]))
  }
}
out <- do.call(rbind, rows)
write.csv(format(out, digits = 17), stdout(), row.names = FALSE)

# test/ref/autoarima_ref.R -- reference values for automatic ARIMA order selection (issue 6):
# forecast::auto.arima() with its defaults (stepwise, ic = "aicc", approximation = (n > 150 | m > 12),
# KPSS for d, seasonal-strength "seas" test for D) on a committed set of series, so that the C search
# can be checked without R.  Writes, under test/ref/:
#   autoarima_series.csv    the exact series: series, set, period, h, t_int, t_date, value (%.17g: exact round trip)
#   autoarima_ref.csv       one row per series x fit (fit = "full": the whole series; "holdout": all but the
#                           last h points): chosen order, constant, approximation flag, unit-root test results,
#                           loglik/aic/aicc/bic/sigma2, number of models tried, held-out sMAPE/MASE, CPU seconds
#   autoarima_ref_coef.csv  coefficients and standard errors of each fit, named as R names them
#   autoarima_ref_fc.csv    h-step forecasts with 80 % / 95 % bounds of each fit (+ the actual value for holdout)
#   autoarima_ref_trace.csv the stepwise path: every model auto.arima(trace = TRUE) tried, in order, with its
#                           criterion (approximate CSS-based AICc during the search when approximation = TRUE;
#                           phase "refit" = the exact-ML refits at the end)
# Run from the repository root:  Rscript test/ref/autoarima_ref.R [path/to/aus_retail.csv.gz]
# (R 4.2.2, forecast 8.20, urca 1.3-3, Debian 12 packages r-cran-forecast / r-cran-urca; ~3 minutes.)
suppressMessages(library(forecast))
args <- commandArgs(trailingOnly = TRUE)
aus <- if (length(args)) args[1] else "../shared/data/aus_retail/aus_retail.csv.gz"
out <- "test/ref"

ym_dates <- function(x) {           # first day of each period of a monthly/quarterly/yearly ts
  tt <- time(x); f <- frequency(x)
  yr <- floor(tt + 1e-9); k <- round((tt - yr) * f)
  format(as.Date(sprintf("%04d-%02d-01", as.integer(yr), as.integer(1 + k * 12 / f))))
}

# ---- the series ---------------------------------------------------------------------------------------
cases <- list()   # name, set, ts, dates? (TRUE: calendar dates make sense)
add <- function(name, set, y, dates) cases[[length(cases) + 1]] <<- list(name, set, y, dates)
add("airpassengers",     "rdata", AirPassengers, TRUE)
add("airpassengers_log", "rdata", log(AirPassengers), TRUE)
add("usaccdeaths",       "rdata", USAccDeaths, TRUE)
add("lakehuron",         "rdata", LakeHuron, TRUE)
add("lh",                "rdata", lh, FALSE)
add("wwwusage",          "rdata", WWWusage, FALSE)
add("nile",              "rdata", Nile, TRUE)
add("nottem",            "rdata", nottem, TRUE)
add("co2",               "rdata", co2, TRUE)                       # 468 months: approximation = TRUE
add("co2_last120",       "rdata", window(co2, start = c(1988, 1)), TRUE)  # same, short: exact search
add("ukgas",             "rdata", UKgas, TRUE)
add("ldeaths",           "rdata", ldeaths, TRUE)
add("mdeaths",           "rdata", mdeaths, TRUE)
add("austres",           "rdata", austres, TRUE)
add("ukdriverdeaths",    "rdata", UKDriverDeaths, TRUE)
add("johnsonjohnson",    "rdata", JohnsonJohnson, TRUE)
add("lynx",              "rdata", lynx, TRUE)
add("sunspot_year",      "rdata", sunspot.year, TRUE)              # 289 years: approximation = TRUE
add("bjsales",           "rdata", BJsales, FALSE)
add("discoveries",       "rdata", discoveries, TRUE)
add("airmiles",          "rdata", airmiles, TRUE)                  # 24 points
add("gas",               "forecast", gas, TRUE)                    # 476 months: approximation = TRUE
add("woolyrnq",          "forecast", woolyrnq, TRUE)
add("wineind",           "forecast", wineind, TRUE)
# (forecast::taylor, half-hourly with period 336, and forecast::gold, daily with gaps, are left out:
#  mktdb infers periods 7/12/4/1 from the time column, and a missing value is an error there.)

retail <- read.csv(aus, stringsAsFactors = FALSE)
lens <- table(retail$series_id)
full_ids <- sort(names(lens)[lens >= 369])        # the 148 series that reach 2018-12 (4 stop early)
set.seed(6)
for (id in sort(sample(full_ids, 30))) {
  d <- retail[retail$series_id == id, ]
  d <- d[order(d$month), ]
  st <- as.integer(strsplit(d$month[1], "-")[[1]])
  add(paste0("aus_", id), "aus_retail", ts(d$turnover, start = st, frequency = 12), TRUE)
}

# synthetic edge cases (fixed seed; the values are committed, so R's RNG never matters to the tests)
set.seed(20240606)
mts <- function(v, start = c(2015, 1)) ts(v, start = start, frequency = 12)
add("syn_constant",      "synthetic", mts(rep(5, 36)), TRUE)                       # is.constant(x)
add("syn_linear",        "synthetic", ts(3 + 2 * (1:40)), FALSE)                   # constant after d = 1
add("syn_short8",        "synthetic", ts(round(10 + rnorm(8), 2)), FALSE)          # n < 10: start p,q <= 1
add("syn_short20_m12",   "synthetic", mts(round(50 + 5 * sin(2 * pi * (1:20) / 12) + rnorm(20), 2)), TRUE) # n <= 2m: D = 0
add("syn_short30_m12",   "synthetic", mts(round(50 + 5 * sin(2 * pi * (1:30) / 12) + rnorm(30), 2)), TRUE)
add("syn_whitenoise",    "synthetic", ts(round(100 + 3 * rnorm(100), 3)), FALSE)
add("syn_rw_drift",      "synthetic", ts(round(cumsum(0.5 + rnorm(120)), 3)), FALSE)
add("syn_intermittent",  "synthetic", mts(rpois(60, 0.3)), TRUE)
add("syn_intermittent2", "synthetic", mts(ifelse(runif(96) < 0.25, 1 + rpois(96, 3), 0)), TRUE)
add("syn_spike",         "synthetic", mts(c(rep(0, 30), 7, rep(0, 17))), TRUE)
add("syn_levelshift",    "synthetic",
    mts(round(100 + c(rep(0, 60), rep(40, 36)) + 10 * sin(2 * pi * (1:96) / 12) + 3 * rnorm(96), 2)), TRUE)
add("syn_seasonal_trend","synthetic",
    mts(round((200 + 1.5 * (1:120)) * (1 + 0.2 * cos(2 * pi * (1:120) / 12)) * exp(0.03 * rnorm(120)), 1)), TRUE)
add("syn_daily_units",   "synthetic",            # retail-like daily units, weekly profile, 365 days
    ts(rpois(365, 20 * rep(c(0.85, 0.9, 0.95, 1, 1.15, 1.35, 1.2), length.out = 365)), frequency = 7), FALSE)
add("syn_daily_slow",    "synthetic",            # slow mover: mostly zeros
    ts(rpois(400, 0.6 * rep(c(0.8, 0.9, 1, 1, 1.2, 1.5, 1.1), length.out = 400)), frequency = 7), FALSE)

horizon <- function(y) {     # 2 seasons (10 for non-seasonal), at most a third of the series
  m <- frequency(y)
  min(if (m > 1) 2 * m else 10, max(1, floor(length(y) / 3)))
}

# ---- write the data, then re-read it so every fit below sees exactly the committed numbers --------------
exact <- function(v) {             # shortest of %.15g / %.17g that reads back as the same double
  s <- sprintf("%.15g", v); bad <- as.numeric(s) != v
  s[bad] <- sprintf("%.17g", v[bad]); s
}
rows <- list()
for (cs in cases) {
  y <- cs[[3]]; n <- length(y)
  rows[[length(rows) + 1]] <- data.frame(series = cs[[1]], set = cs[[2]], period = frequency(y),
    h = horizon(y), t_int = seq_len(n), t_date = if (cs[[4]]) ym_dates(y) else "",
    value = exact(as.numeric(y)), stringsAsFactors = FALSE)
}
write.csv(do.call(rbind, rows), file.path(out, "autoarima_series.csv"), row.names = FALSE, quote = FALSE)
sd_ <- read.csv(file.path(out, "autoarima_series.csv"), stringsAsFactors = FALSE)

# ---- the fits ------------------------------------------------------------------------------------------
smape <- function(a, f) mean(ifelse(abs(a) + abs(f) == 0, 0, 200 * abs(a - f) / (abs(a) + abs(f))))
mase_scale <- function(train) {    # as forecast::accuracy: seasonal naive MAE in-sample (lag 1 if m == 1)
  m <- frequency(train)
  mean(abs(diff(as.numeric(train), lag = if (m > 1) m else 1)))
}
kpss_stat <- function(x) {         # exactly ndiffs' KPSS (level, use.lag = trunc(3 sqrt(n) / 13))
  x <- as.numeric(x)
  if (length(x) < 3 || forecast:::is.constant(x)) return(NA)
  urca::ur.kpss(x, type = "mu", use.lag = trunc(3 * sqrt(length(x)) / 13))@teststat
}
parse_trace <- function(lines) {
  phase <- "search"; res <- list()
  for (l in lines) {
    if (grepl("re-fitting", l)) phase <- "refit"
    if (grepl("^ ?ARIMA\\(", l) && grepl(":", l)) {
      parts <- strsplit(l, ":")[[1]]
      res[[length(res) + 1]] <- data.frame(phase = phase, model = trimws(parts[1]),
        ic = as.numeric(trimws(parts[length(parts)])), stringsAsFactors = FALSE)
    }
  }
  if (length(res)) do.call(rbind, res) else NULL
}

fit_one <- function(name, fitname, y, h, actual) {
  m <- frequency(y); n <- length(y)
  t0 <- proc.time()
  tr <- capture.output(fit <- auto.arima(y, trace = TRUE))
  cpu <- sum((proc.time() - t0)[1:2])
  fc <- forecast(fit, h = h, level = c(80, 95))
  # the unit-root decisions auto.arima made, recomputed standalone (same rules as inside auto.arima)
  seas <- if (m > 1 && n > 2 * m) tryCatch(forecast:::seas.heuristic(y), error = function(e) NA) else NA
  D_t <- if (m > 1 && n > 2 * m) nsdiffs(y) else 0
  dx <- if (D_t > 0) diff(y, lag = m, differences = D_t) else y
  d_t <- ndiffs(dx)
  arma <- fit$arma   # p, q, P, Q, m, d, D
  cn <- names(fit$coef)
  # "constant_series": auto.arima's early exit for a constant series (fixed mean, forecasts = y[1], se 0)
  constant <- if (!is.null(fit$constant)) "constant_series" else if ("drift" %in% cn) "drift" else
              if ("intercept" %in% cn) "mean" else "none"
  ntr <- parse_trace(tr)
  row <- data.frame(series = name, fit = fitname, n = n, h = h, period = m,
    p = arma[1], d = arma[6], q = arma[2], sp = arma[3], sd = arma[7], sq = arma[4],
    constant = constant, approximation = (n > 150 | m > 12),
    seas_strength = seas, nsdiffs = D_t, kpss_d0 = kpss_stat(dx), kpss_d1 = kpss_stat(diff(dx)), ndiffs = d_t,
    loglik = fit$loglik, aic = if (is.null(fit$aic)) NA else fit$aic, aicc = if (is.null(fit$aicc)) NA else fit$aicc,
    bic = if (is.null(fit$bic)) NA else fit$bic, sigma2 = fit$sigma2,
    n_models = if (is.null(ntr)) 0 else sum(ntr$phase == "search"),
    smape = if (is.null(actual)) NA else smape(actual, as.numeric(fc$mean)),
    mase = if (is.null(actual)) NA else {
      s <- mase_scale(y); if (s > 0) mean(abs(actual - as.numeric(fc$mean))) / s else NA },
    cpu_s = cpu, model = forecast:::arima.string(fit), stringsAsFactors = FALSE)
  if (!is.null(actual)) {   # our MASE must be forecast::accuracy's
    acc <- accuracy(fc, ts(actual, start = tsp(fc$mean)[1], frequency = m))
    stopifnot(is.na(row$mase) || abs(acc["Test set", "MASE"] - row$mase) < 1e-9 * max(1, row$mase))
  }
  se <- rep(NA_real_, length(cn))      # fixed coefficients (constant series) have no standard error
  vc <- fit$var.coef
  if (length(cn) && length(vc)) se[match(rownames(vc), cn)] <- sqrt(pmax(0, diag(vc)))
  coef <- if (length(cn)) data.frame(series = name, fit = fitname, name = cn, value = sprintf("%.12g", fit$coef),
                                     se = sprintf("%.12g", se), stringsAsFactors = FALSE) else NULL
  fcd <- data.frame(series = name, fit = fitname, step = seq_len(h), mean = as.numeric(fc$mean),
    lo_80 = as.numeric(fc$lower[, 1]), hi_80 = as.numeric(fc$upper[, 1]),
    lo_95 = as.numeric(fc$lower[, 2]), hi_95 = as.numeric(fc$upper[, 2]),
    actual = if (is.null(actual)) NA else actual, stringsAsFactors = FALSE)
  trd <- if (is.null(ntr)) NULL else cbind(data.frame(series = name, fit = fitname, k = seq_len(nrow(ntr))), ntr)
  list(row = row, coef = coef, fc = fcd, trace = trd)
}

res <- list()
for (nm in unique(sd_$series)) {
  d <- sd_[sd_$series == nm, ]
  m <- d$period[1]; h <- d$h[1]; n <- nrow(d)
  st <- c(1, 1)
  if (d$t_date[1] != "") {    # keep the calendar start so the forecast ts lines up (not needed for values)
    yy <- as.integer(substr(d$t_date[1], 1, 4)); mm <- as.integer(substr(d$t_date[1], 6, 7))
    st <- c(yy, if (m == 12) mm else if (m == 4) (mm - 1) / 3 + 1 else 1)
  }
  y <- ts(d$value, start = st, frequency = m)
  res[[length(res) + 1]] <- fit_one(nm, "full", y, h, NULL)
  ytr <- ts(d$value[1:(n - h)], start = st, frequency = m)
  res[[length(res) + 1]] <- fit_one(nm, "holdout", ytr, h, d$value[(n - h + 1):n])
  r <- res[[length(res)]]$row
  cat(sprintf("%-22s n=%3d m=%2d full %-40s holdout %-40s %5.2fs\n", nm, n, m,
              res[[length(res) - 1]]$row$model, r$model, res[[length(res) - 1]]$row$cpu_s + r$cpu_s))
}
bind <- function(k) do.call(rbind, lapply(res, `[[`, k))
num <- function(df) {   # 12 significant digits for real numbers; whole-number columns stay integers
  for (c in names(df)) if (is.double(df[[c]]) && !all(is.na(df[[c]]) | df[[c]] == round(df[[c]])))
    df[[c]] <- ifelse(is.na(df[[c]]), NA, sprintf("%.12g", df[[c]]))
  df
}
write.csv(num(bind("row")), file.path(out, "autoarima_ref.csv"), row.names = FALSE)
write.csv(bind("coef"), file.path(out, "autoarima_ref_coef.csv"), row.names = FALSE, quote = FALSE)
write.csv(num(bind("fc")), file.path(out, "autoarima_ref_fc.csv"), row.names = FALSE, quote = FALSE)
write.csv(num(bind("trace")), file.path(out, "autoarima_ref_trace.csv"), row.names = FALSE)
rr <- bind("row")
cat(sprintf("\n%d series, %d fits, total auto.arima CPU %.1f s (mean %.3f s per fit)\n",
            length(unique(rr$series)), nrow(rr), sum(rr$cpu_s), mean(rr$cpu_s)))
for (s in c("rdata", "forecast", "aus_retail", "synthetic")) {
  ids <- unique(sd_$series[sd_$set == s]); hr <- rr[rr$fit == "holdout" & rr$series %in% ids, ]
  cat(sprintf("%-10s %3d series  mean sMAPE %.3f  mean MASE %.3f (finite MASE: %d)\n", s, length(ids),
              mean(hr$smape), mean(hr$mase, na.rm = TRUE), sum(is.finite(hr$mase))))
}

# test/ref/arima_ref.R -- reference values for mktdb.arima_forecast (issue 5).
# Fits stats::arima(..., method = "ML") (include.mean = (d + D == 0), as SPEC.md says) and
# predict() on R's own data sets and a few aus_retail series, and writes
#   arima_data.csv    the series (series, t_int, t_date, value; empty value = NA)
#   arima_ref_fit.csv one row per fitted quantity (coef, coef_se, sigma2, loglik, aic, aicc, nobs)
#   arima_ref_fc.csv  12-step forecasts: mean, se, 80 % and 95 % bounds (mean -/+ qnorm * se)
#   arima_ref_cssml.csv  the same models fitted with R's default method = "CSS-ML"
#   arima_ref_q0.csv  Gardner's initial state covariance for a few ARMA models
# Run from the repository root:  Rscript test/ref/arima_ref.R [path/to/aus_retail.csv.gz]
# (R 4.2.2, forecast package for the AICc as forecast::Arima reports it.)
suppressMessages(library(forecast))
args <- commandArgs(trailingOnly = TRUE)
aus <- if (length(args)) args[1] else "../shared/data/aus_retail/aus_retail.csv.gz"
out <- "test/ref"

ym_dates <- function(x) {           # first day of each period of a monthly/quarterly/yearly ts
  tt <- time(x); f <- frequency(x)
  yr <- floor(tt + 1e-9); k <- round((tt - yr) * f)
  format(as.Date(sprintf("%04d-%02d-01", as.integer(yr), as.integer(1 + k * 12 / f))))
}

retail <- read.csv(aus, stringsAsFactors = FALSE)
aus_ts <- function(id) {
  d <- retail[retail$series_id == id, ]
  d <- d[order(d$month), ]
  st <- as.integer(strsplit(d$month[1], "-")[[1]])
  ts(d$turnover, start = st, frequency = 12)
}

# name, series, order, seasonal order, dates (TRUE: t_date is a calendar date)
cases <- list(
  list("airpass_log", log(AirPassengers), c(0,1,1), c(0,1,1), TRUE),
  list("usaccdeaths", USAccDeaths,        c(0,1,1), c(0,1,1), TRUE),
  list("lakehuron",   LakeHuron,          c(2,0,0), c(0,0,0), FALSE),
  list("lh",          lh,                 c(1,0,0), c(0,0,0), FALSE),
  list("wwwusage",    WWWusage,           c(3,1,0), c(0,0,0), FALSE),
  list("nile",        Nile,               c(1,1,1), c(0,0,0), TRUE),
  # the one more: quarterly approval ratings with 6 missing values (the Kalman filter skips them)
  list("presidents",  presidents,         c(1,0,0), c(1,0,0), TRUE),
  list("ldeaths",     ldeaths,            c(2,0,0), c(1,0,0), TRUE),
  list("retail_nsw_super", aus_ts("A3349335T"), c(0,1,1), c(0,1,1), TRUE),
  list("retail_act_cafe",  aus_ts("A3349850K"), c(2,1,0), c(1,1,0), TRUE),
  list("retail_act_dept",  aus_ts("A3349609R"), c(1,0,1), c(0,1,1), TRUE),
  list("retail_act_liquor", aus_ts("A3349931L"), c(1,1,1), c(0,1,1), TRUE),
  # 32 months only (Tasmania, 2010-11..2013-06): fewer points than states (27), 19 after differencing
  list("retail_tas_short", aus_ts("A3349670A"), c(0,1,1), c(0,1,1), TRUE)
)

z80 <- qnorm(0.9); z95 <- qnorm(0.975)
data_rows <- list(); fit_rows <- list(); fc_rows <- list()
# every series as arima_data.csv holds it (12 significant digits), so that R fits exactly the
# numbers mktdb reads: log(AirPassengers) rounded moves R's optimum by ~1e-6 otherwise
for (i in seq_along(cases)) cases[[i]][[2]][] <- as.numeric(sprintf("%.12g", cases[[i]][[2]]))
for (cs in cases) {
  name <- cs[[1]]; y <- cs[[2]]; ord <- cs[[3]]; sord <- cs[[4]]; per <- frequency(y)
  inc <- (ord[2] + sord[2]) == 0
  fit <- stats::arima(y, order = ord, seasonal = list(order = sord, period = per),
                      include.mean = inc, method = "ML")
  ff <- forecast::Arima(y, order = ord, seasonal = list(order = sord, period = per),
                        include.mean = inc, method = "ML")
  stopifnot(isTRUE(all.equal(coef(fit), coef(ff))))
  pr <- predict(fit, n.ahead = 12)
  se <- sqrt(diag(fit$var.coef))
  cf <- coef(fit)
  kv <- c(setNames(cf, names(cf)), setNames(se, paste0(names(se), "_se")),
          sigma2 = fit$sigma2, loglik = fit$loglik, aic = fit$aic, aicc = ff$aicc,
          nobs = length(y))
  fit_rows[[name]] <- data.frame(series = name, p = ord[1], d = ord[2], q = ord[3],
                                 sp = sord[1], sd = sord[2], sq = sord[3], period = per,
                                 key = names(kv), value = sprintf("%.12g", kv))
  m <- as.numeric(pr$pred); s <- as.numeric(pr$se)
  fc_rows[[name]] <- data.frame(series = name, step = 1:12, mean = sprintf("%.12g", m),
                                se = sprintf("%.12g", s),
                                lo_80 = sprintf("%.12g", m - z80 * s), hi_80 = sprintf("%.12g", m + z80 * s),
                                lo_95 = sprintf("%.12g", m - z95 * s), hi_95 = sprintf("%.12g", m + z95 * s))
  v <- as.numeric(y)
  data_rows[[name]] <- data.frame(series = name, period = per,
                                  t_int = if (cs[[5]]) seq_along(v) else as.integer(round(time(y))),
                                  t_date = if (cs[[5]]) ym_dates(y) else "",
                                  value = ifelse(is.na(v), "", sprintf("%.12g", v)))
}
write.csv(do.call(rbind, data_rows), file.path(out, "arima_data.csv"), row.names = FALSE, quote = FALSE)
write.csv(do.call(rbind, fit_rows), file.path(out, "arima_ref_fit.csv"), row.names = FALSE, quote = FALSE)
write.csv(do.call(rbind, fc_rows), file.path(out, "arima_ref_fc.csv"), row.names = FALSE, quote = FALSE)

# R's default method "CSS-ML" (CSS start values, then ML) for the core's ARIMA_CSS_ML, which the
# automatic order selection uses: coefficients and loglik
css_rows <- NULL
for (cs in cases) {
  name <- cs[[1]]; y <- cs[[2]]; ord <- cs[[3]]; sord <- cs[[4]]; per <- frequency(y)
  fit <- tryCatch(stats::arima(y, order = ord, seasonal = list(order = sord, period = per),
                               include.mean = (ord[2] + sord[2]) == 0, method = "CSS-ML"),
                  error = function(e) NULL)
  if (is.null(fit)) next
  kv <- c(coef(fit), loglik = fit$loglik)
  css_rows <- rbind(css_rows, data.frame(series = name, key = names(kv), value = sprintf("%.12g", kv)))
}
write.csv(css_rows, file.path(out, "arima_ref_cssml.csv"), row.names = FALSE, quote = FALSE)

# Gardner et al. Q0 for the unit test of the core (getQ0 through makeARIMA)
q0 <- function(phi, theta) stats:::makeARIMA(phi, theta, numeric())$Pn
tests <- list(list(c(0.5, -0.3), c(0.4)), list(numeric(), c(0.6, 0.2)),
              list(c(0.7), c(-0.5, 0.3, 0.1)), list(c(0.2, 0.1, -0.3), numeric()))
lines <- character()
for (i in seq_along(tests)) {
  P <- q0(tests[[i]][[1]], tests[[i]][[2]])
  lines <- c(lines, sprintf("%d,%s,%s,%d,%s", i, paste(tests[[i]][[1]], collapse = " "),
                            paste(tests[[i]][[2]], collapse = " "), nrow(P),
                            paste(sprintf("%.15g", as.numeric(P)), collapse = " ")))
}
writeLines(c("case,phi,theta,r,q0_colmajor", lines), file.path(out, "arima_ref_q0.csv"))
cat("ok\n")

# R's conditional sum of squares (C_ARIMA_CSS, what method = "CSS" minimises, sum / nu) for
# fixed coefficients, for the unit test of the core's arima_css and arima_css_differenced:
# seasonal and non-seasonal differencing, zero coefficients inside the expanded polynomials
css_cases <- list(
  list("airpass_log", c(2,1,1), c(1,1,1), c(0.3, -0.2, -0.4, 0.25, -0.5)),
  list("usaccdeaths", c(0,1,1), c(0,1,1), c(-0.43, -0.55)),
  list("wwwusage",    c(3,1,0), c(0,0,0), c(1.15, -0.66, 0.34)),
  list("ldeaths",     c(2,0,0), c(1,0,0), c(0.4, -0.1, 0.6)),
  list("retail_act_cafe", c(2,1,0), c(1,1,0), c(-0.3, -0.1, -0.4)),
  list("retail_act_dept", c(1,0,1), c(0,1,1), c(0.8, -0.3, -0.6)),
  list("nile",        c(1,1,1), c(0,0,0), c(0.25, -0.87)))
css_rows <- character()
for (cs in css_cases) {
  y <- NULL
  for (c0 in cases) if (c0[[1]] == cs[[1]]) y <- c0[[2]]
  per <- frequency(y); ord <- cs[[2]]; sord <- cs[[3]]
  arma <- as.integer(c(ord[1], ord[3], sord[1], sord[3], per, ord[2], sord[2]))
  tp <- .Call(stats:::C_ARIMA_transPars, cs[[4]], arma, FALSE)
  ncond <- ord[2] + sord[2] * per + ord[1] + sord[1] * per
  css <- .Call(stats:::C_ARIMA_CSS, as.double(y), arma, tp[[1]], tp[[2]], as.integer(ncond), FALSE)
  css_rows <- c(css_rows, sprintf("%s,%s,%d,%d,%s,%s,%.17g", cs[[1]],
                                  paste(c(ord, sord), collapse = " "), per, as.integer(ncond),
                                  paste(sprintf("%.17g", tp[[1]]), collapse = " "),
                                  paste(sprintf("%.17g", tp[[2]]), collapse = " "), css))
}
writeLines(c("series,orders,period,ncond,phi,theta,css", css_rows), file.path(out, "arima_ref_css.csv"))
cat("css ok\n")

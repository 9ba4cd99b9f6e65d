# test/ref/ets_ref.R -- reference values for the ETS engine (src/core/ets.c, issue 14): forecast::ets(y)
# with its defaults (automatic choice by AICc among the error/trend/season combinations, damped trends,
# bounds = "both", restrict = TRUE, no multiplicative trend) and forecast.ets(h, level = c(80, 95)).
# The series are the committed set of the ARIMA references (test/ref/autoarima_series.csv: R's datasets,
# 30 aus_retail series, synthetic edge cases), each fitted twice: "full" (all of it) and "holdout" (all but
# the last h points).  Fixed models are fitted on R's own datasets.  Writes, under test/ref/:
#   ets_ref_auto.csv   one row per series x fit: chosen model, parameters, loglik/aic/aicc/bic/sigma2/mse,
#                      CPU seconds of ets(y) in R
#   ets_ref_fixed.csv  one row per series x fixed model (ets(y, model = "AAN", damped = TRUE) etc.);
#                      models R fits by its Holt-Winters fallback (n <= npars + 4) are left out
#   ets_ref_fc.csv     forecasts with 80 % / 95 % bounds for every row of both files (kind = auto_full,
#                      auto_holdout or the fixed model string); sim = 1 where forecast.ets simulates the
#                      intervals (multiplicative trend): then the bounds are those of 50000 paths
#                      (set.seed(1)), and sim_dev is the Monte Carlo spread of R's default 5000 paths: the
#                      largest change of a bound between set.seed(1) and set.seed(2), relative to the
#                      95 % width, over all steps
# Run from the repository root:  Rscript test/ref/ets_ref.R   (R 4.2.2, forecast 8.20; ~3 minutes)
suppressMessages(library(forecast))
out <- "test/ref"
sd_ <- read.csv(file.path(out, "autoarima_series.csv"), stringsAsFactors = FALSE)

pars <- function(fit) {
  p <- fit$par
  g <- function(k) if (k %in% names(p)) unname(p[k]) else NA
  c(alpha = g("alpha"), beta = g("beta"), gamma = g("gamma"), phi = g("phi"))
}
nn <- function(x) if (is.null(x)) NA else x
row_of <- function(name, fitname, y, h, fit, cpu) {
  comp <- fit$components
  data.frame(series = name, fit = fitname, n = length(y), m = frequency(y), h = h,
    model = gsub(",", ";", fit$method), error = comp[1], trend = comp[2], season = comp[3], damped = as.integer(comp[4] == "TRUE"),
    t(pars(fit)), loglik = nn(fit$loglik), aic = nn(fit$aic), aicc = nn(fit$aicc), bic = nn(fit$bic),
    sigma2 = fit$sigma2, mse = nn(fit$mse), n_par = length(fit$par), cpu_s = cpu, stringsAsFactors = FALSE)
}
fc_of <- function(name, kind, fit, h) {
  set.seed(1)
  fc <- forecast(fit, h = h, level = c(80, 95))
  sim <- as.integer(fit$components[2] == "M" || (fit$components[1] == "A" && fit$components[3] == "M"))
  B <- cbind(as.numeric(fc$lower[, 1]), as.numeric(fc$upper[, 1]), as.numeric(fc$lower[, 2]), as.numeric(fc$upper[, 2]))
  sim_dev <- rep(0, h)
  if (sim) {
    # R's own Monte Carlo spread of forecast.ets's 5000 paths: the largest change of a bound with another
    # seed, relative to the 95 % width, over all steps; the bounds written are those of 50000 paths
    bounds <- function(f) cbind(as.numeric(f$lower[, 1]), as.numeric(f$upper[, 1]),
                                as.numeric(f$lower[, 2]), as.numeric(f$upper[, 2]))
    set.seed(2)
    B2 <- bounds(forecast(fit, h = h, level = c(80, 95)))
    sim_dev <- rep(max(abs(B - B2) / (B[, 4] - B[, 3])), h)
    set.seed(1)
    B <- bounds(forecast(fit, h = h, level = c(80, 95), npaths = 50000))
  }
  data.frame(series = name, kind = kind, step = seq_len(h), mean = as.numeric(fc$mean),
    lo_80 = B[, 1], hi_80 = B[, 2], lo_95 = B[, 3], hi_95 = B[, 4], sim = sim, sim_dev = sim_dev,
    stringsAsFactors = FALSE)
}

auto <- list(); fixed <- list(); fcs <- list()
fixed_models <- function(m, positive) {
  ms <- c("ANN", "AAN", "AAdN")
  if (positive) ms <- c(ms, "MNN", "MAN", "MAdN", "MMN", "MMdN")
  if (m > 1) {
    ms <- c(ms, "ANA", "AAA", "AAdA")
    if (positive) ms <- c(ms, "MNA", "MAA", "MAdA", "MNM", "MAM", "MAdM")
  }
  ms
}
for (nm in unique(sd_$series)) {
  d <- sd_[sd_$series == nm, ]
  m <- d$period[1]; h <- d$h[1]; n <- nrow(d)
  for (fitname in c("full", "holdout")) {
    v <- if (fitname == "full") d$value else d$value[1:(n - h)]
    y <- ts(v, frequency = m)
    t0 <- proc.time()
    fit <- ets(y)
    cpu <- sum((proc.time() - t0)[1:2])
    auto[[length(auto) + 1]] <- row_of(nm, fitname, y, h, fit, cpu)
    fcs[[length(fcs) + 1]] <- fc_of(nm, paste0("auto_", fitname), fit, h)
    cat(sprintf("%-22s %-8s n=%3d m=%2d %-14s %6.3fs\n", nm, fitname, length(y), m, fit$method, cpu))
  }
  if (d$set[1] %in% c("rdata", "forecast")) {
    y <- ts(d$value, frequency = m)
    for (mod in fixed_models(if (n > m) m else 1, min(y) > 0)) {
      damped <- grepl("d", mod); code <- gsub("d", "", mod)
      t0 <- proc.time()
      fit <- tryCatch(suppressWarnings(ets(y, model = code, damped = damped,
                                           allow.multiplicative.trend = TRUE)), error = function(e) NULL)
      cpu <- sum((proc.time() - t0)[1:2])
      if (is.null(fit) || is.null(fit$loglik)) next
      fixed[[length(fixed) + 1]] <- cbind(data.frame(fixed = mod), row_of(nm, "full", y, h, fit, cpu))
      fcs[[length(fcs) + 1]] <- fc_of(nm, mod, fit, h)
    }
  }
}
num <- function(df, digits = 15) {   # significant digits for real numbers
  for (c in names(df)) if (is.double(df[[c]]) && !all(is.na(df[[c]]) | df[[c]] == round(df[[c]])))
    df[[c]] <- ifelse(is.na(df[[c]]), NA, sprintf(paste0("%.", digits, "g"), df[[c]]))
  df
}
A <- do.call(rbind, auto); F <- do.call(rbind, fixed)
write.csv(num(A), file.path(out, "ets_ref_auto.csv"), row.names = FALSE, quote = FALSE)
write.csv(num(F), file.path(out, "ets_ref_fixed.csv"), row.names = FALSE, quote = FALSE)
write.csv(num(do.call(rbind, fcs), 12), file.path(out, "ets_ref_fc.csv"), row.names = FALSE, quote = FALSE)
cat(sprintf("\n%d automatic fits: total ets() CPU %.2f s (mean %.4f s); %d fixed fits: %.2f s\n",
            nrow(A), sum(A$cpu_s), mean(A$cpu_s), nrow(F), sum(F$cpu_s)))

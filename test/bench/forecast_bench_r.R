# test/bench/forecast_bench_r.R -- the R side of test/bench/forecast_bench.sh (issue 14).
#   Rscript forecast_bench_r.R series OUTDIR [AUS_CSV] [AUS_MAX]   writes OUTDIR/series.csv (every set's
#       series: set, series, period, h, t, value, train) -- the same series mktdb reads
#   Rscript forecast_bench_r.R fit OUTDIR [RMAX]                   fits R's ets, thetaf, auto.arima, croston
#       (and their mean) on every training part (RMAX > 0: the first RMAX series of each set):
#       OUTDIR/r_fc.csv (set, series, method, step, forecast), OUTDIR/r_cpu.csv (set, method, cpu_s, n)
#   Rscript forecast_bench_r.R score OUTDIR                        scores OUTDIR/r_fc.csv and OUTDIR/mk_fc.csv
#       on the held-out tails: mean sMAPE and MASE per set and method
# Sets (every series split into a training part and the last h points):
#   ref          R's and forecast's data sets of test/ref/autoarima_series.csv (24 series), h = 2m or 10
#   aus_retail   the full-length monthly series of ../shared/data/aus_retail (up to AUS_MAX), h = 24
#   cj_dept_day  Complete Journey (demo/data): daily units of every department with >= 300 rows, period 7, h = 14
#   cj_prod_week the 150 most-bought products, weekly units (53 weeks), period 1, h = 8
#   cj_prod_day  the 60 most-bought products, daily units, period 7, h = 14
#   syn_season   60 synthetic monthly series: level, trend (some damped), additive or multiplicative season,
#                noise, n = 60..144, h = 12 (set.seed(141))
#   syn_interm   80 synthetic intermittent daily series: Bernoulli demand occurrence (5-60 %), Poisson / log-normal
#                sizes, a quarter with obsolescence (the demand probability decays), n = 120..300, period 7, h = 14
suppressMessages(library(forecast))
args <- commandArgs(trailingOnly = TRUE)
cmd <- args[1]; out <- args[2]

# sMAPE and MASE as forecast::accuracy; RMSSE (M5's measure, scale: in-sample mean squared first
# difference) because sMAPE is undefined-ish and MASE favours zero forecasts on intermittent demand
smape <- function(a, f) mean(ifelse(a == 0 & f == 0, 0, 200 * abs(a - f) / (abs(a) + abs(f))))
mase_scale <- function(y, m) { lag <- if (m > 1 && length(y) > m) m else 1; mean(abs(diff(y, lag = lag))) }

if (cmd == "series") {
  aus_csv <- args[3]; aus_max <- as.integer(args[4])
  rows <- list()
  add <- function(set, name, m, h, y) {
    rows[[length(rows) + 1]] <<- data.frame(set = set, series = name, period = m, h = h, t = seq_along(y),
                                            value = as.numeric(y), train = seq_along(y) <= length(y) - h)
  }
  ref <- read.csv("test/ref/autoarima_series.csv", stringsAsFactors = FALSE)
  ref <- ref[ref$set %in% c("rdata", "forecast"), ]
  for (nm in unique(ref$series)) { d <- ref[ref$series == nm, ]; add("ref", nm, d$period[1], d$h[1], d$value) }
  if (!is.na(aus_csv) && file.exists(aus_csv)) {
    a <- read.csv(gzfile(aus_csv), stringsAsFactors = FALSE)
    ids <- names(which(table(a$series_id) == max(table(a$series_id))))
    for (id in head(sort(ids), aus_max)) { d <- a[a$series_id == id, ]; d <- d[order(d$month), ]; add("aus_retail", id, 12, 24, d$turnover) }
  }
  tr <- read.csv(gzfile("demo/data/transactions.csv.gz"))
  pr <- read.csv(gzfile("demo/data/products.csv.gz"))
  tr$day <- as.Date(substr(tr$transaction_timestamp, 1, 10))
  days <- seq(min(tr$day), max(tr$day), by = "day")
  tr <- merge(tr, pr[, c("product_id", "department")], by = "product_id")
  dept <- names(which(table(tr$department) >= 300))
  for (d in sort(dept)) {
    s <- tapply(tr$quantity[tr$department == d], factor(tr$day[tr$department == d], levels = as.character(days)), sum)
    s[is.na(s)] <- 0; add("cj_dept_day", d, 7, 14, s)
  }
  top <- names(sort(table(tr$product_id), decreasing = TRUE))
  weeks <- sort(unique(tr$week))
  for (p in head(top, 150)) {
    s <- tapply(tr$quantity[tr$product_id == p], factor(tr$week[tr$product_id == p], levels = weeks), sum)
    s[is.na(s)] <- 0; add("cj_prod_week", paste0("p", p), 1, 8, s)
  }
  for (p in head(top, 60)) {
    s <- tapply(tr$quantity[tr$product_id == p], factor(tr$day[tr$product_id == p], levels = as.character(days)), sum)
    s[is.na(s)] <- 0; add("cj_prod_day", paste0("p", p), 7, 14, s)
  }
  set.seed(141)
  for (i in 1:60) {
    n <- sample(60:144, 1); t <- 1:n
    lvl <- runif(1, 50, 500); b <- rnorm(1, 0, lvl / 200); phi <- if (i %% 3 == 0) 0.95 else 1
    trend <- lvl + b * cumsum(phi^t)
    amp <- runif(1, 0, 0.3); sea <- 1 + amp * sin(2 * pi * (t + sample(0:11, 1)) / 12 + rnorm(1))
    y <- if (i %% 2 == 0) trend * sea else trend + lvl * (sea - 1)
    y <- y * exp(rnorm(n, 0, runif(1, 0.01, 0.12)))
    add("syn_season", sprintf("s%02d", i), 12, 12, pmax(y, 0.1))
  }
  for (i in 1:80) {
    n <- sample(120:300, 1); p0 <- runif(1, 0.05, 0.6)
    p <- if (i %% 4 == 0) p0 * exp(-3 * (1:n) / n) else rep(p0, n)
    size <- if (i %% 2 == 0) rpois(n, runif(1, 1, 6)) + 1 else round(rlnorm(n, runif(1, 0, 2), 0.8)) + 1
    y <- rbinom(n, 1, p) * size
    if (sum(y[1:(n - 14)] > 0) < 2) y[c(3, 9)] <- c(2, 1)
    add("syn_interm", sprintf("i%02d", i), 7, 14, y)
  }
  s <- do.call(rbind, rows)
  write.csv(s, file.path(out, "series.csv"), row.names = FALSE)
  cat(sprintf("%d series, %d rows\n", length(unique(paste(s$set, s$series))), nrow(s)))
}

if (cmd == "fit") {
  s <- read.csv(file.path(out, "series.csv"), stringsAsFactors = FALSE)
  keys <- unique(s[, c("set", "series")])
  rmax <- if (length(args) >= 3) as.integer(args[3]) else 0L
  if (rmax > 0) keys <- do.call(rbind, lapply(split(keys, keys$set), head, rmax))   # R fits the first rmax of each set
  fc <- list(); cpu <- list()
  tm <- function(expr) { t0 <- proc.time(); v <- expr; tt <- proc.time() - t0; list(v = v, s = unname(tt[1] + tt[2])) }
  for (k in seq_len(nrow(keys))) {
    d <- s[s$set == keys$set[k] & s$series == keys$series[k], ]
    m <- d$period[1]; h <- d$h[1]
    y <- ts(d$value[d$train == "TRUE" | d$train == TRUE], frequency = m)
    e <- tm(as.numeric(forecast(ets(y), h = h)$mean))
    th <- tm(as.numeric(thetaf(y, h = h)$mean))
    ar <- tm(as.numeric(forecast(auto.arima(y), h = h)$mean))
    cr <- if (all(y >= 0)) as.numeric(croston(y, h = h)$mean) else rep(NA, h)
    res <- list(ets = e$v, theta = th$v, arima = ar$v, combo = (e$v + th$v + ar$v) / 3, croston = cr)
    for (nm in names(res))
      fc[[length(fc) + 1]] <- data.frame(set = keys$set[k], series = keys$series[k], method = nm, step = 1:h, forecast = res[[nm]])
    cpu[[length(cpu) + 1]] <- data.frame(set = keys$set[k], method = c("ets", "theta", "arima"), cpu_s = c(e$s, th$s, ar$s))
  }
  write.csv(do.call(rbind, fc), file.path(out, "r_fc.csv"), row.names = FALSE)
  cpu <- do.call(rbind, cpu)
  agg <- aggregate(cpu_s ~ set + method, cpu, sum)
  agg$n <- aggregate(cpu_s ~ set + method, cpu, length)$cpu_s
  write.csv(agg, file.path(out, "r_cpu.csv"), row.names = FALSE)
}

if (cmd == "score") {
  s <- read.csv(file.path(out, "series.csv"), stringsAsFactors = FALSE)
  s$train <- s$train == "TRUE" | s$train == TRUE
  fc <- rbind(cbind(engine = "R", read.csv(file.path(out, "r_fc.csv"), stringsAsFactors = FALSE)),
              cbind(engine = "mktdb", read.csv(file.path(out, "mk_fc.csv"), stringsAsFactors = FALSE)))
  sc <- list()
  for (key in unique(paste(s$set, s$series, sep = "\r"))) {
    p <- strsplit(key, "\r")[[1]]
    d <- s[s$set == p[1] & s$series == p[2], ]
    y <- d$value[d$train]; a <- d$value[!d$train]; sc0 <- mase_scale(y, d$period[1]); sc2 <- mean(diff(y)^2)
    f <- fc[fc$set == p[1] & fc$series == p[2], ]
    for (em in unique(paste(f$engine, f$method, sep = "\r"))) {
      q <- strsplit(em, "\r")[[1]]
      g <- f[f$engine == q[1] & f$method == q[2], ]; g <- g[order(g$step), ]
      if (nrow(g) != length(a) || any(is.na(g$forecast))) next
      sc[[length(sc) + 1]] <- data.frame(set = p[1], series = p[2], engine = q[1], method = q[2],
        smape = smape(a, g$forecast), mase = if (sc0 > 0) mean(abs(a - g$forecast)) / sc0 else NA,
        rmsse = if (sc2 > 0) sqrt(mean((a - g$forecast)^2) / sc2) else NA)
    }
  }
  sc <- do.call(rbind, sc)
  write.csv(sc, file.path(out, "scores.csv"), row.names = FALSE)
  # every engine x method scored on the series all of them forecast
  common <- Reduce(intersect, lapply(split(paste(sc$set, sc$series), paste(sc$engine, sc$method)), unique))
  cc <- sc[paste(sc$set, sc$series) %in% common, ]
  tab <- aggregate(cbind(smape, mase, rmsse) ~ set + engine + method, cc, function(x) mean(x, na.rm = TRUE), na.action = na.pass)
  tab$n <- aggregate(smape ~ set + engine + method, cc, length)$smape
  tab <- tab[order(tab$set, tab$engine, tab$mase), ]
  options(width = 200)
  print(format(tab, digits = 4), row.names = FALSE)
  all <- aggregate(cbind(smape, mase, rmsse) ~ engine + method, cc, function(x) mean(x, na.rm = TRUE), na.action = na.pass)
  cat("\nall sets (mean over the series above):\n"); print(format(all[order(all$mase), ], digits = 4), row.names = FALSE)
  # mktdb's methods on every series (R fitted a subset when RMAX was given)
  mk <- sc[sc$engine == "mktdb", ]
  common <- Reduce(intersect, lapply(split(paste(mk$set, mk$series), mk$method), unique))
  mk <- mk[paste(mk$set, mk$series) %in% common, ]
  tab <- aggregate(cbind(smape, mase, rmsse) ~ set + method, mk, function(x) mean(x, na.rm = TRUE), na.action = na.pass)
  tab$n <- aggregate(smape ~ set + method, mk, length)$smape
  cat("\nmktdb, every series of every set:\n"); print(format(tab[order(tab$set, tab$mase), ], digits = 4), row.names = FALSE)
  all <- aggregate(cbind(smape, mase, rmsse) ~ method, mk, function(x) mean(x, na.rm = TRUE), na.action = na.pass)
  cat("\nmktdb, all sets:\n"); print(format(all[order(all$mase), ], digits = 4), row.names = FALSE)
}

# test/ref/ets_ref_more.R -- a second, larger check of forecast::ets(y)'s automatic choice (issue 14): 60 more
# aus_retail series (whole length, monthly), drawn with a fixed seed from those test/ref/autoarima_series.csv
# does not hold.  Writes test/ref/ets_ref_more.csv: series, n, model (commas written as ';'), loglik, aicc,
# CPU seconds of ets(y) in R, and the values themselves (space-separated, shortest exact decimal).
# test/unit/test_ets.c fits the same series and checks the model and the loglik.
# Run from the repository root:  Rscript test/ref/ets_ref_more.R [path/to/aus_retail.csv.gz]  (~1-2 minutes)
suppressMessages(library(forecast))
args <- commandArgs(trailingOnly = TRUE)
aus <- if (length(args)) args[1] else "../shared/data/aus_retail/aus_retail.csv.gz"
retail <- read.csv(aus, stringsAsFactors = FALSE)
used <- sub("^aus_", "", grep("^aus_", unique(read.csv("test/ref/autoarima_series.csv")$series), value = TRUE))
ids <- setdiff(sort(unique(retail$series_id)), used)
set.seed(14)
ids <- sort(sample(ids, 60))
exact <- function(v) {
  s <- sprintf("%.15g", v); bad <- as.numeric(s) != v
  s[bad] <- sprintf("%.17g", v[bad]); s
}
rows <- list()
for (id in ids) {
  d <- retail[retail$series_id == id, ]
  d <- d[order(d$month), ]
  v <- as.numeric(exact(d$turnover))
  y <- ts(v, frequency = 12)
  t0 <- proc.time()
  fit <- ets(y)
  cpu <- sum((proc.time() - t0)[1:2])
  rows[[length(rows) + 1]] <- data.frame(series = id, n = length(y), model = gsub(",", ";", fit$method),
    loglik = sprintf("%.12f", fit$loglik), aicc = sprintf("%.12f", fit$aicc), cpu_s = cpu,
    values = paste(exact(v), collapse = " "), stringsAsFactors = FALSE)
  cat(sprintf("%-12s n=%3d %-14s %.3fs\n", id, length(y), fit$method, cpu))
}
r <- do.call(rbind, rows)
write.csv(r, "test/ref/ets_ref_more.csv", row.names = FALSE, quote = FALSE)
cat(sprintf("%d series: ets() CPU %.2f s\n", nrow(r), sum(r$cpu_s)))

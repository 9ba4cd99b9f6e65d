# test/ref/ets_ref_options.R -- forecast::ets's options that EtsOptions mirrors (issue 14): damped = TRUE,
# damped = FALSE and allow.multiplicative.trend = TRUE on AirPassengers and UKgas.  Writes
# test/ref/ets_ref_options.csv: series, option, model (commas as ';'), loglik.  The series' values are those
# of test/ref/autoarima_series.csv (airpassengers, ukgas).  Run from the repository root (a few seconds).
suppressMessages(library(forecast))
sd_ <- read.csv("test/ref/autoarima_series.csv", stringsAsFactors = FALSE)
rows <- list()
for (nm in c("airpassengers", "ukgas")) {
  d <- sd_[sd_$series == nm, ]
  y <- ts(d$value, frequency = d$period[1])
  fits <- list(damped = ets(y, damped = TRUE), undamped = ets(y, damped = FALSE),
               multiplicative_trend = ets(y, allow.multiplicative.trend = TRUE))
  for (o in names(fits))
    rows[[length(rows) + 1]] <- data.frame(series = nm, option = o, model = gsub(",", ";", fits[[o]]$method),
                                           loglik = sprintf("%.10f", fits[[o]]$loglik))
}
write.csv(do.call(rbind, rows), "test/ref/ets_ref_options.csv", row.names = FALSE, quote = FALSE)

# test/ref/abtest_ref.R -- reference values for campaign evaluation (issue 13), R 4.2.2 base stats.
# Run from the repository root:  Rscript test/ref/abtest_ref.R
# Writes
#   abtest_ref_dist.csv   distribution functions on a grid (pbeta, pgamma, pt, qt, pchisq,
#                         qchisq, pnorm, qnorm, noncentral pt) -> test/unit/test_dist.c
#   abtest_ref_power.csv  power.prop.test / power.t.test n -> test_abtest.c and sql/abtest.sql
#   abtest_ref_bayes.csv  P(p_t > p_c) and expected losses by adaptive quadrature (integrate)
#   abtest_data.csv       a seeded experiment: variant, conversion 0/1, revenue, pre-period spend, day
#   abtest_ref_tests.csv  prop.test(correct = FALSE), Welch t.test, CUPED + t.test, p.adjust holm,
#                         chisq.test sample-ratio p-values on abtest_data.csv -> sql/abtest.sql
#   abtest_ref_seq.csv    the mixture SPRT (Johari, Pekelis & Walsh) on abtest_data.csv by day,
#                         written out here from the paper's formulas, independently of the C code
options(digits = 17)
out <- "test/ref"
w <- function(d, f) write.csv(d, file.path(out, f), row.names = FALSE, quote = FALSE)
fmt <- function(x) sprintf("%.17g", x)

## distributions
d <- list()
add <- function(fn, x, a, b, v) d[[length(d) + 1]] <<- data.frame(fn = fn, x = fmt(x), a = fmt(a), b = fmt(b), value = fmt(v))
for (a in c(0.5, 1, 2.5, 10, 150, 4000)) for (b in c(0.5, 3, 47, 2e4)) for (x in c(1e-4, 0.03, 0.2, 0.5, 0.77, 0.999)) {
  add("pbeta_lower", x, a, b, pbeta(x, a, b)); add("pbeta_upper", x, a, b, pbeta(x, a, b, lower.tail = FALSE)) }
for (a in c(0.5, 1, 3.5, 20, 500)) for (x in c(1e-3, 0.4, 2, 7.5, 30, 480, 700)) {
  add("pgamma_lower", x, a, 0, pgamma(x, a)); add("pgamma_upper", x, a, 0, pgamma(x, a, lower.tail = FALSE)) }
for (df in c(1, 2.5, 7, 30, 199.37, 5000, 3e5, 6e5, 1e8)) for (x in c(-40, -6.2, -1.96, -0.3, 0, 0.8, 2.5, 12)) {
  add("pt_lower", x, df, 0, pt(x, df)); add("pt_upper", x, df, 0, pt(x, df, lower.tail = FALSE)) }
for (df in c(1, 2.5, 7, 30, 199.37, 5000, 3e5, 6e5, 1e8)) for (p in c(1e-10, 0.0005, 0.025, 0.05, 0.3, 0.5, 0.9)) {
  add("qt_upper", p, df, 0, qt(p, df, lower.tail = FALSE)); add("qt_lower", p, df, 0, qt(p, df)) }
for (df in c(1, 2, 3, 9, 40)) for (x in c(0.01, 0.5, 1, 3.84, 12, 60, 300)) {
  add("pchisq_upper", x, df, 0, pchisq(x, df, lower.tail = FALSE)); add("pchisq_lower", x, df, 0, pchisq(x, df)) }
for (df in c(1, 2, 5, 30)) for (p in c(1e-8, 0.01, 0.05, 0.5, 0.95)) add("qchisq_upper", p, df, 0, qchisq(p, df, lower.tail = FALSE))
for (x in c(-37, -20, -8, -3, -1.5, 0, 0.4, 2, 9)) { add("pnorm_lower", x, 0, 0, pnorm(x)); add("pnorm_upper", x, 0, 0, pnorm(x, lower.tail = FALSE)) }
for (p in c(1e-300, 1e-20, 1e-8, 0.001, 0.025, 0.2, 0.5, 0.8, 0.975, 0.999999)) { add("qnorm_lower", p, 0, 0, qnorm(p)); add("qnorm_upper", p, 0, 0, qnorm(p, lower.tail = FALSE)) }
for (df in c(2, 9, 58, 1000, 5e5)) for (ncp in c(-1.5, 0.7, 2.8, 6)) for (x in c(-2, 0.5, 1.97, 4)) {
  add("pnt_upper", x, df, ncp, pt(x, df, ncp = ncp, lower.tail = FALSE)); add("pnt_lower", x, df, ncp, pt(x, df, ncp = ncp)) }
w(do.call(rbind, d), "abtest_ref_dist.csv")

## sample sizes
pw <- list()
for (b in c(0.01, 0.05, 0.1, 0.3, 0.5)) for (m in c(0.002, 0.01, 0.05, -0.005)) for (al in c(0.05, 0.01)) for (po in c(0.8, 0.9)) {
  if (b + m <= 0 || b + m >= 1) next
  n <- power.prop.test(p1 = b, p2 = b + m, sig.level = al, power = po)$n
  pw[[length(pw) + 1]] <- data.frame(metric = "proportion", baseline = b, mde = m, alpha = al, power = po, sd = "", n = fmt(n)) }
for (m in c(0.05, 0.2, 1, 2.5, 4)) for (s in c(1, 3.7)) for (al in c(0.05, 0.001)) for (po in c(0.8, 0.95)) {
  n <- power.t.test(delta = m, sd = s, sig.level = al, power = po)$n
  pw[[length(pw) + 1]] <- data.frame(metric = "mean", baseline = 10, mde = m, alpha = al, power = po, sd = s, n = fmt(n)) }
w(do.call(rbind, pw), "abtest_ref_power.csv")

## Bayesian: quadrature of P(p_t > p_c) = int f_t(x) F_c(x) dx and the expected losses
bay <- list()
cases <- rbind(c(10, 100, 14, 100, 1, 1), c(0, 20, 3, 20, 1, 1), c(120, 1000, 100, 1000, 1, 1),
               c(480, 10000, 530, 10000, 2, 5), c(2500, 50000, 2610, 50000, 1, 1), c(5, 7, 1, 9, 1, 3),
               c(3000, 60000, 2950, 60000, 1, 1), c(12, 400, 30, 410, 0.5, 1), c(4, 9, 5, 11, 0.5, 0.5))
for (i in seq_len(nrow(cases))) {
  cc <- cases[i, ]; ac <- cc[5] + cc[1]; bc <- cc[6] + cc[2] - cc[1]; at <- cc[5] + cc[3]; bt <- cc[6] + cc[4] - cc[3]
  m <- max(at / (at + bt), ac / (ac + bc)); s <- sqrt(m * (1 - m) / min(cc[2], cc[4]) + 1e-4)
  br <- sort(unique(pmin(pmax(c(0, m - 12 * s, m - 4 * s, m, m + 4 * s, m + 12 * s, 1), 0), 1)))
  integ <- function(f) sum(sapply(seq_len(length(br) - 1), function(k)
    integrate(f, br[k], br[k + 1], rel.tol = 1e-13, abs.tol = 0, subdivisions = 2000L)$value))
  prob <- integ(function(x) dbeta(x, at, bt) * pbeta(x, ac, bc))
  # E[max(p_c - p_t, 0)] = int f_t(x) int_x^1 (y - x) f_c(y) dy dx; the inner integral in closed form
  inner_c <- function(x) ac / (ac + bc) * pbeta(x, ac + 1, bc, lower.tail = FALSE) - x * pbeta(x, ac, bc, lower.tail = FALSE)
  inner_t <- function(x) at / (at + bt) * pbeta(x, at + 1, bt, lower.tail = FALSE) - x * pbeta(x, at, bt, lower.tail = FALSE)
  loss_t <- integ(function(x) dbeta(x, at, bt) * inner_c(x))
  loss_c <- integ(function(x) dbeta(x, ac, bc) * inner_t(x))
  bay[[i]] <- data.frame(xc = cc[1], nc = cc[2], xt = cc[3], nt = cc[4], prior_alpha = cc[5], prior_beta = cc[6],
                         prob = fmt(prob), loss_t = fmt(loss_t), loss_c = fmt(loss_c)) }
w(do.call(rbind, bay), "abtest_ref_bayes.csv")

## a seeded experiment: three arms, 14 days, conversions and revenue with a pre-period covariate
set.seed(20261130)
arms <- c(control = 700, a = 690, b = 760)
v <- rep(names(arms), arms)
nn <- length(v)
pre <- round(rgamma(nn, shape = 2, scale = 25), 2)
lift <- c(control = 0, a = 1.5, b = 4)[v]
conv <- rbinom(nn, 1, c(control = 0.10, a = 0.115, b = 0.14)[v])
rev <- round(pmax(0, 20 + 0.6 * pre + lift + rnorm(nn, 0, 12)), 2)
day <- sample(1:14, nn, replace = TRUE)
dat <- data.frame(id = seq_len(nn), variant = v, converted = conv, revenue = rev, pre_spend = pre, day = day)
w(dat, "abtest_data.csv")

## the tests on it
res <- list()
row <- function(case, variant, n, mean, sd, diff = NA, lo = NA, hi = NA, lift = NA, p = NA, padj = NA, srm = NA, test = "")
  res[[length(res) + 1]] <<- data.frame(case_name = case, variant = variant, n = n, mean = fmt(mean), sd = fmt(sd),
    diff = fmt(diff), ci_lo = fmt(lo), ci_hi = fmt(hi), rel_lift = fmt(lift), p_value = fmt(p), p_adjusted = fmt(padj),
    test = test, srm_p_value = fmt(srm))
run_case <- function(case, y, control = "control", metric, alpha = 0.05, split = NULL) {
  lv <- sort(unique(v)); cnt <- as.vector(table(factor(v, levels = lv)))
  srm <- chisq.test(cnt, p = if (is.null(split)) rep(1 / length(lv), length(lv)) else split)$p.value
  tr <- setdiff(lv, control); ps <- c(); rows <- list()
  for (t in tr) {
    yt <- y[v == t]; yc <- y[v == control]
    if (metric == "proportion") {
      r <- prop.test(c(sum(yt), sum(yc)), c(length(yt), length(yc)), correct = FALSE, conf.level = 1 - alpha)
      rows[[t]] <- c(diff = unname(r$estimate[1] - r$estimate[2]), lo = r$conf.int[1], hi = r$conf.int[2], p = r$p.value)
    } else {
      r <- t.test(yt, yc, var.equal = FALSE, conf.level = 1 - alpha)
      rows[[t]] <- c(diff = mean(yt) - mean(yc), lo = r$conf.int[1], hi = r$conf.int[2], p = r$p.value)
    }
    ps <- c(ps, rows[[t]]["p"])
  }
  padj <- p.adjust(ps, method = "holm"); names(padj) <- tr
  test <- if (metric == "proportion") "z-test for proportions" else "Welch t-test"
  for (l in lv) {
    yl <- y[v == l]
    if (l == control) row(case, l, length(yl), mean(yl), sd(yl), srm = srm, test = test)
    else { r <- rows[[l]]; row(case, l, length(yl), mean(yl), sd(yl), r["diff"], r["lo"], r["hi"],
                               r["diff"] / mean(y[v == control]), r["p"], padj[l], srm, test) }
  }
}
run_case("conv", dat$converted, metric = "proportion")
run_case("conv_ctl_a_alpha10", dat$converted, control = "a", metric = "proportion", alpha = 0.1)
run_case("rev", dat$revenue, metric = "mean")
run_case("rev_split", dat$revenue, metric = "mean", alpha = 0.01, split = c(0.3, 0.3, 0.4))
theta <- cov(dat$revenue, dat$pre_spend) / var(dat$pre_spend)
run_case("rev_cuped", dat$revenue - theta * (dat$pre_spend - mean(dat$pre_spend)), metric = "mean")
w(do.call(rbind, res), "abtest_ref_tests.csv")

## mixture SPRT by day (cumulative), the treatment b against control, revenue and conversions
msprt <- function(y, metric, tau, alpha = 0.05) {
  out <- list(); pmin_ <- 1; lo_ <- -Inf; hi_ <- Inf
  for (dd in sort(unique(dat$day))) {
    sel <- dat$day <= dd; yt <- y[sel & v == "b"]; yc <- y[sel & v == "control"]
    nt <- length(yt); nc <- length(yc); diff <- mean(yt) - mean(yc)
    V <- if (metric == "proportion") mean(yt) * (1 - mean(yt)) / nt + mean(yc) * (1 - mean(yc)) / nc else var(yt) / nt + var(yc) / nc
    if (nt >= 2 && nc >= 2 && V > 0) {
      lam <- sqrt(V / (V + tau^2)) * exp(tau^2 * diff^2 / (2 * V * (V + tau^2)))
      pmin_ <- min(pmin_, 1 / lam)
      half <- sqrt(V * (V + tau^2) / tau^2 * (log((V + tau^2) / V) - 2 * log(alpha)))
      lo_ <- max(lo_, diff - half); hi_ <- min(hi_, diff + half)
    }
    out[[length(out) + 1]] <- data.frame(metric = metric, day = dd, n = nt, diff = fmt(diff), ci_lo = fmt(lo_), ci_hi = fmt(hi_), p_value = fmt(pmin_))
  }
  do.call(rbind, out)
}
yb <- dat$revenue[v %in% c("b", "control")]
w(rbind(msprt(dat$revenue, "mean", tau = 0.1 * sd(yb)), msprt(dat$converted, "proportion", tau = 0.1 * sd(dat$converted[v %in% c("b", "control")]))),
  "abtest_ref_seq.csv")

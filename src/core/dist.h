/*
 * dist.h -- probability distributions to full double precision, pure C: the log-beta
 * function, regularised incomplete beta and gamma, normal, Student t (central and
 * noncentral), chi-square, and R's zeroin root finder (so that sample sizes found
 * with uniroot in R are found here to the same digits).  Where R's nmath takes a
 * documented shortcut (pt for df > 4e5 uses Abramowitz & Stegun 26.7.8) the same
 * shortcut is taken, so that p-values equal R's rather than a "better" number.
 */
#ifndef MKTDB_DIST_H
#define MKTDB_DIST_H

double		mk_lbeta(double a, double b);
/* regularised incomplete beta I_x(a, b) (lower) or 1 - I_x(a, b) (upper) */
double		mk_pbeta(double x, double a, double b, int lower);
/* regularised incomplete gamma P(a, x) (lower) or Q(a, x) (upper) */
double		mk_pgamma(double x, double a, int lower);
double		mk_pnorm(double x, int lower);
double		mk_qnorm(double p, int lower);
double		mk_dt(double x, double df);
double		mk_pt(double x, double df, int lower);
double		mk_qt(double p, double df, int lower);
double		mk_pchisq(double x, double df, int lower);
double		mk_qchisq(double p, double df, int lower);
/* noncentral t: R's pnt (Lenth's AS 243) */
double		mk_pnt(double t, double df, double ncp, int lower);

/*
 * R's zeroin2 (Brent 1973, as in R's stats::uniroot): root of f in [ax, bx] given
 * f(ax) = fa, f(bx) = fb of opposite signs; *tol in: tolerance, out: estimated
 * precision; *maxit in: limit, out: iterations used (-1 on failure).
 */
typedef double (*MkRootFn) (double x, void *info);
double		mk_zeroin2(double ax, double bx, double fa, double fb, MkRootFn f, void *info,
					   double *tol, int *maxit);
/*
 * R's uniroot(f, c(lower, upper), tol = tol, extendInt = "upX"): f increasing; the
 * interval is extended as R extends it.  Returns NaN when no sign change is found.
 */
double		mk_uniroot_upx(MkRootFn f, void *info, double lower, double upper, double tol);

#endif

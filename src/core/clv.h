/*
 * clv.h -- customer lifetime value models in pure C: BG/NBD (Fader, Hardie & Lee 2005),
 * Pareto/NBD (Schmittlein, Morrison & Colombo 1987, in Fader & Hardie's formulation) and
 * the Gamma-Gamma spend model (Fader, Hardie & Lee 2005; Fader & Hardie 2013):
 * log-likelihoods and their gradients, maximum likelihood, P(alive), conditional
 * expectations and conditional mean spend.  Reading purchases and storing models live
 * in src/clv_sql.c.
 */
#ifndef MKTDB_CORE_CLV_H
#define MKTDB_CORE_CLV_H

#include <stddef.h>
#include <stdint.h>

#define CLV_BGNBD 0				/* params r, alpha, a, b */
#define CLV_PARETO 1			/* params r, alpha, s, beta */

/*
 * Calibration customers: x repeat purchase days, recency t_x and age T in whole days
 * (t_x <= T); the model's time unit is unit days, so t_x / unit is the recency.
 */
typedef struct ClvCustomers
{
	int64_t		n;
	const int32_t *x;
	const int32_t *tx;
	const int32_t *T;
	double		unit;
	int			threads;		/* for the likelihood's sums over customers (1: none) */
} ClvCustomers;

typedef int (*ClvCancelFn) (void *arg);

/* Log-likelihood of one customer (times in model units). */
double		clv_loglik_one(int model, const double *par, double x, double tx, double T);

/*
 * Total log-likelihood and, when grad is not NULL, its gradient with respect to the
 * logarithms of the parameters (analytic for BG/NBD, central differences for
 * Pareto/NBD).  Returns NaN when a term is not finite.
 */
double		clv_loglik(int model, const double *par, const ClvCustomers *c, double *grad);

/*
 * Maximum likelihood: BFGS with a backtracking line search over the log-parameters
 * from several starts (on a sample of 20,000 when there are more customers), then on
 * all customers Newton steps (finite-difference Hessian of the gradient) from the best,
 * BFGS when they do not finish, until the relative change of the log-likelihood is below
 * 1e-12 and the mean gradient below 1e-11.  par (out) 4 parameters, *loglik the maximum.
 * Returns 0; -1 no convergence (msg says why), -3 cancelled.
 */
int			clv_fit(int model, const ClvCustomers *c, double *par, double *loglik,
					ClvCancelFn cancel, void *cancel_arg, char *msg, size_t msglen);

/* Gamma-Gamma: n customers with x[i] >= 1 repeat purchases and mean spend m[i] > 0. */
double		clv_gg_loglik(const double *par, int64_t n, const int32_t *x, const double *m, double *grad);
int			clv_gg_fit(int64_t n, const int32_t *x, const double *m, int threads, double *par, double *loglik,
					   ClvCancelFn cancel, void *cancel_arg, char *msg, size_t msglen);

/* P(alive at T); NaN when it cannot be computed. */
double		clv_p_alive(int model, const double *par, double x, double tx, double T);

/* E[X(T, T + t) | x, t_x, T], the expected purchases in the next t units; NaN on failure. */
double		clv_expected(int model, const double *par, double x, double tx, double T, double t);

/* Gamma-Gamma conditional mean spend; the population mean p gamma / (q - 1) when x = 0 or m is NaN. */
double		clv_spend(const double *gg, double x, double m);

/*
 * sum_{i=1..ceil(h)} (E[X(T, T + min(i, h))] - E[X(T, T + i - 1)]) / (1 + d)^i: expected
 * purchases discounted per unit step (= clv_expected(h) when d = 0).
 */
double		clv_discounted(int model, const double *par, double x, double tx, double T, double h, double d);

/* digamma, for the gradients (exposed for the unit tests) */
double		clv_digamma(double x);

#endif

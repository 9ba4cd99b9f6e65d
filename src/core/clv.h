/*
 * clv.h -- customer lifetime value models in pure C: BG/NBD (Fader, Hardie & Lee 2005),
 * Pareto/NBD (Schmittlein, Morrison & Colombo 1987, in Fader & Hardie's formulation) and
 * the Gamma-Gamma spend model (Fader, Hardie & Lee 2005; Fader & Hardie 2013):
 * log-likelihoods and their gradients, maximum likelihood, P(alive), conditional
 * expectations and conditional mean spend.  Likelihoods live in clv_lik.c, the maximiser
 * in clv_fit.c, scoring in clv_score.c (shared internals: clv_int.h).  Reading purchases
 * and storing models live in src/clv_train.c, clv_read.c and clv_model.c.
 */
#ifndef MKTDB_CORE_CLV_H
#define MKTDB_CORE_CLV_H

#include <stddef.h>
#include <stdint.h>

#define CLV_BGNBD 0				/* params r, alpha, a, b */
#define CLV_PARETO 1			/* params r, alpha, s, beta */

/*
 * BG/NBD with a + b >= CLV_AB_LIMIT stands for the limit a + b -> infinity (every customer
 * drops out after a purchase with the same probability p = a / (a + b)): where the
 * likelihood's supremum lies there (no heterogeneity in dropout), clv_fit reports
 * a = p * CLV_AB_REPORT, b = (1 - p) * CLV_AB_REPORT, and the likelihood and scores
 * use the limit's closed forms.
 */
#define CLV_AB_LIMIT 1e11
#define CLV_AB_REPORT 1e12

/*
 * Pareto/NBD with s >= CLV_S_LIMIT stands for the limit s, beta -> infinity at s / beta = mu
 * (every customer's dropout rate is mu: exponential lifetimes of one rate, purchase rates
 * Gamma(r, alpha)): clv_fit reports s = CLV_S_REPORT, beta = CLV_S_REPORT / mu, and the
 * likelihood and scores use the limit's forms.
 */
#define CLV_S_LIMIT 1e11
#define CLV_S_REPORT 1e12

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
	const double *w;			/* weight (count) of each row; NULL: 1 each */
} ClvCustomers;

/* what clv_fit did (for metrics and tests) */
typedef struct ClvFitInfo
{
	int			limit;			/* 1: the supremum is at the limit (CLV_AB_LIMIT, CLV_S_LIMIT) */
	int64_t		rows;			/* distinct (x, t_x, T) rows the likelihood summed over */
	int			starts;			/* starting points run */
	int			evals_full;		/* likelihood evaluations on all customers */
	double		grad_max;		/* max |d mean loglik / d log parameter| at the optimum */
	double		dispersion;		/* Pareto/NBD: the limit's score for a spread of mu per customer
								 * (clv_fit.c; <= 0: the limit); NaN otherwise */
} ClvFitInfo;

typedef int (*ClvCancelFn) (void *arg);

/* Log-likelihood of one customer (times in model units). */
double		clv_loglik_one(int model, const double *par, double x, double tx, double T);

/*
 * Total log-likelihood and, when grad is not NULL, its gradient with respect to the
 * logarithms of the parameters (closed forms; Pareto/NBD's over a quadrature, clv_pnbd.c).
 * Returns NaN when a term is not finite.
 */
double		clv_loglik(int model, const double *par, const ClvCustomers *c, double *grad);

/*
 * The same with the Hessian (row-major 4 x 4) with respect to the log-parameters when hess
 * is not NULL (NaN in the limits CLV_AB_LIMIT, CLV_S_LIMIT, where the four are not
 * parameters of a smooth surface).
 */
double		clv_loglik2(int model, const double *par, const ClvCustomers *c, double *grad, double *hess);

/*
 * Maximum likelihood over the log-parameters: customers with the same (x, t_x, T) are
 * summed once with a weight; BFGS with a backtracking line search from up to four starts
 * (on a sample of 20,000 when there are more customers; the rest skipped once two agree),
 * then on all customers Newton steps on the Hessian until the mean gradient stops
 * falling.  BG/NBD whose a + b runs away is compared with the limit a + b -> infinity
 * (CLV_AB_LIMIT); Pareto/NBD fits its limit s, beta -> infinity (CLV_S_LIMIT) first and
 * the four parameters only when a spread of dropout rates raises the likelihood there
 * (clv_fit.c).  par (out) 4 parameters, *loglik the
 * maximum, info (may be NULL) what was done.  Returns 0; -1 no convergence (msg says
 * why), -3 cancelled.
 */
int			clv_fit(int model, const ClvCustomers *c, double *par, double *loglik, ClvFitInfo *info,
					ClvCancelFn cancel, void *cancel_arg, char *msg, size_t msglen);

/*
 * Gamma-Gamma: n customers with x[i] >= 1 repeat purchases and mean spend m[i] > 0;
 * gradient and Hessian (row-major 3 x 3, may be NULL) with respect to log p, log q, log gamma.
 */
double		clv_gg_loglik(const double *par, int64_t n, const int32_t *x, const double *m, double *grad);
double		clv_gg_loglik2(const double *par, int64_t n, const int32_t *x, const double *m, int threads,
						   double *grad, double *hess);
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

/* digamma and trigamma, for the gradients and Hessians (exposed for the unit tests) */
double		clv_digamma(double x);
double		clv_trigamma(double x);

#endif

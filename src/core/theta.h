/*
 * theta.h -- the Theta method exactly as R's forecast::thetaf(y) (forecast 8.20): a 90 %
 * seasonality test on the autocorrelation at the seasonal lag, classical multiplicative
 * decomposition (stats::decompose), simple exponential smoothing fitted as
 * ets(x, "ANN", opt.crit = "mse") with R's Nelder-Mead, half the least-squares slope as drift,
 * and thetaf's intervals.  Pure C, thread-safe (malloc/free on every path).
 */
#ifndef MKTDB_THETA_H
#define MKTDB_THETA_H

typedef struct ThetaFit
{
	int			seasonal;		/* the series was seasonally adjusted */
	double		alpha;			/* SES smoothing parameter (>= 1e-10) */
	double		level0;			/* SES initial level */
	double		drift;			/* half the least-squares slope (thetaf's model$drift) */
	double		sigma2;			/* SES residual variance, sum(e^2) / (n - 2) */
	double		mse;			/* mean squared one-step SES error (the criterion) */
	int			n_obs;
	int			nm_fail;		/* R's optim fail code of the SES fit (0 converged) */
	int			short_ses;		/* n <= 6: R's HoltWinters-style SES (alpha by a 1-D search here) */
} ThetaFit;

/*
 * Forecasts y[0..n-1] (no missing values, n >= 1) with period m (1: none) h steps ahead:
 * mean and standard errors (intervals are mean -/+ z * se, as thetaf).  Returns 0, or -1 when
 * out of memory.
 */
int			theta_forecast(const double *y, int n, int m, int h, double *mean, double *se, ThetaFit *fit);

/* R's mean(): long double sum, then one correction pass */
double		r_mean(const double *x, int n);

/* stats::decompose(x, mult ? "multiplicative" : "additive")$seasonal (period m, n >= 2m) into
 * seasonal[0..n-1] (also ETS's initial seasonal states); 0 or -1 */
int			decompose_seasonal(const double *x, int n, int m, int mult, double *seasonal);

/* exponential smoothing ANN fitted as ets(y, "ANN", opt.crit = "mse"); see theta.c */
int			ses_fit_mse(const double *y, int n, int m, double *alpha, double *level0, double *last_level,
						double *sigma2, double *mse, int *fail);

#endif

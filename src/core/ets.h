/*
 * ets.h -- exponential smoothing state-space models (ETS) exactly as R's forecast::ets(y)
 * (forecast 8.20): the error/trend/season combinations with damped trends, the "both"
 * admissible region, R's initial-state heuristic, its Nelder-Mead optimiser and AICc
 * selection; point forecasts and intervals as forecast.ets(level = c(80, 95)).
 * Pure C (no PostgreSQL headers), thread-safe, malloc/free on every path.
 */
#ifndef MKTDB_ETS_H
#define MKTDB_ETS_H

#include <stddef.h>

typedef struct EtsModel
{
	char		error,
				trend,
				season;			/* 'A' / 'M' / 'N' */
	int			damped;
	int			m;				/* seasonal period (1 = none) */
	double		alpha,
				beta,
				gamma,
				phi;			/* beta/gamma/phi NAN when not in the model */
	double		loglik,
				aic,
				aicc,
				bic,
				sigma2,
				mse;
	int			n_obs,
				n_params;
	double	   *state;			/* final state vector (level, trend, seasonals) for forecasting; malloc'd */
	int			n_state;
	double	   *init_state;		/* initial states x0 as R's fit$initstate order; malloc'd (may be NULL) */
	double	   *residuals;		/* n one-step errors as R's residuals(fit) (multiplicative: relative); may be NULL */
	int			n_resid;
	unsigned long long seed;	/* seed of the simulated bounds (multiplicative trends); 0 means 1 */
} EtsModel;

/* options for the automatic search; ets_auto uses the defaults of forecast::ets(y) */
typedef struct EtsOptions
{
	int			allow_multiplicative_trend;	/* default 0 */
	int			damped;			/* -1 = try both (default), 0 = none, 1 = only damped (so no trendless models) */
	volatile const int *cancel;	/* polled between fits / optimiser iterations; may be NULL */
	unsigned long long seed;	/* copied to EtsModel.seed: the simulated bounds' seed (default 1) */
} EtsOptions;

void		ets_options_default(EtsOptions *o);

/* automatic selection as forecast::ets(y) with default arguments; y has no missing values; returns 0 or -1 with msg */
int			ets_auto(const double *y, int n, int m, EtsModel *out, char *msg, size_t msglen);
int			ets_auto_opts(const double *y, int n, int m, const EtsOptions *opt, EtsModel *out, char *msg, size_t msglen);

/* one fixed model, e.g. model "AAN" damped 1, parameters estimated as R does */
int			ets_fit(const double *y, int n, int m, char error, char trend, char season, int damped,
					EtsModel *out, char *msg, size_t msglen);

/* point forecasts and 80/95 % intervals as forecast.ets(level = c(80, 95)); any output but mean may be NULL.
 * Analytic for R's classes 1-3; simulated (5000 paths, fit->seed) for multiplicative trends as R simulates
 * them, so those bounds equal R's only to Monte Carlo error.  Returns 0, or -1 on bad arguments / out of
 * memory.  h is not limited. */
int			ets_forecast(const EtsModel *fit, int h, double *mean, double *lo80, double *hi80, double *lo95, double *hi95);

/* what ets(y) fits on 2..6 points (ets_hw.c): Holt or SES by least squares (HoltWintersZZ), the one with
 * the smaller mean squared error; no likelihood (loglik, aic, aicc, bic NaN).  0, or -1 with msg */
int			ets_hw_fit(const double *y, int n, int m, EtsModel *out, char *msg, size_t msglen);
/* the same with which = 0: SES only, 1: Holt only, -1: the better of the two (ets_hw_fit) */
int			ets_hw_fit_trend(const double *y, int n, int m, int which, EtsModel *out, char *msg, size_t msglen);

/* HoltWintersZZ(y, beta = FALSE, gamma = FALSE)'s alpha (also thetaf's SES on n <= 6) */
double		ets_hw_ses_alpha(const double *y, int n, int m);

void		ets_describe(const EtsModel *fit, char *buf, size_t len);	/* "ETS(M,Ad,M)" */
void		ets_free(EtsModel *fit);

#endif

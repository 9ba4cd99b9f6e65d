/*
 * arima.h -- seasonal ARIMA in pure C (no PostgreSQL): the exact Gaussian likelihood by the
 * Kalman filter, maximum likelihood fitting and forecasting, written to give the numbers of
 * R's stats::arima(method = "ML") and predict.Arima.
 *
 *   kalman.c        state-space pieces: Gardner et al. (1980) initial covariance (R's getQ0),
 *                   the likelihood recursion of R's ARIMA_Like, KalmanForecast
 *   optim.c         BFGS exactly as R's optim(method = "BFGS") (vmmin) with its numerical
 *                   gradient and optimhess()
 *   arima_params.c  coefficient names, polynomial roots, parameter transforms
 *   arima.c         CSS, the fit itself (work space, objectives, standard errors, forecasts)
 *   arima_batch.c   per-series fallbacks, many series on threads
 *
 * Everything a fit needs comes from a caller-provided work buffer (arima_work_doubles()), so
 * one buffer can be reused for many series and a fit can run on any thread.
 */
#ifndef MKTDB_ARIMA_H
#define MKTDB_ARIMA_H

#include <stddef.h>

/* argument limits (the SQL layer checks them; the core relies on them) */
#define ARIMA_MAX_P 20			/* p and q */
#define ARIMA_MAX_D 3
#define ARIMA_MAX_SP 10			/* seasonal P and Q */
#define ARIMA_MAX_SD 2
#define ARIMA_MAX_R 350			/* max(p + s*P, q + s*Q + 1), as R's getQ0 */
#define ARIMA_MAX_COEF (2 * ARIMA_MAX_P + 2 * ARIMA_MAX_SP + 1)

typedef enum ArimaMethod
{
	ARIMA_ML = 0,				/* exact ML from zero start values (SPEC: method = "ML") */
	ARIMA_CSS_ML = 1,			/* conditional sum of squares first, then exact ML (R's default) */
	ARIMA_CSS = 2				/* conditional sum of squares only (auto.arima's approximation) */
} ArimaMethod;

struct ArimaResult;

typedef struct ArimaSpec
{
	int			p, d, q;		/* non-seasonal orders */
	int			P, D, Q;		/* seasonal orders */
	int			s;				/* seasonal period (>= 1) */
	int			include_mean;	/* estimate an intercept (R: include.mean, only when d + D == 0) */
	ArimaMethod method;
	int			include_drift;	/* regression on t = 1..n (R: xreg = 1:n named "drift"); not with a mean */
	int			fix_xreg;		/* the intercept / drift is fixed at xreg_value, not estimated */
	double		xreg_value;
	int			fast;			/* likelihood of the differenced series when nothing is missing
								 * (state r instead of r + d + sD; R's diffuse prior gives the same
								 * up to ~1e-6): for the automatic search, not R-exact */
	/*
	 * NULL, or asked at the optimum (aic, or sigma2 for CSS, already set in res) whether the
	 * Hessian is wanted: when it says no, the standard errors stay NaN, a singular CSS Hessian
	 * does not fail the fit and res->hessian_skipped is set (the automatic search only needs the
	 * Hessian's verdict for a model that would beat its best so far).
	 */
	int			(*hessian_gate) (const struct ArimaResult *res, void *arg);
	void	   *gate_arg;
} ArimaSpec;

/* why a series got a simpler model than asked for */
typedef enum ArimaFallback
{
	ARIMA_FB_NONE = 0,			/* the requested model was fitted */
	ARIMA_FB_NO_DATA,			/* no non-missing value: no forecast */
	ARIMA_FB_TOO_SHORT,			/* fewer usable points than parameters + 2: mean */
	ARIMA_FB_CONSTANT,			/* every value equal: mean (zero-width intervals) */
	ARIMA_FB_FAILED_NAIVE,		/* the likelihood could not be optimised: random walk */
	ARIMA_FB_FAILED_MEAN		/* the same, no second point for a random walk: mean */
} ArimaFallback;

typedef struct ArimaResult
{
	ArimaSpec	spec;			/* the model actually fitted (a fallback's, if any) */
	ArimaFallback fallback;
	int			ncoef;			/* p + q + P + Q + include_mean + include_drift */
	double		coef[ARIMA_MAX_COEF];	/* ar, ma, sar, sma, intercept (R's order) */
	double		se[ARIMA_MAX_COEF];	/* standard errors from the Hessian (NaN if singular) */
	double		sigma2;
	double		loglik;			/* NaN when undefined (e.g. constant series) */
	double		aic;
	double		aicc;			/* as forecast::Arima: NaN when too few points */
	int			n;				/* series length, missing values included */
	int			n_used;			/* non-missing points minus the differencing order (R's nobs) */
	int			optim_code;		/* 0 converged, 1 maxit reached (R's res$convergence) */
	int			fncount;		/* objective evaluations */
	double		rss;			/* sum of squared residuals as R's fit$residuals (standardised
								 * Kalman innovations of every non-missing point; CSS residuals) */
	int			nest;			/* estimated coefficients (ncoef minus a fixed one) */
	int			hessian_skipped;	/* the spec's hessian_gate said no: se not computed */
} ArimaResult;

/* status codes */
#define ARIMA_OK 0
#define ARIMA_EFAIL 1			/* likelihood not finite / optimiser could not start */
#define ARIMA_ECANCEL 2			/* *cancel became non-zero */

/* Doubles of work space that arima_fit_series()/arima_fit() need for this model and length. */
size_t		arima_work_doubles(const ArimaSpec *spec, int n);

/*
 * Fits the model to y[0..n-1] (NaN = missing) and, when h > 0, writes h forecasts and their
 * standard errors (R's predict(): sqrt(var * sigma2)).  Returns ARIMA_OK, ARIMA_EFAIL or
 * ARIMA_ECANCEL.  work must hold arima_work_doubles(spec, n) doubles.
 */
int			arima_fit(const double *y, int n, const ArimaSpec *spec, int h, double *fc_mean,
					  double *fc_se, double *work, ArimaResult *res, const volatile int *cancel);

/*
 * 1 when every forecast, standard error and 95 % interval bound (mean +- 1.96 se) of h steps
 * is finite.  A fit whose forecasts fail it is a failed fit (the fallbacks take over).
 */
int			arima_forecast_finite(int h, const double *fc_mean, const double *fc_se);

/*
 * The per-series entry point: checks the data (no data, too short, constant), fits, and falls
 * back to a simpler model when the fit fails, so that every series with data gets a forecast.
 * Returns ARIMA_OK (res->fallback says what was done) or ARIMA_ECANCEL.  work: as arima_fit,
 * sized for spec (fallbacks need less).
 */
int			arima_fit_series(const double *y, int n, const ArimaSpec *spec, int h, double *fc_mean,
							 double *fc_se, double *work, ArimaResult *res, const volatile int *cancel);

/* The mean model computed directly (sigma2 the ML variance), marked with fallback fb.  Where
 * even the mean's forecast, standard error or 95 % bounds are not finite (values near the float8
 * limit) it writes NaN standard errors: the caller reports that as an error, never as a row. */
void		arima_fit_mean(const double *y, int n, const ArimaSpec *spec, int h, double *fc_mean,
						   double *fc_se, ArimaResult *res, ArimaFallback fb);

/* One series of a batch: the input and where its results go (all memory the caller's). */
typedef struct ArimaBatchItem
{
	const double *y;			/* n values, NaN = missing */
	int			n;
	double	   *fc_mean;		/* h forecasts */
	double	   *fc_se;			/* h standard errors */
	ArimaResult res;
	int			done;			/* set when fitted */
} ArimaBatchItem;

/*
 * Fits every item with arima_fit_series() on nthreads threads (the calling thread is one of
 * them).  work holds nthreads * arima_work_doubles(spec, longest n) doubles.  The threads poll
 * *cancel (may be NULL) and stop early when it becomes non-zero: ARIMA_ECANCEL is returned and
 * the items not done have done == 0.  Results do not depend on the number of threads.  Worker
 * threads block every signal and call nothing but the pure-C core.
 */
int			arima_fit_batch(ArimaBatchItem *items, int count, const ArimaSpec *spec, int h, int nthreads,
							double *work, size_t work_per_thread, const volatile int *cancel);

/* The per-series fitter a batch runs (arima_fit_series-like); arg is the batch's argument. */
typedef int (*ArimaSeriesFn) (const double *y, int n, const void *arg, int h, double *fc_mean,
							  double *fc_se, double *work, ArimaResult *res, void *extra,
							  const volatile int *cancel);

/*
 * As arima_fit_batch with any per-series fitter: extra is items' per-item pointer array
 * (may be NULL; item i gets extras[i]).
 */
int			arima_run_batch(ArimaBatchItem *items, int count, ArimaSeriesFn fn, const void *arg,
							void **extras, int h, int nthreads, double *work, size_t work_per_thread,
							const volatile int *cancel);

/*
 * As arima_run_batch, stopped by a function instead of a flag: poll(poll_arg) is called on the
 * calling thread every 5 ms while the batch runs on other threads (signals blocked there), and
 * a non-zero answer stops the fits (ARIMA_ECANCEL).  fn NULL: arima_fit_series with arg the
 * ArimaSpec (as arima_fit_batch).  For a backend: poll = mk_cancel_poll (cancel and terminate).
 */
int			arima_run_batch_poll(ArimaBatchItem *items, int count, ArimaSeriesFn fn, const void *arg,
								 void **extras, int h, int nthreads, double *work, size_t work_per_thread,
								 int (*poll) (void *), void *poll_arg);

/* Short English text for a fallback ("too short: mean"), NULL for ARIMA_FB_NONE. */
const char *arima_fallback_text(ArimaFallback fb);

/* R's coefficient name of coefficient i ("ar1", "sma2", "intercept") into buf. */
void		arima_coef_name(const ArimaSpec *spec, int i, char *buf, size_t len);

/* Number of estimated coefficients of a spec. */
int			arima_ncoef(const ArimaSpec *spec);

/* r = max(p + s*P, q + s*Q + 1): the ARMA state dimension. */
int			arima_state_dim(const ArimaSpec *spec);

/* ---- building blocks (kalman.c), exposed for the unit tests and for automatic selection ---- */

/* Gardner et al. (1980) stationary covariance of the ARMA state (R's getQ0), r x r column-major. */
void		arima_q0(const double *phi, int p, const double *theta, int q, double *Q0, double *work);
size_t		arima_q0_work_doubles(int p, int q);

/*
 * R's ARIMA_Like: runs the filter over y with state a (rd), P, Pn (rd x rd; Pn holds the
 * initial covariance on entry) and returns ssq, sumlog and nu (points in the likelihood).
 * a, P and Pn are updated in place, so afterwards they hold the state at the end of the series.
 * work: arima_kalman_work_doubles(rd, nd).
 */
void		arima_like(const double *y, int n, const double *phi, int p, const double *theta, int q,
					   const double *delta, int nd, double *a, double *P, double *Pn, double *work,
					   double *ssq, double *sumlog, int *nu);
/* the same, also returning (rss != NULL) the sum of squared standardised innovations of every point */
void		arima_like_rss(const double *y, int n, const double *phi, int p, const double *theta, int q,
						   const double *delta, int nd, double *a, double *P, double *Pn, double *work,
						   double *ssq, double *sumlog, int *nu, double *rss);

/*
 * The same likelihood by the Chandrasekhar recursions, O(r) per observation, from the exact
 * first column of the stationary state covariance (arima_q0_col0).  Returns -1 for a
 * non-stationary AR part.  work: arima_chandra_work_doubles(r).
 */
int			arima_like_chandra(const double *y, int n, const double *phi, int p, const double *theta,
							   int q, double *work, double *ssq, double *sumlog, int *nu);
int			arima_q0_col0(const double *phi, int p, const double *theta, int q, double *col,
						  double *work);
size_t		arima_chandra_work_doubles(int r);

/* doubles of work space arima_like() and arima_kalman_forecast() need */
size_t		arima_kalman_work_doubles(int rd, int nd);

/* R's KalmanForecast for the ARIMA state space model: h predictions and their variances / sigma2. */
void		arima_kalman_forecast(int h, const double *phi, int p, const double *theta, int q,
								  const double *delta, int nd, double *a, double *P, double *work,
								  double *mean, double *var);

/* R's ARIMA_CSS: conditional sum of squares / nu with ncond conditioning points. */
/* arima_css on an already differenced series, zero coefficients skipped (automatic search) */
double		arima_css_differenced(const double *w, int n, const double *phi, int p, const double *theta,
								  int q, int ncond, double *resid);
double		arima_css(const double *y, int n, const ArimaSpec *spec, const double *phi, int p,
					  const double *theta, int q, int ncond, double *work);

/* ---- BFGS (optim.c) ---- */

typedef double (*OptimFn) (int n, const double *par, void *ex);

typedef struct OptimControl
{
	int			maxit;			/* 100 */
	double		reltol;			/* 1e-8 (sqrt of machine epsilon in R) */
	double		abstol;			/* -Inf */
	const double *parscale;		/* NULL: all 1 */
	double		ndeps;			/* 1e-3 */
	const volatile int *cancel;
} OptimControl;

void		optim_defaults(OptimControl *c);

/*
 * Minimises fn from par (in/out, unscaled) like R's optim(method = "BFGS").  Returns 0
 * (converged), 1 (maxit reached), -1 (initial value not finite), -2 (non-finite gradient),
 * -3 (cancelled).  work: optim_work_doubles(n).
 */
int			optim_bfgs(int n, double *par, double *fmin, OptimFn fn, void *ex, const OptimControl *ctl,
					   double *work, int *fncount);
size_t		optim_work_doubles(int n);

/* R's optimhess(): the symmetrised numerical Hessian at par (n x n).  Returns 0 or -2. */
int			optim_hessian(int n, const double *par, OptimFn fn, void *ex, const OptimControl *ctl,
						  double *H, double *work);

/* ---- polynomials (arima_params.c) ---- */

/* Moduli of the roots of 1 + c[0] z + ... + c[k-1] z^k (via the companion matrix); returns 0 or -1. */
int			arima_poly_root_moduli(const double *c, int k, double *mod);

/* R's arCheck: all roots of 1 - ar[0] z - ... outside the unit circle. */
int			arima_ar_stationary(const double *ar, int k);

/* R's maInvert: reflects MA roots inside the unit circle; returns 1 if ma changed. */
int			arima_ma_invert(double *ma, int k);

#endif

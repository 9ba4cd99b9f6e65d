/*
 * autoarima.h -- automatic ARIMA order selection as R's forecast::auto.arima with its defaults
 * (forecast 8.20: KPSS for d, seasonal strength from STL for D, stepwise search on AICc with
 * CSS approximation for long series, exact refits), one series per pure-C call (autoarima.c).
 */
#ifndef MKTDB_AUTOARIMA_H
#define MKTDB_AUTOARIMA_H

#include "arima.h"

typedef enum AutoConstant
{
	AUTO_CONST_NONE = 0,
	AUTO_CONST_MEAN = 1,
	AUTO_CONST_DRIFT = 2,
	AUTO_CONST_SERIES = 3		/* the series itself is constant (auto.arima's early exit) */
} AutoConstant;

/* one model the search tried, and its criterion (INFINITY = rejected) */
typedef struct AutoTraceEntry
{
	int			p, q, P, Q, constant;
	double		ic;
	int			unchecked;		/* ic of a fit whose Hessian was skipped (it did not beat the best) */
} AutoTraceEntry;

#define AUTO_NMODELS 94

/* what the selection did for one series (beside the ArimaResult of the chosen model) */
typedef struct AutoArimaInfo
{
	AutoConstant constant;
	int			approximation;	/* CSS during the search */
	double		seas_strength;	/* NaN when not computed (m = 1, n <= 2m) */
	int			nsdiffs, ndiffs;
	double		kpss_d0, kpss_d1;	/* KPSS statistic before / after the first difference (NaN if not run) */
	int			nmodels;		/* models tried by the stepwise search */
	int			nrefits;		/* exact refits after an approximate search */
	double		sigma2_ml;		/* stats::arima's sigma2 (res->sigma2 holds auto.arima's) */
	double		mase_scale;		/* in-sample MAE of the seasonal naive forecast (NaN if 0) */
	AutoTraceEntry *trace;		/* the caller's AUTO_NMODELS entries for the search path, or NULL */
	int			ntrace;
} AutoArimaInfo;

/* the batch argument */
typedef struct AutoArimaOptions
{
	int			period;			/* m */
} AutoArimaOptions;

/* doubles of work space autoarima_fit_series() needs for series of length <= n and period m */
size_t		autoarima_work_doubles(int n, int m);

/*
 * Chooses and fits the model of y[0..n-1] (NaN = missing) and writes h forecasts with R's
 * standard errors.  arg: const AutoArimaOptions *; extra: AutoArimaInfo * (may be NULL).
 * Returns ARIMA_OK (res->fallback says when no model could be chosen) or ARIMA_ECANCEL.
 * Has the ArimaSeriesFn signature, so arima_run_batch() runs it on threads.
 */
int			autoarima_fit_series(const double *y, int n, const void *arg, int h, double *fc_mean,
								 double *fc_se, double *work, ArimaResult *res, void *extra,
								 const volatile int *cancel);

/* the building blocks, exposed for the unit tests */
int			autoarima_is_constant(const double *x, int n);
double		autoarima_kpss(const double *x, int n);	/* urca::ur.kpss type "mu" statistic */
int			autoarima_ndiffs(const double *x, int n, double *work, double *kpss0, double *kpss1);
double		autoarima_seas_strength(const double *x, int n, int m, double *work);	/* -1 if not computable */
int			autoarima_nsdiffs(const double *x, int n, int m, double *work, double *strength);
double		autoarima_mase_scale(const double *x, int n, int m);

#endif

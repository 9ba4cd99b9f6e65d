/*
 * forecast.h -- one series through one of mktdb.forecast's methods (pure C, one call per series,
 * runs on the ARIMA batch threads): missing values, the method, its fallbacks, the 'auto' rule.
 */
#ifndef MKTDB_FORECAST_H
#define MKTDB_FORECAST_H

#include <stddef.h>

#include "arima.h"

typedef enum FcMethod
{
	FC_AUTO = 0,
	FC_ARIMA,
	FC_ETS,
	FC_THETA,
	FC_CROSTON,
	FC_SBA,
	FC_TSB,
	FC_NAIVE,
	FC_SNAIVE,
	FC_NMETHODS
} FcMethod;

/* "auto" -> FC_AUTO ...; -1 when unknown */
int			fc_method_of(const char *name);
const char *fc_method_name(FcMethod m);

typedef struct FcOptions
{
	FcMethod	method;
	int			period;			/* m (1: none) */
} FcOptions;

/* what one series got (the caller's memory; the five arrays hold h values each) */
typedef struct FcOut
{
	double	   *mean,
			   *lo80,
			   *hi80,
			   *lo95,
			   *hi95;			/* NaN: no value (e.g. no interval for croston) */
	FcMethod	used;			/* the method that made the forecast (for 'auto': the rule's choice) */
	char		description[96];	/* "ETS(M,Ad,M)", "ARIMA(0,1,1)(0,1,1)[12]", "mean of ets, arima, theta" */
	char		fallback[96];	/* empty, or why a simpler model was used */
	double		aicc,
				sigma2,
				mase_scale;		/* NaN when not defined */
	int			n_obs;			/* periods from the first to the last value */
	int			negative;		/* an intermittent-demand method met a negative value: no forecast */
	int			no_data;		/* no value at all: no forecast */
} FcOut;

/* work doubles forecast_series() needs for series of length <= n, period m, horizon h */
size_t		forecast_work_doubles(FcMethod method, int n, int m, int h);

/*
 * Forecasts y[0..n-1] (NaN = missing) h steps ahead into out.  Leading and trailing missing values
 * are dropped; ARIMA skips inner ones (Kalman filter), the other methods see them filled by linear
 * interpolation.  Returns ARIMA_OK or ARIMA_ECANCEL.  Has the ArimaSeriesFn signature (arg: const
 * FcOptions *, extra: FcOut *), so arima_run_batch() runs it on threads.
 */
int			forecast_series(const double *y, int n, const void *arg, int h, double *fc_mean, double *fc_se,
							double *work, ArimaResult *res, void *extra, const volatile int *cancel);

#endif

/*
 * chart.h -- what the chart functions (chart_sql.c) read from the models of other files.
 *
 * A forecasting kind (arima, forecast) gives forecast_chart one series through a
 * MkForecastView; its *_forecast_view function lives next to its decoder.
 */
#ifndef MKTDB_CHART_H
#define MKTDB_CHART_H

#include "mktdb.h"
#include "series_history.h"

typedef struct MkForecastView
{
	const char *series;			/* the series' JSON text; NULL when no series matched */
	char		description[128];	/* the fitted model, e.g. "ARIMA(0,1,1)(0,1,1)[12]", "ETS(M,Ad,M)" */
	const char *fallback;		/* why a simpler model was used, or NULL */
	int			horizon;
	bool		time_axis;		/* x are timestamptz; else integer steps */
	const int64 *x;				/* horizon times or steps */
	const double *fc;			/* 5 per step: mean, lo80, hi80, lo95, hi95 */
	bool		has_history;	/* false: the model's format predates the history */
	MkSeriesHistory hist;
} MkForecastView;

/*
 * arima_read.c: fills v (zeroed by the caller) with the series of the arima model `name` whose
 * JSON text is series_json ('{}' also picks the only series of a one-series model); v->series
 * stays NULL when none matches.  Returns the number of series in the model; *example is one of
 * them (for a hint).
 */
int64		mk_arima_forecast_view(const char *name, const char *series_json, MkForecastView *v,
								   const char **example);
/* forecast_sql.c: the same for a model of kind forecast (mktdb.forecast) */
int64		mk_forecast_forecast_view(const char *name, const char *series_json, MkForecastView *v,
									  const char **example);

/*
 * chart_sql.c, for the two above: true when stored series `series` of a model of nseries series
 * is the one asked for; then mk_forecast_view_set fills v from its record (all but description).
 */
bool		mk_forecast_view_match(const char *series, const char *asked, int64 nseries);
void		mk_forecast_view_set(MkForecastView *v, const char *series, const char *fallback, int horizon,
								 const int64 *steps, const int64 *ts, const double *fc, bool has_history,
								 const MkSeriesHistory *hist);

/* clv_read.c: what clv_chart draws of the clv model `name` (P(alive) comes from core/clv.h) */
typedef struct MkClvView
{
	int			purchase_model; /* CLV_BGNBD or CLV_PARETO */
	double		par[4];
	double		T;				/* the oldest calibration customer's age, in model units */
	const char *unit;			/* "days", "weeks", "months" */
	int64		n;				/* customers */
} MkClvView;

void		mk_clv_chart_view(const char *name, MkClvView *v);

#endif

/*
 * series_history.h -- the recent history of a forecast series, kept with a forecasting model so
 * that a chart (mktdb.forecast_chart) can draw it next to the forecast.  Shared by the model
 * kinds that forecast (arima; forecast): how much to keep, and its binary form.
 */
#ifndef MKTDB_SERIES_HISTORY_H
#define MKTDB_SERIES_HISTORY_H

#include "mktdb.h"

#define MK_HISTORY_MAX 156		/* at most three years of weeks */

typedef struct MkSeriesHistory
{
	int32		n;				/* points kept (0: none) */
	int64	   *t;				/* n times: timestamptz (microseconds), or the integer index */
	double	   *y;				/* n values on the period grid, NaN for a gap */
} MkSeriesHistory;

/*
 * Keeps the last points of y[0..n) (the series on its period grid): three seasons, at least 36
 * and at most MK_HISTORY_MAX.  Returns the index in y of the first point kept; the caller fills
 * h->t[k] with the time of y[first + k].
 */
int			mk_history_keep(MkSeriesHistory *h, const double *y, int n, int period);
void		mk_history_put(MkWriter *w, const MkSeriesHistory *h);
/* ERROR 22P03 on a damaged record */
void		mk_history_get(MkfReader *r, MkSeriesHistory *h);

#endif

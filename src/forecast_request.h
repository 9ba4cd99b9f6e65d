/*
 * forecast_request.h -- what the two forecasting trainers, mktdb.arima_forecast (arima_train.c)
 * and mktdb.forecast (forecast_sql.c), share around their own fits: the checks of their common
 * arguments, the spec and metrics JSON both store, the threaded batch with cancel, and the
 * result rows (also those of the views' readers).
 */
#ifndef MKTDB_FORECAST_REQUEST_H
#define MKTDB_FORECAST_REQUEST_H

#include "mktdb.h"

#include "funcapi.h"

#include "core/arima.h"
#include "forecast_series.h"

#define MAX_HORIZON 10000
#define MAX_PERIOD 1000
#define MAX_WORK_DOUBLES ((size_t) 1 << 27)	/* 1 GiB of work space per fit */

/* arguments 0..6 of both trainers: model, source, time_column, value_column, group_columns, horizon, period */
typedef struct FcRequest
{
	char	   *model;
	char	   *source;
	char	   *time_col;
	char	   *value_col;
	char	  **groups;
	int			ngroups;
	int			horizon;
	int			period;			/* 0: infer from the spacing */
} FcRequest;

/* checks and reads the common arguments: 22004 on NULL, 22023 out of range, 42602 on bad names */
void		fc_request_parse(FunctionCallInfo fcinfo, FcRequest *rq);
/* begins the spec object with the common arguments (source .. period), as retrain replays them */
void		fc_spec_json(MkJson *js, const FcRequest *rq);
/* begins the metrics object: series, period, spacing */
void		fc_metrics_begin(MkJson *js, const SeriesGrid *g);
/* adds missing_values, skipped_rows and fit_ms */
void		fc_metrics_counts(MkJson *js, const SeriesGrid *g, double fit_ms);

/*
 * Fits every item with fn (NULL: arima_fit_series with arg an ArimaSpec) on nthreads threads;
 * ERROR 57014 (or the terminate's own) when the query is cancelled or the backend terminated.
 */
void		fc_run_batch(ArimaBatchItem *items, int n, ArimaSeriesFn fn, const void *arg, void **extras,
						 int horizon, int nthreads, double *work, size_t per_thread);

/*
 * One series' forecasts as rows: the nlead lead columns (the views' model, version), then series,
 * step, ts, forecast, lo_80, hi_80, lo_95, hi_95.  Steps without a forecast (NaN) are left out;
 * a NaN bound is NULL.
 */
void		fc_put_rows(ReturnSetInfo *rsinfo, const Datum *lead, int nlead, const char *series,
						const int64 *steps, const int64 *ts, const double *fc, int horizon);

/* a float8 column of a view's row: NULL where v is not finite */
void		fc_put_float(Datum *values, bool *nulls, int i, double v);

/* ERROR 22003 for a forecast that is not finite (both trainers: never a silently missing row);
 * `numbers` says what was computed, e.g. "mean NaN, standard error 0.08" */
void		fc_not_finite(const char *series, int step, const char *numbers) pg_attribute_noreturn();

/*
 * No series had a value: NOTICE that nothing is stored (an empty version would replace the last
 * good one), back to the caller's context, the training context deleted.
 */
void		fc_store_nothing(MemoryContext caller, MemoryContext train_cxt);

/* a stored series' forecasts in a model's binary form: h steps, h times (or none), 5 h numbers */
void		fc_put_forecasts(MkWriter *w, const int64 *steps, const int64 *ts, const double *fc, int h);
/* the same, read back; ERROR 22P03 ("bad <what> step count", ...) on a damaged record */
void		fc_get_forecasts(MkfReader *r, int h, const char *what, int64 **steps, int64 **ts, double **fc);

/* forecast_sql.c: rows of a stored forecast-kind model for mktdb.forecasts_of */
void		forecast_put_rows(const char *name, ReturnSetInfo *rsinfo);

#endif

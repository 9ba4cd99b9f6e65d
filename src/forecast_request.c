/*
 * forecast_request.c -- the parts of mktdb.arima_forecast and mktdb.forecast that are the same
 * (forecast_request.h): argument checks, spec and metrics JSON, the threaded batch and its
 * cancel, result rows.  Each trainer keeps what is its own (orders, methods, model format).
 */
#include "forecast_request.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

void
fc_request_parse(FunctionCallInfo fcinfo, FcRequest *rq)
{
	memset(rq, 0, sizeof(*rq));
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("model must not be NULL")));
	rq->model = text_to_cstring(PG_GETARG_TEXT_PP(0));
	mk_check_model_name(rq->model);
	rq->source = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	rq->time_col = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	rq->value_col = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	mk_column(rq->time_col, "time_column");
	mk_column(rq->value_col, "value_column");
	if (!PG_ARGISNULL(4))
		rq->groups = mk_text_array(PG_GETARG_ARRAYTYPE_P(4), &rq->ngroups, "group_columns");
	if (PG_ARGISNULL(5))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("horizon must not be NULL")));
	rq->horizon = PG_GETARG_INT32(5);
	if (rq->horizon < 1 || rq->horizon > MAX_HORIZON)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("horizon must be between 1 and %d, not %d", MAX_HORIZON, rq->horizon)));
	rq->period = PG_ARGISNULL(6) ? 0 : PG_GETARG_INT32(6);
	if (!PG_ARGISNULL(6) && (rq->period < 1 || rq->period > MAX_PERIOD))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("period must be between 1 and %d, not %d", MAX_PERIOD, rq->period),
				 errhint("Leave it NULL to infer it from the spacing of the time column.")));
}

void
fc_spec_json(MkJson *js, const FcRequest *rq)
{
	mk_json_begin(js);
	mk_json_key(js, "source");
	mk_json_str(js, rq->source);
	mk_json_key(js, "time_column");
	mk_json_str(js, rq->time_col);
	mk_json_key(js, "value_column");
	mk_json_str(js, rq->value_col);
	mk_json_key(js, "group_columns");
	if (rq->ngroups == 0)
		mk_json_null(js);
	else
	{
		mk_json_arr_open(js);
		for (int i = 0; i < rq->ngroups; i++)
			mk_json_str(js, rq->groups[i]);
		mk_json_arr_close(js);
	}
	mk_json_key(js, "horizon");
	mk_json_int(js, rq->horizon);
	mk_json_key(js, "period");
	if (rq->period > 0)
		mk_json_int(js, rq->period);
	else
		mk_json_null(js);
}

void
fc_metrics_begin(MkJson *js, const SeriesGrid *g)
{
	mk_json_begin(js);
	mk_json_key(js, "series");
	mk_json_int(js, g->sd.nseries);
	mk_json_key(js, "period");
	mk_json_int(js, g->period);
	mk_json_key(js, "spacing");
	mk_json_str(js, g->st.name);
}

void
fc_metrics_counts(MkJson *js, const SeriesGrid *g, double fit_ms)
{
	mk_json_key(js, "missing_values");
	mk_json_int(js, g->missing);
	mk_json_key(js, "skipped_rows");
	mk_json_int(js, g->sd.skipped);
	mk_json_key(js, "fit_ms");
	mk_json_num(js, fit_ms);
}

void
fc_run_batch(ArimaBatchItem *items, int n, ArimaSeriesFn fn, const void *arg, void **extras,
			 int horizon, int nthreads, double *work, size_t per_thread)
{
	/* stopped by a cancel or a terminate request (pg_terminate_backend, fast shutdown) */
	if (arima_run_batch_poll(items, n, fn, arg, extras, horizon, nthreads, work, per_thread,
							 mk_cancel_poll, NULL) == ARIMA_ECANCEL)
	{
		CHECK_FOR_INTERRUPTS();
		ereport(ERROR, (errcode(ERRCODE_QUERY_CANCELED), errmsg("canceling statement due to user request")));
	}
}

void
fc_not_finite(const char *series, int step, const char *numbers)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("forecast %d of series %s is not finite (%s)", step, series, numbers),
			 errhint("Values this large or small overflow the fit; rescale the value column.")));
}

void
fc_put_rows(ReturnSetInfo *rsinfo, const Datum *lead, int nlead, const char *series,
			const int64 *steps, const int64 *ts, const double *fc, int horizon)
{
	Datum		values[10];
	bool		nulls[10] = {false};
	Datum		sj = jsonb_from_text(series);

	Assert(nlead <= 2);
	for (int i = 0; i < nlead; i++)
		values[i] = lead[i];
	for (int k = 0; k < horizon; k++)
	{
		if (isnan(fc[5 * k]))
			continue;
		values[nlead] = sj;
		values[nlead + 1] = Int32GetDatum((int32) steps[k]);
		values[nlead + 2] = ts ? TimestampTzGetDatum(ts[k]) : (Datum) 0;
		nulls[nlead + 2] = ts == NULL;
		for (int c = 0; c < 5; c++)
		{
			values[nlead + 3 + c] = Float8GetDatum(fc[5 * k + c]);
			nulls[nlead + 3 + c] = isnan(fc[5 * k + c]);
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

void
fc_put_float(Datum *values, bool *nulls, int i, double v)
{
	values[i] = Float8GetDatum(v);
	nulls[i] = !isfinite(v);
}

void
fc_store_nothing(MemoryContext caller, MemoryContext train_cxt)
{
	ereport(NOTICE, (errmsg("no series has a value: no model version stored")));
	MemoryContextSwitchTo(caller);
	MemoryContextDelete(train_cxt);
}

void
fc_put_forecasts(MkWriter *w, const int64 *steps, const int64 *ts, const double *fc, int h)
{
	mk_put_i64s(w, steps, h);
	mk_put_i64s(w, ts, ts ? h : 0);
	mk_put_f64s(w, fc, (int64) 5 * h);
}

void
fc_get_forecasts(MkfReader *r, int h, const char *what, int64 **steps, int64 **ts, double **fc)
{
	int64		n;

	*steps = mk_get_i64s(r, &n);
	if (n != h)
		mk_damaged(psprintf("bad %s step count", what));
	*ts = mk_get_i64s(r, &n);
	if (n == 0)
		*ts = NULL;
	else if (n != h)
		mk_damaged(psprintf("bad %s timestamp count", what));
	*fc = mk_get_f64s(r, &n);
	if (n != (int64) 5 * h)
		mk_damaged(psprintf("bad %s forecast count", what));
}

/*
 * forecast_sql.c -- SQL side of mktdb.forecast(): the argument checks, the series read and put on
 * their period grid with arima_forecast's rules (forecast_series.h), one pure-C call per series
 * (core/forecast.c) on the ARIMA batch threads, one model version of kind 'forecast' holding every
 * series' method, description and forecasts; and the readers behind mktdb.forecasts (for kind
 * forecast) and mktdb.forecast_models.
 */
#include "mktdb.h"

#include <math.h>
#include <signal.h>

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "core/autoarima.h"
#include "core/forecast.h"
#include "chart.h"
#include "forecast_series.h"
#include "series_history.h"

#define FC_BLOB_VERSION 2		/* 2: recent history (for charts); 1 still read */
#define MAX_HORIZON 10000
#define MAX_PERIOD 1000
#define MAX_SERIES_PERIODS 1000000
#define MAX_WORK_DOUBLES ((size_t) 1 << 27)

/* one stored series (also the decoded form) */
typedef struct FcSeriesRec
{
	char	   *series;
	char	   *method;			/* the method that made the forecast */
	char	   *description;
	char	   *fallback;		/* NULL: none */
	double		stats[3];		/* aicc, sigma2, MASE scale (NaN: none) */
	int32		n_obs;
	int64	   *steps;
	int64	   *ts;				/* NULL without timestamps */
	double	   *fc;				/* mean, lo80, hi80, lo95, hi95 per step */
	MkSeriesHistory hist;		/* format 2; n = 0 in format 1 */
} FcSeriesRec;

typedef struct FcModel
{
	int32		fmt;			/* format version the model was stored in */
	int32		horizon;
	int32		period;
	char	   *method;			/* what was asked for */
	int64		nseries;
	FcSeriesRec *s;
} FcModel;

static bool
integer_time(Oid t)
{
	return t == INT2OID || t == INT4OID || t == INT8OID;
}

/*
 * The series on their period grid (gaps and NULLs are NaN), as arima_forecast puts them:
 * two rows in one period are an error.  Returns the grid values, one run per series.
 */
static double *
series_grid(const SeriesData *sd, const TimeStep *st, int64 **offset, int64 *longest, int64 *missing)
{
	int64	   *idx = palloc_extended(Max(sd->nrows, 1) * sizeof(int64), MCXT_ALLOC_HUGE);
	int64	   *off = palloc_extended((sd->nseries + 1) * sizeof(int64), MCXT_ALLOC_HUGE);
	double	   *y;

	*longest = 1;
	*missing = 0;
	off[0] = 0;
	for (int s = 0; s < sd->nseries; s++)
	{
		int64		first = sd->start[s],
					len = 0;

		for (int64 i = first; i < sd->start[s + 1]; i++)
		{
			idx[i] = st->known ? period_index(sd, st, first, i) : i - first;
			if (i > first && idx[i] == idx[i - 1])
				ereport(ERROR,
						(errcode(ERRCODE_CARDINALITY_VIOLATION),
						 errmsg("series %s has more than one row in the period of %s (%s spacing)",
								sd->key[s], time_text(sd->t[i], sd->time_type), st->name),
						 errhint("Aggregate the source first, e.g. SELECT day, sum(units) ... GROUP BY day.")));
		}
		if (sd->start[s + 1] > first)
			len = idx[sd->start[s + 1] - 1] + 1;
		if (len > MAX_SERIES_PERIODS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("series %s spans %lld %s periods, more than %d",
							sd->key[s], (long long) len, st->name, MAX_SERIES_PERIODS)));
		*longest = Max(*longest, len);
		off[s + 1] = off[s] + len;
	}
	y = palloc_extended(Max(off[sd->nseries], 1) * sizeof(double), MCXT_ALLOC_HUGE);
	for (int s = 0; s < sd->nseries; s++)
	{
		for (int64 k = off[s]; k < off[s + 1]; k++)
			y[k] = NAN;
		for (int64 i = sd->start[s]; i < sd->start[s + 1]; i++)
			y[off[s] + idx[i]] = sd->v[i];
		for (int64 k = off[s]; k < off[s + 1]; k++)
			*missing += isnan(y[k]);
		if ((s & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	pfree(idx);
	*offset = off;
	return y;
}

/* the method that made a series' forecast: 'auto' is the combination */
static const char *
used_name(FcMethod m)
{
	return m == FC_AUTO ? "combination" : fc_method_name(m);
}

/* ---------- the binary model ---------- */

static void
put_series(MkWriter *w, const FcSeriesRec *r, int h)
{
	mk_put_text(w, r->series);
	mk_put_text(w, r->method);
	mk_put_text(w, r->description);
	mk_put_text(w, r->fallback);
	mk_put_f64s(w, r->stats, 3);
	mk_put_i32(w, r->n_obs);
	mk_put_i64s(w, r->steps, h);
	mk_put_i64s(w, r->ts, r->ts ? h : 0);
	mk_put_f64s(w, r->fc, (int64) 5 * h);
	mk_history_put(w, &r->hist);
}

static void *
forecast_decode(bytea *blob, MemoryContext cxt)
{
	MkfReader	r;
	MemoryContext old = MemoryContextSwitchTo(cxt);
	FcModel    *m = palloc0(sizeof(FcModel));
	int32		fmt;

	mk_reader_open(&r, blob, MKF_KIND_FORECAST);
	fmt = mkf_get_i32(&r);
	m->horizon = mkf_get_i32(&r);
	m->period = mkf_get_i32(&r);
	mk_reader_check(&r);
	m->method = mk_get_text(&r);
	m->nseries = mkf_get_i64(&r);
	mk_reader_check(&r);
	m->fmt = fmt;
	if (fmt < 1 || fmt > FC_BLOB_VERSION)
		mk_damaged(psprintf("unknown forecast model format %d", fmt));
	if (m->horizon < 1 || m->horizon > MAX_HORIZON || m->nseries < 0 || m->method == NULL ||
		m->nseries > (int64) (r.end - r.p) / 8)
		mk_damaged("bad forecast model header");
	m->s = palloc0(sizeof(FcSeriesRec) * Max(m->nseries, 1));
	for (int64 i = 0; i < m->nseries; i++)
	{
		FcSeriesRec *s = &m->s[i];
		int64		n;
		double	   *st;

		s->series = mk_get_text(&r);
		s->method = mk_get_text(&r);
		s->description = mk_get_text(&r);
		s->fallback = mk_get_text(&r);
		if (s->series == NULL)
			mk_damaged("bad forecast series record");
		st = mk_get_f64s(&r, &n);
		if (n != 3)
			mk_damaged("bad forecast statistics");
		memcpy(s->stats, st, sizeof(s->stats));
		s->n_obs = mkf_get_i32(&r);
		mk_reader_check(&r);
		s->steps = mk_get_i64s(&r, &n);
		if (n != m->horizon)
			mk_damaged("bad forecast step count");
		s->ts = mk_get_i64s(&r, &n);
		if (n == 0)
			s->ts = NULL;
		else if (n != m->horizon)
			mk_damaged("bad forecast timestamp count");
		s->fc = mk_get_f64s(&r, &n);
		if (n != (int64) 5 * m->horizon)
			mk_damaged("bad forecast count");
		if (fmt >= 2)
			mk_history_get(&r, &s->hist);
	}
	mk_reader_finish(&r);
	MemoryContextSwitchTo(old);
	return m;
}

/* ---------- the trainer ---------- */

static void
write_spec(MkJson *js, const char *source, const char *time_col, const char *value_col, char **groups,
		   int ngroups, int horizon, int period, const char *method)
{
	mk_json_begin(js);
	mk_json_key(js, "source");
	mk_json_str(js, source);
	mk_json_key(js, "time_column");
	mk_json_str(js, time_col);
	mk_json_key(js, "value_column");
	mk_json_str(js, value_col);
	mk_json_key(js, "group_columns");
	if (ngroups == 0)
		mk_json_null(js);
	else
	{
		mk_json_arr_open(js);
		for (int i = 0; i < ngroups; i++)
			mk_json_str(js, groups[i]);
		mk_json_arr_close(js);
	}
	mk_json_key(js, "horizon");
	mk_json_int(js, horizon);
	mk_json_key(js, "period");
	if (period > 0)
		mk_json_int(js, period);
	else
		mk_json_null(js);
	mk_json_key(js, "method");
	mk_json_str(js, method);
}

PG_FUNCTION_INFO_V1(mktdb_forecast);
Datum
mktdb_forecast(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *model,
			   *source,
			   *time_col,
			   *value_col,
			   *method_name;
	char	  **groups = NULL;
	int			ngroups = 0,
				horizon,
				req_period,
				period,
				nthreads,
				nused[FC_NMETHODS] = {0},
				nfallback = 0,
				nodata = 0;
	FcOptions	opt;
	MemoryContext train_cxt,
				old;
	SeriesData	sd;
	TimeStep	st;
	MkTime		t0 = mk_now();
	int64		longest,
				missing,
			   *off;
	double	   *ygrid,
			   *outbuf,
			   *work,
				train_ms;
	size_t		per_thread;
	ArimaBatchItem *items;
	FcOut	   *outs;
	void	  **extras;
	FcSeriesRec *recs;
	MkWriter	w;
	MkJson		js;
	int32		version;
	bool		itime;

	/* ---- arguments, all checked before any work ---- */
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("model must not be NULL")));
	model = text_to_cstring(PG_GETARG_TEXT_PP(0));
	mk_check_model_name(model);
	source = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	time_col = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	value_col = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	mk_column(time_col, "time_column");
	mk_column(value_col, "value_column");
	if (!PG_ARGISNULL(4))
		groups = mk_text_array(PG_GETARG_ARRAYTYPE_P(4), &ngroups, "group_columns");
	if (PG_ARGISNULL(5))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("horizon must not be NULL")));
	horizon = PG_GETARG_INT32(5);
	if (horizon < 1 || horizon > MAX_HORIZON)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("horizon must be between 1 and %d, not %d", MAX_HORIZON, horizon)));
	req_period = PG_ARGISNULL(6) ? 0 : PG_GETARG_INT32(6);
	if (!PG_ARGISNULL(6) && (req_period < 1 || req_period > MAX_PERIOD))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("period must be between 1 and %d, not %d", MAX_PERIOD, req_period),
				 errhint("Leave it NULL to infer it from the spacing of the time column.")));
	if (PG_ARGISNULL(7))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("method must not be NULL")));
	method_name = text_to_cstring(PG_GETARG_TEXT_PP(7));
	if (fc_method_of(method_name) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown forecasting method \"%s\"", method_name),
				 errhint("Use 'auto', 'arima', 'ets', 'theta', 'croston', 'sba', 'tsb', 'naive' or 'snaive'.")));
	opt.method = (FcMethod) fc_method_of(method_name);
	mk_check_can_store(model, "forecast");

	InitMaterializedSRF(fcinfo, 0);
	train_cxt = AllocSetContextCreate(CurrentMemoryContext, "mktdb forecast", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(train_cxt);

	/* ---- data: arima_forecast's source, time-axis and grid rules ---- */
	read_series(source, time_col, value_col, groups, ngroups, &sd, train_cxt);
	itime = integer_time(sd.time_type);
	st = infer_step(&sd, train_cxt);
	period = req_period > 0 ? req_period : (!itime && st.known ? st.period : 1);
	opt.period = period;
	ygrid = series_grid(&sd, &st, &off, &longest, &missing);
	per_thread = forecast_work_doubles(opt.method, (int) longest, period, horizon);
	if (per_thread > MAX_WORK_DOUBLES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("forecasting %lld periods with period %d needs too much memory", (long long) longest, period),
				 errhint("Use a shorter period, or a method other than 'arima' and 'auto'.")));

	/* ---- fit: pure C on threads, polling the backend's cancel flag ---- */
	nthreads = Min(mk_thread_count(), Max(sd.nseries, 1));
	items = palloc_extended(Max(sd.nseries, 1) * sizeof(ArimaBatchItem), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	outs = palloc_extended(Max(sd.nseries, 1) * sizeof(FcOut), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	extras = palloc_extended(Max(sd.nseries, 1) * sizeof(void *), MCXT_ALLOC_HUGE);
	outbuf = palloc_extended((size_t) Max(sd.nseries, 1) * 7 * horizon * sizeof(double), MCXT_ALLOC_HUGE);
	work = palloc_extended((size_t) nthreads * per_thread * sizeof(double), MCXT_ALLOC_HUGE);
	for (int s = 0; s < sd.nseries; s++)
	{
		double	   *b = outbuf + (size_t) s * 7 * horizon;

		items[s].y = ygrid + off[s];
		items[s].n = (int) (off[s + 1] - off[s]);
		items[s].fc_mean = b + 5 * horizon;
		items[s].fc_se = b + 6 * horizon;
		outs[s].mean = b;
		outs[s].lo80 = b + horizon;
		outs[s].hi80 = b + 2 * horizon;
		outs[s].lo95 = b + 3 * horizon;
		outs[s].hi95 = b + 4 * horizon;
		extras[s] = &outs[s];
	}
	if (arima_run_batch(items, sd.nseries, forecast_series, &opt, extras, horizon, nthreads, work, per_thread,
						(const volatile int *) &QueryCancelPending) == ARIMA_ECANCEL)
	{
		CHECK_FOR_INTERRUPTS();
		ereport(ERROR, (errcode(ERRCODE_QUERY_CANCELED), errmsg("canceling statement due to user request")));
	}

	recs = palloc_extended(Max(sd.nseries, 1) * sizeof(FcSeriesRec), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (int s = 0; s < sd.nseries; s++)
	{
		FcSeriesRec *r = &recs[s];
		FcOut	   *o = &outs[s];
		int64		first = sd.start[s],
					last = sd.start[s + 1] - 1;

		if (o->negative)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("series %s has negative values: method \"%s\" forecasts non-negative demand",
							sd.key[s], method_name),
					 errhint("Use 'auto', 'ets', 'arima' or 'theta' for series that can be negative.")));
		if ((s & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		nodata += o->no_data;
		if (!o->no_data)
			nused[o->used]++;
		nfallback += o->fallback[0] != 0 && !o->no_data;
		r->series = sd.key[s];
		r->method = o->no_data ? NULL : (char *) used_name(o->used);
		r->description = o->no_data ? NULL : pstrdup(o->description);
		r->fallback = o->fallback[0] ? pstrdup(o->fallback) : NULL;
		r->stats[0] = o->aicc;
		r->stats[1] = o->sigma2;
		r->stats[2] = o->mase_scale;
		r->n_obs = o->n_obs;
		r->steps = palloc(horizon * sizeof(int64));
		r->fc = palloc((size_t) 5 * horizon * sizeof(double));
		r->ts = (itime || !st.known) ? NULL : palloc(horizon * sizeof(int64));
		for (int k = 0; k < horizon; k++)
		{
			r->steps[k] = k + 1;
			if (itime && last >= first)
			{
				/* integer index: the step counts on from the last index */
				if (sd.t[last] + k + 1 > PG_INT32_MAX || sd.t[last] + k + 1 < PG_INT32_MIN)
					ereport(ERROR,
							(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
							 errmsg("time index " INT64_FORMAT " of series %s is out of range for the step column",
									sd.t[last], r->series)));
				r->steps[k] = sd.t[last] + k + 1;
			}
			if (r->ts && last >= first)
				r->ts[k] = DatumGetTimestampTz(time_after(sd.t[last], sd.time_type, &st, k + 1));
			r->fc[5 * k] = o->mean[k];
			r->fc[5 * k + 1] = o->lo80[k];
			r->fc[5 * k + 2] = o->hi80[k];
			r->fc[5 * k + 3] = o->lo95[k];
			r->fc[5 * k + 4] = o->hi95[k];
		}
		/* the recent history, for charts: times of the period grid */
		{
			int			h0 = mk_history_keep(&r->hist, items[s].y, items[s].n, period);

			for (int k = 0; k < r->hist.n; k++)
				r->hist.t[k] = itime ? sd.t[first] + h0 + k
					: DatumGetTimestampTz(time_after(sd.t[first], sd.time_type, &st, h0 + k));
		}
	}
	train_ms = mk_ms_since(t0);

	/* no series has a value: store nothing (an empty version would replace the last good one) */
	if (nodata == sd.nseries)
	{
		ereport(NOTICE, (errmsg("no series has a value: no model version stored")));
		MemoryContextSwitchTo(old);
		MemoryContextDelete(train_cxt);
		return (Datum) 0;
	}

	/* ---- one model version holds everything ---- */
	mk_writer_init(&w);
	mk_put_i32(&w, FC_BLOB_VERSION);
	mk_put_i32(&w, horizon);
	mk_put_i32(&w, period);
	mk_put_text(&w, method_name);
	mk_put_i64(&w, sd.nseries);
	for (int s = 0; s < sd.nseries; s++)
		put_series(&w, &recs[s], horizon);
	write_spec(&js, source, time_col, value_col, groups, ngroups, horizon, req_period, method_name);
	{
		char	   *spec_text = mk_json_end(&js);

		mk_json_begin(&js);
		mk_json_key(&js, "series");
		mk_json_int(&js, sd.nseries);
		mk_json_key(&js, "period");
		mk_json_int(&js, period);
		mk_json_key(&js, "spacing");
		mk_json_str(&js, st.name);
		mk_json_key(&js, "method");
		mk_json_str(&js, method_name);
		mk_json_key(&js, "methods_used");
		mk_json_obj_open(&js);
		for (int i = 0; i < FC_NMETHODS; i++)
			if (nused[i] > 0)
			{
				mk_json_key(&js, used_name((FcMethod) i));
				mk_json_int(&js, nused[i]);
			}
		mk_json_obj_close(&js);
		mk_json_key(&js, "fallbacks");
		mk_json_int(&js, nfallback);
		mk_json_key(&js, "no_data");
		mk_json_int(&js, nodata);
		mk_json_key(&js, "missing_values");
		mk_json_int(&js, missing);
		mk_json_key(&js, "skipped_rows");
		mk_json_int(&js, sd.skipped);
		mk_json_key(&js, "fit_ms");
		mk_json_num(&js, train_ms);
		mk_store_model(model, "forecast", spec_text, mk_json_end(&js), sd.nrows + sd.skipped, train_ms,
					   mk_writer_finish(&w, MKF_KIND_FORECAST), &version);
	}

	/* ---- the forecasts as rows ---- */
	MemoryContextSwitchTo(old);
	for (int s = 0; s < sd.nseries; s++)
	{
		FcSeriesRec *r = &recs[s];
		Datum		series = jsonb_from_text(r->series);

		for (int k = 0; k < horizon; k++)
		{
			Datum		values[8];
			bool		nulls[8] = {false};

			if (isnan(r->fc[5 * k]))
				continue;
			values[0] = series;
			values[1] = Int32GetDatum((int32) r->steps[k]);
			values[2] = r->ts ? TimestampTzGetDatum(r->ts[k]) : (Datum) 0;
			nulls[2] = r->ts == NULL;
			for (int c = 0; c < 5; c++)
			{
				values[3 + c] = Float8GetDatum(r->fc[5 * k + c]);
				nulls[3 + c] = isnan(r->fc[5 * k + c]);
			}
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	MemoryContextDelete(train_cxt);
	return (Datum) 0;
}

/* ---------- readers ---------- */

/* the forecasts of one stored forecast model (or "name@N") as mktdb.forecasts_of rows */
void
forecast_put_rows(const char *ref, ReturnSetInfo *rsinfo)
{
	MkModelInfo info;
	FcModel    *m = mk_model_get(ref, "forecast", forecast_decode, &info);
	Datum		name = CStringGetTextDatum(info.name);

	for (int64 s = 0; s < m->nseries; s++)
	{
		FcSeriesRec *r = &m->s[s];
		Datum		series = jsonb_from_text(r->series);

		CHECK_FOR_INTERRUPTS();
		for (int k = 0; k < m->horizon; k++)
		{
			Datum		values[10];
			bool		nulls[10] = {false};

			if (isnan(r->fc[5 * k]))
				continue;
			values[0] = name;
			values[1] = Int32GetDatum(info.version);
			values[2] = series;
			values[3] = Int32GetDatum((int32) r->steps[k]);
			values[4] = r->ts ? TimestampTzGetDatum(r->ts[k]) : (Datum) 0;
			nulls[4] = r->ts == NULL;
			for (int c = 0; c < 5; c++)
			{
				values[5 + c] = Float8GetDatum(r->fc[5 * k + c]);
				nulls[5 + c] = isnan(r->fc[5 * k + c]);
			}
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
}

static void
put_float_or_null(Datum *values, bool *nulls, int i, double v)
{
	values[i] = Float8GetDatum(v);
	nulls[i] = !isfinite(v);
}

PG_FUNCTION_INFO_V1(mktdb_forecast_model_rows);
Datum
mktdb_forecast_model_rows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MkModelInfo info;
	FcModel    *m;
	Datum		name;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("model must not be NULL")));
	m = mk_model_get(text_to_cstring(PG_GETARG_TEXT_PP(0)), "forecast", forecast_decode, &info);
	name = CStringGetTextDatum(info.name);
	for (int64 s = 0; s < m->nseries; s++)
	{
		FcSeriesRec *r = &m->s[s];
		Datum		values[11];
		bool		nulls[11] = {false};

		CHECK_FOR_INTERRUPTS();
		values[0] = name;
		values[1] = Int32GetDatum(info.version);
		values[2] = jsonb_from_text(r->series);
		values[3] = r->method ? CStringGetTextDatum(r->method) : (Datum) 0;
		nulls[3] = r->method == NULL;
		values[4] = r->description ? CStringGetTextDatum(r->description) : (Datum) 0;
		nulls[4] = r->description == NULL;
		put_float_or_null(values, nulls, 5, r->stats[0]);
		put_float_or_null(values, nulls, 6, r->stats[1]);
		values[7] = Int32GetDatum(r->n_obs);
		values[8] = r->fallback ? CStringGetTextDatum(r->fallback) : (Datum) 0;
		nulls[8] = r->fallback == NULL;
		put_float_or_null(values, nulls, 9, r->stats[2]);
		values[10] = CStringGetTextDatum(m->method);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* ---------- for forecast_chart (chart_sql.c) ---------- */

/*
 * The method and model of a series as a chart names them: the stored description with the
 * methods' usual names ("ETS(M,Ad,M)", "Theta (seasonally adjusted)", "Croston"; 'auto' as
 * "auto: mean of ETS, ARIMA, Theta").
 */
static void
chart_description(const FcSeriesRec *r, char *buf, size_t size)
{
	static const char *const names[][2] = {
		{"ets", "ETS"}, {"arima", "ARIMA"}, {"theta", "Theta"}, {"croston", "Croston"}, {"sba", "SBA"},
		{"tsb", "TSB"}, {"naive", "Naive"}, {"snaive", "Seasonal naive"}};
	StringInfoData s;
	const char *p = r->description ? r->description : "no forecast";

	initStringInfo(&s);
	if (r->method && strcmp(r->method, "combination") == 0)
		appendStringInfoString(&s, "auto: ");
	while (*p)
	{
		size_t		len = strspn(p, "abcdefghijklmnopqrstuvwxyz");
		int			i = 0;

		for (; len > 0 && i < (int) lengthof(names); i++)
			if (strlen(names[i][0]) == len && strncmp(p, names[i][0], len) == 0)
				break;
		if (len > 0 && i < (int) lengthof(names))
			appendStringInfoString(&s, names[i][1]);
		else
			appendBinaryStringInfo(&s, p, Max(len, 1));
		p += Max(len, 1);
	}
	strlcpy(buf, s.data, size);
	pfree(s.data);
}

int64
mk_forecast_forecast_view(const char *name, const char *series_json, MkForecastView *v, const char **example)
{
	MkModelInfo info;
	FcModel    *m = mk_model_get(name, "forecast", forecast_decode, &info);

	memset(v, 0, sizeof(*v));
	*example = m->nseries > 0 ? m->s[0].series : NULL;
	for (int64 s = 0; s < m->nseries; s++)
	{
		FcSeriesRec *r = &m->s[s];

		if (strcmp(r->series, series_json) != 0 && !(m->nseries == 1 && strcmp(series_json, "{}") == 0))
			continue;
		v->series = r->series;
		chart_description(r, v->description, sizeof v->description);
		v->fallback = r->fallback;
		v->horizon = m->horizon;
		v->time_axis = r->ts != NULL;
		v->x = r->ts ? r->ts : r->steps;
		v->fc = r->fc;
		v->has_history = m->fmt >= 2;
		v->hist = r->hist;
		break;
	}
	return m->nseries;
}

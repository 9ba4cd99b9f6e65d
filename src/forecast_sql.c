/*
 * forecast_sql.c -- SQL side of mktdb.forecast(): its own checks (the method), one pure-C call per
 * series (core/forecast.c) on the ARIMA batch threads, one model version of kind 'forecast'
 * holding every series' method, description, forecasts and recent history; the readers behind
 * mktdb.forecasts (for kind forecast) and mktdb.forecast_models, and the series forecast_chart
 * draws.  What it shares with arima_forecast (the common arguments, reading the series onto their
 * period grid, the batch, the rows) is in forecast_request.c and forecast_series.c.
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
#include "forecast_request.h"
#include "series_history.h"

#define FC_BLOB_VERSION 2		/* 2: recent history (for charts); 1 still read */

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
	fc_put_forecasts(w, r->steps, r->ts, r->fc, h);
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
		fc_get_forecasts(&r, m->horizon, "forecast model", &s->steps, &s->ts, &s->fc);
		if (fmt >= 2)
			mk_history_get(&r, &s->hist);
	}
	mk_reader_finish(&r);
	MemoryContextSwitchTo(old);
	return m;
}

/* ---------- the trainer ---------- */

/* what the fits of one call give the model version's metrics */
typedef struct FcCounts
{
	int			nused[FC_NMETHODS];	/* series per method used */
	int			nfallback;
	int			nodata;
} FcCounts;

/* series s's record from its forecast */
static void
fill_record(FcSeriesRec *r, const SeriesGrid *g, int s, const FcOut *o, int horizon, const char *method_name,
			FcCounts *cn)
{
	if (o->negative)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("series %s has negative values: method \"%s\" forecasts non-negative demand",
						g->sd.key[s], method_name),
				 errhint("Use 'auto', 'ets', 'arima' or 'theta' for series that can be negative.")));
	cn->nodata += o->no_data;
	if (!o->no_data)
		cn->nused[o->used]++;
	cn->nfallback += o->fallback[0] != 0 && !o->no_data;
	r->series = g->sd.key[s];
	r->method = o->no_data ? NULL : (char *) used_name(o->used);
	r->description = o->no_data ? NULL : pstrdup(o->description);
	r->fallback = o->fallback[0] ? pstrdup(o->fallback) : NULL;
	r->stats[0] = o->aicc;
	r->stats[1] = o->sigma2;
	r->stats[2] = o->mase_scale;
	r->n_obs = o->n_obs;
	series_grid_steps(g, s, horizon, &r->steps, &r->ts);
	r->fc = palloc((size_t) 5 * horizon * sizeof(double));
	for (int k = 0; k < horizon; k++)
	{
		/* bounds are NaN where a method has no interval (Croston, SBA, TSB), never infinite */
		if (!o->no_data && (!isfinite(o->mean[k]) || isinf(o->lo80[k]) || isinf(o->hi80[k]) ||
							isinf(o->lo95[k]) || isinf(o->hi95[k])))
			fc_not_finite(r->series, k + 1, psprintf("mean %g, 95 %% bounds %g to %g",
													  o->mean[k], o->lo95[k], o->hi95[k]));
		r->fc[5 * k] = o->mean[k];
		r->fc[5 * k + 1] = o->lo80[k];
		r->fc[5 * k + 2] = o->hi80[k];
		r->fc[5 * k + 3] = o->lo95[k];
		r->fc[5 * k + 4] = o->hi95[k];
	}
	series_grid_history(g, s, &r->hist);
}

/* Forecasts every series: pure C on the ARIMA batch threads, polling cancel and terminate. */
static FcSeriesRec *
fit_all(const SeriesGrid *g, const FcOptions *opt, int horizon, const char *method_name, FcCounts *cn)
{
	int			n = g->sd.nseries;
	size_t		per_thread = forecast_work_doubles(opt->method, (int) g->longest, g->period, horizon);
	int			nthreads = Min(mk_thread_count(), Max(n, 1));
	ArimaBatchItem *items;
	FcOut	   *outs;
	void	  **extras;
	double	   *outbuf,
			   *work;
	FcSeriesRec *recs;

	if (per_thread > MAX_WORK_DOUBLES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("forecasting %lld periods with period %d needs too much memory", (long long) g->longest,
						g->period),
				 errhint("Use a shorter period, or a method other than 'arima' and 'auto'.")));
	items = palloc_extended(Max(n, 1) * sizeof(ArimaBatchItem), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	outs = palloc_extended(Max(n, 1) * sizeof(FcOut), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	extras = palloc_extended(Max(n, 1) * sizeof(void *), MCXT_ALLOC_HUGE);
	outbuf = palloc_extended((size_t) Max(n, 1) * 7 * horizon * sizeof(double), MCXT_ALLOC_HUGE);
	work = palloc_extended((size_t) nthreads * per_thread * sizeof(double), MCXT_ALLOC_HUGE);
	for (int s = 0; s < n; s++)
	{
		double	   *b = outbuf + (size_t) s * 7 * horizon;

		items[s].y = g->y + g->off[s];
		items[s].n = (int) (g->off[s + 1] - g->off[s]);
		items[s].fc_mean = b + 5 * horizon;
		items[s].fc_se = b + 6 * horizon;
		outs[s].mean = b;
		outs[s].lo80 = b + horizon;
		outs[s].hi80 = b + 2 * horizon;
		outs[s].lo95 = b + 3 * horizon;
		outs[s].hi95 = b + 4 * horizon;
		extras[s] = &outs[s];
	}
	fc_run_batch(items, n, forecast_series, opt, extras, horizon, nthreads, work, per_thread);

	memset(cn, 0, sizeof(*cn));
	recs = palloc_extended(Max(n, 1) * sizeof(FcSeriesRec), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (int s = 0; s < n; s++)
	{
		if ((s & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		fill_record(&recs[s], g, s, &outs[s], horizon, method_name, cn);
	}
	return recs;
}

/* the model version's metrics: series per method used, fallbacks, work done */
static char *
metrics_json(const SeriesGrid *g, const char *method_name, const FcCounts *cn, double train_ms)
{
	MkJson		js;

	fc_metrics_begin(&js, g);
	mk_json_key(&js, "method");
	mk_json_str(&js, method_name);
	mk_json_key(&js, "methods_used");
	mk_json_obj_open(&js);
	for (int i = 0; i < FC_NMETHODS; i++)
		if (cn->nused[i] > 0)
		{
			mk_json_key(&js, used_name((FcMethod) i));
			mk_json_int(&js, cn->nused[i]);
		}
	mk_json_obj_close(&js);
	mk_json_key(&js, "fallbacks");
	mk_json_int(&js, cn->nfallback);
	mk_json_key(&js, "no_data");
	mk_json_int(&js, cn->nodata);
	fc_metrics_counts(&js, g, train_ms);
	return mk_json_end(&js);
}

/* one model version holds everything */
static bytea *
model_blob(const SeriesGrid *g, int horizon, const char *method_name, const FcSeriesRec *recs)
{
	MkWriter	w;

	mk_writer_init(&w);
	mk_put_i32(&w, FC_BLOB_VERSION);
	mk_put_i32(&w, horizon);
	mk_put_i32(&w, g->period);
	mk_put_text(&w, method_name);
	mk_put_i64(&w, g->sd.nseries);
	for (int s = 0; s < g->sd.nseries; s++)
		put_series(&w, &recs[s], horizon);
	return mk_writer_finish(&w, MKF_KIND_FORECAST);
}

PG_FUNCTION_INFO_V1(mktdb_forecast);
Datum
mktdb_forecast(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	FcRequest	rq;
	char	   *method_name;
	FcOptions	opt;
	MemoryContext train_cxt,
				old;
	SeriesGrid	g;
	FcCounts	cn;
	FcSeriesRec *recs;
	MkTime		t0 = mk_now();
	MkJson		js;
	double		train_ms;
	int32		version;

	/* ---- checks: every argument before any work ---- */
	fc_request_parse(fcinfo, &rq);
	if (PG_ARGISNULL(7))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("method must not be NULL")));
	method_name = text_to_cstring(PG_GETARG_TEXT_PP(7));
	if (fc_method_of(method_name) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown forecasting method \"%s\"", method_name),
				 errhint("Use 'auto', 'arima', 'ets', 'theta', 'croston', 'sba', 'tsb', 'naive' or 'snaive'.")));
	opt.method = (FcMethod) fc_method_of(method_name);
	mk_check_can_store(rq.model, "forecast");
	InitMaterializedSRF(fcinfo, 0);
	train_cxt = AllocSetContextCreate(CurrentMemoryContext, "mktdb forecast", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(train_cxt);

	/* ---- read: arima_forecast's source, time-axis and grid rules ---- */
	series_grid_read(&g, rq.source, rq.time_col, rq.value_col, rq.groups, rq.ngroups, rq.period, false, train_cxt);
	opt.period = g.period;

	/* ---- fit ---- */
	recs = fit_all(&g, &opt, rq.horizon, method_name, &cn);
	train_ms = mk_ms_since(t0);
	if (cn.nodata == g.sd.nseries)
	{
		fc_store_nothing(old, train_cxt);
		return (Datum) 0;
	}

	/* ---- store: one model version ---- */
	fc_spec_json(&js, &rq);
	mk_json_key(&js, "method");
	mk_json_str(&js, method_name);
	mk_store_model(rq.model, "forecast", mk_json_end(&js), metrics_json(&g, method_name, &cn, train_ms),
				   g.sd.nrows + g.sd.skipped, train_ms, model_blob(&g, rq.horizon, method_name, recs), &version);

	/* ---- the forecasts as rows ---- */
	MemoryContextSwitchTo(old);
	for (int s = 0; s < g.sd.nseries; s++)
		fc_put_rows(rsinfo, NULL, 0, recs[s].series, recs[s].steps, recs[s].ts, recs[s].fc, rq.horizon);
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
	Datum		lead[2] = {CStringGetTextDatum(info.name), Int32GetDatum(info.version)};

	for (int64 s = 0; s < m->nseries; s++)
	{
		CHECK_FOR_INTERRUPTS();
		fc_put_rows(rsinfo, lead, 2, m->s[s].series, m->s[s].steps, m->s[s].ts, m->s[s].fc, m->horizon);
	}
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
		fc_put_float(values, nulls, 5, r->stats[0]);
		fc_put_float(values, nulls, 6, r->stats[1]);
		values[7] = Int32GetDatum(r->n_obs);
		values[8] = r->fallback ? CStringGetTextDatum(r->fallback) : (Datum) 0;
		nulls[8] = r->fallback == NULL;
		fc_put_float(values, nulls, 9, r->stats[2]);
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

	*example = m->nseries > 0 ? m->s[0].series : NULL;
	for (int64 s = 0; s < m->nseries; s++)
		if (mk_forecast_view_match(m->s[s].series, series_json, m->nseries))
		{
			FcSeriesRec *r = &m->s[s];

			mk_forecast_view_set(v, r->series, r->fallback, m->horizon, r->steps, r->ts, r->fc, m->fmt >= 2, &r->hist);
			chart_description(r, v->description, sizeof v->description);
			break;
		}
	return m->nseries;
}

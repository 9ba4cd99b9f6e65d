/*
 * arima_sql.c -- SQL side of demand forecasting: mktdb.arima_forecast() (argument checks,
 * reading the series with one SPI cursor, the time axis, one fit per series through the pure-C
 * core, storing every series' fit and forecasts as one model version) and the set-returning
 * readers behind the views mktdb.forecasts and mktdb.arima_models.
 *
 * Time axis: the spacing of the time column gives the step (hour, day, week, calendar month,
 * quarter, year, or any other fixed spacing) and the seasonal period (24, 7, 52, 12, 4, 1; 1
 * otherwise) unless `period` is given.  Missing periods inside a series and NULL values become
 * missing values that the Kalman filter skips (as R's arima does with NA); two rows of one
 * series in the same period are an error.  Forecast timestamps continue from the last one by
 * whole steps, so calendar months stay month-aligned.
 */
#include "mktdb.h"

#include <math.h>
#include <signal.h>

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "core/arima.h"
#include "core/autoarima.h"
#include "arima_int.h"
#include "chart.h"
#include "forecast_series.h"
#include "series_history.h"

#define MAX_PERIOD 1000
#define MAX_SERIES_PERIODS 1000000
#define MAX_WORK_DOUBLES ((size_t) 1 << 27)	/* 1 GiB of work space per fit */

/* the core's cancel flag is the backend's own interrupt flag */
StaticAssertDecl(sizeof(sig_atomic_t) == sizeof(int), "sig_atomic_t must be an int");

/* what the caller asked for */
typedef struct ArimaRequest
{
	int			horizon;
	int			period;			/* 0: infer */
	bool		auto_order;		/* pdq NULL: automatic order selection (issue 6) */
	bool		auto_seasonal;	/* seasonal_pdq NULL */
	int			order[3];
	int			sorder[3];
} ArimaRequest;


/* what automatic selection chose, for the model version's metrics */
typedef struct AutoCounts
{
	int			nlabels;
	int			cap;
	char	  **label;			/* R's model label, "ARIMA(0,1,1)(0,1,1)[12] with drift" */
	int		   *count;
	int64		approximated;	/* series searched with the CSS approximation */
	int64		models_tried;
	int64		refits;
	int64		constant_after_differencing;
} AutoCounts;

/* R's model label, "ARIMA(0,1,1)(0,1,1)[12] with drift" */
static void
order_label(char *buf, size_t size, const ArimaSpec *sp)
{
	const char *c = sp->include_drift ? " with drift" : sp->include_mean ? " with non-zero mean" : "";

	if (sp->P + sp->D + sp->Q > 0)
		snprintf(buf, size, "ARIMA(%d,%d,%d)(%d,%d,%d)[%d]%s", sp->p, sp->d, sp->q, sp->P, sp->D, sp->Q, sp->s, c);
	else
		snprintf(buf, size, "ARIMA(%d,%d,%d)%s", sp->p, sp->d, sp->q, c);
}

static void
auto_count(AutoCounts *ac, const ArimaResult *res, const AutoArimaInfo *info, MemoryContext cxt)
{
	char		buf[96];
	const ArimaSpec *sp = &res->spec;
	int			i;

	if (res->fallback != ARIMA_FB_NONE && res->fallback != ARIMA_FB_CONSTANT)
		return;					/* counted as fallbacks */
	order_label(buf, sizeof buf, sp);
	for (i = 0; i < ac->nlabels; i++)
		if (strcmp(ac->label[i], buf) == 0)
			break;
	if (i == ac->nlabels)
	{
		if (ac->nlabels == ac->cap)
		{
			ac->cap = ac->cap ? 2 * ac->cap : 32;
			ac->label = ac->label ? repalloc(ac->label, ac->cap * sizeof(char *)) : MemoryContextAlloc(cxt, ac->cap * sizeof(char *));
			ac->count = ac->count ? repalloc(ac->count, ac->cap * sizeof(int)) : MemoryContextAlloc(cxt, ac->cap * sizeof(int));
		}
		ac->label[i] = MemoryContextStrdup(cxt, buf);
		ac->count[i] = 0;
		ac->nlabels++;
	}
	ac->count[i]++;
	ac->approximated += info->approximation;
	ac->models_tried += info->nmodels;
	ac->refits += info->nrefits;
	ac->constant_after_differencing += (info->nmodels == 0 && info->constant != AUTO_CONST_SERIES);
}

static const double Z80 = 1.2815515655446004;
static const double Z95 = 1.959963984540054;

/* ---------- argument checks ---------- */

static void
int_triple(ArrayType *arr, const char *argname, int *out)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (ARR_NDIM(arr) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a one-dimensional array of three integers", argname)));
	deconstruct_array(arr, INT4OID, 4, true, TYPALIGN_INT, &elems, &nulls, &n);
	if (n != 3)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must have exactly three elements, not %d", argname, n),
				 errhint("Write it as ARRAY[p, d, q] (or ARRAY[P, D, Q] for seasonal_pdq).")));
	for (int i = 0; i < 3; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain NULL", argname)));
		out[i] = DatumGetInt32(elems[i]);
		if (out[i] < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must not contain negative orders", argname)));
	}
}

static void
check_orders(const ArimaRequest *rq)
{
	if (!rq->auto_order)
	{
		if (rq->order[0] > ARIMA_MAX_P || rq->order[2] > ARIMA_MAX_P)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("pdq orders p and q must be at most %d", ARIMA_MAX_P)));
		if (rq->order[1] > ARIMA_MAX_D)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("pdq order d must be at most %d", ARIMA_MAX_D)));
	}
	if (!rq->auto_seasonal)
	{
		if (rq->sorder[0] > ARIMA_MAX_SP || rq->sorder[2] > ARIMA_MAX_SP)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("seasonal_pdq orders P and Q must be at most %d", ARIMA_MAX_SP)));
		if (rq->sorder[1] > ARIMA_MAX_SD)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("seasonal_pdq order D must be at most %d", ARIMA_MAX_SD)));
	}
}

/* checks that depend on the period (known after the data's spacing was seen) */
static void
check_model_size(const ArimaRequest *rq, int period, int64 longest)
{
	ArimaSpec	sp = {rq->order[0], rq->order[1], rq->order[2], rq->sorder[0], rq->sorder[1],
	rq->sorder[2], period, 0, ARIMA_ML, 0, 0, 0, 0};
	int			r = arima_state_dim(&sp);

	if (r > ARIMA_MAX_R)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the ARMA part is too long for period %d: max(p + period*P, q + period*Q + 1) = %d exceeds %d",
						period, r, ARIMA_MAX_R),
				 errhint("Use smaller seasonal orders, or a shorter period.")));
	if (arima_work_doubles(&sp, (int) Min(longest, INT_MAX)) > MAX_WORK_DOUBLES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("model (%d,%d,%d)(%d,%d,%d)[%d] needs too much memory to fit",
						sp.p, sp.d, sp.q, sp.P, sp.D, sp.Q, period),
				 errhint("A seasonal AR part with a long period makes the exact initial covariance expensive; use a seasonal MA part or seasonal differencing instead.")));
}

/* ---------- reading the series ---------- */

static int64
time_value(Datum d, Oid typid, bool *ok)
{
	*ok = true;
	switch (typid)
	{
		case INT2OID:
			return DatumGetInt16(d);
		case INT4OID:
			return DatumGetInt32(d);
		case INT8OID:
			return DatumGetInt64(d);
		case DATEOID:
			{
				DateADT		dt = DatumGetDateADT(d);

				if (DATE_NOT_FINITE(dt))
					*ok = false;
				return (int64) dt * USECS_PER_DAY;
			}
		default:
			{
				Timestamp	ts = DatumGetTimestamp(d);

				if (TIMESTAMP_NOT_FINITE(ts))
					*ok = false;
				return ts;
			}
	}
}

static void
add_row(SeriesData *sd, MemoryContext cxt, int64 t, double v)
{
	if (sd->nrows == sd->cap)
	{
		int64		ncap = sd->cap ? sd->cap * 2 : 4096;

		sd->t = sd->t ? repalloc_huge(sd->t, ncap * sizeof(int64)) : MemoryContextAllocHuge(cxt, ncap * sizeof(int64));
		sd->v = sd->v ? repalloc_huge(sd->v, ncap * sizeof(double)) : MemoryContextAllocHuge(cxt, ncap * sizeof(double));
		sd->cap = ncap;
	}
	sd->t[sd->nrows] = t;
	sd->v[sd->nrows] = v;
	sd->nrows++;
}

static void
add_series(SeriesData *sd, MemoryContext cxt, const char *key)
{
	if (sd->nseries + 1 >= sd->scap)
	{
		int			ncap = sd->scap ? sd->scap * 2 : 64;

		sd->start = sd->start ? repalloc_huge(sd->start, ncap * sizeof(int64)) : MemoryContextAllocHuge(cxt, ncap * sizeof(int64));
		sd->key = sd->key ? repalloc_huge(sd->key, ncap * sizeof(char *)) : MemoryContextAllocHuge(cxt, ncap * sizeof(char *));
		sd->scap = ncap;
	}
	sd->start[sd->nseries] = sd->nrows;
	sd->key[sd->nseries] = MemoryContextStrdup(cxt, key);
	sd->nseries++;
	sd->start[sd->nseries] = sd->nrows;
}

/*
 * One cursor over the source ordered by the group columns, then time.  Each row's group
 * values arrive as a JSON object text built by the server (so numbers stay numbers).
 */
void
read_series(const char *source, const char *time_col, const char *value_col, char **groups,
			int ngroups, SeriesData *sd, MemoryContext cxt)
{
	StringInfoData q;
	MkCursor	c;
	Oid			ttype,
				vtype;
	char	   *from = mk_source_from(source);
	const char *tq = mk_column(time_col, "time_column");
	const char *vq = mk_column(value_col, "value_column");

	initStringInfo(&q);
	appendStringInfoString(&q, "SELECT ");
	if (ngroups > 0)
	{
		appendStringInfoString(&q, "pg_catalog.jsonb_build_object(");
		for (int i = 0; i < ngroups; i++)
			appendStringInfo(&q, "%s%s, %s", i ? ", " : "", quote_literal_cstr(groups[i]),
							 mk_column(groups[i], "group_columns element"));
		appendStringInfoString(&q, ")::text");
	}
	else
		appendStringInfoString(&q, "'{}'::text");
	appendStringInfo(&q, ", %s, %s FROM %s ORDER BY ", tq, vq, from);
	for (int i = 0; i < ngroups; i++)
		appendStringInfo(&q, "%s, ", mk_column(groups[i], "group_columns element"));
	appendStringInfo(&q, "%s", tq);

	memset(sd, 0, sizeof(*sd));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	mk_cursor_open(&c, q.data, 0, NULL, NULL);

	ttype = getBaseType(TupleDescAttr(c.tupdesc, 1)->atttypid);
	if (ttype != DATEOID && ttype != TIMESTAMPOID && ttype != TIMESTAMPTZOID &&
		ttype != INT2OID && ttype != INT4OID && ttype != INT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("time_column \"%s\" is of type %s, not a date, timestamp, timestamptz or integer",
						time_col, format_type_be(ttype)),
				 errhint("Cast it in a query source, e.g. SELECT day::date AS day, ...")));
	mk_require_numeric(c.tupdesc, 3, psprintf("value_column \"%s\"", value_col));
	vtype = TupleDescAttr(c.tupdesc, 2)->atttypid;
	sd->time_type = ttype;

	while (mk_cursor_next(&c))
	{
		for (uint64 i = 0; i < c.nrows; i++)
		{
			HeapTuple	tup = c.batch->vals[i];
			bool		isnull,
						ok;
			char	   *key = TextDatumGetCString(SPI_getbinval(tup, c.tupdesc, 1, &isnull));
			Datum		td = SPI_getbinval(tup, c.tupdesc, 2, &isnull);
			int64		t;
			Datum		vd;
			double		v;

			if (sd->nseries == 0 || strcmp(sd->key[sd->nseries - 1], key) != 0)
				add_series(sd, cxt, key);
			pfree(key);
			if (isnull)
			{
				sd->skipped++;
				continue;
			}
			t = time_value(td, ttype, &ok);
			if (!ok)
			{
				sd->skipped++;
				continue;
			}
			vd = SPI_getbinval(tup, c.tupdesc, 3, &isnull);
			v = isnull ? NAN : mk_numeric_to_f64(vd, vtype);
			if (!isfinite(v))
				v = NAN;
			add_row(sd, cxt, t, v);
			sd->start[sd->nseries] = sd->nrows;
		}
	}
	mk_cursor_close(&c);
	SPI_finish();
}

/* ---------- the time axis ---------- */

static int
cmp_int64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a,
				y = *(const int64 *) b;

	return x < y ? -1 : x > y;
}

/* months since year 0 of a timestamp (local time for timestamptz) */
static int64
month_number(int64 t, Oid ttype)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			tz;

	if (ttype == TIMESTAMPTZOID)
	{
		if (timestamp2tm(t, &tz, &tm, &fsec, NULL, NULL) != 0)
			ereport(ERROR, (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE), errmsg("timestamp out of range")));
	}
	else if (timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR, (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE), errmsg("timestamp out of range")));
	return (int64) tm.tm_year * 12 + (tm.tm_mon - 1);
}

/* the step from the median spacing of consecutive times within the series */
TimeStep
infer_step(const SeriesData *sd, MemoryContext cxt)
{
	TimeStep	st = {0, 0, false, "unknown", 1};
	int64	   *d = MemoryContextAllocHuge(cxt, Max(sd->nrows, 1) * sizeof(int64));
	int64		nd = 0;
	double		med,
				days;

	if (sd->time_type == INT2OID || sd->time_type == INT4OID || sd->time_type == INT8OID)
	{
		st.usecs = 1;
		st.known = true;
		st.name = "index";
		return st;
	}
	for (int s = 0; s < sd->nseries; s++)
		for (int64 i = sd->start[s] + 1; i < sd->start[s + 1]; i++)
			if (sd->t[i] > sd->t[i - 1])
				d[nd++] = sd->t[i] - sd->t[i - 1];
	if (nd == 0)
		return st;
	qsort(d, nd, sizeof(int64), cmp_int64);
	med = (double) d[nd / 2];
	pfree(d);
	days = med / (double) USECS_PER_DAY;
	st.known = true;
	if (days >= 0.9 / 24 && days <= 1.1 / 24)
	{
		st.usecs = USECS_PER_HOUR;
		st.name = "hourly";
		st.period = 24;
	}
	else if (days >= 0.9 && days <= 1.1)
	{
		st.usecs = USECS_PER_DAY;
		st.name = "daily";
		st.period = 7;
	}
	else if (days >= 6.5 && days <= 7.5)
	{
		st.usecs = 7 * USECS_PER_DAY;
		st.name = "weekly";
		st.period = 52;
	}
	else if (days >= 27.5 && days <= 31.5)
	{
		st.months = 1;
		st.name = "monthly";
		st.period = 12;
	}
	else if (days >= 88 && days <= 93)
	{
		st.months = 3;
		st.name = "quarterly";
		st.period = 4;
	}
	else if (days >= 360 && days <= 370)
	{
		st.months = 12;
		st.name = "yearly";
		st.period = 1;
	}
	else
	{
		/* any other regular spacing: that many microseconds, no seasonality by default */
		st.usecs = (int64) med;
		st.name = "fixed";
		st.period = 1;
	}
	return st;
}

/* period index of row i relative to the first row of its series */
int64
period_index(const SeriesData *sd, const TimeStep *st, int64 first, int64 i)
{
	if (st->months > 0)
	{
		int64		m0 = month_number(sd->t[first], sd->time_type);
		int64		m = month_number(sd->t[i], sd->time_type);

		return (m - m0) / st->months;
	}
	return (int64) llround((double) (sd->t[i] - sd->t[first]) / (double) st->usecs);
}

/* timestamptz of the period h steps after t */
Datum
time_after(int64 t, Oid ttype, const TimeStep *st, int h)
{
	Interval   *iv = palloc0(sizeof(Interval));
	Datum		base;

	if (st->months > 0)
		iv->month = st->months * h;
	else if (st->usecs % USECS_PER_DAY == 0)
		iv->day = (int32) (st->usecs / USECS_PER_DAY) * h;	/* calendar days: DST-aware */
	else
		iv->time = st->usecs * h;
	if (ttype == TIMESTAMPTZOID)
		return DirectFunctionCall2(timestamptz_pl_interval, TimestampTzGetDatum(t), IntervalPGetDatum(iv));
	/* date and timestamp: local wall-clock time, then as timestamptz in the session's zone */
	base = DirectFunctionCall2(timestamp_pl_interval, TimestampGetDatum(t), IntervalPGetDatum(iv));
	return DirectFunctionCall1(timestamp_timestamptz, base);
}

char *
time_text(int64 t, Oid ttype)
{
	switch (ttype)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
			return psprintf(INT64_FORMAT, t);
		case DATEOID:
			return DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum((DateADT) (t / USECS_PER_DAY))));
		case TIMESTAMPOID:
			return DatumGetCString(DirectFunctionCall1(timestamp_out, TimestampGetDatum(t)));
		default:
			return DatumGetCString(DirectFunctionCall1(timestamptz_out, TimestampTzGetDatum(t)));
	}
}

/* ---------- the binary model ---------- */

void
put_series(MkWriter *w, const ArimaSeriesRec *r, int h)
{
	mk_put_text(w, r->series);
	mk_put_i32s(w, r->ord, 8);
	mk_put_f64s(w, r->coef, r->ncoef);
	mk_put_f64s(w, r->se, r->ncoef);
	mk_put_f64s(w, r->stats, 5);
	mk_put_i32s(w, r->ints, 4);
	mk_put_text(w, r->fallback);
	mk_put_i64s(w, r->steps, h);
	mk_put_i64s(w, r->ts, r->ts ? h : 0);
	mk_put_f64s(w, r->fc, (int64) 5 * h);
	mk_history_put(w, &r->hist);
}

void *
arima_decode(bytea *blob, MemoryContext cxt)
{
	MkfReader	r;
	MemoryContext old = MemoryContextSwitchTo(cxt);
	ArimaModel *m = palloc0(sizeof(ArimaModel));
	int32		fmt;

	mk_reader_open(&r, blob, MKF_KIND_ARIMA);
	fmt = mkf_get_i32(&r);
	m->horizon = mkf_get_i32(&r);
	m->time_kind = mkf_get_i32(&r);
	m->period = mkf_get_i32(&r);
	m->nseries = mkf_get_i64(&r);
	mk_reader_check(&r);
	m->fmt = fmt;
	if (fmt < 1 || fmt > ARIMA_BLOB_VERSION)
		mk_damaged(psprintf("unknown arima model format %d", fmt));
	if (m->horizon < 1 || m->horizon > MAX_HORIZON || m->nseries < 0 ||
		(m->time_kind != TK_INTEGER && m->time_kind != TK_TIME) ||
		m->nseries > (int64) (r.end - r.p) / 8)
		mk_damaged("bad arima model header");
	m->s = palloc0(sizeof(ArimaSeriesRec) * Max(m->nseries, 1));
	for (int64 i = 0; i < m->nseries; i++)
	{
		ArimaSeriesRec *s = &m->s[i];
		int64		n;
		int32	   *ord;
		ArimaSpec	sp;

		s->series = mk_get_text(&r);
		ord = mk_get_i32s(&r, &n);
		if (s->series == NULL || n != 8)
			mk_damaged("bad arima series record");
		memcpy(s->ord, ord, sizeof(s->ord));
		if (s->ord[0] < 0 || s->ord[0] > ARIMA_MAX_P || s->ord[2] < 0 || s->ord[2] > ARIMA_MAX_P ||
			s->ord[1] < 0 || s->ord[1] > ARIMA_MAX_D || s->ord[3] < 0 || s->ord[3] > ARIMA_MAX_SP ||
			s->ord[5] < 0 || s->ord[5] > ARIMA_MAX_SP || s->ord[4] < 0 || s->ord[4] > ARIMA_MAX_SD ||
			s->ord[6] < 1 || s->ord[6] > MAX_PERIOD || s->ord[7] < 0 || s->ord[7] > 2)
			mk_damaged("bad arima orders");
		sp = (ArimaSpec) {s->ord[0], s->ord[1], s->ord[2], s->ord[3], s->ord[4], s->ord[5], s->ord[6], s->ord[7] == 1, ARIMA_ML, s->ord[7] == 2, 0, 0, 0};
		s->ncoef = arima_ncoef(&sp);
		s->coef = mk_get_f64s(&r, &n);
		if (n != s->ncoef)
			mk_damaged("bad arima coefficient count");
		s->se = mk_get_f64s(&r, &n);
		if (n != s->ncoef)
			mk_damaged("bad arima standard error count");
		{
			double	   *st = mk_get_f64s(&r, &n);
			int32	   *in;

			if (n != (fmt == 1 ? 4 : 5))
				mk_damaged("bad arima statistics");
			s->stats[4] = NAN;
			memcpy(s->stats, st, n * sizeof(double));
			in = mk_get_i32s(&r, &n);
			if (n != 4)
				mk_damaged("bad arima counts");
			memcpy(s->ints, in, sizeof(s->ints));
		}
		s->fallback = mk_get_text(&r);
		s->steps = mk_get_i64s(&r, &n);
		if (n != m->horizon)
			mk_damaged("bad arima step count");
		s->ts = mk_get_i64s(&r, &n);
		if (n == 0)
			s->ts = NULL;
		else if (n != m->horizon)
			mk_damaged("bad arima timestamp count");
		s->fc = mk_get_f64s(&r, &n);
		if (n != (int64) 5 * m->horizon)
			mk_damaged("bad arima forecast count");
		if (fmt >= 3)
			mk_history_get(&r, &s->hist);
	}
	mk_reader_finish(&r);
	MemoryContextSwitchTo(old);
	return m;
}

/* ---------- the trainer ---------- */

Datum
jsonb_from_text(const char *s)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(s));
}

static char *
coef_json(const ArimaSeriesRec *r)
{
	MkJson		j;
	ArimaSpec	sp = {r->ord[0], r->ord[1], r->ord[2], r->ord[3], r->ord[4], r->ord[5], r->ord[6], r->ord[7] == 1, ARIMA_ML, r->ord[7] == 2, 0, 0, 0};
	char		nm[32];

	mk_json_begin(&j);
	for (int i = 0; i < r->ncoef; i++)
	{
		arima_coef_name(&sp, i, nm, sizeof nm);
		mk_json_key(&j, nm);
		mk_json_num(&j, r->coef[i]);
		strlcat(nm, "_se", sizeof nm);
		mk_json_key(&j, nm);
		mk_json_num(&j, r->se[i]);
	}
	return mk_json_end(&j);
}

static void
spec_json_array(MkJson *j, const char *key, const int *v, bool isnull)
{
	mk_json_key(j, key);
	if (isnull)
	{
		mk_json_null(j);
		return;
	}
	mk_json_arr_open(j);
	for (int i = 0; i < 3; i++)
		mk_json_int(j, v[i]);
	mk_json_arr_close(j);
}

/* The spec of a call (every argument, so that retrain replays it), from the call's arguments. */
void
arima_spec_json(MkJson *js, FunctionCallInfo fcinfo)
{
	int			ngroups = 0,
				order[3] = {0, 0, 0};
	char	  **groups = PG_ARGISNULL(4) ? NULL : mk_text_array(PG_GETARG_ARRAYTYPE_P(4), &ngroups, "group_columns");

	mk_json_begin(js);
	mk_json_key(js, "source");
	mk_json_str(js, PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1)));
	mk_json_key(js, "time_column");
	mk_json_str(js, text_to_cstring(PG_GETARG_TEXT_PP(2)));
	mk_json_key(js, "value_column");
	mk_json_str(js, text_to_cstring(PG_GETARG_TEXT_PP(3)));
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
	mk_json_int(js, PG_GETARG_INT32(5));
	mk_json_key(js, "period");
	if (!PG_ARGISNULL(6))
		mk_json_int(js, PG_GETARG_INT32(6));
	else
		mk_json_null(js);
	if (!PG_ARGISNULL(7))
		int_triple(PG_GETARG_ARRAYTYPE_P(7), "pdq", order);
	spec_json_array(js, "pdq", order, PG_ARGISNULL(7));
	if (!PG_ARGISNULL(8))
		int_triple(PG_GETARG_ARRAYTYPE_P(8), "seasonal_pdq", order);
	spec_json_array(js, "seasonal_pdq", order, PG_ARGISNULL(8));
}

/* "fallbacks": {reason: series, ...} for the counts nfb[1..ARIMA_FB_FAILED_MEAN] */
void
arima_fallbacks_json(MkJson *js, const int *nfb)
{
	mk_json_key(js, "fallbacks");
	mk_json_obj_open(js);
	for (int f = 1; f <= ARIMA_FB_FAILED_MEAN; f++)
	{
		mk_json_key(js, arima_fallback_text((ArimaFallback) f));
		mk_json_int(js, nfb[f]);
	}
	mk_json_obj_close(js);
}

/* The forecasts of n series as the rows of arima_forecast (NaN steps left out). */
void
arima_put_rows(ReturnSetInfo *rsinfo, const ArimaSeriesRec *recs, int64 n, int horizon)
{
	for (int64 s = 0; s < n; s++)
	{
		const ArimaSeriesRec *r = &recs[s];
		Datum		series = jsonb_from_text(r->series);

		for (int k = 0; k < horizon; k++)
		{
			Datum		values[8];
			bool		nulls[8] = {false};

			if (r->ints[2] == ARIMA_FB_NO_DATA)
				continue;		/* documented: fallback "no data: no forecast" */
			values[0] = series;
			values[1] = Int32GetDatum((int32) r->steps[k]);
			if (r->ts)
				values[2] = TimestampTzGetDatum(r->ts[k]);
			else
				nulls[2] = true;
			for (int c = 0; c < 5; c++)
				values[3 + c] = Float8GetDatum(r->fc[5 * k + c]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
}

/*
 * The trainer.  shard: called on a Citus worker for one shard's series by
 * mktdb._arima_forecast_shard (arima_dist.c): returns the model as bytea, stores nothing.
 */
static Datum
arima_forecast(FunctionCallInfo fcinfo, bool shard)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *model,
			   *source,
			   *time_col,
			   *value_col;
	char	  **groups = NULL;
	int			ngroups = 0;
	ArimaRequest rq;
	MemoryContext train_cxt,
				old;
	SeriesData	sd;
	TimeStep	st;
	int			period;
	MkTime		t0 = mk_now();
	int64		longest = 1,
				total_missing = 0;
	ArimaSeriesRec *recs;
	int			nfb[ARIMA_FB_FAILED_MEAN + 1] = {0};
	int			not_converged = 0;
	AutoCounts	ac;
	double	   *work;
	MkWriter	w;
	MkJson		js;
	int32		version;
	double		train_ms;

	memset(&ac, 0, sizeof(ac));

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
	rq.horizon = PG_GETARG_INT32(5);
	if (rq.horizon < 1 || rq.horizon > MAX_HORIZON)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("horizon must be between 1 and %d, not %d", MAX_HORIZON, rq.horizon)));
	rq.period = PG_ARGISNULL(6) ? 0 : PG_GETARG_INT32(6);
	if (!PG_ARGISNULL(6) && (rq.period < 1 || rq.period > MAX_PERIOD))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("period must be between 1 and %d, not %d", MAX_PERIOD, rq.period),
				 errhint("Leave it NULL to infer it from the spacing of the time column.")));
	rq.auto_order = PG_ARGISNULL(7);
	rq.auto_seasonal = PG_ARGISNULL(8);
	if (!rq.auto_order)
		int_triple(PG_GETARG_ARRAYTYPE_P(7), "pdq", rq.order);
	if (!rq.auto_seasonal)
		int_triple(PG_GETARG_ARRAYTYPE_P(8), "seasonal_pdq", rq.sorder);
	check_orders(&rq);
	if (rq.period > 0 && !rq.auto_order && !rq.auto_seasonal)
		check_model_size(&rq, rq.period, 1);

	/*
	 * pdq NULL: automatic selection of every order (forecast::auto.arima), so seasonal_pdq
	 * must be NULL too.  pdq given and seasonal_pdq NULL: no seasonal part, as R's arima()
	 * defaults to seasonal = c(0, 0, 0).
	 */
	if (rq.auto_order && !rq.auto_seasonal)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("seasonal_pdq must be NULL when pdq is NULL (automatic order selection)"),
				 errhint("Leave both NULL to choose every order per series, or give pdq as well.")));
	if (rq.auto_order)
		rq.order[0] = rq.order[1] = rq.order[2] = 0;
	if (rq.auto_seasonal)
		rq.sorder[0] = rq.sorder[1] = rq.sorder[2] = 0;

	/* a Citus table distributed by a group column: each worker fits its own series */
	if (!shard && arima_on_shards(fcinfo, source, groups, ngroups))
		return (Datum) 0;

	/* forecasts go back as rows; check the call context before reading anything */
	if (!shard)
		InitMaterializedSRF(fcinfo, 0);

	train_cxt = AllocSetContextCreate(CurrentMemoryContext, "mktdb arima", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(train_cxt);

	/* ---- data ---- */
	read_series(source, time_col, value_col, groups, ngroups, &sd, train_cxt);
	st = infer_step(&sd, train_cxt);
	period = rq.period > 0 ? rq.period : (st.known ? st.period : 1);
	if (sd.time_type == INT2OID || sd.time_type == INT4OID || sd.time_type == INT8OID)
		period = rq.period > 0 ? rq.period : 1;

	/* period indexes: duplicates are an error, gaps become missing values */
	{
		int64	   *idx = MemoryContextAllocHuge(train_cxt, Max(sd.nrows, 1) * sizeof(int64));

		for (int s = 0; s < sd.nseries; s++)
		{
			int64		first = sd.start[s];

			for (int64 i = first; i < sd.start[s + 1]; i++)
			{
				idx[i] = st.known ? period_index(&sd, &st, first, i) : i - first;
				if (i > first && idx[i] == idx[i - 1])
					ereport(ERROR,
							(errcode(ERRCODE_CARDINALITY_VIOLATION),
							 st.months == 0 && st.usecs == 1
							 ? errmsg("series %s has more than one row at index %s",
									  sd.key[s], time_text(sd.t[i], sd.time_type))
							 : errmsg("series %s has more than one row in the period of %s (%s spacing)",
									  sd.key[s], time_text(sd.t[i], sd.time_type), st.name),
							 errhint("Aggregate the source first, e.g. SELECT day, sum(units) ... GROUP BY day.")));
			}
			if (sd.start[s + 1] > first)
			{
				int64		len = idx[sd.start[s + 1] - 1] + 1;

				if (len > MAX_SERIES_PERIODS)
					ereport(ERROR,
							(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
							 errmsg("series %s spans %lld %s periods, more than %d",
									sd.key[s], (long long) len, st.name, MAX_SERIES_PERIODS)));
				longest = Max(longest, len);
			}
		}
		if (!rq.auto_order)
			check_model_size(&rq, period, longest);
		else if (autoarima_work_doubles((int) Min(longest, INT_MAX), period) > MAX_WORK_DOUBLES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("automatic order selection for period %d and %lld periods needs too much memory",
							period, (long long) longest),
					 errhint("Use a shorter period or give the orders.")));

		/*
		 * ---- fit every series: pure C on mk_thread_count() threads, no PostgreSQL call until
		 * they are all done; they poll the backend's cancel flag ----
		 */
		{
			ArimaSpec	spec = {rq.order[0], rq.order[1], rq.order[2], rq.sorder[0], rq.sorder[1],
			rq.sorder[2], period, (rq.order[1] + rq.sorder[1]) == 0, ARIMA_ML, 0, 0, 0, 0};
			int			nthreads = Min(mk_thread_count(), Max(sd.nseries, 1));
			size_t		per_thread = rq.auto_order ? autoarima_work_doubles((int) longest, period)
				: arima_work_doubles(&spec, (int) longest);
			AutoArimaOptions aopt = {period};
			AutoArimaInfo *infos = NULL;
			void	  **extras = NULL;
			ArimaBatchItem *items;
			int64		total_len = 0;
			double	   *ybuf,
					   *fcbuf;

			for (int s = 0; s < sd.nseries; s++)
				if (sd.start[s + 1] > sd.start[s])
					total_len += idx[sd.start[s + 1] - 1] + 1;
			items = MemoryContextAllocHuge(train_cxt, Max(sd.nseries, 1) * sizeof(ArimaBatchItem));
			ybuf = MemoryContextAllocHuge(train_cxt, Max(total_len, 1) * sizeof(double));
			fcbuf = MemoryContextAllocHuge(train_cxt, (size_t) Max(sd.nseries, 1) * 2 * rq.horizon * sizeof(double));
			work = MemoryContextAllocHuge(train_cxt, (size_t) nthreads * per_thread * sizeof(double));
			recs = MemoryContextAllocHuge(train_cxt, Max(sd.nseries, 1) * sizeof(ArimaSeriesRec));

			/* the series on their period grid: gaps and NULLs are NaN */
			total_len = 0;
			for (int s = 0; s < sd.nseries; s++)
			{
				ArimaBatchItem *it = &items[s];
				int64		first = sd.start[s],
							last = sd.start[s + 1] - 1;
				double	   *y = ybuf + total_len;

				memset(it, 0, sizeof(*it));
				it->n = last >= first ? (int) (idx[last] + 1) : 0;
				for (int k = 0; k < it->n; k++)
					y[k] = NAN;
				for (int64 i = first; i <= last; i++)
					y[idx[i]] = sd.v[i];
				for (int k = 0; k < it->n; k++)
					total_missing += isnan(y[k]);
				it->y = y;
				it->fc_mean = fcbuf + (size_t) s * 2 * rq.horizon;
				it->fc_se = it->fc_mean + rq.horizon;
				total_len += it->n;
				if ((s & 1023) == 0)
					CHECK_FOR_INTERRUPTS();
			}

			if (rq.auto_order)
			{
				infos = MemoryContextAllocHuge(train_cxt, Max(sd.nseries, 1) * sizeof(AutoArimaInfo));
				extras = MemoryContextAllocHuge(train_cxt, Max(sd.nseries, 1) * sizeof(void *));
				for (int s = 0; s < sd.nseries; s++)
				{
					infos[s].trace = NULL;
					extras[s] = &infos[s];
				}
			}
			/* stopped by a cancel or a terminate request (pg_terminate_backend, fast shutdown) */
			if (arima_run_batch_poll(items, sd.nseries, rq.auto_order ? autoarima_fit_series : NULL,
									 rq.auto_order ? (const void *) &aopt : (const void *) &spec, extras,
									 rq.horizon, nthreads, work, per_thread, mk_cancel_poll, NULL) == ARIMA_ECANCEL)
			{
				CHECK_FOR_INTERRUPTS();
				ereport(ERROR,
						(errcode(ERRCODE_QUERY_CANCELED),
						 errmsg("canceling statement due to user request")));
			}

			for (int s = 0; s < sd.nseries; s++)
			{
				ArimaSeriesRec *r = &recs[s];
				ArimaResult *res = &items[s].res;
				int64		first = sd.start[s],
							last = sd.start[s + 1] - 1;
				const double *mean = items[s].fc_mean,
						   *se = items[s].fc_se;

				if ((s & 1023) == 0)
					CHECK_FOR_INTERRUPTS();
				memset(r, 0, sizeof(*r));
				r->series = sd.key[s];
				nfb[res->fallback]++;
				if (res->optim_code != 0)
					not_converged++;
				r->ord[0] = res->spec.p;
				r->ord[1] = res->spec.d;
				r->ord[2] = res->spec.q;
				r->ord[3] = res->spec.P;
				r->ord[4] = res->spec.D;
				r->ord[5] = res->spec.Q;
				r->ord[6] = res->spec.s;
				r->ord[7] = res->spec.include_drift ? 2 : res->spec.include_mean ? 1 : 0;
				r->ncoef = res->ncoef;
				r->coef = palloc(Max(res->ncoef, 1) * sizeof(double));
				r->se = palloc(Max(res->ncoef, 1) * sizeof(double));
				memcpy(r->coef, res->coef, res->ncoef * sizeof(double));
				memcpy(r->se, res->se, res->ncoef * sizeof(double));
				r->stats[0] = res->sigma2;
				r->stats[1] = res->loglik;
				r->stats[2] = res->aic;
				r->stats[3] = res->aicc;
				r->stats[4] = rq.auto_order ? infos[s].mase_scale
					: autoarima_mase_scale(items[s].y, items[s].n, period);
				if (rq.auto_order)
					auto_count(&ac, res, &infos[s], train_cxt);
				r->ints[0] = items[s].n;
				r->ints[1] = res->n_used;
				r->ints[2] = res->fallback;
				r->ints[3] = res->optim_code;
				r->fallback = (char *) arima_fallback_text(res->fallback);
				r->steps = palloc(rq.horizon * sizeof(int64));
				r->fc = palloc((size_t) 5 * rq.horizon * sizeof(double));
				r->ts = (sd.time_type == INT2OID || sd.time_type == INT4OID || sd.time_type == INT8OID || !st.known)
					? NULL : palloc(rq.horizon * sizeof(int64));
				for (int k = 0; k < rq.horizon; k++)
				{
					r->steps[k] = k + 1;
					if (r->ts == NULL && st.known && last >= first)
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
					/* only "no data: no forecast" has no numbers; anything else not finite is a
					 * numerical failure, never a silently missing row */
					if (res->fallback != ARIMA_FB_NO_DATA && (!isfinite(mean[k]) || isnan(se[k])))
						ereport(ERROR,
								(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
								 errmsg("forecast %d of series %s is not finite (mean %g, standard error %g)",
										k + 1, r->series, mean[k], se[k]),
								 errhint("Values this large or small overflow the fit; rescale the value column.")));
					r->fc[5 * k] = mean[k];
					r->fc[5 * k + 1] = mean[k] - Z80 * se[k];
					r->fc[5 * k + 2] = mean[k] + Z80 * se[k];
					r->fc[5 * k + 3] = mean[k] - Z95 * se[k];
					r->fc[5 * k + 4] = mean[k] + Z95 * se[k];
				}
				/* the recent history, for charts: times of the period grid */
				{
					int			h0 = mk_history_keep(&r->hist, items[s].y, items[s].n, period);

					for (int k = 0; k < r->hist.n; k++)
						r->hist.t[k] = (sd.time_type == INT2OID || sd.time_type == INT4OID || sd.time_type == INT8OID)
							? sd.t[first] + h0 + k
							: DatumGetTimestampTz(time_after(sd.t[first], sd.time_type, &st, h0 + k));
				}
			}
		}
	}
	train_ms = mk_ms_since(t0);

	/* no series has a value: store nothing (an empty version would replace the last good one) */
	if (sd.nseries == nfb[ARIMA_FB_NO_DATA])
	{
		ereport(NOTICE,
				(errmsg("no series has a value: no model version stored")));
		MemoryContextSwitchTo(old);
		MemoryContextDelete(train_cxt);
		return (Datum) 0;
	}

	/* ---- one model version holds everything ---- */
	mk_writer_init(&w);
	mk_put_i32(&w, ARIMA_BLOB_VERSION);
	mk_put_i32(&w, rq.horizon);
	mk_put_i32(&w, (sd.time_type == INT2OID || sd.time_type == INT4OID || sd.time_type == INT8OID) ? TK_INTEGER : TK_TIME);
	mk_put_i32(&w, period);
	mk_put_i64(&w, sd.nseries);
	for (int s = 0; s < sd.nseries; s++)
	{
		put_series(&w, &recs[s], rq.horizon);
		if ((s & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	if (shard)
	{
		bytea	   *blob = mk_writer_finish(&w, MKF_KIND_ARIMA);

		MemoryContextSwitchTo(old);
		blob = (bytea *) PG_DETOAST_DATUM_COPY(PointerGetDatum(blob));
		MemoryContextDelete(train_cxt);
		PG_RETURN_BYTEA_P(blob);
	}

	arima_spec_json(&js, fcinfo);
	{
		char	   *spec_text = mk_json_end(&js);
		char	   *metrics_text;

		mk_json_begin(&js);
		mk_json_key(&js, "series");
		mk_json_int(&js, sd.nseries);
		mk_json_key(&js, "period");
		mk_json_int(&js, period);
		mk_json_key(&js, "spacing");
		mk_json_str(&js, st.name);
		arima_fallbacks_json(&js, nfb);
		if (rq.auto_order)
		{
			/* series per chosen model, most frequent first */
			mk_json_key(&js, "selection");
			mk_json_str(&js, "auto.arima");
			mk_json_key(&js, "orders");
			mk_json_obj_open(&js);
			for (int i = 0; i < ac.nlabels; i++)
				for (int j = i + 1; j < ac.nlabels; j++)
					if (ac.count[j] > ac.count[i] ||
						(ac.count[j] == ac.count[i] && strcmp(ac.label[j], ac.label[i]) < 0))
					{
						char	   *tl = ac.label[i];
						int			tc = ac.count[i];

						ac.label[i] = ac.label[j];
						ac.count[i] = ac.count[j];
						ac.label[j] = tl;
						ac.count[j] = tc;
					}
			for (int i = 0; i < ac.nlabels; i++)
			{
				mk_json_key(&js, ac.label[i]);
				mk_json_int(&js, ac.count[i]);
			}
			mk_json_obj_close(&js);
			mk_json_key(&js, "approximated");
			mk_json_int(&js, ac.approximated);
			mk_json_key(&js, "models_tried");
			mk_json_int(&js, ac.models_tried);
			mk_json_key(&js, "exact_refits");
			mk_json_int(&js, ac.refits);
		}
		mk_json_key(&js, "not_converged");
		mk_json_int(&js, not_converged);
		mk_json_key(&js, "missing_values");
		mk_json_int(&js, total_missing);
		mk_json_key(&js, "skipped_rows");
		mk_json_int(&js, sd.skipped);
		mk_json_key(&js, "fit_ms");
		mk_json_num(&js, train_ms);
		mk_json_key(&js, "path");	/* the rows were read here (arima_dist.c: "pushdown") */
		mk_json_str(&js, "local");
		metrics_text = mk_json_end(&js);

		mk_store_model(model, "arima", spec_text, metrics_text, sd.nrows + sd.skipped, train_ms,
					   mk_writer_finish(&w, MKF_KIND_ARIMA), &version);
	}

	/* ---- the forecasts as rows ---- */
	MemoryContextSwitchTo(old);
	arima_put_rows(rsinfo, recs, sd.nseries, rq.horizon);
	MemoryContextDelete(train_cxt);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(mktdb_arima_forecast);
Datum
mktdb_arima_forecast(PG_FUNCTION_ARGS)
{
	return arima_forecast(fcinfo, false);
}

/* mktdb._arima_forecast_shard(same arguments) RETURNS bytea: one shard's fits, not stored */
PG_FUNCTION_INFO_V1(mktdb_arima_forecast_shard);
Datum
mktdb_arima_forecast_shard(PG_FUNCTION_ARGS)
{
	return arima_forecast(fcinfo, true);
}

/* ---------- readers behind the views ---------- */

/*
 * names whose newest version visible to the caller (row security applies) is an arima or
 * forecast model, or just the one given
 */
static List *
model_names(text *arg)
{
	List	   *names = NIL;
	MemoryContext caller = CurrentMemoryContext;

	if (arg != NULL)
		return list_make1(text_to_cstring(arg));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute("SELECT name FROM (SELECT DISTINCT ON (name) name, kind FROM mktdb.model "
					"ORDER BY name, version DESC) n WHERE kind IN ('arima', 'forecast') ORDER BY name", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading mktdb.model failed");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		char	   *nm = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		MemoryContext o = MemoryContextSwitchTo(caller);

		names = lappend(names, pstrdup(nm));
		MemoryContextSwitchTo(o);
	}
	SPI_finish();
	return names;
}

PG_FUNCTION_INFO_V1(mktdb_arima_forecast_rows);
Datum
mktdb_arima_forecast_rows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	List	   *names;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	names = model_names(PG_ARGISNULL(0) ? NULL : PG_GETARG_TEXT_PP(0));
	foreach(lc, names)
	{
		MkModelInfo info;
		ArimaModel *m;
		Datum		name;
		int32		ver;
		char	   *nm = mk_parse_model_ref((char *) lfirst(lc), &ver);

		/* mktdb.forecast's models (kind forecast) are read by forecast_sql.c */
		mk_lookup_model(nm, ver, NULL, &info);
		if (strcmp(info.kind, "forecast") == 0)
		{
			forecast_put_rows((char *) lfirst(lc), rsinfo);
			continue;
		}
		m = mk_model_get((char *) lfirst(lc), "arima", arima_decode, &info);
		name = CStringGetTextDatum(info.name);
		for (int64 s = 0; s < m->nseries; s++)
		{
			ArimaSeriesRec *r = &m->s[s];
			Datum		series = jsonb_from_text(r->series);

			CHECK_FOR_INTERRUPTS();
			for (int k = 0; k < m->horizon; k++)
			{
				Datum		values[10];
				bool		nulls[10] = {false};

				if (r->ints[2] == ARIMA_FB_NO_DATA)
					continue;	/* documented: fallback "no data: no forecast" */
				values[0] = name;
				values[1] = Int32GetDatum(info.version);
				values[2] = series;
				values[3] = Int32GetDatum((int32) r->steps[k]);
				if (r->ts)
					values[4] = TimestampTzGetDatum(r->ts[k]);
				else
					nulls[4] = true;
				for (int c = 0; c < 5; c++)
					values[5 + c] = Float8GetDatum(r->fc[5 * k + c]);
				tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			}
		}
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(mktdb_arima_model_rows);
Datum
mktdb_arima_model_rows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	List	   *names;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	names = model_names(PG_ARGISNULL(0) ? NULL : PG_GETARG_TEXT_PP(0));
	foreach(lc, names)
	{
		MkModelInfo info;
		ArimaModel *m = mk_model_get((char *) lfirst(lc), "arima", arima_decode, &info);
		Datum		name = CStringGetTextDatum(info.name);

		for (int64 s = 0; s < m->nseries; s++)
		{
			ArimaSeriesRec *r = &m->s[s];
			Datum		values[18];
			bool		nulls[18] = {false};

			CHECK_FOR_INTERRUPTS();
			values[0] = name;
			values[1] = Int32GetDatum(info.version);
			values[2] = jsonb_from_text(r->series);
			for (int c = 0; c < 7; c++)
				values[3 + c] = Int32GetDatum(r->ord[c]);
			values[10] = jsonb_from_text(coef_json(r));
			for (int c = 0; c < 3; c++)
			{
				double		v = r->stats[c == 0 ? 0 : c == 1 ? 1 : 3];	/* sigma2, loglik, aicc */

				if (isfinite(v))
					values[11 + c] = Float8GetDatum(v);
				else
					nulls[11 + c] = true;
			}
			values[14] = Int32GetDatum(r->ints[0]);
			if (r->fallback)
				values[15] = CStringGetTextDatum(r->fallback);
			else
				nulls[15] = true;
			/* R's optim code 0; NULL where no model was optimised (a fallback) */
			if (r->ints[2] == ARIMA_FB_NONE)
				values[16] = BoolGetDatum(r->ints[3] == 0);
			else
				nulls[16] = true;
			if (isfinite(r->stats[4]))
				values[17] = Float8GetDatum(r->stats[4]);
			else
				nulls[17] = true;
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}

/* ---------- for forecast_chart (chart_sql.c) ---------- */

int64
mk_arima_forecast_view(const char *name, const char *series_json, MkForecastView *v, const char **example)
{
	MkModelInfo info;
	ArimaModel *m = mk_model_get(name, "arima", arima_decode, &info);

	memset(v, 0, sizeof(*v));
	*example = m->nseries > 0 ? m->s[0].series : NULL;
	for (int64 s = 0; s < m->nseries; s++)
	{
		ArimaSeriesRec *r = &m->s[s];
		ArimaSpec	sp = {r->ord[0], r->ord[1], r->ord[2], r->ord[3], r->ord[4], r->ord[5], r->ord[6],
		r->ord[7] == 1, ARIMA_ML, r->ord[7] == 2, 0, 0, 0};

		if (strcmp(r->series, series_json) != 0 && !(m->nseries == 1 && strcmp(series_json, "{}") == 0))
			continue;
		v->series = r->series;
		order_label(v->description, sizeof v->description, &sp);
		v->fallback = r->fallback;
		v->horizon = m->horizon;
		v->time_axis = r->ts != NULL;
		v->x = r->ts ? r->ts : r->steps;
		v->fc = r->fc;
		v->has_history = m->fmt >= 3;
		v->hist = r->hist;
		break;
	}
	return m->nseries;
}

/*
 * forecast_series.c -- reading the series of a forecasting call (arima_forecast and forecast
 * share it, see forecast_series.h): one SPI cursor over the source ordered by the group columns
 * and time, its rows received straight from the executor (a DestReceiver) and keyed by series (the
 * JSON key built once per series), the time axis (step and seasonal period from the spacing), the
 * series put on their period grid, and the forecast steps, timestamps and recent history of each
 * series.
 *
 * Time axis: the spacing of the time column gives the step (hour, day, week, calendar month,
 * quarter, year, or any other fixed spacing) and the seasonal period (24, 7, 52, 12, 4, 1; 1
 * otherwise) unless `period` is given.  Missing periods inside a series and NULL values become
 * missing values (NaN on the grid); two rows of one series in the same period are an error.
 * Forecast timestamps continue from the last one by whole steps, so calendar months stay
 * month-aligned.
 */
#include "mktdb.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "tcop/pquery.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "forecast_series.h"

#define MAX_SERIES_PERIODS 1000000

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
 * The series key: jsonb_build_object(group name, group value, ...)::text as the server would
 * compute it in the query (the same function, so numbers stay numbers), called once per series.
 */
typedef struct SeriesKeyer
{
	int			ngroups;
	FmgrInfo	flinfo;
	FunctionCallInfo fcinfo;
	Datum	   *prev;			/* the current series' group values (copies in cxt) */
	bool	   *prev_null;
	Form_pg_attribute *att;
	MemoryContext cxt;
} SeriesKeyer;

static void
keyer_init(SeriesKeyer *k, char **groups, int ngroups, TupleDesc td, int first_att)
{
	List	   *args = NIL;

	k->ngroups = ngroups;
	k->att = palloc(Max(ngroups, 1) * sizeof(Form_pg_attribute));
	k->prev = palloc0(Max(ngroups, 1) * sizeof(Datum));
	k->prev_null = palloc0(Max(ngroups, 1) * sizeof(bool));
	k->cxt = AllocSetContextCreate(CurrentMemoryContext, "series key", ALLOCSET_SMALL_SIZES);
	if (ngroups == 0)
		return;
	for (int i = 0; i < ngroups; i++)
	{
		Form_pg_attribute a = TupleDescAttr(td, first_att + i);

		k->att[i] = a;
		args = lappend(args, makeNullConst(TEXTOID, -1, DEFAULT_COLLATION_OID));
		args = lappend(args, makeNullConst(a->atttypid, a->atttypmod, a->attcollation));
	}
	/* jsonb_build_object reads its arguments' types from the call expression */
	fmgr_info(F_JSONB_BUILD_OBJECT_ANY, &k->flinfo);
	fmgr_info_set_expr((Node *) makeFuncExpr(F_JSONB_BUILD_OBJECT_ANY, JSONBOID, args, InvalidOid,
											 InvalidOid, COERCE_EXPLICIT_CALL), &k->flinfo);
	k->fcinfo = palloc0(SizeForFunctionCallInfo(2 * ngroups));
	InitFunctionCallInfoData(*k->fcinfo, &k->flinfo, 2 * ngroups, InvalidOid, NULL, NULL);
	for (int i = 0; i < ngroups; i++)
	{
		k->fcinfo->args[2 * i].value = CStringGetTextDatum(groups[i]);
		k->fcinfo->args[2 * i].isnull = false;
	}
}

/* whether a row's group values are the current series' (the same stored image) */
static bool
keyer_same(const SeriesKeyer *k, const Datum *v, const bool *null)
{
	for (int i = 0; i < k->ngroups; i++)
	{
		if (null[i] != k->prev_null[i])
			return false;
		if (!null[i] && !datum_image_eq(v[i], k->prev[i], k->att[i]->attbyval, k->att[i]->attlen))
			return false;
	}
	return true;
}

/* keeps a row's group values as the current series' and returns its key text (palloc'd) */
static char *
keyer_key(SeriesKeyer *k, const Datum *v, const bool *null)
{
	MemoryContext old;
	Datum		js;

	if (k->ngroups == 0)
		return pstrdup("{}");
	MemoryContextReset(k->cxt);
	old = MemoryContextSwitchTo(k->cxt);
	for (int i = 0; i < k->ngroups; i++)
	{
		k->prev_null[i] = null[i];
		k->prev[i] = null[i] ? (Datum) 0 : datumCopy(v[i], k->att[i]->attbyval, k->att[i]->attlen);
		k->fcinfo->args[2 * i + 1].value = k->prev[i];
		k->fcinfo->args[2 * i + 1].isnull = null[i];
	}
	k->fcinfo->isnull = false;
	js = FunctionCallInvoke(k->fcinfo);
	MemoryContextSwitchTo(old);
	return DatumGetCString(DirectFunctionCall1(jsonb_out, js));
}

/* the receiver of the reading cursor's rows: time, value, group values */
typedef struct SeriesReader
{
	DestReceiver pub;
	SeriesData *sd;
	SeriesKeyer *keyer;
	MemoryContext cxt;
	Oid			ttype,
				vtype;
} SeriesReader;

static bool
reader_receive(TupleTableSlot *slot, DestReceiver *self)
{
	SeriesReader *rd = (SeriesReader *) self;
	SeriesData *sd = rd->sd;
	Datum	   *vals;
	bool	   *nulls,
				ok;
	int64		t;
	double		v;

	slot_getallattrs(slot);
	vals = slot->tts_values;
	nulls = slot->tts_isnull;
	if (sd->nseries == 0 || !keyer_same(rd->keyer, vals + 2, nulls + 2))
	{
		char	   *key = keyer_key(rd->keyer, vals + 2, nulls + 2);

		/* group values of another image may still print as the same key: one series */
		if (sd->nseries == 0 || strcmp(sd->key[sd->nseries - 1], key) != 0)
			add_series(sd, rd->cxt, key);
		pfree(key);
	}
	if (nulls[0])
	{
		sd->skipped++;
		return true;
	}
	t = time_value(vals[0], rd->ttype, &ok);
	if (!ok)
	{
		sd->skipped++;
		return true;
	}
	v = nulls[1] ? NAN : mk_numeric_to_f64(vals[1], rd->vtype);
	if (!isfinite(v))
		v = NAN;
	add_row(sd, rd->cxt, t, v);
	sd->start[sd->nseries] = sd->nrows;
	return true;
}

/*
 * One cursor over the source ordered by the group columns, then time: each row's time, value and
 * group values; the series key is built when the group values change (rows arrive series after
 * series), so a row costs a comparison of its group values with the previous row's.
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
	SeriesKeyer keyer;
	SeriesReader rd;

	initStringInfo(&q);
	appendStringInfo(&q, "SELECT %s, %s", tq, vq);
	for (int i = 0; i < ngroups; i++)
		appendStringInfo(&q, ", %s", mk_column(groups[i], "group_columns element"));
	appendStringInfo(&q, " FROM %s ORDER BY ", from);
	for (int i = 0; i < ngroups; i++)
		appendStringInfo(&q, "%d, ", i + 3);
	appendStringInfoString(&q, "1");

	memset(sd, 0, sizeof(*sd));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	mk_cursor_open(&c, q.data, 0, NULL, NULL);

	ttype = getBaseType(TupleDescAttr(c.tupdesc, 0)->atttypid);
	if (ttype != DATEOID && ttype != TIMESTAMPOID && ttype != TIMESTAMPTZOID &&
		ttype != INT2OID && ttype != INT4OID && ttype != INT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("time_column \"%s\" is of type %s, not a date, timestamp, timestamptz or integer",
						time_col, format_type_be(ttype)),
				 errhint("Cast it in a query source, e.g. SELECT day::date AS day, ...")));
	mk_require_numeric(c.tupdesc, 2, psprintf("value_column \"%s\"", value_col));
	vtype = getBaseType(TupleDescAttr(c.tupdesc, 1)->atttypid);
	sd->time_type = ttype;
	keyer_init(&keyer, groups, ngroups, c.tupdesc, 2);

	/* the rows go straight from the executor's slot to the series (no SPI tuple table copies) */
	mk_dest_init(&rd.pub, reader_receive, NULL, NULL);
	rd.sd = sd;
	rd.keyer = &keyer;
	rd.cxt = cxt;
	rd.ttype = ttype;
	rd.vtype = vtype;
	do
		CHECK_FOR_INTERRUPTS();
	while (PortalRunFetch(c.portal, FETCH_FORWARD, 10000, &rd.pub) > 0);
	mk_cursor_close(&c);
	MemoryContextDelete(keyer.cxt);
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

Datum
jsonb_from_text(const char *s)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(s));
}

/* ---------- the period grid ---------- */

bool
integer_time(Oid t)
{
	return t == INT2OID || t == INT4OID || t == INT8OID;
}

/*
 * Reads the series of a call and puts them on their period grid (see forecast_series.h).
 * Two rows of a series in one period are an error.
 */
void
series_grid_read(SeriesGrid *g, const char *source, const char *time_col, const char *value_col,
				 char **groups, int ngroups, int req_period, bool index_wording, MemoryContext cxt)
{
	SeriesData *sd = &g->sd;
	int64	   *idx;

	read_series(source, time_col, value_col, groups, ngroups, sd, cxt);
	g->itime = integer_time(sd->time_type);
	g->st = infer_step(sd, cxt);
	g->period = req_period > 0 ? req_period : (!g->itime && g->st.known ? g->st.period : 1);

	idx = MemoryContextAllocHuge(cxt, Max(sd->nrows, 1) * sizeof(int64));
	g->off = MemoryContextAllocHuge(cxt, (sd->nseries + 1) * sizeof(int64));
	g->longest = 1;
	g->missing = 0;
	g->off[0] = 0;
	for (int s = 0; s < sd->nseries; s++)
	{
		int64		first = sd->start[s],
					len = 0;

		for (int64 i = first; i < sd->start[s + 1]; i++)
		{
			idx[i] = g->st.known ? period_index(sd, &g->st, first, i) : i - first;
			if (i > first && idx[i] == idx[i - 1])
				ereport(ERROR,
						(errcode(ERRCODE_CARDINALITY_VIOLATION),
						 index_wording && g->itime
						 ? errmsg("series %s has more than one row at index %s",
								  sd->key[s], time_text(sd->t[i], sd->time_type))
						 : errmsg("series %s has more than one row in the period of %s (%s spacing)",
								  sd->key[s], time_text(sd->t[i], sd->time_type), g->st.name),
						 errhint("Aggregate the source first, e.g. SELECT day, sum(units) ... GROUP BY day.")));
		}
		if (sd->start[s + 1] > first)
			len = idx[sd->start[s + 1] - 1] + 1;
		if (len > MAX_SERIES_PERIODS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("series %s spans %lld %s periods, more than %d",
							sd->key[s], (long long) len, g->st.name, MAX_SERIES_PERIODS)));
		g->longest = Max(g->longest, len);
		g->off[s + 1] = g->off[s] + len;
	}

	/* gaps and NULLs are NaN */
	g->y = MemoryContextAllocHuge(cxt, Max(g->off[sd->nseries], 1) * sizeof(double));
	for (int s = 0; s < sd->nseries; s++)
	{
		for (int64 k = g->off[s]; k < g->off[s + 1]; k++)
			g->y[k] = NAN;
		for (int64 i = sd->start[s]; i < sd->start[s + 1]; i++)
			g->y[g->off[s] + idx[i]] = sd->v[i];
		for (int64 k = g->off[s]; k < g->off[s + 1]; k++)
			g->missing += isnan(g->y[k]);
		if ((s & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	pfree(idx);
}

/*
 * The forecast steps of series s (1..horizon, or on from the last integer index) and their
 * timestamps (*ts NULL for an integer index or an unknown spacing), palloc'd.
 */
void
series_grid_steps(const SeriesGrid *g, int s, int horizon, int64 **steps, int64 **ts)
{
	const SeriesData *sd = &g->sd;
	int64		first = sd->start[s],
				last = sd->start[s + 1] - 1;

	*steps = palloc(horizon * sizeof(int64));
	*ts = (g->itime || !g->st.known) ? NULL : palloc0(horizon * sizeof(int64));
	for (int k = 0; k < horizon; k++)
	{
		(*steps)[k] = k + 1;
		if (g->itime && last >= first)
		{
			/* integer index: the step counts on from the last index */
			if (sd->t[last] + k + 1 > PG_INT32_MAX || sd->t[last] + k + 1 < PG_INT32_MIN)
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("time index " INT64_FORMAT " of series %s is out of range for the step column",
								sd->t[last], sd->key[s])));
			(*steps)[k] = sd->t[last] + k + 1;
		}
		if (*ts && last >= first)
			(*ts)[k] = DatumGetTimestampTz(time_after(sd->t[last], sd->time_type, &g->st, k + 1));
	}
}

/*
 * The recent history of series s, for charts: the last points of its grid and their times, on
 * the scale of the forecast's x (timestamps, the integer index, or steps ending at 0 where the
 * forecasts have neither).
 */
void
series_grid_history(const SeriesGrid *g, int s, MkSeriesHistory *h)
{
	const SeriesData *sd = &g->sd;
	int			n = (int) (g->off[s + 1] - g->off[s]);
	int			h0 = mk_history_keep(h, g->y + g->off[s], n, g->period);

	for (int k = 0; k < h->n; k++)
		h->t[k] = g->itime ? sd->t[sd->start[s]] + h0 + k
			: !g->st.known ? h0 + k - (n - 1)
			: DatumGetTimestampTz(time_after(sd->t[sd->start[s]], sd->time_type, &g->st, h0 + k));
}

/*
 * rfm_sql.c -- SQL glue of RFM scoring, training: mktdb.rfm_score and mktdb._rfm_train (the
 * retrain entry point's worker): arguments, reading the source through rfm_input.c's
 * DestReceiver (or, on Citus, per-customer summaries grouped on the workers), ranking and
 * thresholds (core/rfm.c), metrics, and storing the model (its bytes: rfm_model.c).
 */
#include "rfm_int.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "core/rfm.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "tcop/dest.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(mktdb_rfm_score);
PG_FUNCTION_INFO_V1(mktdb_rfm_train);

/* ---------- arguments ---------- */

typedef struct RfmArgs
{
	char	   *model;
	char	   *source;
	char	   *customer_column;
	char	   *date_column;
	char	   *amount_column;
	bool		has_as_of;
	TimestampTz as_of;
	int			bins;
} RfmArgs;

/* every check that needs no data, before any work */
static void
rfm_get_args(FunctionCallInfo fcinfo, RfmArgs *a)
{
	a->model = mk_arg_text(fcinfo, 0, "model");
	a->source = mk_arg_text(fcinfo, 1, "source");
	a->customer_column = mk_arg_text(fcinfo, 2, "customer_column");
	a->date_column = mk_arg_text(fcinfo, 3, "date_column");
	a->amount_column = mk_arg_text(fcinfo, 4, "amount_column");
	a->has_as_of = !PG_ARGISNULL(5);
	a->as_of = a->has_as_of ? PG_GETARG_TIMESTAMPTZ(5) : 0;
	if (PG_ARGISNULL(6))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("bins must not be NULL")));
	a->bins = PG_GETARG_INT32(6);
	mk_check_can_store(a->model, "rfm");
	if (a->bins < RFM_MIN_BINS || a->bins > RFM_MAX_BINS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bins must be between %d and %d, not %d", RFM_MIN_BINS, RFM_MAX_BINS, a->bins),
				 errhint("bins is the number of score levels; 5 is the usual choice.")));
	if (a->has_as_of && TIMESTAMP_NOT_FINITE(a->as_of))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be a finite timestamp")));
	(void) mk_column(a->customer_column, "customer_column");
	(void) mk_column(a->date_column, "date_column");
	(void) mk_column(a->amount_column, "amount_column");
}

/* ---------- training ---------- */

/* One scored customer table, in the training context. */
typedef struct RfmFit
{
	int64		n;
	int			bins;
	DateADT		as_of_day;
	bool		int_keys;
	RfmSlot   **cust;			/* n slots of the table */
	const char *arena;
	bool		numeric_mode;
	int32	   *recency;
	double	   *monetary;
	int32	   *r,
			   *f,
			   *m;
	int64	   *r_thr;			/* negated recency days: r >= s when -recency >= r_thr[s-2] */
	int64	   *f_thr;
	double	   *m_thr;
	char	  **m_thr_text;		/* exact */
	int64		rows_used;
	int32		version;
	double		train_ms;
	bool		pushdown;		/* per-customer summaries computed where the rows are (Citus) */
	char	   *dist_column;	/* the source's Citus distribution column, or NULL */
} RfmFit;

/*
 * On a Citus distributed table (or with mktdb.pushdown = 'always') the workers
 * group the orders: one row per customer (newest day, exact numeric sum, count)
 * comes back instead of every order; a one-row aggregate counts the skipped rows.
 * Grouping by the customer column is pushed down whole when the table is
 * distributed by it, and as partial aggregates otherwise.
 */
static char *
rfm_grouped_query(RfmReceiver *rc, const char *from, const char *ccol, const char *dcol, const char *acol,
				  Oid dtype)
{
	char	   *day = psprintf("(%s)%s", dcol, dtype == DATEOID ? "" : "::date");
	char	   *after = rc->has_cut ? psprintf("%s > %d::pg_catalog.int4 + '2000-01-01'::pg_catalog.date", day,
												(int) rc->cut) : "false";

	if (SPI_execute(psprintf("SELECT count(*) FILTER (WHERE %s IS NULL), "
							 "count(*) FILTER (WHERE %s IS NOT NULL AND %s IS NULL), "
							 "count(*) FILTER (WHERE %s IS NOT NULL AND %s IS NOT NULL AND %s), "
							 "count(*) FILTER (WHERE %s IS NOT NULL AND %s IS NOT NULL AND NOT %s AND %s IS NULL) "
							 "FROM %s", ccol, ccol, dcol, ccol, dcol, after, ccol, dcol, after, acol, from),
					true, 0) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "counting the source's rows failed");
	{
		HeapTuple	t = SPI_tuptable->vals[0];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;

		rc->null_customer = DatumGetInt64(SPI_getbinval(t, td, 1, &isnull));
		rc->null_date = DatumGetInt64(SPI_getbinval(t, td, 2, &isnull));
		rc->after_cut = DatumGetInt64(SPI_getbinval(t, td, 3, &isnull));
		rc->null_amount = DatumGetInt64(SPI_getbinval(t, td, 4, &isnull));
	}
	rc->grouped = true;
	rc->amount_kind = AMT_NUMERIC;
	return psprintf("SELECT (%s)::%s, max(%s), sum((%s)::pg_catalog.numeric), count(*) FROM %s "
					"WHERE %s IS NOT NULL AND %s IS NOT NULL AND NOT %s GROUP BY %s",
					ccol, rc->int_keys ? "int8" : "text", day, acol, from, ccol, dcol, after, ccol);
}

static int
cmp_fixed(void *arg, int64_t i, int64_t j)
{
	RfmSlot   **c = arg;
	__int128	a = c[i]->sum.fixed;
	__int128	b = c[j]->sum.fixed;

	return (a > b) - (a < b);
}

static int
cmp_numeric(void *arg, int64_t i, int64_t j)
{
	RfmSlot   **c = arg;

	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, PointerGetDatum(c[i]->sum.ptr),
											 PointerGetDatum(c[j]->sum.ptr)));
}

static const char *
date_json(DateADT d, char *buf)
{
	return JsonEncodeDateTime(buf, DateADTGetDatum(d), DATEOID, NULL);
}

static char *
exact_text(RfmFit *fit, int64 i)
{
	char		buf[64];

	if (fit->numeric_mode)
		return DatumGetCString(DirectFunctionCall1(numeric_out, PointerGetDatum(fit->cust[i]->sum.ptr)));
	return pstrdup(rfm_fixed_to_text(fit->cust[i]->sum.fixed, buf));
}

static char *
rfm_spec_json(RfmArgs *a)
{
	MkJson		j;
	char		buf[MAXDATELEN + 1];

	mk_json_begin(&j);
	mk_json_purchase_source(&j, a->source, a->customer_column, a->date_column, a->amount_column);
	mk_json_key(&j, "as_of");
	if (a->has_as_of)
		mk_json_str(&j, JsonEncodeDateTime(buf, TimestampTzGetDatum(a->as_of), TIMESTAMPTZOID, NULL));
	else
		mk_json_null(&j);
	mk_json_key(&j, "bins");
	mk_json_int(&j, a->bins);
	return mk_json_end(&j);
}

static char *
rfm_metrics_json(RfmFit *fit, RfmReceiver *rc)
{
	MkJson		j;
	char		buf[MAXDATELEN + 1];
	int64		cnt[RFM_N_SEGMENTS] = {0};
	double		sum_r[RFM_N_SEGMENTS] = {0},
				sum_f[RFM_N_SEGMENTS] = {0},
				sum_m[RFM_N_SEGMENTS] = {0};

	int64		grid[5][5] = {{0}};	/* customers per cell of the R x FM grid (rfm_chart) */

	for (int64 i = 0; i < fit->n; i++)
	{
		int			r5 = rfm_to5(fit->r[i], fit->bins),
					fm5 = rfm_fm(rfm_to5(fit->f[i], fit->bins), rfm_to5(fit->m[i], fit->bins));
		int			seg = rfm_grid(r5, fm5);

		grid[r5 - 1][fm5 - 1]++;
		cnt[seg]++;
		sum_r[seg] += fit->recency[i];
		sum_f[seg] += (double) fit->cust[i]->count;
		sum_m[seg] += fit->monetary[i];
	}

	mk_json_begin(&j);
	mk_json_key(&j, "customers");
	mk_json_int(&j, fit->n);
	mk_json_key(&j, "rows_used");
	mk_json_int(&j, rc->rows_used);
	mk_json_key(&j, "skipped_rows");
	mk_json_int(&j, rc->null_customer + rc->null_date + rc->after_cut);
	mk_json_key(&j, "skipped_null_customer");
	mk_json_int(&j, rc->null_customer);
	mk_json_key(&j, "skipped_null_date");
	mk_json_int(&j, rc->null_date);
	mk_json_key(&j, "skipped_after_as_of");
	mk_json_int(&j, rc->after_cut);
	mk_json_key(&j, "null_amounts");
	mk_json_int(&j, rc->null_amount);
	mk_json_key(&j, "as_of");
	mk_json_str(&j, date_json(fit->as_of_day, buf));
	mk_json_key(&j, "bins");
	mk_json_int(&j, fit->bins);
	mk_json_key(&j, "arithmetic");
	mk_json_str(&j, fit->numeric_mode ? "numeric" : "fixed128");
	/* which path ran: orders read here, or per-customer summaries from the shards */
	mk_json_key(&j, "path");
	mk_json_str(&j, fit->pushdown ? "pushdown" : "local");
	if (fit->pushdown)
	{
		mk_json_key(&j, "citus_distributed_by");
		mk_json_str(&j, fit->dist_column);
	}

	mk_json_key(&j, "thresholds");
	mk_json_obj_open(&j);
	mk_json_key(&j, "recency_days");
	mk_json_arr_open(&j);
	for (int s = 0; s < fit->bins - 1; s++)
		mk_json_int(&j, -fit->r_thr[s]);
	mk_json_arr_close(&j);
	mk_json_key(&j, "frequency");
	mk_json_arr_open(&j);
	for (int s = 0; s < fit->bins - 1; s++)
		mk_json_int(&j, fit->f_thr[s]);
	mk_json_arr_close(&j);
	mk_json_key(&j, "monetary");
	mk_json_arr_open(&j);
	for (int s = 0; s < fit->bins - 1; s++)
		mk_json_raw(&j, fit->m_thr_text[s]);	/* exact decimal: valid JSON number */
	mk_json_arr_close(&j);
	mk_json_obj_close(&j);

	mk_json_key(&j, "grid");	/* [r - 1][fm - 1] */
	mk_json_arr_open(&j);
	for (int r = 0; r < 5; r++)
	{
		mk_json_arr_open(&j);
		for (int c = 0; c < 5; c++)
			mk_json_int(&j, grid[r][c]);
		mk_json_arr_close(&j);
	}
	mk_json_arr_close(&j);

	mk_json_key(&j, "segments");
	mk_json_arr_open(&j);
	for (int g = 0; g < RFM_N_SEGMENTS; g++)
	{
		if (cnt[g] == 0)
			continue;
		mk_json_obj_open(&j);
		mk_json_key(&j, "segment");
		mk_json_str(&j, rfm_segment_name(g));
		mk_json_key(&j, "customers");
		mk_json_int(&j, cnt[g]);
		mk_json_key(&j, "share");
		mk_json_num(&j, (double) cnt[g] / fit->n);
		mk_json_key(&j, "avg_recency_days");
		mk_json_num(&j, sum_r[g] / cnt[g]);
		mk_json_key(&j, "avg_frequency");
		mk_json_num(&j, sum_f[g] / cnt[g]);
		mk_json_key(&j, "avg_monetary");
		mk_json_num(&j, sum_m[g] / cnt[g]);
		mk_json_obj_close(&j);
	}
	mk_json_arr_close(&j);
	return mk_json_end(&j);
}

static bool
is_int_type(Oid t)
{
	return t == INT2OID || t == INT4OID || t == INT8OID;
}

/*
 * Reads, aggregates, scores and stores a new version; the customers stay in
 * *fit (allocated in CurrentMemoryContext) for rfm_score's rows.
 */
static void
rfm_train(RfmArgs *a, RfmFit *fit)
{
	MkTime		t0 = mk_now();
	const char *from = mk_source_from(a->source);
	const char *ccol = mk_column(a->customer_column, "customer_column");
	const char *dcol = mk_column(a->date_column, "date_column");
	const char *acol = mk_column(a->amount_column, "amount_column");
	MemoryContext cxt = CurrentMemoryContext;
	RfmReceiver *rc = palloc0(sizeof(RfmReceiver));
	TupleDesc	td;
	Oid			ctype,
				dtype,
				atype;
	char	   *query;
	int64		n;
	void	   *work;
	double	   *key;
	int64	   *bnd;
	int			bins = a->bins;
	char	   *spec,
			   *metrics;
	bytea	   *blob;

	memset(fit, 0, sizeof(*fit));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/* the columns' types, from a query that reads nothing (42703 for unknown columns) */
	if (SPI_execute(psprintf("SELECT %s, %s, %s FROM %s LIMIT 0", ccol, dcol, acol, from), true, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading the source failed");
	td = SPI_tuptable->tupdesc;
	ctype = getBaseType(TupleDescAttr(td, 0)->atttypid);
	dtype = mk_purchase_date_type(td, a->date_column);
	atype = getBaseType(TupleDescAttr(td, 2)->atttypid);
	mk_require_numeric(td, 3, psprintf("amount column \"%s\"", a->amount_column));

	/* integer ids are hashed as integers; any other id by its text, which is what the result shows */
	rc->int_keys = is_int_type(ctype);
	rc->amount_kind = atype == INT2OID ? AMT_INT2 : atype == INT4OID ? AMT_INT4 :
		atype == INT8OID ? AMT_INT8 : AMT_NUMERIC;
	rc->has_cut = a->has_as_of;
	if (a->has_as_of)
		rc->cut = DatumGetDateADT(DirectFunctionCall1(timestamptz_date, TimestampTzGetDatum(a->as_of)));
	fit->pushdown = mk_use_pushdown(a->source, &fit->dist_column);
	if (fit->pushdown)
		query = rfm_grouped_query(rc, from, ccol, dcol, acol, dtype);
	else
		query = psprintf("SELECT (%s)::%s, %s%s, %s%s FROM %s",
						 ccol, rc->int_keys ? "int8" : "text",
						 dcol, dtype == DATEOID ? "" : "::date",
						 acol, (atype == FLOAT4OID || atype == FLOAT8OID) ? "::numeric" : "",
						 from);

	rfm_receiver_init(rc, cxt);
	mk_purchase_read((MkPurchaseReceiver *) rc, query);
	rfm_receiver_flush(rc);
	SPI_finish();

	n = (int64) rc->table.used;
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no orders to score"),
				 errdetail("%lld rows had a NULL customer, %lld a NULL date, %lld were dated after as_of.",
						   (long long) rc->null_customer, (long long) rc->null_date,
						   (long long) rc->after_cut)));
	if (n > (int64) UINT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many customers (%lld)", (long long) n)));

	/* the customers, in table order */
	fit->n = n;
	fit->bins = bins;
	fit->int_keys = rc->int_keys;
	fit->arena = rc->table.arena;
	fit->numeric_mode = rc->numeric_mode;
	fit->rows_used = rc->rows_used;
	fit->cust = palloc_extended(n * sizeof(RfmSlot *), MCXT_ALLOC_HUGE);
	{
		int64		k = 0;
		DateADT		newest = DATEVAL_NOBEGIN;

		for (uint64 i = 0; i < rc->table.cap; i++)
			if (rc->table.slots[i].count > 0)
			{
				fit->cust[k++] = &rc->table.slots[i];
				newest = Max(newest, rc->table.slots[i].last_day);
			}
		/* default as_of: the day after the newest order */
		fit->as_of_day = a->has_as_of ? rc->cut : newest + 1;
	}

	fit->recency = palloc_extended(n * sizeof(int32), MCXT_ALLOC_HUGE);
	fit->monetary = palloc_extended(n * sizeof(double), MCXT_ALLOC_HUGE);
	fit->r = palloc_extended(n * sizeof(int32), MCXT_ALLOC_HUGE);
	fit->f = palloc_extended(n * sizeof(int32), MCXT_ALLOC_HUGE);
	fit->m = palloc_extended(n * sizeof(int32), MCXT_ALLOC_HUGE);
	key = palloc_extended(n * sizeof(double), MCXT_ALLOC_HUGE);
	work = palloc_extended(rfm_rank_work_size(n), MCXT_ALLOC_HUGE);
	bnd = palloc(bins * sizeof(int64));
	fit->r_thr = palloc(bins * sizeof(int64));
	fit->f_thr = palloc(bins * sizeof(int64));
	fit->m_thr = palloc(bins * sizeof(double));
	fit->m_thr_text = palloc(bins * sizeof(char *));

	for (int64 i = 0; i < n; i++)
	{
		RfmSlot    *s = fit->cust[i];

		fit->recency[i] = fit->as_of_day - s->last_day;
		if (fit->numeric_mode)
			fit->monetary[i] = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
																  PointerGetDatum(s->sum.ptr)));
		else
			fit->monetary[i] = rfm_fixed_to_double(s->sum.fixed);
	}
	CHECK_FOR_INTERRUPTS();

	/* r: fewer days is better, so rank the negated days */
	for (int64 i = 0; i < n; i++)
		key[i] = -(double) fit->recency[i];
	if (rfm_rank(n, key, NULL, NULL, bins, fit->r, bnd, work) != 0)
		elog(ERROR, "rfm_rank failed");
	for (int s = 0; s < bins - 1; s++)
		fit->r_thr[s] = -(int64) fit->recency[bnd[s]];
	CHECK_FOR_INTERRUPTS();

	for (int64 i = 0; i < n; i++)
		key[i] = (double) fit->cust[i]->count;
	if (rfm_rank(n, key, NULL, NULL, bins, fit->f, bnd, work) != 0)
		elog(ERROR, "rfm_rank failed");
	for (int s = 0; s < bins - 1; s++)
		fit->f_thr[s] = fit->cust[bnd[s]]->count;
	CHECK_FOR_INTERRUPTS();

	/* m: the doubles order the sums up to rounding; equal doubles are ordered exactly */
	if (rfm_rank(n, fit->monetary, fit->numeric_mode ? cmp_numeric : cmp_fixed, fit->cust, bins,
				 fit->m, bnd, work) != 0)
		elog(ERROR, "rfm_rank failed");
	for (int s = 0; s < bins - 1; s++)
	{
		fit->m_thr[s] = fit->monetary[bnd[s]];
		fit->m_thr_text[s] = exact_text(fit, bnd[s]);
	}
	pfree(work);
	pfree(key);

	spec = rfm_spec_json(a);
	metrics = rfm_metrics_json(fit, rc);
	blob = rfm_serialize(fit->bins, fit->n, fit->as_of_day, fit->r_thr, fit->f_thr, fit->m_thr,
						 fit->m_thr_text);
	fit->train_ms = mk_ms_since(t0);
	mk_store_model(a->model, "rfm", spec, metrics, rc->rows_used, fit->train_ms, blob, &fit->version);
}

/* ---------- SQL functions ---------- */

/*
 * mktdb.rfm_score(model, source, customer_column, date_column, amount_column,
 *                 as_of, bins): one row per customer; stores the thresholds.
 */
Datum
mktdb_rfm_score(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	RfmArgs		a;
	RfmFit		fit;
	MemoryContext train_cxt;
	MemoryContext row_cxt;
	MemoryContext old;
	Datum		seg_text[RFM_N_SEGMENTS];

	rfm_get_args(fcinfo, &a);
	InitMaterializedSRF(fcinfo, 0);

	train_cxt = AllocSetContextCreate(CurrentMemoryContext, "mktdb rfm", ALLOCSET_DEFAULT_SIZES);
	row_cxt = AllocSetContextCreate(train_cxt, "mktdb rfm rows", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(train_cxt);
	rfm_train(&a, &fit);
	for (int g = 0; g < RFM_N_SEGMENTS; g++)
		seg_text[g] = CStringGetTextDatum(rfm_segment_name(g));

	for (int64 i = 0; i < fit.n; i++)
	{
		RfmSlot    *s = fit.cust[i];
		Datum		values[9];
		bool		nulls[9] = {false};
		int			r = fit.r[i],
					f = fit.f[i],
					m = fit.m[i];

		if ((i & 0x3FFF) == 0)
		{
			CHECK_FOR_INTERRUPTS();
			MemoryContextReset(row_cxt);
		}
		MemoryContextSwitchTo(row_cxt);
		if (fit.int_keys)
		{
			char		buf[32];

			snprintf(buf, sizeof(buf), INT64_FORMAT, (int64) s->key);
			values[0] = CStringGetTextDatum(buf);
		}
		else
			values[0] = PointerGetDatum(cstring_to_text_with_len(fit.arena + s->key_off, s->key_len));
		values[1] = Int32GetDatum(fit.recency[i]);
		values[2] = Int64GetDatum(s->count);
		values[3] = Float8GetDatum(fit.monetary[i]);
		values[4] = Int32GetDatum(r);
		values[5] = Int32GetDatum(f);
		values[6] = Int32GetDatum(m);
		values[7] = rfm_cell_text(r, f, m, fit.bins);
		values[8] = seg_text[rfm_grid(rfm_to5(r, fit.bins), rfm_fm(rfm_to5(f, fit.bins), rfm_to5(m, fit.bins)))];
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(train_cxt);
	return (Datum) 0;
}

/*
 * mktdb._rfm_train(same arguments) -> (model, version, n_rows, train_ms): what
 * mktdb._rfm_retrain returns as jsonb.
 */
Datum
mktdb_rfm_train(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	RfmArgs		a;
	RfmFit		fit;
	MemoryContext train_cxt;
	MemoryContext old;
	Datum		values[4];
	bool		nulls[4] = {false};

	rfm_get_args(fcinfo, &a);
	InitMaterializedSRF(fcinfo, 0);
	train_cxt = AllocSetContextCreate(CurrentMemoryContext, "mktdb rfm", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(train_cxt);
	rfm_train(&a, &fit);
	MemoryContextSwitchTo(old);
	values[0] = CStringGetTextDatum(a.model);
	values[1] = Int32GetDatum(fit.version);
	values[2] = Int64GetDatum(fit.rows_used);
	values[3] = Float8GetDatum(fit.train_ms);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	MemoryContextDelete(train_cxt);
	return (Datum) 0;
}


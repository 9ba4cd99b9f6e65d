/*
 * rfm_sql.c -- SQL glue of RFM scoring: mktdb.rfm_score, mktdb._rfm_train (the
 * retrain entry point's worker), mktdb.rfm_of and the model's binary format.
 *
 * Orders are read by the executor (any source, parallel scans where the planner
 * picks them) and handed row by row to a DestReceiver that aggregates them in a
 * C hash table: one cache miss per row instead of the several of a 1M-group
 * HashAggregate, which is what makes rfm_score cheaper than the GROUP BY it
 * replaces (README "RFM scoring" has the figures).  Monetary sums are exact: integers and
 * numerics are summed as 128-bit fixed point (units of 1e-16); a value that does
 * not fit switches the whole sum to PostgreSQL numeric arithmetic.  Ranking,
 * thresholds and the segment grid are in core/rfm.c.
 */
#include "mktdb.h"

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
PG_FUNCTION_INFO_V1(mktdb_rfm_of);

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

/* ---------- exact amounts ---------- */

static const __int128 pow10000[] = {
	1, 10000, 100000000, (__int128) 1000000000000LL, (__int128) 10000000000000000LL,
	(__int128) 10000000000000000LL * 10000, (__int128) 10000000000000000LL * 100000000,
	(__int128) 10000000000000000LL * 1000000000000LL,
	(__int128) 10000000000000000LL * 10000000000000000LL,
};

/*
 * A numeric datum as fixed point (units of 1e-16).  Returns 1 when it fits, 0
 * when it has more than 16 decimals or 20 integer digits, -1 for NaN and
 * infinities.  Reads the numeric on-disk format (which pg_upgrade keeps stable):
 * a uint16 header, for the long form an int16 weight, then base-10000 int16
 * digits, the first one weighing 10000^weight.
 */
int
mk_numeric_to_fixed(Datum d, __int128 *out)
{
	struct varlena *v = PG_DETOAST_DATUM_PACKED(d);
	const char *p = VARDATA_ANY(v);
	int			len = VARSIZE_ANY_EXHDR(v);
	uint16		h;
	int			weight;
	bool		neg;
	const char *digits;
	int			ndig;
	__int128	acc = 0;
	int			shift;
	int			result = 1;

	memcpy(&h, p, sizeof(h));
	if ((h & 0xC000) == 0xC000)
		result = -1;			/* NaN, +Infinity, -Infinity */
	else
	{
		if ((h & 0xC000) == 0x8000)
		{
			/* short form: sign 0x2000, dscale 0x1F80, 7-bit signed weight */
			neg = (h & 0x2000) != 0;
			weight = (h & 0x0040) ? (int) (h | ~0x003F) : (int) (h & 0x003F);
			digits = p + 2;
			ndig = (len - 2) / 2;
		}
		else
		{
			int16		w;

			neg = (h & 0xC000) == 0x4000;
			memcpy(&w, p + 2, sizeof(w));
			weight = w;
			digits = p + 4;
			ndig = (len - 4) / 2;
		}
		/* value = sum d_i 10000^(weight - i); in 1e-16 units the exponent is weight - i + 4 */
		shift = weight - (ndig - 1) + 4;
		if (ndig > 0 && (weight > 4 || shift < 0))
			result = 0;
		else
		{
			for (int i = 0; i < ndig; i++)
			{
				int16		dg;

				memcpy(&dg, digits + 2 * i, sizeof(dg));
				acc = acc * 10000 + dg;
			}
			if (ndig > 0)
				acc *= pow10000[shift];
			*out = neg ? -acc : acc;
		}
	}
	if ((Pointer) v != DatumGetPointer(d))
		pfree(v);
	return result;
}

/* ---------- aggregation: a DestReceiver fed by the executor ---------- */

typedef enum
{
	AMT_INT2, AMT_INT4, AMT_INT8, AMT_NUMERIC
} AmountKind;

/* a parsed row waiting for its customer's slot (integer ids, fixed-point amounts) */
typedef struct RfmPending
{
	rfm_i128	amt;
	int64		key;
	DateADT		day;
	bool		have_amt;
} RfmPending;

#define RFM_BATCH 32

typedef struct RfmReceiver
{
	DestReceiver pub;
	RfmTable	table;
	MemoryContext cxt;			/* table, arena and numeric sums */
	bool		int_keys;
	AmountKind	amount_kind;
	bool		numeric_mode;	/* slots hold Numeric sums (ptr) */
	bool		has_as_of;
	DateADT		as_of_day;
	bool		grouped;		/* rows are per-customer summaries (last day, sum, count) from the shards */
	uint64		seen;
	int64		rows_used;
	int64		null_customer;
	int64		null_date;
	int64		after_as_of;
	int64		null_amount;
	int			npending;
	RfmPending	pending[RFM_BATCH];
} RfmReceiver;

static void *
rfm_alloc(void *ctx, size_t size)
{
	return MemoryContextAllocExtended((MemoryContext) ctx, size, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

static void
rfm_free(void *ctx, void *p)
{
	pfree(p);
}

static Numeric
fixed_to_numeric(__int128 fixed)
{
	char		buf[64];

	return DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(rfm_fixed_to_text(fixed, buf)),
											   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
}

/* From now on every sum is a Numeric: converts the fixed-point sums so far. */
static void
switch_to_numeric(RfmReceiver *rc)
{
	MemoryContext old = MemoryContextSwitchTo(rc->cxt);

	for (uint64 i = 0; i < rc->table.cap; i++)
	{
		RfmSlot    *s = &rc->table.slots[i];

		if (s->count > 0)
			s->sum.ptr = fixed_to_numeric(s->sum.fixed);
	}
	rc->numeric_mode = true;
	MemoryContextSwitchTo(old);
}

/* The amount as a Numeric in rc->cxt: from its fixed-point value when it has one, else from the datum. */
static Numeric
amount_numeric(RfmReceiver *rc, bool fits, __int128 amt, Datum d)
{
	if (fits)
		return fixed_to_numeric(amt);
	switch (rc->amount_kind)
	{
		case AMT_INT2:
			return int64_to_numeric(DatumGetInt16(d));
		case AMT_INT4:
			return int64_to_numeric(DatumGetInt32(d));
		case AMT_INT8:
			return int64_to_numeric(DatumGetInt64(d));
		default:
			return DatumGetNumeric(d);
	}
}

/*
 * Adds one row to its customer.  amt is the amount in fixed point when fits;
 * otherwise d is the amount datum and the sums switch to numeric arithmetic
 * (also when a fixed-point sum would overflow).
 */
static void
add_row(RfmReceiver *rc, RfmSlot *s, DateADT day, bool have_amt, bool fits, __int128 amt, Datum d)
{
	MemoryContext old;
	Numeric		a;
	Numeric		prev;
	__int128	sum;

	if (s->count == 0 || day > s->last_day)
		s->last_day = day;
	s->count++;
	rc->rows_used++;
	if (!rc->numeric_mode)
	{
		if (!have_amt)
			return;
		if (fits && !__builtin_add_overflow(s->sum.fixed, amt, &sum))
		{
			s->sum.fixed = sum;
			return;
		}
		switch_to_numeric(rc);
	}
	old = MemoryContextSwitchTo(rc->cxt);
	prev = s->sum.ptr;
	if (!have_amt)
	{
		if (prev == NULL)
			s->sum.ptr = int64_to_numeric(0);
	}
	else
	{
		a = amount_numeric(rc, fits, amt, d);
		s->sum.ptr = prev ? numeric_add_opt_error(prev, a, NULL) : DatumGetNumericCopy(NumericGetDatum(a));
		if (prev)
			pfree(prev);
		/* a conversion or a detoasted copy: the sum never points into it */
		if ((Pointer) a != DatumGetPointer(d))
			pfree(a);
	}
	MemoryContextSwitchTo(old);
}

/* Processes the pending rows: all their slots are prefetched first. */
static void
flush_pending(RfmReceiver *rc)
{
	for (int i = 0; i < rc->npending; i++)
		rfm_table_prefetch_int(&rc->table, rc->pending[i].key);
	for (int i = 0; i < rc->npending; i++)
	{
		RfmPending *p = &rc->pending[i];

		add_row(rc, rfm_table_int(&rc->table, p->key), p->day, p->have_amt, true, p->amt, (Datum) 0);
	}
	rc->npending = 0;
}

static bool
rfm_receive(TupleTableSlot *slot, DestReceiver *self)
{
	RfmReceiver *rc = (RfmReceiver *) self;
	Datum	   *v;
	bool	   *isnull;
	DateADT		day;
	RfmSlot    *s;
	__int128	amt = 0;
	bool		have_amt;
	bool		fits = true;

	if ((++rc->seen & 0x3FFF) == 0)
		CHECK_FOR_INTERRUPTS();
	slot_getsomeattrs(slot, rc->grouped ? 4 : 3);
	v = slot->tts_values;
	isnull = slot->tts_isnull;
	if (!mk_purchase_day(v, isnull, rc->has_as_of, rc->as_of_day, &rc->null_customer, &rc->null_date,
						 &rc->after_as_of, &day))
		return true;

	have_amt = !isnull[2];
	if (!have_amt && !rc->grouped)
		rc->null_amount++;
	else
	{
		switch (rc->amount_kind)
		{
			case AMT_INT2:
				amt = (__int128) DatumGetInt16(v[2]) * pow10000[4];
				break;
			case AMT_INT4:
				amt = (__int128) DatumGetInt32(v[2]) * pow10000[4];
				break;
			case AMT_INT8:
				amt = (__int128) DatumGetInt64(v[2]) * pow10000[4];
				break;
			case AMT_NUMERIC:
				{
					int			r = mk_numeric_to_fixed(v[2], &amt);

					if (r < 0)
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("amount column holds NaN or infinity"),
								 errhint("Filter such rows out in a query source.")));
					fits = r > 0;
				}
				break;
		}
	}

	if (rc->int_keys)
	{
		/* the common case waits in a batch whose cache misses overlap */
		if (fits && !rc->grouped)
		{
			RfmPending *p = &rc->pending[rc->npending++];

			p->key = DatumGetInt64(v[0]);
			p->day = day;
			p->have_amt = have_amt;
			p->amt = amt;
			if (rc->npending == RFM_BATCH)
				flush_pending(rc);
			return true;
		}
		s = rfm_table_int(&rc->table, DatumGetInt64(v[0]));
	}
	else
	{
		struct varlena *t = PG_DETOAST_DATUM_PACKED(v[0]);

		if (VARSIZE_ANY_EXHDR(t) > PG_INT32_MAX / 2)
			ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED), errmsg("customer id is too long")));
		s = rfm_table_bytes(&rc->table, VARDATA_ANY(t), (int32) VARSIZE_ANY_EXHDR(t));
	}
	add_row(rc, s, day, have_amt, fits, amt, v[2]);
	if (rc->grouped)
	{
		/* one customer's summary: it stands for count rows */
		int64		extra = DatumGetInt64(v[3]) - 1;

		s->count += extra;
		rc->rows_used += extra;
	}
	return true;
}

static void
rfm_rstartup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
}

static void
rfm_rshutdown(DestReceiver *self)
{
	flush_pending((RfmReceiver *) self);
}

static void
rfm_rdestroy(DestReceiver *self)
{
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
	char	   *after = rc->has_as_of ? psprintf("%s > %d::pg_catalog.int4 + '2000-01-01'::pg_catalog.date", day,
												  (int) rc->as_of_day) : "false";

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
		rc->after_as_of = DatumGetInt64(SPI_getbinval(t, td, 3, &isnull));
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

static bytea *
rfm_serialize(RfmFit *fit)
{
	MkWriter	w;

	mk_writer_init(&w);
	mk_put_i32(&w, fit->bins);
	mk_put_i64(&w, fit->n);
	mk_put_i32(&w, fit->as_of_day);
	mk_put_i64s(&w, fit->r_thr, fit->bins - 1);
	mk_put_i64s(&w, fit->f_thr, fit->bins - 1);
	mk_put_f64s(&w, fit->m_thr, fit->bins - 1);
	for (int s = 0; s < fit->bins - 1; s++)
		mk_put_text(&w, fit->m_thr_text[s]);
	return mk_writer_finish(&w, MKF_KIND_RFM);
}

static char *
rfm_spec_json(RfmArgs *a)
{
	MkJson		j;
	char		buf[MAXDATELEN + 1];

	mk_json_begin(&j);
	mk_json_key(&j, "source");
	mk_json_str(&j, mk_source_canonical(a->source));
	mk_json_key(&j, "customer_column");
	mk_json_str(&j, a->customer_column);
	mk_json_key(&j, "date_column");
	mk_json_str(&j, a->date_column);
	mk_json_key(&j, "amount_column");
	mk_json_str(&j, a->amount_column);
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
	mk_json_int(&j, rc->null_customer + rc->null_date + rc->after_as_of);
	mk_json_key(&j, "skipped_null_customer");
	mk_json_int(&j, rc->null_customer);
	mk_json_key(&j, "skipped_null_date");
	mk_json_int(&j, rc->null_date);
	mk_json_key(&j, "skipped_after_as_of");
	mk_json_int(&j, rc->after_as_of);
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
	SPIExecuteOptions opts;
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
	dtype = getBaseType(TupleDescAttr(td, 1)->atttypid);
	atype = getBaseType(TupleDescAttr(td, 2)->atttypid);
	if (dtype != DATEOID && dtype != TIMESTAMPOID && dtype != TIMESTAMPTZOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("date column \"%s\" is of type %s, not date, timestamp or timestamptz",
						a->date_column, format_type_be(TupleDescAttr(td, 1)->atttypid)),
				 errhint("Cast it in a query source, e.g. SELECT ..., col::date AS day FROM ....")));
	mk_require_numeric(td, 3, psprintf("amount column \"%s\"", a->amount_column));

	/* integer ids are hashed as integers; any other id by its text, which is what the result shows */
	rc->int_keys = is_int_type(ctype);
	rc->amount_kind = atype == INT2OID ? AMT_INT2 : atype == INT4OID ? AMT_INT4 :
		atype == INT8OID ? AMT_INT8 : AMT_NUMERIC;
	rc->has_as_of = a->has_as_of;
	if (a->has_as_of)
		rc->as_of_day = DatumGetDateADT(DirectFunctionCall1(timestamptz_date, TimestampTzGetDatum(a->as_of)));
	fit->pushdown = mk_use_pushdown(a->source, &fit->dist_column);
	if (fit->pushdown)
		query = rfm_grouped_query(rc, from, ccol, dcol, acol, dtype);
	else
		query = psprintf("SELECT (%s)::%s, %s%s, %s%s FROM %s",
						 ccol, rc->int_keys ? "int8" : "text",
						 dcol, dtype == DATEOID ? "" : "::date",
						 acol, (atype == FLOAT4OID || atype == FLOAT8OID) ? "::numeric" : "",
						 from);

	rc->pub.receiveSlot = rfm_receive;
	rc->pub.rStartup = rfm_rstartup;
	rc->pub.rShutdown = rfm_rshutdown;
	rc->pub.rDestroy = rfm_rdestroy;
	rc->pub.mydest = DestNone;
	rc->cxt = cxt;
	rfm_table_init(&rc->table, !rc->int_keys, rfm_alloc, rfm_free, cxt);

	memset(&opts, 0, sizeof(opts));
	opts.read_only = true;
	opts.dest = (DestReceiver *) rc;
	if (SPI_execute_extended(query, &opts) < 0)
		elog(ERROR, "reading the source failed");
	flush_pending(rc);
	SPI_finish();

	n = (int64) rc->table.used;
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no orders to score"),
				 errdetail("%lld rows had a NULL customer, %lld a NULL date, %lld were dated after as_of.",
						   (long long) rc->null_customer, (long long) rc->null_date,
						   (long long) rc->after_as_of)));
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
		fit->as_of_day = a->has_as_of ? rc->as_of_day : newest + 1;
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
	blob = rfm_serialize(fit);
	fit->train_ms = mk_ms_since(t0);
	mk_store_model(a->model, "rfm", spec, metrics, rc->rows_used, fit->train_ms, blob, &fit->version);
}

/* ---------- SQL functions ---------- */

static Datum
cell_text(int r, int f, int m, int bins)
{
	if (bins <= 9)
	{
		char		c[4] = {(char) ('0' + r), (char) ('0' + f), (char) ('0' + m), '\0'};

		return CStringGetTextDatum(c);
	}
	/* two-digit scores would be ambiguous without a separator */
	return CStringGetTextDatum(psprintf("%d-%d-%d", r, f, m));
}

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
		values[7] = cell_text(r, f, m, fit.bins);
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

/* ---------- reading a model ---------- */

typedef struct RfmModel
{
	int			bins;
	int64		n;
	int32		as_of_day;
	int64	   *r_thr;
	int64	   *f_thr;
	double	   *m_thr;
} RfmModel;

static bool
nondecreasing_i64(const int64 *v, int n)
{
	for (int i = 1; i < n; i++)
		if (v[i] < v[i - 1])
			return false;
	return true;
}

static void *
rfm_decode(bytea *blob, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	RfmModel   *mdl = palloc0(sizeof(RfmModel));
	MkfReader	r;
	int64		nr,
				nf,
				nm;

	mk_reader_open(&r, blob, MKF_KIND_RFM);
	mdl->bins = mkf_get_i32(&r);
	mdl->n = mkf_get_i64(&r);
	mdl->as_of_day = mkf_get_i32(&r);
	mk_reader_check(&r);
	if (mdl->bins < RFM_MIN_BINS || mdl->bins > RFM_MAX_BINS || mdl->n < 1)
		mk_damaged("RFM model with an impossible number of bins or customers");
	mdl->r_thr = mk_get_i64s(&r, &nr);
	mdl->f_thr = mk_get_i64s(&r, &nf);
	mdl->m_thr = mk_get_f64s(&r, &nm);
	if (nr != mdl->bins - 1 || nf != mdl->bins - 1 || nm != mdl->bins - 1)
		mk_damaged("RFM thresholds do not match the number of bins");
	for (int s = 0; s < mdl->bins - 1; s++)
	{
		(void) mk_get_text(&r);	/* exact monetary thresholds: for metrics only */
		if (isnan(mdl->m_thr[s]) || (s > 0 && mdl->m_thr[s] < mdl->m_thr[s - 1]))
			mk_damaged("RFM monetary thresholds are not ordered");
	}
	if (!nondecreasing_i64(mdl->r_thr, mdl->bins - 1) || !nondecreasing_i64(mdl->f_thr, mdl->bins - 1))
		mk_damaged("RFM thresholds are not ordered");
	mk_reader_finish(&r);
	MemoryContextSwitchTo(old);
	return mdl;
}

/*
 * mktdb.rfm_of(model, recency_days, frequency, monetary) -> (r, f, m, rfm_cell,
 * segment), scored against the model's thresholds.  A NULL measure gives a NULL
 * score, cell and segment.
 */
Datum
mktdb_rfm_of(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *name;
	MkModelInfo info;
	RfmModel   *mdl;
	Datum		values[5];
	bool		nulls[5] = {false};
	int			sc[3] = {0, 0, 0};

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model must not be NULL")));
	if (!PG_ARGISNULL(3) && isnan(PG_GETARG_FLOAT8(3)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("monetary must not be NaN")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	InitMaterializedSRF(fcinfo, 0);
	mdl = mk_model_get(name, "rfm", rfm_decode, &info);

	if (!PG_ARGISNULL(1))
		sc[0] = rfm_score_int(-(int64) PG_GETARG_INT32(1), mdl->r_thr, mdl->bins);
	if (!PG_ARGISNULL(2))
		sc[1] = rfm_score_int(PG_GETARG_INT64(2), mdl->f_thr, mdl->bins);
	if (!PG_ARGISNULL(3))
		sc[2] = rfm_score_f64(PG_GETARG_FLOAT8(3), mdl->m_thr, mdl->bins);
	for (int k = 0; k < 3; k++)
	{
		values[k] = Int32GetDatum(sc[k]);
		nulls[k] = sc[k] == 0;
	}
	if (sc[0] && sc[1] && sc[2])
	{
		values[3] = cell_text(sc[0], sc[1], sc[2], mdl->bins);
		values[4] = CStringGetTextDatum(rfm_segment(sc[0], sc[1], sc[2], mdl->bins));
	}
	else
		nulls[3] = nulls[4] = true;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}

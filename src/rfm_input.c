/*
 * rfm_input.c -- reading the orders of mktdb.rfm_score.  The executor (any source, parallel
 * scans where the planner picks them) hands rows to a DestReceiver that aggregates them in a
 * C hash table: one cache miss per row instead of the several of a 1M-group HashAggregate,
 * which is what makes rfm_score cheaper than the GROUP BY it replaces (README "RFM scoring"
 * has the figures).  Monetary sums are exact: integers and numerics are summed as 128-bit
 * fixed point (units of 1e-16); a value that does not fit switches the whole sum to
 * PostgreSQL numeric arithmetic.
 *
 * Also the purchase reading that rfm_score and clv_train share (purchase.h): the receiver's
 * common fields and callbacks, the skip rules, the customer table and running the query.
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

/* ---------- the purchase reading rfm_score and clv_train share (purchase.h) ---------- */

static void *
purchase_alloc(void *ctx, size_t size)
{
	return MemoryContextAllocExtended((MemoryContext) ctx, size, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

static void
purchase_free(void *ctx, void *p)
{
	pfree(p);
}

/*
 * The calendar day of one purchase row whose customer and date are values 0 and 1: false when
 * the row is skipped -- NULL customer, NULL date, or a day after cut when has_cut -- each
 * counted; ERROR on an infinite date.
 */
static inline bool
purchase_day(MkPurchaseReceiver *pr, const Datum *v, const bool *isnull, DateADT *day)
{
	if (isnull[0])
	{
		pr->null_customer++;
		return false;
	}
	if (isnull[1])
	{
		pr->null_date++;
		return false;
	}
	*day = DatumGetDateADT(v[1]);
	if (DATE_NOT_FINITE(*day))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("date column holds an infinite date"),
				 errhint("Filter infinite dates out in a query source.")));
	if (pr->has_cut && *day > pr->cut)
	{
		pr->after_cut++;
		return false;
	}
	return true;
}

bool
mk_purchase_row(MkPurchaseReceiver *pr, TupleTableSlot *slot, int natts, DateADT *day)
{
	if ((++pr->seen & 0x3FFF) == 0)
		CHECK_FOR_INTERRUPTS();
	slot_getsomeattrs(slot, natts);
	return purchase_day(pr, slot->tts_values, slot->tts_isnull, day);
}

RfmSlot *
mk_purchase_slot(MkPurchaseReceiver *pr, Datum key)
{
	struct varlena *t;

	if (pr->int_keys)
		return rfm_table_int(&pr->table, DatumGetInt64(key));
	t = PG_DETOAST_DATUM_PACKED(key);
	if (VARSIZE_ANY_EXHDR(t) > PG_INT32_MAX / 2)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED), errmsg("customer id is too long")));
	return rfm_table_bytes(&pr->table, VARDATA_ANY(t), (int32) VARSIZE_ANY_EXHDR(t));
}

bool
mk_purchase_amount_fixed(Datum d, __int128 *amt)
{
	int			r = mk_numeric_to_fixed(d, amt);

	if (r < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("amount column holds NaN or infinity"),
				 errhint("Filter such rows out in a query source.")));
	return r > 0;
}

Oid
mk_purchase_date_type(TupleDesc td, const char *date_column)
{
	Oid			dtype = getBaseType(TupleDescAttr(td, 1)->atttypid);

	if (dtype != DATEOID && dtype != TIMESTAMPOID && dtype != TIMESTAMPTZOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("date column \"%s\" is of type %s, not date, timestamp or timestamptz",
						date_column, format_type_be(TupleDescAttr(td, 1)->atttypid)),
				 errhint("Cast it in a query source, e.g. SELECT ..., col::date AS day FROM ....")));
	return dtype;
}

void
mk_purchase_receiver_init(MkPurchaseReceiver *pr, MemoryContext cxt,
						  bool (*receive) (TupleTableSlot *slot, DestReceiver *self),
						  void (*shutdown) (DestReceiver *self))
{
	mk_dest_init(&pr->pub, receive, NULL, shutdown);
	pr->cxt = cxt;
	rfm_table_init(&pr->table, !pr->int_keys, purchase_alloc, purchase_free, cxt);
}

void
mk_purchase_read(MkPurchaseReceiver *pr, const char *query)
{
	SPIExecuteOptions opts;

	memset(&opts, 0, sizeof(opts));
	opts.read_only = true;
	opts.dest = &pr->pub;
	if (SPI_execute_extended(query, &opts) < 0)
		elog(ERROR, "reading the source failed");
}

/* the spec keys rfm_score and clv_train share: where the purchases come from */
void
mk_json_purchase_source(MkJson *j, const char *source, const char *customer_column,
						const char *date_column, const char *amount_column)
{
	mk_json_key(j, "source");
	mk_json_str(j, mk_source_canonical(source));
	mk_json_key(j, "customer_column");
	mk_json_str(j, customer_column);
	mk_json_key(j, "date_column");
	mk_json_str(j, date_column);
	mk_json_key(j, "amount_column");
	mk_json_str(j, amount_column);
}

/* ---------- rfm_score's aggregation: a DestReceiver fed by the executor ---------- */

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
	DateADT		day;
	RfmSlot    *s;
	__int128	amt = 0;
	bool		have_amt;
	bool		fits = true;

	if (!mk_purchase_row((MkPurchaseReceiver *) rc, slot, rc->grouped ? 4 : 3, &day))
		return true;
	v = slot->tts_values;
	have_amt = !slot->tts_isnull[2];
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
				fits = mk_purchase_amount_fixed(v[2], &amt);
				break;
		}
	}

	/* integer ids in the common case wait in a batch whose cache misses overlap */
	if (rc->int_keys && fits && !rc->grouped)
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
	s = mk_purchase_slot((MkPurchaseReceiver *) rc, v[0]);
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
rfm_rshutdown(DestReceiver *self)
{
	flush_pending((RfmReceiver *) self);
}

/* the callbacks, the context and the customer table; int_keys must be set */
void
rfm_receiver_init(RfmReceiver *rc, MemoryContext cxt)
{
	mk_purchase_receiver_init((MkPurchaseReceiver *) rc, cxt, rfm_receive, rfm_rshutdown);
}

/* adds the rows still waiting in the batch */
void
rfm_receiver_flush(RfmReceiver *rc)
{
	flush_pending(rc);
}

/*
 * clv_train.c -- mktdb.clv_train (and _clv_train for retrain): argument checks, one pass
 * over the source into per-customer summaries, the fits (core/clv.h), the stored model.
 *
 * Reading: the executor hands the source's rows to a DestReceiver that keeps one
 * accumulator per customer (the RFM hash table of core/rfm.c keyed by the customer, its
 * slot pointing to the accumulator) with the customer's distinct purchase days and each
 * day's amount summed exactly as 128-bit fixed point (mk_numeric_to_fixed), so m_x is
 * the correctly rounded mean of exact sums.  The model stores every calibration
 * customer's summary, so customer_value scores without reading the source again.
 */
#include "mktdb.h"
#include "chart.h"
#include "purchase.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "core/clv.h"
#include "core/rfm.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "tcop/dest.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "clv_glue.h"

/* ---------- arguments ---------- */

typedef struct ClvArgs
{
	char	   *model;
	char	   *source;
	char	   *customer_column;
	char	   *date_column;
	char	   *amount_column;	/* NULL: purchases only */
	bool		has_cal;
	DateADT		cal;
	char	   *time_unit;
	double		unit;			/* days per unit */
	int			purchase_model;
} ClvArgs;

static double
unit_days(const char *u)
{
	if (strcmp(u, "day") == 0)
		return 1.0;
	if (strcmp(u, "week") == 0)
		return 7.0;
	if (strcmp(u, "month") == 0)
		return 365.25 / 12.0;
	return 0.0;
}

static void
clv_get_args(FunctionCallInfo fcinfo, ClvArgs *a)
{
	char	   *pm;

	a->model = mk_arg_text(fcinfo, 0, "model");
	a->source = mk_arg_text(fcinfo, 1, "source");
	a->customer_column = mk_arg_text(fcinfo, 2, "customer_column");
	a->date_column = mk_arg_text(fcinfo, 3, "date_column");
	a->amount_column = PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4));
	a->has_cal = !PG_ARGISNULL(5);
	a->cal = a->has_cal ? PG_GETARG_DATEADT(5) : 0;
	a->time_unit = mk_arg_text(fcinfo, 6, "time_unit");
	pm = mk_arg_text(fcinfo, 7, "purchase_model");
	mk_check_can_store(a->model, "clv");
	a->unit = unit_days(a->time_unit);
	if (a->unit == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown time_unit \"%s\"", a->time_unit),
				 errhint("Use 'day', 'week' or 'month'.")));
	if (strcmp(pm, "bgnbd") == 0)
		a->purchase_model = CLV_BGNBD;
	else if (strcmp(pm, "pareto_nbd") == 0)
		a->purchase_model = CLV_PARETO;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown purchase_model \"%s\"", pm),
				 errhint("Use 'bgnbd' or 'pareto_nbd'.")));
	if (a->has_cal && DATE_NOT_FINITE(a->cal))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("calibration_end must be a finite date")));
	(void) mk_column(a->customer_column, "customer_column");
	(void) mk_column(a->date_column, "date_column");
	if (a->amount_column)
		(void) mk_column(a->amount_column, "amount_column");
}

/* ---------- reading: customer-days folded per customer ---------- */

/* one purchase day of a customer: the exact sum of its amounts (when any was not NULL) */
typedef struct ClvDay
{
	rfm_i128	sum;
	int32		day;
	int32		has_amt;
} ClvDay;

/* a customer: its id and its distinct purchase days (two inline, then in the arena) */
typedef struct ClvAcc
{
	int64		key;
	int64		key_off;
	int32		key_len;
	int32		ndays;
	int32		cap;
	ClvDay	   *days;
	ClvDay		inl[2];
} ClvAcc;

#define CLV_CHUNK 65536

typedef enum
{
	CLV_AMT_INT, CLV_AMT_NUMERIC
} ClvAmountKind;

/* cut is calibration_end */
typedef struct ClvReceiver
{
	MK_PURCHASE_RECEIVER_HEAD
	bool		has_amount;
	ClvAmountKind amount_kind;
	DateADT		newest;
	ClvAcc	  **chunks;
	int			nchunks;
	int			chunk_cap;
	int64		ncust;
} ClvReceiver;

static ClvAcc *
new_acc(ClvReceiver *rc)
{
	int64		k = rc->ncust % CLV_CHUNK;

	if (k == 0)
	{
		if (rc->nchunks == rc->chunk_cap)
		{
			rc->chunk_cap = rc->chunk_cap ? 2 * rc->chunk_cap : 16;
			rc->chunks = rc->chunks ? repalloc(rc->chunks, rc->chunk_cap * sizeof(ClvAcc *))
				: MemoryContextAlloc(rc->cxt, rc->chunk_cap * sizeof(ClvAcc *));
		}
		rc->chunks[rc->nchunks++] = MemoryContextAllocExtended(rc->cxt, CLV_CHUNK * sizeof(ClvAcc),
															   MCXT_ALLOC_HUGE);
	}
	rc->ncust++;
	return &rc->chunks[rc->nchunks - 1][k];
}

static inline ClvAcc *
acc_at(ClvReceiver *rc, int64 i)
{
	return &rc->chunks[i / CLV_CHUNK][i % CLV_CHUNK];
}

/* the day's entry of a customer, appended when new (rows mostly arrive in date order: search from the end) */
static ClvDay *
day_of(ClvReceiver *rc, ClvAcc *acc, DateADT day)
{
	for (int32 i = acc->ndays - 1; i >= 0; i--)
		if (acc->days[i].day == day)
			return &acc->days[i];
	if (acc->ndays == acc->cap)
	{
		ClvDay	   *d = MemoryContextAllocExtended(rc->cxt, (size_t) acc->cap * 2 * sizeof(ClvDay), MCXT_ALLOC_HUGE);

		memcpy(d, acc->days, (size_t) acc->ndays * sizeof(ClvDay));
		if (acc->days != acc->inl)
			pfree(acc->days);
		acc->days = d;
		acc->cap *= 2;
	}
	acc->days[acc->ndays].day = day;
	acc->days[acc->ndays].sum = 0;
	acc->days[acc->ndays].has_amt = 0;
	return &acc->days[acc->ndays++];
}

/* one source row: (customer, day, amount) */
static bool
clv_receive(TupleTableSlot *slot, DestReceiver *self)
{
	ClvReceiver *rc = (ClvReceiver *) self;
	Datum	   *v;
	DateADT		day;
	RfmSlot    *s;
	ClvAcc	   *acc;
	ClvDay	   *d;
	__int128	amt = 0;
	bool		have_amt = false;

	if (!mk_purchase_row((MkPurchaseReceiver *) rc, slot, rc->has_amount ? 3 : 2, &day))
		return true;
	v = slot->tts_values;
	if (rc->has_amount)
	{
		if (slot->tts_isnull[2])
			rc->null_amount++;
		else if (rc->amount_kind == CLV_AMT_INT)
		{
			amt = (__int128) DatumGetInt64(v[2]) * (__int128) 10000000000000000LL;
			have_amt = true;
		}
		else
		{
			if (!mk_purchase_amount_fixed(v[2], &amt))
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("an amount has more than 20 integer digits or 16 decimals"),
						 errhint("Round the amounts in a query source, e.g. round(amount, 2).")));
			have_amt = true;
		}
	}
	rc->rows_used++;
	if (day > rc->newest)
		rc->newest = day;

	s = mk_purchase_slot((MkPurchaseReceiver *) rc, v[0]);
	if (s->count == 0)
	{
		acc = new_acc(rc);
		acc->key = (int64) s->key;
		acc->key_off = s->key_off;
		acc->key_len = s->key_len;
		acc->ndays = 0;
		acc->cap = 2;
		acc->days = acc->inl;
		s->sum.ptr = acc;
	}
	else
		acc = s->sum.ptr;
	s->count++;
	d = day_of(rc, acc, day);
	if (have_amt)
	{
		if (__builtin_add_overflow(d->sum, amt, &amt))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("a day's summed amount exceeds 20 integer digits")));
		d->sum = amt;
		d->has_amt = 1;
	}
	return true;
}

/* ---------- training ---------- */

static char *
clv_spec_json(ClvArgs *a)
{
	MkJson		j;
	char		buf[MAXDATELEN + 1];

	mk_json_begin(&j);
	mk_json_purchase_source(&j, a->source, a->customer_column, a->date_column, a->amount_column);
	mk_json_key(&j, "calibration_end");
	if (a->has_cal)
		mk_json_str(&j, JsonEncodeDateTime(buf, DateADTGetDatum(a->cal), DATEOID, NULL));
	else
		mk_json_null(&j);
	mk_json_key(&j, "time_unit");
	mk_json_str(&j, a->time_unit);
	mk_json_key(&j, "purchase_model");
	mk_json_str(&j, clv_model_name(a->purchase_model));
	return mk_json_end(&j);
}

typedef struct ClvTrained
{
	ClvModel	md;
	int32		version;
	int64		repeaters;
	double		train_ms;
	char	   *params;
} ClvTrained;

static bool
is_int_type(Oid t)
{
	return t == INT2OID || t == INT4OID || t == INT8OID;
}

/* the source's (customer, day) groups into rc */
static void
clv_read(ClvArgs *a, ClvReceiver *rc)
{
	const char *from = mk_source_from(a->source);
	const char *ccol = mk_column(a->customer_column, "customer_column");
	const char *dcol = mk_column(a->date_column, "date_column");
	const char *acol = a->amount_column ? mk_column(a->amount_column, "amount_column") : NULL;
	TupleDesc	td;
	Oid			atype = InvalidOid;
	char	   *query;

	if (SPI_execute(psprintf("SELECT %s, %s%s%s FROM %s LIMIT 0", ccol, dcol, acol ? ", " : "",
							 acol ? acol : "", from), true, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading the source failed");
	td = SPI_tuptable->tupdesc;
	(void) mk_purchase_date_type(td, a->date_column);
	if (acol)
	{
		mk_require_numeric(td, 3, psprintf("amount column \"%s\"", a->amount_column));
		atype = getBaseType(TupleDescAttr(td, 2)->atttypid);
	}
	rc->int_keys = is_int_type(getBaseType(TupleDescAttr(td, 0)->atttypid));
	rc->has_amount = acol != NULL;
	rc->amount_kind = is_int_type(atype) ? CLV_AMT_INT : CLV_AMT_NUMERIC;
	/* float amounts are summed as the numerics they print as */
	query = psprintf("SELECT (%s)::%s, (%s)::date%s%s%s FROM %s",
					 ccol, rc->int_keys ? "int8" : "text", dcol,
					 acol ? ", (" : "", acol ? acol : "",
					 acol == NULL ? "" : is_int_type(atype) ? ")::int8" : ")::numeric",
					 from);
	rc->has_cut = a->has_cal;
	rc->cut = a->cal;
	rc->newest = DATEVAL_NOBEGIN;
	mk_purchase_receiver_init((MkPurchaseReceiver *) rc, rc->cxt, clv_receive, NULL);
	mk_purchase_read((MkPurchaseReceiver *) rc, query);
}

/* what training keeps between its phases */
typedef struct ClvTrainState
{
	ClvReceiver *rc;
	int32	   *ggx;			/* the Gamma-Gamma customers: x >= 1 and a positive m_x */
	double	   *ggm;
	int64		ngg;
	int64		days_without_amount;
	ClvFitInfo	fi;
	double		read_ms;
	double		fit_ms;
} ClvTrainState;

/* the read customers' summaries into md (every customer) and st (the spend model's) */
static void
clv_summarise(ClvArgs *a, ClvReceiver *rc, ClvModel *md, ClvTrained *tr, ClvTrainState *st)
{
	int64		n = rc->ncust;

	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no purchases to fit"),
				 errdetail("%lld rows had a NULL customer, %lld a NULL date, %lld were dated after calibration_end.",
						   (long long) rc->null_customer, (long long) rc->null_date, (long long) rc->after_cut),
				 errhint("calibration_end must not be before every purchase.")));
	if (n > (int64) INT32_MAX)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED), errmsg("too many customers (%lld)", (long long) n)));

	md->purchase_model = a->purchase_model;
	md->unit = a->unit;
	md->cal = a->has_cal ? a->cal : rc->newest;
	md->has_amount = a->amount_column != NULL;
	md->n = n;
	md->int_keys = rc->int_keys;
	md->source = mk_source_canonical(a->source);
	md->customer_column = a->customer_column;
	md->date_column = a->date_column;
	md->x = palloc_extended(n * sizeof(int32), MCXT_ALLOC_HUGE);
	md->tx = palloc_extended(n * sizeof(int32), MCXT_ALLOC_HUGE);
	md->T = palloc_extended(n * sizeof(int32), MCXT_ALLOC_HUGE);
	md->m = palloc_extended(n * sizeof(double), MCXT_ALLOC_HUGE);
	st->ggx = palloc_extended(n * sizeof(int32), MCXT_ALLOC_HUGE);
	st->ggm = palloc_extended(n * sizeof(double), MCXT_ALLOC_HUGE);
	if (rc->int_keys)
		md->ikeys = palloc_extended(n * sizeof(int64), MCXT_ALLOC_HUGE);
	else
		md->tkeys = palloc_extended(n * sizeof(char *), MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < n; i++)
	{
		ClvAcc	   *c = acc_at(rc, i);
		int32		first = c->days[0].day,
					last = c->days[0].day,
					ifirst = 0,
					npos = 0;
		__int128	sum = 0;

		for (int32 k = 1; k < c->ndays; k++)
		{
			if (c->days[k].day < first)
			{
				first = c->days[k].day;
				ifirst = k;
			}
			if (c->days[k].day > last)
				last = c->days[k].day;
		}
		/* the repeat days with a positive summed amount (sums of positive values: no overflow in practice) */
		for (int32 k = 0; k < c->ndays; k++)
			if (k != ifirst && c->days[k].has_amt && c->days[k].sum > 0)
			{
				if (__builtin_add_overflow(sum, c->days[k].sum, &sum))
					ereport(ERROR,
							(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
							 errmsg("a customer's summed amounts exceed the exact range")));
				npos++;
			}
			else if (c->days[k].has_amt == 0 && rc->has_amount)
				st->days_without_amount++;
		if (rc->int_keys)
			md->ikeys[i] = c->key;
		else
			md->tkeys[i] = pnstrdup(rc->table.arena + c->key_off, c->key_len);
		md->x[i] = c->ndays - 1;
		md->tx[i] = last - first;
		md->T[i] = md->cal - first;
		md->m[i] = NAN;
		if (md->x[i] > 0)
			tr->repeaters++;
		if (md->has_amount && md->x[i] > 0 && npos > 0)
		{
			md->m[i] = rfm_fixed_to_double(sum) / npos;
			st->ggx[st->ngg] = md->x[i];
			st->ggm[st->ngg] = md->m[i];
			st->ngg++;
		}
	}
	if (tr->repeaters == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no customer made a repeat purchase before calibration_end"),
				 errhint("The purchase models need customers with purchases on at least two days; use a later calibration_end or more data.")));
	if (md->has_amount && st->ngg == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no repeat customer has a positive spend"),
				 errhint("Give amount_column => NULL to fit the purchase model only.")));
}

/* the purchase model and (with an amount column) Gamma-Gamma into md; ERROR when one does not converge */
static void
clv_fit_models(ClvModel *md, ClvTrainState *st)
{
	char		msg[256];
	int			rc_fit;
	ClvCustomers cu;

	cu.n = md->n;
	cu.x = md->x;
	cu.tx = md->tx;
	cu.T = md->T;
	cu.unit = md->unit;
	cu.threads = mk_thread_count();
	cu.w = NULL;
	rc_fit = clv_fit(md->purchase_model, &cu, md->par, &md->loglik, &st->fi, mk_cancel_poll, NULL, msg, sizeof(msg));
	if (rc_fit == -3)
		CHECK_FOR_INTERRUPTS();
	if (rc_fit != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("the %s likelihood could not be maximised: %s", clv_model_name(md->purchase_model), msg),
				 errhint("The data may not fit the model (e.g. nobody stops buying); try the other purchase_model.")));
	if (md->has_amount)
	{
		rc_fit = clv_gg_fit(st->ngg, st->ggx, st->ggm, mk_thread_count(), md->gg, &md->gg_loglik, mk_cancel_poll, NULL,
							msg, sizeof(msg));
		if (rc_fit == -3)
			CHECK_FOR_INTERRUPTS();
		if (rc_fit != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("the Gamma-Gamma spend likelihood could not be maximised: %s", msg)));
	}
	else
		md->gg[0] = md->gg[1] = md->gg[2] = md->gg_loglik = NAN;
}

static char *
clv_metrics_json(ClvArgs *a, ClvModel *md, ClvTrained *tr, ClvTrainState *st)
{
	ClvReceiver *rc = st->rc;
	MkJson		j;
	char		buf[MAXDATELEN + 1];

	tr->params = clv_params_json(md);
	mk_json_begin(&j);
	mk_json_key(&j, "purchase_model");
	mk_json_str(&j, clv_model_name(md->purchase_model));
	mk_json_key(&j, "calibration_end");
	mk_json_str(&j, JsonEncodeDateTime(buf, DateADTGetDatum(md->cal), DATEOID, NULL));
	mk_json_key(&j, "time_unit");
	mk_json_str(&j, a->time_unit);
	mk_json_key(&j, "n_customers");
	mk_json_int(&j, md->n);
	mk_json_key(&j, "repeaters");
	mk_json_int(&j, tr->repeaters);
	mk_json_key(&j, "params");
	mk_json_raw(&j, tr->params);
	mk_json_key(&j, "loglik");
	mk_json_num(&j, md->loglik);
	mk_json_key(&j, "spend_loglik");
	mk_json_num(&j, md->gg_loglik);
	mk_json_key(&j, "dropout_limit");
	mk_json_bool(&j, st->fi.limit);
	mk_json_key(&j, "fit_rows");
	mk_json_int(&j, st->fi.rows);
	mk_json_key(&j, "fit_gradient");
	mk_json_num(&j, st->fi.grad_max);
	if (md->purchase_model == CLV_PARETO)
	{
		/* the limit's score for a spread of dropout rates (<= 0: the limit; doc/clv.md) */
		mk_json_key(&j, "dispersion_score");
		mk_json_num(&j, st->fi.dispersion);
	}
	mk_json_key(&j, "spend_customers");
	mk_json_int(&j, st->ngg);
	mk_json_key(&j, "rows_used");
	mk_json_int(&j, rc->rows_used);
	mk_json_key(&j, "read_ms");
	mk_json_num(&j, st->read_ms);
	mk_json_key(&j, "fit_ms");
	mk_json_num(&j, st->fit_ms);
	mk_json_key(&j, "skipped_null_customer");
	mk_json_int(&j, rc->null_customer);
	mk_json_key(&j, "skipped_null_date");
	mk_json_int(&j, rc->null_date);
	mk_json_key(&j, "skipped_after_calibration_end");
	mk_json_int(&j, rc->after_cut);
	mk_json_key(&j, "null_amounts");
	mk_json_int(&j, rc->null_amount);
	mk_json_key(&j, "days_without_amount");
	mk_json_int(&j, st->days_without_amount);
	return mk_json_end(&j);
}

/* read -> summarise -> fit -> store */
static void
clv_train(ClvArgs *a, ClvTrained *tr)
{
	MkTime		t0 = mk_now();
	MkTime		tf;
	ClvTrainState st;

	memset(tr, 0, sizeof(*tr));
	memset(&st, 0, sizeof(st));
	st.rc = palloc0(sizeof(ClvReceiver));
	st.rc->cxt = CurrentMemoryContext;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	clv_read(a, st.rc);
	SPI_finish();
	clv_summarise(a, st.rc, &tr->md, tr, &st);
	st.read_ms = mk_ms_since(t0);
	tf = mk_now();
	clv_fit_models(&tr->md, &st);
	st.fit_ms = mk_ms_since(tf);
	{
		char	   *metrics = clv_metrics_json(a, &tr->md, tr, &st);

		tr->train_ms = mk_ms_since(t0);
		mk_store_model(a->model, "clv", clv_spec_json(a), metrics, st.rc->rows_used, tr->train_ms,
					   clv_serialize(&tr->md), &tr->version);
	}
}

/*
 * mktdb.clv_train(model, source, customer_column, date_column, amount_column,
 *                 calibration_end, time_unit, purchase_model)
 *   -> (model, version, n_customers, repeaters, params, loglik, train_ms)
 */
PG_FUNCTION_INFO_V1(mktdb_clv_train);
Datum
mktdb_clv_train(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ClvArgs		a;
	ClvTrained	tr;
	MemoryContext cxt;
	MemoryContext old;
	Datum		values[7];
	bool		nulls[7] = {false};

	clv_get_args(fcinfo, &a);
	InitMaterializedSRF(fcinfo, 0);
	cxt = AllocSetContextCreate(CurrentMemoryContext, "mktdb clv", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	clv_train(&a, &tr);
	MemoryContextSwitchTo(old);
	values[0] = CStringGetTextDatum(a.model);
	values[1] = Int32GetDatum(tr.version);
	values[2] = Int64GetDatum(tr.md.n);
	values[3] = Int64GetDatum(tr.repeaters);
	values[4] = DirectFunctionCall1(jsonb_in, CStringGetDatum(tr.params));
	values[5] = Float8GetDatum(tr.md.loglik);
	values[6] = Float8GetDatum(tr.train_ms);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	MemoryContextDelete(cxt);
	return (Datum) 0;
}

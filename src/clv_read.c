/*
 * clv_read.c -- scoring with a stored customer-lifetime-value model: mktdb.customer_value
 * (every calibration customer), mktdb.clv_of (any four numbers) and mktdb.clv_accuracy
 * (predicted against actual purchases after calibration_end, read from the source now).
 */
#include "mktdb.h"
#include "chart.h"

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

/* ---------- scoring ---------- */

static void
check_horizon(FunctionCallInfo fcinfo, int ih, int id, double *h, double *d)
{
	mk_arg_notnull(fcinfo, ih, "horizon");
	mk_arg_notnull(fcinfo, id, "discount_rate");
	*h = PG_GETARG_FLOAT8(ih);
	*d = PG_GETARG_FLOAT8(id);
	if (!(*h >= 0) || !isfinite(*h))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("horizon must be a finite number >= 0, not %g", *h)));
	if (!(*d > -1) || !isfinite(*d))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("discount_rate must be greater than -1, not %g", *d),
				 errhint("discount_rate is the rate per time unit of the model, e.g. 0.002 per week.")));
	if (*d != 0 && *h > 1e6)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a discounted horizon is summed per time unit: at most 1000000 units")));
}

/* p_alive, expected_purchases, expected_spend, clv of one customer into values[0..3] */
static void
score(ClvModel *md, double x, double tx, double T, double m, double h, double d, Datum *values, bool *nulls)
{
	double		pa = clv_p_alive(md->purchase_model, md->par, x, tx, T);
	double		e = clv_expected(md->purchase_model, md->par, x, tx, T, h);
	double		sp = md->has_amount && md->gg[1] > 1 ? clv_spend(md->gg, x, m) : NAN;
	double		disc = d == 0 ? e : clv_discounted(md->purchase_model, md->par, x, tx, T, h, d);
	double		out[4] = {pa, e, sp, sp * disc};

	for (int k = 0; k < 4; k++)
	{
		nulls[k] = !isfinite(out[k]);
		values[k] = Float8GetDatum(out[k]);
	}
}

/*
 * mktdb.customer_value(model, horizon, discount_rate): every calibration customer with
 * its summary and scores.
 */
PG_FUNCTION_INFO_V1(mktdb_customer_value);
Datum
mktdb_customer_value(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	double		h,
				d;
	ClvModel   *md;
	MemoryContext row_cxt;
	MemoryContext old;

	check_horizon(fcinfo, 1, 2, &h, &d);
	md = clv_get_model(fcinfo);
	InitMaterializedSRF(fcinfo, 0);
	row_cxt = AllocSetContextCreate(CurrentMemoryContext, "mktdb clv rows", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(row_cxt);
	for (int64 i = 0; i < md->n; i++)
	{
		Datum		values[9];
		bool		nulls[9] = {false};
		double		tx = md->tx[i] / md->unit,
					T = md->T[i] / md->unit;
		char		buf[32];

		if ((i & 0x3FFF) == 0)
		{
			CHECK_FOR_INTERRUPTS();
			MemoryContextReset(row_cxt);
		}
		if (md->int_keys)
		{
			snprintf(buf, sizeof(buf), INT64_FORMAT, md->ikeys[i]);
			values[0] = CStringGetTextDatum(buf);
		}
		else
			values[0] = CStringGetTextDatum(md->tkeys[i]);
		values[1] = Int32GetDatum(md->x[i]);
		values[2] = Float8GetDatum(tx);
		values[3] = Float8GetDatum(T);
		values[4] = Float8GetDatum(md->m[i]);
		nulls[4] = isnan(md->m[i]);
		score(md, md->x[i], tx, T, md->m[i], h, d, values + 5, nulls + 5);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(row_cxt);
	return (Datum) 0;
}

/* mktdb.clv_of(model, frequency, recency, t, monetary, horizon, discount_rate) */
PG_FUNCTION_INFO_V1(mktdb_clv_of);
Datum
mktdb_clv_of(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	double		h,
				d,
				x,
				tx,
				T,
				m;
	ClvModel   *md;
	Datum		values[4];
	bool		nulls[4];

	mk_arg_notnull(fcinfo, 1, "frequency");
	mk_arg_notnull(fcinfo, 2, "recency");
	mk_arg_notnull(fcinfo, 3, "t");
	check_horizon(fcinfo, 5, 6, &h, &d);
	x = PG_GETARG_INT32(1);
	tx = PG_GETARG_FLOAT8(2);
	T = PG_GETARG_FLOAT8(3);
	m = PG_ARGISNULL(4) ? NAN : PG_GETARG_FLOAT8(4);
	if (x < 0 || !(tx >= 0) || !(T >= tx) || !isfinite(T))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("need frequency >= 0 and 0 <= recency <= t (finite)"),
				 errhint("recency and t are in the model's time unit, as customer_value shows them.")));
	if (x == 0 && tx != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recency must be 0 when frequency is 0")));
	if (!PG_ARGISNULL(4) && !(m > 0 && isfinite(m)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("monetary must be positive or NULL")));
	md = clv_get_model(fcinfo);
	InitMaterializedSRF(fcinfo, 0);
	score(md, x, tx, T, m, h, d, values, nulls);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}

/*
 * mktdb.clv_accuracy(model, holdout_end): per calibration frequency (7 = 7 or more) and
 * for everyone (NULL), actual mean purchase days in (calibration_end, holdout_end]
 * against the mean expected_purchases over that span.
 */
PG_FUNCTION_INFO_V1(mktdb_clv_accuracy);
Datum
mktdb_clv_accuracy(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ClvModel   *md;
	DateADT		ho;
	char	   *name;
	char	   *query;
	Oid			types[4] = {TEXTOID, FLOAT8OID, DATEOID, DATEOID};
	Datum		args[4];
	const char *ccol,
			   *dcol;

	mk_arg_notnull(fcinfo, 1, "holdout_end");
	md = clv_get_model(fcinfo);
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ho = PG_GETARG_DATEADT(1);
	if (DATE_NOT_FINITE(ho) || ho <= md->cal)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("holdout_end must be a finite date after the model's calibration_end")));
	/* copies: the cached model may be replaced by the nested customer_value call */
	ccol = mk_column(pstrdup(md->customer_column), "customer_column");
	dcol = mk_column(pstrdup(md->date_column), "date_column");
	args[0] = CStringGetTextDatum(name);
	args[1] = Float8GetDatum((ho - md->cal) / md->unit);
	args[2] = DateADTGetDatum(md->cal);
	args[3] = DateADTGetDatum(ho);
	query = psprintf("WITH cv AS (SELECT customer_id, frequency, expected_purchases FROM mktdb.customer_value($1, $2)),"
					 " ho AS (SELECT (%s)::text AS customer_id, count(DISTINCT (%s)::date) AS n FROM %s"
					 " WHERE (%s)::date > $3 AND (%s)::date <= $4 AND (%s) IS NOT NULL GROUP BY 1)"
					 " SELECT least(cv.frequency, 7), count(*), avg(coalesce(ho.n, 0))::float8,"
					 " avg(cv.expected_purchases)::float8"
					 " FROM cv LEFT JOIN ho USING (customer_id) GROUP BY ROLLUP (1) ORDER BY 1 NULLS LAST",
					 ccol, dcol, mk_source_from(pstrdup(md->source)), dcol, dcol, ccol);
	InitMaterializedSRF(fcinfo, 0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args(query, 4, types, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "clv_accuracy query failed");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		Datum		values[4];
		bool		nulls[4];

		for (int k = 0; k < 4; k++)
			values[k] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, k + 1, &nulls[k]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	SPI_finish();
	return (Datum) 0;
}

/*
 * abtest_sql.c -- SQL glue of campaign evaluation: the moments aggregate
 * mktdb.ab_moments (float8[] state, combinable, parallel safe), mktdb.ab_test,
 * mktdb.ab_sequential, mktdb.ab_sample_size and mktdb.ab_bayes.  Nothing is stored:
 * the functions read the source once (one GROUP BY over the aggregate, so that
 * parallel workers and Citus shards do the per-row work) and compute the tests in
 * core/abtest.c and core/msprt.c.
 */
#include "mktdb.h"

#include <float.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "core/abtest.h"
#include "core/dist.h"
#include "core/msprt.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(mktdb_ab_moments_add);
PG_FUNCTION_INFO_V1(mktdb_ab_moments_combine);
PG_FUNCTION_INFO_V1(mktdb_ab_test);
PG_FUNCTION_INFO_V1(mktdb_ab_sequential);
PG_FUNCTION_INFO_V1(mktdb_ab_sample_size);
PG_FUNCTION_INFO_V1(mktdb_ab_bayes);

/* ---------- the aggregate ---------- */

/* the state array's values; ERROR unless it is a float8[MK_AB_NSTATE] without NULLs */
static double *
ab_state(ArrayType *a)
{
	if (ARR_NDIM(a) != 1 || ARR_DIMS(a)[0] != MK_AB_NSTATE || ARR_HASNULL(a) ||
		ARR_ELEMTYPE(a) != FLOAT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("not an ab_moments state: expected float8[%d] without NULLs", MK_AB_NSTATE)));
	/* no NULLs: the data follow the one-dimensional header (ARR_DATA_PTR's form warns under -Wextra) */
	return (double *) ((char *) a + ARR_OVERHEAD_NONULLS(1));
}

/* a fresh state array with the values of s */
static ArrayType *
ab_state_copy(const double *s)
{
	Datum		d[MK_AB_NSTATE];

	for (int i = 0; i < MK_AB_NSTATE; i++)
		d[i] = Float8GetDatum(s[i]);
	return construct_array(d, MK_AB_NSTATE, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

static void
ab_check_finite(double v, const char *what)
{
	if (!isfinite(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s value %g is not finite", what, v),
				 errhint("Filter NaN and infinite values out in a query source.")));
}

/* ab_moments(y) / ab_moments(y, x) transition: Welford's update, in place inside an aggregate */
Datum
mktdb_ab_moments_add(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	double		y = PG_GETARG_FLOAT8(1),
				x = PG_NARGS() > 2 ? PG_GETARG_FLOAT8(2) : 0;
	double	   *s = ab_state(a);

	ab_check_finite(y, "metric");
	ab_check_finite(x, "covariate");
	if (AggCheckCallContext(fcinfo, NULL))
	{
		mk_ab_add(s, y, x);
		PG_RETURN_ARRAYTYPE_P(a);
	}
	else
	{
		double		c[MK_AB_NSTATE];

		memcpy(c, s, sizeof(c));
		mk_ab_add(c, y, x);
		PG_RETURN_ARRAYTYPE_P(ab_state_copy(c));
	}
}

/* combine two partial states (Chan et al.) */
Datum
mktdb_ab_moments_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *b = PG_GETARG_ARRAYTYPE_P(1);
	double	   *sa = ab_state(a),
			   *sb = ab_state(b);

	if (AggCheckCallContext(fcinfo, NULL))
	{
		mk_ab_combine(sa, sb);
		PG_RETURN_ARRAYTYPE_P(a);
	}
	else
	{
		double		c[MK_AB_NSTATE];

		memcpy(c, sa, sizeof(c));
		mk_ab_combine(c, sb);
		PG_RETURN_ARRAYTYPE_P(ab_state_copy(c));
	}
}

/* ---------- shared by ab_test and ab_sequential ---------- */

typedef enum
{
	AB_AUTO,
	AB_PROPORTION,
	AB_MEAN
} AbMetric;

typedef struct AbData
{
	int			k;				/* variants */
	char	  **name;			/* in the variant column's sort order */
	double	  **st;				/* whole-experiment state per variant */
	int			ctl;			/* control's index */
	bool		proportion;		/* the test used */
	/* ab_sequential only: one row per (variant, time) in variant then time order */
	int			nrows;
	int		   *row_var;
	TimestampTz *row_ts;
	double	  **row_st;
} AbData;

static AbMetric
ab_metric_arg(FunctionCallInfo fcinfo, int n)
{
	char	   *m = mk_arg_text(fcinfo, n, "metric");

	if (strcmp(m, "auto") == 0)
		return AB_AUTO;
	if (strcmp(m, "proportion") == 0)
		return AB_PROPORTION;
	if (strcmp(m, "mean") == 0)
		return AB_MEAN;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("metric must be 'auto', 'proportion' or 'mean', not '%s'", m)));
	return AB_AUTO;				/* keep compiler quiet */
}

static double
ab_alpha_arg(FunctionCallInfo fcinfo, int n)
{
	double		alpha;

	mk_arg_notnull(fcinfo, n, "alpha");
	alpha = PG_GETARG_FLOAT8(n);
	if (!(alpha > 0 && alpha < 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("alpha must be between 0 and 1 (exclusive), not %g", alpha),
				 errhint("alpha is the significance level; 0.05 gives 95 %% confidence intervals.")));
	return alpha;
}

/* SQL expression of a metric/covariate column as float8, after checking its type */
static const char *
ab_f8_expr(TupleDesc td, int attno, const char *alias, const char *what, bool allow_bool)
{
	Oid			t = getBaseType(TupleDescAttr(td, attno - 1)->atttypid);

	if (allow_bool && t == BOOLOID)
		return psprintf("CAST(CAST(%s AS pg_catalog.int4) AS pg_catalog.float8)", alias);
	mk_require_numeric(td, attno, what);
	return psprintf("CAST(%s AS pg_catalog.float8)", alias);
}

/* the arguments ab_test and ab_sequential share; off = 1 when time_column precedes control */
typedef struct AbArgs
{
	char	   *source,
			   *var_col,
			   *metric_col,
			   *control;
	AbMetric	metric;
	double		alpha;
} AbArgs;

static void
ab_common_args(FunctionCallInfo fcinfo, int off, AbArgs *a)
{
	a->source = mk_arg_text(fcinfo, 0, "source");
	a->var_col = mk_arg_text(fcinfo, 1, "variant_column");
	a->metric_col = mk_arg_text(fcinfo, 2, "metric_column");
	a->control = PG_ARGISNULL(3 + off) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3 + off));
	a->metric = ab_metric_arg(fcinfo, 4 + off);
	a->alpha = ab_alpha_arg(fcinfo, 5 + off);
}

/*
 * Reads the per-variant moments (and with time_col, per variant and time) in one
 * aggregate query; resolves the control and the test.  Allocates in CurrentMemoryContext.
 */
static void
ab_read(const char *source, const char *var_col, const char *metric_col, const char *cov_col,
		const char *time_col, const char *control, AbMetric metric, AbData *d)
{
	MemoryContext outer = CurrentMemoryContext;
	const char *from = mk_source_from(source);
	const char *vq = mk_column(var_col, "variant_column");
	const char *yq = mk_column(metric_col, "metric_column");
	const char *xq = cov_col ? mk_column(cov_col, "covariate_column") : NULL;
	const char *tq = time_col ? mk_column(time_col, "time_column") : NULL;
	StringInfoData q;
	TupleDesc	td;
	const char *yexpr,
			   *xexpr = NULL;
	double		nonbinary = 0;
	int			cap;

	initStringInfo(&q);
	appendStringInfo(&q, "SELECT %s AS v, %s AS y", vq, yq);
	if (xq)
		appendStringInfo(&q, ", %s AS x", xq);
	if (tq)
		appendStringInfo(&q, ", %s AS t", tq);
	appendStringInfo(&q, " FROM %s", from);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* the columns' types, from the plan of a query that reads nothing */
	if (SPI_execute(psprintf("%s LIMIT 0", q.data), true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the source");
	td = SPI_tuptable->tupdesc;
	yexpr = ab_f8_expr(td, 2, "y", psprintf("metric_column \"%s\"", metric_col), true);
	if (xq)
		xexpr = ab_f8_expr(td, 3, "x", psprintf("covariate_column \"%s\"", cov_col), false);
	if (tq)
	{
		Oid			t = getBaseType(TupleDescAttr(td, td->natts - 1)->atttypid);

		if (t != DATEOID && t != TIMESTAMPOID && t != TIMESTAMPTZOID)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("time_column \"%s\" is of type %s, not a date, timestamp or timestamptz",
							time_col, format_type_be(t)),
					 errhint("Cast it in a query source, e.g. SELECT day::date AS day, ...")));
	}

	/* one aggregate pass: GROUP BY the variant (and the time), rows with a NULL skipped */
	{
		StringInfoData a;

		initStringInfo(&a);
		appendStringInfo(&a, "SELECT CAST(v AS pg_catalog.text), mktdb.ab_moments(%s%s%s)", yexpr,
						 xexpr ? ", " : "", xexpr ? xexpr : "");
		if (tq)
			appendStringInfoString(&a, ", CAST(t AS pg_catalog.timestamptz)");
		/* qualified: a bare v in ORDER BY would name the text output column */
		appendStringInfo(&a, " FROM (%s) mktdb_ab WHERE v IS NOT NULL%s GROUP BY mktdb_ab.v%s ORDER BY mktdb_ab.v%s",
						 q.data, tq ? " AND t IS NOT NULL" : "", tq ? ", 3" : "", tq ? ", 3" : "");
		if (SPI_execute(a.data, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not read the source");
	}

	memset(d, 0, sizeof(*d));
	cap = 8;
	d->name = MemoryContextAlloc(outer, sizeof(char *) * cap);
	d->st = MemoryContextAlloc(outer, sizeof(double *) * cap);
	d->nrows = 0;
	if (tq)
	{
		d->row_var = MemoryContextAlloc(outer, sizeof(int) * Max(SPI_processed, 1));
		d->row_ts = MemoryContextAlloc(outer, sizeof(TimestampTz) * Max(SPI_processed, 1));
		d->row_st = MemoryContextAlloc(outer, sizeof(double *) * Max(SPI_processed, 1));
	}
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		bool		isnull;
		char	   *v = TextDatumGetCString(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));
		Datum		sd = SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull);
		double	   *s;

		CHECK_FOR_INTERRUPTS();
		if (isnull)
			continue;
		s = MemoryContextAlloc(outer, sizeof(double) * MK_AB_NSTATE);
		memcpy(s, ab_state(DatumGetArrayTypeP(sd)), sizeof(double) * MK_AB_NSTATE);
		if (s[MK_AB_N] == 0)
			continue;			/* only NULL metrics (or covariates) in this group */
		if (d->k == 0 || strcmp(d->name[d->k - 1], v) != 0)
		{
			if (d->k == cap)
			{
				cap *= 2;
				d->name = repalloc(d->name, sizeof(char *) * cap);
				d->st = repalloc(d->st, sizeof(double *) * cap);
			}
			d->name[d->k] = MemoryContextStrdup(outer, v);
			d->st[d->k] = MemoryContextAllocZero(outer, sizeof(double) * MK_AB_NSTATE);
			d->k++;
		}
		mk_ab_combine(d->st[d->k - 1], s);
		if (tq)
		{
			d->row_var[d->nrows] = d->k - 1;
			d->row_ts[d->nrows] = DatumGetTimestampTz(SPI_getbinval(tup, SPI_tuptable->tupdesc, 3, &isnull));
			d->row_st[d->nrows] = s;
			d->nrows++;
		}
	}
	SPI_finish();

	if (d->k == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("the source has no row with a non-NULL variant and metric%s", cov_col ? " and covariate" : "")));
	if (d->k < 2)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("the source has a single variant \"%s\"; an experiment needs a control and at least one treatment",
						d->name[0])));
	d->ctl = -1;
	for (int i = 0; i < d->k; i++)
		if (strcmp(d->name[i], control ? control : "control") == 0)
			d->ctl = i;
	if (d->ctl < 0 && control)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("control \"%s\" is not a variant of the source", control),
				 errhint("Variants with data: %s%s.", d->name[0], d->k > 1 ? ", ..." : "")));
	if (d->ctl < 0)
		d->ctl = 0;
	for (int i = 0; i < d->k; i++)
		nonbinary += d->st[i][MK_AB_NONBINARY];
	if (metric == AB_PROPORTION && nonbinary > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("metric 'proportion' needs values 0 and 1 only; %.0f values of \"%s\" are neither",
						nonbinary, metric_col),
				 errhint("Use metric => 'mean' for other values.")));
	d->proportion = (metric == AB_PROPORTION || (metric == AB_AUTO && nonbinary == 0)) && !cov_col;
}

static double
ab_var(const double *s)
{
	return s[MK_AB_N] > 1 ? s[MK_AB_M2_Y] / (s[MK_AB_N] - 1) : NAN;
}

/* a float8 output column: NULL for NaN and infinities */
static void
ab_put(Datum *v, bool *nulls, int i, double x)
{
	nulls[i] = !isfinite(x);
	v[i] = Float8GetDatum(isfinite(x) ? x : 0);
}

/* ---------- ab_test ---------- */

Datum
mktdb_ab_test(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AbArgs		a;
	char	   *cov_col = PG_ARGISNULL(6) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(6));
	double	   *split = NULL;
	int			nsplit = 0;
	AbData		d;
	double	   *mean,
			   *var,
			   *p,
			   *adj,
			   *counts,
				srm,
				theta = 0;
	MkAbCmp    *cmp;

	ab_common_args(fcinfo, 0, &a);
	if (!PG_ARGISNULL(7))
	{
		ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(7);
		double		sum = 0;

		if (ARR_NDIM(arr) != 1 || ARR_HASNULL(arr))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("expected_split must be a non-empty one-dimensional array without NULLs")));
		nsplit = ARR_DIMS(arr)[0];
		split = (double *) ((char *) arr + ARR_OVERHEAD_NONULLS(1));
		for (int i = 0; i < nsplit; i++)
		{
			if (!(split[i] > 0 && split[i] < 1) && !(nsplit == 1 && split[i] == 1))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("expected_split shares must be greater than 0, not %g", split[i]),
						 errhint("Give one share per variant, in the variants' sort order, summing to 1.")));
			sum += split[i];
		}
		/* R's chisq.test tolerance */
		if (fabs(sum - 1) > sqrt(DBL_EPSILON))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("expected_split must sum to 1, not %g", sum)));
	}

	InitMaterializedSRF(fcinfo, 0);
	ab_read(a.source, a.var_col, a.metric_col, cov_col, NULL, a.control, a.metric, &d);
	if (split && nsplit != d.k)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expected_split has %d shares but the source has %d variants", nsplit, d.k),
				 errhint("Give one share per variant, in the variants' sort order.")));

	mean = palloc(sizeof(double) * d.k);
	var = palloc(sizeof(double) * d.k);
	p = palloc(sizeof(double) * d.k);
	adj = palloc(sizeof(double) * d.k);
	counts = palloc(sizeof(double) * d.k);
	cmp = palloc0(sizeof(MkAbCmp) * d.k);
	for (int i = 0; i < d.k; i++)
	{
		mean[i] = d.st[i][MK_AB_MEAN_Y];
		var[i] = ab_var(d.st[i]);
		counts[i] = d.st[i][MK_AB_N];
	}
	if (cov_col && mk_cuped(d.st, d.k, &theta, mean, var) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("covariate_column \"%s\" is constant; CUPED needs a covariate that varies", cov_col)));

	for (int i = 0; i < d.k; i++)
	{
		p[i] = NAN;
		if (i == d.ctl)
			continue;
		if (d.proportion)
			mk_prop_test(d.st[i][MK_AB_SUM_Y], counts[i], d.st[d.ctl][MK_AB_SUM_Y], counts[d.ctl], a.alpha, &cmp[i]);
		else
		{
			int			rc = mk_welch_test(mean[i], var[i], counts[i], mean[d.ctl], var[d.ctl],
										   counts[d.ctl], a.alpha, &cmp[i]);

			if (rc == -1)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("variant \"%s\" or control \"%s\" has fewer than 2 rows; the t-test needs 2 per arm",
								d.name[i], d.name[d.ctl])));
			if (rc == -2)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("variant \"%s\" and control \"%s\" both have zero variance; the t-test is undefined",
								d.name[i], d.name[d.ctl]),
						 errhint("Constant data need no test: compare the means directly.")));
		}
		p[i] = cmp[i].p_value;
	}
	mk_holm(p, adj, d.k);
	if (!split)
	{
		split = palloc(sizeof(double) * d.k);
		for (int i = 0; i < d.k; i++)
			split[i] = 1.0 / d.k;
	}
	srm = mk_chisq_gof_p(counts, split, d.k);

	for (int i = 0; i < d.k; i++)
	{
		Datum		v[12];
		bool		nulls[12] = {0};

		v[0] = CStringGetTextDatum(d.name[i]);
		v[1] = Int64GetDatum((int64) counts[i]);
		ab_put(v, nulls, 2, mean[i]);
		ab_put(v, nulls, 3, sqrt(var[i]));
		if (i == d.ctl)
		{
			for (int j = 4; j <= 9; j++)
				nulls[j] = true;
		}
		else
		{
			ab_put(v, nulls, 4, cmp[i].diff);
			ab_put(v, nulls, 5, cmp[i].ci_lo);
			ab_put(v, nulls, 6, cmp[i].ci_hi);
			ab_put(v, nulls, 7, cmp[i].diff / mean[d.ctl]);
			ab_put(v, nulls, 8, cmp[i].p_value);
			ab_put(v, nulls, 9, adj[i]);
		}
		v[10] = CStringGetTextDatum(d.proportion ? "z-test for proportions" : "Welch t-test");
		ab_put(v, nulls, 11, srm);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}

/* ---------- ab_sequential ---------- */

static int
ts_cmp(const void *a, const void *b)
{
	TimestampTz x = *(const TimestampTz *) a,
				y = *(const TimestampTz *) b;

	return x < y ? -1 : x > y;
}

Datum
mktdb_ab_sequential(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AbArgs		a;
	char	   *time_col = mk_arg_text(fcinfo, 3, "time_column");
	bool		has_tau = !PG_ARGISNULL(7);
	double		tau_arg = has_tau ? PG_GETARG_FLOAT8(7) : 0;
	AbData		d;
	TimestampTz *ts;
	int			nts = 0,
			   *pos;
	double	  **cum,
			   *tau;
	MkMsprt    *ms;

	ab_common_args(fcinfo, 1, &a);
	if (has_tau && !(tau_arg > 0 && isfinite(tau_arg)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tau must be a positive number, not %g", tau_arg),
				 errhint("tau is the standard deviation of the effects the test is tuned for, in the metric's units; NULL chooses %g x the metric's standard deviation.",
						 MK_MSPRT_TAU_SD)));

	InitMaterializedSRF(fcinfo, 0);
	ab_read(a.source, a.var_col, a.metric_col, NULL, time_col, a.control, a.metric, &d);

	/* distinct times, in order */
	ts = palloc(sizeof(TimestampTz) * d.nrows);
	memcpy(ts, d.row_ts, sizeof(TimestampTz) * d.nrows);
	qsort(ts, d.nrows, sizeof(TimestampTz), ts_cmp);
	for (int i = 0; i < d.nrows; i++)
		if (nts == 0 || ts[nts - 1] != ts[i])
			ts[nts++] = ts[i];

	/* per treatment: tau (default MK_MSPRT_TAU_SD x the pooled sd of it and the control) */
	tau = palloc(sizeof(double) * d.k);
	for (int i = 0; i < d.k; i++)
	{
		double		pool[MK_AB_NSTATE] = {0};

		mk_ab_combine(pool, d.st[i]);
		mk_ab_combine(pool, d.st[d.ctl]);
		tau[i] = has_tau ? tau_arg : MK_MSPRT_TAU_SD * sqrt(ab_var(pool));
	}

	/* rows are in variant, time order: one cursor per variant walks its times */
	pos = palloc0(sizeof(int) * d.k);
	cum = palloc(sizeof(double *) * d.k);
	ms = palloc(sizeof(MkMsprt) * d.k);
	for (int i = 0, r = 0; i < d.k; i++)
	{
		cum[i] = palloc0(sizeof(double) * MK_AB_NSTATE);
		mk_msprt_init(&ms[i]);
		while (r < d.nrows && d.row_var[r] != i)
			r++;
		pos[i] = r;
	}
	for (int t = 0; t < nts; t++)
	{
		CHECK_FOR_INTERRUPTS();
		for (int i = 0; i < d.k; i++)
			while (pos[i] < d.nrows && d.row_var[pos[i]] == i && d.row_ts[pos[i]] == ts[t])
				mk_ab_combine(cum[i], d.row_st[pos[i]++]);
		for (int i = 0; i < d.k; i++)
		{
			Datum		v[7];
			bool		nulls[7] = {0};
			const double *c = cum[d.ctl],
					   *s = cum[i];

			v[0] = CStringGetTextDatum(d.name[i]);
			v[1] = TimestampTzGetDatum(ts[t]);
			v[2] = Int64GetDatum((int64) s[MK_AB_N]);
			for (int j = 3; j < 7; j++)
				nulls[j] = true;
			if (i != d.ctl && s[MK_AB_N] > 0 && c[MK_AB_N] > 0)
			{
				double		mt = s[MK_AB_MEAN_Y],
							mc = c[MK_AB_MEAN_Y],
							var;

				if (d.proportion)
					var = mt * (1 - mt) / s[MK_AB_N] + mc * (1 - mc) / c[MK_AB_N];
				else
					var = ab_var(s) / s[MK_AB_N] + ab_var(c) / c[MK_AB_N];
				mk_msprt_look(&ms[i], mt - mc, var, tau[i], a.alpha);
				ab_put(v, nulls, 3, mt - mc);
				ab_put(v, nulls, 4, ms[i].lo);
				ab_put(v, nulls, 5, ms[i].hi);
				ab_put(v, nulls, 6, ms[i].p);
			}
			else if (i != d.ctl)
				ab_put(v, nulls, 6, ms[i].p);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
		}
	}
	return (Datum) 0;
}

/* ---------- ab_sample_size, ab_bayes ---------- */

Datum
mktdb_ab_sample_size(PG_FUNCTION_ARGS)
{
	double		baseline,
				mde,
				alpha,
				power,
				n;
	char	   *metric;

	mk_arg_notnull(fcinfo, 1, "mde");
	mk_arg_notnull(fcinfo, 3, "power");
	alpha = ab_alpha_arg(fcinfo, 2);
	metric = mk_arg_text(fcinfo, 4, "metric");
	mde = PG_GETARG_FLOAT8(1);
	power = PG_GETARG_FLOAT8(3);
	if (!(power > 0 && power < 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("power must be between 0 and 1 (exclusive), not %g", power)));
	if (!(mde != 0 && isfinite(mde)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mde must be a non-zero finite difference, not %g", mde),
				 errhint("mde is the smallest absolute difference worth detecting, e.g. 0.01 for one percentage point.")));
	if (strcmp(metric, "proportion") == 0)
	{
		mk_arg_notnull(fcinfo, 0, "baseline");
		baseline = PG_GETARG_FLOAT8(0);
		if (!(baseline > 0 && baseline < 1))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("baseline must be a proportion between 0 and 1 (exclusive), not %g", baseline)));
		if (!(baseline + mde > 0 && baseline + mde < 1))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("baseline + mde must be between 0 and 1 (exclusive), not %g", baseline + mde)));
		if (!PG_ARGISNULL(5))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("sd applies to metric 'mean' only"),
					 errhint("A proportion's standard deviation follows from baseline.")));
		n = mk_power_prop_n(baseline, baseline + mde, alpha, power);
	}
	else if (strcmp(metric, "mean") == 0)
	{
		double		sd;

		mk_arg_notnull(fcinfo, 5, "sd");
		sd = PG_GETARG_FLOAT8(5);
		if (!(sd > 0 && isfinite(sd)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("sd must be positive, not %g", sd)));
		n = mk_power_t_n(mde, sd, alpha, power);
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("metric must be 'proportion' or 'mean', not '%s'", metric)));
	if (!isfinite(n) || n <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no sample size reaches power %g at alpha %g", power, alpha),
				 errhint("power must exceed the test's power at the smallest sample.")));
	PG_RETURN_FLOAT8(n);
}

Datum
mktdb_ab_bayes(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	static const char *names[] = {"control_conversions", "control_n", "treatment_conversions",
	"treatment_n", "prior_alpha", "prior_beta"};
	int64		xc,
				nc,
				xt,
				nt;
	double		pa,
				pb,
				prob,
				lt,
				lc;
	Datum		v[3];
	bool		nulls[3] = {0};

	for (int i = 0; i < 6; i++)
		mk_arg_notnull(fcinfo, i, names[i]);
	xc = PG_GETARG_INT64(0);
	nc = PG_GETARG_INT64(1);
	xt = PG_GETARG_INT64(2);
	nt = PG_GETARG_INT64(3);
	pa = PG_GETARG_FLOAT8(4);
	pb = PG_GETARG_FLOAT8(5);
	if (xc < 0 || nc < 0 || xt < 0 || nt < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("conversions and n must not be negative")));
	if (xc > nc || xt > nt)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("conversions (%lld, %lld) must not exceed n (%lld, %lld)",
						(long long) xc, (long long) xt, (long long) nc, (long long) nt)));
	if (!(pa > 0 && isfinite(pa) && pb > 0 && isfinite(pb)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("prior_alpha and prior_beta must be positive finite numbers, not %g and %g", pa, pb)));
	if (mk_ab_bayes(pa + xc, pb + nc - xc, pa + xt, pb + nt - xt, &prob, &lt, &lc) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the arms are too large for the exact computation: each has more than %.0f conversions and as many non-conversions",
						MK_AB_BAYES_MAX_TERMS),
				 errhint("At that size the posteriors are normal to many digits: compare the arms with mktdb.ab_test.")));
	InitMaterializedSRF(fcinfo, 0);
	ab_put(v, nulls, 0, prob);
	ab_put(v, nulls, 1, lt);
	ab_put(v, nulls, 2, lc);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	return (Datum) 0;
}

/*
 * kmeans_dist.c -- kmeans_segment without bringing the rows here: on a Citus
 * distributed table (or with mktdb.pushdown = 'always') the fit runs as
 * aggregates that Citus pushes to the shards, each with a float8[] state, a
 * combine function and PARALLEL SAFE:
 *
 *   1. mktdb._kmeans_stats: rows, skipped rows, means, squared deviations,
 *      minima and maxima of the features (the scaling);
 *   2. a sample drawn on the shards (mktdb._kmeans_sampled: a row is in it
 *      when a hash of its values and the seed falls below a fraction, so the
 *      sample does not depend on where or in which order rows are stored);
 *      k-means++ with n_init restarts on the sample seeds the fit;
 *   3. Lloyd steps, mktdb._kmeans_lloyd: the centroids go out in the query, k
 *      counts, k x d sums and the inertia come back from each shard, until the
 *      relative change of inertia is below tol.
 *
 * So what travels is O(k x d) per pass plus the sample, never the rows.
 */
#include "mktdb.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "kmeans_int.h"

/* rows in the seeding sample: enough for k-means++ restarts to find the structure */
#define KM_SAMPLE_ROWS(k) Max(4096, 64 * (int64) (k))
#define KM_SAMPLE_RESTARTS 10	/* at least, for the seeding fit on the sample */

/* ---------------------------------------------------------------- float8[] states */

/* A zeroed one-dimensional float8[] of n elements in the current context. */
static ArrayType *
f8_new(int n)
{
	Size		bytes = ARR_OVERHEAD_NONULLS(1) + sizeof(double) * (Size) n;
	ArrayType  *a = palloc0(bytes);

	SET_VARSIZE(a, bytes);
	a->ndim = 1;
	a->dataoffset = 0;
	a->elemtype = FLOAT8OID;
	ARR_DIMS(a)[0] = n;
	ARR_LBOUND(a)[0] = 1;
	return a;
}

/* the doubles of a state or parameter array, which must hold exactly want of them (-1: any) */
static double *
f8_data(ArrayType *a, int want, const char *what)
{
	if (ARR_NDIM(a) != 1 || ARR_HASNULL(a) || ARR_ELEMTYPE(a) != FLOAT8OID ||
		(want >= 0 && ARR_DIMS(a)[0] != want))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s", what)));
	return (double *) ((char *) a + ARR_OVERHEAD_NONULLS(1));	/* 1-D, no NULLs */
}

static Size
f8_len(ArrayType *a)
{
	return ARR_NDIM(a) == 1 ? (Size) ARR_DIMS(a)[0] : 0;
}

/* the state argument, modified in place inside an aggregate (a copy outside) */
static ArrayType *
f8_state(FunctionCallInfo fcinfo, int argno)
{
	if (AggCheckCallContext(fcinfo, NULL))
		return PG_GETARG_ARRAYTYPE_P(argno);
	return PG_GETARG_ARRAYTYPE_P_COPY(argno);
}

/* ---------------------------------------------------------------- 1. statistics */

/* state: [d, skipped, CF (1 + 2d), lo (d), hi (d)] */
#define ST_LEN(d) (2 + KM_CF_LEN(d) + 2 * (Size) (d))

PG_FUNCTION_INFO_V1(mktdb_kmeans_stats_add);
Datum
mktdb_kmeans_stats_add(PG_FUNCTION_ARGS)
{
	ArrayType  *st;
	double	   *s,
			   *cf;
	const double *v;
	int			d;

	if (PG_ARGISNULL(1))
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));	/* NULL or unchanged */
	v = km_array_row(PG_GETARG_ARRAYTYPE_P(1), &d);
	if (PG_ARGISNULL(0))
	{
		st = f8_new(ST_LEN(d));
		s = f8_data(st, -1, "k-means statistics state");
		s[0] = d;
		for (int j = 0; j < d; j++)
		{
			s[2 + KM_CF_LEN(d) + j] = HUGE_VAL;
			s[2 + KM_CF_LEN(d) + d + j] = -HUGE_VAL;
		}
	}
	else
	{
		st = f8_state(fcinfo, 0);
		s = f8_data(st, -1, "k-means statistics state");
		if (f8_len(st) != ST_LEN(d) || s[0] != d)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("feature arrays must all have the same length")));
	}
	if (v == NULL)
	{
		s[1] += 1;
		PG_RETURN_ARRAYTYPE_P(st);
	}
	/* Welford's update of the one clustering feature */
	cf = s + 2;
	cf[0] += 1;
	for (int j = 0; j < d; j++)
	{
		double		delta = v[j] - cf[1 + j];

		cf[1 + j] += delta / cf[0];
		cf[1 + d + j] += delta * (v[j] - cf[1 + j]);
		s[2 + KM_CF_LEN(d) + j] = Min(s[2 + KM_CF_LEN(d) + j], v[j]);
		s[2 + KM_CF_LEN(d) + d + j] = Max(s[2 + KM_CF_LEN(d) + d + j], v[j]);
	}
	PG_RETURN_ARRAYTYPE_P(st);
}

PG_FUNCTION_INFO_V1(mktdb_kmeans_stats_combine);
Datum
mktdb_kmeans_stats_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *sa = f8_state(fcinfo, 0);
	double	   *a = f8_data(sa, -1, "k-means statistics state"),
			   *b = f8_data(PG_GETARG_ARRAYTYPE_P(1), f8_len(sa), "k-means statistics state");
	int			d = (int) a[0];

	if (d < 1 || f8_len(sa) != ST_LEN(d) || b[0] != a[0])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid k-means statistics state")));
	a[1] += b[1];
	km_cf_merge(a + 2, b + 2, d);
	for (int j = 0; j < d; j++)
	{
		a[2 + KM_CF_LEN(d) + j] = Min(a[2 + KM_CF_LEN(d) + j], b[2 + KM_CF_LEN(d) + j]);
		a[2 + KM_CF_LEN(d) + d + j] = Max(a[2 + KM_CF_LEN(d) + d + j], b[2 + KM_CF_LEN(d) + d + j]);
	}
	PG_RETURN_ARRAYTYPE_P(sa);
}

/* ---------------------------------------------------------------- 2. the sample */

/* mktdb._kmeans_sampled(x float8[], seed int, fraction float8): a usable row in the seed's sample */
PG_FUNCTION_INFO_V1(mktdb_kmeans_sampled);
Datum
mktdb_kmeans_sampled(PG_FUNCTION_ARGS)
{
	int			d;
	const double *v = km_array_row(PG_GETARG_ARRAYTYPE_P(0), &d);
	uint64		h;
	KmRng		r;

	if (v == NULL)
		PG_RETURN_BOOL(false);
	h = km_row_hash(v, d);
	km_rng_seed(&r, h ^ ((uint64) (int64) PG_GETARG_INT32(1) * 0xD1B54A32D192ED03ULL));
	PG_RETURN_BOOL(km_rng_uniform(&r) < PG_GETARG_FLOAT8(2));
}

/* ---------------------------------------------------------------- 3. Lloyd steps */

/* params: [k, d, shift (d), scale (d), centroids (k*d, fitted space)] */
#define LP_LEN(k, d) (2 + 2 * (Size) (d) + (Size) (k) * (d))

PG_FUNCTION_INFO_V1(mktdb_kmeans_lloyd_add);
Datum
mktdb_kmeans_lloyd_add(PG_FUNCTION_ARGS)
{
	ArrayType  *pa = PG_GETARG_ARRAYTYPE_P(2);
	double	   *par = f8_data(pa, -1, "k-means step parameters");
	int			k = (int) par[0],
				d = (int) par[1];
	ArrayType  *st;
	double	   *acc;
	const double *v = NULL;
	int			n = d;
	double	   *work = fcinfo->flinfo->fn_extra;

	if (k < 1 || d < 1 || f8_len(pa) != LP_LEN(k, d))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid k-means step parameters")));
	if (PG_ARGISNULL(0))
		st = f8_new(KM_ACC_LEN(k, d));
	else
		st = f8_state(fcinfo, 0);
	acc = f8_data(st, KM_ACC_LEN(k, d), "k-means step state");
	if (!PG_ARGISNULL(1))
		v = km_array_row(PG_GETARG_ARRAYTYPE_P(1), &n);
	if (n != d)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features has %d elements, the centroids %d", n, d)));
	if (v == NULL)
	{
		acc[1] += 1;
		PG_RETURN_ARRAYTYPE_P(st);
	}
	if (work == NULL)
		fcinfo->flinfo->fn_extra = work = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(double) * d);
	km_lloyd_add(acc, v, k, d, par + 2, par + 2 + d, par + 2 + 2 * d, work);
	PG_RETURN_ARRAYTYPE_P(st);
}

PG_FUNCTION_INFO_V1(mktdb_kmeans_lloyd_combine);
Datum
mktdb_kmeans_lloyd_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *sa = f8_state(fcinfo, 0);
	Size		n = f8_len(sa);
	double	   *a = f8_data(sa, -1, "k-means step state"),
			   *b = f8_data(PG_GETARG_ARRAYTYPE_P(1), n, "k-means step state");

	for (Size i = 0; i < n; i++)
		a[i] += b[i];
	PG_RETURN_ARRAYTYPE_P(sa);
}

/* ---------------------------------------------------------------- the driver */

/* "ARRAY[(f1)::float8, ...]" over the quoted feature names */
static char *
km_row_expr(char **features, int d)
{
	StringInfoData b;

	initStringInfo(&b);
	appendStringInfoString(&b, "ARRAY[");
	for (int j = 0; j < d; j++)
		appendStringInfo(&b, "%s(%s)::pg_catalog.float8", j ? ", " : "", mk_column(features[j], "feature"));
	appendStringInfoChar(&b, ']');
	return b.data;
}

/* a float8[] literal of n doubles, exact (17 significant digits) */
static char *
km_f8_literal(const double *v, int n)
{
	StringInfoData b;

	initStringInfo(&b);
	appendStringInfoString(&b, "'{");
	for (int i = 0; i < n; i++)
		appendStringInfo(&b, "%s%.17g", i ? "," : "", v[i]);
	appendStringInfoString(&b, "}'::pg_catalog.float8[]");
	return b.data;
}

/* Runs a one-row, one-column query returning float8[]; copies want doubles into out (in cxt). */
static double *
km_query_f8(const char *q, int want, MemoryContext cxt, const char *what)
{
	bool		isnull;
	Datum		v;
	ArrayType  *a;
	double	   *out;

	if (SPI_execute(q, true, 0) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "k-means %s query failed", what);
	v = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		return NULL;
	a = DatumGetArrayTypeP(v);
	out = MemoryContextAlloc(cxt, sizeof(double) * want);
	memcpy(out, f8_data(a, want, what), sizeof(double) * want);
	return out;
}

void
km_fit_pushdown(const char *source, char **features, int d, KmParams *p, KmDecoded *dm, KmDistInfo *info)
{
	MemoryContext cxt = CurrentMemoryContext;
	const char *from = mk_source_from(source);
	char	   *row = km_row_expr(features, d);
	int			k = p->k,
				rc;
	double	   *st,
			   *shift = palloc(sizeof(double) * d),
			   *scale = palloc(sizeof(double) * d),
			   *C = palloc(sizeof(double) * (Size) k * d),
			   *par = palloc(sizeof(double) * LP_LEN(k, d)),
			   *sample = NULL,
			   *acc = NULL,
			   *best_acc = NULL,
			   *cf,
			   prev = HUGE_VAL;
	int64		n,
				ns = 0,
				*sizes = palloc(sizeof(int64) * k);
	int32	   *map = palloc(sizeof(int32) * k);
	double		fraction;
	int			it;

	memset(info, 0, sizeof(*info));
	km_model_alloc(&dm->m, k, d);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/* the feature columns must be numeric, as on the local path */
	{
		StringInfoData q;

		initStringInfo(&q);
		appendStringInfoString(&q, "SELECT ");
		for (int j = 0; j < d; j++)
			appendStringInfo(&q, "%s%s", j ? ", " : "", mk_column(features[j], "feature"));
		appendStringInfo(&q, " FROM %s LIMIT 0", from);
		SPI_execute(q.data, true, 0);
		for (int j = 0; j < d; j++)
			mk_require_numeric(SPI_tuptable->tupdesc, j + 1, psprintf("feature column \"%s\"", features[j]));
	}

	/* 1. statistics: the scaling, the row counts */
	st = km_query_f8(psprintf("SELECT mktdb._kmeans_stats(%s) FROM %s", row, from), ST_LEN(d), cxt, "statistics");
	info->passes++;
	n = st ? (int64) st[2] : 0;
	dm->n_rows = n;
	dm->skipped = st ? (int64) st[1] : 0;
	km_check_rows(k, n, dm->skipped);
	rc = km_scale_from_summary(p->scaling, d, st + 2, st + 2 + KM_CF_LEN(d), st + 2 + KM_CF_LEN(d) + d, shift,
							   scale);
	if (rc != KM_OK)
		km_raise(rc);

	/* 2. the sample, and a seeding fit on it */
	fraction = Min(1.0, (double) KM_SAMPLE_ROWS(k) / (double) n);
	for (;;)
	{
		char	   *q = psprintf("SELECT %s FROM %s WHERE mktdb._kmeans_sampled(%s, %d, %.17g)", row, from, row,
								 (int) p->seed, fraction);

		if (SPI_execute(q, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "k-means sample query failed");
		info->passes++;
		ns = (int64) SPI_processed;
		if (ns >= k || fraction >= 1.0)
			break;
		fraction = 1.0;			/* an unlucky draw on a small table: take every row */
	}
	if (ns < k)
		km_check_rows(k, ns, dm->skipped);
	sample = MemoryContextAlloc(cxt, sizeof(double) * (Size) ns * d);
	cf = MemoryContextAlloc(cxt, sizeof(double) * (Size) ns * KM_CF_LEN(d));
	for (int64 i = 0; i < ns; i++)
	{
		bool		isnull;
		int			len;
		const double *v = km_array_row(DatumGetArrayTypeP(SPI_getbinval(SPI_tuptable->vals[i],
																		 SPI_tuptable->tupdesc, 1, &isnull)),
									   &len);

		memcpy(sample + i * d, v, sizeof(double) * d);
		km_cf_point(cf + i * KM_CF_LEN(d), v, d);
	}
	SPI_freetuptable(SPI_tuptable);
	info->sample_rows = ns;
	dm->m.scaling = p->scaling;
	memcpy(dm->m.shift, shift, sizeof(double) * d);
	memcpy(dm->m.scale, scale, sizeof(double) * d);
	{
		/* restarts on a few thousand rows are cheap, and a poor seed would cost full passes */
		KmParams	sp = *p;

		sp.n_init = Max(p->n_init, KM_SAMPLE_RESTARTS);
		rc = km_cf_fit(cf, ns, d, shift, scale, &sp, C, sizes, &info->sample_inertia, &it, &dm->m.best_init);
	}
	if (rc != KM_OK)
		km_raise(rc);

	/* 3. Lloyd steps on the shards: centroids out, counts, sums and inertia back */
	par[0] = k;
	par[1] = d;
	memcpy(par + 2, shift, sizeof(double) * d);
	memcpy(par + 2 + d, scale, sizeof(double) * d);
	for (it = 1; it <= p->max_iter; it++)
	{
		double		inertia;

		memcpy(par + 2 + 2 * d, C, sizeof(double) * (Size) k * d);
		acc = km_query_f8(psprintf("SELECT mktdb._kmeans_lloyd(%s, %s) FROM %s", row,
								   km_f8_literal(par, LP_LEN(k, d)), from),
						  KM_ACC_LEN(k, d), cxt, "Lloyd step");
		info->passes++;
		if (acc == NULL || (int64) acc[0] != n)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("the source changed while k-means was fitted on it"),
					 errdetail("%lld usable rows at first, %lld now.", (long long) n,
							   (long long) (acc ? acc[0] : 0))));
		inertia = acc[2];
		/* the model is the last evaluated centroids, with their sizes and inertia */
		memcpy(dm->m.centroids, C, sizeof(double) * (Size) k * d);
		best_acc = acc;
		if (prev < HUGE_VAL && fabs(prev - inertia) <= p->tol * prev)
			break;
		prev = inertia;
		for (int j = 0; j < k; j++)
		{
			double		cnt = acc[KM_ACC_HEAD + j];

			if (cnt > 0)
				for (int t = 0; t < d; t++)
					C[(Size) j * d + t] = acc[KM_ACC_HEAD + k + (Size) j * d + t] / cnt;
		}
		if (mk_cancel_poll(NULL))
			km_raise(KM_CANCELLED);
	}
	dm->m.iterations = Min(it, p->max_iter);
	dm->m.inertia = best_acc[2];
	for (int j = 0; j < k; j++)
		sizes[j] = (int64) best_acc[KM_ACC_HEAD + j];
	memcpy(C, dm->m.centroids, sizeof(double) * (Size) k * d);
	rc = km_order(&dm->m, C, sizes, map);
	if (rc != KM_OK)
		km_raise(rc);

	/* the silhouette on (a hash sample of) the seeding sample */
	{
		int32	   *lab = palloc(sizeof(int32) * ns);
		double	   *work = palloc(sizeof(double) * d);

		for (int64 i = 0; i < ns; i++)
		{
			lab[i] = km_predict(&dm->m, sample + i * d, work, NULL);
			for (int t = 0; t < d; t++)
				sample[i * d + t] = (sample[i * d + t] - shift[t]) / scale[t];
		}
		rc = km_silhouette(sample, ns, d, lab, k, p->silhouette_sample > 0 ? p->silhouette_sample : 2000, NULL,
						   p->seed, mk_thread_count(), &dm->m.silhouette, &dm->m.silhouette_n);
		if (rc != KM_OK)
			km_raise(rc);
	}
	SPI_finish();
}

/*
 * kmeans_agg.c -- the aggregate mktdb.kmeans_fit(features float8[], k [, scaling
 * [, n_init, max_iter, tol, seed]]) -> bytea model.
 *
 * The state is a bytea (not internal), so the aggregate runs in parallel
 * workers and Citus pushes partial aggregation down to the shards.  It holds
 * the training arguments and a bounded summary of the group's usable rows:
 * at most KM_AGG_CAP(k) clustering features (core/kmeans_summary.c), each one
 * row until the summary is full, then merged down to KM_AGG_TARGET(k) by a
 * k-means++ choice.  So a partial state is O(k x d) bytes whatever the rows.
 *
 * A group that never filled the summary is fitted exactly as kmeans_segment
 * fits the same rows (the result does not depend on row order or on the plan);
 * a larger group is fitted by weighted k-means over the summary, whose inertia
 * (exact for the summary's assignment) is within a small tolerance of a fit on
 * the rows (README, "Scaling out with Citus"), and may differ slightly between
 * plans, since the merges depend on how the rows were split.
 */
#include "mktdb.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "kmeans_int.h"

#define KM_AGG_MAGIC 0x4B4D4132	/* "KMA2": the bounded-summary state */
/* summary size: merged down to TARGET clustering features once CAP are held */
#define KM_AGG_TARGET(k) Max(128, 16 * (int64) (k))
#define KM_AGG_CAP(k) (2 * KM_AGG_TARGET(k))
/* restarts (at least) of the fit on the summary: a few hundred points, so cheap; with 10 the
 * digits set's parallel plans landed 2.2-5.1 % above a fit on the rows (local optima of the
 * summary), with 50 at 2.0-2.5 %, the summary's own resolution (serial: 2.3 %) */
#define KM_AGG_SUMMARY_RESTARTS 50

typedef struct KmAggState
{
	int32		vl_len_;
	uint32		magic;
	int32		d;				/* 0 until the first usable row */
	int32		k;
	int32		scaling;
	int32		n_init;
	int32		max_iter;
	int32		seed;
	double		tol;
	int64		n;				/* usable rows summarised */
	int64		skipped;
	int64		ncf;			/* clustering features held */
	int64		room;			/* clustering features of room */
	int32		reduced;		/* 1 once features were merged (the fit is then on the summary) */
	int32		pad;
	/* followed by lo (d), hi (d), then room clustering features of KM_CF_LEN(d) doubles */
} KmAggState;

#define KM_AGG_LO(s) ((double *) ((char *) (s) + sizeof(KmAggState)))
#define KM_AGG_HI(s) (KM_AGG_LO(s) + (s)->d)
#define KM_AGG_CF(s) (KM_AGG_LO(s) + 2 * (size_t) (s)->d)

static Size
km_agg_bytes(int64 room, int d)
{
	return sizeof(KmAggState) + sizeof(double) * (2 * (Size) d + (Size) room * KM_CF_LEN(d));
}

/* a state with room for room features, the header copied from params */
static KmAggState *
km_agg_new(const KmAggState *params, int64 room, int d)
{
	Size		bytes = km_agg_bytes(room, d);
	KmAggState *s = palloc(bytes);

	memcpy(s, params, sizeof(KmAggState));
	SET_VARSIZE(s, bytes);
	s->room = room;
	s->d = d;
	return s;
}

/* a copy of s with room for room features */
static KmAggState *
km_agg_regrow(const KmAggState *s, int64 room)
{
	KmAggState *t = km_agg_new(s, room, s->d);

	memcpy(KM_AGG_LO(t), KM_AGG_LO(s), sizeof(double) * (2 * (Size) s->d + (Size) s->ncf * KM_CF_LEN(s->d)));
	return t;
}

/* Our state from a datum: detoasted, 4-byte header, 8-byte aligned (a copy when it is not). */
static KmAggState *
km_agg_get(Datum datum)
{
	struct varlena *v = PG_DETOAST_DATUM(datum);
	KmAggState	h;
	KmAggState *s;

	if (VARSIZE_ANY_EXHDR(v) + VARHDRSZ < sizeof(KmAggState))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid mktdb.kmeans_fit state")));
	memcpy((char *) &h + VARHDRSZ, VARDATA_ANY(v), sizeof(KmAggState) - VARHDRSZ);
	if (h.magic != KM_AGG_MAGIC || h.d < 0 || h.k < 1 || h.n < 0 || h.ncf < 0 || h.room < h.ncf ||
		h.room > KM_AGG_CAP(h.k) || (Size) h.d > MaxAllocSize / sizeof(double) / (2 * KM_AGG_CAP(h.k) + 2) ||
		(Size) (VARSIZE_ANY_EXHDR(v) + VARHDRSZ) != km_agg_bytes(h.room, h.d))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid mktdb.kmeans_fit state")));
	if (VARATT_IS_4B_U(v) && ((uintptr_t) v % MAXIMUM_ALIGNOF) == 0)
		return (KmAggState *) v;
	s = palloc(km_agg_bytes(h.room, h.d));
	memcpy((char *) s + VARHDRSZ, VARDATA_ANY(v), km_agg_bytes(h.room, h.d) - VARHDRSZ);
	SET_VARSIZE(s, km_agg_bytes(h.room, h.d));
	return s;
}

static void
km_agg_same_args(const KmAggState *a, const KmAggState *b)
{
	if (a->k != b->k || a->scaling != b->scaling || a->n_init != b->n_init || a->max_iter != b->max_iter ||
		a->seed != b->seed || !(a->tol == b->tol))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mktdb.kmeans_fit arguments other than features must be the same for every row of a group")));
}

static void
km_agg_same_d(int have, int got)
{
	if (have != got)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("feature arrays of one group must all have the same length (%d, then %d)", have, got)));
}

/* shift/scale of the rows summarised so far (both d, palloc'd) */
static void
km_agg_scaling(const KmAggState *s, int scaling, double **shift, double **scale)
{
	int			d = s->d;
	double	   *all = palloc0(sizeof(double) * KM_CF_LEN(d));
	int			rc;

	for (int64 i = 0; i < s->ncf; i++)
		km_cf_merge(all, KM_AGG_CF(s) + i * KM_CF_LEN(d), d);
	*shift = palloc(sizeof(double) * d);
	*scale = palloc(sizeof(double) * d);
	rc = km_scale_from_summary(scaling, d, all, KM_AGG_LO(s), KM_AGG_HI(s), *shift, *scale);
	if (rc != KM_OK)
		km_raise(rc);
}

/* merges the features of s down to KM_AGG_TARGET, in the fitted space of the rows so far */
static void
km_agg_reduce(KmAggState *s)
{
	double	   *shift,
			   *scale;
	int64		m;

	km_agg_scaling(s, s->scaling == KM_SCALE_NONE ? KM_SCALE_NONE : s->scaling, &shift, &scale);
	m = km_cf_reduce(KM_AGG_CF(s), s->ncf, s->d, KM_AGG_TARGET(s->k), scale,
					 (uint64) (int64) s->seed ^ (uint64) s->n * 0x9E3779B97F4A7C15ULL);
	if (m < 0)
		km_raise(KM_ENOMEM);
	s->ncf = m;
	s->reduced = 1;
}

const double *
km_array_row(ArrayType *arr, int *n)
{
	const double *v;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("features must be a one-dimensional array")));
	if (ARR_ELEMTYPE(arr) != FLOAT8OID)
		elog(ERROR, "features must be float8[]");
	*n = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
	if (*n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features must not be empty")));
	if (ARR_HASNULL(arr))
		return NULL;
	/* a one-dimensional float8[] without NULLs: the doubles follow the fixed header */
	v = (const double *) ((const char *) arr + ARR_OVERHEAD_NONULLS(1));
	for (int j = 0; j < *n; j++)
		if (!isfinite(v[j]))
			return NULL;
	return v;
}

PG_FUNCTION_INFO_V1(mktdb_kmeans_fit_add);
Datum
mktdb_kmeans_fit_add(PG_FUNCTION_ARGS)
{
	KmAggState	args;
	KmAggState *s;
	int			n;
	const double *v;

	if (!AggCheckCallContext(fcinfo, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("mktdb.kmeans_fit transition function called outside an aggregate")));
	memset(&args, 0, sizeof(args));
	args.magic = KM_AGG_MAGIC;
	mk_arg_notnull(fcinfo, 2, "k");
	args.k = PG_GETARG_INT32(2);
	args.scaling = KM_SCALE_ZSCORE;
	args.n_init = 3;
	args.max_iter = 300;
	args.tol = 1e-4;
	args.seed = 0;
	if (PG_NARGS() > 3)
	{
		mk_arg_notnull(fcinfo, 3, "scaling");
		args.scaling = km_scaling_from_name(text_to_cstring(PG_GETARG_TEXT_PP(3)));
		if (args.scaling < 0)
			km_check_args(args.k, text_to_cstring(PG_GETARG_TEXT_PP(3)), 1, 1, 0.0);
	}
	if (PG_NARGS() > 4)
	{
		mk_arg_notnull(fcinfo, 4, "n_init");
		mk_arg_notnull(fcinfo, 5, "max_iter");
		mk_arg_notnull(fcinfo, 6, "tol");
		mk_arg_notnull(fcinfo, 7, "seed");
		args.n_init = PG_GETARG_INT32(4);
		args.max_iter = PG_GETARG_INT32(5);
		args.tol = PG_GETARG_FLOAT8(6);
		args.seed = PG_GETARG_INT32(7);
	}

	if (PG_ARGISNULL(0))
	{
		km_check_args(args.k, km_scaling_name(args.scaling), args.n_init, args.max_iter, args.tol);
		s = km_agg_new(&args, 0, 0);
	}
	else
	{
		s = km_agg_get(PG_GETARG_DATUM(0));
		km_agg_same_args(s, &args);
	}

	if (PG_ARGISNULL(1))
	{
		s->skipped++;
		PG_RETURN_BYTEA_P(s);
	}
	v = km_array_row(PG_GETARG_ARRAYTYPE_P(1), &n);
	if (s->d == 0 && s->n == 0)
	{
		/* the first row fixes d */
		if ((Size) n > MaxAllocSize / sizeof(double) / (2 * KM_AGG_CAP(s->k) + 2))
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many features for mktdb.kmeans_fit (%d)", n)));
		s = km_agg_new(s, Min(16, KM_AGG_CAP(s->k)), n);
		for (int j = 0; j < n; j++)
		{
			KM_AGG_LO(s)[j] = HUGE_VAL;
			KM_AGG_HI(s)[j] = -HUGE_VAL;
		}
	}
	km_agg_same_d(s->d, n);
	if (v == NULL)
	{
		s->skipped++;
		PG_RETURN_BYTEA_P(s);
	}
	if (s->ncf == s->room)
	{
		if (s->room < KM_AGG_CAP(s->k))
			s = km_agg_regrow(s, Min(2 * s->room, KM_AGG_CAP(s->k)));
		else
			km_agg_reduce(s);
	}
	km_cf_point(KM_AGG_CF(s) + s->ncf * KM_CF_LEN(n), v, n);
	for (int j = 0; j < n; j++)
	{
		KM_AGG_LO(s)[j] = Min(KM_AGG_LO(s)[j], v[j]);
		KM_AGG_HI(s)[j] = Max(KM_AGG_HI(s)[j], v[j]);
	}
	s->ncf++;
	s->n++;
	PG_RETURN_BYTEA_P(s);
}

/* combine (strict: the executor takes state2 as it is when state1 is NULL) */
PG_FUNCTION_INFO_V1(mktdb_kmeans_fit_combine);
Datum
mktdb_kmeans_fit_combine(PG_FUNCTION_ARGS)
{
	KmAggState *a,
			   *b;
	int64		cap;

	if (!AggCheckCallContext(fcinfo, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("mktdb.kmeans_fit combine function called outside an aggregate")));
	a = km_agg_get(PG_GETARG_DATUM(0));
	b = km_agg_get(PG_GETARG_DATUM(1));
	km_agg_same_args(a, b);
	cap = KM_AGG_CAP(a->k);
	if (b->d > 0 && a->d == 0)
	{
		a = km_agg_new(a, 0, b->d);
		memcpy(KM_AGG_LO(a), KM_AGG_LO(b), sizeof(double) * 2 * b->d);
	}
	if (b->d > 0)
	{
		int			d = a->d;

		km_agg_same_d(d, b->d);
		if (a->ncf + b->ncf > a->room)
		{
			/* room for both; merged down below when over the cap */
			KmAggState *t = km_agg_new(a, Max(a->ncf + b->ncf, Min(2 * a->room, cap)), d);

			memcpy(KM_AGG_LO(t), KM_AGG_LO(a), sizeof(double) * (2 * (Size) d + (Size) a->ncf * KM_CF_LEN(d)));
			a = t;
		}
		memcpy(KM_AGG_CF(a) + a->ncf * KM_CF_LEN(d), KM_AGG_CF(b), sizeof(double) * b->ncf * KM_CF_LEN(d));
		a->ncf += b->ncf;
		for (int j = 0; j < d; j++)
		{
			KM_AGG_LO(a)[j] = Min(KM_AGG_LO(a)[j], KM_AGG_LO(b)[j]);
			KM_AGG_HI(a)[j] = Max(KM_AGG_HI(a)[j], KM_AGG_HI(b)[j]);
		}
		a->n += b->n;
		a->reduced |= b->reduced;
		if (a->ncf > cap)
		{
			km_agg_reduce(a);
			a = km_agg_regrow(a, cap);
		}
	}
	a->skipped += b->skipped;
	PG_RETURN_BYTEA_P(a);
}

/* final: an exact fit while the summary holds every row, else a weighted fit of the summary */
PG_FUNCTION_INFO_V1(mktdb_kmeans_fit_final);
Datum
mktdb_kmeans_fit_final(PG_FUNCTION_ARGS)
{
	KmAggState *s;
	KmParams	p;
	KmModel		m;
	int			d;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = km_agg_get(PG_GETARG_DATUM(0));
	if (s->n == 0)
		PG_RETURN_NULL();		/* no usable rows in the group, like avg() over NULLs */
	km_check_rows(s->k, s->n, s->skipped);
	d = s->d;
	memset(&p, 0, sizeof(p));
	p.k = s->k;
	p.scaling = s->scaling;
	p.n_init = s->n_init;
	p.max_iter = s->max_iter;
	p.tol = s->tol;
	p.seed = (uint64) (int64) s->seed;
	if (!s->reduced)
	{
		double	   *x = palloc(sizeof(double) * (Size) s->ncf * d);

		for (int64 i = 0; i < s->ncf; i++)
			memcpy(x + i * d, KM_AGG_CF(s) + i * KM_CF_LEN(d) + 1, sizeof(double) * d);
		km_run(x, s->ncf, d, &p, &m);
	}
	else
	{
		double	   *shift,
				   *scale,
				   *C = palloc(sizeof(double) * (Size) p.k * d);
		int64	   *sizes = palloc(sizeof(int64) * p.k);
		int32	   *map = palloc(sizeof(int32) * p.k);
		int			rc;

		if (s->ncf < p.k)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("k (%d) exceeds the number of distinct summaries of the group (%lld)", p.k,
							(long long) s->ncf)));
		p.n_threads = 1;
		p.interrupted = mk_cancel_poll;
		/* restarts over a few hundred summaries are cheap, and find a better optimum */
		p.n_init = Max(p.n_init, KM_AGG_SUMMARY_RESTARTS);
		km_agg_scaling(s, s->scaling, &shift, &scale);
		km_model_alloc(&m, p.k, d);
		m.scaling = s->scaling;
		memcpy(m.shift, shift, sizeof(double) * d);
		memcpy(m.scale, scale, sizeof(double) * d);
		rc = km_cf_fit(KM_AGG_CF(s), s->ncf, d, shift, scale, &p, C, sizes, &m.inertia, &m.iterations,
					   &m.best_init);
		if (rc == KM_OK)
			rc = km_order(&m, C, sizes, map);
		if (rc != KM_OK)
			km_raise(rc);
		m.silhouette = NAN;		/* no rows to measure it on */
		m.silhouette_n = 0;
	}
	PG_RETURN_BYTEA_P(km_serialize(&m, s->n, s->skipped, NULL, NULL, NULL));
}

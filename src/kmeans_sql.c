/*
 * kmeans_sql.c -- the SQL side of k-means segmentation: mktdb.kmeans_segment
 * (train and store), mktdb.segment_of, mktdb.kmeans_assign,
 * mktdb.kmeans_centroids(bytea) behind the view of the same name,
 * mktdb.kmeans_info(bytea).  The aggregate mktdb.kmeans_fit is in kmeans_agg.c,
 * the path that leaves the rows on Citus shards in kmeans_dist.c.
 *
 * Argument checks, reading, the model blob and errors live here; the numerics
 * are in core/kmeans.c, which never calls PostgreSQL (it may run on threads).
 */
#include "mktdb.h"

#include <math.h>
#include <sys/mman.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#include "kmeans_int.h"


/* ---------------------------------------------------------------- helpers */

/* Raises the error for a failed core call; KM_CANCELLED becomes the pending cancel. */
void
km_raise(int rc)
{
	if (rc == KM_CANCELLED)
	{
		CHECK_FOR_INTERRUPTS();
		ereport(ERROR,
				(errcode(ERRCODE_QUERY_CANCELED),
				 errmsg("canceling k-means on user request")));
	}
	if (rc == KM_ENOMEM)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory while fitting k-means")));
	elog(ERROR, "k-means core failed with code %d", rc);
}

/* the argument checks shared by kmeans_segment and kmeans_fit */
int
km_check_args(int k, const char *scaling, int n_init, int max_iter, double tol)
{
	int			sc = km_scaling_from_name(scaling);

	if (k < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must be at least 1, not %d", k)));
	if (sc < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown scaling \"%s\"", scaling),
				 errhint("Use 'zscore', 'minmax' or 'none'.")));
	if (n_init < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n_init must be at least 1, not %d", n_init)));
	if (max_iter < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_iter must be at least 1, not %d", max_iter)));
	if (!(tol >= 0.0) || isinf(tol))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tol must be a finite number >= 0, not %g", tol)));
	return sc;
}

void
km_check_rows(int k, int64 n, int64 skipped)
{
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no usable rows to cluster"),
				 errdetail("%lld rows were read; rows with a NULL or non-finite feature are skipped.",
						   (long long) skipped)));
	if (k > n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k (%d) exceeds the number of usable rows (%lld)", k, (long long) n),
				 errdetail("%lld rows were skipped for a NULL or non-finite feature.", (long long) skipped),
				 errhint("Choose a smaller k.")));
}

void
km_model_alloc(KmModel *m, int k, int d)
{
	memset(m, 0, sizeof(*m));
	m->k = k;
	m->d = d;
	m->shift = palloc(sizeof(double) * d);
	m->scale = palloc(sizeof(double) * d);
	m->centroids = palloc_extended(sizeof(double) * (Size) k * d, MCXT_ALLOC_HUGE);
	m->sizes = palloc(sizeof(int64) * k);
}

/* Fits a model on x (overwritten) with the core. */
void
km_run(double *x, int64 n, int d, KmParams *p, KmModel *m)
{
	int			rc;

	p->n_threads = mk_thread_count();
	p->interrupted = mk_cancel_poll;
	p->interrupt_arg = NULL;
	km_model_alloc(m, p->k, d);
	rc = km_train(x, n, d, p, m, NULL);
	if (rc != KM_OK)
		km_raise(rc);
}

bytea *
km_serialize(const KmModel *m, int64 n_rows, int64 skipped, char **names, const char *source,
			 const char *id_column)
{
	MkWriter	w;

	mk_writer_init(&w);
	mk_put_i32(&w, KM_LAYOUT);
	mk_put_i32(&w, m->k);
	mk_put_i32(&w, m->d);
	mk_put_i32(&w, m->scaling);
	mk_put_f64s(&w, m->shift, m->d);
	mk_put_f64s(&w, m->scale, m->d);
	mk_put_f64s(&w, m->centroids, (int64) m->k * m->d);
	mk_put_i64s(&w, m->sizes, m->k);
	mk_put_f64(&w, m->inertia);
	mk_put_i32(&w, m->iterations);
	mk_put_f64(&w, m->silhouette);
	mk_put_i64(&w, m->silhouette_n);
	mk_put_i64(&w, n_rows);
	mk_put_i64(&w, skipped);
	mk_put_i32(&w, names != NULL);
	if (names)
		for (int j = 0; j < m->d; j++)
			mk_put_text(&w, names[j]);
	mk_put_text(&w, source);
	mk_put_text(&w, id_column);
	return mk_writer_finish(&w, MKF_KIND_KMEANS);
}

static double *
get_f64s_exact(MkfReader *r, int64 want, const char *what)
{
	int64		n;
	double	   *v = mk_get_f64s(r, &n);

	if (n != want)
		mk_damaged(psprintf("k-means %s has %lld values, expected %lld", what, (long long) n, (long long) want));
	for (int64 i = 0; i < n; i++)
		if (!isfinite(v[i]))
			mk_damaged(psprintf("k-means %s holds a non-finite value", what));
	return v;
}

/* Decodes a blob, checking every value a prediction relies on (MkDecodeFn). */
static void *
km_decode(bytea *blob, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	KmDecoded  *dm = palloc0(sizeof(KmDecoded));
	KmModel    *m = &dm->m;
	MkfReader	r;
	int64		n;

	mk_reader_open(&r, blob, MKF_KIND_KMEANS);
	if (mkf_get_i32(&r) != KM_LAYOUT)
	{
		mk_reader_check(&r);
		mk_damaged("unknown k-means payload layout");
	}
	m->k = mkf_get_i32(&r);
	m->d = mkf_get_i32(&r);
	m->scaling = mkf_get_i32(&r);
	mk_reader_check(&r);
	if (m->k < 1 || m->d < 1 || (int64) m->k * m->d > (int64) (MaxAllocHugeSize / sizeof(double)))
		mk_damaged("k-means model has an impossible shape");
	if (m->scaling != KM_SCALE_NONE && m->scaling != KM_SCALE_ZSCORE && m->scaling != KM_SCALE_MINMAX)
		mk_damaged("k-means model has an unknown scaling");
	m->shift = get_f64s_exact(&r, m->d, "shift");
	m->scale = get_f64s_exact(&r, m->d, "scale");
	for (int j = 0; j < m->d; j++)
		if (m->scale[j] == 0.0)
			mk_damaged("k-means scale is zero");
	m->centroids = get_f64s_exact(&r, (int64) m->k * m->d, "centroids");
	m->sizes = mk_get_i64s(&r, &n);
	if (n != m->k)
		mk_damaged("k-means sizes do not match k");
	m->inertia = mkf_get_f64(&r);
	m->iterations = mkf_get_i32(&r);
	m->silhouette = mkf_get_f64(&r);
	m->silhouette_n = mkf_get_i64(&r);
	dm->n_rows = mkf_get_i64(&r);
	dm->skipped = mkf_get_i64(&r);
	mk_reader_check(&r);
	if (mkf_get_i32(&r))
	{
		mk_reader_check(&r);
		dm->names = palloc(sizeof(char *) * m->d);
		for (int j = 0; j < m->d; j++)
			dm->names[j] = mk_get_text(&r);
	}
	dm->source = mk_get_text(&r);
	dm->id_column = mk_get_text(&r);
	mk_reader_finish(&r);
	MemoryContextSwitchTo(old);
	return dm;
}

/* A model given as bytea, decoded in the current context. */
static KmDecoded *
km_from_bytea(bytea *blob)
{
	return km_decode(blob, CurrentMemoryContext);
}

/* "a, b, c": the feature names of a model, for hints */
static char *
km_names_list(const KmDecoded *dm)
{
	StringInfoData b;

	initStringInfo(&b);
	for (int j = 0; j < dm->m.d; j++)
		appendStringInfo(&b, "%s%s", j ? ", " : "", dm->names ? dm->names[j] : "?");
	return b.data;
}

/* The features of one point as doubles; errors for a wrong length, NULLs or non-finite values. */
static double *
km_point(ArrayType *arr, const KmDecoded *dm)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	double	   *x;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("features must be a one-dimensional array")));
	deconstruct_array(arr, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &n);
	if (n != dm->m.d)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features has %d elements, but the model has %d features", n, dm->m.d),
				 dm->names ? errhint("Pass the features in this order: %s.", km_names_list(dm)) : 0));
	x = palloc(sizeof(double) * n);
	for (int j = 0; j < n; j++)
	{
		if (nulls[j])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("features must not contain NULL (element %d is NULL)", j + 1)));
		x[j] = DatumGetFloat8(elems[j]);
		if (!isfinite(x[j]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("features must be finite (element %d is %g)", j + 1, x[j])));
	}
	return x;
}

/* ---------------------------------------------------------------- reading rows */

/*
 * Rows come from the executor through a DestReceiver: no tuple is copied, and
 * the feature types are resolved once.  On 1,000,000 x 16 float8 this reads
 * about 5x faster than a batched SPI cursor (MkCursor in source.c).
 * Two modes: collect the usable rows into a matrix (training), or predict
 * every row straight into the result tuplestore (kmeans_assign).
 */
typedef struct KmReader
{
	DestReceiver pub;
	int			ncols;			/* feature columns */
	int			first;			/* 0-based attribute of the first feature */
	char	  **names;			/* for error messages */
	Oid		   *types;			/* base types of the features */
	bool		all_float8;		/* the common case gets a tight loop */
	MemoryContext cxt;			/* owns the matrix (see km_matrix_grow) */
	struct KmMapping *map;
	MemoryContext scratch;		/* per-row garbage (numeric conversions), reset often */
	uint64		seen;
	/* matrix mode */
	double	   *x;
	int64		n;
	int64		cap;
	int64		skipped;
	/* assign mode (dm not NULL) */
	const KmDecoded *dm;
	Tuplestorestate *ts;
	TupleDesc	outdesc;
	double	   *row;
	double	   *work;
} KmReader;

/*
 * The matrix is an anonymous mapping with transparent huge pages requested:
 * on the virtual machines we measured, faulting in 4 KB pages costs about
 * 1 ms per MB (120 ms for 1,000,000 x 16), 2 MB pages a fifth of that.  A
 * reset callback of the owning memory context unmaps it, on error too.
 */
typedef struct KmMapping
{
	void	   *addr;
	size_t		len;
	MemoryContextCallback cb;
} KmMapping;

static void
km_mapping_free(void *arg)
{
	KmMapping  *m = arg;

	if (m->addr)
		munmap(m->addr, m->len);
	m->addr = NULL;
}

static void
km_matrix_grow(KmReader *r, int64 rows)
{
	size_t		len = (size_t) rows * r->ncols * sizeof(double);
	void	   *p;

	if (r->map == NULL)
	{
		r->map = MemoryContextAllocZero(r->cxt, sizeof(KmMapping));
		r->map->cb.func = km_mapping_free;
		r->map->cb.arg = r->map;
		MemoryContextRegisterResetCallback(r->cxt, &r->map->cb);
	}
	if (r->map->addr == NULL)
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	else
		p = mremap(r->map->addr, r->map->len, len, MREMAP_MAYMOVE);
	if (p == MAP_FAILED)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed to map %zu bytes for the training matrix.", len)));
	(void) madvise(p, len, MADV_HUGEPAGE);	/* a hint: fine if refused */
	r->map->addr = p;
	r->map->len = len;
	r->x = p;
	r->cap = rows;
}

static void
km_reader_startup(DestReceiver *self, int operation, TupleDesc td)
{
	KmReader   *r = (KmReader *) self;

	r->all_float8 = FLOAT8PASSBYVAL;
	for (int j = 0; j < r->ncols; j++)
	{
		mk_require_numeric(td, r->first + j + 1, psprintf("feature column \"%s\"", r->names[j]));
		r->types[j] = getBaseType(TupleDescAttr(td, r->first + j)->atttypid);
		r->all_float8 &= (r->types[j] == FLOAT8OID);
	}
}

static inline double
km_datum_f64(Datum d, Oid type)
{
	switch (type)
	{
		case FLOAT8OID:
			return DatumGetFloat8(d);
		case FLOAT4OID:
			return (double) DatumGetFloat4(d);
		case INT4OID:
			return (double) DatumGetInt32(d);
		case INT8OID:
			return (double) DatumGetInt64(d);
		case INT2OID:
			return (double) DatumGetInt16(d);
	}
	return mk_numeric_to_f64(d, type);	/* numeric */
}

static bool
km_reader_receive(TupleTableSlot *slot, DestReceiver *self)
{
	KmReader   *r = (KmReader *) self;
	double	   *row;
	bool		ok = true;
	MemoryContext old = MemoryContextSwitchTo(r->scratch);

	if ((++r->seen & 4095) == 0)
	{
		MemoryContextReset(r->scratch);
		CHECK_FOR_INTERRUPTS();
	}
	slot_getsomeattrs(slot, r->first + r->ncols);
	if (r->dm == NULL && r->n == r->cap)
	{
		int64		newcap = Max(r->cap * 2, 65536);

		if (newcap > (int64) (MaxAllocHugeSize / (sizeof(double) * r->ncols)))
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many rows to cluster in memory")));
		km_matrix_grow(r, newcap);
	}
	row = r->dm ? r->row : r->x + r->n * r->ncols;
	if (r->all_float8)
	{
		const Datum *v = slot->tts_values + r->first;
		const bool *isnull = slot->tts_isnull + r->first;
		bool		anynull = false;
		double		zero = 0.0;

		/* a NULL's datum is 0 (0.0): harmless; x - x is NaN exactly for NaN and infinities */
		for (int j = 0; j < r->ncols; j++)
		{
			row[j] = DatumGetFloat8(v[j]);
			anynull |= isnull[j];
			zero += row[j] - row[j];
		}
		ok = !anynull && zero == 0.0;
	}
	else
		for (int j = 0; j < r->ncols && ok; j++)
		{
			int			a = r->first + j;

			ok = !slot->tts_isnull[a] && isfinite(row[j] = km_datum_f64(slot->tts_values[a], r->types[j]));
		}
	if (r->dm == NULL)
	{
		if (ok)
			r->n++;
		else
			r->skipped++;
	}
	else
	{
		Datum		values[3];
		bool		nulls[3] = {slot->tts_isnull[0], !ok, !ok};

		values[0] = slot->tts_values[0];
		if (ok)
		{
			double		dist2;

			values[1] = Int32GetDatum(km_predict(&r->dm->m, row, r->work, &dist2) + 1);
			values[2] = Float8GetDatum(sqrt(dist2));
		}
		tuplestore_putvalues(r->ts, r->outdesc, values, nulls);
	}
	MemoryContextSwitchTo(old);
	return true;
}


/* Runs query (the caller has SPI_connect()ed) feeding r. */
static void
km_reader_run(KmReader *r, const char *query, int first, char **names, int ncols)
{
	SPIExecuteOptions opts;

	mk_dest_init(&r->pub, km_reader_receive, km_reader_startup, NULL);
	r->first = first;
	r->names = names;
	r->ncols = ncols;
	r->types = palloc(sizeof(Oid) * ncols);
	r->scratch = AllocSetContextCreate(CurrentMemoryContext, "mktdb kmeans reader", ALLOCSET_DEFAULT_SIZES);
	memset(&opts, 0, sizeof(opts));
	opts.read_only = true;
	opts.dest = (DestReceiver *) r;
	if (SPI_execute_extended(query, &opts) < 0)
		elog(ERROR, "reading the source failed");
	MemoryContextDelete(r->scratch);
}

/* The usable rows of the feature columns of source, row-major, owned by the current context. */
static void
km_read_matrix(const char *source, char **features, int d, MkMatrix *m)
{
	StringInfoData q;
	KmReader	r;

	initStringInfo(&q);
	appendStringInfoString(&q, "SELECT ");
	for (int j = 0; j < d; j++)
		appendStringInfo(&q, "%s%s", j ? ", " : "", mk_column(features[j], "feature"));
	appendStringInfo(&q, " FROM %s", mk_source_from(source));
	memset(&r, 0, sizeof(r));
	r.cxt = CurrentMemoryContext;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	km_reader_run(&r, q.data, 0, features, d);
	SPI_finish();
	m->n = r.n;
	m->d = d;
	m->x = r.x;
	m->ids = NULL;
	m->skipped = r.skipped;
}

/* a copy of the parts of a model that prediction needs, in the current context */
static KmDecoded *
km_copy(const KmDecoded *src)
{
	KmDecoded  *dm = palloc(sizeof(KmDecoded));
	int			k = src->m.k,
				d = src->m.d;

	*dm = *src;
	dm->m.shift = palloc(sizeof(double) * d);
	dm->m.scale = palloc(sizeof(double) * d);
	dm->m.centroids = palloc_extended(sizeof(double) * (Size) k * d, MCXT_ALLOC_HUGE);
	dm->m.sizes = palloc(sizeof(int64) * k);
	memcpy(dm->m.shift, src->m.shift, sizeof(double) * d);
	memcpy(dm->m.scale, src->m.scale, sizeof(double) * d);
	memcpy(dm->m.centroids, src->m.centroids, sizeof(double) * (Size) k * d);
	memcpy(dm->m.sizes, src->m.sizes, sizeof(int64) * k);
	if (src->names)
	{
		dm->names = palloc(sizeof(char *) * d);
		for (int j = 0; j < d; j++)
			dm->names[j] = pstrdup(src->names[j]);
	}
	dm->source = src->source ? pstrdup(src->source) : NULL;
	dm->id_column = src->id_column ? pstrdup(src->id_column) : NULL;
	return dm;
}

static void
km_metrics_json(MkJson *j, const KmDecoded *dm)
{
	const KmModel *m = &dm->m;

	mk_json_key(j, "inertia");
	mk_json_num(j, m->inertia);
	mk_json_key(j, "iterations");
	mk_json_int(j, m->iterations);
	mk_json_key(j, "skipped_rows");
	mk_json_int(j, dm->skipped);
	mk_json_key(j, "sizes");
	mk_json_arr_open(j);
	for (int s = 0; s < m->k; s++)
		mk_json_int(j, m->sizes[s]);
	mk_json_arr_close(j);
	mk_json_key(j, "silhouette");
	mk_json_num(j, m->silhouette);	/* null when undefined (one segment) */
	mk_json_key(j, "silhouette_sample");
	mk_json_int(j, m->silhouette_n);
	mk_json_key(j, "scaling");
	mk_json_str(j, km_scaling_name(m->scaling));
}

/* ---------------------------------------------------------------- kmeans_segment */

/*
 * mktdb.kmeans_segment(model, source, features, k, id_column, scaling, n_init,
 * max_iter, tol, seed): fits and stores a new version; one summary row.
 */
PG_FUNCTION_INFO_V1(mktdb_kmeans_segment);
Datum
mktdb_kmeans_segment(PG_FUNCTION_ARGS)
{
	static const char *argnames[] = {"model", "source", "features", "k", "id_column", "scaling",
	"n_init", "max_iter", "tol", "seed"};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext train;
	char	   *name,
			   *source,
			   *id_column = NULL,
			   *scaling,
			  **features;
	int			d,
				k,
				n_init,
				max_iter,
				sc;
	int32		seed,
				version;
	double		tol;
	MkTime		t0 = mk_now(),
				t1;
	MkMatrix	mat;
	KmParams	p;
	KmDecoded	dm;
	bytea	   *blob;
	MkJson		spec,
				metrics;
	double		read_ms,
				fit_ms,
				train_ms;
	bool		pushdown;
	char	   *dist_column;
	KmDistInfo	dist;
	Datum		values[7];
	bool		nulls[7] = {false, false, false, false, false, false, false};

	for (int i = 0; i < 10; i++)
		if (i != 4)
			mk_arg_notnull(fcinfo, i, argnames[i]);
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	mk_check_can_store(name, "kmeans");
	source = text_to_cstring(PG_GETARG_TEXT_PP(1));
	features = mk_text_array(PG_GETARG_ARRAYTYPE_P(2), &d, "features");
	for (int i = 0; i < d; i++)
	{
		if (features[i][0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("feature names must not be empty")));
		for (int j = 0; j < i; j++)
			if (strcmp(features[i], features[j]) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_COLUMN),
						 errmsg("feature \"%s\" is listed twice", features[i]),
						 errhint("List each feature column once.")));
	}
	k = PG_GETARG_INT32(3);
	if (!PG_ARGISNULL(4))
		id_column = text_to_cstring(PG_GETARG_TEXT_PP(4));
	scaling = text_to_cstring(PG_GETARG_TEXT_PP(5));
	n_init = PG_GETARG_INT32(6);
	max_iter = PG_GETARG_INT32(7);
	tol = PG_GETARG_FLOAT8(8);
	seed = PG_GETARG_INT32(9);
	sc = km_check_args(k, scaling, n_init, max_iter, tol);
	if (id_column)
	{
		(void) mk_column(id_column, "id_column");
		for (int i = 0; i < d; i++)
			if (strcmp(id_column, features[i]) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("id_column \"%s\" is also a feature", id_column)));
	}
	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo))
		elog(ERROR, "kmeans_segment must be called as a set-returning function");

	train = AllocSetContextCreate(CurrentMemoryContext, "mktdb kmeans training", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(train);

	/* an id column that does not exist should fail now, not at kmeans_assign time */
	if (id_column)
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		SPI_execute(psprintf("SELECT (%s)::text FROM %s LIMIT 0", mk_column(id_column, "id_column"),
							 mk_source_from(source)), true, 0);
		SPI_finish();
	}
	memset(&p, 0, sizeof(p));
	p.k = k;
	p.scaling = sc;
	p.n_init = n_init;
	p.max_iter = max_iter;
	p.tol = tol;
	p.seed = (uint64) (int64) seed;
	memset(&dm, 0, sizeof(dm));
	pushdown = mk_use_pushdown(source, &dist_column);
	if (pushdown)
	{
		/* the rows stay where they are (Citus shards): aggregates come back (kmeans_dist.c) */
		p.n_threads = mk_thread_count();
		p.interrupted = mk_cancel_poll;
		km_fit_pushdown(source, features, d, &p, &dm, &dist);
		mat.n = dm.n_rows;
		mat.skipped = dm.skipped;
		read_ms = 0;
		fit_ms = mk_ms_since(t0);
	}
	else
	{
		km_read_matrix(source, features, d, &mat);
		km_check_rows(k, mat.n, mat.skipped);
		read_ms = mk_ms_since(t0);
		t1 = mk_now();
		km_run(mat.x, mat.n, d, &p, &dm.m);
		dm.n_rows = mat.n;
		dm.skipped = mat.skipped;
		fit_ms = mk_ms_since(t1);
	}
	blob = km_serialize(&dm.m, mat.n, mat.skipped, features, source, id_column);

	mk_json_begin(&spec);
	mk_json_key(&spec, "source");
	mk_json_str(&spec, source);
	mk_json_key(&spec, "features");
	mk_json_arr_open(&spec);
	for (int i = 0; i < d; i++)
		mk_json_str(&spec, features[i]);
	mk_json_arr_close(&spec);
	mk_json_key(&spec, "k");
	mk_json_int(&spec, k);
	mk_json_key(&spec, "id_column");
	mk_json_str(&spec, id_column);
	mk_json_key(&spec, "scaling");
	mk_json_str(&spec, km_scaling_name(sc));
	mk_json_key(&spec, "n_init");
	mk_json_int(&spec, n_init);
	mk_json_key(&spec, "max_iter");
	mk_json_int(&spec, max_iter);
	mk_json_key(&spec, "tol");
	mk_json_num(&spec, tol);
	mk_json_key(&spec, "seed");
	mk_json_int(&spec, seed);
	/* a retrain resolves the source's names as the training did */
	mk_json_key(&spec, "search_path");
	mk_json_str(&spec, GetConfigOption("search_path", false, false));

	mk_json_begin(&metrics);
	km_metrics_json(&metrics, &dm);
	mk_json_key(&metrics, "n_init");
	mk_json_int(&metrics, n_init);
	mk_json_key(&metrics, "best_init");
	mk_json_int(&metrics, dm.m.best_init + 1);
	mk_json_key(&metrics, "read_ms");
	mk_json_num(&metrics, read_ms);
	mk_json_key(&metrics, "fit_ms");
	mk_json_num(&metrics, fit_ms);
	/* which path ran: rows read here, or aggregates pushed to where the rows are */
	mk_json_key(&metrics, "path");
	mk_json_str(&metrics, pushdown ? "pushdown" : "local");
	if (pushdown)
	{
		mk_json_key(&metrics, "citus_distributed_by");
		mk_json_str(&metrics, dist_column);
		mk_json_key(&metrics, "sample_rows");
		mk_json_int(&metrics, dist.sample_rows);
		mk_json_key(&metrics, "passes");
		mk_json_int(&metrics, dist.passes);
	}

	train_ms = mk_ms_since(t0);
	mk_store_model(name, "kmeans", mk_json_end(&spec), mk_json_end(&metrics), mat.n, train_ms, blob,
				   &version);

	MemoryContextSwitchTo(caller);
	InitMaterializedSRF(fcinfo, 0);
	values[0] = CStringGetTextDatum(name);
	values[1] = Int32GetDatum(version);
	values[2] = Int32GetDatum(k);
	values[3] = Int64GetDatum(mat.n);
	values[4] = Float8GetDatum(dm.m.inertia);
	values[5] = Int32GetDatum(dm.m.iterations);
	values[6] = Float8GetDatum(train_ms);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	MemoryContextDelete(train);
	return (Datum) 0;
}

/* ---------------------------------------------------------------- reading functions */

/* mktdb.segment_of(model text, features float8[]) */
PG_FUNCTION_INFO_V1(mktdb_segment_of);
Datum
mktdb_segment_of(PG_FUNCTION_ARGS)
{
	char	   *ref = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(1);
	MkModelInfo info;
	KmDecoded  *dm = mk_model_get(ref, "kmeans", km_decode, &info);
	double	   *x = km_point(arr, dm);
	double	   *work = palloc(sizeof(double) * dm->m.d);

	PG_RETURN_INT32(km_predict(&dm->m, x, work, NULL) + 1);
}

/*
 * A model passed as bytea, decoded once per call site: fn_extra keeps the
 * bytes it was decoded from and is reused while the same bytes come again.
 */
typedef struct KmBlobCache
{
	MemoryContext cxt;			/* holds this struct, the bytes and the model */
	bytea	   *blob;
	KmDecoded  *dm;
} KmBlobCache;

static KmDecoded *
km_from_arg(FunctionCallInfo fcinfo, int argno)
{
	bytea	   *blob = PG_GETARG_BYTEA_PP(argno);
	KmBlobCache *c = fcinfo->flinfo->fn_extra;
	Size		len = VARSIZE_ANY_EXHDR(blob);
	MemoryContext old,
				cxt;

	if (c && VARSIZE_ANY_EXHDR(c->blob) == len && memcmp(VARDATA_ANY(c->blob), VARDATA_ANY(blob), len) == 0)
		return c->dm;
	/*
	 * Decode under the transient context first (a damaged blob then leaves
	 * nothing behind); keep it under fn_mcxt only when complete.
	 */
	cxt = AllocSetContextCreate(CurrentMemoryContext, "mktdb kmeans bytea model", ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);
	{
		KmDecoded  *dm = km_decode(blob, cxt);

		if (c)
			MemoryContextDelete(c->cxt);
		c = palloc(sizeof(KmBlobCache));
		c->blob = (bytea *) palloc(VARHDRSZ + len);
		SET_VARSIZE(c->blob, VARHDRSZ + len);
		memcpy(VARDATA(c->blob), VARDATA_ANY(blob), len);
		c->dm = dm;
		c->cxt = cxt;
	}
	MemoryContextSwitchTo(old);
	MemoryContextSetParent(cxt, fcinfo->flinfo->fn_mcxt);
	fcinfo->flinfo->fn_extra = c;
	return c->dm;
}

/* mktdb.segment_of(model bytea, features float8[]) */
PG_FUNCTION_INFO_V1(mktdb_segment_of_bytea);
Datum
mktdb_segment_of_bytea(PG_FUNCTION_ARGS)
{
	KmDecoded  *dm = km_from_arg(fcinfo, 0);
	double	   *x = km_point(PG_GETARG_ARRAYTYPE_P(1), dm);
	double	   *work = palloc(sizeof(double) * dm->m.d);

	PG_RETURN_INT32(km_predict(&dm->m, x, work, NULL) + 1);
}

/*
 * mktdb.kmeans_assign(model): every row of the model's source with its
 * segment and Euclidean distance (fitted space) to the segment's centroid;
 * rows with a NULL or non-finite feature get NULL segment and distance.
 */
PG_FUNCTION_INFO_V1(mktdb_kmeans_assign);
Datum
mktdb_kmeans_assign(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *ref = text_to_cstring(PG_GETARG_TEXT_PP(0));
	MkModelInfo info;
	KmDecoded  *dm;
	StringInfoData q;
	KmReader	r;
	int			d;

	/* own copy: the source query may itself call mktdb functions that reuse the cache */
	dm = km_copy(mk_model_get(ref, "kmeans", km_decode, &info));
	d = dm->m.d;
	if (dm->source == NULL || dm->names == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("model \"%s\" does not know its source", ref)));

	InitMaterializedSRF(fcinfo, 0);
	initStringInfo(&q);
	appendStringInfoString(&q, "SELECT ");
	if (dm->id_column)
		appendStringInfo(&q, "(%s)::text", mk_column(dm->id_column, "id_column"));
	else
		appendStringInfoString(&q, "NULL::text");
	for (int j = 0; j < d; j++)
		appendStringInfo(&q, ", %s", mk_column(dm->names[j], "feature"));
	appendStringInfo(&q, " FROM %s", mk_source_from(dm->source));

	memset(&r, 0, sizeof(r));
	r.dm = dm;
	r.ts = rsinfo->setResult;
	r.outdesc = rsinfo->setDesc;
	r.row = palloc(sizeof(double) * d);
	r.work = palloc(sizeof(double) * d);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	km_reader_run(&r, q.data, 1, dm->names, d);
	SPI_finish();
	return (Datum) 0;
}

/* mktdb.kmeans_centroids(model bytea): segment, size, features, centroid in original units */
PG_FUNCTION_INFO_V1(mktdb_kmeans_centroids);
Datum
mktdb_kmeans_centroids(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	KmDecoded  *dm = km_from_bytea(PG_GETARG_BYTEA_PP(0));
	int			k = dm->m.k,
				d = dm->m.d;
	Datum	   *cv = palloc(sizeof(Datum) * d);
	double	   *c = palloc(sizeof(double) * d);
	Datum		names = (Datum) 0;

	InitMaterializedSRF(fcinfo, 0);
	if (dm->names)
	{
		Datum	   *nv = palloc(sizeof(Datum) * d);

		for (int j = 0; j < d; j++)
			nv[j] = CStringGetTextDatum(dm->names[j]);
		names = PointerGetDatum(construct_array(nv, d, TEXTOID, -1, false, TYPALIGN_INT));
	}
	for (int s = 0; s < k; s++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, dm->names == NULL, false};

		km_centroid_original(&dm->m, s, c);
		for (int j = 0; j < d; j++)
			cv[j] = Float8GetDatum(c[j]);
		values[0] = Int32GetDatum(s + 1);
		values[1] = Int64GetDatum(dm->m.sizes[s]);
		values[2] = names;
		values[3] = PointerGetDatum(construct_array(cv, d, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* mktdb.kmeans_info(model bytea) RETURNS jsonb: shape and quality of a model */
PG_FUNCTION_INFO_V1(mktdb_kmeans_info);
Datum
mktdb_kmeans_info(PG_FUNCTION_ARGS)
{
	KmDecoded  *dm = km_from_bytea(PG_GETARG_BYTEA_PP(0));
	MkJson		j;

	mk_json_begin(&j);
	mk_json_key(&j, "k");
	mk_json_int(&j, dm->m.k);
	mk_json_key(&j, "d");
	mk_json_int(&j, dm->m.d);
	mk_json_key(&j, "features");	/* null for models from kmeans_fit */
	if (dm->names)
	{
		mk_json_arr_open(&j);
		for (int t = 0; t < dm->m.d; t++)
			mk_json_str(&j, dm->names[t]);
		mk_json_arr_close(&j);
	}
	else
		mk_json_null(&j);
	mk_json_key(&j, "n_rows");
	mk_json_int(&j, dm->n_rows);
	km_metrics_json(&j, dm);
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(mk_json_end(&j))));
}

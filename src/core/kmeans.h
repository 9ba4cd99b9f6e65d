/*
 * kmeans.h -- k-means clustering in pure C (no PostgreSQL headers): feature
 * scaling, k-means++ seeding with local trials, n_init restarts of Lloyd's
 * algorithm with GEMM distances over row blocks on several threads,
 * renumbering of segments by size, and a sampled silhouette.
 *
 * Random choices are keyed on hashes of the rows' values, so the result does
 * not depend on the order in which rows arrive.
 *
 * The core never longjmps: failures come back as a KM_* code.  Work memory is
 * malloc'd and freed on every path; outputs go into caller buffers.  Results
 * are bit-identical for a given seed whatever the number of threads (row slots
 * and their reductions do not depend on the thread count).
 */
#ifndef MKTDB_KMEANS_H
#define MKTDB_KMEANS_H

#include <stddef.h>
#include <stdint.h>

enum
{
	KM_OK = 0,
	KM_EINVAL = 1,				/* bad argument (checked by the glue first) */
	KM_ENOMEM = 2,
	KM_CANCELLED = 3
};

typedef enum KmScaling
{
	KM_SCALE_NONE = 0,
	KM_SCALE_ZSCORE = 1,		/* (x - mean) / population sd; sd 0: centred only */
	KM_SCALE_MINMAX = 2			/* (x - min) / (max - min); range 0: shifted only */
} KmScaling;

/* returns the scaling for a name ("none", "zscore", "minmax"), or -1 */
int			km_scaling_from_name(const char *name);
const char *km_scaling_name(int scaling);

typedef struct KmParams
{
	int			k;
	int			scaling;		/* KmScaling */
	int			n_init;			/* restarts; the lowest inertia wins */
	int			max_iter;		/* Lloyd iterations per restart */
	double		tol;			/* stop when the relative change of inertia is below tol */
	uint64_t	seed;
	int			n_threads;		/* <= 1: run on the calling thread only */
	int			silhouette_sample;	/* rows in the silhouette sample; 0: default (2000) */

	/*
	 * Called on the calling thread between iterations; a non-zero return stops
	 * the fit with KM_CANCELLED.  May be NULL.
	 */
	int			(*interrupted) (void *arg);
	void	   *interrupt_arg;
} KmParams;

/* A fitted model.  The caller allocates the arrays (sizes given by k and d). */
typedef struct KmModel
{
	int			k;
	int			d;
	int			scaling;
	double	   *shift;			/* d: fitted = (x - shift) / scale */
	double	   *scale;			/* d: never 0 */
	double	   *centroids;		/* k * d, row-major, fitted space, segment order */
	int64_t    *sizes;			/* k: rows per segment (descending) */
	double		inertia;		/* sum of squared distances, fitted space */
	int			iterations;		/* Lloyd iterations of the winning restart */
	int			best_init;		/* 0-based index of the winning restart */
	double		silhouette;		/* mean silhouette on the sample; NaN when undefined */
	int64_t		silhouette_n;	/* rows in the silhouette sample */
} KmModel;

/*
 * Fits a model on x (n rows, d columns, row-major, every value finite).
 * x is overwritten with the internally scaled and centred data.
 * labels (n, may be NULL) receive the 0-based segment of each row.
 * m->k, m->d and the arrays must be set by the caller.
 */
int			km_train(double *x, int64_t n, int d, const KmParams *p, KmModel *m, int32_t *labels);

/*
 * Segment (0-based) of one point given in original units; *dist2 (may be NULL)
 * receives its squared distance to that centroid in the fitted space.
 * work is d doubles of scratch.
 */
int			km_predict(const KmModel *m, const double *x, double *work, double *dist2);

/* Centroid j in original units into out (d). */
void		km_centroid_original(const KmModel *m, int j, double *out);

/* ---- lower-level pieces, exposed for the unit tests ---- */

/* Scaling parameters of x for a method (shift, scale: d each); KM_OK or KM_ENOMEM. */
int			km_scale_params(const double *x, int64_t n, int d, int scaling, double *shift, double *scale);

/*
 * Plain k-means on already-scaled data (hash: n row hashes for the sampling, or
 * NULL to hash x itself): n_init restarts of k-means++ + Lloyd.
 * centroids (k*d) and labels (n, may be NULL) receive the best solution; sizes (k)
 * its cluster sizes.  Clusters are in the order found (not renumbered).
 * x is centred in place (column means subtracted); centroids are returned in
 * the coordinates of x before centring.
 */
int			km_fit(double *x, int64_t n, int d, const KmParams *p, const uint64_t *hash, double *centroids,
				   int32_t *labels, int64_t *sizes, double *inertia, int *iterations, int *best_init);

/*
 * Mean silhouette of a sample of at most sample rows (all rows when n <= sample),
 * chosen by row hash (hash may be NULL: computed from x).
 */
int			km_silhouette(const double *x, int64_t n, int d, const int32_t *labels, int k, int64_t sample,
						  const uint64_t *hash, uint64_t seed, int n_threads, double *result, int64_t *used);

/* Hash of a row's values (-0.0 = 0.0); km_row_hashes does n rows on threads. */
uint64_t	km_row_hash(const double *row, int d);
void		km_row_hashes(const double *x, int64_t n, int d, int n_threads, uint64_t *out);

/* Small deterministic PRNG (xoshiro256** seeded through splitmix64). */
typedef struct KmRng
{
	uint64_t	s[4];
} KmRng;

void		km_rng_seed(KmRng *r, uint64_t seed);
uint64_t	km_rng_next(KmRng *r);
double		km_rng_uniform(KmRng *r);	/* [0, 1) */

/* Scaling parameters (shift, scale: d each) from column means, population variances, minima, maxima. */
void		km_scale_from_stats(int scaling, int d, const double *mean, const double *var, const double *lo,
								const double *hi, double *shift, double *scale);

/*
 * Orders clusters into segments (descending size; ties by centroid in original
 * units): fills m->centroids and m->sizes from C (k*d, fitted space) and sizes;
 * map[j] receives the segment of cluster j.  m->shift and m->scale must be set.
 */
int			km_order(KmModel *m, const double *C, const int64_t *sizes, int32_t *map);

/* ---- summaries instead of rows (kmeans_summary.c): Citus shards, bounded aggregate states ---- */

/*
 * A clustering feature (CF) of a set of rows: weight w, column means (d), and
 * per-column sums of squared deviations from the mean (d), KM_CF_LEN(d) doubles.
 * Two CFs merge exactly (Chan et al.), so the inertia of assigning all the
 * rows of a CF to one centroid is exact under any per-column scaling.
 */
#define KM_CF_LEN(d) (1 + 2 * (size_t) (d))
void		km_cf_point(double *cf, const double *x, int d);	/* one row */
void		km_cf_merge(double *a, const double *b, int d); /* a += b */
/* shift/scale for a scaling from the CF of all rows and the column minima/maxima */
int			km_scale_from_summary(int scaling, int d, const double *cf, const double *lo, const double *hi,
								  double *shift, double *scale);

/*
 * Reduces n CFs (in place) to at most target: each is merged into the nearest
 * of a k-means++ choice of target of them, distances divided by scale.
 * Returns the new count, or -1 when out of memory.
 */
int64_t		km_cf_reduce(double *cf, int64_t n, int d, int64_t target, const double *scale, uint64_t seed);

/*
 * Weighted k-means over n CFs in the fitted space (x - shift) / scale: p->n_init
 * restarts of greedy k-means++ and Lloyd.  C (k*d, fitted space) and sizes (k,
 * rounded weights) receive the best solution, *inertia its exact inertia over
 * the rows the CFs summarise when each CF is assigned whole.  Clusters in the
 * order found (see km_order).
 */
int			km_cf_fit(const double *cf, int64_t n, int d, const double *shift, const double *scale,
					  const KmParams *p, double *C, int64_t *sizes, double *inertia, int *iterations,
					  int *best_init);

/*
 * One Lloyd step as a sum over rows (what each Citus shard computes):
 * acc = [rows, skipped, inertia, counts (k), sums of the fitted rows (k*d)],
 * KM_ACC_LEN(k, d) doubles; km_lloyd_add adds one row x (original units).
 * work: d doubles of scratch.
 */
#define KM_ACC_HEAD 3
#define KM_ACC_LEN(k, d) (KM_ACC_HEAD + (size_t) (k) + (size_t) (k) * (d))
void		km_lloyd_add(double *acc, const double *x, int k, int d, const double *shift, const double *scale,
						 const double *C, double *work);

#endif

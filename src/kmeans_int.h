/*
 * kmeans_int.h -- what the k-means glue files share: kmeans_sql.c (training
 * and reading), kmeans_agg.c (the kmeans_fit aggregate) and kmeans_dist.c
 * (training through aggregates pushed to Citus shards).
 */
#ifndef MKTDB_KMEANS_INT_H
#define MKTDB_KMEANS_INT_H

#include "mktdb.h"
#include "utils/array.h"

#include "core/kmeans.h"

#define KM_LAYOUT 1				/* version of the model payload layout (km_serialize) */

/*
 * A decoded k-means model.  Payload layout (after the mktdb header):
 *   i32 layout | i32 k | i32 d | i32 scaling | f64s shift | f64s scale |
 *   f64s centroids (k*d, fitted space, segment order) | i64s sizes |
 *   f64 inertia | i32 iterations | f64 silhouette | i64 silhouette_n |
 *   i64 n_rows | i64 skipped_rows | i32 has_names | d texts (names) |
 *   text source | text id_column
 */
typedef struct KmDecoded
{
	KmModel		m;
	int64		n_rows;
	int64		skipped;
	char	  **names;			/* d names, or NULL (models from kmeans_fit) */
	char	   *source;			/* NULL for models from kmeans_fit */
	char	   *id_column;
} KmDecoded;

/* kmeans_sql.c */
void		km_raise(int rc);
int			km_check_args(int k, const char *scaling, int n_init, int max_iter, double tol);
void		km_check_rows(int k, int64 n, int64 skipped);
void		km_model_alloc(KmModel *m, int k, int d);
void		km_run(double *x, int64 n, int d, KmParams *p, KmModel *m);
bytea	   *km_serialize(const KmModel *m, int64 n_rows, int64 skipped, char **names, const char *source,
						 const char *id_column);

/* kmeans_agg.c: the usable doubles of a float8[] row (NULL when it has a NULL or non-finite element) */
const double *km_array_row(ArrayType *arr, int *n);

/* kmeans_dist.c */

/* What the pushed-down fit reports besides the model (for metrics). */
typedef struct KmDistInfo
{
	int64		sample_rows;	/* rows of the sample the seeding ran on */
	int			passes;			/* distributed queries over the source */
	double		sample_inertia; /* inertia of the seeding fit on the sample (fitted space) */
} KmDistInfo;

/*
 * Fits k-means on source through aggregates (statistics, a sample drawn where
 * the rows are, then Lloyd steps as k x d partial sums): fills dm->m (allocated
 * here), dm->n_rows and dm->skipped.
 */
void		km_fit_pushdown(const char *source, char **features, int d, KmParams *p, KmDecoded *dm,
							KmDistInfo *info);

#endif

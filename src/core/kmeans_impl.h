/*
 * kmeans_impl.h -- what the k-means files share, not part of kmeans.h's API: the row slots
 * and their threads, sampled candidates, the state of one restart (Fit), huge-page buffers,
 * and what each phase offers the others.  The files, by phase:
 *   kmeans.c             entry points (km_fit, km_train, km_predict), PRNG, row hashes,
 *                        memory, threads, segment numbering
 *   kmeans_scale.c       the statistics pass: column means, variances, ranges (and row hashes)
 *   kmeans_seed.c        greedy k-means++ seeding, on every row or on a hashed sample
 *   kmeans_lloyd.c       Lloyd iterations with GEMM distances, and the n_init restarts
 *   kmeans_silhouette.c  the sampled silhouette
 * Determinism and row-order independence are explained at the top of kmeans.c.
 */
#ifndef MKTDB_CORE_KMEANS_IMPL_H
#define MKTDB_CORE_KMEANS_IMPL_H

#include "core/kmeans.h"
#include "core/rng.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#define KM_MAX_SLOTS 64
#define KM_MIN_SLOT_ROWS 2048
#define KM_SLOT_BUDGET (32 * 1024 * 1024)	/* doubles of per-slot centroid sums */
#define KM_DEFAULT_SIL_SAMPLE 2000
#define KM_SEED_SAMPLE 65536		/* rows k-means++ seeds on, at least (see km_seed_centres) */
#define KM_STATS_MAXD 32			/* columns per block in the statistics pass */


/* what km_column_stats computes beyond the mean */
#define STATS_M2 1
#define STATS_MINMAX 2

/* ---- threads over row slots (kmeans.c) */

typedef void (*SlotFn) (void *ctx, int slot, int worker);

/* runs fn on every slot, on at most nthreads threads (the calling one included) */
void		km_run_slots(int nslots, int nthreads, SlotFn fn, void *ctx);
/* slots of a plain pass over n rows (hashes, statistics): depends on n only */
int			km_plain_slots(int64_t n);
/* large per-row arrays, mapped with huge pages when large enough */
void	   *km_big_alloc(size_t bytes);
void		km_big_free(void *q);

/* ---- hashing and sampling */

static inline uint64_t
mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* (0, 1] from a hash */
static inline double
hash_unit(uint64_t h)
{
	return ((h >> 11) + 1) * 0x1.0p-53;
}

/* a sampled row: the smallest keys win; ties by hash (equal hashes: equal rows) */
typedef struct Cand
{
	double		key;
	uint64_t	hash;
	int64_t		idx;
} Cand;

static inline int
cand_less(const Cand *a, const Cand *b)
{
	if (a->key != b->key)
		return a->key < b->key;
	if (a->hash != b->hash)
		return a->hash < b->hash;
	return a->idx < b->idx;
}

/* keeps the T smallest candidates of a slot, sorted */
static inline void
cand_offer(Cand *list, int *cnt, int T, double key, uint64_t hash, int64_t idx)
{
	Cand		c = {key, hash, idx};
	int			pos;

	if (*cnt == T && !cand_less(&c, &list[T - 1]))
		return;
	pos = (*cnt < T) ? (*cnt)++ : T - 1;
	while (pos > 0 && cand_less(&c, &list[pos - 1]))
	{
		list[pos] = list[pos - 1];
		pos--;
	}
	list[pos] = c;
}

/*
 * Offers row i with weight w to a slot's sample.  The key is -log(u)/w; since
 * -log(u) >= 1 - u, most rows are rejected without computing the logarithm.
 */
static inline void
offer_weighted(Cand *list, int *cnt, int T, uint64_t hash, uint64_t salt, int64_t i, double w)
{
	double		u,
				key;

	if (!(w > 0.0))
		return;
	u = hash_unit(mix64(hash ^ salt));
	if (*cnt == T && (1.0 - u) / w > list[T - 1].key)
		return;
	key = -log(u) / w;
	cand_offer(list, cnt, T, key, hash, i);
}

/* Everything one restart needs; shared read-only by the slot functions except per-slot outputs. */
typedef struct Fit
{
	double	   *x;				/* n x d, centred (once the pending transform is done) */
	double	   *xn;				/* n squared row norms; only when seeding on every row */
	const uint64_t *hash;		/* n row hashes (of the original values) */

	/*
	 * x' = (x - shift) / scale - mu, still to be applied (pending): the first
	 * assignment pass does it block by block, saving a pass over the data
	 */
	int			pending;
	const double *tshift;
	const double *tscale;
	const double *tmu;
	int64_t		n;
	int			d;
	int			k;
	int			nslots;
	int			block;			/* rows per GEMM block */

	/* current centroids and their squared norms */
	const double *c;
	double	   *cn;

	/* per-row state */
	int32_t    *labels;
	double	   *mind;			/* squared distance to the nearest centre */

	/* per-slot outputs */
	double	   *sums;			/* nslots x k x d */
	int64_t    *counts;			/* nslots x k */
	double	   *sinertia;		/* nslots */
	int64_t    *schanged;		/* nslots */

	/* k-means++ */
	const double *cand;			/* T x d candidates */
	double	   *candn;			/* T */
	int			ntrials;		/* candidates in this step */
	int			maxtrials;
	double	   *spot;			/* nslots x maxtrials: potential with each candidate */
	Cand	   *ssample;		/* nslots x maxtrials: each slot's smallest keys */
	int		   *scount;			/* nslots */
	uint64_t	salt;			/* sampling salt of the next step */
	int			sample_next;	/* update pass: also sample candidates (weights = new mind) */
	int			uniform;		/* sample with weight 1 instead of mind */

	/* per-worker scratch: block x max(k, T) doubles */
	double	   *scratch;
	size_t		scratch_per_worker;
} Fit;

static inline void
slot_range(const Fit *f, int s, int64_t *r0, int64_t *r1)
{
	*r0 = f->n * s / f->nslots;
	*r1 = f->n * (s + 1) / f->nslots;
}

static inline double
km_sq_norm(const double *v, int d)
{
	double		s = 0.0;

	for (int t = 0; t < d; t++)
		s += v[t] * v[t];
	return s;
}


/* ---- what the phases offer each other */

/* qsort order of Cand (kmeans_seed.c) */
int			km_cand_cmp(const void *a, const void *b);
/* x' = (x - shift) / scale - mu of rows [r0, r1), with squared norms (kmeans_lloyd.c) */
void		km_transform_rows(const double *x, double *out, int64_t r0, int64_t r1, int d, const double *shift,
							  const double *scale, const double *mu, double *xn);
/* work buffers of a Fit (kmeans_lloyd.c) */
int			km_fit_alloc(Fit *f, int64_t n, int d, int k, int nthreads);
void		km_fit_free(Fit *f);
/* k-means++ centres into C (kmeans_seed.c) */
int			km_seed_centres(Fit *f, uint64_t seed, double *C, const KmParams *p);
/* the n_init restarts (kmeans_lloyd.c) */
int			km_fit_prepared(double *x, const uint64_t *hash, int64_t n, int d, const KmParams *p,
							const double *shift, const double *scale, const double *mu, double *centroids,
							int32_t *labels_out, int64_t *sizes, double *inertia_out, int *iterations_out,
							int *best_init_out);
/* per-column mean (and var, lo, hi as want asks) in one pass, row hashes on the way (kmeans_scale.c) */
int			km_column_stats(double *x, int64_t n, int d, int nthreads, uint64_t *hash, int want, double *mean,
							double *var, double *lo, double *hi);

#endif

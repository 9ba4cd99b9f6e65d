/*
 * kmeans.c -- k-means in pure C: scaling, greedy k-means++ seeding, Lloyd
 * iterations with distances from GEMM (|x|^2 - 2 x.c + |c|^2) over cache-sized
 * row blocks, on pthreads, segment renumbering and a sampled silhouette.
 * Nothing here knows about PostgreSQL (see kmeans_sql.c for the glue).
 *
 * Determinism: rows are cut into "slots" whose number depends only on n, k
 * and d; every reduction adds per-slot partial results in slot order, so the
 * result for a seed is the same bit for bit with 1 or 16 threads.
 *
 * Independence of row order: every random choice (seeding, the silhouette
 * sample) is keyed on a hash of the row's values, not on its position, so the
 * same rows in another physical order (after a VACUUM FULL, from parallel
 * workers, from Citus shards) give the same segments, up to rounding in the
 * last bits of sums.  Weighted sampling uses exponential keys (Efraimidis and
 * Spirakis): the rows with the smallest -log(u)/w, u from the row hash.
 *
 * The phases live in kmeans_scale.c, kmeans_seed.c, kmeans_lloyd.c and
 * kmeans_silhouette.c (kmeans_impl.h lists them); this file has the entry points
 * (km_fit, km_train, km_predict), the PRNG and row hashes, huge-page memory, the
 * slot threads and the numbering of segments.
 *
 * Large inputs: k-means++ seeds on a hashed sample (km_seed_centres), scaling and
 * centring happen inside the first Lloyd pass, and per-row arrays are mapped
 * with huge pages (km_big_alloc): page faults are a visible cost at 10^6 rows.
 */
#include "core/kmeans_impl.h"

#include <cblas.h>
#include <float.h>
#include <pthread.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sys/mman.h>

/* ---------------------------------------------------------------- PRNG */

void
km_rng_seed(KmRng *r, uint64_t seed)
{
	uint64_t	x = seed;

	for (int i = 0; i < 4; i++)
		r->s[i] = mk_splitmix64(&x);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
km_rng_next(KmRng *r)
{
	uint64_t   *s = r->s;
	uint64_t	result = rotl(s[1] * 5, 7) * 9;
	uint64_t	t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double
km_rng_uniform(KmRng *r)
{
	return (km_rng_next(r) >> 11) * 0x1.0p-53;
}

static inline uint64_t
hash_step(uint64_t h, double v)
{
	uint64_t	b;

	v = (v == 0.0) ? 0.0 : v;	/* -0.0 and 0.0 are the same value */
	memcpy(&b, &v, sizeof(b));
	h = (h ^ b) * 0x9E3779B97F4A7C15ULL;
	return h ^ (h >> 29);
}

uint64_t
km_row_hash(const double *row, int d)
{
	/* four independent lanes (columns t, t+4, ...): the multiplies overlap */
	uint64_t	h0 = 0x243F6A8885A308D3ULL ^ (uint64_t) d,
				h1 = 0x13198A2E03707344ULL,
				h2 = 0xA4093822299F31D0ULL,
				h3 = 0x082EFA98EC4E6C89ULL;
	int			t = 0;

	for (; t + 4 <= d; t += 4)
	{
		h0 = hash_step(h0, row[t]);
		h1 = hash_step(h1, row[t + 1]);
		h2 = hash_step(h2, row[t + 2]);
		h3 = hash_step(h3, row[t + 3]);
	}
	if (t < d)
		h0 = hash_step(h0, row[t]);
	if (t + 1 < d)
		h1 = hash_step(h1, row[t + 1]);
	if (t + 2 < d)
		h2 = hash_step(h2, row[t + 2]);
	return mix64(h0 ^ rotl(h1, 17) ^ rotl(h2, 31) ^ rotl(h3, 47));
}

/* ---------------------------------------------------------------- memory */

/*
 * Arrays of one element per row: anonymous mappings with transparent huge
 * pages requested.  Faulting in 4 KB pages costs about 1 ms per MB on the
 * virtual machines we measured; 2 MB pages cost a fifth of that.
 */
#define BIG_HDR 64				/* keeps the returned pointer 64-byte aligned */
#define BIG_MIN (1u << 21)

void *
km_big_alloc(size_t bytes)
{
	size_t		total = bytes + BIG_HDR;
	char	   *p;

	if (total < BIG_MIN)
	{
		p = malloc(total);
		if (p == NULL)
			return NULL;
		((size_t *) p)[0] = 0;
		((size_t *) p)[1] = 0;
		return p + BIG_HDR;
	}
	else
	{
		/*
		 * the data start on a 2 MB boundary, so that every 2 MB of it can be
		 * one huge page; the header sits just before, in a small page
		 */
		size_t		maplen = total + BIG_MIN;
		char	   *map = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		char	   *data;

		if (map == MAP_FAILED)
			return NULL;
		data = (char *) (((uintptr_t) map + BIG_HDR + BIG_MIN - 1) & ~((uintptr_t) BIG_MIN - 1));
		(void) madvise(data, (size_t) (map + maplen - data), MADV_HUGEPAGE);	/* a hint */
		p = data - BIG_HDR;
		((size_t *) p)[0] = maplen;
		((size_t *) p)[1] = (size_t) (p - map);
		return data;
	}
}

void
km_big_free(void *q)
{
	char	   *p;
	size_t		maplen;

	if (q == NULL)
		return;
	p = (char *) q - BIG_HDR;
	maplen = ((size_t *) p)[0];
	if (maplen)
		munmap(p - ((size_t *) p)[1], maplen);
	else
		free(p);
}

/* ---------------------------------------------------------------- names */

int
km_scaling_from_name(const char *name)
{
	if (name == NULL)
		return -1;
	if (strcmp(name, "none") == 0)
		return KM_SCALE_NONE;
	if (strcmp(name, "zscore") == 0)
		return KM_SCALE_ZSCORE;
	if (strcmp(name, "minmax") == 0)
		return KM_SCALE_MINMAX;
	return -1;
}

const char *
km_scaling_name(int scaling)
{
	switch (scaling)
	{
		case KM_SCALE_NONE:
			return "none";
		case KM_SCALE_ZSCORE:
			return "zscore";
		case KM_SCALE_MINMAX:
			return "minmax";
	}
	return "?";
}

/* ---------------------------------------------------------------- threads */

typedef struct SlotRun
{
	SlotFn		fn;
	void	   *ctx;
	int			nslots;
	int			next;			/* atomically incremented */
} SlotRun;

typedef struct SlotWorker
{
	SlotRun    *run;
	int			id;
} SlotWorker;

static void *
slot_worker(void *arg)
{
	SlotWorker *w = arg;
	SlotRun    *run = w->run;
	int			s;

	while ((s = __atomic_fetch_add(&run->next, 1, __ATOMIC_RELAXED)) < run->nslots)
		run->fn(run->ctx, s, w->id);
	return NULL;
}

/*
 * Runs fn on every slot, on up to nthreads threads (the caller's included).
 * Which thread runs a slot does not matter for the result: slots write only
 * their own outputs and per-worker scratch.
 */
void
km_run_slots(int nslots, int nthreads, SlotFn fn, void *ctx)
{
	SlotRun		run = {fn, ctx, nslots, 0};
	pthread_t	tid[64];
	SlotWorker	w[64];
	int			started = 0;

	if (nthreads > nslots)
		nthreads = nslots;
	if (nthreads > 64)
		nthreads = 64;
	for (int t = 1; t < nthreads; t++)
	{
		w[t].run = &run;
		w[t].id = t;
		if (pthread_create(&tid[started + 1], NULL, slot_worker, &w[t]) != 0)
			break;				/* fewer threads: same result, only slower */
		started++;
	}
	w[0].run = &run;
	w[0].id = 0;
	slot_worker(&w[0]);
	for (int t = 1; t <= started; t++)
		pthread_join(tid[t], NULL);
}

typedef struct HashJob
{
	const double *x;
	int64_t		n;
	int			d;
	int			nslots;
	uint64_t   *out;
} HashJob;

static void
hash_slot(void *ctx, int s, int worker)
{
	HashJob    *h = ctx;
	int64_t		r0 = h->n * s / h->nslots,
				r1 = h->n * (s + 1) / h->nslots;

	(void) worker;
	for (int64_t i = r0; i < r1; i++)
		h->out[i] = km_row_hash(h->x + i * h->d, h->d);
}

int
km_plain_slots(int64_t n)
{
	int64_t		s = n / KM_MIN_SLOT_ROWS;

	return (int) (s < 1 ? 1 : (s > KM_MAX_SLOTS ? KM_MAX_SLOTS : s));
}

void
km_row_hashes(const double *x, int64_t n, int d, int n_threads, uint64_t *out)
{
	HashJob		h = {x, n, d, km_plain_slots(n), out};

	km_run_slots(h.nslots, n_threads < 1 ? 1 : n_threads, hash_slot, &h);
}

/*
 * OpenBLAS would start its own threads for the larger GEMMs (the silhouette)
 * while ours run: keep it on one thread for the duration, and restore.
 */
static int
blas_single_begin(void)
{
	int			old = openblas_get_num_threads();

	if (old != 1)
		openblas_set_num_threads(1);
	return old;
}

static void
blas_single_end(int old)
{
	if (old != 1)
		openblas_set_num_threads(old);
}

static int
args_ok(int64_t n, int d, const KmParams *p)
{
	return n >= 1 && d >= 1 && p->k >= 1 && p->k <= n && p->n_init >= 1 && p->max_iter >= 1 &&
		p->tol >= 0.0 && p->tol < HUGE_VAL;
}

int
km_fit(double *x, int64_t n, int d, const KmParams *p, const uint64_t *hash, double *centroids,
	   int32_t *labels_out, int64_t *sizes, double *inertia_out, int *iterations_out, int *best_init_out)
{
	double	   *st = NULL;
	uint64_t   *own_hash = NULL;
	int			rc,
				blas;

	if (!args_ok(n, d, p))
		return KM_EINVAL;
	st = malloc(sizeof(double) * d);	/* the column means */
	if (hash == NULL)
		hash = own_hash = km_big_alloc(sizeof(uint64_t) * n);
	if (!st || !hash)
	{
		free(st);
		km_big_free(own_hash);
		return KM_ENOMEM;
	}
	blas = blas_single_begin();
	/* centre: translation does not change k-means, and it keeps the GEMM expansion accurate */
	rc = km_column_stats(x, n, d, p->n_threads < 1 ? 1 : p->n_threads, own_hash, 0, st, NULL, NULL, NULL);
	if (rc == KM_OK)
		rc = km_fit_prepared(x, hash, n, d, p, NULL, NULL, st, centroids, labels_out, sizes,
						  inertia_out, iterations_out, best_init_out);
	if (rc == KM_OK)
		for (int j = 0; j < p->k; j++)
			for (int t = 0; t < d; t++)
				centroids[(size_t) j * d + t] += st[t];
	blas_single_end(blas);
	free(st);
	km_big_free(own_hash);
	return rc;
}

/* ---------------------------------------------------------------- the model */

void
km_centroid_original(const KmModel *m, int j, double *out)
{
	for (int t = 0; t < m->d; t++)
		out[t] = m->centroids[(size_t) j * m->d + t] * m->scale[t] + m->shift[t];
}

typedef struct OrderKey
{
	int			j;
	int64_t		size;
	const double *orig;			/* centroid in original units */
	int			d;
} OrderKey;

static int
order_cmp(const void *a, const void *b)
{
	const OrderKey *x = a,
			   *y = b;

	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	for (int t = 0; t < x->d; t++)
		if (x->orig[t] != y->orig[t])
			return x->orig[t] < y->orig[t] ? -1 : 1;
	return x->j - y->j;
}

/* Segments 1..k by descending size; ties by the centroid in original units. */
static void
order_segments(KmModel *m, const double *C, const int64_t *sizes, int32_t *map, double *orig, OrderKey *keys)
{
	int			k = m->k,
				d = m->d;

	for (int j = 0; j < k; j++)
	{
		for (int t = 0; t < d; t++)
			orig[(size_t) j * d + t] = C[(size_t) j * d + t] * m->scale[t] + m->shift[t];
		keys[j].j = j;
		keys[j].size = sizes[j];
		keys[j].orig = orig + (size_t) j * d;
		keys[j].d = d;
	}
	qsort(keys, k, sizeof(OrderKey), order_cmp);
	for (int r = 0; r < k; r++)
	{
		map[keys[r].j] = r;
		memcpy(m->centroids + (size_t) r * d, C + (size_t) keys[r].j * d, sizeof(double) * d);
		m->sizes[r] = keys[r].size;
	}
}

int
km_order(KmModel *m, const double *C, const int64_t *sizes, int32_t *map)
{
	double	   *orig = malloc(sizeof(double) * (size_t) m->k * m->d);
	OrderKey   *keys = malloc(sizeof(OrderKey) * m->k);

	if (orig && keys)
		order_segments(m, C, sizes, map, orig, keys);
	free(orig);
	free(keys);
	return orig && keys ? KM_OK : KM_ENOMEM;
}

int
km_train(double *x, int64_t n, int d, const KmParams *p, KmModel *m, int32_t *labels)
{
	int			k = p->k,
				nthreads = p->n_threads < 1 ? 1 : (p->n_threads > 64 ? 64 : p->n_threads),
				rc,
				blas;
	double	   *C = malloc(sizeof(double) * (size_t) k * d);
	double	   *orig = malloc(sizeof(double) * (size_t) k * d);
	double	   *st = malloc(sizeof(double) * 5 * d);
	int64_t    *sizes = malloc(sizeof(int64_t) * k);
	int32_t    *lab = labels ? labels : km_big_alloc(sizeof(int32_t) * (n > 0 ? n : 1));
	int32_t    *map = malloc(sizeof(int32_t) * k);
	uint64_t   *hash = km_big_alloc(sizeof(uint64_t) * (n > 0 ? n : 1));
	OrderKey   *keys = malloc(sizeof(OrderKey) * k);

	if (!C || !orig || !st || !sizes || !lab || !map || !hash || !keys)
	{
		rc = KM_ENOMEM;
		goto out;
	}
	if (m->k != k || m->d != d || !args_ok(n, d, p) ||
		(p->scaling != KM_SCALE_NONE && p->scaling != KM_SCALE_ZSCORE && p->scaling != KM_SCALE_MINMAX))
	{
		rc = KM_EINVAL;
		goto out;
	}
	blas = blas_single_begin();

	/* pass 1: statistics, and hashes of the values as given (later sums depend on row order) */
	rc = km_column_stats(x, n, d, nthreads, hash,
					  p->scaling == KM_SCALE_ZSCORE ? STATS_M2 : (p->scaling == KM_SCALE_MINMAX ? STATS_MINMAX : 0),
					  st, st + d, st + 2 * d, st + 3 * d);
	if (rc != KM_OK)
		goto done;
	m->scaling = p->scaling;
	km_scale_from_stats(p->scaling, d, st, st + d, st + 2 * d, st + 3 * d, m->shift, m->scale);

	/*
	 * the fit scales and centres the rows in its first pass over them (mu is
	 * the mean in the fitted space; centring keeps the GEMM expansion accurate)
	 */
	{
		double	   *mu = st + 4 * d;

		for (int t = 0; t < d; t++)
			mu[t] = (st[t] - m->shift[t]) / m->scale[t];
		rc = km_fit_prepared(x, hash, n, d, p, p->scaling == KM_SCALE_NONE ? NULL : m->shift,
						  p->scaling == KM_SCALE_NONE ? NULL : m->scale, mu, C, lab, sizes, &m->inertia,
						  &m->iterations, &m->best_init);
		if (rc != KM_OK)
			goto done;
		for (int j = 0; j < k; j++)
			for (int t = 0; t < d; t++)
				C[(size_t) j * d + t] += mu[t];
	}

	order_segments(m, C, sizes, map, orig, keys);
	for (int64_t i = 0; i < n; i++)
		lab[i] = map[lab[i]];

	/* x is centred now, which the silhouette (distances only) does not mind */
	rc = km_silhouette(x, n, d, lab, k,
					   p->silhouette_sample > 0 ? p->silhouette_sample : KM_DEFAULT_SIL_SAMPLE,
					   hash, p->seed, nthreads, &m->silhouette, &m->silhouette_n);
done:
	blas_single_end(blas);
out:
	free(C);
	free(orig);
	free(st);
	free(sizes);
	free(map);
	km_big_free(hash);
	free(keys);
	if (lab != labels)
		km_big_free(lab);
	return rc;
}

int
km_predict(const KmModel *m, const double *x, double *work, double *dist2)
{
	int			best = 0;
	double		bv = HUGE_VAL;

	for (int t = 0; t < m->d; t++)
		work[t] = (x[t] - m->shift[t]) / m->scale[t];
	for (int j = 0; j < m->k; j++)
	{
		const double *c = m->centroids + (size_t) j * m->d;
		double		s = 0.0;

		for (int t = 0; t < m->d; t++)
		{
			double		e = work[t] - c[t];

			s += e * e;
		}
		if (s < bv)
		{
			bv = s;
			best = j;
		}
	}
	if (dist2)
		*dist2 = bv;
	return best;
}

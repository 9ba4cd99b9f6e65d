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
 * Large inputs: k-means++ seeds on a hashed sample (seed_centres), scaling and
 * centring happen inside the first Lloyd pass, and per-row arrays are mapped
 * with huge pages (big_alloc): page faults are a visible cost at 10^6 rows.
 */
#include "core/kmeans.h"
#include "core/rng.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define KM_MAX_SLOTS 64
#define KM_MIN_SLOT_ROWS 2048
#define KM_SLOT_BUDGET (32 * 1024 * 1024)	/* doubles of per-slot centroid sums */
#define KM_DEFAULT_SIL_SAMPLE 2000
#define KM_SEED_SAMPLE 65536		/* rows k-means++ seeds on, at least (see seed_centres) */
#define KM_STATS_MAXD 32			/* columns per block in the statistics pass */

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

static void *
big_alloc(size_t bytes)
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

static void
big_free(void *q)
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

typedef void (*SlotFn) (void *ctx, int slot, int worker);

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
static void
run_slots(int nslots, int nthreads, SlotFn fn, void *ctx)
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

/* ---------------------------------------------------------------- the fit */

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

static int
cand_cmp(const void *a, const void *b)
{
	return cand_less(a, b) ? -1 : (cand_less(b, a) ? 1 : 0);
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

/*
 * x' = (x - shift) / scale - mu for rows [r0, r1) into out (may be x), and norms
 * (xn may be NULL); shift NULL: no scaling, x' = x - mu
 */
static void
transform_rows(const double *x, double *out, int64_t r0, int64_t r1, int d, const double *shift,
			   const double *scale, const double *mu, double *xn)
{
	if (shift == NULL)
	{
		/* no scaling: only the centring (no division) */
		for (int64_t i = r0; i < r1; i++)
		{
			const double *xi = x + i * d;
			double	   *oi = out + (i - r0) * d;
			double		nn = 0.0;

			for (int t = 0; t < d; t++)
			{
				double		v = xi[t] - mu[t];

				oi[t] = v;
				nn += v * v;
			}
			if (xn)
				xn[i] = nn;
		}
		return;
	}
	for (int64_t i = r0; i < r1; i++)
	{
		const double *xi = x + i * d;
		double	   *oi = out + (i - r0) * d;
		double		nn = 0.0;

		for (int t = 0; t < d; t++)
		{
			double		v = (xi[t] - shift[t]) / scale[t] - mu[t];

			oi[t] = v;
			nn += v * v;
		}
		if (xn)
			xn[i] = nn;
	}
}

/* Assignment step for one slot: nearest centre of every row, per-slot sums and counts. */
static void
assign_slot(void *ctx, int s, int worker)
{
	Fit		   *f = ctx;
	int			d = f->d,
				k = f->k;
	double	   *D = f->scratch + (size_t) worker * f->scratch_per_worker;
	double	   *sums = f->sums + (size_t) s * k * d;
	int64_t    *counts = f->counts + (size_t) s * k;
	double		inertia = 0.0;
	int64_t		changed = 0,
				r0,
				r1;

	memset(sums, 0, sizeof(double) * k * d);
	memset(counts, 0, sizeof(int64_t) * k);
	slot_range(f, s, &r0, &r1);
	for (int64_t b = r0; b < r1; b += f->block)
	{
		int			nb = (int) ((r1 - b < f->block) ? r1 - b : f->block);

		if (f->pending)
			transform_rows(f->x, f->x + b * d, b, b + nb, d, f->tshift, f->tscale, f->tmu, NULL);
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, k, d, 1.0, f->x + b * d, d,
					f->c, d, 0.0, D, k);
		for (int i = 0; i < nb; i++)
		{
			const double *row = D + (size_t) i * k;
			const double *xi = f->x + (b + i) * d;
			int			best = 0;
			double		bv = f->cn[0] - 2.0 * row[0];
			double		dist;
			double	   *sj;

			for (int j = 1; j < k; j++)
			{
				double		v = f->cn[j] - 2.0 * row[j];

				if (v < bv)
				{
					bv = v;
					best = j;
				}
			}
			{
				/* the winner's exact distance: the expansion above cancels badly near a centre */
				const double *cj = f->c + (size_t) best * d;

				dist = 0.0;
				for (int t = 0; t < d; t++)
				{
					double		e = xi[t] - cj[t];

					dist += e * e;
				}
			}
			if (f->labels[b + i] != best)
			{
				changed++;
				f->labels[b + i] = best;
			}
			f->mind[b + i] = dist;
			inertia += dist;
			counts[best]++;
			sj = sums + (size_t) best * d;
			for (int t = 0; t < d; t++)
				sj[t] += xi[t];
		}
	}
	f->sinertia[s] = inertia;
	f->schanged[s] = changed;
}

/* k-means++: potential of every candidate for one slot. */
static void
trials_slot(void *ctx, int s, int worker)
{
	Fit		   *f = ctx;
	int			d = f->d,
				T = f->ntrials;
	double	   *D = f->scratch + (size_t) worker * f->scratch_per_worker;
	double	   *pot = f->spot + (size_t) s * f->maxtrials;
	int64_t		r0,
				r1;

	for (int t = 0; t < T; t++)
		pot[t] = 0.0;
	slot_range(f, s, &r0, &r1);
	for (int64_t b = r0; b < r1; b += f->block)
	{
		int			nb = (int) ((r1 - b < f->block) ? r1 - b : f->block);

		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, T, d, 1.0, f->x + b * d, d,
					f->cand, d, 0.0, D, T);
		for (int i = 0; i < nb; i++)
		{
			double		m = f->mind[b + i];

			for (int t = 0; t < T; t++)
			{
				double		v = f->xn[b + i] - 2.0 * D[(size_t) i * T + t] + f->candn[t];

				if (v < 0.0)
					v = 0.0;
				pot[t] += (v < m) ? v : m;
			}
		}
	}
}

/*
 * k-means++: after choosing a centre (f->cand row 0), lower mind to the
 * distance to it, and sample the next step's candidates by the new weights.
 * With f->uniform, only sample (weight 1 for every row).
 */
static void
update_closest_slot(void *ctx, int s, int worker)
{
	Fit		   *f = ctx;
	int			d = f->d;
	const double *c = f->cand;
	int			T = f->maxtrials;
	Cand	   *list = f->ssample + (size_t) s * T;
	int64_t		r0,
				r1;

	(void) worker;
	f->scount[s] = 0;
	slot_range(f, s, &r0, &r1);
	for (int64_t i = r0; i < r1; i++)
	{
		if (!f->uniform)
		{
			const double *xi = f->x + i * d;
			double		dot = 0.0,
						v;

			for (int t = 0; t < d; t++)
				dot += xi[t] * c[t];
			v = f->xn[i] - 2.0 * dot + f->candn[0];
			if (v < 0.0)
				v = 0.0;
			if (v < f->mind[i])
				f->mind[i] = v;
		}
		if (f->sample_next)
			offer_weighted(list, &f->scount[s], f->uniform ? 1 : T, f->hash[i], f->salt, i,
						   f->uniform ? 1.0 : f->mind[i]);
	}
}

/* the sampled candidates of all slots, merged; returns how many (<= want) */
static int
merge_samples(Fit *f, int want, int64_t *idx)
{
	int			T = f->maxtrials,
				m = 0;
	Cand	   *all = (Cand *) f->scratch;	/* nslots x T Cands fit: see km_fit */

	for (int s = 0; s < f->nslots; s++)
		for (int t = 0; t < f->scount[s]; t++)
			all[m++] = f->ssample[(size_t) s * T + t];
	qsort(all, m, sizeof(Cand), cand_cmp);
	if (m > want)
		m = want;
	for (int t = 0; t < m; t++)
		idx[t] = all[t].idx;
	return m;
}

static double
sq_norm(const double *v, int d)
{
	double		s = 0.0;

	for (int t = 0; t < d; t++)
		s += v[t] * v[t];
	return s;
}

/* one row chosen with equal weights (the first centre, or when every row sits on a centre) */
static int64_t
sample_uniform(Fit *f, const KmParams *p, uint64_t salt)
{
	int64_t		idx = 0;

	f->uniform = 1;
	f->sample_next = 1;
	f->salt = salt;
	run_slots(f->nslots, p->n_threads, update_closest_slot, f);
	f->uniform = 0;
	merge_samples(f, 1, &idx);
	return idx;
}

/*
 * Greedy k-means++ (Arthur & Vassilvitskii; the 2 + log k local trials of
 * scikit-learn): each new centre is the best of several candidates drawn with
 * probability proportional to the squared distance to the nearest centre
 * (here without replacement, so the trials are distinct rows).
 */
static int
kmeanspp(Fit *f, uint64_t seed, double *C, const KmParams *p)
{
	int			d = f->d,
				k = f->k,
				T = f->maxtrials;
	double	   *cand = malloc(sizeof(double) * (size_t) T * d);
	double	   *candn = malloc(sizeof(double) * T);
	double	   *pots = malloc(sizeof(double) * T);
	int64_t    *cidx = malloc(sizeof(int64_t) * T);
	int			rc = KM_OK;
	int64_t		first;

	if (!cand || !candn || !pots || !cidx)
	{
		rc = KM_ENOMEM;
		goto done;
	}
	first = sample_uniform(f, p, mix64(seed ^ 0x6669727374ULL));
	memcpy(C, f->x + first * d, sizeof(double) * d);
	for (int64_t i = 0; i < f->n; i++)
		f->mind[i] = DBL_MAX;
	memcpy(cand, C, sizeof(double) * d);
	candn[0] = sq_norm(cand, d);
	f->cand = cand;
	f->candn = candn;
	f->sample_next = (k > 1);
	f->salt = mix64(seed ^ mix64(1));
	run_slots(f->nslots, p->n_threads, update_closest_slot, f);

	for (int c = 1; c < k; c++)
	{
		double		bestpot;
		int			best,
					nt;

		if (p->interrupted && p->interrupted(p->interrupt_arg))
		{
			rc = KM_CANCELLED;
			goto done;
		}
		nt = merge_samples(f, T, cidx);
		if (nt == 0)
		{
			/* every row already sits on a centre: any row will do */
			cidx[0] = sample_uniform(f, p, mix64(seed ^ mix64(c) ^ 0x756eULL));
			nt = 1;
		}
		for (int t = 0; t < nt; t++)
		{
			memcpy(cand + (size_t) t * d, f->x + cidx[t] * d, sizeof(double) * d);
			candn[t] = sq_norm(cand + (size_t) t * d, d);
		}
		f->ntrials = nt;
		run_slots(f->nslots, p->n_threads, trials_slot, f);
		for (int t = 0; t < nt; t++)
		{
			pots[t] = 0.0;
			for (int s = 0; s < f->nslots; s++)
				pots[t] += f->spot[(size_t) s * T + t];
		}
		best = 0;
		bestpot = pots[0];
		for (int t = 1; t < nt; t++)
			if (pots[t] < bestpot)
			{
				bestpot = pots[t];
				best = t;
			}
		memcpy(C + (size_t) c * d, cand + (size_t) best * d, sizeof(double) * d);
		/* the chosen candidate into row 0 for the update */
		memmove(cand, cand + (size_t) best * d, sizeof(double) * d);
		candn[0] = candn[best];
		f->sample_next = (c + 1 < k);
		f->salt = mix64(seed ^ mix64(c + 1));
		run_slots(f->nslots, p->n_threads, update_closest_slot, f);
	}
done:
	f->cand = NULL;
	f->candn = NULL;
	f->sample_next = 0;
	free(cand);
	free(candn);
	free(pots);
	free(cidx);
	return rc;
}

/* Sums the per-slot outputs of an assignment in slot order. */
static void
reduce_assign(Fit *f, double *sums, int64_t *counts, double *inertia, int64_t *changed)
{
	int			kd = f->k * f->d;

	memcpy(sums, f->sums, sizeof(double) * kd);
	memcpy(counts, f->counts, sizeof(int64_t) * f->k);
	*inertia = f->sinertia[0];
	*changed = f->schanged[0];
	for (int s = 1; s < f->nslots; s++)
	{
		const double *ss = f->sums + (size_t) s * kd;
		const int64_t *sc = f->counts + (size_t) s * f->k;

		for (int t = 0; t < kd; t++)
			sums[t] += ss[t];
		for (int j = 0; j < f->k; j++)
			counts[j] += sc[j];
		*inertia += f->sinertia[s];
		*changed += f->schanged[s];
	}
}

/*
 * New centres from sums and counts.  An empty cluster takes the row farthest
 * from its centre (as scikit-learn does; ties by row hash), which is taken out
 * of its old cluster's sums; returns the number of relocations.
 */
static int
update_centres(Fit *f, double *C, double *sums, int64_t *counts)
{
	int			d = f->d,
				k = f->k,
				relocated = 0;

	for (int j = 0; j < k; j++)
	{
		int64_t		far = -1;
		double		fv = -1.0;

		if (counts[j] > 0)
			continue;
		for (int64_t i = 0; i < f->n; i++)
		{
			int32_t		l = f->labels[i];

			/* never empty another cluster */
			if (l < 0 || counts[l] <= 1)
				continue;
			if (far < 0 || f->mind[i] > fv || (f->mind[i] == fv && f->hash[i] < f->hash[far]))
			{
				fv = f->mind[i];
				far = i;
			}
		}
		if (far < 0)
			continue;			/* fewer distinct rows than k: the centre stays put */
		{
			const double *xi = f->x + far * d;
			int32_t		l = f->labels[far];

			for (int t = 0; t < d; t++)
			{
				sums[(size_t) l * d + t] -= xi[t];
				sums[(size_t) j * d + t] = xi[t];
			}
			counts[l]--;
			counts[j] = 1;
			f->labels[far] = j;
			f->mind[far] = 0.0;
			relocated++;
		}
	}
	for (int j = 0; j < k; j++)
	{
		if (counts[j] == 0)
			continue;
		for (int t = 0; t < d; t++)
			C[(size_t) j * d + t] = sums[(size_t) j * d + t] / (double) counts[j];
	}
	return relocated;
}

static void
centre_norms(Fit *f, const double *C)
{
	for (int j = 0; j < f->k; j++)
		f->cn[j] = sq_norm(C + (size_t) j * f->d, f->d);
}

static int	seed_centres(Fit *f, uint64_t seed, double *C, const KmParams *p);
static int	column_stats(double *x, int64_t n, int d, int nthreads, uint64_t *hash, int want, double *mean,
						 double *var, double *lo, double *hi);

/*
 * One restart: seeding, then Lloyd until the labels stop changing or the
 * relative change of inertia is below tol.  On return labels, sizes and
 * inertia belong to the returned centres.
 */
static int
lloyd(Fit *f, uint64_t seed, const KmParams *p, double *C, double *sums, int64_t *counts,
	  double *inertia_out, int *iterations_out)
{
	double		prev = HUGE_VAL,
				inertia = HUGE_VAL;
	int64_t		changed = 1;
	int			it,
				rc,
				relocated = 0,
				fixed = 0;

	rc = seed_centres(f, seed, C, p);
	if (rc != KM_OK)
		return rc;
	for (int64_t i = 0; i < f->n; i++)
		f->labels[i] = -1;
	f->c = C;
	for (it = 1; it <= p->max_iter; it++)
	{
		int			converged;

		if (p->interrupted && p->interrupted(p->interrupt_arg))
			return KM_CANCELLED;
		centre_norms(f, C);
		run_slots(f->nslots, p->n_threads, assign_slot, f);
		f->pending = 0;
		reduce_assign(f, sums, counts, &inertia, &changed);
		/* unchanged labels give the same centres again, bit for bit: a fixed point */
		fixed = (changed == 0 && relocated == 0);
		converged = fixed || (isfinite(prev) && fabs(prev - inertia) <= p->tol * prev);
		if (fixed)
			break;
		relocated = update_centres(f, C, sums, counts);
		prev = inertia;
		if (converged && relocated == 0)
			break;
	}
	*iterations_out = (it > p->max_iter) ? p->max_iter : it;
	if (!fixed)
	{
		/* the centres moved after the last assignment: assign once more */
		centre_norms(f, C);
		run_slots(f->nslots, p->n_threads, assign_slot, f);
		reduce_assign(f, sums, counts, &inertia, &changed);
	}
	*inertia_out = inertia;
	return KM_OK;
}

static int
choose_slots(int64_t n, int k, int d)
{
	int64_t		s = n / KM_MIN_SLOT_ROWS;
	int64_t		budget = KM_SLOT_BUDGET / ((int64_t) k * d + 1);

	if (s > KM_MAX_SLOTS)
		s = KM_MAX_SLOTS;
	if (s > budget)
		s = budget;
	if (s < 1)
		s = 1;
	return (int) s;
}

/*
 * Rows per GEMM block: the block of x and its distance rows stay in L2, and
 * m*n*k stays below OpenBLAS's threshold for threading a GEMM (our own threads
 * already use the cores).
 */
static int
choose_block(int k, int d)
{
	int64_t		b = 32768 / (d + k);
	int64_t		b2 = 262144 / ((int64_t) k * d);

	if (b2 < b)
		b = b2;
	if (b > 1024)
		b = 1024;
	if (b < 16)
		b = 16;
	return (int) b;
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

static int
plain_slots(int64_t n)
{
	int64_t		s = n / KM_MIN_SLOT_ROWS;

	return (int) (s < 1 ? 1 : (s > KM_MAX_SLOTS ? KM_MAX_SLOTS : s));
}

void
km_row_hashes(const double *x, int64_t n, int d, int n_threads, uint64_t *out)
{
	HashJob		h = {x, n, d, plain_slots(n), out};

	run_slots(h.nslots, n_threads < 1 ? 1 : n_threads, hash_slot, &h);
}

/* Work buffers of a Fit over n rows (x, xn, hash and labels belong to the caller). */
static int
fit_alloc(Fit *f, int64_t n, int d, int k, int nthreads)
{
	int			T = 2 + (int) log((double) k);
	size_t		merge_need;

	memset(f, 0, sizeof(*f));
	f->n = n;
	f->d = d;
	f->k = k;
	f->nslots = choose_slots(n, k, d);
	f->block = choose_block(k > T ? k : T, d);
	f->maxtrials = T;
	f->scratch_per_worker = (size_t) f->block * (k > T ? k : T);
	/* merge_samples sorts nslots x T Cands in the scratch of worker 0 */
	merge_need = ((size_t) f->nslots * T * sizeof(Cand) + sizeof(double) - 1) / sizeof(double);
	if (f->scratch_per_worker < merge_need)
		f->scratch_per_worker = merge_need;
	f->cn = malloc(sizeof(double) * k);
	f->mind = big_alloc(sizeof(double) * n);
	f->sums = malloc(sizeof(double) * (size_t) f->nslots * k * d);
	f->counts = malloc(sizeof(int64_t) * (size_t) f->nslots * k);
	f->sinertia = malloc(sizeof(double) * f->nslots);
	f->schanged = malloc(sizeof(int64_t) * f->nslots);
	f->spot = malloc(sizeof(double) * (size_t) f->nslots * T);
	f->ssample = malloc(sizeof(Cand) * (size_t) f->nslots * T);
	f->scount = malloc(sizeof(int) * f->nslots);
	f->scratch = malloc(sizeof(double) * f->scratch_per_worker * nthreads);
	if (!f->cn || !f->mind || !f->sums || !f->counts || !f->sinertia || !f->schanged || !f->spot ||
		!f->ssample || !f->scount || !f->scratch)
		return KM_ENOMEM;
	return KM_OK;
}

static void
fit_free(Fit *f)
{
	free(f->cn);
	big_free(f->mind);
	free(f->sums);
	free(f->counts);
	free(f->sinertia);
	free(f->schanged);
	free(f->spot);
	free(f->ssample);
	free(f->scount);
	free(f->scratch);
	memset(f, 0, sizeof(*f));
}

static int
cmp_u64_idx(const void *a, const void *b)
{
	const uint64_t *x = a,
			   *y = b;

	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return x[1] < y[1] ? -1 : (x[1] > y[1]);
}

/* the pending transform (if any) and the squared norms of every row */
static void
prep_slot(void *ctx, int s, int worker)
{
	Fit		   *f = ctx;
	int64_t		r0,
				r1;

	(void) worker;
	slot_range(f, s, &r0, &r1);
	if (f->pending)
		transform_rows(f->x, f->x + r0 * f->d, r0, r1, f->d, f->tshift, f->tscale, f->tmu, f->xn);
	else
		for (int64_t i = r0; i < r1; i++)
			f->xn[i] = sq_norm(f->x + i * f->d, f->d);
}

/* seeding on every row: transform now, with the norms k-means++ needs */
static int
seed_centres_all(Fit *f, uint64_t seed, double *C, const KmParams *p)
{
	if (f->xn == NULL)
	{
		f->xn = big_alloc(sizeof(double) * f->n);
		if (f->xn == NULL)
			return KM_ENOMEM;
		run_slots(f->nslots, p->n_threads, prep_slot, f);
		f->pending = 0;
	}
	return kmeanspp(f, seed, C, p);
}

/*
 * Seeding.  On large inputs k-means++ runs on a sample of about KM_SEED_SAMPLE
 * rows (chosen by row hash, in hash order, so independent of row order): its
 * 2 (k - 1) passes then cost next to nothing, and Lloyd on all rows corrects
 * the small difference.  Small inputs seed on every row, as scikit-learn does.
 */
static int
seed_centres(Fit *f, uint64_t seed, double *C, const KmParams *p)
{
	int64_t		want = KM_SEED_SAMPLE > (int64_t) 256 * f->k ? KM_SEED_SAMPLE : (int64_t) 256 * f->k;
	uint64_t	salt = mix64(seed ^ 0x73616d706c65ULL),
				threshold;
	uint64_t   *pick = NULL;
	double	   *xs = NULL,
			   *xn = NULL;
	uint64_t   *hs = NULL;
	int64_t		m = 0;
	Fit			g;
	int			rc;

	if (f->n <= 2 * want)
		return seed_centres_all(f, seed, C, p);

	/* Bernoulli sample with probability want / n, decided by the hash */
	threshold = (uint64_t) ((double) want / (double) f->n * 18446744073709551616.0);
	pick = malloc(sizeof(uint64_t) * 2 * (want * 2 + 1024));
	if (!pick)
		return KM_ENOMEM;
	for (int64_t i = 0; i < f->n; i++)
	{
		uint64_t	h = mix64(f->hash[i] ^ salt);

		if (h < threshold && m < want * 2 + 1024)
		{
			pick[2 * m] = f->hash[i];
			pick[2 * m + 1] = (uint64_t) i;
			m++;
		}
	}
	if (m < f->k)
	{
		/* an unlucky sample: seed on every row */
		free(pick);
		return seed_centres_all(f, seed, C, p);
	}
	qsort(pick, m, 2 * sizeof(uint64_t), cmp_u64_idx);
	xs = malloc(sizeof(double) * m * f->d);
	xn = malloc(sizeof(double) * m);
	hs = malloc(sizeof(uint64_t) * m);
	rc = fit_alloc(&g, m, f->d, f->k, p->n_threads < 1 ? 1 : (p->n_threads > 64 ? 64 : p->n_threads));
	if (!xs || !xn || !hs || rc != KM_OK)
	{
		rc = KM_ENOMEM;
		goto done;
	}
	for (int64_t j = 0; j < m; j++)
	{
		int64_t		i = (int64_t) pick[2 * j + 1];
		double	   *row = xs + j * f->d;

		if (f->pending)
			transform_rows(f->x + i * f->d, row, 0, 1, f->d, f->tshift, f->tscale, f->tmu, xn + j);
		else
		{
			memcpy(row, f->x + i * f->d, sizeof(double) * f->d);
			xn[j] = sq_norm(row, f->d);
		}
		hs[j] = pick[2 * j];
	}
	g.x = xs;
	g.xn = xn;
	g.hash = hs;
	rc = kmeanspp(&g, seed, C, p);
done:
	fit_free(&g);
	free(pick);
	free(xs);
	free(xn);
	free(hs);
	return rc;
}

/*
 * n_init restarts.  x is transformed in place first, x' = (x - shift) / scale - mu
 * (mu NULL: x is ready; shift NULL: x' = x - mu); centroids come back in the
 * coordinates of x'.
 */
static int
fit_prepared(double *x, const uint64_t *hash, int64_t n, int d, const KmParams *p, const double *shift,
			 const double *scale, const double *mu, double *centroids, int32_t *labels_out, int64_t *sizes,
			 double *inertia_out, int *iterations_out, int *best_init_out)
{
	Fit			f;
	int			k = p->k,
				nthreads = p->n_threads < 1 ? 1 : (p->n_threads > 64 ? 64 : p->n_threads),
				rc;
	double	   *C = malloc(sizeof(double) * (size_t) k * d);
	double	   *sums = malloc(sizeof(double) * (size_t) k * d);
	int64_t    *counts = malloc(sizeof(int64_t) * k);
	int32_t    *lab_a = big_alloc(sizeof(int32_t) * n);
	int32_t    *lab_b = big_alloc(sizeof(int32_t) * n);
	double		best = HUGE_VAL;
	uint64_t	seedstate = p->seed;

	rc = fit_alloc(&f, n, d, k, nthreads);
	if (!C || !sums || !counts || !lab_a || !lab_b || rc != KM_OK)
	{
		rc = KM_ENOMEM;
		goto done;
	}
	f.x = x;
	f.hash = hash;
	f.pending = (mu != NULL);
	f.tshift = shift;
	f.tscale = scale;
	f.tmu = mu;
	for (int init = 0; init < p->n_init; init++)
	{
		double		inertia;
		int			iters;

		f.labels = lab_b;
		rc = lloyd(&f, mk_splitmix64(&seedstate), p, C, sums, counts, &inertia, &iters);
		if (rc != KM_OK)
			goto done;
		if (inertia < best)
		{
			int32_t    *tmp = lab_a;

			best = inertia;
			lab_a = lab_b;
			lab_b = tmp;
			memcpy(centroids, C, sizeof(double) * (size_t) k * d);
			memcpy(sizes, counts, sizeof(int64_t) * k);
			*inertia_out = inertia;
			*iterations_out = iters;
			*best_init_out = init;
		}
	}
	if (labels_out)
		memcpy(labels_out, lab_a, sizeof(int32_t) * n);
done:
	big_free(f.xn);
	fit_free(&f);
	free(C);
	free(sums);
	free(counts);
	big_free(lab_a);
	big_free(lab_b);
	return rc;
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
		hash = own_hash = big_alloc(sizeof(uint64_t) * n);
	if (!st || !hash)
	{
		free(st);
		big_free(own_hash);
		return KM_ENOMEM;
	}
	blas = blas_single_begin();
	/* centre: translation does not change k-means, and it keeps the GEMM expansion accurate */
	rc = column_stats(x, n, d, p->n_threads < 1 ? 1 : p->n_threads, own_hash, 0, st, NULL, NULL, NULL);
	if (rc == KM_OK)
		rc = fit_prepared(x, hash, n, d, p, NULL, NULL, st, centroids, labels_out, sizes,
						  inertia_out, iterations_out, best_init_out);
	if (rc == KM_OK)
		for (int j = 0; j < p->k; j++)
			for (int t = 0; t < d; t++)
				centroids[(size_t) j * d + t] += st[t];
	blas_single_end(blas);
	free(st);
	big_free(own_hash);
	return rc;
}

/* ---- km_train's two passes over the input: statistics (and hashes), then the transform */

typedef struct Prep
{
	double	   *x;
	int64_t		n;
	int			d;
	int			nslots;
	uint64_t   *hash;
	int			want;			/* STATS_M2 | STATS_MINMAX: what beyond the mean */
	/* per slot and column: count is the slot's rows; mean, M2 (Chan et al.), min, max */
	double	   *mean;
	double	   *m2;
	double	   *lo;
	double	   *hi;
} Prep;

#define STATS_M2 1
#define STATS_MINMAX 2

#define PREP_BLOCK 256

static void
stats_slot(void *ctx, int s, int worker)
{
	Prep	   *P = ctx;
	int			d = P->d;
	int64_t		r0 = P->n * s / P->nslots,
				r1 = P->n * (s + 1) / P->nslots,
				cnt = 0;
	double	   *mean = P->mean + (size_t) s * d,
			   *m2 = P->m2 + (size_t) s * d,
			   *lo = P->lo + (size_t) s * d,
			   *hi = P->hi + (size_t) s * d;
	double		bsum[KM_STATS_MAXD],
				bm2[KM_STATS_MAXD];

	(void) worker;
	for (int t = 0; t < d; t++)
	{
		mean[t] = m2[t] = 0.0;
		lo[t] = HUGE_VAL;
		hi[t] = -HUGE_VAL;
	}
	/* blocks: sums, then squares about the block mean while the block is in cache; merge blocks */
	for (int64_t b = r0; b < r1; b += PREP_BLOCK)
	{
		int64_t		e = (r1 - b < PREP_BLOCK) ? r1 : b + PREP_BLOCK,
					nb = e - b;

		for (int t0 = 0; t0 < d; t0 += KM_STATS_MAXD)
		{
			int			t1 = (d - t0 < KM_STATS_MAXD) ? d : t0 + KM_STATS_MAXD;

			for (int t = t0; t < t1; t++)
				bsum[t - t0] = bm2[t - t0] = 0.0;
			for (int64_t i = b; i < e; i++)
				for (int t = t0; t < t1; t++)
					bsum[t - t0] += P->x[i * d + t];
			if (P->want & STATS_MINMAX)
				for (int64_t i = b; i < e; i++)
					for (int t = t0; t < t1; t++)
					{
						double		v = P->x[i * d + t];

						if (v < lo[t])
							lo[t] = v;
						if (v > hi[t])
							hi[t] = v;
					}
			for (int t = t0; t < t1; t++)
				bsum[t - t0] /= (double) nb;	/* the block mean */
			if (P->want & STATS_M2)
				for (int64_t i = b; i < e; i++)
					for (int t = t0; t < t1; t++)
					{
						double		v = P->x[i * d + t] - bsum[t - t0];

						bm2[t - t0] += v * v;
					}
			for (int t = t0; t < t1; t++)
			{
				double		delta = bsum[t - t0] - mean[t];
				double		tot = (double) (cnt + nb);

				mean[t] += delta * (double) nb / tot;
				m2[t] += bm2[t - t0] + delta * delta * (double) cnt * (double) nb / tot;
			}
		}
		if (P->hash)
			for (int64_t i = b; i < e; i++)
				P->hash[i] = km_row_hash(P->x + i * d, d);
		cnt += nb;
	}
}

/*
 * Column mean, population variance, min and max in one pass (and the row
 * hashes when hash is not NULL); slots merged in order, so deterministic.
 */
static int
column_stats(double *x, int64_t n, int d, int nthreads, uint64_t *hash, int want, double *mean,
			 double *var, double *lo, double *hi)
{
	Prep		P;
	int64_t		cnt = 0;

	memset(&P, 0, sizeof(P));
	P.x = x;
	P.n = n;
	P.d = d;
	P.nslots = plain_slots(n);
	P.hash = hash;
	P.want = want;
	P.mean = malloc(sizeof(double) * P.nslots * d);
	P.m2 = malloc(sizeof(double) * P.nslots * d);
	P.lo = malloc(sizeof(double) * P.nslots * d);
	P.hi = malloc(sizeof(double) * P.nslots * d);
	if (!P.mean || !P.m2 || !P.lo || !P.hi)
	{
		free(P.mean);
		free(P.m2);
		free(P.lo);
		free(P.hi);
		return KM_ENOMEM;
	}
	run_slots(P.nslots, nthreads, stats_slot, &P);
	/* what was not wanted is computed into a dummy */
	if (!(want & STATS_M2))
		var = NULL;
	if (!(want & STATS_MINMAX))
		lo = hi = NULL;
	for (int t = 0; t < d; t++)
	{
		mean[t] = 0.0;
		if (var)
			var[t] = 0.0;
		if (lo)
		{
			lo[t] = HUGE_VAL;
			hi[t] = -HUGE_VAL;
		}
	}
	for (int s = 0; s < P.nslots; s++)
	{
		int64_t		ns = n * (s + 1) / P.nslots - n * s / P.nslots;
		double		tot = (double) (cnt + ns);

		if (ns == 0)
			continue;
		for (int t = 0; t < d; t++)
		{
			double		delta = P.mean[s * d + t] - mean[t];

			mean[t] += delta * (double) ns / tot;
			if (var)
				var[t] += P.m2[s * d + t] + delta * delta * (double) cnt * (double) ns / tot;
			if (lo && P.lo[s * d + t] < lo[t])
				lo[t] = P.lo[s * d + t];
			if (hi && P.hi[s * d + t] > hi[t])
				hi[t] = P.hi[s * d + t];
		}
		cnt += ns;
	}
	if (var)
		for (int t = 0; t < d; t++)
			var[t] /= (double) n;
	free(P.mean);
	free(P.m2);
	free(P.lo);
	free(P.hi);
	return KM_OK;
}

void
km_scale_from_stats(int scaling, int d, const double *mean, const double *var, const double *lo,
				 const double *hi, double *shift, double *scale)
{
	for (int t = 0; t < d; t++)
	{
		shift[t] = 0.0;
		scale[t] = 1.0;
		if (scaling == KM_SCALE_ZSCORE)
		{
			double		sd = sqrt(var[t]);

			shift[t] = mean[t];
			/* a constant column stays centred but unscaled, as scikit-learn's StandardScaler does */
			if (sd > 0.0 && isfinite(sd))
				scale[t] = sd;
		}
		else if (scaling == KM_SCALE_MINMAX)
		{
			shift[t] = lo[t];
			/* a constant column: range 1, as scikit-learn's MinMaxScaler does */
			if (hi[t] - lo[t] > 0.0 && isfinite(hi[t] - lo[t]))
				scale[t] = hi[t] - lo[t];
		}
	}
}

int
km_scale_params(const double *x, int64_t n, int d, int scaling, double *shift, double *scale)
{
	double	   *st = malloc(sizeof(double) * 4 * d);
	int			rc;

	if (st == NULL)
		return KM_ENOMEM;
	if (n < 1)
	{
		for (int t = 0; t < d; t++)
			st[t] = st[d + t] = st[2 * d + t] = st[3 * d + t] = 0.0;
		rc = KM_OK;
	}
	else
		rc = column_stats((double *) x, n, d, 1, NULL, STATS_M2 | STATS_MINMAX, st, st + d, st + 2 * d,
						  st + 3 * d);
	if (rc == KM_OK)
		km_scale_from_stats(scaling, d, st, st + d, st + 2 * d, st + 3 * d, shift, scale);
	free(st);
	return rc;
}

/* ---------------------------------------------------------------- silhouette */

typedef struct Sil
{
	const double *xs;			/* s x d sample */
	const double *xn;			/* s norms */
	const int32_t *lab;			/* s labels */
	const int64_t *csize;		/* k: sample sizes */
	int64_t		s;
	int			d;
	int			k;
	int			nslots;
	int			block;
	double	   *scores;			/* s */
	double	   *scratch;		/* per worker: block x s + block x k */
	size_t		per_worker;
} Sil;

static void
sil_slot(void *ctx, int slot, int worker)
{
	Sil		   *S = ctx;
	int64_t		r0 = S->s * slot / S->nslots,
				r1 = S->s * (slot + 1) / S->nslots;
	double	   *D = S->scratch + (size_t) worker * S->per_worker;
	double	   *acc = D + (size_t) S->block * S->s;

	for (int64_t b = r0; b < r1; b += S->block)
	{
		int			nb = (int) ((r1 - b < S->block) ? r1 - b : S->block);

		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, (int) S->s, S->d, 1.0,
					S->xs + b * S->d, S->d, S->xs, S->d, 0.0, D, (int) S->s);
		for (int i = 0; i < nb; i++)
		{
			int64_t		gi = b + i;
			int			li = S->lab[gi];
			double		a,
						bmin = HUGE_VAL;

			for (int j = 0; j < S->k; j++)
				acc[(size_t) i * S->k + j] = 0.0;
			for (int64_t q = 0; q < S->s; q++)
			{
				double		v = S->xn[gi] + S->xn[q] - 2.0 * D[(size_t) i * S->s + q];

				if (q == gi || v <= 0.0)
					continue;
				acc[(size_t) i * S->k + S->lab[q]] += sqrt(v);
			}
			if (S->csize[li] <= 1)
			{
				S->scores[gi] = 0.0;	/* a singleton cluster scores 0, as in scikit-learn */
				continue;
			}
			a = acc[(size_t) i * S->k + li] / (double) (S->csize[li] - 1);
			for (int j = 0; j < S->k; j++)
			{
				double		m;

				if (j == li || S->csize[j] == 0)
					continue;
				m = acc[(size_t) i * S->k + j] / (double) S->csize[j];
				if (m < bmin)
					bmin = m;
			}
			S->scores[gi] = (a < bmin ? (bmin - a) / bmin : (a > bmin ? (bmin - a) / a : 0.0));
		}
	}
}

/* max-heap on cand_less: the root is the largest of the smallest keys kept */
static void
heap_sift_down(Cand *h, int64_t m, int64_t i)
{
	for (;;)
	{
		int64_t		l = 2 * i + 1,
					r = l + 1,
					big = i;
		Cand		t;

		if (l < m && cand_less(&h[big], &h[l]))
			big = l;
		if (r < m && cand_less(&h[big], &h[r]))
			big = r;
		if (big == i)
			return;
		t = h[i];
		h[i] = h[big];
		h[big] = t;
		i = big;
	}
}

int
km_silhouette(const double *x, int64_t n, int d, const int32_t *labels, int k, int64_t sample,
			  const uint64_t *hash, uint64_t seed, int n_threads, double *result, int64_t *used)
{
	Sil			S;
	int64_t		s = (n < sample) ? n : sample;
	double	   *xs = NULL,
			   *xn = NULL,
			   *scores = NULL;
	int32_t    *lab = NULL;
	int64_t    *csize = NULL;
	Cand	   *heap = NULL;
	int			nclusters = 0,
				nthreads = n_threads < 1 ? 1 : (n_threads > 64 ? 64 : n_threads),
				rc = KM_OK;
	double		sum = 0.0;
	uint64_t	salt = mix64(seed ^ 0x5349484F55455454ULL);

	*result = NAN;
	*used = s;
	if (s < 2)
		return KM_OK;
	memset(&S, 0, sizeof(S));
	xs = malloc(sizeof(double) * (size_t) s * d);
	xn = malloc(sizeof(double) * s);
	scores = malloc(sizeof(double) * s);
	lab = malloc(sizeof(int32_t) * s);
	csize = calloc(k, sizeof(int64_t));
	heap = malloc(sizeof(Cand) * s);
	S.block = 64;
	S.per_worker = (size_t) S.block * s + (size_t) S.block * k;
	S.scratch = malloc(sizeof(double) * S.per_worker * nthreads);
	if (!xs || !xn || !scores || !lab || !csize || !heap || !S.scratch)
	{
		rc = KM_ENOMEM;
		goto done;
	}

	/* the s rows with the smallest hash keys: a sample that ignores row order */
	{
		int64_t		m = 0;

		for (int64_t i = 0; i < n; i++)
		{
			uint64_t	h = hash ? hash[i] : km_row_hash(x + i * d, d);
			Cand		c = {hash_unit(mix64(h ^ salt)), h, i};

			if (m < s)
			{
				int64_t		j = m++;

				heap[j] = c;
				while (j > 0 && cand_less(&heap[(j - 1) / 2], &heap[j]))
				{
					Cand		t = heap[j];

					heap[j] = heap[(j - 1) / 2];
					heap[(j - 1) / 2] = t;
					j = (j - 1) / 2;
				}
			}
			else if (cand_less(&c, &heap[0]))
			{
				heap[0] = c;
				heap_sift_down(heap, m, 0);
			}
		}
		qsort(heap, s, sizeof(Cand), cand_cmp);
		for (int64_t j = 0; j < s; j++)
		{
			memcpy(xs + j * d, x + heap[j].idx * d, sizeof(double) * d);
			lab[j] = labels[heap[j].idx];
		}
	}
	for (int64_t i = 0; i < s; i++)
	{
		xn[i] = sq_norm(xs + i * d, d);
		if (csize[lab[i]]++ == 0)
			nclusters++;
	}
	/* undefined unless 2 <= clusters <= s - 1 (scikit-learn refuses those cases) */
	if (nclusters < 2 || nclusters > s - 1)
		goto done;

	S.xs = xs;
	S.xn = xn;
	S.lab = lab;
	S.csize = csize;
	S.s = s;
	S.d = d;
	S.k = k;
	S.scores = scores;
	S.nslots = (int) ((s + S.block - 1) / S.block);
	if (S.nslots > KM_MAX_SLOTS)
		S.nslots = KM_MAX_SLOTS;
	run_slots(S.nslots, nthreads, sil_slot, &S);
	for (int64_t i = 0; i < s; i++)
		sum += scores[i];
	*result = sum / (double) s;
done:
	free(xs);
	free(xn);
	free(scores);
	free(lab);
	free(csize);
	free(heap);
	free(S.scratch);
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
	int32_t    *lab = labels ? labels : big_alloc(sizeof(int32_t) * (n > 0 ? n : 1));
	int32_t    *map = malloc(sizeof(int32_t) * k);
	uint64_t   *hash = big_alloc(sizeof(uint64_t) * (n > 0 ? n : 1));
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
	rc = column_stats(x, n, d, nthreads, hash,
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
		rc = fit_prepared(x, hash, n, d, p, p->scaling == KM_SCALE_NONE ? NULL : m->shift,
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
	big_free(hash);
	free(keys);
	if (lab != labels)
		big_free(lab);
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

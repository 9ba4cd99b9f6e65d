/*
 * kmeans.c -- k-means in pure C: scaling, greedy k-means++ seeding, Lloyd
 * iterations with distances from GEMM (|x|^2 - 2 x.c + |c|^2) over cache-sized
 * row blocks, on pthreads, segment renumbering and a sampled silhouette.
 * Nothing here knows about PostgreSQL (see kmeans_sql.c for the glue).
 *
 * Determinism: rows are cut into "slots" whose number depends only on n, k
 * and d; every reduction adds per-slot partial results in slot order, so the
 * result for a seed is the same bit for bit with 1 or 16 threads.
 */
#include "core/kmeans.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define KM_MAX_SLOTS 64
#define KM_MIN_SLOT_ROWS 2048
#define KM_SLOT_BUDGET (32 * 1024 * 1024)	/* doubles of per-slot centroid sums */
#define KM_DEFAULT_SIL_SAMPLE 2000

/* ---------------------------------------------------------------- PRNG */

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t	z = (*x += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

void
km_rng_seed(KmRng *r, uint64_t seed)
{
	uint64_t	x = seed;

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
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

/* uniform integer in [0, n) without modulo bias worth caring about (n < 2^53) */
static int64_t
rng_below(KmRng *r, int64_t n)
{
	return (int64_t) (km_rng_uniform(r) * (double) n);
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

/* ---------------------------------------------------------------- scaling */

void
km_scale_params(const double *x, int64_t n, int d, int scaling, double *shift, double *scale)
{
	for (int j = 0; j < d; j++)
	{
		shift[j] = 0.0;
		scale[j] = 1.0;
	}
	if (scaling == KM_SCALE_NONE || n == 0)
		return;
	if (scaling == KM_SCALE_ZSCORE)
	{
		double	   *ss = calloc(d, sizeof(double));

		/* two passes: mean, then the centred sum of squares (no cancellation) */
		for (int64_t i = 0; i < n; i++)
			for (int j = 0; j < d; j++)
				shift[j] += x[i * d + j];
		for (int j = 0; j < d; j++)
			shift[j] /= (double) n;
		if (ss == NULL)
		{
			/* degrade to centring only rather than fail: d doubles is all we asked for */
			return;
		}
		for (int64_t i = 0; i < n; i++)
			for (int j = 0; j < d; j++)
			{
				double		v = x[i * d + j] - shift[j];

				ss[j] += v * v;
			}
		for (int j = 0; j < d; j++)
		{
			double		sd = sqrt(ss[j] / (double) n);

			/* a constant column stays centred but unscaled, as scikit-learn's StandardScaler does */
			scale[j] = (sd > 0.0 && isfinite(sd)) ? sd : 1.0;
		}
		free(ss);
	}
	else if (scaling == KM_SCALE_MINMAX)
	{
		for (int j = 0; j < d; j++)
		{
			double		lo = x[j],
						hi = x[j];

			for (int64_t i = 1; i < n; i++)
			{
				double		v = x[i * d + j];

				if (v < lo)
					lo = v;
				if (v > hi)
					hi = v;
			}
			shift[j] = lo;
			scale[j] = (hi - lo > 0.0 && isfinite(hi - lo)) ? hi - lo : 1.0;
		}
	}
}

/* ---------------------------------------------------------------- the fit */

/* Everything one restart needs; shared read-only by the slot functions except per-slot outputs. */
typedef struct Fit
{
	const double *x;			/* n x d, centred */
	const double *xn;			/* n squared row norms */
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
	int			exact;			/* assignment: exact winner distances */

	/* k-means++ */
	const double *cand;			/* T x d candidates */
	double	   *candn;			/* T */
	int			ntrials;
	double	   *spot;			/* nslots x T: potential with each candidate */
	double	   *sclosest;		/* nslots: sum of mind */

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
			if (f->exact)
			{
				const double *cj = f->c + (size_t) best * d;

				dist = 0.0;
				for (int t = 0; t < d; t++)
				{
					double		e = xi[t] - cj[t];

					dist += e * e;
				}
			}
			else
			{
				dist = f->xn[b + i] + bv;
				if (dist < 0.0)
					dist = 0.0;
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
	double	   *pot = f->spot + (size_t) s * T;
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

/* k-means++: after choosing a centre (f->cand row 0), update mind and the slot sums of mind. */
static void
update_closest_slot(void *ctx, int s, int worker)
{
	Fit		   *f = ctx;
	int			d = f->d;
	const double *c = f->cand;
	double		sum = 0.0;
	int64_t		r0,
				r1;

	(void) worker;
	slot_range(f, s, &r0, &r1);
	for (int64_t i = r0; i < r1; i++)
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
		sum += f->mind[i];
	}
	f->sclosest[s] = sum;
}

static double
sq_norm(const double *v, int d)
{
	double		s = 0.0;

	for (int t = 0; t < d; t++)
		s += v[t] * v[t];
	return s;
}

/* index of the first row at which the running sum of mind exceeds r (sampling by weight) */
static int64_t
search_weighted(const Fit *f, double r)
{
	double		acc = 0.0;

	for (int s = 0; s < f->nslots; s++)
	{
		int64_t		r0,
					r1;

		if (acc + f->sclosest[s] <= r)
		{
			acc += f->sclosest[s];
			continue;
		}
		slot_range(f, s, &r0, &r1);
		for (int64_t i = r0; i < r1; i++)
		{
			acc += f->mind[i];
			if (acc > r)
				return i;
		}
	}
	/* rounding left r unreached: the last row with a positive weight */
	for (int64_t i = f->n - 1; i > 0; i--)
		if (f->mind[i] > 0.0)
			return i;
	return 0;
}

/*
 * Greedy k-means++ (Arthur & Vassilvitskii; the 2 + log k local trials of
 * scikit-learn): each new centre is the best of several candidates drawn with
 * probability proportional to the squared distance to the nearest centre.
 */
static int
kmeanspp(Fit *f, KmRng *rng, double *C, const KmParams *p)
{
	int			d = f->d,
				k = f->k,
				T = f->ntrials;
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
	first = rng_below(rng, f->n);
	memcpy(C, f->x + first * d, sizeof(double) * d);
	for (int64_t i = 0; i < f->n; i++)
		f->mind[i] = DBL_MAX;
	memcpy(cand, C, sizeof(double) * d);
	candn[0] = sq_norm(cand, d);
	f->cand = cand;
	f->candn = candn;
	run_slots(f->nslots, p->n_threads, update_closest_slot, f);

	for (int c = 1; c < k; c++)
	{
		double		pot = 0.0,
					bestpot;
		int			best;

		if (p->interrupted && p->interrupted(p->interrupt_arg))
		{
			rc = KM_CANCELLED;
			goto done;
		}
		for (int s = 0; s < f->nslots; s++)
			pot += f->sclosest[s];
		for (int t = 0; t < T; t++)
		{
			/* all points already sit on a centre: any row will do */
			cidx[t] = (pot > 0.0) ? search_weighted(f, km_rng_uniform(rng) * pot) : rng_below(rng, f->n);
			memcpy(cand + (size_t) t * d, f->x + cidx[t] * d, sizeof(double) * d);
			candn[t] = sq_norm(cand + (size_t) t * d, d);
		}
		f->ntrials = T;
		run_slots(f->nslots, p->n_threads, trials_slot, f);
		for (int t = 0; t < T; t++)
		{
			pots[t] = 0.0;
			for (int s = 0; s < f->nslots; s++)
				pots[t] += f->spot[(size_t) s * T + t];
		}
		best = 0;
		bestpot = pots[0];
		for (int t = 1; t < T; t++)
			if (pots[t] < bestpot)
			{
				bestpot = pots[t];
				best = t;
			}
		memcpy(C + (size_t) c * d, cand + (size_t) best * d, sizeof(double) * d);
		/* the chosen candidate into row 0 for the update */
		memmove(cand, cand + (size_t) best * d, sizeof(double) * d);
		candn[0] = candn[best];
		run_slots(f->nslots, p->n_threads, update_closest_slot, f);
	}
done:
	f->cand = NULL;
	f->candn = NULL;
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
 * from its centre (as scikit-learn does), which is taken out of its old
 * cluster's sums; returns the number of relocations.
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

			/* never empty another cluster, never take a row twice */
			if (l < 0 || counts[l] <= 1)
				continue;
			if (f->mind[i] > fv)
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

/* One restart: seeding, Lloyd until converged, then an exact assignment. */
static int
lloyd(Fit *f, KmRng *rng, const KmParams *p, double *C, double *sums, int64_t *counts,
	  double *inertia_out, int *iterations_out)
{
	double		prev = HUGE_VAL,
				inertia = HUGE_VAL;
	int64_t		changed;
	int			it,
				rc,
				relocated = 0;

	rc = kmeanspp(f, rng, C, p);
	if (rc != KM_OK)
		return rc;
	for (int64_t i = 0; i < f->n; i++)
		f->labels[i] = -1;
	f->c = C;
	f->exact = 0;
	for (it = 1; it <= p->max_iter; it++)
	{
		int			converged;

		if (p->interrupted && p->interrupted(p->interrupt_arg))
			return KM_CANCELLED;
		centre_norms(f, C);
		run_slots(f->nslots, p->n_threads, assign_slot, f);
		reduce_assign(f, sums, counts, &inertia, &changed);
		/* unchanged labels give the same centres again: a fixed point */
		converged = (changed == 0 && relocated == 0) ||
			(isfinite(prev) && fabs(prev - inertia) <= p->tol * prev);
		relocated = update_centres(f, C, sums, counts);
		prev = inertia;
		if (converged && relocated == 0)
			break;
	}
	*iterations_out = (it > p->max_iter) ? p->max_iter : it;

	/* labels and inertia that belong to the returned centres, with exact distances */
	centre_norms(f, C);
	f->exact = 1;
	run_slots(f->nslots, p->n_threads, assign_slot, f);
	f->exact = 0;
	reduce_assign(f, sums, counts, &inertia, &changed);
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

int
km_fit(double *x, int64_t n, int d, const KmParams *p, double *centroids, int32_t *labels_out,
	   int64_t *sizes, double *inertia_out, int *iterations_out, int *best_init_out)
{
	Fit			f;
	int			k = p->k,
				T,
				nthreads = p->n_threads < 1 ? 1 : p->n_threads,
				rc = KM_OK;
	double	   *mu = NULL,
			   *xn = NULL,
			   *C = NULL,
			   *sums = NULL;
	int64_t    *counts = NULL;
	int32_t    *lab_a = NULL,
			   *lab_b = NULL;
	double		best = HUGE_VAL;
	uint64_t	seedstate = p->seed;

	if (n < 1 || d < 1 || k < 1 || k > n || p->n_init < 1 || p->max_iter < 1 || !(p->tol >= 0.0))
		return KM_EINVAL;
	T = 2 + (int) log((double) k);

	memset(&f, 0, sizeof(f));
	f.n = n;
	f.d = d;
	f.k = k;
	f.nslots = choose_slots(n, k, d);
	f.block = choose_block(k > T ? k : T, d);
	f.ntrials = T;
	f.scratch_per_worker = (size_t) f.block * (k > T ? k : T);

	mu = calloc(d, sizeof(double));
	xn = malloc(sizeof(double) * n);
	C = malloc(sizeof(double) * (size_t) k * d);
	sums = malloc(sizeof(double) * (size_t) k * d);
	counts = malloc(sizeof(int64_t) * k);
	lab_a = malloc(sizeof(int32_t) * n);
	lab_b = malloc(sizeof(int32_t) * n);
	f.cn = malloc(sizeof(double) * k);
	f.mind = malloc(sizeof(double) * n);
	f.sums = malloc(sizeof(double) * (size_t) f.nslots * k * d);
	f.counts = malloc(sizeof(int64_t) * (size_t) f.nslots * k);
	f.sinertia = malloc(sizeof(double) * f.nslots);
	f.schanged = malloc(sizeof(int64_t) * f.nslots);
	f.spot = malloc(sizeof(double) * (size_t) f.nslots * T);
	f.sclosest = malloc(sizeof(double) * f.nslots);
	f.scratch = malloc(sizeof(double) * f.scratch_per_worker * (nthreads > 64 ? 64 : nthreads));
	if (!mu || !xn || !C || !sums || !counts || !lab_a || !lab_b || !f.cn || !f.mind || !f.sums ||
		!f.counts || !f.sinertia || !f.schanged || !f.spot || !f.sclosest || !f.scratch)
	{
		rc = KM_ENOMEM;
		goto done;
	}

	/* centre the data: translation does not change k-means, and it keeps the GEMM expansion accurate */
	for (int64_t i = 0; i < n; i++)
		for (int t = 0; t < d; t++)
			mu[t] += x[i * d + t];
	for (int t = 0; t < d; t++)
		mu[t] /= (double) n;
	for (int64_t i = 0; i < n; i++)
	{
		for (int t = 0; t < d; t++)
			x[i * d + t] -= mu[t];
		xn[i] = sq_norm(x + i * d, d);
	}
	f.x = x;
	f.xn = xn;

	for (int init = 0; init < p->n_init; init++)
	{
		KmRng		rng;
		double		inertia;
		int			iters;

		km_rng_seed(&rng, splitmix64(&seedstate));
		f.labels = lab_b;
		rc = lloyd(&f, &rng, p, C, sums, counts, &inertia, &iters);
		if (rc != KM_OK)
			goto done;
		if (inertia < best)
		{
			int32_t    *tmp = lab_a;

			best = inertia;
			lab_a = lab_b;
			lab_b = tmp;
			for (int j = 0; j < k; j++)
			{
				for (int t = 0; t < d; t++)
					centroids[(size_t) j * d + t] = C[(size_t) j * d + t] + mu[t];
				sizes[j] = counts[j];
			}
			*inertia_out = inertia;
			*iterations_out = iters;
			*best_init_out = init;
		}
	}
	if (labels_out)
		memcpy(labels_out, lab_a, sizeof(int32_t) * n);
done:
	free(mu);
	free(xn);
	free(C);
	free(sums);
	free(counts);
	free(lab_a);
	free(lab_b);
	free(f.cn);
	free(f.mind);
	free(f.sums);
	free(f.counts);
	free(f.sinertia);
	free(f.schanged);
	free(f.spot);
	free(f.sclosest);
	free(f.scratch);
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

int
km_silhouette(const double *x, int64_t n, int d, const int32_t *labels, int k, int64_t sample,
			  uint64_t seed, int n_threads, double *result, int64_t *used)
{
	Sil			S;
	int64_t		s = (n < sample) ? n : sample;
	double	   *xs = NULL,
			   *xn = NULL,
			   *scores = NULL;
	int32_t    *lab = NULL;
	int64_t    *csize = NULL;
	int			nclusters = 0,
				nthreads = n_threads < 1 ? 1 : (n_threads > 64 ? 64 : n_threads),
				rc = KM_OK;
	double		sum = 0.0;
	KmRng		rng;

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
	S.block = 64;
	S.per_worker = (size_t) S.block * s + (size_t) S.block * k;
	S.scratch = malloc(sizeof(double) * S.per_worker * nthreads);
	if (!xs || !xn || !scores || !lab || !csize || !S.scratch)
	{
		rc = KM_ENOMEM;
		goto done;
	}

	/* selection sampling (Knuth's algorithm S): a sorted, seed-determined sample */
	km_rng_seed(&rng, seed ^ 0x5349484F55455454ULL);
	{
		int64_t		got = 0;

		for (int64_t i = 0; i < n && got < s; i++)
		{
			if (s == n || (double) (n - i) * km_rng_uniform(&rng) < (double) (s - got))
			{
				memcpy(xs + got * d, x + i * d, sizeof(double) * d);
				lab[got] = labels[i];
				got++;
			}
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

int
km_train(double *x, int64_t n, int d, const KmParams *p, KmModel *m, int32_t *labels)
{
	int			k = p->k,
				rc;
	double	   *C = NULL,
			   *orig = NULL;
	int64_t    *sizes = NULL;
	int32_t    *lab = labels,
			   *map = NULL;
	OrderKey   *keys = NULL;

	if (m->k != k || m->d != d)
		return KM_EINVAL;
	m->scaling = p->scaling;
	km_scale_params(x, n, d, p->scaling, m->shift, m->scale);
	if (p->scaling != KM_SCALE_NONE)
		for (int64_t i = 0; i < n; i++)
			for (int t = 0; t < d; t++)
				x[i * d + t] = (x[i * d + t] - m->shift[t]) / m->scale[t];

	C = malloc(sizeof(double) * (size_t) k * d);
	orig = malloc(sizeof(double) * (size_t) k * d);
	sizes = malloc(sizeof(int64_t) * k);
	map = malloc(sizeof(int32_t) * k);
	keys = malloc(sizeof(OrderKey) * k);
	if (lab == NULL)
		lab = malloc(sizeof(int32_t) * (n > 0 ? n : 1));
	if (!C || !orig || !sizes || !map || !keys || !lab)
	{
		rc = KM_ENOMEM;
		goto done;
	}
	rc = km_fit(x, n, d, p, C, lab, sizes, &m->inertia, &m->iterations, &m->best_init);
	if (rc != KM_OK)
		goto done;

	/* segments 1..k by descending size; ties by the centroid in original units */
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
	for (int64_t i = 0; i < n; i++)
		lab[i] = map[lab[i]];

	/* x is centred now, which the silhouette (distances only) does not mind */
	rc = km_silhouette(x, n, d, lab, k,
					   p->silhouette_sample > 0 ? p->silhouette_sample : KM_DEFAULT_SIL_SAMPLE,
					   p->seed, p->n_threads, &m->silhouette, &m->silhouette_n);
done:
	free(C);
	free(orig);
	free(sizes);
	free(map);
	free(keys);
	if (lab != labels)
		free(lab);
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

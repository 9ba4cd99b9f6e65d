/*
 * kmeans_seed.c -- greedy k-means++ seeding (Arthur & Vassilvitskii, with scikit-learn's
 * 2 + ln k local trials): candidates drawn by exponential keys on row hashes, their
 * potentials from GEMM over row slots; on large inputs on a hashed sample of the rows.
 */
#include "core/kmeans_impl.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int
km_cand_cmp(const void *a, const void *b)
{
	return cand_less(a, b) ? -1 : (cand_less(b, a) ? 1 : 0);
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
	qsort(all, m, sizeof(Cand), km_cand_cmp);
	if (m > want)
		m = want;
	for (int t = 0; t < m; t++)
		idx[t] = all[t].idx;
	return m;
}

/* one row chosen with equal weights (the first centre, or when every row sits on a centre) */
static int64_t
sample_uniform(Fit *f, const KmParams *p, uint64_t salt)
{
	int64_t		idx = 0;

	f->uniform = 1;
	f->sample_next = 1;
	f->salt = salt;
	km_run_slots(f->nslots, p->n_threads, update_closest_slot, f);
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
	candn[0] = km_sq_norm(cand, d);
	f->cand = cand;
	f->candn = candn;
	f->sample_next = (k > 1);
	f->salt = mix64(seed ^ mix64(1));
	km_run_slots(f->nslots, p->n_threads, update_closest_slot, f);

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
			candn[t] = km_sq_norm(cand + (size_t) t * d, d);
		}
		f->ntrials = nt;
		km_run_slots(f->nslots, p->n_threads, trials_slot, f);
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
		km_run_slots(f->nslots, p->n_threads, update_closest_slot, f);
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
		km_transform_rows(f->x, f->x + r0 * f->d, r0, r1, f->d, f->tshift, f->tscale, f->tmu, f->xn);
	else
		for (int64_t i = r0; i < r1; i++)
			f->xn[i] = km_sq_norm(f->x + i * f->d, f->d);
}

/* seeding on every row: transform now, with the norms k-means++ needs */
static int
seed_centres_all(Fit *f, uint64_t seed, double *C, const KmParams *p)
{
	if (f->xn == NULL)
	{
		f->xn = km_big_alloc(sizeof(double) * f->n);
		if (f->xn == NULL)
			return KM_ENOMEM;
		km_run_slots(f->nslots, p->n_threads, prep_slot, f);
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
int
km_seed_centres(Fit *f, uint64_t seed, double *C, const KmParams *p)
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
	rc = km_fit_alloc(&g, m, f->d, f->k, p->n_threads < 1 ? 1 : (p->n_threads > 64 ? 64 : p->n_threads));
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
			km_transform_rows(f->x + i * f->d, row, 0, 1, f->d, f->tshift, f->tscale, f->tmu, xn + j);
		else
		{
			memcpy(row, f->x + i * f->d, sizeof(double) * f->d);
			xn[j] = km_sq_norm(row, f->d);
		}
		hs[j] = pick[2 * j];
	}
	g.x = xs;
	g.xn = xn;
	g.hash = hs;
	rc = kmeanspp(&g, seed, C, p);
done:
	km_fit_free(&g);
	free(pick);
	free(xs);
	free(xn);
	free(hs);
	return rc;
}


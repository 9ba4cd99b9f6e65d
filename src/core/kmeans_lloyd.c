/*
 * kmeans_lloyd.c -- Lloyd iterations: the assignment pass (GEMM distances over cache-sized
 * row blocks, the pending scaling applied on the way), the update with empty-cluster
 * relocation, convergence, and the n_init restarts keeping the lowest inertia.
 */
#include "core/kmeans_impl.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/*
 * x' = (x - shift) / scale - mu for rows [r0, r1) into out (may be x), and norms
 * (xn may be NULL); shift NULL: no scaling, x' = x - mu
 */
void
km_transform_rows(const double *x, double *out, int64_t r0, int64_t r1, int d, const double *shift,
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
			km_transform_rows(f->x, f->x + b * d, b, b + nb, d, f->tshift, f->tscale, f->tmu, NULL);
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
		f->cn[j] = km_sq_norm(C + (size_t) j * f->d, f->d);
}

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

	rc = km_seed_centres(f, seed, C, p);
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
		km_run_slots(f->nslots, p->n_threads, assign_slot, f);
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
		km_run_slots(f->nslots, p->n_threads, assign_slot, f);
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

/* Work buffers of a Fit over n rows (x, xn, hash and labels belong to the caller). */
int
km_fit_alloc(Fit *f, int64_t n, int d, int k, int nthreads)
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
	f->mind = km_big_alloc(sizeof(double) * n);
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

void
km_fit_free(Fit *f)
{
	free(f->cn);
	km_big_free(f->mind);
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

/*
 * n_init restarts.  x is transformed in place first, x' = (x - shift) / scale - mu
 * (mu NULL: x is ready; shift NULL: x' = x - mu); centroids come back in the
 * coordinates of x'.
 */
int
km_fit_prepared(double *x, const uint64_t *hash, int64_t n, int d, const KmParams *p, const double *shift,
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
	int32_t    *lab_a = km_big_alloc(sizeof(int32_t) * n);
	int32_t    *lab_b = km_big_alloc(sizeof(int32_t) * n);
	double		best = HUGE_VAL;
	uint64_t	seedstate = p->seed;

	rc = km_fit_alloc(&f, n, d, k, nthreads);
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
	km_big_free(f.xn);
	km_fit_free(&f);
	free(C);
	free(sums);
	free(counts);
	km_big_free(lab_a);
	km_big_free(lab_b);
	return rc;
}


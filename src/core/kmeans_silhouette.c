/*
 * kmeans_silhouette.c -- the mean silhouette on a sample of rows chosen by row hash (exact
 * below the sample size), distances by GEMM over row slots.
 */
#include "core/kmeans_impl.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
		qsort(heap, s, sizeof(Cand), km_cand_cmp);
		for (int64_t j = 0; j < s; j++)
		{
			memcpy(xs + j * d, x + heap[j].idx * d, sizeof(double) * d);
			lab[j] = labels[heap[j].idx];
		}
	}
	for (int64_t i = 0; i < s; i++)
	{
		xn[i] = km_sq_norm(xs + i * d, d);
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
	km_run_slots(S.nslots, nthreads, sil_slot, &S);
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


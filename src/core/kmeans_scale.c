/*
 * kmeans_scale.c -- km_train's first pass over the input: per-column mean, variance (Chan et
 * al.'s pairwise update) and range in slot order, row hashes on the way; and the shift and
 * scale of each scaling (zscore, minmax, none).
 */
#include "core/kmeans_impl.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
int
km_column_stats(double *x, int64_t n, int d, int nthreads, uint64_t *hash, int want, double *mean,
			 double *var, double *lo, double *hi)
{
	Prep		P;
	int64_t		cnt = 0;

	memset(&P, 0, sizeof(P));
	P.x = x;
	P.n = n;
	P.d = d;
	P.nslots = km_plain_slots(n);
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
	km_run_slots(P.nslots, nthreads, stats_slot, &P);
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
		rc = km_column_stats((double *) x, n, d, 1, NULL, STATS_M2 | STATS_MINMAX, st, st + d, st + 2 * d,
						  st + 3 * d);
	if (rc == KM_OK)
		km_scale_from_stats(scaling, d, st, st + d, st + 2 * d, st + 3 * d, shift, scale);
	free(st);
	return rc;
}


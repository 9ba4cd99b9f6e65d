/*
 * kmeans_summary.c -- k-means over bounded summaries instead of rows, for data
 * that lives on other machines (Citus shards) or in a bounded aggregate state:
 *
 *  - clustering features (CF: weight, mean, per-column sum of squared
 *    deviations; Zhang et al., BIRCH 1996), merged exactly with Chan's update,
 *    so any diagonal scaling and the inertia of assigning a whole summary to a
 *    centroid stay exact;
 *  - km_cf_reduce: a bounded set of CFs (merge each into the nearest of a
 *    k-means++ choice of them);
 *  - km_cf_fit: weighted k-means (greedy k-means++ seeding, Lloyd, n_init
 *    restarts) over CFs;
 *  - km_lloyd_add: one row's share of a Lloyd step (counts, sums, inertia),
 *    the body of the aggregate Citus runs on each shard.
 *
 * Pure C, no PostgreSQL; malloc'd work memory is freed on every path.
 */
#include "core/kmeans.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int
km_scale_from_summary(int scaling, int d, const double *cf, const double *lo, const double *hi, double *shift,
					  double *scale)
{
	double	   *var = malloc(sizeof(double) * (d > 0 ? d : 1));

	if (!var)
		return KM_ENOMEM;
	for (int t = 0; t < d; t++)
		var[t] = cf[0] > 0 ? cf[1 + d + t] / cf[0] : 0.0;
	km_scale_from_stats(scaling, d, cf + 1, var, lo, hi, shift, scale);
	free(var);
	return KM_OK;
}

void
km_cf_point(double *cf, const double *x, int d)
{
	cf[0] = 1.0;
	memcpy(cf + 1, x, sizeof(double) * d);
	memset(cf + 1 + d, 0, sizeof(double) * d);
}

void
km_cf_merge(double *a, const double *b, int d)
{
	double		na = a[0],
				nb = b[0],
				n = na + nb;

	if (nb <= 0.0)
		return;
	if (na <= 0.0)
	{
		memcpy(a, b, sizeof(double) * KM_CF_LEN(d));
		return;
	}
	for (int t = 0; t < d; t++)
	{
		double		delta = b[1 + t] - a[1 + t];

		a[1 + d + t] += b[1 + d + t] + delta * delta * na * nb / n;
		a[1 + t] += delta * nb / n;
	}
	a[0] = n;
}

/* squared distance of a CF's mean to c, both divided by scale (c already scaled: cs) */
static inline double
cf_dist2(const double *cf, const double *shift, const double *scale, const double *c, int d)
{
	double		s = 0.0;

	for (int t = 0; t < d; t++)
	{
		double		e = (cf[1 + t] - shift[t]) / scale[t] - c[t];

		s += e * e;
	}
	return s;
}

/* An index drawn with probability proportional to its weight (times d2[i] when d2 is given); -1 when all are 0. */
static int64_t
cf_draw(const double *cf, int64_t n, int d, const double *d2, KmRng *rng)
{
	size_t		len = KM_CF_LEN(d);
	double		tot = 0.0,
				u;

	for (int64_t i = 0; i < n; i++)
		tot += cf[i * len] * (d2 ? d2[i] : 1.0);
	if (!(tot > 0.0))
		return -1;
	u = km_rng_uniform(rng) * tot;
	for (int64_t i = 0; i < n; i++)
		if ((u -= cf[i * len] * (d2 ? d2[i] : 1.0)) < 0.0)
			return i;
	return n - 1;
}

int64_t
km_cf_reduce(double *cf, int64_t n, int d, int64_t target, const double *scale, uint64_t seed)
{
	size_t		len = KM_CF_LEN(d);
	double	   *d2,
			   *out,
			   *y;
	int64_t    *near,
			   *pick;
	int64_t		m = 0;
	KmRng		rng;

	if (n <= target || target < 1)
		return n;
	d2 = malloc(sizeof(double) * n);
	near = malloc(sizeof(int64_t) * n);
	pick = malloc(sizeof(int64_t) * target);
	out = calloc((size_t) target * len, sizeof(double));
	y = malloc(sizeof(double) * n * d);
	if (!d2 || !near || !pick || !out || !y)
	{
		free(y);
		free(d2);
		free(near);
		free(pick);
		free(out);
		return -1;
	}
	/* the means in the fitted space, contiguous: the distance loops below are the cost of a reduction */
	for (int64_t i = 0; i < n; i++)
		for (int t = 0; t < d; t++)
			y[i * d + t] = cf[i * len + 1 + t] / scale[t];
	km_rng_seed(&rng, seed);
	/* k-means++: the next pick with probability weight x squared distance */
	for (int64_t i = 0; i < n; i++)
	{
		d2[i] = HUGE_VAL;
		near[i] = 0;
	}
	while (m < target)
	{
		int64_t		c = cf_draw(cf, n, d, m == 0 ? NULL : d2, &rng);

		if (c < 0)
			break;				/* every CF coincides with a pick */
		pick[m] = c;
		{
			const double *pc = y + c * d;

			for (int64_t i = 0; i < n; i++)
			{
				const double *yi = y + i * d;
				double		s = 0.0;

				for (int t = 0; t < d; t++)
				{
					double		e = yi[t] - pc[t];

					s += e * e;
				}
				if (s < d2[i])
				{
					d2[i] = s;
					near[i] = m;
				}
			}
		}
		m++;
	}
	for (int64_t i = 0; i < n; i++)
		km_cf_merge(out + near[i] * len, cf + i * len, d);
	memcpy(cf, out, sizeof(double) * m * len);
	free(y);
	free(d2);
	free(near);
	free(pick);
	free(out);
	return m;
}

/* one weighted Lloyd run from C; returns the inertia of the last assignment */
static double
cf_lloyd(const double *cf, int64_t n, int d, const double *shift, const double *scale, int k, int max_iter,
		 double tol, double *C, int32_t *lab, double *acc, int *iters, double m2)
{
	size_t		len = KM_CF_LEN(d);
	double		prev = HUGE_VAL,
				inertia = HUGE_VAL;
	int			it;

	for (it = 1; it <= max_iter; it++)
	{
		memset(acc, 0, sizeof(double) * (size_t) k * (d + 1));
		inertia = m2;
		for (int64_t i = 0; i < n; i++)
		{
			const double *f = cf + i * len;
			double		bv = HUGE_VAL;
			int			b = 0;

			for (int j = 0; j < k; j++)
			{
				double		s = cf_dist2(f, shift, scale, C + (size_t) j * d, d);

				if (s < bv)
				{
					bv = s;
					b = j;
				}
			}
			lab[i] = b;
			inertia += f[0] * bv;
			acc[(size_t) b * (d + 1)] += f[0];
			for (int t = 0; t < d; t++)
				acc[(size_t) b * (d + 1) + 1 + t] += f[0] * (f[1 + t] - shift[t]) / scale[t];
		}
		for (int j = 0; j < k; j++)
			if (acc[(size_t) j * (d + 1)] > 0.0)
				for (int t = 0; t < d; t++)
					C[(size_t) j * d + t] = acc[(size_t) j * (d + 1) + 1 + t] / acc[(size_t) j * (d + 1)];
		if (prev < HUGE_VAL && fabs(prev - inertia) <= tol * prev)
			break;
		prev = inertia;
	}
	*iters = it > max_iter ? max_iter : it;
	return inertia;
}

int
km_cf_fit(const double *cf, int64_t n, int d, const double *shift, const double *scale, const KmParams *p,
		  double *C, int64_t *sizes, double *inertia, int *iterations, int *best_init)
{
	size_t		len = KM_CF_LEN(d);
	int			k = p->k,
				trials = 2 + (int) log((double) k);
	double	   *Cw = malloc(sizeof(double) * (size_t) k * d);
	double	   *acc = malloc(sizeof(double) * (size_t) k * (d + 1));
	double	   *d2 = malloc(sizeof(double) * n);
	double	   *nd2 = malloc(sizeof(double) * n);
	double	   *best2 = malloc(sizeof(double) * n);
	int32_t    *lab = malloc(sizeof(int32_t) * n);
	double		m2 = 0.0,
				best = HUGE_VAL;
	int			rc = KM_OK;

	if (!Cw || !acc || !d2 || !nd2 || !best2 || !lab)
	{
		rc = KM_ENOMEM;
		goto out;
	}
	if (k < 1 || n < 1)
	{
		rc = KM_EINVAL;
		goto out;
	}
	for (int64_t i = 0; i < n; i++)
		for (int t = 0; t < d; t++)
			m2 += cf[i * len + 1 + d + t] / (scale[t] * scale[t]);

	for (int r = 0; r < p->n_init; r++)
	{
		KmRng		rng;
		double		in;
		int			its;

		if (p->interrupted && p->interrupted(p->interrupt_arg))
		{
			rc = KM_CANCELLED;
			goto out;
		}
		km_rng_seed(&rng, p->seed * 0x9E3779B97F4A7C15ULL + (uint64_t) r);
		/* greedy k-means++ with local trials, as scikit-learn seeds */
		for (int j = 0; j < k; j++)
		{
			int64_t		bestc = 0;
			double		bestpot = HUGE_VAL;

			for (int tr = 0; tr < (j == 0 ? 1 : trials); tr++)
			{
				int64_t		c = cf_draw(cf, n, d, j == 0 ? NULL : d2, &rng);
				double		pot = 0.0;

				if (c < 0)
					c = 0;		/* every CF coincides with a centre already */
				for (int t = 0; t < d; t++)
					Cw[(size_t) j * d + t] = (cf[c * len + 1 + t] - shift[t]) / scale[t];
				for (int64_t i = 0; i < n; i++)
				{
					double		s = cf_dist2(cf + i * len, shift, scale, Cw + (size_t) j * d, d);

					nd2[i] = (j == 0 || s < d2[i]) ? s : d2[i];
					pot += cf[i * len] * nd2[i];
				}
				if (pot < bestpot)
				{
					bestpot = pot;
					bestc = c;
					memcpy(best2, nd2, sizeof(double) * n);
				}
			}
			for (int t = 0; t < d; t++)
				Cw[(size_t) j * d + t] = (cf[bestc * len + 1 + t] - shift[t]) / scale[t];
			memcpy(d2, best2, sizeof(double) * n);
		}
		in = cf_lloyd(cf, n, d, shift, scale, k, p->max_iter, p->tol, Cw, lab, acc, &its, m2);
		if (in < best)
		{
			best = in;
			memcpy(C, Cw, sizeof(double) * (size_t) k * d);
			*iterations = its;
			*best_init = r;
		}
	}
	/* the reported inertia and sizes belong to the returned centroids: one more assignment */
	{
		int			its;

		memcpy(Cw, C, sizeof(double) * (size_t) k * d);
		*inertia = cf_lloyd(cf, n, d, shift, scale, k, 1, 0.0, Cw, lab, acc, &its, m2);
		for (int j = 0; j < k; j++)
			sizes[j] = llround(acc[(size_t) j * (d + 1)]);
	}
out:
	free(Cw);
	free(acc);
	free(d2);
	free(nd2);
	free(best2);
	free(lab);
	return rc;
}

void
km_lloyd_add(double *acc, const double *x, int k, int d, const double *shift, const double *scale,
			 const double *C, double *work)
{
	double		bv = HUGE_VAL;
	int			b = 0;
	double	   *sums = acc + KM_ACC_HEAD + k;

	for (int t = 0; t < d; t++)
		work[t] = (x[t] - shift[t]) / scale[t];
	for (int j = 0; j < k; j++)
	{
		const double *c = C + (size_t) j * d;
		double		s = 0.0;

		for (int t = 0; t < d; t++)
		{
			double		e = work[t] - c[t];

			s += e * e;
		}
		if (s < bv)
		{
			bv = s;
			b = j;
		}
	}
	acc[0] += 1.0;
	acc[2] += bv;
	acc[KM_ACC_HEAD + b] += 1.0;
	for (int t = 0; t < d; t++)
		sums[(size_t) b * d + t] += work[t];
}

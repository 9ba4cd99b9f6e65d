/*
 * test_kmeans_summary.c -- the summaries that keep rows on the Citus shards:
 * clustering features merge exactly (any split gives the same mean and squared
 * deviations), a reduced summary keeps its weight and total scatter bounded,
 * the weighted fit over single-row features equals the inertia of a fit on the
 * rows, and Lloyd steps summed in parts equal one sum.
 */
#include "core/kmeans.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#define N 3000
#define D 3
#define K 4

static void
data(double *x, KmRng *r)
{
	for (int i = 0; i < N; i++)
		for (int t = 0; t < D; t++)
			x[i * D + t] = (i % K) * 10.0 * (t + 1) + 1000.0 + km_rng_uniform(r) * 3.0;
}

int
main(void)
{
	double	   *x = malloc(sizeof(double) * N * D);
	double	   *cf = malloc(sizeof(double) * N * KM_CF_LEN(D));
	double		all[KM_CF_LEN(D)],
				a[KM_CF_LEN(D)],
				b[KM_CF_LEN(D)],
				one[KM_CF_LEN(D)],
				shift[D],
				scale[D],
				lo[D],
				hi[D],
				C[K * D],
				inertia;
	int64_t		sizes[K],
				m,
				wsum = 0;
	int			iters,
				best;
	KmRng		r;
	KmParams	p;

	PLAN(8);
	km_rng_seed(&r, 7);
	data(x, &r);

	/* one CF of every row, and two CFs of two halves merged: the same moments */
	memset(all, 0, sizeof(all));
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	for (int i = 0; i < N; i++)
	{
		km_cf_point(one, x + i * D, D);
		km_cf_merge(all, one, D);
		km_cf_merge(i % 3 ? a : b, one, D);
		km_cf_point(cf + (size_t) i * KM_CF_LEN(D), x + i * D, D);
	}
	km_cf_merge(a, b, D);
	{
		double		mean = 0,
					m2 = 0;

		for (int i = 0; i < N; i++)
			mean += x[i * D + 1];
		mean /= N;
		for (int i = 0; i < N; i++)
			m2 += (x[i * D + 1] - mean) * (x[i * D + 1] - mean);
		CHECK_NEAR(all[1 + 1], mean, 1e-9, "a clustering feature holds the column mean");
		CHECK_NEAR(all[1 + D + 1] / m2, 1.0, 1e-10, "and the squared deviations (Welford/Chan, no cancellation at 1000 + noise)");
		CHECK_NEAR(a[1 + D + 1] / all[1 + D + 1], 1.0, 1e-10, "merging the CFs of a split gives the same moments");
	}

	/* the fit over single-row CFs: its inertia is that of the centroids on the rows */
	for (int t = 0; t < D; t++)
	{
		lo[t] = 1e300;
		hi[t] = -1e300;
	}
	km_scale_from_summary(KM_SCALE_ZSCORE, D, all, lo, hi, shift, scale);
	memset(&p, 0, sizeof(p));
	p.k = K;
	p.scaling = KM_SCALE_ZSCORE;
	p.n_init = 3;
	p.max_iter = 100;
	p.tol = 1e-8;
	p.seed = 1;
	CHECK(km_cf_fit(cf, N, D, shift, scale, &p, C, sizes, &inertia, &iters, &best) == KM_OK, "km_cf_fit runs");
	{
		double		acc[KM_ACC_LEN(K, D)],
					half[KM_ACC_LEN(K, D)],
					work[D];

		memset(acc, 0, sizeof(acc));
		memset(half, 0, sizeof(half));
		for (int i = 0; i < N; i++)
		{
			km_lloyd_add(acc, x + i * D, K, D, shift, scale, C, work);
			if (i < N / 2)
				km_lloyd_add(half, x + i * D, K, D, shift, scale, C, work);
		}
		CHECK_NEAR(acc[2] / inertia, 1.0, 1e-9, "the Lloyd step sums on the rows give the fit's inertia");
		CHECK(acc[0] == N && acc[KM_ACC_HEAD] + acc[KM_ACC_HEAD + 1] + acc[KM_ACC_HEAD + 2] + acc[KM_ACC_HEAD + 3] == N,
			  "every row counted once in the step sums");
	}

	/* a reduced summary keeps every row's weight, and still fits the planted clusters */
	m = km_cf_reduce(cf, N, D, 64, scale, 3);
	for (int64_t i = 0; i < m; i++)
		wsum += (int64_t) cf[i * KM_CF_LEN(D)];
	CHECK(m <= 64 && wsum == N, "km_cf_reduce: at most 64 features, weight %lld of %d rows", (long long) wsum, N);
	{
		double		inertia2;

		km_cf_fit(cf, m, D, shift, scale, &p, C, sizes, &inertia2, &iters, &best);
		CHECK_NEAR(inertia2 / inertia, 1.0, 1e-3, "a fit on the reduced summary: inertia within 0.1%% of the fit on the rows");
	}
	free(x);
	free(cf);
	UNIT_EXIT();
}

/*
 * test_kmeans.c -- the k-means core: scaling, planted clusters recovered,
 * determinism across thread counts, renumbering, inertia = sum of predicted
 * distances, a hand-computed silhouette, degenerate inputs and cancellation.
 */
#include "core/kmeans.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

/* planted clusters: centres c*10 on every axis, Gaussian-ish noise from the core's PRNG */
static double *
blobs(int64_t n, int d, int k, uint64_t seed, int32_t *truth)
{
	double	   *x = malloc(sizeof(double) * n * d);
	KmRng		r;

	km_rng_seed(&r, seed);
	for (int64_t i = 0; i < n; i++)
	{
		int			c = (int) (i % k);

		if (truth)
			truth[i] = c;
		for (int t = 0; t < d; t++)
		{
			/* sum of 4 uniforms: bell-shaped, sd ~ 0.58 */
			double		e = km_rng_uniform(&r) + km_rng_uniform(&r) + km_rng_uniform(&r) +
				km_rng_uniform(&r) - 2.0;

			x[i * d + t] = 10.0 * c * (t % 2 ? 1 : -1) + (t + 1) * 100.0 + e;
		}
	}
	return x;
}

static KmParams
params(int k, int scaling, int threads)
{
	KmParams	p;

	memset(&p, 0, sizeof(p));
	p.k = k;
	p.scaling = scaling;
	p.n_init = 3;
	p.max_iter = 300;
	p.tol = 1e-4;
	p.seed = 42;
	p.n_threads = threads;
	return p;
}

static void
model_alloc(KmModel *m, int k, int d)
{
	memset(m, 0, sizeof(*m));
	m->k = k;
	m->d = d;
	m->shift = malloc(sizeof(double) * d);
	m->scale = malloc(sizeof(double) * d);
	m->centroids = malloc(sizeof(double) * k * d);
	m->sizes = malloc(sizeof(int64_t) * k);
}

static void
model_free(KmModel *m)
{
	free(m->shift);
	free(m->scale);
	free(m->centroids);
	free(m->sizes);
}

static int
train_copy(const double *x, int64_t n, int d, const KmParams *p, KmModel *m, int32_t *labels)
{
	double	   *copy = malloc(sizeof(double) * n * d);
	int			rc;

	memcpy(copy, x, sizeof(double) * n * d);
	model_alloc(m, p->k, d);
	rc = km_train(copy, n, d, p, m, labels);
	free(copy);
	return rc;
}

static int	cancel_after;
static int
cancel_cb(void *arg)
{
	(void) arg;
	return --cancel_after < 0;
}

int
main(void)
{
	PLAN(50);
	/* ---- PRNG */
	{
		KmRng		a,
					b;
		int			same = 1,
					inrange = 1;

		km_rng_seed(&a, 7);
		km_rng_seed(&b, 7);
		for (int i = 0; i < 1000; i++)
		{
			double		u = km_rng_uniform(&a);

			same &= (u == km_rng_uniform(&b));
			inrange &= (u >= 0.0 && u < 1.0);
		}
		km_rng_seed(&b, 8);
		CHECK(same, "prng: same seed, same stream");
		CHECK(inrange, "prng: uniform in [0,1)");
		CHECK(km_rng_next(&a) != km_rng_next(&b), "prng: other seed, other stream");
	}

	/* ---- scaling */
	{
		double		x[] = {1, 5, 7, 2, 5, 8, 3, 5, 9, 6, 5, 12};	/* 4 x 3, column 2 constant */
		double		sh[3],
					sc[3];

		km_scale_params(x, 4, 3, KM_SCALE_ZSCORE, sh, sc);
		CHECK_NEAR(sh[0], 3.0, 1e-15, "zscore: mean");
		CHECK_NEAR(sc[0], sqrt(3.5), 1e-14, "zscore: population sd");
		CHECK_NEAR(sh[1], 5.0, 1e-15, "zscore: constant column centred");
		CHECK_NEAR(sc[1], 1.0, 0, "zscore: constant column unscaled");
		CHECK_NEAR(sc[2], sqrt(3.5), 1e-14, "zscore: third column sd");
		km_scale_params(x, 4, 3, KM_SCALE_MINMAX, sh, sc);
		CHECK(sh[0] == 1.0 && sc[0] == 5.0, "minmax: min and range");
		CHECK(sh[1] == 5.0 && sc[1] == 1.0, "minmax: constant column range 1");
		km_scale_params(x, 4, 3, KM_SCALE_NONE, sh, sc);
		CHECK(sh[2] == 0.0 && sc[2] == 1.0, "none: identity");
		CHECK(km_scaling_from_name("zscore") == KM_SCALE_ZSCORE && km_scaling_from_name("minmax") ==
			  KM_SCALE_MINMAX && km_scaling_from_name("none") == KM_SCALE_NONE &&
			  km_scaling_from_name("ZSCORE") == -1 && km_scaling_from_name(NULL) == -1,
			  "scaling names");
	}

	/* ---- planted clusters, several threads, determinism */
	{
		int64_t		n = 60000;
		int			d = 5,
					k = 4;
		int32_t    *truth = malloc(sizeof(int32_t) * n);
		int32_t    *l1 = malloc(sizeof(int32_t) * n),
				   *l2 = malloc(sizeof(int32_t) * n),
				   *l3 = malloc(sizeof(int32_t) * n);
		double	   *x = blobs(n, d, k, 1, truth);
		KmParams	p1 = params(k, KM_SCALE_NONE, 1),
					p2 = params(k, KM_SCALE_NONE, 2),
					p3 = params(k, KM_SCALE_NONE, 5);
		KmModel		m1,
					m2,
					m3;
		int			pure = 1,
					found = 1;
		double		sum = 0.0,
					work[5];

		CHECK(train_copy(x, n, d, &p1, &m1, l1) == KM_OK, "blobs: fit, 1 thread");
		CHECK(train_copy(x, n, d, &p2, &m2, l2) == KM_OK, "blobs: fit, 2 threads");
		CHECK(train_copy(x, n, d, &p3, &m3, l3) == KM_OK, "blobs: fit, 5 threads");
		CHECK(memcmp(m1.centroids, m2.centroids, sizeof(double) * k * d) == 0 &&
			  memcmp(m1.centroids, m3.centroids, sizeof(double) * k * d) == 0 &&
			  m1.inertia == m2.inertia && m1.inertia == m3.inertia &&
			  memcmp(l1, l2, sizeof(int32_t) * n) == 0 && memcmp(l1, l3, sizeof(int32_t) * n) == 0,
			  "blobs: bit-identical with 1, 2 and 5 threads");
		/* every planted cluster maps to exactly one segment */
		for (int64_t i = 0; i < n; i++)
			pure &= (l1[i] == l1[truth[i]]);
		CHECK(pure, "blobs: planted clusters recovered exactly");
		for (int j = 0; j < k; j++)
		{
			double		c[5];
			int			ok = 0;

			km_centroid_original(&m1, j, c);
			for (int q = 0; q < k; q++)
			{
				int			near = 1;

				for (int t = 0; t < d; t++)
					near &= fabs(c[t] - (10.0 * q * (t % 2 ? 1 : -1) + (t + 1) * 100.0)) < 0.02;
				ok |= near;
			}
			found &= ok;
		}
		CHECK(found, "blobs: centroids within 0.02 of the planted centres");
		CHECK(m1.sizes[0] == 15000 && m1.sizes[3] == 15000, "blobs: sizes");
		/* equal sizes: ordered by centroid in original units, first feature ascending */
		{
			double		a[5],
						b[5];
			int			asc = 1;

			for (int j = 0; j + 1 < k; j++)
			{
				km_centroid_original(&m1, j, a);
				km_centroid_original(&m1, j + 1, b);
				asc &= a[0] < b[0];
			}
			CHECK(asc, "blobs: equal sizes ordered by centroid lexicographically");
		}
		/* inertia is the sum of predicted squared distances of the original rows */
		for (int64_t i = 0; i < n; i++)
		{
			double		dd;
			int			s = km_predict(&m1, x + i * d, work, &dd);

			if (s != l1[i])
				pure = 0;
			sum += dd;
		}
		CHECK(pure, "blobs: km_predict agrees with training labels");
		CHECK_NEAR(sum / m1.inertia, 1.0, 1e-9, "blobs: inertia = sum of predicted distances");
		CHECK(m1.silhouette > 0.9 && m1.silhouette <= 1.0 && m1.silhouette_n == 2000,
			  "blobs: silhouette of separated clusters near 1 on a 2000-row sample (%g)", m1.silhouette);

		/* km_fit (no scaling, no renumbering) agrees with km_train on the inertia */
		{
			double	   *copy = malloc(sizeof(double) * n * d);
			double		cent[4 * 5],
						inertia;
			int64_t		sizes[4],
						total = 0;
			int			iters,
						best;

			memcpy(copy, x, sizeof(double) * n * d);
			CHECK(km_fit(copy, n, d, &p2, NULL, cent, NULL, sizes, &inertia, &iters, &best) == KM_OK,
				  "km_fit: runs");
			for (int j = 0; j < k; j++)
				total += sizes[j];
			CHECK_NEAR(inertia / m1.inertia, 1.0, 1e-9, "km_fit: same inertia as km_train");
			CHECK(total == n && iters >= 1 && best >= 0 && best < p2.n_init, "km_fit: sizes, iterations");
			CHECK(fabs(cent[0] - m1.centroids[0]) < 0.1 || fabs(cent[0] - m1.centroids[5]) < 0.1 ||
				  fabs(cent[0] - m1.centroids[10]) < 0.1 || fabs(cent[0] - m1.centroids[15]) < 0.1,
				  "km_fit: centroids in the input's coordinates");
			free(copy);
		}

		/* zscore: the same partition, inertia in scaled units */
		{
			KmParams	pz = params(k, KM_SCALE_ZSCORE, 2);
			KmModel		mz;
			int32_t    *lz = malloc(sizeof(int32_t) * n);
			int			same = 1;

			CHECK(train_copy(x, n, d, &pz, &mz, lz) == KM_OK, "zscore: fit");
			for (int64_t i = 0; i < n; i++)
				same &= (lz[i] == l1[i]);
			CHECK(same, "zscore: same segments as unscaled for well separated blobs");
			CHECK(mz.inertia < m1.inertia / 10, "zscore: inertia in scaled units");
			model_free(&mz);
			free(lz);
		}

		/* cancellation */
		{
			KmParams	pc = params(k, KM_SCALE_NONE, 2);
			KmModel		mc;

			pc.interrupted = cancel_cb;
			cancel_after = 2;
			CHECK(train_copy(x, n, d, &pc, &mc, NULL) == KM_CANCELLED, "cancel flag stops the fit");
			model_free(&mc);
		}
		model_free(&m1);
		model_free(&m2);
		model_free(&m3);
		free(x);
		free(truth);
		free(l1);
		free(l2);
		free(l3);
	}

	/* ---- row order: a shuffled copy gives the same model (seeding on the hashed sample, n > 131072) */
	{
		int64_t		n = 150000;
		int			d = 3,
					k = 5;
		double	   *x = blobs(n, d, k, 11, NULL);
		double	   *y = malloc(sizeof(double) * n * d);
		int64_t    *perm = malloc(sizeof(int64_t) * n);
		KmParams	p = params(k, KM_SCALE_ZSCORE, 2);
		KmModel		a,
					b;
		KmRng		r;
		double		maxdiff = 0.0;
		int			same_sizes = 1;

		for (int64_t i = 0; i < n; i++)
			perm[i] = i;
		km_rng_seed(&r, 5);
		for (int64_t i = n - 1; i > 0; i--)
		{
			int64_t		j = (int64_t) (km_rng_uniform(&r) * (double) (i + 1));
			int64_t		t = perm[i];

			perm[i] = perm[j];
			perm[j] = t;
		}
		for (int64_t i = 0; i < n; i++)
			memcpy(y + i * d, x + perm[i] * d, sizeof(double) * d);
		p.n_init = 2;
		CHECK(train_copy(x, n, d, &p, &a, NULL) == KM_OK && train_copy(y, n, d, &p, &b, NULL) == KM_OK,
			  "row order: both fits run");
		for (int j = 0; j < k; j++)
		{
			same_sizes &= (a.sizes[j] == b.sizes[j]);
			for (int t = 0; t < d; t++)
				maxdiff = fmax(maxdiff, fabs(a.centroids[j * d + t] - b.centroids[j * d + t]));
		}
		CHECK(same_sizes && maxdiff < 1e-9, "row order: same sizes, centroids within 1e-9 (%.3g)", maxdiff);
		CHECK_NEAR(a.inertia / b.inertia, 1.0, 1e-12, "row order: same inertia");
		CHECK(isfinite(a.silhouette) && fabs(a.silhouette - b.silhouette) < 1e-9,
			  "row order: same silhouette sample");
		model_free(&a);
		model_free(&b);
		free(x);
		free(y);
		free(perm);
	}

	/* ---- unequal sizes: segment 1 is the biggest */
	{
		int64_t		n = 600;
		int			d = 2;
		double	   *x = malloc(sizeof(double) * n * d);
		KmParams	p = params(3, KM_SCALE_NONE, 2);
		KmModel		m;
		KmRng		r;

		km_rng_seed(&r, 3);
		for (int64_t i = 0; i < n; i++)
		{
			int			c = i < 100 ? 0 : (i < 400 ? 1 : 2);	/* sizes 100, 300, 200 */

			x[i * d] = c * 50.0 + km_rng_uniform(&r);
			x[i * d + 1] = -c * 50.0 + km_rng_uniform(&r);
		}
		CHECK(train_copy(x, n, d, &p, &m, NULL) == KM_OK, "sizes: fit");
		CHECK(m.sizes[0] == 300 && m.sizes[1] == 200 && m.sizes[2] == 100, "sizes: descending 300 200 100");
		CHECK(fabs(m.centroids[0] - 50.5) < 0.1 && fabs(m.centroids[2] - 100.5) < 0.1,
			  "sizes: centroids follow their segments");
		model_free(&m);
		free(x);
	}

	/* ---- silhouette by hand: 1-D points {0,1} and {10,11} */
	{
		double		x[] = {0, 1, 10, 11};
		int32_t		l[] = {0, 0, 1, 1};
		double		s;
		int64_t		used;
		/* point 0: a = 1, b = 10.5; point 1: a = 1, b = 9.5; symmetric for the others */
		double		want = ((9.5 / 10.5) + (8.5 / 9.5)) / 2.0;

		CHECK(km_silhouette(x, 4, 1, l, 2, 2000, NULL, 0, 1, &s, &used) == KM_OK, "silhouette: runs");
		CHECK_NEAR(s, want, 1e-12, "silhouette: hand-computed value");
		CHECK(used == 4, "silhouette: every row when n <= sample");
		l[1] = 1;				/* cluster 0 is now a singleton: scores 0 */
		km_silhouette(x, 4, 1, l, 2, 2000, NULL, 0, 1, &s, &used);
		/* 0: singleton -> 0; 1: a = 9.5, b = 1; 10: a = 5, b = 10; 11: a = 5.5, b = 11 */
		CHECK_NEAR(s, (0.0 + (1.0 - 9.5) / 9.5 + 0.5 + 0.5) / 4.0, 1e-12, "silhouette: singleton scores 0");
		l[0] = 1;
		km_silhouette(x, 4, 1, l, 2, 2000, NULL, 0, 1, &s, &used);
		CHECK(isnan(s), "silhouette: undefined for one cluster");
	}

	/* ---- degenerate inputs */
	{
		double		x[] = {1, 1, 1, 1, 2, 2, 2, 2};	/* 4 rows x 2 cols: two distinct points */
		KmParams	p = params(3, KM_SCALE_ZSCORE, 2);
		KmModel		m;
		int32_t		l[4];

		CHECK(train_copy(x, 4, 2, &p, &m, l) == KM_OK, "duplicates: k > distinct rows fits");
		CHECK(m.sizes[0] + m.sizes[1] + m.sizes[2] == 4 && m.inertia == 0.0,
			  "duplicates: sizes add up, inertia 0");
		model_free(&m);

		p = params(4, KM_SCALE_NONE, 1);
		{
			double		y[] = {0, 0, 1, 0, 0, 1, 5, 5};

			CHECK(train_copy(y, 4, 2, &p, &m, l) == KM_OK && m.inertia == 0.0 &&
				  m.sizes[3] == 1, "k = n: every row its own segment");
			model_free(&m);
		}
		p = params(5, KM_SCALE_NONE, 1);
		model_alloc(&m, 5, 2);
		CHECK(km_train(x, 4, 2, &p, &m, NULL) == KM_EINVAL, "k > n: EINVAL");
		model_free(&m);
		p = params(0, KM_SCALE_NONE, 1);
		model_alloc(&m, 1, 2);
		m.k = 0;
		CHECK(km_train(x, 4, 2, &p, &m, NULL) == KM_EINVAL, "k = 0: EINVAL");
		model_free(&m);
		p = params(2, KM_SCALE_NONE, 1);
		p.tol = -1;
		model_alloc(&m, 2, 2);
		CHECK(km_train(x, 4, 2, &p, &m, NULL) == KM_EINVAL, "negative tol: EINVAL");
		p.tol = NAN;
		CHECK(km_train(x, 4, 2, &p, &m, NULL) == KM_EINVAL, "NaN tol: EINVAL");
		model_free(&m);
	}
	UNIT_EXIT();
}

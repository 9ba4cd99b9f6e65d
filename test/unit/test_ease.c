/*
 * test_ease.c -- unit tests of src/core/ease.c: the Gram matrix and B against the numpy
 * reference (test/ref/ease_reference.py -> ease_ref.h, B to 1e-10), sparse scoring from the
 * pruned float32 rows, pruning order, a singular system, held-out pairs left out of the Gram,
 * and the validation choice of lambda (reproducible, and a point of the documented grid).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/ease.h"
#include "../../src/core/rng.h"
#include "../ref/ease_ref.h"
#include "unit.h"

static AlsCsr
csr_from_dense(const int *X, int64_t nu, int64_t ni)
{
	AlsCsr		a;
	int64_t		nnz = 0;

	for (int64_t k = 0; k < nu * ni; k++)
		nnz += X[k] != 0;
	a.n_rows = nu;
	a.n_cols = ni;
	a.indptr = malloc(sizeof(int64_t) * (nu + 1));
	a.indices = malloc(sizeof(int32_t) * (nnz + 1));
	a.data = malloc(sizeof(double) * (nnz + 1));
	nnz = 0;
	a.indptr[0] = 0;
	for (int64_t u = 0; u < nu; u++)
	{
		for (int64_t i = 0; i < ni; i++)
			if (X[u * ni + i])
			{
				a.indices[nnz] = (int32_t) i;
				a.data[nnz++] = 1.0;
			}
		a.indptr[u + 1] = nnz;
	}
	return a;
}

static void
csr_free(AlsCsr *a)
{
	free(a->indptr);
	free(a->indices);
	free(a->data);
}

/* a random clustered 0/1 matrix: 400 users, 60 items in 6 taste groups */
static int *
clustered(int nu, int ni, uint64_t seed)
{
	int		   *X = calloc((size_t) nu * ni, sizeof(int));
	uint64_t	s = seed;

	for (int u = 0; u < nu; u++)
	{
		int			g = (int) (mk_splitmix64(&s) % 6);

		for (int i = 0; i < ni; i++)
		{
			double		p = (i % 6 == g) ? 0.35 : 0.03;

			if ((double) (mk_splitmix64(&s) >> 11) * 0x1.0p-53 < p)
				X[(int64_t) u * ni + i] = 1;
		}
	}
	return X;
}

int
main(void)
{
	const int	nu = EASE_REF_USERS,
				ni = EASE_REF_ITEMS;
	AlsCsr		a = csr_from_dense(ease_ref_x, nu, ni);
	double	   *G = malloc(sizeof(double) * ni * ni);
	double	   *B = malloc(sizeof(double) * ni * ni);
	double		dmax = 0.0;
	int			ok;

	PLAN(10);

	/* 1. Gram = X'X exactly (users with >= 2 of 7 items take the dsyrk path, the others not) */
	ease_gram(&a, NULL, NULL, G, NULL, NULL);
	ok = 1;
	for (int i = 0; i < ni; i++)
		for (int j = 0; j < ni; j++)
		{
			int			c = 0;

			for (int u = 0; u < nu; u++)
				c += ease_ref_x[u * ni + i] * ease_ref_x[u * ni + j];
			ok &= G[i * ni + j] == (double) c;
		}
	CHECK(ok, "ease_gram equals X'X on the reference matrix");

	/* 2. B against numpy to 1e-10 */
	CHECK(ease_solve(G, ni, EASE_REF_LAMBDA, B) == EASE_OK, "ease_solve succeeds at lambda 2.5");
	for (int k = 0; k < ni * ni; k++)
		dmax = fmax(dmax, fabs(B[k] - ease_ref_b[k]));
	CHECK(dmax <= 1e-10, "B equals the numpy reference to 1e-10 (max diff %.3g)", dmax);

	/* 3. scores from the pruned float32 rows (every entry kept) = numpy's X B to float32 precision */
	{
		int64_t		indptr[EASE_REF_ITEMS + 1];
		int32_t		cols[EASE_REF_ITEMS * EASE_REF_ITEMS];
		float		vals[EASE_REF_ITEMS * EASE_REF_ITEMS];
		double		scores[EASE_REF_ITEMS];
		double		smax = 0.0;

		ease_prune(B, ni, ni, indptr, cols, vals);
		for (int u = 0; u < nu; u++)
		{
			ease_user_scores(indptr, cols, vals, ni, a.indices + a.indptr[u], a.indptr[u + 1] - a.indptr[u], scores);
			for (int i = 0; i < ni; i++)
				smax = fmax(smax, fabs(scores[i] - ease_ref_scores[u * ni + i]));
		}
		CHECK(smax <= 1e-6, "user scores from the stored float32 rows match numpy's X B (max diff %.3g)", smax);

		/* 4. m = 2: each row keeps its two largest |B_jk|, k != j, columns ascending */
		ease_prune(B, ni, 2, indptr, cols, vals);
		ok = 1;
		for (int j = 0; j < ni; j++)
		{
			double		kth;
			double		mags[EASE_REF_ITEMS];
			int			nm = 0;

			ok &= indptr[j + 1] - indptr[j] == 2 && cols[indptr[j]] < cols[indptr[j] + 1];
			for (int k = 0; k < ni; k++)
				if (k != j)
					mags[nm++] = fabs(B[j * ni + k]);
			/* the second largest magnitude */
			for (int x = 0; x < 2; x++)
				for (int y = x + 1; y < nm; y++)
					if (mags[y] > mags[x])
					{
						double		t = mags[x];

						mags[x] = mags[y];
						mags[y] = t;
					}
			kth = mags[1];
			for (int64_t e = indptr[j]; e < indptr[j + 1]; e++)
				ok &= cols[e] != j && fabs(B[j * ni + cols[e]]) >= kth && vals[e] == (float) B[j * ni + cols[e]];
		}
		CHECK(ok, "pruning to 2 keeps each row's two strongest weights, columns ascending");
	}

	/* 5. an item nobody has and lambda 0: not positive definite, reported */
	{
		int			Z[4] = {1, 0, 1, 0};
		AlsCsr		z = csr_from_dense(Z, 2, 2);
		double		g[4],
					b[4];

		ease_gram(&z, NULL, NULL, g, NULL, NULL);
		CHECK(ease_solve(g, 2, 0.0, b) == EASE_NUMERIC, "a singular G with lambda 0 gives EASE_NUMERIC");
		csr_free(&z);
	}

	/* 6. dropped pairs are left out of the Gram */
	{
		int64_t		nnz = als_nnz(&a);
		uint8_t    *drop = calloc(nnz, 1);
		double	   *G2 = malloc(sizeof(double) * ni * ni);
		int			X2[EASE_REF_USERS * EASE_REF_ITEMS];
		AlsCsr		a2;
		double	   *G3 = malloc(sizeof(double) * ni * ni);

		memcpy(X2, ease_ref_x, sizeof(X2));
		for (int64_t e = 0; e < nnz; e += 3)
			drop[e] = 1;
		for (int u = 0; u < nu; u++)
			for (int64_t e = a.indptr[u]; e < a.indptr[u + 1]; e++)
				if (drop[e])
					X2[u * ni + a.indices[e]] = 0;
		a2 = csr_from_dense(X2, nu, ni);
		ease_gram(&a, NULL, drop, G2, NULL, NULL);
		ease_gram(&a2, NULL, NULL, G3, NULL, NULL);
		CHECK(memcmp(G2, G3, sizeof(double) * ni * ni) == 0, "ease_gram with dropped pairs equals the Gram of the matrix without them");
		free(drop);
		free(G2);
		free(G3);
		csr_free(&a2);
	}

	/* 7-8. validation choice: reproducible, a grid point, and it beats the extremes */
	{
		const int	cu = 400,
					ci = 60;
		int		   *X = clustered(cu, ci, 7);
		AlsCsr		c = csr_from_dense(X, cu, ci);
		double	   *Gc = malloc(sizeof(double) * ci * ci);
		double	   *Bc = malloc(sizeof(double) * ci * ci);
		double		lam1[EASE_GRID_MAX],
					nd1[EASE_GRID_MAX],
					lam2[EASE_GRID_MAX],
					nd2[EASE_GRID_MAX],
					best1,
					best2;
		int			t1,
					t2,
					in_grid = 0;

		ease_choose_lambda(&c, 0, 1000, Gc, Bc, lam1, nd1, &t1, &best1, NULL, NULL);
		ease_choose_lambda(&c, 0, 1000, Gc, Bc, lam2, nd2, &t2, &best2, NULL, NULL);
		CHECK(t1 == EASE_GRID_MAX && t1 == t2 && best1 == best2 && memcmp(nd1, nd2, sizeof(double) * t1) == 0,
			  "the validation choice is reproducible (same seed: same grid scores, lambda %g)", best1);
		double		chosen = 0.0;

		for (int k = 0; k < t1; k++)
			if (lam1[k] == best1 && nd1[k] >= nd1[0] && nd1[k] >= nd1[EASE_GRID_COARSE - 1] && nd1[k] > 0)
			{
				in_grid = 1;
				chosen = nd1[k];
			}
		CHECK(in_grid, "the chosen lambda is a tried point scoring at least the grid's ends (NDCG %.4f vs %.4f, %.4f)",
			  chosen, nd1[0], nd1[EASE_GRID_COARSE - 1]);
		free(X);
		free(Gc);
		free(Bc);
		csr_free(&c);
	}

	/* 9. sparse scoring sums exactly the rows of the given items */
	{
		int64_t		indptr[3] = {0, 1, 2};
		int32_t		cols[2] = {1, 0};
		float		vals[2] = {0.5f, -0.25f};
		int32_t		items[2] = {0, 1};
		double		s[2] = {9, 9};

		ease_user_scores(indptr, cols, vals, 2, items, 2, s);
		CHECK(s[0] == -0.25 && s[1] == 0.5, "ease_user_scores overwrites and sums the item rows");
	}

	free(G);
	free(B);
	csr_free(&a);
	UNIT_EXIT();
}

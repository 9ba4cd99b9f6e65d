/*
 * test_als.c -- unit tests of src/core/als.c and src/core/topn.c: the small cases against the
 * numpy reference (test/ref/als_reference.py -> als_ref.h), the loss bookkeeping, determinism
 * across thread counts, cancellation, a singular system, and top-n selection against a full sort.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/als.h"
#include "../../src/core/topn.h"
#include "../ref/als_ref.h"
#include "unit.h"

static int	failures = 0;
static int	passes = 0;

static void
check(int ok, const char *what)
{
	CHECK(ok, "%s", what);
	if (!ok)
		failures++;
	else
		passes++;
}

static double
max_abs_diff(const double *a, const double *b, int64_t n)
{
	double		m = 0.0;

	for (int64_t k = 0; k < n; k++)
		if (fabs(a[k] - b[k]) > m || isnan(a[k] - b[k]))
			m = isnan(a[k] - b[k]) ? INFINITY : fabs(a[k] - b[k]);
	return m;
}

/* CSR of a dense row-major matrix (zeros dropped); buffers malloc'd */
static AlsCsr
csr_from_dense(const double *W, int64_t nr, int64_t nc)
{
	AlsCsr		a;
	int64_t		nnz = 0;

	for (int64_t k = 0; k < nr * nc; k++)
		nnz += W[k] != 0.0;
	a.n_rows = nr;
	a.n_cols = nc;
	a.indptr = malloc(sizeof(int64_t) * (nr + 1));
	a.indices = malloc(sizeof(int32_t) * (nnz + 1));
	a.data = malloc(sizeof(double) * (nnz + 1));
	nnz = 0;
	for (int64_t r = 0; r < nr; r++)
	{
		a.indptr[r] = nnz;
		for (int64_t c = 0; c < nc; c++)
			if (W[r * nc + c] != 0.0)
			{
				a.indices[nnz] = (int32_t) c;
				a.data[nnz++] = W[r * nc + c];
			}
	}
	a.indptr[nr] = nnz;
	return a;
}

static AlsCsr
transpose(const AlsCsr *a)
{
	AlsCsr		t;

	t.indptr = malloc(sizeof(int64_t) * (a->n_cols + 1));
	t.indices = malloc(sizeof(int32_t) * (als_nnz(a) + 1));
	t.data = malloc(sizeof(double) * (als_nnz(a) + 1));
	als_csr_transpose(a, &t);
	return t;
}

static void
csr_free(AlsCsr *a)
{
	free(a->indptr);
	free(a->indices);
	free(a->data);
}

static AlsParams
params(int f, int iters, double reg, double alpha, double nu, uint64_t seed, AlsSolver solver, int threads)
{
	AlsParams	p;

	memset(&p, 0, sizeof(p));
	p.factors = f;
	p.iterations = iters;
	p.regularization = reg;
	p.alpha = alpha;
	p.reg_exponent = nu;
	p.seed = seed;
	p.solver = solver;
	p.cg_steps = 3;
	p.threads = threads;
	p.blas_threads = threads;
	return p;
}

static void
test_reference_case(const char *name, AlsParams p, const double *refX, const double *refY,
					const double *refloss)
{
	AlsCsr		ui = csr_from_dense(ref_W, REF_NU, REF_NI);
	AlsCsr		iu = transpose(&ui);
	int			f = p.factors;
	double	   *X = malloc(sizeof(double) * REF_NU * f);
	double	   *Y = malloc(sizeof(double) * REF_NI * f);
	double	   *loss = malloc(sizeof(double) * p.iterations);
	double		reg_u[REF_NU],
				reg_i[REF_NI];
	char		err[200],
				what[200];
	int			rc;

	als_init_factors(p.seed, REF_NU, REF_NI, f, X, Y);
	rc = als_fit(&ui, &iu, &p, X, Y, loss, err, sizeof(err));
	snprintf(what, sizeof(what), "%s: fit returns ALS_OK", name);
	check(rc == ALS_OK, what);
	snprintf(what, sizeof(what), "%s: user factors match numpy within 1e-9 (max diff %.2e)", name,
			 max_abs_diff(X, refX, REF_NU * f));
	check(max_abs_diff(X, refX, REF_NU * f) < 1e-9, what);
	snprintf(what, sizeof(what), "%s: item factors match numpy within 1e-9 (max diff %.2e)", name,
			 max_abs_diff(Y, refY, REF_NI * f));
	check(max_abs_diff(Y, refY, REF_NI * f) < 1e-9, what);
	snprintf(what, sizeof(what), "%s: loss per iteration matches numpy within 1e-10 (max diff %.2e)", name,
			 max_abs_diff(loss, refloss, p.iterations));
	check(max_abs_diff(loss, refloss, p.iterations) < 1e-10, what);
	als_row_regularization(&ui, &p, reg_u);
	als_row_regularization(&iu, &p, reg_i);
	snprintf(what, sizeof(what), "%s: Gram-matrix loss equals the direct all-pairs sum", name);
	check(fabs(als_loss(&ui, &p, X, Y, reg_u, reg_i) - loss[p.iterations - 1]) < 1e-12, what);
	free(X);
	free(Y);
	free(loss);
	csr_free(&ui);
	csr_free(&iu);
}

/* planted data: n_users x n_items, ~density, weights 1..3, deterministic */
static double *
random_dense(int64_t nu, int64_t ni, double density, uint64_t seed)
{
	double	   *W = calloc(nu * ni, sizeof(double));

	srand((unsigned) seed);
	for (int64_t u = 0; u < nu; u++)
		for (int64_t i = 0; i < ni; i++)
		{
			/* two taste groups: users see mostly items of their own half */
			double		d = ((u % 2) == (i % 2)) ? 2 * density : density / 4;

			if ((double) rand() / RAND_MAX < d)
				W[u * ni + i] = 1 + rand() % 3;
		}
	return W;
}

static int
always_cancel(void *arg)
{
	int		   *calls = arg;

	return ++(*calls) >= 2;
}

static void
test_threads_and_solvers(void)
{
	int64_t		nu = 400,
				ni = 250;
	double	   *W = random_dense(nu, ni, 0.05, 3);
	AlsCsr		ui = csr_from_dense(W, nu, ni);
	AlsCsr		iu = transpose(&ui);
	int			f = 16;
	double	   *X1 = malloc(sizeof(double) * nu * f),
			   *Y1 = malloc(sizeof(double) * ni * f),
			   *X2 = malloc(sizeof(double) * nu * f),
			   *Y2 = malloc(sizeof(double) * ni * f),
			   *X3 = malloc(sizeof(double) * nu * f),
			   *Y3 = malloc(sizeof(double) * ni * f);
	double		l1[8],
				l2[8],
				l3[8];
	char		err[200];
	int			calls = 0;
	AlsParams	p;

	for (int s = 0; s < 2; s++)
	{
		AlsSolver	solver = s ? ALS_SOLVER_CHOLESKY : ALS_SOLVER_CG;

		p = params(f, 8, 0.05, 4.0, 1.0, 11, solver, 1);
		als_init_factors(11, nu, ni, f, X1, Y1);
		als_fit(&ui, &iu, &p, X1, Y1, l1, err, sizeof(err));
		p = params(f, 8, 0.05, 4.0, 1.0, 11, solver, 2);
		als_init_factors(11, nu, ni, f, X2, Y2);
		als_fit(&ui, &iu, &p, X2, Y2, l2, err, sizeof(err));
		check(memcmp(X1, X2, sizeof(double) * nu * f) == 0 && memcmp(Y1, Y2, sizeof(double) * ni * f) == 0,
			  s ? "cholesky: 1 and 2 threads give bit-identical factors" : "cg: 1 and 2 threads give bit-identical factors");
		check(fabs(l1[7] - l2[7]) < 1e-13 * fabs(l1[7]), s ? "cholesky: loss identical across thread counts"
			  : "cg: loss identical across thread counts");
		{
			int			mono = 1;

			for (int k = 1; k < 8; k++)
				if (s && l1[k] > l1[k - 1] * (1 + 1e-12))
					mono = 0;
			if (s)
				check(mono, "cholesky: exact ALS never increases the loss");
		}
	}

	/* CG with as many steps as factors solves the f x f system: matches Cholesky */
	p = params(f, 3, 0.05, 4.0, 0.0, 5, ALS_SOLVER_CHOLESKY, 2);
	als_init_factors(5, nu, ni, f, X1, Y1);
	als_fit(&ui, &iu, &p, X1, Y1, l1, err, sizeof(err));
	p.solver = ALS_SOLVER_CG;
	p.cg_steps = 4 * f;
	als_init_factors(5, nu, ni, f, X3, Y3);
	als_fit(&ui, &iu, &p, X3, Y3, l3, err, sizeof(err));
	{
		char		what[200];

		snprintf(what, sizeof(what), "cg with 4f steps agrees with cholesky (max factor diff %.2e < 1e-6)",
				 max_abs_diff(Y1, Y3, ni * f));
		check(max_abs_diff(Y1, Y3, ni * f) < 1e-6, what);
	}

	/* cancellation: the poll returns 1 on its second call */
	p = params(f, 8, 0.05, 4.0, 0.0, 5, ALS_SOLVER_CG, 2);
	p.interrupt = always_cancel;
	p.interrupt_arg = &calls;
	check(als_fit(&ui, &iu, &p, X1, Y1, l1, err, sizeof(err)) == ALS_CANCELLED && strcmp(err, "canceled") == 0,
		  "an interrupt stops the fit with ALS_CANCELLED");

	/* zero regularization with more factors than items: singular systems are reported */
	{
		AlsCsr		su = csr_from_dense(ref_W, REF_NU, REF_NI);
		AlsCsr		si = transpose(&su);
		double		Xs[REF_NU * 10],
					Ys[REF_NI * 10],
					ls[2];

		p = params(10, 2, 0.0, 1.0, 0.0, 1, ALS_SOLVER_CHOLESKY, 1);
		als_init_factors(1, REF_NU, REF_NI, 10, Xs, Ys);
		check(als_fit(&su, &si, &p, Xs, Ys, ls, err, sizeof(err)) == ALS_NUMERIC,
			  "cholesky reports a singular system (regularization 0, factors > items)");
		csr_free(&su);
		csr_free(&si);
	}
	free(W);
	free(X1);
	free(Y1);
	free(X2);
	free(Y2);
	free(X3);
	free(Y3);
	csr_free(&ui);
	csr_free(&iu);
}

static void
test_transpose(void)
{
	AlsCsr		ui = csr_from_dense(ref_W, REF_NU, REF_NI);
	AlsCsr		iu = transpose(&ui);
	int			ok = iu.n_rows == REF_NI && iu.n_cols == REF_NU && als_nnz(&iu) == als_nnz(&ui);

	for (int64_t i = 0; ok && i < REF_NI; i++)
		for (int64_t k = iu.indptr[i]; k < iu.indptr[i + 1]; k++)
		{
			if (k > iu.indptr[i] && iu.indices[k] <= iu.indices[k - 1])
				ok = 0;
			if (ref_W[iu.indices[k] * REF_NI + i] != iu.data[k])
				ok = 0;
		}
	check(ok, "transpose: same entries, rows sorted");
	csr_free(&ui);
	csr_free(&iu);
}

static void
test_topn(void)
{
	int			n_items = 1000,
				ok = 1;
	double	   *scores = malloc(sizeof(double) * n_items);
	int32_t		skip[50];
	int			n_skip = 0;

	srand(9);
	for (int j = 0; j < n_items; j++)
		scores[j] = (double) (rand() % 100);	/* many ties */
	scores[17] = NAN;
	for (int j = 0; j < n_items; j += 23)
		if (n_skip < 50)
			skip[n_skip++] = j;
	for (int n = 1; n <= 120 && ok; n += 7)
	{
		int32_t		idx[200];
		double		sc[200];
		int			got = topn_select(scores, n_items, skip, n_skip, 5, n, idx, sc);
		int			pos = 0;

		/* brute force: best score first, then lowest index */
		for (int s = 99; s >= 0 && pos < got; s--)
			for (int j = 0; j < n_items && pos < got; j++)
			{
				int			skipped = (j % 23 == 0 && j / 23 < n_skip) || j == 5 || j == 17;

				if (skipped || scores[j] != s)
					continue;
				if (idx[pos] != j || sc[pos] != s)
					ok = 0;
				pos++;
			}
		if (got != n)
			ok = 0;
	}
	check(ok, "topn: matches a full sort (ties by index, skip list, self, NaN)");
	{
		int32_t		idx[10];
		double		sc[10];

		check(topn_select(scores, 3, NULL, 0, -1, 10, idx, sc) == 3 && topn_select(scores, 3, NULL, 0, -1, 0, idx, sc) == 0,
			  "topn: n larger than the items, n = 0");
	}
	free(scores);
}

/*
 * Canonical scores and the exact selection from approximate scores: topn_dot within its error
 * bound of a long-double sum; topn_select_exact with adversarially perturbed approximations
 * (within eps, NaN) equals the selection over canonical scores; als_top_items equals
 * topn_select over topn_scores for every user (ties by index, padded lists), on 1 and 2 threads.
 */
static void
test_precompute(void)
{
	const int	nu = 300,
				ni = 500,
				f = 13,
				K = 20;
	double	   *X = malloc(sizeof(double) * nu * f),
			   *Y = malloc(sizeof(double) * ni * f),
			   *sc = malloc(sizeof(double) * ni),
			   *approx = malloc(sizeof(double) * ni),
			   *scratch = malloc(sizeof(double) * ni),
				ymax = 0.0;
	int32_t    *cand = malloc(sizeof(int32_t) * ni),
			   *idx1 = malloc(sizeof(int32_t) * ni),
			   *idx2 = malloc(sizeof(int32_t) * ni),
			   *top1 = malloc(sizeof(int32_t) * nu * K),
			   *top2 = malloc(sizeof(int32_t) * nu * K);
	double	   *s1 = malloc(sizeof(double) * ni),
			   *s2 = malloc(sizeof(double) * ni);
	AlsCsr		ui;
	int			ok_dot = 1,
				ok_exact = 1,
				ok_top = 1,
				padded = 0,
				ties = 0,
				calls;
	uint64_t	st = 12345;

	als_init_factors(3, nu, ni, f, X, Y);
	for (int64_t k = 0; k < (int64_t) nu * f; k++)
		X[k] -= 0.004;
	/* items 7, 8 and 100 have the same factors: exact ties, decided by the lower index */
	memcpy(Y + 8 * f, Y + 7 * f, sizeof(double) * f);
	memcpy(Y + 100 * f, Y + 7 * f, sizeof(double) * f);
	for (int i = 0; i < ni; i++)
	{
		double		n2 = 0;

		for (int c = 0; c < f; c++)
			n2 += Y[i * f + c] * Y[i * f + c];
		ymax = fmax(ymax, sqrt(n2));
	}
	/* seen items: a pseudo-random sorted set per user; user 0 saw all but 3 items */
	ui.n_rows = nu;
	ui.n_cols = ni;
	ui.indptr = malloc(sizeof(int64_t) * (nu + 1));
	ui.indices = malloc(sizeof(int32_t) * nu * ni);
	ui.data = NULL;
	ui.indptr[0] = 0;
	for (int u = 0; u < nu; u++)
	{
		int64_t		k = ui.indptr[u];

		for (int i = 0; i < ni; i++)
		{
			st = st * 6364136223846793005ULL + 1442695040888963407ULL;
			if (u == 0 ? (i != 3 && i != 250 && i != 499) : (st >> 33) % 9 == 0)
				ui.indices[k++] = i;
		}
		ui.indptr[u + 1] = k;
	}

	for (int u = 0; u < nu; u++)
	{
		const double *x = X + u * f;
		double		eps = topn_error_bound(x, f, ymax);
		const int32_t *seen = ui.indices + ui.indptr[u];
		int64_t		nseen = ui.indptr[u + 1] - ui.indptr[u];
		int			g1,
					g2;

		topn_scores(Y, ni, f, x, sc);
		for (int i = 0; i < ni; i++)
		{
			long double r = 0;

			for (int c = 0; c < f; c++)
				r += (long double) x[c] * Y[i * f + c];
			if (fabsl(r - sc[i]) > eps / 2)
				ok_dot = 0;
			/* approximations off by up to 0.99 eps either way, one NaN */
			approx[i] = sc[i] + eps * 0.99 * (((i * 7 + u) % 5) - 2) / 2.0;
		}
		approx[(u * 11) % ni] = NAN;
		g1 = topn_select(sc, ni, seen, nseen, -1, K, idx1, s1);
		g2 = topn_select_exact(approx, eps, Y, f, x, ni, seen, nseen, K, scratch, cand, idx2, s2);
		if (g1 != g2 || memcmp(idx1, idx2, sizeof(int32_t) * g1) != 0 || memcmp(s1, s2, sizeof(double) * g1) != 0)
			ok_exact = 0;
		for (int k = 0; k + 1 < g1; k++)
			ties += s1[k] == s1[k + 1];
	}
	check(ok_dot, "topn_dot: within topn_error_bound / 2 of a long-double sum");
	check(ok_exact, "topn_select_exact: perturbed (within eps) and NaN approximations give the exact top n");

	check(als_top_items(&ui, X, Y, f, K, 1, NULL, NULL, top1) == ALS_OK &&
		  als_top_items(&ui, X, Y, f, K, 2, NULL, NULL, top2) == ALS_OK &&
		  memcmp(top1, top2, sizeof(int32_t) * nu * K) == 0, "als_top_items: 1 and 2 threads identical");
	for (int u = 0; u < nu; u++)
	{
		int			g;

		topn_scores(Y, ni, f, X + u * f, sc);
		g = topn_select(sc, ni, ui.indices + ui.indptr[u], ui.indptr[u + 1] - ui.indptr[u], -1, K, idx1, s1);
		for (int j = 0; j < K; j++)
			if (top1[u * K + j] != (j < g ? idx1[j] : -1))
				ok_top = 0;
		padded += g < K;
	}
	check(ok_top && padded == 1 && top1[0] >= 0,
		  "als_top_items: every user's list equals topn_select over topn_scores (user 0 padded)");
	check(top1[3] == -1 && top1[K - 1] == -1, "als_top_items: a user with 3 items left gets 3 and -1 after");
	check(ties > 0, "precompute cases include exact ties (decided by the lower index)");
	/* the first poll cancels (how many blocks each thread gets is up to scheduling) */
	calls = 1;
	check(als_top_items(&ui, X, Y, f, K, 2, always_cancel, &calls, top2) == ALS_CANCELLED,
		  "als_top_items: cancellation");

	free(X);
	free(Y);
	free(sc);
	free(approx);
	free(scratch);
	free(cand);
	free(idx1);
	free(idx2);
	free(top1);
	free(top2);
	free(s1);
	free(s2);
	free(ui.indptr);
	free(ui.indices);
}

int
main(void)
{
	PLAN(28);
	test_transpose();
	test_reference_case("exact (cholesky)", params(3, 6, 0.1, 2.0, 0.0, 42, ALS_SOLVER_CHOLESKY, 2),
						ref_exact_X, ref_exact_Y, ref_exact_loss);
	test_reference_case("cg_freq (cg, nu = 1)", params(4, 5, 0.5, 1.5, 1.0, 7, ALS_SOLVER_CG, 2),
						ref_cg_freq_X, ref_cg_freq_Y, ref_cg_freq_loss);
	test_threads_and_solvers();
	test_topn();
	test_precompute();
	fprintf(stderr, "test_als: %d checks passed, %d failed\n", passes, failures);
	return failures != 0;
}

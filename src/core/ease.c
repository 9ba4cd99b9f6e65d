/*
 * ease.c -- EASE (Steck 2019): Gram matrix from the CSR, Cholesky inverse, the validation
 * choice of lambda, pruning of B to each row's strongest weights, and sparse scoring.
 * See ease.h for the definitions.  No PostgreSQL header: the glue (recommend_train.c)
 * allocates every large buffer and checks the memory limit before calling in.
 */
#include "core/ease.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

#include "core/topn.h"
#include "core/validate.h"

#define EASE_DENSE_BLOCK 64

double
ease_work_bytes(int64_t n_items)
{
	return 2.0 * (double) n_items * (double) n_items * sizeof(double);
}

/*
 * Users with more than n/5 items are accumulated by dsyrk on dense 0/1 blocks (cheaper than
 * their d^2 scattered additions), the others pair by pair.  Every entry is an integer count, so
 * the order of the additions does not change the result.
 */
int
ease_gram(const AlsCsr *ui, const uint8_t *row_keep, const uint8_t *pair_drop, double *G,
		  int (*interrupt) (void *), void *interrupt_arg)
{
	int64_t		n = ui->n_cols;
	int32_t    *kept = malloc(sizeof(int32_t) * (size_t) (n > 0 ? n : 1));
	double	   *dense = NULL;
	int			in_block = 0;

	if (kept == NULL)
		return EASE_NOMEM;
	memset(G, 0, sizeof(double) * (size_t) n * (size_t) n);
	for (int64_t u = 0; u < ui->n_rows; u++)
	{
		int64_t		d = 0;

		if ((u & 1023) == 0 && interrupt != NULL && interrupt(interrupt_arg))
		{
			free(kept);
			free(dense);
			return EASE_CANCELLED;
		}
		if (row_keep != NULL && !row_keep[u])
			continue;
		for (int64_t e = ui->indptr[u]; e < ui->indptr[u + 1]; e++)
			if (pair_drop == NULL || !pair_drop[e])
				kept[d++] = ui->indices[e];
		if (d * 5 <= n)
		{
			for (int64_t a = 0; a < d; a++)
			{
				double	   *row = G + (int64_t) kept[a] * n;

				for (int64_t b = a; b < d; b++)
					row[kept[b]] += 1.0;
			}
			continue;
		}
		if (dense == NULL)
		{
			dense = calloc((size_t) EASE_DENSE_BLOCK * (size_t) n, sizeof(double));
			if (dense == NULL)
			{
				free(kept);
				return EASE_NOMEM;
			}
		}
		for (int64_t a = 0; a < d; a++)
			dense[(int64_t) in_block * n + kept[a]] = 1.0;
		if (++in_block == EASE_DENSE_BLOCK)
		{
			cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int) n, in_block, 1.0, dense, (int) n,
						1.0, G, (int) n);
			memset(dense, 0, sizeof(double) * (size_t) EASE_DENSE_BLOCK * (size_t) n);
			in_block = 0;
		}
	}
	if (in_block > 0)
		cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int) n, in_block, 1.0, dense, (int) n,
					1.0, G, (int) n);
	free(dense);
	free(kept);
	/* the upper triangle holds the counts; mirror it */
	for (int64_t a = 0; a < n; a++)
		for (int64_t b = a + 1; b < n; b++)
			G[b * n + a] = G[a * n + b];
	return EASE_OK;
}

int
ease_solve(const double *G, int64_t n, double lambda, double *B)
{
	double	   *diag;

	memcpy(B, G, sizeof(double) * (size_t) n * (size_t) n);
	for (int64_t j = 0; j < n; j++)
		B[j * n + j] += lambda;

	/*
	 * A symmetric row-major matrix is its own column-major transpose: column-major 'L' works on
	 * the row-major upper triangle without LAPACKE's transposed n x n copy.
	 */
	if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', (lapack_int) n, B, (lapack_int) n) != 0)
		return EASE_NUMERIC;
	if (LAPACKE_dpotri(LAPACK_COL_MAJOR, 'L', (lapack_int) n, B, (lapack_int) n) != 0)
		return EASE_NUMERIC;
	/* column-major lower = row-major upper: mirror it into the lower triangle */
	for (int64_t a = 0; a < n; a++)
		for (int64_t b = a + 1; b < n; b++)
			B[b * n + a] = B[a * n + b];
	diag = malloc(sizeof(double) * (size_t) (n > 0 ? n : 1));
	if (diag == NULL)
		return EASE_NOMEM;
	for (int64_t j = 0; j < n; j++)
	{
		diag[j] = B[j * n + j];
		if (!(diag[j] > 0))
		{
			free(diag);
			return EASE_NUMERIC;
		}
	}
	for (int64_t j = 0; j < n; j++)
	{
		double	   *row = B + j * n;

		for (int64_t k = 0; k < n; k++)
			row[k] = -row[k] / diag[k];
		row[j] = 0.0;
	}
	free(diag);
	return EASE_OK;
}

typedef struct EaseScoreArg
{
	const double *B;
	int64_t		n;
} EaseScoreArg;

/* a user's scores under the dense B: the sum of the rows of its kept items */
static void
ease_scores(int64_t u, const int32_t *kept, int64_t n_kept, double *scores, void *arg)
{
	const EaseScoreArg *a = arg;

	(void) u;
	memset(scores, 0, sizeof(double) * (size_t) a->n);
	for (int64_t k = 0; k < n_kept; k++)
		cblas_daxpy((int) a->n, 1.0, a->B + (int64_t) kept[k] * a->n, 1, scores, 1);
}

int
ease_choose_lambda(const AlsCsr *ui, uint64_t seed, int max_val_users, double *G, double *B,
				   double *lambdas, double *ndcg, int *n_tried, double *best,
				   int (*interrupt) (void *), void *interrupt_arg)
{
	int64_t		n = ui->n_cols;
	int64_t		nnz = als_nnz(ui);
	int64_t    *val = malloc(sizeof(int64_t) * (size_t) (ui->n_rows > 0 ? ui->n_rows : 1));
	uint8_t    *pair_drop = calloc((size_t) (nnz > 0 ? nnz : 1), 1);
	double	   *scores = malloc(sizeof(double) * (size_t) (n > 0 ? n : 1));
	int32_t    *kept = malloc(sizeof(int32_t) * (size_t) (n > 0 ? n : 1));
	EaseScoreArg sa = {B, n};
	int64_t		n_val;
	int			rc = EASE_OK,
				t = 0,
				best_t = 0;

	*n_tried = 0;
	*best = 100.0;
	if (val == NULL || pair_drop == NULL || scores == NULL || kept == NULL)
	{
		rc = EASE_NOMEM;
		goto done;
	}
	n_val = holdout_carve(ui, seed, max_val_users, pair_drop, val);
	if (n_val == 0)
		goto done;
	rc = ease_gram(ui, NULL, pair_drop, G, interrupt, interrupt_arg);
	if (rc != EASE_OK)
		goto done;
	for (int pass = 0; pass < 2; pass++)
	{
		double		try[EASE_GRID_COARSE];
		int			n_try = 0;

		if (pass == 0)
			for (int e = 0; e < EASE_GRID_COARSE; e++)
				try[n_try++] = pow(10.0, e + 1);
		else
		{
			try[n_try++] = lambdas[best_t] / sqrt(10.0);
			try[n_try++] = lambdas[best_t] * sqrt(10.0);
		}
		for (int k = 0; k < n_try; k++)
		{
			if (interrupt != NULL && interrupt(interrupt_arg))
			{
				rc = EASE_CANCELLED;
				goto done;
			}
			rc = ease_solve(G, n, try[k], B);
			if (rc != EASE_OK)
				goto done;
			lambdas[t] = try[k];
			ndcg[t] = holdout_ndcg(ui, val, n_val, pair_drop, ease_scores, &sa, scores, kept);
			/* a strictly better score wins: on a tie the point tried first (the coarse grid) */
			if (ndcg[t] > ndcg[best_t])
				best_t = t;
			t++;
		}
	}
	*n_tried = t;
	*best = lambdas[best_t];
done:
	free(val);
	free(pair_drop);
	free(scores);
	free(kept);
	return rc;
}

static int
cmp_i32(const void *a, const void *b)
{
	int32_t		x = *(const int32_t *) a,
				y = *(const int32_t *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/*
 * Each row's m strongest off-diagonal weights by |value| (ties: lower column), as topn.c's
 * bounded heap selects them; zero weights are never kept (NaN is never selected).
 */
int64_t
ease_prune(const double *B, int64_t n, int m, int64_t *indptr, int32_t *cols, float *vals)
{
	double	   *mag = malloc(sizeof(double) * (size_t) (n > 0 ? n : 1));
	double	   *top = malloc(sizeof(double) * (size_t) (m > 0 ? m : 1));
	int64_t		out = 0;

	indptr[0] = 0;
	if (mag == NULL || top == NULL)
	{
		free(mag);
		free(top);
		return -1;
	}
	for (int64_t j = 0; j < n; j++)
	{
		const double *row = B + j * n;
		int32_t    *hc = cols + out;
		int			size = 0;

		for (int64_t k = 0; k < n; k++)
			mag[k] = row[k] == 0.0 ? NAN : fabs(row[k]);
		if (m > 0)
			size = topn_select(mag, (int32_t) n, NULL, 0, (int32_t) j, m, hc, top);
		qsort(hc, size, sizeof(int32_t), cmp_i32);
		for (int k = 0; k < size; k++)
			vals[out + k] = (float) row[hc[k]];
		out += size;
		indptr[j + 1] = out;
	}
	free(mag);
	free(top);
	return out;
}

void
ease_user_scores(const int64_t *indptr, const int32_t *cols, const float *vals, int64_t n,
				 const int32_t *items, int64_t len, double *scores)
{
	memset(scores, 0, sizeof(double) * (size_t) n);
	for (int64_t a = 0; a < len; a++)
	{
		int32_t		j = items[a];

		for (int64_t e = indptr[j]; e < indptr[j + 1]; e++)
			scores[cols[e]] += (double) vals[e];
	}
}

static int
cmp_int32(const void *a, const void *b)
{
	int32_t		x = *(const int32_t *) a,
				y = *(const int32_t *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

int
ease_select(const double *scores, int64_t n, const int32_t *popular, const int32_t *rank_of,
			const int32_t *skip, int64_t n_skip, int32_t self, int k, double *rank_scores,
			int32_t *skip_ranks, int32_t *out_idx, double *out_score)
{
	int			got;

	/* in popularity order, topn_select's lower-index rule for ties is the popularity rule */
	for (int64_t r = 0; r < n; r++)
		rank_scores[r] = scores[popular[r]];
	for (int64_t j = 0; j < n_skip; j++)
		skip_ranks[j] = rank_of[skip[j]];
	qsort(skip_ranks, (size_t) n_skip, sizeof(int32_t), cmp_int32);
	got = topn_select(rank_scores, (int32_t) n, skip_ranks, n_skip, self >= 0 ? rank_of[self] : -1,
					  (int) (k < n ? k : n), out_idx, out_score);
	for (int j = 0; j < got; j++)
		out_idx[j] = popular[out_idx[j]];
	return got;
}

int
ease_top_items(const AlsCsr *ui, const int64_t *indptr, const int32_t *cols, const float *vals,
			   const int32_t *popular, const int32_t *rank_of, int k, int32_t *out, double *out_score,
			   int (*interrupt) (void *), void *interrupt_arg)
{
	int64_t		n = ui->n_cols;
	double	   *scores = malloc(sizeof(double) * (size_t) (n > 0 ? n : 1));
	double	   *rank_scores = malloc(sizeof(double) * (size_t) (n > 0 ? n : 1));
	int32_t    *skip_ranks = malloc(sizeof(int32_t) * (size_t) (n > 0 ? n : 1));
	int32_t    *idx = malloc(sizeof(int32_t) * (size_t) (k > 0 ? k : 1));
	double	   *sc = malloc(sizeof(double) * (size_t) (k > 0 ? k : 1));
	int			rc = EASE_OK;

	if (scores == NULL || rank_scores == NULL || skip_ranks == NULL || idx == NULL || sc == NULL)
		rc = EASE_NOMEM;
	for (int64_t u = 0; rc == EASE_OK && u < ui->n_rows && k > 0; u++)
	{
		const int32_t *items = ui->indices + ui->indptr[u];
		int64_t		len = ui->indptr[u + 1] - ui->indptr[u];
		int			got;

		if ((u & 255) == 0 && interrupt != NULL && interrupt(interrupt_arg))
		{
			rc = EASE_CANCELLED;
			break;
		}
		ease_user_scores(indptr, cols, vals, n, items, len, scores);
		got = ease_select(scores, n, popular, rank_of, items, len, -1, k, rank_scores, skip_ranks, idx, sc);
		for (int j = 0; j < k; j++)
		{
			out[u * k + j] = j < got ? idx[j] : -1;
			out_score[u * k + j] = j < got ? sc[j] : 0.0;
		}
	}
	free(scores);
	free(rank_scores);
	free(skip_ranks);
	free(idx);
	free(sc);
	return rc;
}

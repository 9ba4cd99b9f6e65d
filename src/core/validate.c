/*
 * validate.c -- the validation split shared by EASE's and ALS's choice of regularization, and
 * the ALS grid search (see validate.h).
 */
#include "core/validate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/topn.h"

const double als_val_alpha[ALS_VAL_GRID] = {5.0, 20.0, 100.0};
const double als_val_ratio[ALS_VAL_GRID] = {20.0, 5.0, 5.0};
const double als_val_freq[ALS_VAL_GRID] = {1.0, 1.0, 0.0};

int64_t
holdout_carve(const AlsCsr *ui, uint64_t seed, int64_t max_users, uint8_t *pair_drop, int64_t *val_users)
{
	uint64_t	state = seed ^ 0x5eed0ea5e0000001ULL;
	int64_t		n_elig = 0,
				n_val;

	for (int64_t u = 0; u < ui->n_rows; u++)
		if (ui->indptr[u + 1] - ui->indptr[u] >= 3)
			val_users[n_elig++] = u;
	/* a seeded partial Fisher-Yates: the first n_val are the sample */
	n_val = n_elig < max_users ? n_elig : max_users;
	for (int64_t v = 0; v < n_val; v++)
	{
		int64_t		j = v + (int64_t) (mk_splitmix64(&state) % (uint64_t) (n_elig - v));
		int64_t		tmp = val_users[v];

		val_users[v] = val_users[j];
		val_users[j] = tmp;
	}
	/* each holds out a seeded 20 % (at least 1) of its items: a partial shuffle of its row */
	for (int64_t v = 0; v < n_val; v++)
	{
		int64_t		lo = ui->indptr[val_users[v]],
					d = ui->indptr[val_users[v] + 1] - lo,
					h = (int64_t) floor(0.2 * (double) d + 0.5),
					marked = 0;

		if (h < 1)
			h = 1;
		/* Floyd's sampling: h distinct positions of the row, without a permutation buffer */
		for (int64_t k = d - h; k < d; k++)
		{
			int64_t		t = (int64_t) (mk_splitmix64(&state) % (uint64_t) (k + 1));

			if (pair_drop[lo + t])
				t = k;
			pair_drop[lo + t] = 1;
			marked++;
		}
		(void) marked;
	}
	return n_val;
}

double
holdout_ndcg(const AlsCsr *ui, const int64_t *val_users, int64_t n_val, const uint8_t *pair_drop,
			 HoldoutScoreFn fn, void *arg, double *scores, int32_t *kept)
{
	double		total = 0.0;
	int32_t		top_idx[10];
	double		top_score[10];

	for (int64_t v = 0; v < n_val; v++)
	{
		int64_t		u = val_users[v];
		int64_t		d = 0;
		int			n_held = 0,
					got;
		double		dcg = 0.0,
					idcg = 0.0;

		for (int64_t e = ui->indptr[u]; e < ui->indptr[u + 1]; e++)
		{
			if (pair_drop[e])
				n_held++;
			else
				kept[d++] = ui->indices[e];
		}
		fn(u, kept, d, scores, arg);
		got = topn_select(scores, (int32_t) ui->n_cols, kept, d, -1, 10, top_idx, top_score);
		for (int r = 0; r < got; r++)
		{
			/* held out?  (the row is sorted: binary search) */
			int64_t		lo = ui->indptr[u],
						hi = ui->indptr[u + 1] - 1;

			while (lo <= hi)
			{
				int64_t		mid = lo + (hi - lo) / 2;

				if (ui->indices[mid] == top_idx[r])
				{
					if (pair_drop[mid])
						dcg += 1.0 / log2(r + 2.0);
					break;
				}
				if (ui->indices[mid] < top_idx[r])
					lo = mid + 1;
				else
					hi = mid - 1;
			}
		}
		for (int r = 0; r < n_held && r < 10; r++)
			idcg += 1.0 / log2(r + 2.0);
		total += dcg / idcg;
	}
	return n_val > 0 ? total / (double) n_val : 0.0;
}

typedef struct AlsScoreArg
{
	const double *X;
	const double *Y;
	int			f;
	int32_t		n_items;
} AlsScoreArg;

static void
als_scores(int64_t u, const int32_t *kept, int64_t n_kept, double *scores, void *arg)
{
	const AlsScoreArg *a = arg;

	(void) kept;
	(void) n_kept;
	topn_scores(a->Y, a->n_items, a->f, a->X + u * a->f, scores);
}

int
als_choose_regularization(const AlsCsr *ui, const AlsParams *p, int choose_freq, int64_t max_users, double *X,
						  double *Y, double *regs, double *alphas, double *freqs, double *ndcg, int *n_tried,
						  double *best_reg, double *best_alpha, double *best_freq, char *err, size_t errlen)
{
	int64_t		nnz = als_nnz(ui),
				n = ui->n_cols;
	const double alpha0 = p->alpha,
				freq0 = p->reg_exponent;
	uint8_t    *drop = calloc((size_t) (nnz > 0 ? nnz : 1), 1);
	int64_t    *val = malloc(sizeof(int64_t) * (size_t) (ui->n_rows > 0 ? ui->n_rows : 1));
	double	   *scores = malloc(sizeof(double) * (size_t) (n > 0 ? n : 1));
	int32_t    *kept = malloc(sizeof(int32_t) * (size_t) (n > 0 ? n : 1));
	double		loss[ALS_VAL_ITERATIONS];
	AlsCsr		tr,
				tt;
	int64_t		n_val,
				k = 0;
	int			rc = ALS_OK,
				best_t = 0,
				t = 0;

	*n_tried = 0;
	/* the best_* may alias p's fields: p's alpha and exponent were read first */
	*best_alpha = alpha0 * als_val_alpha[0];
	*best_reg = als_val_ratio[0] * *best_alpha;
	*best_freq = choose_freq ? als_val_freq[0] : freq0;
	memset(&tr, 0, sizeof(tr));
	memset(&tt, 0, sizeof(tt));
	if (drop == NULL || val == NULL || scores == NULL || kept == NULL)
	{
		rc = ALS_NOMEM;
		goto done;
	}
	n_val = holdout_carve(ui, p->seed, max_users, drop, val);
	if (n_val == 0)
		goto done;
	/* the kept pairs, and their transpose */
	tr.n_rows = tt.n_cols = ui->n_rows;
	tr.n_cols = tt.n_rows = n;
	tr.indptr = malloc(sizeof(int64_t) * (size_t) (ui->n_rows + 1));
	tr.indices = malloc(sizeof(int32_t) * (size_t) (nnz > 0 ? nnz : 1));
	tr.data = malloc(sizeof(double) * (size_t) (nnz > 0 ? nnz : 1));
	tt.indptr = malloc(sizeof(int64_t) * (size_t) (n + 1));
	tt.indices = malloc(sizeof(int32_t) * (size_t) (nnz > 0 ? nnz : 1));
	tt.data = malloc(sizeof(double) * (size_t) (nnz > 0 ? nnz : 1));
	if (tr.indptr == NULL || tr.indices == NULL || tr.data == NULL || tt.indptr == NULL ||
		tt.indices == NULL || tt.data == NULL)
	{
		rc = ALS_NOMEM;
		goto done;
	}
	tr.indptr[0] = 0;
	for (int64_t u = 0; u < ui->n_rows; u++)
	{
		for (int64_t e = ui->indptr[u]; e < ui->indptr[u + 1]; e++)
			if (!drop[e])
			{
				tr.indices[k] = ui->indices[e];
				tr.data[k++] = ui->data[e];
			}
		tr.indptr[u + 1] = k;
	}
	als_csr_transpose(&tr, &tt);

	for (int ia = 0; ia < ALS_VAL_GRID && (alpha0 > 0 || t == 0); ia++)
	{
		AlsParams	q = *p;
		AlsScoreArg sa = {X, Y, p->factors, (int32_t) n};

		q.alpha = alpha0 * als_val_alpha[ia];
		q.regularization = als_val_ratio[ia] * q.alpha;
		q.reg_exponent = choose_freq ? als_val_freq[ia] : freq0;
		q.iterations = ALS_VAL_ITERATIONS;
		als_init_factors(p->seed, ui->n_rows, n, p->factors, X, Y);
		rc = als_fit(&tr, &tt, &q, X, Y, loss, err, errlen);
		if (rc != ALS_OK)
			goto done;
		regs[t] = q.regularization;
		alphas[t] = q.alpha;
		freqs[t] = q.reg_exponent;
		ndcg[t] = holdout_ndcg(ui, val, n_val, drop, als_scores, &sa, scores, kept);
		if (ndcg[t] > ndcg[best_t])
			best_t = t;
		t++;
	}
	*n_tried = t;
	*best_reg = regs[best_t];
	*best_alpha = alphas[best_t];
	*best_freq = freqs[best_t];
done:
	free(drop);
	free(val);
	free(scores);
	free(kept);
	free(tr.indptr);
	free(tr.indices);
	free(tr.data);
	free(tt.indptr);
	free(tt.indices);
	free(tt.data);
	return rc;
}

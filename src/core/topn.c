/*
 * topn.c -- top-n selection for recommendations: one pass over the scores keeping a min-heap of
 * the n best (O(n_items log n)), merged with the sorted "already seen" list; the canonical
 * score x.y (one fixed summation order, so that every path gives the same bits), and exact
 * selection from approximate (matrix-product) scores by rescoring the near candidates.
 */
#include "topn.h"

#include <float.h>
#include <math.h>
#include <stddef.h>

/* a is worse than b: lower score, or equal score and higher index */
static inline int
worse(double sa, int32_t ia, double sb, int32_t ib)
{
	return sa < sb || (sa == sb && ia > ib);
}

/* restores the heap property below position i; the root is the worst pair */
static void
sift_down(int32_t *idx, double *score, int n, int i)
{
	for (;;)
	{
		int			l = 2 * i + 1,
					r = l + 1,
					m = i;

		if (l < n && worse(score[l], idx[l], score[m], idx[m]))
			m = l;
		if (r < n && worse(score[r], idx[r], score[m], idx[m]))
			m = r;
		if (m == i)
			return;
		{
			int32_t		ti = idx[i];
			double		ts = score[i];

			idx[i] = idx[m];
			score[i] = score[m];
			idx[m] = ti;
			score[m] = ts;
		}
		i = m;
	}
}

static void
sift_up(int32_t *idx, double *score, int i)
{
	while (i > 0)
	{
		int			parent = (i - 1) / 2;

		if (!worse(score[i], idx[i], score[parent], idx[parent]))
			return;
		{
			int32_t		ti = idx[i];
			double		ts = score[i];

			idx[i] = idx[parent];
			score[i] = score[parent];
			idx[parent] = ti;
			score[parent] = ts;
		}
		i = parent;
	}
}

void
topn_sort(int32_t *idx, double *score, int n)
{
	/* the pairs form (or are made into) a worst-at-root heap; popping the root to the end gives best-first */
	for (int i = n / 2 - 1; i >= 0; i--)
		sift_down(idx, score, n, i);
	for (int end = n - 1; end > 0; end--)
	{
		int32_t		ti = idx[0];
		double		ts = score[0];

		idx[0] = idx[end];
		score[0] = score[end];
		idx[end] = ti;
		score[end] = ts;
		sift_down(idx, score, end, 0);
	}
}

int
topn_select(const double *scores, int32_t n_items, const int32_t *skip, int64_t n_skip,
			int32_t self, int n, int32_t *out_idx, double *out_score)
{
	int			size = 0;
	int64_t		sk = 0;

	if (n <= 0)
		return 0;
	for (int32_t j = 0; j < n_items; j++)
	{
		double		s = scores[j];

		while (sk < n_skip && skip[sk] < j)
			sk++;
		if ((sk < n_skip && skip[sk] == j) || j == self || isnan(s))
			continue;
		if (size < n)
		{
			out_idx[size] = j;
			out_score[size] = s;
			sift_up(out_idx, out_score, size);
			size++;
		}
		else if (worse(out_score[0], out_idx[0], s, j))
		{
			out_idx[0] = j;
			out_score[0] = s;
			sift_down(out_idx, out_score, size, 0);
		}
	}
	topn_sort(out_idx, out_score, size);
	return size;
}

double
topn_dot(const double *x, const double *y, int f)
{
	double		a0 = 0,
				a1 = 0,
				a2 = 0,
				a3 = 0,
				a4 = 0,
				a5 = 0,
				a6 = 0,
				a7 = 0;
	int			k = 0;

	/* eight independent lanes in registers (vectorizable without reassociation), then a fixed tree */
	for (; k + 8 <= f; k += 8)
	{
		a0 += x[k] * y[k];
		a1 += x[k + 1] * y[k + 1];
		a2 += x[k + 2] * y[k + 2];
		a3 += x[k + 3] * y[k + 3];
		a4 += x[k + 4] * y[k + 4];
		a5 += x[k + 5] * y[k + 5];
		a6 += x[k + 6] * y[k + 6];
		a7 += x[k + 7] * y[k + 7];
	}
	/* the rest (f % 8 < 8 entries) go to lanes 0, 1, ... in order */
	if (k < f)
		a0 += x[k] * y[k];
	if (k + 1 < f)
		a1 += x[k + 1] * y[k + 1];
	if (k + 2 < f)
		a2 += x[k + 2] * y[k + 2];
	if (k + 3 < f)
		a3 += x[k + 3] * y[k + 3];
	if (k + 4 < f)
		a4 += x[k + 4] * y[k + 4];
	if (k + 5 < f)
		a5 += x[k + 5] * y[k + 5];
	if (k + 6 < f)
		a6 += x[k + 6] * y[k + 6];
	return ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7));
}

void
topn_scores(const double *Y, int32_t n_items, int f, const double *x, double *out)
{
	for (int32_t j = 0; j < n_items; j++)
		out[j] = topn_dot(x, Y + (int64_t) j * f, f);
}

double
topn_error_bound(const double *x, int f, double y_norm_max)
{
	double		xn = 0.0;

	for (int k = 0; k < f; k++)
		xn += x[k] * x[k];
	/*
	 * Any two summation orders of x.y differ by at most 2 * gamma_f * sum |x_k y_k| <=
	 * f * DBL_EPSILON * |x| |y| (Higham, ch. 3; Cauchy-Schwarz); a factor 4 covers the
	 * rounding of the norms themselves and a fused multiply-add in either order.
	 */
	return 4.0 * (f + 2) * DBL_EPSILON * sqrt(xn) * y_norm_max;
}

int
topn_select_exact(const double *approx, double eps, const double *Y, int f, const double *x,
				  int32_t n_items, const int32_t *skip, int64_t n_skip, int n,
				  double *scratch, int32_t *cand, int32_t *out_idx, double *out_score)
{
	int			size = 0,
				got;
	double		low = -INFINITY,	/* root - 2 eps once the heap is full */
				cut;
	int64_t		sk = 0;
	int32_t		nc = 0,
				kept = 0;

	if (n <= 0)
		return 0;

	/*
	 * One pass: a heap of the n best approximate scores of the eligible items (root: the n-th
	 * best so far, which only rises to T, the final n-th best), and a log of every eligible
	 * item not below root - 2 eps when it was seen (NaN ones too).  Most items fail that one
	 * test, so the seen list is consulted only for the others.
	 */
	for (int32_t j = 0; j < n_items; j++)
	{
		double		s = approx[j];

		if (s < low)
			continue;
		while (sk < n_skip && skip[sk] < j)
			sk++;
		if (sk < n_skip && skip[sk] == j)
			continue;
		cand[nc++] = j;
		if (isnan(s))
			continue;
		if (size < n)
		{
			out_idx[size] = j;
			out_score[size] = s;
			sift_up(out_idx, out_score, size);
			size++;
		}
		else if (s > out_score[0])
		{
			out_idx[0] = j;
			out_score[0] = s;
			sift_down(out_idx, out_score, size, 0);
		}
		if (size == n)
			low = out_score[0] - 2.0 * eps;
	}

	/*
	 * n eligible items have approx >= T, hence an exact score >= T - eps, so every item of the
	 * exact top n has approx >= T - 2 eps; each such item is in the log (the root never
	 * exceeded T).  Those are rescored, in index order, and selected exactly.
	 */
	cut = size < n ? -INFINITY : out_score[0] - 2.0 * eps;
	for (int32_t c = 0; c < nc; c++)
	{
		int32_t		j = cand[c];

		if (approx[j] < cut)
			continue;
		cand[kept] = j;
		scratch[kept] = topn_dot(x, Y + (int64_t) j * f, f);
		kept++;
	}
	got = topn_select(scratch, kept, NULL, 0, -1, n, out_idx, out_score);
	/* candidates are in index order, so ties still go to the lower item index */
	for (int k = 0; k < got; k++)
		out_idx[k] = cand[out_idx[k]];
	return got;
}

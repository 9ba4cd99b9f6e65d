/*
 * topn.c -- top-n selection for recommendations: one pass over the scores keeping a min-heap of
 * the n best (O(n_items log n)), merged with the sorted "already seen" list.
 */
#include "topn.h"

#include <math.h>

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

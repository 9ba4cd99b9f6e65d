/*
 * topn.h -- partial selection of the n best-scored items (a bounded min-heap), with an
 * optional sorted list of item indices to skip.  Pure C, no allocation.
 *
 * Order: higher score first; equal scores by lower index first, so results are
 * deterministic.  NaN scores are never selected.
 */
#ifndef MKTDB_TOPN_H
#define MKTDB_TOPN_H

#include <stdint.h>

/*
 * Writes the best min(n, eligible) of scores[0 .. n_items-1] to out_idx / out_score, best
 * first, skipping the indices in skip[0 .. n_skip-1] (ascending) and the index `self`
 * (-1: none).  Returns how many were written.
 */
int			topn_select(const double *scores, int32_t n_items, const int32_t *skip, int64_t n_skip,
						int32_t self, int n, int32_t *out_idx, double *out_score);

/* Sorts (idx, score) pairs into the order above (heapsort on the pairs, in place). */
void		topn_sort(int32_t *idx, double *score, int n);

/*
 * The canonical score x.y of f factors: one fixed summation order, independent of BLAS, so the
 * scores of a dense scan, of a precomputed list and of a batch call are bit-identical.
 */
double		topn_dot(const double *x, const double *y, int f);

/* out[j] = topn_dot(x, Y row j) for every item (Y row-major n_items x f). */
void		topn_scores(const double *Y, int32_t n_items, int f, const double *x, double *out);

/*
 * A bound on |topn_dot(x, y) - any other floating-point evaluation of x.y| for every item y
 * with |y| <= y_norm_max.
 */
double		topn_error_bound(const double *x, int f, double y_norm_max);

/*
 * The top n by canonical score (as topn_select over topn_scores, self = -1), given approximate
 * scores approx[] (e.g. from dgemm) within eps of them: only the items whose approximate score
 * is within 2 eps of the n-th best are rescored.  scratch, cand: n_items entries each.
 */
int			topn_select_exact(const double *approx, double eps, const double *Y, int f, const double *x,
							  int32_t n_items, const int32_t *skip, int64_t n_skip, int n,
							  double *scratch, int32_t *cand, int32_t *out_idx, double *out_score);

#endif

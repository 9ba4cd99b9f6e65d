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

#endif

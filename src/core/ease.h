/*
 * ease.h -- EASE, the closed-form item x item model of Steck (2019, "Embarrassingly Shallow
 * Autoencoders for Sparse Data"), pure C (no PostgreSQL header).
 *
 *     G = X'X (X: the binary user x item matrix, one for every stored pair),
 *     P = (G + lambda I)^-1,   B = I - P diag(1/diag P),   B_ii = 0,
 *     scores of user u = x_u B (the sum of the B rows of the user's items).
 *
 * The Gram matrix is accumulated from the CSR (users with many items through dsyrk on dense
 * blocks, the others pair by pair, in a fixed order), the inverse by Cholesky (LAPACK dpotrf /
 * dpotri).  ease_choose_lambda picks lambda on a per-user holdout carved from the training
 * data (fixed seed), reusing one Gram matrix across the grid.  ease_prune keeps each row's
 * strongest m weights as float32 (what the model stores).
 */
#ifndef MKTDB_EASE_H
#define MKTDB_EASE_H

#include <stddef.h>
#include <stdint.h>

#include "core/als.h"

enum
{
	EASE_OK = 0,
	EASE_CANCELLED = 1,
	EASE_NOMEM = 2,
	EASE_NUMERIC = 3			/* G + lambda I was not positive definite */
};

/* the lambda grid of ease_choose_lambda (documented in the README) */
#define EASE_GRID_COARSE 4		/* 10, 100, 1000, 1e4 */
#define EASE_GRID_MAX (EASE_GRID_COARSE + 2)

/* Bytes of the n x n double work space ease_fit needs (two matrices: G and P). */
double		ease_work_bytes(int64_t n_items);

/*
 * G (n x n row-major, full symmetric) = X'X of the binary matrix of ui's rows whose entry in
 * row_keep is non-zero (row_keep NULL: every row) and whose pairs are not marked in
 * pair_drop (NULL: none).  Polls interrupt between blocks.
 */
int			ease_gram(const AlsCsr *ui, const uint8_t *row_keep, const uint8_t *pair_drop, double *G,
					  int (*interrupt) (void *), void *interrupt_arg);

/*
 * B (n x n row-major, a buffer distinct from G) from G and lambda: P is computed in B's
 * buffer and turned into B in place.  G is not changed.  BLAS/LAPACK use the caller's
 * OpenBLAS thread setting.
 */
int			ease_solve(const double *G, int64_t n, double lambda, double *B);

/*
 * Validation choice of lambda.  Holdout: users with >= 3 items, at most max_val_users of them
 * (a seeded sample), each with a seeded 20 % (at least 1) of its items held out.  The Gram of
 * the remaining pairs is computed once (in G) and each lambda of the grid is scored by the
 * NDCG@10 of the held-out items over every item not in the user's kept items.  Grid: 10^1 ..
 * 10^4 (EASE_GRID_COARSE points), then the two half-decades around the best.  B: n x n work.
 * lambdas / ndcg receive the points tried (*n_tried of them, at most EASE_GRID_MAX); returns
 * EASE_OK with *best set, or an error code.  When no user can be held out *n_tried is 0 and
 * *best the middle of the grid (100).
 */
int			ease_choose_lambda(const AlsCsr *ui, uint64_t seed, int max_val_users, double *G, double *B,
							   double *lambdas, double *ndcg, int *n_tried, double *best,
							   int (*interrupt) (void *), void *interrupt_arg);

/*
 * Each row j of B (n x n) keeps its m entries of largest |B_jk| (k != j; ties: lower k),
 * columns ascending: indptr[n+1], cols[n*m], vals[n*m] (float32).  Rows with fewer non-zero
 * entries keep only those.  Returns the number of entries kept (-1: out of memory).
 */
int64_t		ease_prune(const double *B, int64_t n, int m, int64_t *indptr, int32_t *cols, float *vals);

/*
 * scores[k] = sum over the items j of a user (items[0..len-1]) of the pruned row j at k;
 * scores must hold n entries and is overwritten.  The sum runs over the items in the order
 * given, so it is the same in every call.
 */
void		ease_user_scores(const int64_t *indptr, const int32_t *cols, const float *vals, int64_t n,
							 const int32_t *items, int64_t len, double *scores);

/*
 * The best k of scores[0..n-1] skipping the items in skip[] (any order) and self (-1: none),
 * equal scores broken by popularity (rank_of[item]: the item's position in popular[], the items
 * by decreasing number of users), best first.  rank_scores (n) and skip_ranks (n_skip) are
 * scratch.  Returns how many were written.
 */
int			ease_select(const double *scores, int64_t n, const int32_t *popular, const int32_t *rank_of,
						const int32_t *skip, int64_t n_skip, int32_t self, int k, double *rank_scores,
						int32_t *skip_ranks, int32_t *out_idx, double *out_score);

/*
 * Every user's best k unseen items (ease_user_scores, then ease_select skipping the user's
 * items), out[u * k + j] and their scores out_score[u * k + j], -1 / 0 padded when fewer are
 * left.  Polls interrupt every 256 users.
 */
int			ease_top_items(const AlsCsr *ui, const int64_t *indptr, const int32_t *cols, const float *vals,
						   const int32_t *popular, const int32_t *rank_of, int k, int32_t *out, double *out_score,
						   int (*interrupt) (void *), void *interrupt_arg);

#endif

/*
 * validate.h -- choosing a recommender's regularization on a validation split carved from the
 * training data, pure C.  Holdout: users with >= 3 items, at most max_users of them (a seeded
 * sample), each with a seeded 20 % (at least 1) of its items held out; a setting is scored by
 * the mean NDCG@10 of the held-out items over every item not among the user's kept items.
 * EASE (core/ease.c) scores its lambda grid on one Gram matrix; ALS (here) fits the grid on the
 * kept pairs with warm starts and a few iterations per point.
 */
#ifndef MKTDB_VALIDATE_H
#define MKTDB_VALIDATE_H

#include <stdint.h>

#include "core/als.h"

/* Marks the held-out pairs in pair_drop (nnz, zeroed by the caller) and lists the validation
 * users in val_users (n_rows entries of room); returns their number. */
int64_t		holdout_carve(const AlsCsr *ui, uint64_t seed, int64_t max_users, uint8_t *pair_drop,
						  int64_t *val_users);

/* scores[0..n_cols-1] of user u given its kept items (ascending) */
typedef void (*HoldoutScoreFn) (int64_t u, const int32_t *kept, int64_t n_kept, double *scores, void *arg);

/* Mean NDCG@10 of the held-out items (scores, kept: n_cols entries of scratch). */
double		holdout_ndcg(const AlsCsr *ui, const int64_t *val_users, int64_t n_val, const uint8_t *pair_drop,
						 HoldoutScoreFn fn, void *arg, double *scores, int32_t *kept);

/* the ALS grid (regularization, strongest first) and the iterations each point adds */
#define ALS_VAL_GRID 5
#define ALS_VAL_ITERATIONS 3
extern const double als_val_grid[ALS_VAL_GRID];

/*
 * ALS regularization chosen on the holdout: p's other settings, the grid above fitted from
 * p->seed's initial factors with warm starts (ALS_VAL_ITERATIONS per point, so the whole grid
 * costs about one fit of 15 iterations).  X, Y: work buffers of the full sizes.  ndcg[] gets each
 * point's score; returns ALS_OK with *best set (the middle of the grid when nobody can be held
 * out), or an ALS error code.
 */
int			als_choose_regularization(const AlsCsr *ui, const AlsParams *p, int64_t max_users, double *X,
									  double *Y, double *ndcg, double *best, char *err, size_t errlen);

#endif

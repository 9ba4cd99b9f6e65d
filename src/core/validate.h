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

/*
 * The ALS grid: three (alpha, regularization, frequency_scaling) points, alpha x {5, 20, 100}
 * (alpha as given) with regularization = {20, 5, 5} x that alpha and frequency scaling {1, 1, 0}
 * (or the exponent given, at every point).  The penalty has to grow with the confidence it
 * balances, but less than proportionally: a hindsight scan (doc/recommendations.md) found the
 * best points along that ridge -- planted data and Complete Journey near (5, 100), the
 * Zipf-skewed set at (20, 100) with frequency scaling (0.997 of EASE, against 0.888 at (5, 100);
 * (20, 400) falls to popularity there), msweb at (100, 500) without it (0.931, against 0.895
 * with it; its validation score ranks it first, as the test split does); (1, 20) was below
 * (5, 100) on every set.  Each point is fitted from the seed's initial factors for 8 iterations
 * (with 5, the half-fitted models favoured (20, 100) on three sets where (5, 100) is better; warm
 * starts across points misled the same way), so the grid costs about 1.6 fits of 15 iterations.
 * alpha 0 collapses the grid to regularization 0 (then only that point).
 */
#define ALS_VAL_GRID 3
#define ALS_VAL_ITERATIONS 8
extern const double als_val_alpha[ALS_VAL_GRID];
extern const double als_val_ratio[ALS_VAL_GRID];
extern const double als_val_freq[ALS_VAL_GRID];

/*
 * ALS regularization, alpha and (choose_freq) frequency-scaling exponent chosen on the holdout:
 * p's other settings (p->reg_exponent at every point unless choose_freq), each point of the grid
 * above fitted from p->seed's initial factors.  X, Y: work buffers of the full sizes.
 * regs / alphas / freqs / ndcg get each point (*n_tried of them); returns ALS_OK with the best_*
 * set (the grid's first point when nobody can be held out), or an ALS error code.
 */
int			als_choose_regularization(const AlsCsr *ui, const AlsParams *p, int choose_freq, int64_t max_users,
									  double *X, double *Y, double *regs, double *alphas, double *freqs,
									  double *ndcg, int *n_tried, double *best_reg, double *best_alpha,
									  double *best_freq, char *err, size_t errlen);

#endif

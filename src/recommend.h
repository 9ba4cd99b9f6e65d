/*
 * recommend.h -- what the recommender's glue files share: id key sets, the prepared training
 * matrix, the decoded model and the model format (recommend_model.c), used by training
 * (recommend_train.c) and the reading functions (recommend_read.c).
 */
#ifndef MKTDB_RECOMMEND_H
#define MKTDB_RECOMMEND_H

#include "mktdb.h"

#include "core/als.h"

#define REC_LAYOUT 3
#define REC_MAX_PRECOMPUTE 1000
#define REC_KEY_BIGINT 0
#define REC_KEY_TEXT 1
#define REC_MAX_FACTORS 1024
#define REC_MAX_IDS ((int64) INT_MAX)

#define REC_METHOD_ALS 0
#define REC_METHOD_EASE 1

/* Key sets: a side's distinct ids, in sorted order (bigint or text) */
typedef struct KeySet
{
	int			type;			/* REC_KEY_BIGINT / REC_KEY_TEXT */
	int64		n;
	int64	   *ikeys;			/* bigint: n keys ascending */
	int64	   *off;			/* text: n+1 offsets into blob */
	char	   *blob;			/* text: concatenated keys */
} KeySet;

static inline int
text_cmp(const char *a, int64 alen, const char *b, int64 blen)
{
	int			c = memcmp(a, b, Min(alen, blen));

	if (c != 0)
		return c;
	return alen < blen ? -1 : (alen > blen ? 1 : 0);
}


int64		keys_find_int(const KeySet *k, int64 key);
int64		keys_find_text(const KeySet *k, const char *s, int64 len);
bool		parse_int64(const char *s, int64 len, int64 *out);
int64		keys_lookup_text(const KeySet *k, const char *s, int64 len);
int64		keys_lookup_int(const KeySet *k, int64 v);
Datum		key_text_datum(const KeySet *k, int64 idx);

/* The training matrix: sorted id sets, the user x item CSR and its transpose. */
typedef struct Prepared
{
	KeySet		users;
	KeySet		items;
	AlsCsr		ui;
	AlsCsr		iu;
	int64		duplicates;		/* rows merged into an earlier (user, item) pair */
	int64		zero_pairs;		/* pairs whose summed weight is 0: not interactions */
	int64		rare_items;		/* items with fewer than min_buyers users, left out */
	int64		rare_pairs;		/* their pairs */
	int64		users_only_rare;	/* users left without a pair by that rule */
} Prepared;

/* What a trained model holds besides the ids and the seen pairs. */
typedef struct RecFit
{
	int			method;			/* REC_METHOD_* */
	int			min_buyers;
	/* ALS */
	int			f;
	const double *X;
	const double *Y;
	int			top_k;
	const int32 *top;
	const double *top_score;	/* EASE: the scores of the precomputed lists */
	/* EASE: B pruned to each row's strongest weights (CSR, float32) */
	const int64 *b_indptr;
	const int32 *b_cols;
	const float *b_vals;
} RecFit;

typedef struct ReadStats
{
	int64		rows_read;
	int64		null_user;
	int64		null_item;
	int64		null_weight;
} ReadStats;

void		read_training_data(const char *source, const char *user_col, const char *item_col,
							   const char *weight_col, int min_buyers, MemoryContext work, Prepared *pr,
							   ReadStats *st);

void		rec_popularity(const Prepared *pr, int32 *popular, int64 *users_per_item);
bytea	   *serialize_model(const Prepared *pr, const RecFit *fit);

/* The decoded model, kept in the per-backend cache. */
typedef struct RecModel
{
	MemoryContext cxt;			/* the cache entry's context: for lazily built parts */
	int			method;			/* REC_METHOD_*; models before layout 3 are ALS */
	int			min_buyers;		/* 1 before layout 3 */
	int			f;
	int64		n_users;
	int64		n_items;
	KeySet		users;
	KeySet		items;
	double	   *X;
	double	   *Y;
	int64	   *indptr;
	int32	   *indices;
	int32	   *popular;
	double	   *pop_share;		/* users per item / n_users */
	double	   *item_norm;		/* |y_i|, for cosine similarity */
	int64	   *item_ints;		/* text item ids as bigint (built on first use) */
	int			item_ints_state;	/* 0 unknown, 1 built, -1 not all integers */
	int			top_k;			/* precomputed best unseen items per user (0: none) */
	int32	   *top;			/* n_users x top_k, -1 padded */
	double	   *top_scores;		/* EASE: their scores (ALS rescores them canonically) */
	int64	   *b_indptr;		/* EASE: n_items + 1 */
	int32	   *b_cols;
	float	   *b_vals;
	int32	   *rank_of;		/* EASE: item -> position in popular (ties broken by popularity) */
	/* scratch for online calls, reused (a backend runs one call at a time) */
	double	   *scores;
	int32	   *top_idx;
	double	   *top_score;
	double	   *rank_scores;	/* EASE: scores in popularity order */
	int32	   *skip_ranks;		/* EASE: a user's items as popularity ranks, sorted */
} RecModel;

void	   *decode_model(bytea *blob, MemoryContext cxt);

#endif

/*
 * rfm.h -- RFM scoring in pure C (no PostgreSQL headers): the per-customer
 * hash table the glue aggregates orders into, the tie-aware quantile scores
 * and their thresholds, scoring a value against stored thresholds, and the
 * R x FM segment grid.  Reading orders and the numeric format live in
 * src/rfm_sql.c.
 */
#ifndef MKTDB_CORE_RFM_H
#define MKTDB_CORE_RFM_H

#include <stddef.h>
#include <stdint.h>

#define RFM_MIN_BINS 2
#define RFM_MAX_BINS 100
#define RFM_N_SEGMENTS 11

/* ---------- per-customer accumulators ---------- */

/*
 * A 128-bit integer that needs only 8-byte alignment: allocators (palloc)
 * guarantee no more, and the compiler would otherwise use aligned 16-byte moves
 * (PostgreSQL's own int128 does the same).
 */
typedef __int128 rfm_i128 __attribute__((aligned(8)));

/*
 * One customer.  The key is the customer id itself (integer ids) or a hash of
 * its bytes, kept at key_off in the byte arena (other ids).  sum is the exact
 * monetary sum, as an integer count of 1e-16 units (RFM_SCALE) or, once the
 * glue switched to arbitrary precision, a pointer it owns.
 */
typedef struct RfmSlot
{
	union
	{
		rfm_i128	fixed;
		void	   *ptr;
	}			sum;
	uint64_t	key;
	int64_t		count;			/* rows; 0 marks a free slot */
	int64_t		key_off;		/* byte keys: offset in the arena */
	int32_t		key_len;
	int32_t		last_day;		/* newest order, days since 2000-01-01 */
} RfmSlot;

/* allocator callbacks: zeroed memory, never NULL (they may not return) */
typedef void *(*RfmAllocFn) (void *ctx, size_t size);
typedef void (*RfmFreeFn) (void *ctx, void *p);

typedef struct RfmTable
{
	RfmSlot    *slots;
	uint64_t	cap;			/* power of two */
	uint64_t	used;
	int			byte_keys;
	char	   *arena;			/* byte keys, back to back */
	int64_t		arena_len;
	int64_t		arena_cap;
	RfmAllocFn	alloc;
	RfmFreeFn	free;
	void	   *ctx;
} RfmTable;

void		rfm_table_init(RfmTable *t, int byte_keys, RfmAllocFn alloc, RfmFreeFn free_fn, void *ctx);
/*
 * The slot of a customer, created with count 0 and a zero sum when new; the caller
 * adds the row (count >= 1) before the next call, since count 0 marks a free slot.
 * A slot pointer stays valid until the next call.
 */
RfmSlot    *rfm_table_int(RfmTable *t, int64_t key);
RfmSlot    *rfm_table_bytes(RfmTable *t, const char *p, int32_t len);
/* Starts loading the slot an integer key hashes to: batches of lookups then overlap their cache misses. */
void		rfm_table_prefetch_int(const RfmTable *t, int64_t key);
void		rfm_table_free(RfmTable *t);

#define RFM_SCALE_DIGITS 16		/* fixed-point sums count units of 1e-16 */

/* Correctly rounded double of fixed / 10^RFM_SCALE_DIGITS. */
double		rfm_fixed_to_double(__int128 fixed);
/* Decimal text of fixed / 10^RFM_SCALE_DIGITS without trailing zeros; buf holds >= 64 bytes. */
char	   *rfm_fixed_to_text(__int128 fixed, char *buf);

/* ---------- scores ---------- */

/* Exact comparison of items i and j (negative, 0, positive), for keys that a double cannot hold exactly. */
typedef int (*RfmCmpFn) (void *arg, int64_t i, int64_t j);

/*
 * Scores n items ascending by value: score_i = ceil(bins * #{j : v_j <= v_i} / n), so
 * that equal values share a score.  key[i] is v_i as a double, non-decreasing in v (a
 * correctly rounded conversion is); cmp, when not NULL, orders items whose keys are
 * equal exactly.  Writes score[i] and, for s = 2..bins, boundary[s-2] = an item holding
 * the smallest value whose score is >= s (the thresholds of the model).
 * work holds rfm_rank_work_size(n) bytes.  Returns 0, or -1 when n or bins is out of range.
 */
size_t		rfm_rank_work_size(int64_t n);
int			rfm_rank(int64_t n, const double *key, RfmCmpFn cmp, void *arg, int bins,
					 int32_t *score, int64_t *boundary, void *work);

/*
 * The score of a value against thresholds thr[0..bins-2] (thr[s-2] = smallest value
 * scoring >= s): 1 + the number of thresholds the value reaches.  For recency, where
 * fewer days score higher, pass the negated values.  Equals the training score for
 * every training value; a value between two training values scores as the next lower
 * training value; below all of them 1, above all of them bins.
 */
int			rfm_score_int(int64_t v, const int64_t *thr, int bins);
int			rfm_score_f64(double v, const double *thr, int bins);

/* ---------- segments ---------- */

/* A score on 1..bins placed on the 1..5 scale of the grid (the middle of its quantile band). */
int			rfm_to5(int score, int bins);
/* round((f + m) / 2.0), halves away from zero as PostgreSQL's numeric round does */
int			rfm_fm(int f, int m);
/* Segment number 0..10 of r and fm on the 1..5 scale, or -1 when out of range. */
int			rfm_grid(int r5, int fm5);
/* The segment of scores on 1..bins (rescaled to 1..5 first), or NULL when out of range. */
const char *rfm_segment(int r, int f, int m, int bins);
const char *rfm_segment_name(int seg);	/* 0..10 */

#endif

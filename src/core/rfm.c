/*
 * rfm.c -- RFM scoring in pure C: the per-customer hash table, exact fixed-point
 * sums, tie-aware quantile scores with their thresholds (one radix sort per
 * measure instead of three window sorts), scoring against stored thresholds,
 * and the R x FM segment grid.  See rfm.h for the contracts.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* qsort_r */
#endif
#include "core/rfm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------- hash table ---------- */

static uint64_t
mix64(uint64_t x)
{
	/* splitmix64 finalizer: consecutive ids spread over the table */
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

static uint64_t
hash_bytes64(const char *p, int32_t len)
{
	uint64_t	h = UINT64_C(0xcbf29ce484222325) ^ (uint64_t) len;

	for (int32_t i = 0; i < len; i++)
		h = (h ^ (unsigned char) p[i]) * UINT64_C(0x100000001b3);
	return mix64(h);
}

void
rfm_table_init(RfmTable *t, int byte_keys, RfmAllocFn alloc, RfmFreeFn free_fn, void *ctx)
{
	memset(t, 0, sizeof(*t));
	t->byte_keys = byte_keys;
	t->alloc = alloc;
	t->free = free_fn;
	t->ctx = ctx;
	t->cap = 1024;
	t->slots = alloc(ctx, t->cap * sizeof(RfmSlot));
}

void
rfm_table_free(RfmTable *t)
{
	if (t->slots)
		t->free(t->ctx, t->slots);
	if (t->arena)
		t->free(t->ctx, t->arena);
	t->slots = NULL;
	t->arena = NULL;
}

static uint64_t
slot_hash(const RfmTable *t, const RfmSlot *s)
{
	return t->byte_keys ? s->key : mix64(s->key);
}

static void
grow(RfmTable *t)
{
	uint64_t	ncap = t->cap * 2;
	RfmSlot    *ns = t->alloc(t->ctx, ncap * sizeof(RfmSlot));

	for (uint64_t i = 0; i < t->cap; i++)
	{
		RfmSlot    *s = &t->slots[i];
		uint64_t	h;

		if (s->count == 0)
			continue;
		h = slot_hash(t, s) & (ncap - 1);
		while (ns[h].count != 0)
			h = (h + 1) & (ncap - 1);
		ns[h] = *s;
	}
	t->free(t->ctx, t->slots);
	t->slots = ns;
	t->cap = ncap;
}

RfmSlot *
rfm_table_int(RfmTable *t, int64_t key)
{
	uint64_t	mask = t->cap - 1;
	uint64_t	h = mix64((uint64_t) key) & mask;

	for (;;)
	{
		RfmSlot    *s = &t->slots[h];

		if (s->count == 0)
			break;
		if (s->key == (uint64_t) key)
			return s;
		h = (h + 1) & mask;
	}
	if ((t->used + 1) * 10 > t->cap * 7)
	{
		grow(t);
		return rfm_table_int(t, key);
	}
	t->used++;
	t->slots[h].key = (uint64_t) key;
	t->slots[h].key_off = -1;
	return &t->slots[h];
}

void
rfm_table_prefetch_int(const RfmTable *t, int64_t key)
{
	__builtin_prefetch(&t->slots[mix64((uint64_t) key) & (t->cap - 1)], 1);
}

RfmSlot *
rfm_table_bytes(RfmTable *t, const char *p, int32_t len)
{
	uint64_t	hv = hash_bytes64(p, len);
	uint64_t	mask = t->cap - 1;
	uint64_t	h = hv & mask;

	for (;;)
	{
		RfmSlot    *s = &t->slots[h];

		if (s->count == 0)
			break;
		if (s->key == hv && s->key_len == len && memcmp(t->arena + s->key_off, p, len) == 0)
			return s;
		h = (h + 1) & mask;
	}
	if ((t->used + 1) * 10 > t->cap * 7)
	{
		grow(t);
		return rfm_table_bytes(t, p, len);
	}
	if (t->arena_len + len > t->arena_cap)
	{
		int64_t		ncap = t->arena_cap ? t->arena_cap * 2 : 65536;
		char	   *na;

		while (ncap < t->arena_len + len)
			ncap *= 2;
		na = t->alloc(t->ctx, (size_t) ncap);
		if (t->arena_len)
			memcpy(na, t->arena, (size_t) t->arena_len);
		if (t->arena)
			t->free(t->ctx, t->arena);
		t->arena = na;
		t->arena_cap = ncap;
	}
	memcpy(t->arena + t->arena_len, p, len);
	t->used++;
	t->slots[h].key = hv;
	t->slots[h].key_off = t->arena_len;
	t->slots[h].key_len = len;
	t->arena_len += len;
	return &t->slots[h];
}

/* ---------- fixed-point sums ---------- */

char *
rfm_fixed_to_text(__int128 fixed, char *buf)
{
	unsigned __int128 u = fixed < 0 ? -(unsigned __int128) fixed : (unsigned __int128) fixed;
	char		tmp[64];
	int			n = 0;
	int			len;
	char	   *o = buf;

	do
	{
		tmp[n++] = (char) ('0' + (int) (u % 10));
		u /= 10;
	} while (u != 0);
	while (n <= RFM_SCALE_DIGITS)	/* at least one digit before the point */
		tmp[n++] = '0';
	if (fixed < 0)
		*o++ = '-';
	for (int i = n - 1; i >= RFM_SCALE_DIGITS; i--)
		*o++ = tmp[i];
	/* fraction without trailing zeros */
	len = 0;
	for (int i = 0; i < RFM_SCALE_DIGITS; i++)
		if (tmp[i] != '0')
		{
			len = RFM_SCALE_DIGITS - i;
			break;
		}
	if (len > 0)
	{
		*o++ = '.';
		for (int i = RFM_SCALE_DIGITS - 1; i >= RFM_SCALE_DIGITS - len; i--)
			*o++ = tmp[i];
	}
	*o = '\0';
	return buf;
}

double
rfm_fixed_to_double(__int128 fixed)
{
	static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16};
	__int128	m = fixed;
	int			s = RFM_SCALE_DIGITS;
	char		buf[64];

	while (s > 0 && m % 10 == 0)
	{
		m /= 10;
		s--;
	}

	/*
	 * Both operands exact in a double: one IEEE division rounds correctly.
	 * Otherwise let strtod round the decimal text correctly.
	 */
	if (m > -((__int128) 1 << 53) && m < ((__int128) 1 << 53))
		return (double) (int64_t) m / p10[s];
	return strtod(rfm_fixed_to_text(fixed, buf), NULL);
}

/* ---------- scores ---------- */

size_t
rfm_rank_work_size(int64_t n)
{
	return (size_t) n * (2 * sizeof(uint64_t) + 2 * sizeof(uint32_t));
}

/* a double as an unsigned integer with the same order (-0 and +0 made equal) */
static uint64_t
sortable(double d)
{
	uint64_t	b;

	if (d == 0)
		d = 0;
	memcpy(&b, &d, sizeof(b));
	return (b & UINT64_C(0x8000000000000000)) ? ~b : b | UINT64_C(0x8000000000000000);
}

typedef struct CmpCtx
{
	RfmCmpFn	cmp;
	void	   *arg;
} CmpCtx;

static int
cmp_idx(const void *a, const void *b, void *c)
{
	const CmpCtx *cc = c;
	uint32_t	i = *(const uint32_t *) a;
	uint32_t	j = *(const uint32_t *) b;
	int			r = cc->cmp(cc->arg, i, j);

	return r != 0 ? r : (i > j) - (i < j);
}

int
rfm_rank(int64_t n, const double *key, RfmCmpFn cmp, void *arg, int bins,
		 int32_t *score, int64_t *boundary, void *work)
{
	uint64_t   *k = work;
	uint64_t   *k2 = k + n;
	uint32_t   *ix = (uint32_t *) (k2 + n);
	uint32_t   *ix2 = ix + n;
	size_t		hist[8][256];
	int			next_s = 2;
	int64_t		i;

	if (n < 1 || n > (int64_t) UINT32_MAX || bins < RFM_MIN_BINS || bins > RFM_MAX_BINS)
		return -1;

	/* LSD radix sort of (key, item) by the key's 8 bytes; passes where every key agrees are skipped */
	memset(hist, 0, sizeof(hist));
	for (i = 0; i < n; i++)
	{
		k[i] = sortable(key[i]);
		ix[i] = (uint32_t) i;
		for (int b = 0; b < 8; b++)
			hist[b][(k[i] >> (8 * b)) & 0xff]++;
	}
	for (int b = 0; b < 8; b++)
	{
		size_t		pos[256];
		size_t		acc = 0;
		int			trivial = 0;

		for (int v = 0; v < 256; v++)
		{
			if (hist[b][v] == (size_t) n)
				trivial = 1;
			pos[v] = acc;
			acc += hist[b][v];
		}
		if (trivial)
			continue;
		for (i = 0; i < n; i++)
		{
			size_t		p = pos[(k[i] >> (8 * b)) & 0xff]++;

			k2[p] = k[i];
			ix2[p] = ix[i];
		}
		{
			uint64_t   *tk = k;
			uint32_t   *ti = ix;

			k = k2;
			k2 = tk;
			ix = ix2;
			ix2 = ti;
		}
	}

	/* walk runs of equal keys; split them into exact tie groups with cmp */
	i = 0;
	while (i < n)
	{
		int64_t		run_end = i + 1;

		while (run_end < n && k[run_end] == k[i])
			run_end++;
		if (cmp != NULL && run_end - i > 1)
		{
			CmpCtx		cc = {cmp, arg};

			qsort_r(ix + i, (size_t) (run_end - i), sizeof(uint32_t), cmp_idx, &cc);
		}
		while (i < run_end)
		{
			int64_t		g_end = i + 1;
			int32_t		sc;

			if (cmp != NULL)
				while (g_end < run_end && cmp(arg, ix[i], ix[g_end]) == 0)
					g_end++;
			else
				g_end = run_end;
			/* ceil(bins * g_end / n) in integers: exact at every boundary */
			sc = (int32_t) (((int64_t) bins * g_end + n - 1) / n);
			for (int64_t j = i; j < g_end; j++)
				score[ix[j]] = sc;
			while (next_s <= sc && next_s <= bins)
				boundary[(next_s++) - 2] = ix[i];
			i = g_end;
		}
	}
	return 0;
}

int
rfm_score_int(int64_t v, const int64_t *thr, int bins)
{
	int			s = 1;

	for (int b = 0; b < bins - 1; b++)
		if (v >= thr[b])
			s++;
	return s;
}

int
rfm_score_f64(double v, const double *thr, int bins)
{
	int			s = 1;

	for (int b = 0; b < bins - 1; b++)
		if (v >= thr[b])
			s++;
	return s;
}

/* ---------- segments ---------- */

static const char *const segment_names[RFM_N_SEGMENTS] = {
	"Champions", "Loyal Customers", "Potential Loyalist", "New Customers", "Promising",
	"Need Attention", "About To Sleep", "At Risk", "Can't Lose Them", "Hibernating", "Lost"
};

enum
{
	CH, LC, PL, NC, PR, NA, AS, AR, CL, HI, LO
};

/*
 * The R x FM grid (README "RFM scoring"): the widely reproduced ten-segment map
 * (R 1-2: Hibernating / At Risk / Can't Lose; R 3: About To Sleep / Need
 * Attention / Loyal; R 4: Promising / Potential Loyalist / Loyal; R 5: New
 * Customers / Potential Loyalist / Champions) with its Hibernating block split
 * by recency: the oldest band (R = 1) is Lost.  Rows r = 1..5, columns fm = 1..5.
 */
static const signed char grid[5][5] = {
	{LO, LO, AR, AR, CL},
	{HI, HI, AR, AR, CL},
	{AS, AS, NA, LC, LC},
	{PR, PL, PL, LC, LC},
	{NC, PL, PL, CH, CH},
};

int
rfm_to5(int score, int bins)
{
	if (bins == 5)
		return score;
	/* ceil(5 * (score - 1/2) / bins): the middle of the band, on the 1..5 scale */
	return (10 * score - 5 + 2 * bins - 1) / (2 * bins);
}

int
rfm_fm(int f, int m)
{
	return (f + m + 1) / 2;
}

int
rfm_grid(int r5, int fm5)
{
	if (r5 < 1 || r5 > 5 || fm5 < 1 || fm5 > 5)
		return -1;
	return grid[r5 - 1][fm5 - 1];
}

const char *
rfm_segment_name(int seg)
{
	return seg >= 0 && seg < RFM_N_SEGMENTS ? segment_names[seg] : NULL;
}

const char *
rfm_segment(int r, int f, int m, int bins)
{
	if (bins < RFM_MIN_BINS || bins > RFM_MAX_BINS || r < 1 || r > bins || f < 1 || f > bins ||
		m < 1 || m > bins)
		return NULL;
	return rfm_segment_name(rfm_grid(rfm_to5(r, bins), rfm_fm(rfm_to5(f, bins), rfm_to5(m, bins))));
}

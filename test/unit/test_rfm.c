/* test_rfm.c -- unit tests of src/core/rfm.c: hash table, fixed point, scores, thresholds, grid. */
#include <stdlib.h>
#include <string.h>

#include "core/rfm.h"
#include "unit.h"

static void *
t_alloc(void *ctx, size_t n)
{
	return calloc(1, n);
}

static void
t_free(void *ctx, void *p)
{
	free(p);
}

/* brute force: ceil(bins * #{j: v_j <= v_i} / n) */
static int
brute_score(const double *v, int n, int i, int bins)
{
	int			le = 0;

	for (int j = 0; j < n; j++)
		le += v[j] <= v[i];
	return (int) (((long long) bins * le + n - 1) / n);
}

static unsigned
lcg(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 8) & 0xffffff;
}

static __int128 *exact_vals;

static int
cmp_exact(void *arg, int64_t i, int64_t j)
{
	return (exact_vals[i] > exact_vals[j]) - (exact_vals[i] < exact_vals[j]);
}

static void
test_rank_random(void)
{
	unsigned	seed = 7;
	int			bad = 0,
				bad_thr = 0;

	for (int trial = 0; trial < 200; trial++)
	{
		int			n = 1 + (int) (lcg(&seed) % 60);
		int			bins = 2 + (int) (lcg(&seed) % 9);
		int			range = 1 + (int) (lcg(&seed) % 12);	/* small ranges: many ties */
		double	   *v = malloc(n * sizeof(double));
		int32_t    *sc = malloc(n * sizeof(int32_t));
		int64_t		bnd[RFM_MAX_BINS];
		void	   *work = malloc(rfm_rank_work_size(n));
		double		thr[RFM_MAX_BINS];

		for (int i = 0; i < n; i++)
			v[i] = (double) (int) (lcg(&seed) % range) - range / 2;
		if (rfm_rank(n, v, NULL, NULL, bins, sc, bnd, work) != 0)
			bad++;
		for (int i = 0; i < n; i++)
			if (sc[i] != brute_score(v, n, i, bins))
				bad++;
		for (int s = 0; s < bins - 1; s++)
			thr[s] = v[bnd[s]];
		/* every training value scores the same against the thresholds; values in between as the next lower one */
		for (int i = 0; i < n; i++)
		{
			double		below = -1e300;
			int			sb = 1;

			if (rfm_score_f64(v[i], thr, bins) != sc[i])
				bad_thr++;
			for (int j = 0; j < n; j++)
				if (v[j] < v[i] + 0.5 && v[j] > below)
				{
					below = v[j];
					sb = sc[j];
				}
			if (rfm_score_f64(v[i] + 0.5, thr, bins) != sb)
				bad_thr++;
		}
		/* below every value: 1; above every value: bins */
		if (rfm_score_f64(-1e9, thr, bins) != 1 || rfm_score_f64(1e9, thr, bins) != bins)
			bad_thr++;
		free(v);
		free(sc);
		free(work);
	}
	CHECK(bad == 0, "rfm_rank equals ceil(bins * #(v <= v_i) / n) on 200 random tied samples (%d wrong)", bad);
	CHECK(bad_thr == 0, "scoring against the thresholds reproduces every training score and the between/outside rule (%d wrong)", bad_thr);
}

static void
test_rank_edges(void)
{
	double		one[1] = {42};
	double		same[6] = {3, 3, 3, 3, 3, 3};
	double		tied[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 2};
	int32_t		sc[10];
	int64_t		bnd[RFM_MAX_BINS];
	void	   *work = malloc(rfm_rank_work_size(10));
	int			ok;

	ok = rfm_rank(1, one, NULL, NULL, 5, sc, bnd, work) == 0 && sc[0] == 5;
	CHECK(ok, "a single customer scores bins (5)");
	ok = rfm_rank(6, same, NULL, NULL, 5, sc, bnd, work) == 0;
	for (int i = 0; i < 6; i++)
		ok = ok && sc[i] == 5;
	for (int s = 0; s < 4; s++)
		ok = ok && same[bnd[s]] == 3;
	CHECK(ok, "all-equal customers all score bins, every threshold is their value");
	ok = rfm_rank(10, tied, NULL, NULL, 5, sc, bnd, work) == 0 && sc[0] == 5 && sc[9] == 5;
	ok = ok && rfm_rank(10, tied, NULL, NULL, 10, sc, bnd, work) == 0 && sc[0] == 9 && sc[9] == 10;
	CHECK(ok, "a tie group takes the score of its last member (9 of 10 tied: 5/5 and 9/10)");
	CHECK(rfm_rank(0, one, NULL, NULL, 5, sc, bnd, work) == -1 && rfm_rank(1, one, NULL, NULL, 1, sc, bnd, work) == -1 &&
		  rfm_rank(1, one, NULL, NULL, 101, sc, bnd, work) == -1, "rfm_rank refuses n = 0 and bins outside 2..100");
	{
		double		neg[4] = {-0.0, 0.0, -1, 1};

		ok = rfm_rank(4, neg, NULL, NULL, 4, sc, bnd, work) == 0 && sc[0] == 3 && sc[1] == 3 && sc[2] == 1 && sc[3] == 4;
		CHECK(ok, "-0 and +0 tie; negative values rank low");
	}
	free(work);
}

static void
test_rank_exact(void)
{
	/* equal doubles, different exact values: the comparator splits them */
	double		key[4] = {0.3, 0.3, 0.3, 0.1};
	__int128	ex[4] = {3000000000000000, 3000000000000001, 3000000000000000, 1000000000000000};
	int32_t		sc[4];
	int64_t		bnd[3];
	void	   *work = malloc(rfm_rank_work_size(4));
	int			ok;

	exact_vals = ex;
	ok = rfm_rank(4, key, cmp_exact, NULL, 4, sc, bnd, work) == 0;
	CHECK(ok && sc[3] == 1 && sc[0] == 3 && sc[2] == 3 && sc[1] == 4,
		  "exact comparator: ties only between exactly equal sums (%d %d %d %d)", sc[0], sc[1], sc[2], sc[3]);
	CHECK(ok && ex[bnd[2]] == ex[1] && ex[bnd[1]] == ex[0] && ex[bnd[0]] == ex[0],
		  "thresholds are the smallest exact value of each score");
	free(work);
}

static void
test_fixed(void)
{
	char		buf[64];
	__int128	p16 = (__int128) 10000000000000000LL;
	__int128	a = p16 / 10 + p16 / 5;	/* 0.1 + 0.2 exactly */

	CHECK(strcmp(rfm_fixed_to_text(a, buf), "0.3") == 0, "0.1 + 0.2 = 0.3 exactly (%s)", buf);
	CHECK(rfm_fixed_to_double(a) == 0.3, "fixed 0.3 converts to the double 0.3");
	CHECK(strcmp(rfm_fixed_to_text(-(p16 * 12345 + p16 / 100 * 67), buf), "-12345.67") == 0, "negative text (%s)", buf);
	CHECK(rfm_fixed_to_double(-(p16 * 12345 + p16 / 100 * 67)) == -12345.67, "-12345.67 converts correctly rounded");
	CHECK(strcmp(rfm_fixed_to_text(0, buf), "0") == 0 && strcmp(rfm_fixed_to_text(p16 * 7, buf), "7") == 0,
		  "integers print without a point");
	CHECK(strcmp(rfm_fixed_to_text(1, buf), "0.0000000000000001") == 0, "smallest unit (%s)", buf);
	{
		/* 123456789012345678.9 needs strtod: more than 53 bits of mantissa */
		__int128	big = p16 * (__int128) 123456789012345678LL + p16 / 10 * 9;

		CHECK(rfm_fixed_to_double(big) == 123456789012345678.9, "large sums round correctly via text");
	}
}

static void
test_table(void)
{
	RfmTable	t;
	int			ok = 1;
	char		key[32];

	rfm_table_init(&t, 0, t_alloc, t_free, NULL);
	for (int64_t i = 0; i < 100000; i++)
	{
		RfmSlot    *s = rfm_table_int(&t, (i * 7919) % 50000 - 25000);

		s->count++;
	}
	for (int64_t k = -25000; k < 25000; k++)
	{
		RfmSlot    *s = rfm_table_int(&t, k);

		ok = ok && s->count == 2;
	}
	CHECK(ok && t.used == 50000, "integer keys: 50000 customers, 2 rows each, through growth");
	rfm_table_free(&t);

	ok = 1;
	rfm_table_init(&t, 1, t_alloc, t_free, NULL);
	for (int i = 0; i < 30000; i++)
	{
		int			len = snprintf(key, sizeof(key), "cust-%d", i % 10000);
		RfmSlot    *s = rfm_table_bytes(&t, key, len);

		s->count++;
	}
	for (int i = 0; i < 10000; i++)
	{
		int			len = snprintf(key, sizeof(key), "cust-%d", i);
		RfmSlot    *s = rfm_table_bytes(&t, key, len);

		ok = ok && s->count == 3 && memcmp(t.arena + s->key_off, key, len) == 0;
	}
	{
		RfmSlot    *s = rfm_table_bytes(&t, "", 0);

		ok = ok && s->count == 0;
		s->count = 1;
		ok = ok && rfm_table_bytes(&t, "", 0)->count == 1;
	}
	CHECK(ok && t.used == 10001, "text keys: found again with their bytes; the empty id is a customer too");
	rfm_table_free(&t);
}

static void
test_grid(void)
{
	int			seen[RFM_N_SEGMENTS] = {0};
	int			ok = 1;
	int			reach = 0;

	for (int r = 1; r <= 5; r++)
		for (int fm = 1; fm <= 5; fm++)
		{
			int			g = rfm_grid(r, fm);

			ok = ok && g >= 0 && g < RFM_N_SEGMENTS;
			if (g >= 0 && g < RFM_N_SEGMENTS)
				seen[g]++;
		}
	for (int g = 0; g < RFM_N_SEGMENTS; g++)
		reach += seen[g] > 0;
	CHECK(ok && reach == RFM_N_SEGMENTS, "every one of the 25 cells names a segment and all 11 segments are reachable");
	CHECK(rfm_grid(0, 3) == -1 && rfm_grid(3, 6) == -1, "cells outside 1..5 have no segment");
	CHECK(strcmp(rfm_segment(5, 5, 5, 5), "Champions") == 0 && strcmp(rfm_segment(1, 1, 1, 5), "Lost") == 0 &&
		  strcmp(rfm_segment(1, 5, 5, 5), "Can't Lose Them") == 0 && strcmp(rfm_segment(5, 1, 1, 5), "New Customers") == 0,
		  "corner cells: 555 Champions, 111 Lost, 155 Can't Lose Them, 511 New Customers");
	CHECK(rfm_fm(3, 4) == 4 && rfm_fm(1, 2) == 2 && rfm_fm(4, 5) == 5 && rfm_fm(2, 2) == 2,
		  "fm = round((f + m) / 2.0) rounds halves up");
	ok = 1;
	for (int s = 1; s <= 5; s++)
		ok = ok && rfm_to5(s, 5) == s;
	CHECK(ok, "bins = 5 is not rescaled");
	ok = rfm_to5(1, 2) == 2 && rfm_to5(2, 2) == 4 && rfm_to5(1, 3) == 1 && rfm_to5(2, 3) == 3 && rfm_to5(3, 3) == 5;
	for (int b = 2; b <= RFM_MAX_BINS; b++)
		for (int s = 1; s <= b; s++)
			ok = ok && rfm_to5(s, b) >= 1 && rfm_to5(s, b) <= 5 && (s == 1 || rfm_to5(s, b) >= rfm_to5(s - 1, b));
	ok = ok && rfm_to5(1, 10) == 1 && rfm_to5(10, 10) == 5 && rfm_to5(5, 10) == 3 && rfm_to5(100, 100) == 5;
	CHECK(ok, "other bins map the middle of each band onto 1..5, monotonically");
	CHECK(rfm_segment(0, 1, 1, 5) == NULL && rfm_segment(6, 1, 1, 5) == NULL && rfm_segment(1, 1, 1, 1) == NULL,
		  "out-of-range scores have no segment");
}

int
main(void)
{
	PLAN(25);
	test_rank_random();
	test_rank_edges();
	test_rank_exact();
	test_fixed();
	test_table();
	test_grid();
	UNIT_EXIT();
}

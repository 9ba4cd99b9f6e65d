/* unit.h -- a tiny test harness: CHECK(cond, name) prints "ok - name" or "not ok - name". */
#ifndef MKTDB_UNIT_H
#define MKTDB_UNIT_H
#include <math.h>
#include <stdio.h>

static int	unit_failed;

#define CHECK(cond, ...) do { \
	if (cond) { printf("ok - "); } else { printf("not ok - "); unit_failed++; } \
	printf(__VA_ARGS__); printf("\n"); \
} while (0)

#define CHECK_NEAR(a, b, tol, ...) do { \
	double a_ = (a), b_ = (b); \
	int ok_ = fabs(a_ - b_) <= (tol); \
	if (ok_) printf("ok - "); else { printf("not ok - "); unit_failed++; } \
	printf(__VA_ARGS__); if (!ok_) printf(" (got %.10g, want %.10g)", a_, b_); printf("\n"); \
} while (0)

#define UNIT_EXIT() return unit_failed ? 1 : 0
#endif

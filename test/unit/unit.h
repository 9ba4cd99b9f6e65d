/*
 * unit.h -- a tiny TAP harness.  Every test binary starts with PLAN(n), the number of
 * results it will print ("1..n"); CHECK(cond, name) prints "ok - name" or "not ok - name";
 * SKIP(name, why) prints "ok - name # SKIP why" (counted as skipped, never as passed).
 * test/run.sh fails a binary that exits non-zero, dies by a signal, or prints fewer
 * results than its plan.
 */
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

#define PLAN(n) do { printf("1..%d\n", (int) (n)); fflush(stdout); } while (0)

#define SKIP(name, why) printf("ok - %s # SKIP %s\n", (name), (why))

#define UNIT_EXIT() return unit_failed ? 1 : 0
#endif

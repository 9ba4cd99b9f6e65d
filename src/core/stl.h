/*
 * stl.h -- R's stats::stl(x, s.window) without robustness iterations (stl.c), for the
 * seasonal-strength test of automatic ARIMA (forecast::seas.heuristic).
 */
#ifndef MKTDB_STL_H
#define MKTDB_STL_H

#include <stddef.h>

/* doubles of work space stl_decompose() needs */
size_t		stl_work_doubles(int n, int period);

/*
 * Decomposes x[0..n-1] (no missing values) with period >= 2 and n > 2 period as R's
 * stl(x, s.window = s_window) with its default windows (s.degree 0, t/l degree 1, inner 2,
 * outer 0).  Writes seasonal and trend (n each); returns 0, or -1 when the series is too short.
 */
int			stl_decompose(const double *x, int n, int period, int s_window, double *seasonal,
						  double *trend, double *work);

#endif

/*
 * stl.c -- Seasonal-trend decomposition by loess (Cleveland et al. 1990), the inner loop of
 * R's stats::stl (its Fortran stlstp/stlss/stless/stlest/stlfts/stlma), without robustness
 * iterations: what forecast::seas.heuristic needs to decide seasonal differencing.  Pure C,
 * caller's work space.  Indexes are 1-based inside (pointer minus one), as the original, so
 * the window arithmetic reads the same.
 */
#include "stl.h"

#include <math.h>
#include <string.h>

/* loess estimate at xs from y[nleft..nright] (1-based); returns 0 when all weights vanish */
static int
est(const double *y, int n, int len, int ideg, double xs, double *ys, int nleft, int nright,
	double *w)
{
	double		range = (double) n - 1.0,
				h,
				h1,
				h9,
				a = 0.0;

	h = fmax(xs - (double) nleft, (double) nright - xs);
	if (len > n)
		h += (double) ((len - n) / 2);
	h9 = 0.999 * h;
	h1 = 0.001 * h;
	for (int j = nleft; j <= nright; j++)
	{
		double		r = fabs((double) j - xs);

		if (r <= h9)
		{
			if (r <= h1)
				w[j] = 1.0;
			else
			{
				double		u = r / h;

				u = 1.0 - u * u * u;
				w[j] = u * u * u;
			}
			a += w[j];
		}
		else
			w[j] = 0.0;
	}
	if (a <= 0.0)
		return 0;
	for (int j = nleft; j <= nright; j++)
		w[j] /= a;
	if (h > 0.0 && ideg > 0)
	{
		double		b,
					c = 0.0;

		a = 0.0;
		for (int j = nleft; j <= nright; j++)
			a += w[j] * (double) j;
		b = xs - a;
		for (int j = nleft; j <= nright; j++)
			c += w[j] * ((double) j - a) * ((double) j - a);
		if (sqrt(c) > 0.001 * range)
		{
			b /= c;
			for (int j = nleft; j <= nright; j++)
				w[j] *= b * ((double) j - a) + 1.0;
		}
	}
	{
		double		s = 0.0;

		for (int j = nleft; j <= nright; j++)
			s += w[j] * y[j];
		*ys = s;
	}
	return 1;
}

/* loess smooth of y[1..n] into ys[1..n], evaluated every njump points and interpolated */
static void
ess(const double *y, int n, int len, int ideg, int njump, double *ys, double *res)
{
	int			newnj,
				nleft = 0,
				nright = 0,
				nsh,
				k;

	if (n < 2)
	{
		ys[1] = y[1];
		return;
	}
	newnj = njump < n - 1 ? njump : n - 1;
	if (len >= n)
	{
		nleft = 1;
		nright = n;
		for (int i = 1; i <= n; i += newnj)
			if (!est(y, n, len, ideg, (double) i, &ys[i], nleft, nright, res))
				ys[i] = y[i];
	}
	else if (newnj == 1)
	{
		nsh = (len + 1) / 2;
		nleft = 1;
		nright = len;
		for (int i = 1; i <= n; i++)
		{
			if (i > nsh && nright != n)
			{
				nleft++;
				nright++;
			}
			if (!est(y, n, len, ideg, (double) i, &ys[i], nleft, nright, res))
				ys[i] = y[i];
		}
	}
	else
	{
		nsh = (len + 1) / 2;
		for (int i = 1; i <= n; i += newnj)
		{
			if (i < nsh)
			{
				nleft = 1;
				nright = len;
			}
			else if (i >= n - nsh + 1)
			{
				nleft = n - len + 1;
				nright = n;
			}
			else
			{
				nleft = i - nsh + 1;
				nright = len + i - nsh;
			}
			if (!est(y, n, len, ideg, (double) i, &ys[i], nleft, nright, res))
				ys[i] = y[i];
		}
	}
	if (newnj != 1)
	{
		for (int i = 1; i <= n - newnj; i += newnj)
		{
			double		delta = (ys[i + newnj] - ys[i]) / (double) newnj;

			for (int j = i + 1; j <= i + newnj - 1; j++)
				ys[j] = ys[i] + delta * (double) (j - i);
		}
		k = ((n - 1) / newnj) * newnj + 1;
		if (k != n)
		{
			if (!est(y, n, len, ideg, (double) n, &ys[n], nleft, nright, res))
				ys[n] = y[n];
			if (k != n - 1)
			{
				double		delta = (ys[n] - ys[k]) / (double) (n - k);

				for (int j = k + 1; j <= n - 1; j++)
					ys[j] = ys[k] + delta * (double) (j - k);
			}
		}
	}
}

/* moving average of length len: ave[1..n-len+1] */
static void
ma(const double *x, int n, int len, double *ave)
{
	int			newn = n - len + 1;
	double		flen = (double) len,
				v = 0.0;

	for (int i = 1; i <= len; i++)
		v += x[i];
	ave[1] = v / flen;
	if (newn > 1)
	{
		int			k = len,
					m = 0;

		for (int j = 2; j <= newn; j++)
		{
			k++;
			m++;
			v = v - x[m] + x[k];
			ave[j] = v / flen;
		}
	}
}

static void
fts(const double *x, int n, int np, double *trend, double *work)
{
	ma(x, n, np, trend);
	ma(trend, n - np + 1, np, work);
	ma(work, n - 2 * np + 2, 3, trend);
}

/* cycle-subseries smoothing: season[1..n+2np] */
static void
ss(const double *y, int n, int np, int ns, int isdeg, int nsjump, double *season, double *work1,
   double *work2, double *work3, double *work4)
{
	(void) work3;
	for (int j = 1; j <= np; j++)
	{
		int			k = (n - j) / np + 1,
					nright,
					nleft;

		for (int i = 1; i <= k; i++)
			work1[i] = y[(i - 1) * np + j];
		ess(work1, k, ns, isdeg, nsjump, work2 + 1, work4);
		nright = ns < k ? ns : k;
		if (!est(work1, k, ns, isdeg, 0.0, &work2[1], 1, nright, work4))
			work2[1] = work2[2];
		nleft = 1 > k - ns + 1 ? 1 : k - ns + 1;
		if (!est(work1, k, ns, isdeg, (double) (k + 1), &work2[k + 2], nleft, k, work4))
			work2[k + 2] = work2[k + 1];
		for (int m = 1; m <= k + 2; m++)
			season[(m - 1) * np + j] = work2[m];
	}
}

size_t
stl_work_doubles(int n, int np)
{
	return (size_t) 5 * (n + 2 * (size_t) (np < 2 ? 2 : np)) + 8;
}

static int
odd_at_least3(int v)
{
	if (v < 3)
		v = 3;
	return (v % 2 == 0) ? v + 1 : v;
}

int
stl_decompose(const double *x, int n, int period, int s_window, double *seasonal, double *trend,
			  double *work)
{
	int			np = period < 2 ? 2 : period;
	int			ns = odd_at_least3(s_window);
	int			nt,
				nl,
				nsjump,
				ntjump,
				nljump;
	size_t		ldw = (size_t) n + 2 * np;
	double	   *w1 = work - 1,
			   *w2 = work + ldw - 1,
			   *w3 = work + 2 * ldw - 1,
			   *w4 = work + 3 * ldw - 1,
			   *w5 = work + 4 * ldw - 1;
	const double *y = x - 1;
	double	   *sea = seasonal - 1,
			   *tr = trend - 1;

	if (n <= 2 * period || period < 2)
		return -1;
	/* R's stl(): t.window = nextodd(ceiling(1.5 period / (1 - 1.5 / s.window))), l.window = nextodd(period) */
	nt = odd_at_least3((int) ceil(1.5 * period / (1.0 - 1.5 / s_window)));
	nl = odd_at_least3(period);
	nsjump = (int) ceil(s_window / 10.0);
	ntjump = (int) ceil(nt / 10.0);
	nljump = (int) ceil(nl / 10.0);
	for (int i = 1; i <= n; i++)
		tr[i] = 0.0;
	/* inner = 2 iterations of stlstp, no robustness weights (robust = FALSE) */
	for (int it = 0; it < 2; it++)
	{
		for (int i = 1; i <= n; i++)
			w1[i] = y[i] - tr[i];
		/* s.degree 0, t.degree = l.degree = 1 */
		ss(w1, n, np, ns, 0, nsjump, w2, w3, w4, w5, sea);
		fts(w2, n + 2 * np, np, w3, w1);
		ess(w3, n, nl, 1, nljump, w1, w5);
		for (int i = 1; i <= n; i++)
			sea[i] = w2[np + i] - w1[i];
		for (int i = 1; i <= n; i++)
			w1[i] = y[i] - sea[i];
		ess(w1, n, nt, 1, ntjump, tr, w3);
	}
	return 0;
}

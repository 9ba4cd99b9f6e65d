/*
 * hyp2f1.c -- Gauss's hypergeometric function 2F1(a, b; c; z) on -1 <= z < 1.
 *
 * The models of core/clv_lik.c produce 0 <= z < 1 (Fader & Hardie choose the branch of the
 * Pareto/NBD expressions whose argument is below 1), so the work is the power series
 * sum (a)_n (b)_n / ((c)_n n!) z^n, summed until a bound on the tail is below 1e-17 of
 * the sum.  The series slows down as z approaches 1; above 0.9 the 1 - z connection
 * formula (Abramowitz & Stegun 15.3.6) gives two series in 1 - z < 0.1 instead, unless
 * c - a - b is within 1e-3 of an integer (where that formula's two terms cancel); then
 * the direct series is summed to the end (at most 2e7 terms, i.e. z up to about
 * 1 - 2e-6).  When the connection formula fails (the arguments BG/NBD produces when its
 * beta mixing collapses, a, b ~ 1e5 and more, overflow its gamma ratios) the direct
 * series is tried with 5,000 terms: there its terms fall fast.  For z < -0.5 Pfaff's transformation maps z to z / (z - 1) in (1/3, 1/2].
 */
#include "hyp2f1.h"

#include <math.h>

#define TAIL_TOL 1e-17

/* the direct series; returns 0 or -1 when maxn terms were not enough */
static int
series(double a, double b, double c, double z, long maxn, double *f)
{
	double		t = 1.0,
				s = 1.0;

	for (long n = 0; n < maxn; n++)
	{
		double		ratio;
		double		rho;

		t *= (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
		s += t;
		if (t == 0.0)
		{
			*f = s;
			return 0;
		}
		/* later ratios lie between this one and |z|: a geometric bound of the tail */
		ratio = fabs((a + n + 1) * (b + n + 1) / ((c + n + 1) * (n + 2.0)) * z);
		rho = ratio > fabs(z) ? ratio : fabs(z);
		if (rho < 1.0 && fabs(t) * rho / (1.0 - rho) <= TAIL_TOL * fabs(s))
		{
			*f = s;
			return isfinite(s) ? 0 : -1;
		}
	}
	return -1;
}

/* 1 / Gamma(x) as sign * exp(lr); sign 0 at the poles of Gamma (where 1/Gamma is 0) */
static double
rgamma_log(double x, int *sign)
{
	if (x <= 0 && x == floor(x))
	{
		*sign = 0;
		return 0.0;
	}
	{
		int			sg;
		double		l = lgamma_r(x, &sg);

		*sign = sg;
		return -l;
	}
}

/* A & S 15.3.6: the two series in 1 - z; c - a - b must not be an integer */
static int
connection(double a, double b, double c, double z, double *f)
{
	double		d = c - a - b;
	double		w = 1.0 - z;
	double		f1,
				f2;
	int			sc,
				sd,
				smd,
				sca,
				scb,
				sa,
				sb;
	double		lc = -rgamma_log(c, &sc);	/* log|Gamma(c)| */
	double		ld = -rgamma_log(d, &sd);
	double		lmd = -rgamma_log(-d, &smd);
	double		rca = rgamma_log(c - a, &sca);
	double		rcb = rgamma_log(c - b, &scb);
	double		ra = rgamma_log(a, &sa);
	double		rb = rgamma_log(b, &sb);
	double		t1 = 0.0,
				t2 = 0.0;

	if (sca != 0 && scb != 0)
	{
		if (series(a, b, 1.0 - d, w, 100000, &f1) != 0)
			return -1;
		t1 = sc * sd * sca * scb * exp(lc + ld + rca + rcb) * f1;
	}
	if (sa != 0 && sb != 0)
	{
		if (series(c - a, c - b, d + 1.0, w, 100000, &f2) != 0)
			return -1;
		t2 = sc * smd * sa * sb * exp(lc + lmd + ra + rb + d * log(w)) * f2;
	}
	*f = t1 + t2;
	return isfinite(*f) ? 0 : -1;
}

int
hyp2f1(double a, double b, double c, double z, double *f)
{
	double		d;

	if (!isfinite(a) || !isfinite(b) || !isfinite(c) || !isfinite(z) || z < -1.0 || z >= 1.0)
		return -1;
	if (c <= 0 && c == floor(c))
		return -1;
	if (z == 0.0 || a == 0.0 || b == 0.0)
	{
		*f = 1.0;
		return 0;
	}
	if (z < -0.5)
	{
		/* Pfaff: 2F1(a, b; c; z) = (1 - z)^-a 2F1(a, c - b; c; z / (z - 1)) */
		double		g;

		if (series(a, c - b, c, z / (z - 1.0), 100000, &g) != 0)
			return -1;
		*f = pow(1.0 - z, -a) * g;
		return isfinite(*f) ? 0 : -1;
	}
	if (z <= 0.9)
		return series(a, b, c, z, 100000, f);
	d = c - a - b;
	if (fabs(d - nearbyint(d)) > 1e-3 && connection(a, b, c, z, f) == 0)
		return 0;
	/* with b / c or a / c small the direct series' terms fall fast even near 1 */
	if (series(a, b, c, z, 5000, f) == 0)
		return 0;
	if (fabs(d - nearbyint(d)) > 1e-3)
		return -1;
	return series(a, b, c, z, 20000000L, f);
}

/*
 * dist.c -- distributions to full double precision (see dist.h).  Incomplete beta and
 * gamma by their continued fractions (modified Lentz) or series, with the prefactor
 * x^a y^b / B(a, b) taken in logs from an lbeta that keeps its digits for large
 * arguments (Stirling corrections, as R's lbeta); quantiles by safeguarded Newton on
 * the CDFs; the noncentral t and zeroin follow R's nmath and stats sources step by
 * step, because power.t.test's n is defined by them.
 */
#include "core/dist.h"

#include <float.h>
#include <math.h>

#define LN_SQRT_2PI 0.918938533204672741780329736406
#define LN_SQRT_PI	0.572364942924700087071713675677
#define SQRT_2dPI	0.797884560802865355879892119869
#define CF_MAXIT	200000
#define TINY		1e-300

/* lgamma(x) - Stirling's formula, for x >= 10: the tail of the Stirling series */
static double
lgammacor(double x)
{
	static const double c[] = {
		1.0 / 12, -1.0 / 360, 1.0 / 1260, -1.0 / 1680, 1.0 / 1188,
		-691.0 / 360360, 1.0 / 156, -3617.0 / 122400
	};
	double		x2 = 1.0 / (x * x),
				s = 0,
				p = 1.0 / x;

	for (int k = 0; k < 8; k++)
	{
		s += c[k] * p;
		p *= x2;
	}
	return s;
}

double
mk_lbeta(double a, double b)
{
	double		p = fmin(a, b),
				q = fmax(a, b);

	if (isnan(a) || isnan(b) || p < 0)
		return NAN;
	if (p == 0)
		return INFINITY;
	if (isinf(q))
		return -INFINITY;
	if (p >= 10)
	{
		double		corr = lgammacor(p) + lgammacor(q) - lgammacor(p + q);

		return -0.5 * log(q) + LN_SQRT_2PI + corr + (p - 0.5) * log(p / (p + q)) +
			q * log1p(-p / (p + q));
	}
	if (q >= 10)
	{
		double		corr = lgammacor(q) - lgammacor(p + q);

		return lgamma(p) + corr + p - p * log(p + q) + (q - 0.5) * log1p(-p / (p + q));
	}
	return lgamma(p) + lgamma(q) - lgamma(p + q);
}

/* modified Lentz: a denominator that vanishes is replaced by a tiny number */
static inline double
tiny_guard(double v)
{
	return fabs(v) < TINY ? TINY : v;
}

/* continued fraction of I_x(a, b) (without its prefactor); converges for x < (a+1)/(a+b+2) */
static double
betacf(double a, double b, double x, double y)
{
	double		qab = a + b,
				qap = a + 1,
				qam = a - 1,
				c = 1,
				d = (1 - b + qab * y) / qap,	/* 1 - (a+b)x/(a+1) without cancellation */
				h;

	d = 1 / tiny_guard(d);
	h = d;
	for (int m = 1; m <= CF_MAXIT; m++)
	{
		int			m2 = 2 * m;
		double		aa = m * (b - m) * x / ((qam + m2) * (a + m2)),
					del;

		d = 1 / tiny_guard(1 + aa * d);
		c = tiny_guard(1 + aa / c);
		h *= d * c;
		aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
		d = 1 / tiny_guard(1 + aa * d);
		c = tiny_guard(1 + aa / c);
		del = d * c;
		h *= del;
		if (fabs(del - 1) <= DBL_EPSILON)
			break;
	}
	return h;
}

/*
 * The same continued fraction in the form of DiDonato & Morris (1992, TOMS 708, bfrac):
 * lambda = (a+b)y - b is formed from y, so that x close to 1 with a large a (Student t
 * with many degrees of freedom) loses no digits to 1 - (a+b)x/(a+1).  Returns I_x(a, b)
 * divided by its prefactor x^a y^b / B(a, b).
 */
static double
bfrac(double a, double b, double x, double y)
{
	double		lambda = (a + b) * y - b,
				c = lambda + 1.,
				c0 = b / a,
				c1 = 1. / a + 1.,
				yp1 = y + 1.,
				n = 0.,
				p = 1.,
				s = a + 1.,
				an = 0.,
				bn = 1.,
				anp1 = 1.,
				bnp1 = c / c1,
				r = c1 / c,
				r0,
				t,
				w,
				e,
				alpha,
				beta;

	do
	{
		n += 1.;
		t = n / a;
		w = n * (b - n) * x;
		e = a / s;
		alpha = p * (p + c0) * e * e * (w * x);
		e = (t + 1.) / (c1 + t + t);
		beta = n + w / s + e * (c + n * yp1);
		p = t + 1.;
		s += 2.;
		t = alpha * an + beta * anp1;
		an = anp1;
		anp1 = t;
		t = alpha * bn + beta * bnp1;
		bn = bnp1;
		bnp1 = t;
		r0 = r;
		r = anp1 / bnp1;
		if (fabs(r - r0) <= DBL_EPSILON * r)
			break;
		an /= bnp1;
		bn /= bnp1;
		anp1 = r;
		bnp1 = 1.;
	} while (n < CF_MAXIT);
	return r;
}

/* I_x(a, b) with y = 1 - x given exactly, when x < (a+1)/(a+b+2) */
static double
ibeta_lower(double x, double y, double a, double b)
{
	double		lx = x < 0.5 ? log(x) : log1p(-y),
				ly = y < 0.5 ? log(y) : log1p(-x);

	double		lpre = a * lx + b * ly - mk_lbeta(a, b);

	if (fmax((a + b) * x / (a + 1), x) <= 0.99)
	{
		/*
		 * hypergeometric series x^a y^b / (a B) sum (a+b)_k / (a+1)_k x^k: positive
		 * terms whose ratio stays below max((a+b)x/(a+1), x), here at most 0.99
		 * (small x with a large b: Student t with many degrees of freedom, where
		 * the continued fraction loses digits)
		 */
		double		term = 1,
					sum = 1;

		for (int k = 0; k < CF_MAXIT; k++)
		{
			term *= (a + b + k) * x / (a + 1 + k);
			sum += term;
			if (term <= sum * DBL_EPSILON * 0.5)
				break;
		}
		return exp(lpre - log(a)) * sum;
	}
	if (a > 1)
		return exp(lpre) * bfrac(a, b, x, y);
	return exp(lpre - log(a)) * betacf(a, b, x, y);
}

double
mk_pbeta(double x, double a, double b, int lower)
{
	double		y,
				v;

	if (isnan(x) || isnan(a) || isnan(b) || a <= 0 || b <= 0)
		return NAN;
	if (x <= 0)
		return lower ? 0 : 1;
	if (x >= 1)
		return lower ? 1 : 0;
	y = x > 0.5 ? 1 - x : 0.5 - x + 0.5;	/* exact for x >= 0.5 */
	if (x < (a + 1) / (a + b + 2))
	{
		v = ibeta_lower(x, y, a, b);
		return lower ? v : 1 - v;
	}
	v = ibeta_lower(y, x, b, a);	/* = 1 - I_x(a, b) */
	return lower ? 1 - v : v;
}

double
mk_pgamma(double x, double a, int lower)
{
	double		lpre,
				v;

	if (isnan(x) || isnan(a) || a <= 0)
		return NAN;
	if (x <= 0)
		return lower ? 0 : 1;
	if (isinf(x))
		return lower ? 1 : 0;
	lpre = -x + a * log(x) - lgamma(a);
	if (x < a + 1)
	{
		/* series: P = e^-x x^a / Gamma(a+1) * sum x^n / ((a+1)...(a+n)) */
		double		ap = a,
					del = 1 / a,
					sum = del;

		for (int n = 0; n < CF_MAXIT; n++)
		{
			ap += 1;
			del *= x / ap;
			sum += del;
			if (fabs(del) < fabs(sum) * DBL_EPSILON)
				break;
		}
		v = sum * exp(lpre);
		return lower ? v : 1 - v;
	}
	else
	{
		/* continued fraction of Q (Lentz) */
		double		b = x + 1 - a,
					c = 1 / TINY,
					d = 1 / b,
					h = d;

		for (int i = 1; i <= CF_MAXIT; i++)
		{
			double		an = -i * (i - a),
						del;

			b += 2;
			d = 1 / tiny_guard(an * d + b);
			c = tiny_guard(b + an / c);
			del = d * c;
			h *= del;
			if (fabs(del - 1) <= DBL_EPSILON)
				break;
		}
		v = exp(lpre) * h;
		return lower ? 1 - v : v;
	}
}

double
mk_pnorm(double x, int lower)
{
	if (isnan(x))
		return NAN;
	if (!lower)
		x = -x;
	return 0.5 * erfc(-x * M_SQRT1_2);
}

static double
dnorm(double x)
{
	return exp(-0.5 * x * x - LN_SQRT_2PI);
}

double
mk_qnorm(double p, int lower)
{
	double		pl,
				x,
				t;
	int			flip = 0;

	if (isnan(p) || p < 0 || p > 1)
		return NAN;
	/* pl: the smaller tail's probability, x: its (negative) quantile */
	pl = lower ? p : 1 - p;
	if (!lower && p < 0.5)
	{
		pl = p;
		flip = 1;
	}
	else if (lower && p > 0.5)
	{
		pl = 0.5 - p + 0.5;
		flip = 1;
	}
	else if (!lower)
		pl = 0.5 - p + 0.5;
	if (pl == 0)
		return flip ? INFINITY : -INFINITY;
	if (pl == 0.5)
		return 0;
	/* Abramowitz & Stegun 26.2.23 (|error| < 4.5e-4), then Halley steps */
	t = sqrt(-2 * log(pl));
	x = -(t - (2.515517 + t * (0.802853 + t * 0.010328)) /
		  (1 + t * (1.432788 + t * (0.189269 + t * 0.001308))));
	for (int it = 0; it < 50; it++)
	{
		double		r = (mk_pnorm(x, 1) - pl) / dnorm(x),
					dx = r / (1 + 0.5 * x * r);

		x -= dx;
		if (fabs(dx) <= 4 * DBL_EPSILON * fabs(x))
			break;
	}
	return flip ? -x : x;
}

double
mk_dt(double x, double df)
{
	if (isinf(df))
		return dnorm(x);
	return exp(-mk_lbeta(0.5 * df, 0.5) - 0.5 * log(df) - 0.5 * (df + 1) * log1p(x * x / df));
}

/* R's pt() (R >= 4.0 uses the incomplete beta for every df, no normal shortcut) */
double
mk_pt(double x, double n, int lower)
{
	double		val,
				nx;

	if (isnan(x) || isnan(n) || n <= 0)
		return NAN;
	if (isinf(x))
		return (x < 0) == (lower != 0) ? 0 : 1;
	if (isinf(n))
		return mk_pnorm(x, lower);
	nx = 1 + (x / n) * x;
	if (nx > 1e100)
		val = exp(-0.5 * n * (2 * log(fabs(x)) - log(n)) - mk_lbeta(0.5 * n, 0.5) - log(0.5 * n));
	else
		val = (n > x * x)
			? mk_pbeta(x * x / (n + x * x), 0.5, n / 2., 0)
			: mk_pbeta(1. / nx, n / 2., 0.5, 1);
	if (x <= 0.)
		lower = !lower;
	val /= 2.;
	return lower ? (0.5 - val + 0.5) : val;
}

/*
 * The upper-tail quantile q > 0 with upper(q) = pu < 0.5 for a decreasing upper-tail
 * function: safeguarded Newton (bisection inside a bracket) to a few ulps.
 */
typedef double (*UpperFn) (double q, double par);
typedef double (*DensFn) (double q, double par);

static double
solve_upper(UpperFn upper, DensFn dens, double par, double pu, double q, double lo)
{
	double		hi = fmax(q, 1);

	while (upper(hi, par) > pu)
	{
		lo = hi;
		hi *= 2;
		if (hi > 1e300)
			return INFINITY;
	}
	if (!(q > lo && q < hi))
		q = 0.5 * (lo + hi);
	for (int it = 0; it < 2000; it++)
	{
		double		f = upper(q, par) - pu,
					d = dens(q, par),
					nq;

		if (f == 0)
			return q;
		if (f > 0)
			lo = q;
		else
			hi = q;
		nq = (d > 0) ? q + f / d : NAN;
		if (!(nq > lo && nq < hi))
			nq = 0.5 * (lo + hi);
		if (fabs(nq - q) <= 2 * DBL_EPSILON * fabs(q) || hi - lo <= 2 * DBL_EPSILON * hi)
			return nq;
		q = nq;
	}
	return q;
}

static double
t_upper(double q, double df)
{
	return mk_pt(q, df, 0);
}

double
mk_qt(double p, double df, int lower)
{
	double		pu;
	int			neg = 0;

	if (isnan(p) || isnan(df) || p < 0 || p > 1 || df <= 0)
		return NAN;
	pu = lower ? 0.5 - p + 0.5 : p;
	if (pu > 0.5)
	{
		pu = lower ? p : 0.5 - p + 0.5;
		neg = 1;
	}
	if (pu == 0.5)
		return 0;
	if (pu == 0)
		return neg ? -INFINITY : INFINITY;
	{
		double		q = solve_upper(t_upper, mk_dt, df, pu, mk_qnorm(pu, 0), 0);

		return neg ? -q : q;
	}
}

double
mk_pchisq(double x, double df, int lower)
{
	return mk_pgamma(x / 2, df / 2, lower);
}

static double
chisq_upper(double q, double df)
{
	return mk_pchisq(q, df, 0);
}

static double
dchisq(double x, double df)
{
	double		k = df / 2;

	if (x <= 0)
		return 0;
	return exp((k - 1) * log(x / 2) - x / 2 - lgamma(k)) / 2;
}

double
mk_qchisq(double p, double df, int lower)
{
	double		pu;

	if (isnan(p) || isnan(df) || p < 0 || p > 1 || df <= 0)
		return NAN;
	pu = lower ? 0.5 - p + 0.5 : p;
	if (pu == 1)
		return 0;
	if (pu == 0)
		return INFINITY;
	return solve_upper(chisq_upper, dchisq, df, pu, df, 0);
}

/* R's pnt() (nmath/pnt.c, Lenth 1989 AS 243 with R's refinements), line by line */
double
mk_pnt(double t, double df, double ncp, int lower)
{
	double		albeta,
				a,
				b,
				del,
				errbd,
				lambda,
				rxb,
				tt,
				x;
	long double geven,
				godd,
				p,
				q,
				s,
				tnc,
				xeven,
				xodd;
	int			negdel;
	const int	itrmax = 1000;
	const double errmax = 1.e-12;

	if (isnan(t) || isnan(df) || isnan(ncp) || df <= 0.0)
		return NAN;
	if (ncp == 0.0)
		return mk_pt(t, df, lower);
	if (isinf(t))
		return (t < 0) == (lower != 0) ? 0 : 1;
	if (t >= 0.)
	{
		negdel = 0;
		tt = t;
		del = ncp;
	}
	else
	{
		if (ncp > 40 && !lower)
			return 0;
		negdel = 1;
		tt = -t;
		del = -ncp;
	}
	if (df > 4e5 || del * del > 2 * M_LN2 * (-(DBL_MIN_EXP)))
	{
		s = 1. / (4. * df);
		return mk_pnorm((double) ((tt * (1. - s) - del) / sqrt((double) (1. + tt * tt * 2. * s))),
						lower != negdel);
	}
	x = t * t;
	rxb = df / (x + df);
	x = x / (x + df);
	if (x > 0.)
	{
		lambda = del * del;
		p = .5 * exp(-.5 * lambda);
		if (p == 0.)
			return (lower != negdel) ? 0 : 1;
		q = SQRT_2dPI * p * del;
		s = .5 - p;
		if (s < 1e-7)
			s = -0.5 * expm1(-0.5 * lambda);
		a = .5;
		b = .5 * df;
		rxb = pow(rxb, b);
		albeta = LN_SQRT_PI + lgamma(b) - lgamma(.5 + b);
		xodd = mk_pbeta(x, a, b, 1);
		godd = 2. * rxb * exp(a * log(x) - albeta);
		tnc = b * x;
		xeven = (tnc < DBL_EPSILON) ? tnc : 1. - rxb;
		geven = tnc * rxb;
		tnc = p * xodd + q * xeven;
		for (int it = 1; it <= itrmax; it++)
		{
			a += 1.;
			xodd -= godd;
			xeven -= geven;
			godd *= x * (a + b - 1.) / a;
			geven *= x * (a + b - .5) / (a + .5);
			p *= lambda / (2 * it);
			q *= lambda / (2 * it + 1);
			tnc += p * xodd + q * xeven;
			s -= p;
			if (s < -1.e-10)
				goto finis;
			if (s <= 0 && it > 1)
				goto finis;
			errbd = (double) (2. * s * (xodd - godd));
			if (fabs(errbd) < errmax)
				goto finis;
		}
	}
	else
		tnc = 0.;
finis:
	tnc += mk_pnorm(-del, 1);
	lower = lower != negdel;
	{
		double		v = fmin((double) tnc, 1.);

		return lower ? v : (0.5 - v + 0.5);
	}
}

/* R's zeroin2 (src/library/stats/src/zeroin.c) */
double
mk_zeroin2(double ax, double bx, double fa, double fb, MkRootFn f, void *info,
		   double *Tol, int *Maxit)
{
	double		a,
				b,
				c,
				fc;
	double		tol;
	int			maxit;

	a = ax;
	b = bx;
	c = a;
	fc = fa;
	maxit = *Maxit + 1;
	tol = *Tol;
	if (fa == 0.0)
	{
		*Tol = 0.0;
		*Maxit = 0;
		return a;
	}
	if (fb == 0.0)
	{
		*Tol = 0.0;
		*Maxit = 0;
		return b;
	}
	while (maxit--)
	{
		double		prev_step = b - a;
		double		tol_act;
		double		p;
		double		q;
		double		new_step;

		if (fabs(fc) < fabs(fb))
		{
			a = b;
			b = c;
			c = a;
			fa = fb;
			fb = fc;
			fc = fa;
		}
		tol_act = 2 * DBL_EPSILON * fabs(b) + tol / 2;
		new_step = (c - b) / 2;
		if (fabs(new_step) <= tol_act || fb == (double) 0)
		{
			*Maxit -= maxit;
			*Tol = fabs(c - b);
			return b;
		}
		if (fabs(prev_step) >= tol_act && fabs(fa) > fabs(fb))
		{
			double		t1,
						cb,
						t2;

			cb = c - b;
			if (a == c)
			{
				t1 = fb / fa;
				p = cb * t1;
				q = 1.0 - t1;
			}
			else
			{
				q = fa / fc;
				t1 = fb / fc;
				t2 = fb / fa;
				p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0));
				q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0);
			}
			if (p > (double) 0)
				q = -q;
			else
				p = -p;
			if (p < (0.75 * cb * q - fabs(tol_act * q) / 2)
				&& p < fabs(prev_step * q / 2))
				new_step = p / q;
		}
		if (fabs(new_step) < tol_act)
			new_step = new_step > (double) 0 ? tol_act : -tol_act;
		a = b;
		fa = fb;
		b += new_step;
		fb = (*f) (b, info);
		if ((fb > 0 && fc > 0) || (fb < 0 && fc < 0))
		{
			c = a;
			fc = fa;
		}
	}
	*Tol = -1.0;
	*Maxit = -1;
	return b;
}

double
mk_uniroot_upx(MkRootFn f, void *info, double lower, double upper, double tol)
{
	double		flo = f(lower, info),
				fup = f(upper, info),
				delta;
	int			it = 0,
				maxit = 1000;

	if (isnan(flo) || isnan(fup))
		return NAN;
	/* extendInt = "upX": move lower down while f(lower) > 0, upper up while f(upper) < 0 */
	delta = 0.01 * fmax(1e-4, fabs(lower));
	while (flo > 0)
	{
		if (++it > maxit)
			return NAN;
		lower -= delta;
		flo = f(lower, info);
		delta *= 2;
	}
	delta = 0.01 * fmax(1e-4, fabs(upper));
	while (fup < 0)
	{
		if (++it > maxit)
			return NAN;
		upper += delta;
		fup = f(upper, info);
		delta *= 2;
	}
	if (isnan(flo) || isnan(fup))
		return NAN;
	{
		double		t = tol;
		int			m = maxit;
		double		r = mk_zeroin2(lower, upper, flo, fup, f, info, &t, &m);

		return m < 0 ? NAN : r;
	}
}

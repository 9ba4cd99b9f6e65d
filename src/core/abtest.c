/*
 * abtest.c -- the statistics of campaign evaluation (see abtest.h).  Each test follows
 * the R source it stands for expression by expression (stats::prop.test, t.test,
 * chisq.test, p.adjust, power.prop.test, power.t.test), so that results agree with R
 * to the last digits, not only to the formula.  Distributions are in dist.c.
 */
#include "core/abtest.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "core/dist.h"
#include "core/gk21.h"

void
mk_ab_add(double *s, double y, double x)
{
	double		n = s[MK_AB_N] + 1,
				dy = y - s[MK_AB_MEAN_Y],
				dx = x - s[MK_AB_MEAN_X];

	s[MK_AB_N] = n;
	s[MK_AB_MEAN_Y] += dy / n;
	s[MK_AB_M2_Y] += dy * (y - s[MK_AB_MEAN_Y]);
	s[MK_AB_MEAN_X] += dx / n;
	s[MK_AB_M2_X] += dx * (x - s[MK_AB_MEAN_X]);
	s[MK_AB_C_XY] += dx * (y - s[MK_AB_MEAN_Y]);
	s[MK_AB_NONBINARY] += (y != 0 && y != 1);
	s[MK_AB_SUM_Y] += y;
}

/* Chan, Golub & LeVeque (1979) pairwise update: exact in exact arithmetic, stable in floating point */
void
mk_ab_combine(double *a, const double *b)
{
	double		na = a[MK_AB_N],
				nb = b[MK_AB_N],
				n = na + nb,
				dy,
				dx,
				f;

	if (nb == 0)
		return;
	if (na == 0)
	{
		for (int i = 0; i < MK_AB_NSTATE; i++)
			a[i] = b[i];
		return;
	}
	dy = b[MK_AB_MEAN_Y] - a[MK_AB_MEAN_Y];
	dx = b[MK_AB_MEAN_X] - a[MK_AB_MEAN_X];
	f = na * nb / n;
	a[MK_AB_N] = n;
	a[MK_AB_MEAN_Y] += dy * nb / n;
	a[MK_AB_MEAN_X] += dx * nb / n;
	a[MK_AB_M2_Y] += b[MK_AB_M2_Y] + dy * dy * f;
	a[MK_AB_M2_X] += b[MK_AB_M2_X] + dx * dx * f;
	a[MK_AB_C_XY] += b[MK_AB_C_XY] + dx * dy * f;
	a[MK_AB_NONBINARY] += b[MK_AB_NONBINARY];
	a[MK_AB_SUM_Y] += b[MK_AB_SUM_Y];
}

/* prop.test, k = 2, YATES = 0: STATISTIC = sum((x - E)^2 / E) over the 2 x 2 table, column-major */
void
mk_prop_test(double xt, double nt, double xc, double nc, double alpha, MkAbCmp *r)
{
	double		x[4] = {xt, xc, nt - xt, nc - xc},
				p = (xt + xc) / (nt + nc),
				E[4] = {nt * p, nc * p, nt * (1 - p), nc * (1 - p)},
				stat = 0,
				et = xt / nt,
				ec = xc / nc,
				delta = et - ec,
				conf = 1 - alpha,
				width;

	for (int i = 0; i < 4; i++)
		stat += (fabs(x[i] - E[i])) * (fabs(x[i] - E[i])) / E[i];
	r->p_value = isnan(stat) ? NAN : mk_pchisq(stat, 1, 0);
	width = mk_qnorm((1 + conf) / 2, 1) * sqrt(et * (1 - et) / nt + ec * (1 - ec) / nc);
	r->diff = delta;
	r->ci_lo = fmax(delta - width, -1);
	r->ci_hi = fmin(delta + width, 1);
}

int
mk_welch_test(double mt, double vt, double nt, double mc, double vc, double nc,
			  double alpha, MkAbCmp *r)
{
	double		se_t,
				se_c,
				stderr_,
				df,
				tstat,
				conf = 1 - alpha,
				q;

	if (nt < 2 || nc < 2)
		return -1;
	se_t = sqrt(vt / nt);
	se_c = sqrt(vc / nc);
	stderr_ = sqrt(se_t * se_t + se_c * se_c);
	if (stderr_ < 10 * DBL_EPSILON * fmax(fabs(mt), fabs(mc)) || stderr_ == 0)
		return -2;
	df = pow(stderr_, 4) / (pow(se_t, 4) / (nt - 1) + pow(se_c, 4) / (nc - 1));
	tstat = (mt - mc) / stderr_;
	r->p_value = 2 * mk_pt(-fabs(tstat), df, 1);
	q = mk_qt(1 - (1 - conf) / 2, df, 1);
	r->diff = mt - mc;
	r->ci_lo = (tstat - q) * stderr_;
	r->ci_hi = (tstat + q) * stderr_;
	return 0;
}

double
mk_chisq_gof_p(const double *counts, const double *p, int k)
{
	double		n = 0,
				stat = 0;

	for (int i = 0; i < k; i++)
		n += counts[i];
	for (int i = 0; i < k; i++)
	{
		double		e = n * p[i];

		stat += (counts[i] - e) * (counts[i] - e) / e;
	}
	return mk_pchisq(stat, k - 1, 0);
}

typedef struct HolmItem
{
	double		p;
	int			i;
} HolmItem;

/* by p, ties in input order: R's order() is stable */
static int
holm_cmp(const void *a, const void *b)
{
	const HolmItem *x = a,
			   *y = b;

	if (x->p != y->p)
		return x->p < y->p ? -1 : 1;
	return x->i - y->i;
}

void
mk_holm(const double *p, double *adj, int k)
{
	HolmItem   *o = malloc(sizeof(HolmItem) * (k > 0 ? k : 1));
	int			m = 0;
	double		run = 0;

	for (int i = 0; i < k; i++)
		adj[i] = NAN;
	if (!o)
		return;					/* NaN everywhere: the caller reports no adjustment */
	for (int i = 0; i < k; i++)
		if (!isnan(p[i]))
		{
			o[m].p = p[i];
			o[m++].i = i;
		}
	qsort(o, m, sizeof(HolmItem), holm_cmp);
	/* pmin(1, cummax((n - i + 1) * p[o]))[ro] */
	for (int i = 0; i < m; i++)
	{
		double		v = (m - i) * o[i].p;

		run = (i == 0 || v > run) ? v : run;
		adj[o[i].i] = fmin(1, run);
	}
	free(o);
}

int
mk_cuped(double *const *states, int k, double *theta, double *mean, double *var)
{
	double		all[MK_AB_NSTATE] = {0};

	for (int i = 0; i < k; i++)
		mk_ab_combine(all, states[i]);
	if (!(all[MK_AB_M2_X] > 0))
		return -1;
	*theta = all[MK_AB_C_XY] / all[MK_AB_M2_X];
	for (int i = 0; i < k; i++)
	{
		const double *s = states[i];
		double		t = *theta;

		mean[i] = s[MK_AB_MEAN_Y] - t * (s[MK_AB_MEAN_X] - all[MK_AB_MEAN_X]);
		var[i] = s[MK_AB_N] > 1
			? fmax(0, (s[MK_AB_M2_Y] - 2 * t * s[MK_AB_C_XY] + t * t * s[MK_AB_M2_X]) / (s[MK_AB_N] - 1))
			: NAN;
	}
	return 0;
}

/* ---------- sample sizes: R's p.body, solved by uniroot(c(lower, 1e7), extendInt = "upX") ---------- */

typedef struct PowerArgs
{
	double		p1,
				p2,
				delta,
				sd,
				alpha,
				power;
} PowerArgs;

static double
prop_power_gap(double n, void *info)
{
	const PowerArgs *a = info;
	double		p1 = a->p1,
				p2 = a->p2;

	return mk_pnorm((sqrt(n) * fabs(p1 - p2) - (mk_qnorm(a->alpha / 2, 0) * sqrt((p1 + p2) * (1 - (p1 + p2) / 2)))) /
					sqrt(p1 * (1 - p1) + p2 * (1 - p2)), 1) - a->power;
}

static double
t_power_gap(double n, void *info)
{
	const PowerArgs *a = info;
	double		nu = fmax(1e-07, n - 1) * 2;

	return mk_pnt(mk_qt(a->alpha / 2, nu, 0), nu, sqrt(n / 2) * a->delta / a->sd, 0) - a->power;
}

double
mk_power_prop_n(double p1, double p2, double alpha, double power)
{
	PowerArgs	a = {p1, p2, 0, 0, alpha, power};

	return mk_uniroot_upx(prop_power_gap, &a, 1, 1e7, pow(DBL_EPSILON, 0.25));
}

double
mk_power_t_n(double delta, double sd, double alpha, double power)
{
	PowerArgs	a = {0, 0, fabs(delta), sd, alpha, power};

	return mk_uniroot_upx(t_power_gap, &a, 2, 1e7, pow(DBL_EPSILON, 0.25));
}

/* ---------- Beta posteriors ---------- */

/* integer-valued and small enough for the sum (1e9 terms take about a minute) */
static int
is_int(double v)
{
	return v == floor(v) && v <= MK_AB_BAYES_MAX_TERMS;
}

/*
 * P(Y > X), X ~ Beta(a1, b1), Y ~ Beta(a2, b2), a2 a positive integer (Evan Miller's sum):
 * sum_{i<a2} B(a1 + i, b1 + b2) / ((b2 + i) B(1 + i, b2) B(a1, b1)), added in log space
 */
static double
beta_gt_sum(double a1, double b1, double a2, double b2)
{
	double		lb = mk_lbeta(a1, b1),
				mx = -INFINITY,
				s = 0;
	long		n = (long) a2;

	/* log-sum-exp in one pass: s = sum exp(lt - mx), rescaled when a larger term arrives */
	for (long i = 0; i < n; i++)
	{
		double		lt = mk_lbeta(a1 + i, b1 + b2) - log(b2 + i) - mk_lbeta(1 + i, b2) - lb;

		if (lt > mx)
		{
			s = s * exp(mx - lt) + 1;
			mx = lt;
		}
		else
			s += exp(lt - mx);
	}
	return n > 0 ? exp(mx + log(s)) : 0;
}

/*
 * P(Y > X) without an integer parameter (a Jeffreys prior, say): the integral
 * int_0^1 f_Y(y) F_X(y) dy by globally adaptive Gauss-Kronrod (21 points), the interval
 * first cut at both distributions' mean +- up to 40 sd so that no peak is missed, the
 * interval with the largest error estimate (QUADPACK's) halved until the estimate is below
 * 1e-13 of the result (QUADPACK's estimate is pessimistic: the error is far smaller).  Returns the smaller of P and 1 - P from its own integral (F_X's upper tail for
 * 1 - P), so a probability near 0 or 1 keeps its relative digits.  Both tails of F_X come
 * from the incomplete beta (dist.c, checked against R to 1e-13).
 */
#define GK_MAXINT 3000

typedef struct
{
	double		a1, b1, a2, b2, lb2;
	int			upper;			/* integrate f_Y (1 - F_X) */
} BetaGtFn;

static double
beta_gt_f(const BetaGtFn *f, double y)
{
	double		ld = (f->a2 - 1) * log(y) + (f->b2 - 1) * log1p(-y) - f->lb2;

	return exp(ld) * mk_pbeta(y, f->a1, f->b1, !f->upper);
}

/* 21-point Kronrod estimate on [lo, hi] with QUADPACK's (qk21) error estimate in *err */
static double
gk21(const BetaGtFn *f, double lo, double hi, double *err)
{
	double		c = 0.5 * (lo + hi),
				h = 0.5 * (hi - lo),
				fv[21];

	fv[20] = beta_gt_f(f, c);
	for (int i = 0; i < 10; i++)
	{
		fv[2 * i] = beta_gt_f(f, c - h * gk21_x[i]);
		fv[2 * i + 1] = beta_gt_f(f, c + h * gk21_x[i]);
	}
	return gk21_estimate(fv, h, err);
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

static double
beta_gt_quad1(double a1, double b1, double a2, double b2, int upper)
{
	static const double cuts[] = {0, 0.5, 1, 2, 3, 5, 8, 12, 20, 40};
	enum {NCUT = sizeof(cuts) / sizeof(cuts[0])};
	BetaGtFn	f = {a1, b1, a2, b2, mk_lbeta(a2, b2), upper};
	double		pt[4 * NCUT + 2],
				lo[GK_MAXINT],
				hi[GK_MAXINT],
				val[GK_MAXINT],
				err[GK_MAXINT],
				tot = 0,
				tote = 0;
	int			np = 0,
				n = 0;

	pt[np++] = 0;
	pt[np++] = 1;
	for (int d = 0; d < 2; d++)
	{
		double		a = d ? a1 : a2,
					b = d ? b1 : b2,
					m = a / (a + b),
					sd = sqrt(a * b / ((a + b) * (a + b) * (a + b + 1)));

		for (int i = 0; i < NCUT; i++)
			for (int sg = -1; sg <= 1; sg += 2)
			{
				double		v = m + sg * cuts[i] * sd;

				if (v > 0 && v < 1 && (i > 0 || sg > 0))
					pt[np++] = v;
			}
	}
	qsort(pt, np, sizeof(double), cmp_double);
	for (int i = 0; i + 1 < np; i++)
		if (pt[i + 1] > pt[i])
		{
			lo[n] = pt[i];
			hi[n] = pt[i + 1];
			val[n] = gk21(&f, lo[n], hi[n], &err[n]);
			tot += val[n];
			tote += err[n];
			n++;
		}
	while (tote > 1e-13 * tot && n < GK_MAXINT)
	{
		int			w = 0;
		double		m;

		for (int i = 1; i < n; i++)
			if (err[i] > err[w])
				w = i;
		m = 0.5 * (lo[w] + hi[w]);
		if (!(m > lo[w] && m < hi[w]))
			break;				/* no more digits to gain from halving */
		tot -= val[w];
		tote -= err[w];
		lo[n] = m;
		hi[n] = hi[w];
		hi[w] = m;
		val[w] = gk21(&f, lo[w], hi[w], &err[w]);
		val[n] = gk21(&f, lo[n], hi[n], &err[n]);
		tot += val[w] + val[n];
		tote += err[w] + err[n];
		n++;
	}
	/* re-add: the running sum has absorbed cancellations */
	tot = 0;
	for (int i = 0; i < n; i++)
		tot += val[i];
	return tot;
}

double
mk_ab_beta_gt_quad(double a1, double b1, double a2, double b2)
{
	double		p = beta_gt_quad1(a1, b1, a2, b2, 0);

	return p <= 0.5 ? p : 1 - beta_gt_quad1(a1, b1, a2, b2, 1);
}

/* P(Y > X) by whichever exact sum applies with the fewest terms; else by quadrature */
static double
beta_gt(double a1, double b1, double a2, double b2)
{
	/* P(Y > X) = S(a1, b1, a2, b2) = P(1 - X > 1 - Y) = S(b2, a2, b1, a1) = 1 - S(a2, b2, a1, b1) = 1 - S(b1, a1, b2, a2) */
	double		best = INFINITY;
	int			form = -1;
	const double cnt[4] = {a2, b1, a1, b2};

	for (int f = 0; f < 4; f++)
		if (is_int(cnt[f]) && cnt[f] + (f >= 2 ? 0.5 : 0) < best)
		{
			best = cnt[f] + (f >= 2 ? 0.5 : 0);	/* the direct sums win ties: no 1 - s */
			form = f;
		}
	switch (form)
	{
		case 0:
			return beta_gt_sum(a1, b1, a2, b2);
		case 1:
			return beta_gt_sum(b2, a2, b1, a1);
		case 2:
			return 1 - beta_gt_sum(a2, b2, a1, b1);
		case 3:
			return 1 - beta_gt_sum(b1, a1, b2, a2);
	}
	return mk_ab_beta_gt_quad(a1, b1, a2, b2);
}

int
mk_ab_bayes(double ac, double bc, double at, double bt, double *prob, double *loss_t, double *loss_c)
{
	double		mc = ac / (ac + bc),
				mt = at / (at + bt);

	if (!is_int(at) && !is_int(bc) && !is_int(ac) && !is_int(bt) &&
		fmax(fmax(ac, bc), fmax(at, bt)) > MK_AB_BAYES_MAX_TERMS)
		return -1;
	*prob = beta_gt(ac, bc, at, bt);
	/* E[p_c 1{p_c > p_t}] = mean_c P(p_c' > p_t), p_c' ~ Beta(ac + 1, bc); likewise for p_t */
	*loss_t = fmax(0, mc * beta_gt(at, bt, ac + 1, bc) - mt * beta_gt(at + 1, bt, ac, bc));
	*loss_c = fmax(0, mt * beta_gt(ac, bc, at + 1, bt) - mc * beta_gt(ac + 1, bc, at, bt));
	return 0;
}

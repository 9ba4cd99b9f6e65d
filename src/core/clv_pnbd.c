/*
 * clv_pnbd.c -- Pareto/NBD's log-likelihood with gradient and Hessian in closed form, and
 * its limit s, beta -> infinity at s / beta = mu (every customer's dropout rate is mu).
 * Pure C.
 *
 * Per customer (Fader & Hardie's "A note on deriving the Pareto/NBD model"), with
 * k = r + x:
 *   L = Gamma(r + x) / Gamma(r) alpha^r [A + D],
 *   A = (alpha + T)^-k (beta / (beta + T))^s                         alive at T,
 *   D = s beta^s int_{t_x}^{T} (alpha + tau)^-k (beta + tau)^-(s+1) dtau     died in (t_x, T],
 * the second from mu ~ Gamma(s, beta): int mu e^(-mu tau) dG(mu) = s beta^s / (beta + tau)^(s+1).
 * In the limit the mixing distribution of mu is a point mass:
 *   A = (alpha + T)^-k e^(-mu T),   D = mu int_{t_x}^{T} (alpha + tau)^-k e^(-mu tau) dtau.
 * D is an incomplete-gamma (limit) or 2F1 (full model) form; here it is integrated in
 * u = log((alpha + tau) / (alpha + t_x)), where the factor (alpha + tau)^-k becomes
 * e^(-(k - 1) u): globally adaptive 21-point Gauss-Kronrod, the range first cut at
 * multiples of the integrand's decay length and beyond where it has fallen by e^-40, the
 * panel with the largest (QUADPACK) error estimate halved until the estimate is below
 * 1e-14 of the result.  The derivatives of log L with respect to the log-parameters come
 * from the same nodes (the integrand's derivatives are closed forms), so one pass gives
 * the value, the gradient and the Hessian, and (beta / (beta + tau))^s is taken as
 * e^(-s log1p(tau / beta)) so that large s and beta (near the limit) keep their digits.
 * The 2F1 forms in clv_lik.c remain the scoring path of the full model.
 */
#include "clv_int.h"
#include "gk21.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PN_NM 15				/* value, 4 first and 10 second derivatives */
#define PN_MAXINT 64			/* quadrature panels per customer at most */
#define PN_TOL 1e-13			/* relative error estimate to stop refining (QUADPACK floors each panel at 50 eps) */
#define PN_CUT 40.0				/* the integrand is cut where it has fallen by e^-40 */

/* one evaluation's parameters */
typedef struct PnPar
{
	int			limit;			/* 1: (r, alpha, mu), the third derivative slot is log mu */
	int			level;			/* 0 value, 1 + gradient, 2 + Hessian */
	double		r,
				al,
				s,
				be,
				mu;
	double		lc;				/* log of D's constant: log s - log beta, or log mu */
} PnPar;

/*
 * log of A's (dead = 0) or D's integrand (dead = 1) at tau, y = alpha + tau, lat = log y,
 * k = r + x; with level > 0 its derivatives q (4) and second derivatives qq (packed 10)
 * with respect to the log-parameters.
 */
static double
pn_log(const PnPar *pp, double k, double y, double lat, double tau, int dead, double *q, double *qq)
{
	double		r = pp->r,
				l;

	if (pp->limit)
		l = -k * lat - pp->mu * tau;
	else
		l = -k * lat - (pp->s + dead) * log1p(tau / pp->be);
	if (dead)
		l += pp->lc;
	if (pp->level > 0)
	{
		double		a = pp->al / y;

		q[0] = -r * lat;
		q[1] = -k * a;
		qq[UT(0, 0)] = -r * lat;
		qq[UT(0, 1)] = -r * a;
		qq[UT(1, 1)] = -k * a * (1 - a);
		qq[UT(0, 2)] = qq[UT(0, 3)] = qq[UT(1, 2)] = qq[UT(1, 3)] = 0;
		if (pp->limit)
		{
			q[2] = dead - pp->mu * tau;
			q[3] = 0;
			qq[UT(2, 2)] = -pp->mu * tau;
			qq[UT(2, 3)] = qq[UT(3, 3)] = 0;
		}
		else
		{
			double		t = tau / pp->be,
						l1p = log1p(t),
						omb = t / (1 + t);	/* 1 - beta / (beta + tau) */
			double		s = pp->s;

			q[2] = dead - s * l1p;
			q[3] = -dead + (s + dead) * omb;
			qq[UT(2, 2)] = -s * l1p;
			qq[UT(2, 3)] = s * omb;
			qq[UT(3, 3)] = -(s + dead) * omb / (1 + t);
		}
	}
	return l;
}

/* adds e^(l - M) w times (1, q, q q' + qq) to mom */
static void
pn_add(int level, double v, const double *q, const double *qq, double *mom)
{
	mom[0] += v;
	if (level > 0)
		for (int i = 0; i < 4; i++)
			mom[1 + i] += v * q[i];
	if (level > 1)
		for (int i = 0; i < 4; i++)
			for (int j = i; j < 4; j++)
				mom[5 + UT(i, j)] += v * (q[i] * q[j] + qq[UT(i, j)]);
}

/* D's integrand over u of one customer */
typedef struct PnRow
{
	const PnPar *pp;
	double		k,
				tx,
				y0,				/* alpha + t_x */
				lat0,			/* log y0 */
				M;				/* scale: every value is e^(log - M) */
} PnRow;

/* the 21-point Kronrod moments of D's integrand on [lo, hi] (added to mom), the value's error estimate */
static double
pn_gk21(const PnRow *rw, double lo, double hi, double *mom)
{
	double		c = 0.5 * (lo + hi),
				h = 0.5 * (hi - lo),
				fv[21],
				e;

	for (int i = 0; i < 21; i++)
	{
		double		u = i == 20 ? c : c + (i % 2 ? h : -h) * gk21_x[i / 2];
		double		em1 = expm1(u);
		double		q[4],
					qq[10];
		/* tau = t_x + y0 (e^u - 1); the Jacobian d tau / d u = alpha + tau = y0 e^u */
		double		l = pn_log(rw->pp, rw->k, rw->y0 + rw->y0 * em1, rw->lat0 + u, rw->tx + rw->y0 * em1, 1, q, qq)
			+ rw->lat0 + u;

		fv[i] = exp(l - rw->M);
		pn_add(rw->pp->level, (i == 20 ? gk21_wk[10] : gk21_wk[i / 2]) * h * fv[i], q, qq, mom);
	}
	(void) gk21_estimate(fv, h, &e);
	return e;
}

/*
 * log(A + D) of one customer (times in model units), with level > 0 its gradient g (4)
 * and Hessian h (packed 10) with respect to the log-parameters; la, ld (may be NULL):
 * log A and log D (-inf when t_x = T).
 */
static double
pn_row(const PnPar *pp, double x, double tx, double T, double *g, double *h, double *la, double *ld)
{
	double		k = pp->r + x;
	double		qA[4] = {0},
				qqA[10] = {0},
				mom[PN_NM] = {0};
	double		yT = pp->al + T;
	double		lA = pn_log(pp, k, yT, log(yT), T, 0, qA, qqA);
	double		M = lA;
	int			level = pp->level;

	if (tx < T)
	{
		PnRow		rw;
		double		U,
					rho,
					uend,
					lo[PN_MAXINT],
					hi[PN_MAXINT],
					err[PN_MAXINT],
					pm[PN_MAXINT][PN_NM],
					tot = 0,
					tote = 0;
		int			n = 0;
		static const double cuts[] = {2, 5, 10, 18};

		rw.pp = pp;
		rw.k = k;
		rw.tx = tx;
		rw.y0 = pp->al + tx;
		rw.lat0 = log(rw.y0);
		rw.M = 0;
		{
			double		q[4],
						qq[10];
			double		l0 = pn_log(pp, k, rw.y0, rw.lat0, tx, 1, q, qq) + rw.lat0;

			if (l0 > M)
				M = l0;
		}
		rw.M = M;
		U = log1p((T - tx) / rw.y0);
		/* a lower bound of the log-integrand's rate of fall in u */
		rho = k - 1 + (pp->limit ? pp->mu * rw.y0 : (pp->s + 1) * fmin(1.0, rw.y0 / (pp->be + tx)));
		uend = rho > 0 ? fmin(U, PN_CUT / rho) : U;
		{
			double		a = 0;

			for (int i = 0; i <= 4; i++)
			{
				double		b = i < 4 && rho > 0 ? fmin(uend, cuts[i] / rho) : uend;

				if (b > a)
				{
					lo[n] = a;
					hi[n] = b;
					n++;
					a = b;
				}
			}
		}
		for (int i = 0; i < n; i++)
		{
			memset(pm[i], 0, sizeof(pm[i]));
			err[i] = pn_gk21(&rw, lo[i], hi[i], pm[i]);
			tot += pm[i][0];
			tote += err[i];
		}
		while (n < PN_MAXINT && tote > PN_TOL * tot)
		{
			int			w = 0;
			double		mid;

			for (int i = 1; i < n; i++)
				if (err[i] > err[w])
					w = i;
			mid = 0.5 * (lo[w] + hi[w]);
			lo[n] = mid;
			hi[n] = hi[w];
			hi[w] = mid;
			memset(pm[w], 0, sizeof(pm[w]));
			memset(pm[n], 0, sizeof(pm[n]));
			err[w] = pn_gk21(&rw, lo[w], hi[w], pm[w]);
			err[n] = pn_gk21(&rw, lo[n], hi[n], pm[n]);
			n++;
			tot = tote = 0;
			for (int i = 0; i < n; i++)
			{
				tot += pm[i][0];
				tote += err[i];
			}
		}
		for (int i = 0; i < n; i++)
			for (int j = 0; j < PN_NM; j++)
				mom[j] += pm[i][j];
		if (ld)
			*ld = M + log(mom[0]);
	}
	else if (ld)
		*ld = -INFINITY;
	if (la)
		*la = lA;
	pn_add(level, exp(lA - M), qA, qqA, mom);
	if (level > 0)
		for (int i = 0; i < 4; i++)
			g[i] = mom[1 + i] / mom[0];
	if (level > 1)
		for (int i = 0; i < 4; i++)
			for (int j = i; j < 4; j++)
				h[UT(i, j)] = mom[5 + UT(i, j)] / mom[0] - g[i] * g[j];
	return M + log(mom[0]);
}

static void
pn_par(PnPar *pp, const double *p, int limit, int level)
{
	memset(pp, 0, sizeof(*pp));
	pp->limit = limit;
	pp->level = level;
	pp->r = p[0];
	pp->al = p[1];
	if (limit)
	{
		pp->mu = p[2];
		pp->lc = log(pp->mu);
	}
	else
	{
		pp->s = p[2];
		pp->be = p[3];
		pp->lc = log(pp->s) - log(pp->be);
	}
}

void
clv_pnbd_bracket(const double *p, int limit, double x, double tx, double T, double *l_alive, double *l_dead)
{
	PnPar		pp;

	pn_par(&pp, p, limit, 0);
	(void) pn_row(&pp, x, tx, T, NULL, NULL, l_alive, l_dead);
}

/* ---------- sums over customers ---------- */

typedef struct PnTables
{
	const ClvCustomers *c;
	const PnPar *pp;
	const double *C,			/* per x: lgamma(r + x) - lgamma(r) + r log alpha */
			   *G0,				/* its derivative in log r */
			   *H00;			/* and second derivative */
} PnTables;

static void
pn_rows(const void *arg, int64_t i0, int64_t i1, double *out)
{
	const PnTables *tb = arg;
	const ClvCustomers *c = tb->c;
	const PnPar *pp = tb->pp;
	double		s[PN_NM + 1] = {0};

	for (int64_t i = i0; i < i1; i++)
	{
		int32_t		x = c->x[i];
		double		w = c->w ? c->w[i] : 1.0;
		double		g[4],
					h[10];
		double		l = pn_row(pp, x, c->tx[i] / c->unit, c->T[i] / c->unit, g, h, NULL, NULL);

		s[0] += w * (tb->C[x] + l);
		if (pp->level > 0)
		{
			g[0] += tb->G0[x];
			g[1] += pp->r;
			for (int k = 0; k < 4; k++)
				s[1 + k] += w * g[k];
			/* the dispersion score's outer-product part: sum w (d l / d log mu)^2 */
			s[PN_NM] += w * g[2] * g[2];
		}
		if (pp->level > 1)
		{
			h[UT(0, 0)] += tb->H00[x];
			h[UT(0, 1)] += pp->r;
			for (int k = 0; k < 10; k++)
				s[5 + k] += w * h[k];
		}
	}
	for (int k = 0; k <= PN_NM; k++)
		out[k] += s[k];
}

double
clv_pnbd_loglik(const double *p, int limit, const ClvCustomers *c, double *grad, double *hess, double *op)
{
	PnPar		pp;
	int32_t		xmax = 0;
	double	   *C;
	double		o[PN_NM + 1],
				R1 = 0,
				R2 = 0,
				base,
				la = log(p[1]);

	for (int64_t i = 0; i < c->n; i++)
		if (c->x[i] > xmax)
			xmax = c->x[i];
	C = malloc(sizeof(double) * 3 * ((size_t) xmax + 1));
	if (C == NULL)
		return NAN;
	pn_par(&pp, p, limit, hess ? 2 : (grad || op) ? 1 : 0);
	base = -lgamma(pp.r) + pp.r * la;
	for (int32_t x = 0; x <= xmax; x++)
	{
		double		r = pp.r;

		C[x] = base + lgamma(r + x);
		C[xmax + 1 + x] = r * (R1 + la);
		C[2 * (xmax + 1) + x] = r * (R1 + la) - r * r * R2;
		R1 += 1.0 / (r + x);
		R2 += 1.0 / ((r + x) * (r + x));
	}
	{
		PnTables	tb = {c, &pp, C, C + xmax + 1, C + 2 * (xmax + 1)};

		clv_sum_rows(c->threads, c->n, pn_rows, &tb, o, PN_NM + 1);
	}
	free(C);
	if (op)
		*op = o[PN_NM];
	return clv_unpack_sums(o, grad, hess);
}

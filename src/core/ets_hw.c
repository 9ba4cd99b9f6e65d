/*
 * ets_hw.c -- what forecast::ets(y) fits on a series of 6 points or fewer (forecast 8.20).  With the
 * default model "ZZZ" ets() counts npars = 2 and, when n <= npars + 4, fits no state-space model but
 * HoltWintersZZ() twice, without season:
 *   fit1: Holt's linear trend, l0 = y[1], b0 = y[2] - y[1], (alpha, beta) in [0, 1]^2;
 *   fit2: simple exponential smoothing, l0 = y[1], alpha in [0, 1];
 * each minimising the sum of squared one-step errors (zzhw()) by L-BFGS-B from initparam()'s start
 * (alpha 0.2 / m, beta alpha / 10), and keeps fit1 when its mean squared error is smaller.  forecast.ets
 * then forecasts it as an ETS(A,A,N) / ETS(A,N,N) with sigma2 = that mean squared error (no likelihood,
 * no AICc).  The minima are found here precisely (golden section in 1-D, Nelder-Mead restarted in 2-D),
 * where R's L-BFGS-B stops at a relative reduction of 1e7 * eps: parameters agree with R's to about
 * 1e-5 (R's own answers move that much with its starting point), and where the sum of squares is flat
 * at the start (n = 2, or repeated first values) both stay at the start, as L-BFGS-B's zero gradient does.
 * Pure C, no global state.
 */
#include "ets.h"
#include "nmmin.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* zzhw() with seasonal "none" (the multiplicative branch with a season of 1) and phi 1: the sum of
 * squares, the final level and trend, the residuals (any output may be NULL) */
static double
hw_sse(const double *y, int n, int trend, double alpha, double beta, double *l_end, double *b_end, double *res)
{
	double		l = y[0],
				b = trend && n > 1 ? y[1] - y[0] : 0.0,
				sse = 0;

	if (!trend)
		beta = 0;
	for (int i = 0; i < n; i++)
	{
		double		xhat = l + b,
					e = y[i] - xhat,
					ln = alpha * y[i] + (1 - alpha) * (l + b);

		if (res)
			res[i] = e;
		sse += e * e;
		b = beta * (ln - l) + (1 - beta) * b;
		l = ln;
	}
	if (l_end)
		*l_end = l;
	if (b_end)
		*b_end = b;
	return sse;
}

/* R's optim() differences with ndeps 1e-3 (one-sided at a bound): when they show no change beyond
 * rounding, L-BFGS-B stays at its start (R returns alpha 0.2 / m on 2 points, where l1 = y[1] whatever
 * alpha is) */
static int
flat_at(const double *y, int n, int trend, const double *p)
{
	double		f0 = hw_sse(y, n, trend, p[0], p[1], NULL, NULL, NULL);

	for (int k = 0; k < 1 + trend; k++)
	{
		double		lo[2] = {p[0], p[1]},
					hi[2] = {p[0], p[1]};

		lo[k] = fmax(p[k] - 1e-3, 0);
		hi[k] = fmin(p[k] + 1e-3, 1);
		if (fabs(hw_sse(y, n, trend, hi[0], hi[1], NULL, NULL, NULL) - hw_sse(y, n, trend, lo[0], lo[1], NULL, NULL, NULL))
			> 1e-10 * f0)
			return 0;
	}
	return 1;
}

/* the minimum of f over [0, 1] by golden section (to 1e-12) */
static double
golden01(double (*f) (double, const void *), const void *ctx)
{
	double		a = 0.0,
				b = 1.0,
				g = (sqrt(5.0) - 1) / 2,
				c = b - g * (b - a),
				d = a + g * (b - a);

	for (int it = 0; it < 200 && b - a > 1e-12; it++)
	{
		if (f(c, ctx) < f(d, ctx))
			b = d;
		else
			a = c;
		c = b - g * (b - a);
		d = a + g * (b - a);
	}
	return (a + b) / 2;
}

typedef struct
{
	const double *y;
	int			n;
} HoltData;

static double
ses_of_alpha(double alpha, const void *ctx)
{
	const HoltData *d = ctx;

	return hw_sse(d->y, d->n, 0, alpha, 0, NULL, NULL, NULL);
}

static double
holt_of_beta(double beta, const void *ctx)		/* at alpha 1e-8 */
{
	const HoltData *d = ctx;

	return hw_sse(d->y, d->n, 1, 1e-8, beta, NULL, NULL, NULL);
}

double
ets_hw_ses_alpha(const double *y, int n, int m)
{
	double		start[2] = {0.2 / (m > 0 ? m : 1), 0};
	HoltData	d = {y, n};

	if (flat_at(y, n, 0, start))
		return start[0];
	return golden01(ses_of_alpha, &d);
}

static double
holt_target(int np, const double *p, void *ex)
{
	const HoltData *d = ex;

	(void) np;
	if (p[0] < 0 || p[0] > 1 || p[1] < 0 || p[1] > 1)
		return INFINITY;
	return hw_sse(d->y, d->n, 1, p[0], p[1], NULL, NULL, NULL);
}

/* Nelder-Mead from p, restarted until a restart gains nothing (it can stall on a bound); the sum */
static double
holt_nm(const HoltData *d, double *p)
{
	double		f,
				prev = INFINITY;

	for (int r = 0; r < 20; r++)
	{
		if (nm_minimize(2, p, &f, holt_target, (void *) d, -INFINITY, 1e-15, 1.0, 0.5, 2.0, 5000, NULL) < 0 || !(f < prev))
			break;
		prev = f;
	}
	return prev;
}

/* the gradient of the sum of squares at q by central differences, kept within [0, 1]^2 */
static void
holt_grad(const HoltData *d, const double *q, double *gr)
{
	for (int k = 0; k < 2; k++)
	{
		double		a[2] = {q[0], q[1]},
					b[2] = {q[0], q[1]};

		a[k] = fmin(1, q[k] + 1e-6);
		b[k] = fmax(0, q[k] - 1e-6);
		gr[k] = (holt_target(2, a, (void *) d) - holt_target(2, b, (void *) d)) / (a[k] - b[k]);
	}
}

/* projected steepest descent in [0, 1]^2 (central differences, backtracking) into the start's basin */
static void
holt_descend(const HoltData *d, double *q)
{
	double		f = holt_target(2, q, (void *) d);

	/* L-BFGS-B's first iteration (B = I): towards the projection of q - g onto the box, a step of at
	 * most unit length, shortened until the sum of squares falls enough */
	if (isfinite(f))
	{
		double		gr[2],
					dd[2],
					dn,
					stp;

		holt_grad(d, q, gr);
		for (int k = 0; k < 2; k++)
			dd[k] = fmin(1, fmax(0, q[k] - gr[k])) - q[k];
		dn = hypot(dd[0], dd[1]);
		for (stp = dn > 0 ? fmin(1 / dn, 1) : 0; stp > 1e-10; stp /= 2)
		{
			double		r[2] = {q[0] + stp * dd[0], q[1] + stp * dd[1]},
						fr = holt_target(2, r, (void *) d);

			if (fr <= f + 1e-3 * stp * (gr[0] * dd[0] + gr[1] * dd[1]))
			{
				q[0] = r[0];
				q[1] = r[1];
				f = fr;
				break;
			}
		}
	}
	for (int it = 0; it < 1000 && isfinite(f); it++)
	{
		double		gr[2],
					t,
					gn;
		int			moved = 0;

		holt_grad(d, q, gr);
		gn = hypot(gr[0], gr[1]);
		if (!(gn > 0))
			break;
		for (t = 1 / gn; t > 1e-14; t /= 2)
		{
			double		r[2] = {fmin(1, fmax(0, q[0] - t * gr[0])), fmin(1, fmax(0, q[1] - t * gr[1]))},
						fr = holt_target(2, r, (void *) d);

			if (fr < f - 1e-4 * (gr[0] * (q[0] - r[0]) + gr[1] * (q[1] - r[1])))
			{
				moved = fabs(r[0] - q[0]) + fabs(r[1] - q[1]) > 1e-12 && fr < f * (1 - 1e-13);
				q[0] = r[0];
				q[1] = r[1];
				f = fr;
				break;
			}
		}
		if (!moved)
			break;
	}
}

/* Holt's (alpha, beta) in [0, 1]^2 from R's start */
static void
holt_params(const double *y, int n, int m, double *p)
{
	HoltData	d = {y, n};
	double		prev,
				p0[2];

	p[0] = 0.2 / (m > 0 ? m : 1);
	p[1] = 0.1 * p[0];			/* initparam: lower + 0.1 (min(upper, alpha) - lower) */
	p0[0] = p[0];
	p0[1] = p[1];
	if (flat_at(y, n, 1, p))
		return;
	prev = holt_nm(&d, p);
	/*
	 * The sum of squares can have two minima (one with beta at its bound 1).  R's L-BFGS-B follows
	 * the projected gradient from its start into one basin, where the simplex may settle in the
	 * other: descend the projected gradient from the start first, then refine that basin's minimum.
	 */
	{
		double		q[2] = {p0[0], p0[1]},
					g;

		holt_descend(&d, q);
		g = holt_nm(&d, q);
		if (fabs(g - prev) > 1e-9 * fmax(g, prev))
		{
			p[0] = q[0];
			p[1] = q[1];
		}
	}
	if (p[0] < 1e-10)
	{
		/*
		 * alpha 0: the level follows the trend, which never changes, so beta no longer affects the fit
		 * (only the intervals).  Take the beta the fit tends to as alpha falls to 0 (golden section at
		 * alpha 1e-8), as a path that reaches the bound would; R ends at beta 0 on such series.
		 */
		p[0] = 0;
		p[1] = golden01(holt_of_beta, &d);
	}
}

static int
hw_model(const double *y, int n, int trend, double alpha, double beta, EtsModel *out)
{
	double		sse;

	memset(out, 0, sizeof(*out));
	out->state = malloc(sizeof(double) * 2);
	out->init_state = malloc(sizeof(double) * 2);
	out->residuals = malloc(sizeof(double) * n);
	if (!out->state || !out->init_state || !out->residuals)
	{
		ets_free(out);
		return -1;
	}
	sse = hw_sse(y, n, trend, alpha, beta, &out->state[0], &out->state[1], out->residuals);
	out->init_state[0] = y[0];
	out->init_state[1] = trend ? y[1] - y[0] : 0;
	out->error = 'A';
	out->trend = trend ? 'A' : 'N';
	out->season = 'N';
	out->m = 1;
	out->alpha = alpha;
	out->beta = trend ? beta : NAN;
	out->gamma = out->phi = NAN;
	out->loglik = out->aic = out->aicc = out->bic = NAN;
	out->sigma2 = out->mse = sse / n;
	out->n_obs = out->n_resid = n;
	out->n_params = trend ? 4 : 2;	/* R's par: alpha, [beta,] l, [b] */
	out->n_state = 1 + trend;
	return 0;
}

int
ets_hw_fit(const double *y, int n, int m, EtsModel *out, char *msg, size_t msglen)
{
	return ets_hw_fit_trend(y, n, m, -1, out, msg, msglen);
}

int
ets_hw_fit_trend(const double *y, int n, int m, int which, EtsModel *out, char *msg, size_t msglen)
{
	EtsModel	holt,
				ses;
	double		p[2];

	if (n < 2)
	{
		if (msg && msglen)
			snprintf(msg, msglen, "too few observations (%d)", n);
		return -1;
	}
	if (which == 0)
	{
		if (hw_model(y, n, 0, ets_hw_ses_alpha(y, n, m), 0, out) < 0)
			goto oom;
		return 0;
	}
	holt_params(y, n, m, p);
	if (which == 1)
	{
		if (hw_model(y, n, 1, p[0], p[1], out) < 0)
			goto oom;
		return 0;
	}
	if (hw_model(y, n, 1, p[0], p[1], &holt) < 0)
		goto oom;
	if (hw_model(y, n, 0, ets_hw_ses_alpha(y, n, m), 0, &ses) < 0)
	{
		ets_free(&holt);
		goto oom;
	}
	/* R keeps Holt when its mean squared error is smaller; on 2 points it can only equal SES's (R's
	 * choice then rests on rounding): a difference within rounding keeps the simpler SES */
	if (holt.sigma2 < ses.sigma2 - 1e-12 * ses.sigma2)
	{
		*out = holt;
		ets_free(&ses);
	}
	else
	{
		*out = ses;
		ets_free(&holt);
	}
	return 0;
oom:
	if (msg && msglen)
		snprintf(msg, msglen, "out of memory");
	return -1;
}

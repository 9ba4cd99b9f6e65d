/*
 * theta.c -- forecast::thetaf(y) step by step (forecast 8.20):
 *
 *   seasonal <- m > 1 && !is.constant(y) && n > 2m && |r_m| / sqrt((1 + 2 sum_{k<m} r_k^2) / n) > qnorm(0.95)
 *   x <- seasonal ? y / decompose(y, "multiplicative")$seasonal : y
 *   fc <- ses(x, h)             # ets(x, "ANN", opt.crit = "mse"): Nelder-Mead on (alpha, l0)
 *   mean <- fc$mean + b/2 * (0:(h-1) + (1 - (1 - alpha)^n) / alpha)     # b: lsfit slope
 *   mean <- mean * last m seasonal indexes (when seasonal)
 *   se <- sqrt(sigma2) * sqrt((0:(h-1)) * alpha^2 + 1)
 *
 * The SES criterion is computed as forecast's C etscalc does (a running mean of squared
 * errors), and the optimiser is R's nmmin (nmmin.c) from R's starting values, so that the
 * optimiser takes R's path.  For n <= 6 R's ets() falls back to HoltWintersZZ with L-BFGS-B on
 * the sum of squares from l0 = y[1]; here the same sum of squares is minimised by golden section
 * (ets_hw.c: close to R, not bit-exact; a flat sum of squares, as on 2 points, keeps R's start).
 */
#include "theta.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "autoarima.h"
#include "ets.h"
#include "nmmin.h"

#define QNORM95 1.6448536269514722

double
r_mean(const double *x, int n)
{
	long double s = 0.0L,
				t = 0.0L;

	if (n <= 0)
		return NAN;
	for (int i = 0; i < n; i++)
		s += x[i];
	s /= n;
	if (isfinite((double) s))
	{
		for (int i = 0; i < n; i++)
			t += x[i] - s;
		s += t / n;
	}
	return (double) s;
}

/* ---------- decompose(x, type) ---------- */

int
decompose_seasonal(const double *x, int n, int m, int mult, double *seasonal)
{
	int			nf = (m % 2 == 0) ? m + 1 : m,
				nshift = nf / 2;
	double	   *filt = malloc(sizeof(double) * nf),
			   *ratio = malloc(sizeof(double) * n),
			   *fig = malloc(sizeof(double) * m);
	double		fm;

	if (m < 2 || n < 1 || !filt || !ratio || !fig)
	{
		free(filt);
		free(ratio);
		free(fig);
		return -1;
	}
	if (m % 2 == 0)
	{
		filt[0] = filt[m] = 0.5 / m;
		for (int j = 1; j < m; j++)
			filt[j] = 1.0 / m;
	}
	else
		for (int j = 0; j < m; j++)
			filt[j] = 1.0 / m;
	/* stats::filter(x, filt, sides = 2) as R's C code sums it, then season = x / trend */
	for (int i = 0; i < n; i++)
	{
		double		z = 0.0;

		if (i + nshift - (nf - 1) < 0 || i + nshift >= n)
		{
			ratio[i] = NAN;
			continue;
		}
		for (int j = 0; j < nf; j++)
			z += filt[j] * x[i + nshift - j];
		ratio[i] = mult ? x[i] / z : x[i] - z;
	}
	/* figure[i] = mean(season[i, i + m, ...], na.rm = TRUE), then divided by its mean */
	for (int i = 0; i < m; i++)
	{
		double		buf_small[64];
		double	   *b = (n / m + 1 <= 64) ? buf_small : malloc(sizeof(double) * (n / m + 1));
		int			k = 0;

		if (!b)
		{
			free(filt);
			free(ratio);
			free(fig);
			return -1;
		}
		for (int t = i; t < n; t += m)
			if (!isnan(ratio[t]))
				b[k++] = ratio[t];
		fig[i] = k > 0 ? r_mean(b, k) : NAN;
		if (b != buf_small)
			free(b);
	}
	fm = r_mean(fig, m);
	for (int i = 0; i < m; i++)
		fig[i] = mult ? fig[i] / fm : fig[i] - fm;
	for (int t = 0; t < n; t++)
		seasonal[t] = fig[t % m];
	free(filt);
	free(ratio);
	free(fig);
	return 0;
}

/* ---------- ses(x): ets(x, "ANN", opt.crit = "mse") ---------- */

typedef struct SesData
{
	const double *y;
	int			n;
} SesData;

/*
 * forecast's etscalc for ANN with nmse = 3, returning amse[0] (the running mean of squared
 * one-step errors, updated as the C code does), Inf outside R's "usual" bounds for alpha
 */
static double
ses_target(int np, const double *par, void *ex)
{
	const SesData *d = ex;
	double		alpha = par[0],
				l = par[1],
				amse = 0;

	if (alpha < 1e-4 || alpha > 0.9999)
		return INFINITY;
	/* only amse[0] is returned: the 2- and 3-step means are not computed (they never feed it);
	 * denom[0] - 1 and denom[0] are i and i + 1 exactly, so the arithmetic is etscalc's */
	for (int i = 0; i < d->n; i++)
	{
		double		f = l,
					tmp = d->y[i] - f;

		if (fabs(f - (-99999.0)) < 1e-10)
			return INFINITY;
		amse = (amse * (double) i + tmp * tmp) / (double) (i + 1);
		l = l + alpha * (d->y[i] - l);
	}
	return amse;
}

int
ses_fit_mse(const double *y, int n, int m, double *alpha, double *level0, double *last_level,
			double *sigma2, double *mse, int *fail)
{
	double		sse = 0.0,
				l;

	*fail = 0;
	if (n <= 6)
	{
		/* R: HoltWintersZZ(x, beta = FALSE, gamma = FALSE), alpha in [0, 1] minimising the SSE (ets_hw.c) */
		*alpha = ets_hw_ses_alpha(y, n, m);
		*level0 = l = y[0];
		for (int i = 0; i < n; i++)
		{
			double		e = y[i] - l;

			sse += e * e;
			l = *alpha * y[i] + (1 - *alpha) * l;
		}
		*last_level = l;
		*mse = sse / n;
		*sigma2 = sse / n;		/* HoltWintersZZ: mean of the squared residuals */
		return 1;
	}
	{
		SesData		sd = {y, n};
		int			maxn = n < 10 ? n : 10;
		double		par[2],
					fmin;

		par[0] = 1e-4 + 0.2 * (0.9999 - 1e-4);	/* initparam: lower + 0.2 (upper - lower) / m */
		par[1] = r_mean(y, maxn);	/* initstate: mean(y[1:maxn]) */
		*fail = nm_minimize(2, par, &fmin, ses_target, &sd, -INFINITY, 1.490116119384765625e-8,
							1.0, 0.5, 2.0, 2000, NULL);
		if (*fail < 0)
			return -1;
		*alpha = par[0];
		*level0 = par[1];
	}
	l = *level0;
	for (int i = 0; i < n; i++)
	{
		double		e = y[i] - l;

		sse += e * e;
		l = l + *alpha * e;
	}
	*last_level = l;
	*mse = sse / n;
	*sigma2 = sse / (n - 2);	/* ets(): sum(residuals^2) / (n - length(par)) */
	return 0;
}

/* ---------- thetaf ---------- */

static int
seasonality_test(const double *y, int n, int m)
{
	double		mu = r_mean(y, n),
				c0 = 0.0,
				s = 0.0,
				rm = 0.0,
				stat;

	for (int t = 0; t < n; t++)
		c0 += (y[t] - mu) * (y[t] - mu);
	for (int k = 1; k <= m; k++)
	{
		double		ck = 0.0,
					r;

		for (int t = 0; t + k < n; t++)
			ck += (y[t] - mu) * (y[t + k] - mu);
		r = ck / c0;
		if (k < m)
			s += r * r;
		else
			rm = r;
	}
	stat = sqrt((1 + 2 * s) / n);
	return fabs(rm) / stat > QNORM95;
}

int
theta_forecast(const double *y, int n, int m, int h, double *mean, double *se, ThetaFit *fit)
{
	double	   *x = malloc(sizeof(double) * (size_t) n),
			   *seas = NULL;
	double		alpha,
				l0,
				last,
				sigma2,
				mse,
				tbar,
				xbar,
				sxy = 0.0,
				sxx = 0.0,
				drift,
				a;
	int			fail,
				rc;

	if (!x || n < 1)
	{
		free(x);
		return -1;
	}
	memset(fit, 0, sizeof(*fit));
	memcpy(x, y, sizeof(double) * (size_t) n);
	if (m > 1 && !autoarima_is_constant(y, n) && n > 2 * m && seasonality_test(y, n, m))
	{
		int			nearzero = 0;

		seas = malloc(sizeof(double) * (size_t) n);
		if (!seas || decompose_seasonal(y, n, m, 1, seas) != 0)
		{
			free(x);
			free(seas);
			return -1;
		}
		for (int t = 0; t < n; t++)
			nearzero |= !(fabs(seas[t]) >= 1e-4);
		if (nearzero)
		{
			/* R warns "Seasonal indexes close to zero" and goes on without seasonality */
			free(seas);
			seas = NULL;
		}
		else
			for (int t = 0; t < n; t++)
				x[t] = y[t] / seas[t];
	}
	rc = ses_fit_mse(x, n, m, &alpha, &l0, &last, &sigma2, &mse, &fail);
	if (rc < 0)
	{
		free(x);
		free(seas);
		return -1;
	}
	/* lsfit(0:(n-1), x) slope, halved */
	tbar = (n - 1) / 2.0;
	xbar = r_mean(x, n);
	for (int t = 0; t < n; t++)
	{
		sxy += (t - tbar) * (x[t] - xbar);
		sxx += (t - tbar) * (t - tbar);
	}
	drift = n > 1 ? sxy / sxx / 2 : 0.0;
	a = alpha > 1e-10 ? alpha : 1e-10;
	for (int k = 0; k < h; k++)
	{
		mean[k] = last + drift * (k + (1 - pow(1 - a, n)) / a);
		if (seas)
			mean[k] *= seas[n - m + (k % m)];
		se[k] = sqrt(sigma2) * sqrt(k * a * a + 1);
	}
	fit->seasonal = seas != NULL;
	fit->alpha = a;
	fit->level0 = l0;
	fit->drift = drift;
	fit->sigma2 = sigma2;
	fit->mse = mse;
	fit->n_obs = n;
	fit->nm_fail = fail;
	fit->short_ses = rc == 1;
	free(x);
	free(seas);
	return 0;
}

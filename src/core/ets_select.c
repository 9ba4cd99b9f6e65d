/*
 * ets_select.c -- forecast::ets(y)'s choices (forecast 8.20): the starting values of initparam() and
 * initstate() (classical decomposition, or a linear trend + one Fourier pair when n < 3m; least squares
 * over the first max(10, 2m) seasonally adjusted points); the automatic choice by AICc in R's order with
 * R's exclusions (restrict = TRUE, no multiplicative trend unless asked, no multiplicative error on
 * non-positive data, no season when m = 1, m > 24 or n <= m, damped only with a trend); a constant
 * series (ses, alpha 0.99999); 6 points or fewer (ets_hw.c); fixed models; the public entry points.
 * The fits themselves are in ets_fit.c, the forecasts in ets_pi.c.
 */
#include "ets_int.h"
#include "autoarima.h"
#include "theta.h"

#include <lapacke.h>
#include <stdlib.h>

/* ---------------------------------------------------------------------------------------------------
 * Starting values: initstate() and the decomposition / regression it uses
 * ------------------------------------------------------------------------------------------------- */
/* least squares of y on X (n x k, column-major); coef k; 0 or -1 */
static int
least_squares(const double *X, const double *y, int n, int k, double *coef)
{
	double	   *A = malloc(sizeof(double) * n * k),
			   *b = malloc(sizeof(double) * n);
	int			rc = -1;

	if (A && b)
	{
		memcpy(A, X, sizeof(double) * n * k);
		memcpy(b, y, sizeof(double) * n);
		if (LAPACKE_dgels(LAPACK_COL_MAJOR, 'N', n, k, 1, A, n, b, n) == 0)
		{
			memcpy(coef, b, sizeof(double) * k);
			rc = 0;
		}
	}
	free(A), free(b);
	return rc;
}

/* the seasonal part of initstate(): init.seas (m-1 values) and y.sa (n) */
static int
init_seasonal(const double *y, int n, int m, int season, double *init_seas, double *ysa)
{
	double	   *sd = malloc(sizeof(double) * n);

	if (!sd)
		return -1;
	if (n < 3 * m)
	{
		/* tslm(y ~ trend + fourier(y, 1)): intercept, 1..n, sin (unless m = 2), cos */
		int			k = m == 2 ? 3 : 4;
		double	   *X = malloc(sizeof(double) * n * k),
					coef[4];

		if (!X)
		{
			free(sd);
			return -1;
		}
		for (int i = 0; i < n; i++)
		{
			double		t = i + 1;

			X[i] = 1.0;
			X[n + i] = t;
			if (k == 4)
				X[2 * n + i] = sin(M_PI * (2.0 / m * t));
			X[(k - 1) * n + i] = cos(M_PI * (2.0 / m * t));
		}
		if (least_squares(X, y, n, k, coef) < 0)
		{
			free(X), free(sd);
			return -1;
		}
		free(X);
		for (int i = 0; i < n; i++)
			sd[i] = season == ADD ? y[i] - coef[0] - coef[1] * (i + 1) : y[i] / (coef[0] + coef[1] * (i + 1));
	}
	else if (decompose_seasonal(y, n, m, season == MULT, sd) < 0)
	{
		free(sd);
		return -1;
	}
	for (int k = 0; k < m - 1; k++)
		init_seas[k] = sd[m - 1 - k];
	if (season == ADD)
		for (int i = 0; i < n; i++)
			ysa[i] = y[i] - sd[i];
	else
	{
		double		sum = 0;

		for (int k = 0; k < m - 1; k++)
		{
			if (init_seas[k] < 0.01)
				init_seas[k] = 0.01;
			sum += init_seas[k];
		}
		if (sum > m)
		{
			double		s2 = 0;

			for (int k = 0; k < m - 1; k++)
				s2 += init_seas[k] + 0.01;
			for (int k = 0; k < m - 1; k++)
				init_seas[k] /= s2;
		}
		for (int i = 0; i < n; i++)
			ysa[i] = y[i] / (sd[i] > 0.01 ? sd[i] : 0.01);
	}
	free(sd);
	return 0;
}

/* initstate(y, trendtype, seasontype): x (1 + trend + (m-1) values); 0 or -1 */
int
ets_init_state(const double *y, int n, int m, int trend, int season, double *x, char *msg, size_t msglen)
{
	double	   *ysa = malloc(sizeof(double) * n);
	int			maxn,
				s0 = 1 + (trend != NONE);

	if (!ysa)
	{
		ets_set_msg(msg, msglen, "out of memory");
		return -1;
	}
	if (season != NONE)
	{
		if (n < 4)
		{
			free(ysa);
			ets_set_msg(msg, msglen, "not enough data");
			return -1;
		}
		if (init_seasonal(y, n, m, season, x + s0, ysa) < 0)
		{
			free(ysa);
			ets_set_msg(msg, msglen, "initial seasonal states could not be computed");
			return -1;
		}
	}
	else
	{
		m = 1;
		memcpy(ysa, y, sizeof(double) * n);
	}
	maxn = 2 * m > 10 ? 2 * m : 10;
	if (maxn > n)
		maxn = n;
	if (trend == NONE)
		x[0] = r_mean(ysa, maxn);
	else
	{
		/* lsfit(1:maxn, y.sa[1:maxn]) */
		double		mx = (maxn + 1) / 2.0,
					my = r_mean(ysa, maxn),
					sxy = 0,
					sxx = 0,
					a,
					b;

		for (int i = 0; i < maxn; i++)
		{
			sxy += (i + 1 - mx) * (ysa[i] - my);
			sxx += (i + 1 - mx) * (i + 1 - mx);
		}
		b = maxn > 1 ? sxy / sxx : 0.0;
		a = my - b * mx;
		if (trend == ADD)
		{
			if (fabs(a + b) < 1e-8)
			{
				a *= 1 + 0.001;
				b *= 1 - 0.001;
			}
			x[0] = a;
			x[1] = b;
		}
		else
		{
			double		l0 = a + b,
						b0;

			if (fabs(l0) < 1e-8)
				l0 = 1e-7;
			b0 = (a + 2 * b) / l0;
			l0 = l0 / b0;
			if (fabs(b0) > 1e10)
				b0 = b0 > 0 ? 1e10 : -1e10;
			if (l0 < 1e-8 || b0 < 1e-8)
			{
				l0 = ysa[0] > 0.001 ? ysa[0] : 0.001;
				b0 = n > 1 && ysa[1] / ysa[0] > 0.001 ? ysa[1] / ysa[0] : 0.001;
			}
			x[0] = l0;
			x[1] = b0;
		}
	}
	free(ysa);
	return 0;
}

void
ets_free(EtsModel *fit)
{
	if (!fit)
		return;
	free(fit->state);
	free(fit->init_state);
	free(fit->residuals);
	fit->state = fit->init_state = fit->residuals = NULL;
	fit->n_state = fit->n_resid = 0;
}


/* ---------------------------------------------------------------------------------------------------
 * Public entry points
 * ------------------------------------------------------------------------------------------------- */
void
ets_options_default(EtsOptions *o)
{
	o->allow_multiplicative_trend = 0;
	o->damped = -1;
	o->cancel = NULL;
	o->seed = 1;
}

static int
check_input(const double *y, int n, int m, char *msg, size_t msglen)
{
	if (!y || n < 1)
	{
		ets_set_msg(msg, msglen, "no data");
		return -1;
	}
	if (m < 1)
	{
		ets_set_msg(msg, msglen, "seasonal period must be at least 1");
		return -1;
	}
	for (int i = 0; i < n; i++)
		if (!isfinite(y[i]))
		{
			ets_set_msg(msg, msglen, "the series has a missing or infinite value at position %d", i + 1);
			return -1;
		}
	return 0;
}

/* ses(y, alpha = 0.99999, initial = "simple")$model: what ets(y) returns for a constant series */
static int
constant_model(const double *y, int n, EtsModel *out, char *msg, size_t msglen)
{
	double		l = y[0],
				sse = 0;

	model_clear(out);
	out->state = malloc(sizeof(double));
	out->init_state = malloc(sizeof(double));
	out->residuals = malloc(sizeof(double) * n);
	if (!out->state || !out->init_state || !out->residuals)
	{
		ets_free(out);
		ets_set_msg(msg, msglen, "out of memory");
		return -1;
	}
	out->init_state[0] = l;
	for (int i = 0; i < n; i++)
	{
		out->residuals[i] = y[i] - l;
		sse += out->residuals[i] * out->residuals[i];
		l += 0.99999 * (y[i] - l);
	}
	out->state[0] = l;
	out->error = 'A';
	out->trend = out->season = 'N';
	out->m = 1;
	out->alpha = 0.99999;
	out->sigma2 = sse / n;
	out->mse = sse / n;
	out->n_obs = n;
	out->n_params = 2;
	out->n_state = 1;
	out->n_resid = n;
	return 0;
}

/* ets(restrict = TRUE): no additive error with a multiplicative trend or season, no ETS(M,M,A) */
static int
forbidden(int e, int t, int s)
{
	return (e == ADD && (t == MULT || s == MULT)) || (e == MULT && t == MULT && s == ADD);
}

int
ets_fit(const double *y, int n, int m, char error, char trend, char season, int damped,
		EtsModel *out, char *msg, size_t msglen)
{
	int			e = code_of(error),
				t = code_of(trend),
				s = code_of(season),
				npars,
				rc,
				positive = 1;

	if (!out)
		return -1;
	model_clear(out);
	if (check_input(y, n, m, msg, msglen) < 0)
		return -1;
	if (e == NONE || (trend != 'N' && t == NONE) || (season != 'N' && s == NONE))
	{
		ets_set_msg(msg, msglen, "invalid model type %c%c%c", error, trend, season);
		return -1;
	}
	if (n <= m)
		s = NONE;
	if (m == 1 && s != NONE)
	{
		ets_set_msg(msg, msglen, "nonseasonal data");
		return -1;
	}
	if (m > 24 && s != NONE)
	{
		ets_set_msg(msg, msglen, "frequency too high (m > 24) for a seasonal ETS model");
		return -1;
	}
	if (forbidden(e, t, s))
	{
		ets_set_msg(msg, msglen, "forbidden model combination");
		return -1;
	}
	for (int i = 0; i < n; i++)
		if (y[i] <= 0)
			positive = 0;
	if (!positive && e == MULT)
	{
		ets_set_msg(msg, msglen, "inappropriate model for data with negative or zero values");
		return -1;
	}
	if (damped && t == NONE)
	{
		ets_set_msg(msg, msglen, "forbidden model combination (damped without trend)");
		return -1;
	}
	npars = 2 + (t != NONE ? 2 : 0) + (s != NONE ? m : 0) + (damped ? 1 : 0);
	if (n <= npars + 4)
	{
		/*
		 * R fits HoltWintersZZ() here, by least squares, whatever the error type (damping is
		 * ignored): a seasonal model when two seasons are there to start it (not implemented),
		 * else Holt for an additive trend, SES without trend and season, and the better of the two
		 * for a trendless seasonal model (its seasonal fit fails on fewer than 2m points).  The
		 * multiplicative-trend (exponential) Holt is not implemented either.
		 */
		int			which = t == ADD ? 1 : s == NONE && t == NONE ? 0 : -1;

		if ((s != NONE && n >= 2 * m) || t == MULT)
		{
			ets_set_msg(msg, msglen, "too few observations (%d) for this model (needs more than %d)", n, npars + 4);
			return -1;
		}
		return ets_hw_fit_trend(y, n, m, which, out, msg, msglen);
	}
	rc = ets_model(y, n, m, e, t, s, damped, NULL, out, msg, msglen);
	if (rc == FIT_SKIP)
	{
		ets_free(out);
		return -1;
	}
	return rc;
}

int
ets_auto_opts(const double *y, int n, int m, const EtsOptions *opt, EtsModel *out, char *msg, size_t msglen)
{
	EtsOptions	def;
	int			positive = 1,
				ntr,
				nse,
				found = 0;
	int			trends[3] = {NONE, ADD, MULT},
				seasons[3] = {NONE, ADD, MULT};
	double		best_ic = INFINITY;
	EtsCand		cand[36];
	int			nc = 0;
	char		lastmsg[200] = "";

	if (!out)
		return -1;
	model_clear(out);
	if (!opt)
	{
		ets_options_default(&def);
		opt = &def;
	}
	if (check_input(y, n, m, msg, msglen) < 0)
		return -1;
	if (autoarima_is_constant(y, n))	/* forecast:::is.constant */
		return constant_model(y, n, out, msg, msglen);	/* seed irrelevant: no simulation */
	if (n <= 6)
	{
		/* n <= npars + 4 with npars = 2 for "ZZZ": R fits Holt / SES by least squares (ets_hw.c) */
		if (ets_hw_fit(y, n, m, out, msg, msglen) < 0)
			return -1;
		out->seed = opt->seed;
		return 0;
	}
	nse = (m == 1 || n <= m || m > 24) ? 1 : 3;
	ntr = opt->allow_multiplicative_trend ? 3 : 2;
	for (int i = 0; i < n; i++)
		if (y[i] <= 0)
			positive = 0;
	/* the candidates in R's order (error, trend, season, damped TRUE before FALSE) */
	for (int ie = 0; ie < 2; ie++)
	{
		int			e = ie == 0 ? ADD : MULT;

		if (e == MULT && !positive)
			continue;
		for (int it = 0; it < ntr; it++)
			for (int is = 0; is < nse; is++)
				for (int id = 0; id < 2; id++)
				{
					int			t = trends[it],
								s = seasons[is],
								d = id == 0;

					if (t == NONE && d)
						continue;
					if ((opt->damped == 0 && d) || (opt->damped == 1 && !d))
						continue;	/* as ets(damped = FALSE / TRUE): TRUE leaves out trendless models */
					if (forbidden(e, t, s))
						continue;
					memset(&cand[nc], 0, sizeof(EtsCand));
					cand[nc].e = e, cand[nc].t = t, cand[nc].s = s, cand[nc].d = d, cand[nc].rc = -2;
					nc++;
				}
	}
	ets_fit_candidates(y, n, m, opt->cancel, cand, nc);
	/* the choice, in R's order: the first smallest AICc */
	for (int i = 0; i < nc; i++)
	{
		if (cand[i].rc != 0)
		{
			if (cand[i].rc != -2)
				snprintf(lastmsg, sizeof lastmsg, "%s", cand[i].msg);
			continue;
		}
		if (!isnan(cand[i].fit.aicc) && cand[i].fit.aicc < best_ic)
		{
			if (found)
				ets_free(out);
			*out = cand[i].fit;
			best_ic = cand[i].fit.aicc;
			found = 1;
		}
		else
			ets_free(&cand[i].fit);
	}
	if (opt->cancel && *opt->cancel)
	{
		if (found)
			ets_free(out);
		model_clear(out);
		ets_set_msg(msg, msglen, "cancelled");
		return -1;
	}
	if (!found)
	{
		ets_set_msg(msg, msglen, "no model able to be fitted%s%s", lastmsg[0] ? ": " : "", lastmsg);
		return -1;
	}
	out->seed = opt->seed;
	return 0;
}

int
ets_auto(const double *y, int n, int m, EtsModel *out, char *msg, size_t msglen)
{
	return ets_auto_opts(y, n, m, NULL, out, msg, msglen);
}

void
ets_describe(const EtsModel *fit, char *buf, size_t len)
{
	if (!buf || !len)
		return;
	snprintf(buf, len, "ETS(%c,%c%s,%c)", fit->error, fit->trend, fit->damped ? "d" : "", fit->season);
}


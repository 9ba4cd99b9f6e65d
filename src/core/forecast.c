/*
 * forecast.c -- mktdb.forecast's per-series work (see forecast.h): trims and fills the series,
 * runs the method (ARIMA through autoarima.c, ETS through ets_*.c, Theta through theta.c, the
 * intermittent-demand methods and naive/snaive through intermittent.c), falls back when a method
 * cannot fit, and implements 'auto':
 *
 *   the equal-weight mean of ETS, ARIMA and Theta (of those that fit), forecasts and bounds of a
 *   series that was never negative clipped at 0; intermittent demand (ADI >= 1.32) is recognised
 *   and named in the description.  On the held-out data of test/bench/forecast_bench.sh the
 *   combination beat SBA, Croston and TSB on intermittent series too (README.md, "More
 *   forecasting methods", has the evidence).  Combined intervals are the means of the members' bounds.
 */
#include "forecast.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "autoarima.h"
#include "ets.h"
#include "intermittent.h"
#include "theta.h"

static const double Z80 = 1.2815515655446004;
static const double Z95 = 1.959963984540054;

static const char *const method_names[FC_NMETHODS] =
{"auto", "arima", "ets", "theta", "croston", "sba", "tsb", "naive", "snaive"};

int
fc_method_of(const char *name)
{
	for (int i = 0; i < FC_NMETHODS; i++)
		if (strcmp(name, method_names[i]) == 0)
			return i;
	return -1;
}

const char *
fc_method_name(FcMethod m)
{
	return (m >= 0 && m < FC_NMETHODS) ? method_names[m] : "unknown";
}

size_t
forecast_work_doubles(FcMethod method, int n, int m, int h)
{
	size_t		w = (size_t) n + 17 * (size_t) h;

	if (method == FC_AUTO || method == FC_ARIMA)
		w += autoarima_work_doubles(n, m);
	return w;
}

/* the five output arrays of one forecast */
typedef struct Fc5
{
	double	   *v[5];			/* mean, lo80, hi80, lo95, hi95 */
} Fc5;

static void
put_normal(Fc5 *o, const double *mean, const double *se, int h)
{
	for (int k = 0; k < h; k++)
	{
		o->v[0][k] = mean[k];
		o->v[1][k] = mean[k] - Z80 * se[k];
		o->v[2][k] = mean[k] + Z80 * se[k];
		o->v[3][k] = mean[k] - Z95 * se[k];
		o->v[4][k] = mean[k] + Z95 * se[k];
	}
}

static void
arima_label(const ArimaResult *res, char *buf, size_t len)
{
	const ArimaSpec *sp = &res->spec;
	const char *c = sp->include_drift ? " with drift" : sp->include_mean ? " with non-zero mean" : "";

	if (res->fallback != ARIMA_FB_NONE && res->fallback != ARIMA_FB_CONSTANT)
		snprintf(buf, len, "%s", arima_fallback_text(res->fallback));
	else if (sp->P + sp->D + sp->Q > 0)
		snprintf(buf, len, "ARIMA(%d,%d,%d)(%d,%d,%d)[%d]%s", sp->p, sp->d, sp->q, sp->P, sp->D, sp->Q, sp->s, c);
	else
		snprintf(buf, len, "ARIMA(%d,%d,%d)%s", sp->p, sp->d, sp->q, c);
}

typedef struct Member
{
	char		label[96];
	char		why[96];		/* why it could not fit (empty when it did) */
	double		aicc,
				sigma2;
} Member;

static int
run_arima(const double *y, int n, int m, int h, Fc5 *o, double *tmp, double *work, Member *mb,
		  const volatile int *cancel)
{
	AutoArimaOptions aopt = {m};
	ArimaResult res;
	int			rc = autoarima_fit_series(y, n, &aopt, h, tmp, tmp + h, work, &res, NULL, cancel);

	if (rc != ARIMA_OK)
		return rc;
	put_normal(o, tmp, tmp + h, h);
	arima_label(&res, mb->label, sizeof mb->label);
	if (res.fallback != ARIMA_FB_NONE && res.fallback != ARIMA_FB_CONSTANT)
		snprintf(mb->why, sizeof mb->why, "arima: %s", arima_fallback_text(res.fallback));
	mb->aicc = res.aicc;
	mb->sigma2 = res.sigma2;
	return ARIMA_OK;
}

static int
run_ets(const double *y, int n, int m, int h, Fc5 *o, Member *mb, const volatile int *cancel)
{
	EtsOptions	opt;
	EtsModel	fit;
	char		msg[80] = "";

	ets_options_default(&opt);
	opt.cancel = cancel;
	if (ets_auto_opts(y, n, m, &opt, &fit, msg, sizeof msg) != 0)
	{
		snprintf(mb->why, sizeof mb->why, "ets: %.80s", msg);
		return -1;
	}
	if (ets_forecast(&fit, h, o->v[0], o->v[1], o->v[2], o->v[3], o->v[4]) != 0)
	{
		snprintf(mb->why, sizeof mb->why, "ets: no forecast");
		ets_free(&fit);
		return -1;
	}
	ets_describe(&fit, mb->label, sizeof mb->label);
	mb->aicc = fit.aicc;
	mb->sigma2 = fit.sigma2;
	ets_free(&fit);
	return 0;
}

static int
run_theta(const double *y, int n, int m, int h, Fc5 *o, double *tmp, Member *mb)
{
	ThetaFit	fit;

	if (theta_forecast(y, n, m, h, tmp, tmp + h, &fit) != 0)
	{
		snprintf(mb->why, sizeof mb->why, "theta: out of memory");
		return -1;
	}
	put_normal(o, tmp, tmp + h, h);
	snprintf(mb->label, sizeof mb->label, fit.seasonal ? "theta (seasonally adjusted)" : "theta");
	mb->sigma2 = fit.sigma2;
	return 0;
}

/* the intermittent-demand methods: point forecasts only (R's croston gives no interval) */
static int
run_intermittent(FcMethod meth, const double *y, int n, int h, Fc5 *o, Member *mb)
{
	int			rc = meth == FC_TSB ? tsb_forecast(y, n, h, TSB_ALPHA_SIZE, TSB_ALPHA_PROB, o->v[0])
		: croston_forecast(y, n, h, CROSTON_ALPHA, meth == FC_SBA, o->v[0]);

	snprintf(mb->label, sizeof mb->label, "%s", fc_method_name(meth));
	return rc;
}

static void
fill_missing(const double *y, int n, double *out)
{
	int			prev = -1;

	for (int i = 0; i < n; i++)
	{
		out[i] = y[i];
		if (isnan(y[i]))
			continue;
		if (prev >= 0 && i - prev > 1)
			for (int j = prev + 1; j < i; j++)
				out[j] = y[prev] + (y[i] - y[prev]) * (double) (j - prev) / (i - prev);
		prev = i;
	}
}

int
forecast_series(const double *y0, int n0, const void *arg, int h, double *fc_mean, double *fc_se,
				double *work, ArimaResult *res, void *extra, const volatile int *cancel)
{
	const FcOptions *opt = arg;
	FcOut	   *out = extra;
	int			m = opt->period > 0 ? opt->period : 1,
				first = 0,
				last = n0 - 1,
				n;
	const double *y;
	double	   *filled = work,
			   *tmp,
			   *comp,
			   *awork;
	Fc5			o = {{out->mean, out->lo80, out->hi80, out->lo95, out->hi95}};
	Member		mb;
	FcMethod	meth = opt->method;
	int			rc = 0;

	for (int c = 0; c < 5; c++)
		for (int k = 0; k < h; k++)
			o.v[c][k] = NAN;
	out->aicc = out->sigma2 = out->mase_scale = NAN;
	out->description[0] = out->fallback[0] = 0;
	out->negative = out->no_data = 0;
	out->used = meth;
	while (first < n0 && isnan(y0[first]))
		first++;
	while (last >= first && isnan(y0[last]))
		last--;
	out->n_obs = n = last >= first ? last - first + 1 : 0;
	if (n == 0)
	{
		out->no_data = 1;
		snprintf(out->fallback, sizeof out->fallback, "no data");
		return ARIMA_OK;
	}
	y = y0 + first;
	tmp = work + n;
	comp = tmp + 2 * h;
	awork = comp + 15 * h;
	fill_missing(y, n, filled);
	out->mase_scale = autoarima_mase_scale(y, n, m);
	memset(&mb, 0, sizeof mb);
	mb.aicc = mb.sigma2 = NAN;

	if (meth == FC_AUTO)
	{
		double		adi,
					cv2;
		int			has_zero = 0,
					nonneg = 1;
		DemandClass cls = demand_classify(filled, n, &adi, &cv2);
		char		demand[64] = "";

		for (int i = 0; i < n; i++)
		{
			has_zero |= filled[i] == 0;
			nonneg &= filled[i] >= 0;
		}
		if (cls != DEMAND_NONE && has_zero && adi >= SB_ADI_CUT)
			snprintf(demand, sizeof demand, " (%s demand: ADI %.2f, CV2 %.2f)", demand_class_name(cls), adi, cv2);
		{
			/* equal-weight mean of ETS, ARIMA and Theta, of those that fit */
			Member		mbs[3];
			Fc5			c5[3];
			int			ok[3],
						nok = 0;
			const char *nm[3] = {"ets", "arima", "theta"};
			char		desc[96] = "",
						why[96] = "";

			for (int j = 0; j < 3; j++)
			{
				memset(&mbs[j], 0, sizeof(Member));
				mbs[j].aicc = mbs[j].sigma2 = NAN;
				for (int c = 0; c < 5; c++)
					c5[j].v[c] = comp + (5 * j + c) * (size_t) h;
			}
			ok[0] = run_ets(filled, n, m, h, &c5[0], &mbs[0], cancel) == 0;
			if (cancel && *cancel)
				return ARIMA_ECANCEL;
			rc = run_arima(y, n, m, h, &c5[1], tmp, awork, &mbs[1], cancel);
			if (rc == ARIMA_ECANCEL)
				return rc;
			ok[1] = mbs[1].why[0] == 0;
			ok[2] = run_theta(filled, n, m, h, &c5[2], tmp, &mbs[2]) == 0;
			for (int j = 0; j < 3; j++)
			{
				if (ok[j])
				{
					nok++;
					snprintf(desc + strlen(desc), sizeof desc - strlen(desc), "%s%s", strlen(desc) ? ", " : "", nm[j]);
				}
				else
					snprintf(why + strlen(why), sizeof why - strlen(why), "%s%s", strlen(why) ? "; " : "", mbs[j].why);
			}
			if (nok == 0)
			{
				/* nothing fits (cannot happen while Theta fits): ARIMA's own fallback */
				for (int c = 0; c < 5; c++)
					memcpy(o.v[c], c5[1].v[c], sizeof(double) * h);
				snprintf(out->description, sizeof out->description, "%s", mbs[1].label);
				snprintf(out->fallback, sizeof out->fallback, "%s", why);
				return ARIMA_OK;
			}
			for (int c = 0; c < 5; c++)
				for (int k = 0; k < h; k++)
				{
					double		s = 0;

					for (int j = 0; j < 3; j++)
						if (ok[j])
							s += c5[j].v[c][k];
					o.v[c][k] = s / nok;
					/* demand that was never negative is not forecast below zero */
					if (nonneg && o.v[c][k] < 0)
						o.v[c][k] = 0;
				}
			if (nok == 1)
				snprintf(out->description, sizeof out->description, "%.40s%.50s", ok[0] ? mbs[0].label : ok[1] ? mbs[1].label : mbs[2].label, demand);
			else
				snprintf(out->description, sizeof out->description, "mean of %.30s%.50s", desc, demand);
			snprintf(out->fallback, sizeof out->fallback, "%s", why);
			return ARIMA_OK;
		}
	}

	switch (meth)
	{
		case FC_ARIMA:
			rc = run_arima(y, n, m, h, &o, tmp, awork, &mb, cancel);
			if (rc == ARIMA_ECANCEL)
				return rc;
			snprintf(out->fallback, sizeof out->fallback, "%.90s", mb.why[0] ? mb.why + 7 : "");
			break;
		case FC_ETS:
			if (run_ets(filled, n, m, h, &o, &mb, cancel) != 0)
			{
				char		why[96];

				if (cancel && *cancel)
					return ARIMA_ECANCEL;
				/* R's ets() cannot fit (too short, ...): Theta (simple exponential smoothing with drift) */
				snprintf(why, sizeof why, "%.80s; theta", mb.why);
				memset(&mb, 0, sizeof mb);
				mb.aicc = NAN;
				run_theta(filled, n, m, h, &o, tmp, &mb);
				out->used = FC_THETA;
				snprintf(out->fallback, sizeof out->fallback, "%s", why);
			}
			break;
		case FC_THETA:
			run_theta(filled, n, m, h, &o, tmp, &mb);
			break;
		case FC_CROSTON:
		case FC_SBA:
		case FC_TSB:
			if (run_intermittent(meth, filled, n, h, &o, &mb) != 0)
			{
				out->negative = 1;
				for (int k = 0; k < h; k++)
					o.v[0][k] = NAN;
			}
			break;
		case FC_NAIVE:
		case FC_SNAIVE:
			{
				int			lag = (meth == FC_SNAIVE && m > 1 && n >= m) ? m : 1;

				lagwalk_forecast(filled, n, lag, h, tmp, tmp + h, &mb.sigma2);
				put_normal(&o, tmp, tmp + h, h);
				snprintf(mb.label, sizeof mb.label, lag > 1 ? "snaive" : "naive");
				if (meth == FC_SNAIVE && lag == 1)
					snprintf(out->fallback, sizeof out->fallback, m > 1 ? "shorter than a season: naive" : "no seasonal period: naive");
				if (meth == FC_SNAIVE && lag == 1)
					out->used = FC_NAIVE;
			}
			break;
		default:
			break;
	}
	snprintf(out->description, sizeof out->description, "%s", mb.label);
	out->aicc = mb.aicc;
	out->sigma2 = mb.sigma2;
	(void) fc_mean;
	(void) fc_se;
	(void) res;
	return ARIMA_OK;
}

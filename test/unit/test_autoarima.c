/*
 * test_autoarima.c -- the automatic order selection (src/core/autoarima.c) against R's
 * forecast::auto.arima on the 68 committed reference series (test/ref/autoarima_*.csv, made by
 * test/ref/autoarima_ref.R): the unit-root tests (KPSS statistics, STL seasonal strength,
 * ndiffs/nsdiffs) on every fit, the chosen orders, and where they agree R's final model
 * (test/ref/autoarima_ref_coef.csv: coefficients and standard errors; autoarima_ref.csv: loglik,
 * AICc, sigma2; autoarima_ref_fc.csv: forecasts and interval half-widths) and R's search path
 * (autoarima_ref_trace.csv: models in order and their IC), and robustness (never NaN).
 * AUTOARIMA_EVERY=k runs every k-th reference fit only (a quick local check).
 * Set AUTOARIMA_VERBOSE=1 to print every series.
 */
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include <cblas.h>

#include "core/autoarima.h"
#include "unit.h"

#define MAXS 80
#define MAXN 1200

typedef struct Ser
{
	char		name[64];
	int			period,
				h,
				n;
	double		y[MAXN];
} Ser;

typedef struct Ref
{
	char		series[64],
				fit[16],
				constant[32];
	int			n,
				h,
				period,
				o[6],
				approx,
				nsdiffs,
				ndiffs;
	double		seas,
				kpss0,
				kpss1,
				loglik,
				aicc,
				sigma2,
				smape,
				mase;
} Ref;

static Ser	ser[MAXS];
static int	nser;
static Ref	ref[2 * MAXS];
static int	nref;

/* rows of autoarima_ref_coef.csv, _fc.csv and _trace.csv: R's final model and search path */
typedef struct RefRow
{
	char		series[64],
				fit[16],
				name[16];		/* coef: coefficient name */
	int			k,				/* fc: step; trace: position */
				p,
				q,
				P,
				Q,
				constant;		/* trace: the model */
	double		v[5];			/* coef: value, se; fc: mean, lo_80, hi_80, lo_95, hi_95; trace: ic */
} RefRow;

#define MAXROWS 6000
static RefRow coefs[MAXROWS],
			fcs[MAXROWS],
			traces[MAXROWS];
static int	ncoefs,
			nfcs,
			ntraces;

/* splits a CSV line (fields may be quoted, no embedded commas) in place */
static int
split(char *line, char **f, int max)
{
	int			k = 0;
	char	   *p = line;

	while (k < max)
	{
		char	   *e;

		if (*p == '"')
		{
			p++;
			e = strchr(p, '"');
			if (!e)
				break;
			*e = 0;
			f[k++] = p;
			p = e + 1;
			if (*p == ',')
				p++;
			else
				break;
		}
		else
		{
			e = p + strcspn(p, ",\n\r");
			f[k++] = p;
			if (*e == ',')
			{
				*e = 0;
				p = e + 1;
			}
			else
			{
				*e = 0;
				break;
			}
		}
	}
	return k;
}

static double
num(const char *s)
{
	if (strcmp(s, "NA") == 0 || strcmp(s, "") == 0)
		return NAN;
	if (strcmp(s, "Inf") == 0)
		return INFINITY;
	if (strcmp(s, "-Inf") == 0)
		return -INFINITY;
	return atof(s);
}

static void
load(void)
{
	char		line[4096];
	char	   *f[40];
	FILE	   *fp = fopen("../ref/autoarima_series.csv", "r");

	if (!fp)
	{
		printf("not ok - cannot open ../ref/autoarima_series.csv\n");
		exit(1);
	}
	fgets(line, sizeof line, fp);
	while (fgets(line, sizeof line, fp))
	{
		int			k = split(line, f, 10);
		Ser		   *s;

		if (k < 7)
			continue;
		if (nser == 0 || strcmp(ser[nser - 1].name, f[0]) != 0)
		{
			s = &ser[nser++];
			strcpy(s->name, f[0]);
			s->period = atoi(f[2]);
			s->h = atoi(f[3]);
			s->n = 0;
		}
		s = &ser[nser - 1];
		s->y[s->n++] = num(f[6]);
	}
	fclose(fp);
	fp = fopen("../ref/autoarima_ref.csv", "r");
	fgets(line, sizeof line, fp);
	while (fgets(line, sizeof line, fp))
	{
		int			k = split(line, f, 40);
		Ref		   *r = &ref[nref++];

		if (k < 28)
		{
			nref--;
			continue;
		}
		strcpy(r->series, f[0]);
		strcpy(r->fit, f[1]);
		r->n = atoi(f[2]);
		r->h = atoi(f[3]);
		r->period = atoi(f[4]);
		for (int i = 0; i < 6; i++)
			r->o[i] = atoi(f[5 + i]);
		strcpy(r->constant, f[11]);
		r->approx = strcmp(f[12], "TRUE") == 0;
		r->seas = num(f[13]);
		r->nsdiffs = atoi(f[14]);
		r->kpss0 = num(f[15]);
		r->kpss1 = num(f[16]);
		r->ndiffs = atoi(f[17]);
		r->loglik = num(f[18]);
		r->aicc = num(f[20]);
		r->sigma2 = num(f[22]);
		r->smape = num(f[24]);
		r->mase = num(f[25]);
	}
	fclose(fp);
}

/* reads one of the row tables; kind 'c' coef, 'f' forecasts, 't' trace (search phase only) */
static int
load_rows(const char *path, char kind, RefRow *rows)
{
	char		line[4096];
	char	   *f[12];
	int			n = 0;
	FILE	   *fp = fopen(path, "r");

	if (!fp)
	{
		printf("not ok - cannot open %s\n", path);
		exit(1);
	}
	fgets(line, sizeof line, fp);
	while (fgets(line, sizeof line, fp) && n < MAXROWS)
	{
		int			k = split(line, f, 12);
		RefRow	   *r = &rows[n];

		memset(r, 0, sizeof *r);
		if (k < 3)
			continue;
		snprintf(r->series, sizeof r->series, "%s", f[0]);
		snprintf(r->fit, sizeof r->fit, "%s", f[1]);
		if (kind == 'c' && k >= 5)
		{
			snprintf(r->name, sizeof r->name, "%s", f[2]);
			r->v[0] = num(f[3]);
			r->v[1] = num(f[4]);
			n++;
		}
		else if (kind == 'f' && k >= 8)
		{
			r->k = atoi(f[2]);
			for (int i = 0; i < 5; i++)
				r->v[i] = num(f[3 + i]);
			n++;
		}
		else if (kind == 't' && k >= 6 && strcmp(f[3], "search") == 0)
		{
			int			d,
						D,
						m = 1;

			r->k = atoi(f[2]);
			if (sscanf(f[4], "ARIMA(%d,%d,%d)(%d,%d,%d)[%d]", &r->p, &d, &r->q, &r->P, &D, &r->Q, &m) != 7)
			{
				r->P = r->Q = 0;
				if (sscanf(f[4], "ARIMA(%d,%d,%d)", &r->p, &d, &r->q) != 3)
					continue;
			}
			r->constant = strstr(f[4], "with drift") != NULL || strstr(f[4], "with non-zero mean") != NULL;
			r->v[0] = num(f[5]);
			n++;
		}
	}
	fclose(fp);
	return n;
}

static Ser *
find_series(const char *name)
{
	for (int i = 0; i < nser; i++)
		if (strcmp(ser[i].name, name) == 0)
			return &ser[i];
	return NULL;
}

/* the larger of a and b, NaN when either is NaN (fmax would drop a NaN error) */
static double
fmax_nan(double a, double b)
{
	return isnan(a) || isnan(b) ? NAN : (a > b ? a : b);
}

static const char *
const_name(AutoConstant c)
{
	return c == AUTO_CONST_MEAN ? "mean" : c == AUTO_CONST_DRIFT ? "drift" :
		c == AUTO_CONST_SERIES ? "constant_series" : "none";
}

int
main(void)
{
	int			verbose = getenv("AUTOARIMA_VERBOSE") != NULL;
	int			same = 0,
				total = 0,
				kpss_bad = 0,
				kpss_n = 0,
				seas_bad = 0,
				seas_n = 0,
				diff_bad = 0,
				nan_bad = 0;
	double		total_s = 0.0;
	double		kpss_maxerr = 0,
				seas_maxerr = 0;
	size_t		wd = autoarima_work_doubles(MAXN, 12);
	double	   *work = NULL;
	static double fc[1000],
				se[1000],
				scratch[MAXN * 8 + 2000];

	const char *every_env = getenv("AUTOARIMA_EVERY");
	int			every = every_env ? atoi(every_env) : 1;
	int			nfits = 0,
				cmp_fits = 0,
				coef_n = 0,
				fc_n = 0,
				trace_n = 0,
				trace_same = 0,
				trace_unchecked = 0;
	char		trace_worst[160] = "";
	double		e_coef = 0,
				e_se = 0,
				e_ll = 0,
				e_aicc = 0,
				e_s2 = 0,
				e_fc = 0,
				e_half = 0,
				e_trace = 0,
				e_trace_u = 0;

	PLAN(15);
	openblas_set_num_threads(1);	/* tiny LAPACK calls: no BLAS threads (as arima_run_batch) */
	load();
	ncoefs = load_rows("../ref/autoarima_ref_coef.csv", 'c', coefs);
	nfcs = load_rows("../ref/autoarima_ref_fc.csv", 'f', fcs);
	ntraces = load_rows("../ref/autoarima_ref_trace.csv", 't', traces);
	CHECK(nser == 68 && nref == 136, "read 68 series and 136 reference fits (%d, %d)", nser, nref);
	CHECK(ncoefs == 479 && nfcs == 2600 && ntraces == 2884,
		  "read R's 479 coefficients, 2600 forecasts and 2884 search steps (%d, %d, %d)", ncoefs, nfcs, ntraces);
	if (every < 1)
		every = 1;

	for (int i = 0; i < nref; i += every)
	{
		Ref		   *r = &ref[i];
		Ser		   *s = find_series(r->series);
		int			n,
					h = r->h,
					ok;
		AutoArimaInfo info;
		AutoTraceEntry trace[AUTO_NMODELS];
		ArimaResult res;
		AutoArimaOptions opt;
		double		st;
		int			nsd,
					nd;
		double		k0,
					k1,
					fit_s;

		if (!s)
			continue;
		n = strcmp(r->fit, "full") == 0 ? s->n : s->n - s->h;
		opt.period = s->period;
		wd = autoarima_work_doubles(n, s->period);
		work = realloc(work, wd * sizeof(double));

		/* unit-root tests on their own (R: nsdiffs(y), ndiffs(diff(y, m, D))) */
		nsd = autoarima_nsdiffs(s->y, n, s->period, scratch, &st);
		if (s->period > 1 && n > 2 * s->period && !isnan(r->seas) && strcmp(r->constant, "constant_series") != 0)
		{
			double		e = fabs(st - r->seas);

			seas_n++;
			seas_maxerr = e > seas_maxerr ? e : seas_maxerr;
			if (!(e <= 1e-6))
			{
				seas_bad++;
				printf("# seas_strength %s/%s: %.9f vs R %.9f\n", r->series, r->fit, st, r->seas);
			}
		}
		{
			double		dx[MAXN];
			int			k = 0;

			for (int t = (nsd ? s->period : 0); t < n; t++)
				dx[k++] = nsd ? s->y[t] - s->y[t - s->period] : s->y[t];
			nd = autoarima_ndiffs(dx, k, scratch, &k0, &k1);
			if (isnan(k1) && k > 2)
			{
				for (int t = 0; t < k - 1; t++)
					dx[t] = dx[t + 1] - dx[t];
				k1 = autoarima_kpss(dx, k - 1);
			}
		}
		if (!isnan(r->kpss0))
		{
			double		e = fabs(k0 - r->kpss0) / fmax(1.0, fabs(r->kpss0));

			kpss_n++;
			kpss_maxerr = e > kpss_maxerr ? e : kpss_maxerr;
			if (!(e <= 1e-9))
				kpss_bad++;
		}
		if (!isnan(r->kpss1))
		{
			double		e = fabs(k1 - r->kpss1) / fmax(1.0, fabs(r->kpss1));

			kpss_n++;
			kpss_maxerr = e > kpss_maxerr ? e : kpss_maxerr;
			if (!(e <= 1e-9))
			{
				kpss_bad++;
				printf("# kpss_d1 %s/%s: %.9f vs R %.9f\n", r->series, r->fit, k1, r->kpss1);
			}
		}
		if (strcmp(r->constant, "constant_series") != 0 && (nsd != r->nsdiffs || nd != r->ndiffs))
		{
			diff_bad++;
			printf("# diffs %s/%s: D=%d d=%d vs R %d %d\n", r->series, r->fit, nsd, nd, r->nsdiffs, r->ndiffs);
		}

		/* the whole selection */
		{
			struct timespec t0, t1;

			clock_gettime(CLOCK_MONOTONIC, &t0);
			info.trace = trace;
			autoarima_fit_series(s->y, n, &opt, h, fc, se, work, &res, &info, NULL);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			fit_s = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
			total_s += fit_s;
		}
		ok = res.spec.p == r->o[0] && res.spec.d == r->o[1] && res.spec.q == r->o[2] &&
			(r->period == 1 || (res.spec.P == r->o[3] && res.spec.D == r->o[4] && res.spec.Q == r->o[5])) &&
			strcmp(const_name(info.constant), r->constant) == 0;
		total++;
		same += ok;
		nfits++;
		for (int k = 0; k < h; k++)
			if (!isfinite(fc[k]) || !isfinite(se[k]))
				nan_bad++;

		/*
		 * R's numbers for the chosen model, where the orders agree (all 136 at this code).
		 * The final model is refitted on R's own path (CSS-ML, R's Kalman filter with the
		 * diffuse prior), so it agrees with R to rounding; the search's ICs come from the
		 * Chandrasekhar likelihood without the diffuse prior (~1e-6 relative, see the
		 * README's "Deliberate differences") and R prints them with 7 digits.
		 */
		if (ok && strcmp(r->constant, "constant_series") != 0)
		{
			int			nc = 0,
						nf = 0,
						exact;

			cmp_fits++;
			for (int c = 0; c < res.ncoef; c++)
			{
				char		nm[32];
				double		want = NAN,
							wantse = NAN;

				arima_coef_name(&res.spec, c, nm, sizeof nm);
				for (int j = 0; j < ncoefs; j++)
					if (strcmp(coefs[j].series, r->series) == 0 && strcmp(coefs[j].fit, r->fit) == 0 &&
						strcmp(coefs[j].name, nm) == 0)
					{
						want = coefs[j].v[0];
						wantse = coefs[j].v[1];
					}
				/* a name R does not have is NaN here, and NaN fails */
				if (isnan(wantse) && !isnan(want))
					/* fixed by R (the drift of an exact line): the same value */
					e_coef = fmax_nan(e_coef, fabs(res.coef[c] - want) <= 1e-9 * fmax(1.0, fabs(want)) ? 0.0 : NAN);
				else
				{
					e_coef = fmax_nan(e_coef, fabs(res.coef[c] - want) / wantse);
					e_se = fmax_nan(e_se, fabs(res.se[c] - wantse) / wantse);
				}
				coef_n++;
			}
			for (int j = 0; j < ncoefs; j++)
				nc += strcmp(coefs[j].series, r->series) == 0 && strcmp(coefs[j].fit, r->fit) == 0;
			if (nc != res.ncoef)
				e_coef = NAN;
			/* an exact fit (syn_linear: R's loglik +Inf, its sigma2 rounding noise of 1e-7):
			 * mktdb's zero-width continuation is checked against R's forecasts only */
			exact = isinf(r->loglik);
			if (!exact)
			{
				e_ll = fmax_nan(e_ll, fabs(res.loglik - r->loglik));
				e_aicc = fmax_nan(e_aicc, fabs(res.aicc - r->aicc));
				e_s2 = fmax_nan(e_s2, fabs(res.sigma2 - r->sigma2) / r->sigma2);
			}
			for (int j = 0; j < nfcs; j++)
			{
				RefRow	   *f = &fcs[j];
				int			k = f->k - 1;
				double		h80,
							h95;

				if (strcmp(f->series, r->series) != 0 || strcmp(f->fit, r->fit) != 0 || k < 0 || k >= h)
					continue;
				h80 = (f->v[2] - f->v[1]) / 2;
				h95 = (f->v[4] - f->v[3]) / 2;
				/* the mean in units of R's standard error (h95 / 1.96) */
				e_fc = fmax_nan(e_fc, fabs(fc[k] - f->v[0]) / (h95 / 1.959963984540054));
				if (exact)
					e_half = fmax_nan(e_half, 1.959963984540054 * se[k] <= h95 ? 0.0 : NAN);
				else
				{
					e_half = fmax_nan(e_half, fabs(1.2815515655446004 * se[k] - h80) / h80);
					e_half = fmax_nan(e_half, fabs(1.959963984540054 * se[k] - h95) / h95);
				}
				nf++;
			}
			fc_n += nf;
			if (nf != h)
				e_fc = NAN;


		}

		/* the search path: R's models in R's order, with R's IC (R prints 7 digits) */
		{
			int			nt = 0,
						same_path = 1;
			double		fit_ic = 0;

			for (int j = 0; j < ntraces; j++)
			{
				RefRow	   *t = &traces[j];
				AutoTraceEntry *e;

				if (strcmp(t->series, r->series) != 0 || strcmp(t->fit, r->fit) != 0)
					continue;
				trace_n++;
				if (nt >= info.ntrace)
				{
					same_path = 0;
					continue;
				}
				e = &trace[nt++];
				if (e->p != t->p || e->q != t->q || (s->period > 1 && (e->P != t->P || e->Q != t->Q)) ||
					e->constant != t->constant)
					same_path = 0;
				else if (isinf(t->v[0]) != isinf(e->ic))
				{
					/* a model whose Hessian the search skipped (it could not win) keeps a
					 * finite IC where R's verdict may be Inf: README, "skipped verdicts" */
					if (e->unchecked && isinf(t->v[0]))
						trace_unchecked++;
					else
						same_path = 0;
				}
				else if (!isinf(t->v[0]) && e->unchecked)
					e_trace_u = fmax(e_trace_u, fabs(e->ic - t->v[0]));
				else if (!isinf(t->v[0]))
				{
					fit_ic = fmax(fit_ic, fabs(e->ic - t->v[0]));
				}
			}
			if (nt != info.ntrace)
				same_path = 0;
			if (same_path)
			{
				trace_same++;
				if (fit_ic > e_trace)
				{
					e_trace = fit_ic;
					snprintf(trace_worst, sizeof trace_worst, "%.63s/%.15s", r->series, r->fit);
				}
			}
			else
				printf("# search path %s/%s differs from R's: mktdb tried %d models, R %d\n", r->series, r->fit,
					   info.ntrace, nt);
		}
		if (verbose || !ok)
			printf("# %s %-22s %-7s mktdb (%d,%d,%d)(%d,%d,%d) %-5s aicc %.3f models %d refits %d %.3fs | R (%d,%d,%d)(%d,%d,%d) %-5s aicc %.3f\n",
				   ok ? "same" : "DIFF", r->series, r->fit, res.spec.p, res.spec.d, res.spec.q, res.spec.P,
				   res.spec.D, res.spec.Q, const_name(info.constant), res.aicc, info.nmodels, info.nrefits, fit_s,
				   r->o[0], r->o[1], r->o[2], r->o[3], r->o[4], r->o[5], r->constant, r->aicc);
	}
	CHECK(seas_bad == 0, "STL seasonal strength equals R's seas.heuristic on %d fits (max abs error %.2g)", seas_n, seas_maxerr);
	CHECK(kpss_bad == 0, "KPSS statistics equal urca's on %d tests (max rel error %.2g)", kpss_n, kpss_maxerr);
	CHECK(diff_bad == 0, "nsdiffs and ndiffs equal R's on every fit (%d differ)", diff_bad);
	CHECK(nan_bad == 0, "no NaN forecast or standard error");
	printf("# selection time %.2f s for %d fits\n", total_s, total);
	printf("# orders equal R's on %d of %d fits (%.1f %%)\n", same, total, 100.0 * same / total);
	CHECK(same == nfits, "chosen orders equal R's on %d of %d fits", same, total);
	/*
	 * R's final model, where mktdb follows another optimiser path: the search's exact
	 * likelihood runs on the differenced series without R's diffuse prior (kappa = 1e6 on
	 * d + mD states, README "Deliberate differences"), so the chosen model's optimum sits a
	 * little away from R's.  Measured at this code (max over 134 fits): 0.078 standard errors
	 * in a coefficient and 7.1 % in a standard error (co2 holdout: 7 coefficients on a flat
	 * likelihood, approximated search), loglik 0.025 and AICc 0.05 (co2_last120: D = 1 with
	 * SAR(2)), sigma2 5.4e-5, forecasts 0.0058 standard errors, half-widths 0.13 %.
	 * Asserted: those maxima rounded up.
	 */
	CHECK(coef_n > 0 && e_coef <= 0.1,
		  "coefficients equal R's on %d fits, %d coefficients, within 0.1 of R's standard error (max %.2g)",
		  cmp_fits, coef_n, e_coef);
	CHECK(coef_n > 0 && e_se <= 0.1, "coefficient standard errors within 10 %% of R's (max rel diff %.2g)", e_se);
	CHECK(cmp_fits > 0 && e_ll <= 0.03, "loglik within 0.03 of R's (max abs diff %.2g)", e_ll);
	CHECK(cmp_fits > 0 && e_aicc <= 0.06, "AICc within 0.06 of R's (max abs diff %.2g)", e_aicc);
	CHECK(cmp_fits > 0 && e_s2 <= 1e-4, "sigma2 (auto.arima's) within 1e-4 of R's (max rel diff %.2g)", e_s2);
	CHECK(fc_n > 0 && e_fc <= 0.01, "%d forecasts within 0.01 of R's standard error of R's (max %.2g)", fc_n, e_fc);
	CHECK(fc_n > 0 && e_half <= 2e-3, "80 %% and 95 %% interval half-widths within 0.2 %% of R's (max rel diff %.2g)",
		  e_half);
	/*
	 * The search path: same models in the same order on every fit but co2_last120/full, where
	 * the likelihood difference above (0.05 AICc) lets one more neighbour win a step (both end
	 * on R's model).  IC within 0.06 (max 0.05, co2_last120; 0.011 on other series).  A model whose Hessian the search
	 * skipped could not have won; its optimiser may stop at another point (lynx holdout: 0.67)
	 * and R's verdict on it may be Inf: its IC is held to 1.0.
	 */
	CHECK(trace_n > 0 && trace_same >= nfits - 1 && e_trace <= 0.06 && e_trace_u <= 1.0,
		  "search path equals R's trace on %d of %d fits (asserted all but 1), %d models; IC within 0.06 (max %.2g, %s; skipped-Hessian models %.2g, %d R found Inf)",
		  trace_same, nfits, trace_n, e_trace, trace_worst, e_trace_u, trace_unchecked);
	free(work);
	UNIT_EXIT();
}

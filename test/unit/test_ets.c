/*
 * test_ets.c -- the ETS engine (src/core/ets_*.c) against R's forecast::ets / forecast.ets (forecast 8.20):
 * the references of test/ref/ets_ref.R on the series of test/ref/autoarima_series.csv.
 *   automatic fits ("full" and "holdout" of every series): the same model as R, or a lower AICc than R's
 *     choice (R's optimiser stopped short); the share of identical choices >= 95 %;
 *   where the model is R's: loglik >= R's - 0.05; forecasts and 80/95 % bounds within 0.5 % (relative to
 *     max(|R's value|, R's 95 % half-width)), unless our likelihood is better by more than 0.05 (another
 *     optimum: then the forecasts are not comparable, counted and skipped);
 *   fixed models on R's datasets: the same three checks (simulated bounds, multiplicative trends: within
 *     twice R's own change between two seeds, at least 5 % of the 95 % width: another generator);
 *   60 further aus_retail series (test/ref/ets_ref_more.R): the automatic choice and its loglik;
 *   EtsOptions against ets(damped = TRUE / FALSE, allow.multiplicative.trend = TRUE) (ets_ref_options.R);
 *   the API: bad input, a constant series, cancellation, ets_describe, concurrent fits.
 * ETS_VERBOSE=1 prints a line per fit; ETS_TIMING=1 prints the CPU time of the automatic fits.
 */
#include "core/ets.h"
#include "unit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAXS 200
#define MAXN 1000

typedef struct
{
	char		name[48];
	int			m,
				h,
				n;
	double		y[MAXN];
} Series;

typedef struct
{
	char		kind[16],
				series[48],
				fit[16],
				model[48];
	int			n,
				m,
				h;
	double		loglik,
				aicc;
	int			row0;			/* first forecast row */
} RefFit;

typedef struct
{
	char		series[48],
				kind[16];
	int			step,
				sim;
	double		v[5],
				sim_dev;		/* R's own Monte Carlo spread of the bounds (another seed), / 95 % width */
} RefFc;

static int	split(char *line, char **f, int max);
static FILE *open_ref(const char *name);

static Series series[MAXS];
static int	nseries;

/* test/ref/ets_ref_more.csv: 60 more aus_retail series with R's automatic choice */
typedef struct
{
	Series		s;
	char		model[48];
	double		loglik,
				aicc,
				cpu_s;
} MoreRef;
static MoreRef *more;
static int	nmore;

static int
load_more(void)
{
	static char line[1 << 16];
	char	   *f[8];
	FILE	   *fp = open_ref("ets_ref_more.csv");

	if (!fp)
		return -1;
	more = calloc(100, sizeof(MoreRef));
	if (!fgets(line, sizeof(line), fp))
	{
		fclose(fp);
		return -1;
	}
	while (nmore < 100 && fgets(line, sizeof(line), fp))
	{
		MoreRef    *r = &more[nmore];
		char	   *p,
				   *end;

		if (split(line, f, 8) < 7)
			continue;
		snprintf(r->s.name, sizeof(r->s.name), "%s", f[0]);
		snprintf(r->model, sizeof(r->model), "%s", f[2]);
		for (char *c = r->model; *c; c++)
			if (*c == ';')
				*c = ',';
		r->loglik = atof(f[3]);
		r->aicc = atof(f[4]);
		r->cpu_s = atof(f[5]);
		r->s.m = 12;
		for (p = f[6]; r->s.n < MAXN; p = end)
		{
			double		v = strtod(p, &end);

			if (end == p)
				break;
			r->s.y[r->s.n++] = v;
		}
		if (r->s.n == atoi(f[1]))
			nmore++;
	}
	fclose(fp);
	return 0;
}
static RefFit *fits;
static int	nfits,
			nauto;
static RefFc *fcs;
static int	nfc;

static int
split(char *line, char **f, int max)
{
	int			k = 0;
	char	   *p = line;

	line[strcspn(line, "\r\n")] = 0;
	while (k < max)
	{
		f[k++] = p;
		p = strchr(p, ',');
		if (!p)
			break;
		*p++ = 0;
	}
	return k;
}

static FILE *
open_ref(const char *name)
{
	char		path[256];
	FILE	   *fp;

	snprintf(path, sizeof(path), "../ref/%s", name);
	fp = fopen(path, "r");
	if (!fp)
	{
		snprintf(path, sizeof(path), "test/ref/%s", name);
		fp = fopen(path, "r");
	}
	return fp;
}

static int
load(void)
{
	char		line[2048],
			   *f[32];
	FILE	   *fp = open_ref("autoarima_series.csv");

	if (!fp)
		return -1;
	fgets(line, sizeof(line), fp);
	while (fgets(line, sizeof(line), fp))
	{
		Series	   *s;

		if (split(line, f, 32) < 7)
			continue;
		if (nseries == 0 || strcmp(series[nseries - 1].name, f[0]) != 0)
		{
			s = &series[nseries++];
			snprintf(s->name, sizeof(s->name), "%s", f[0]);
			s->m = atoi(f[2]);
			s->h = atoi(f[3]);
			s->n = 0;
		}
		s = &series[nseries - 1];
		s->y[s->n++] = atof(f[6]);
	}
	fclose(fp);

	fits = calloc(1000, sizeof(RefFit));
	for (int pass = 0; pass < 2; pass++)
	{
		int			off = pass == 1;

		fp = open_ref(pass == 0 ? "ets_ref_auto.csv" : "ets_ref_fixed.csv");
		if (!fp)
			return -1;
		fgets(line, sizeof(line), fp);
		while (fgets(line, sizeof(line), fp) && nfits < 1000)
		{
			RefFit	   *r = &fits[nfits];
			int			nf = split(line, f, 32);

			if (nf < 20 + off)
				continue;
			snprintf(r->kind, sizeof(r->kind), "%s", pass == 0 ? "auto" : f[0]);
			snprintf(r->series, sizeof(r->series), "%s", f[0 + off]);
			snprintf(r->fit, sizeof(r->fit), "%s", f[1 + off]);
			r->n = atoi(f[2 + off]);
			r->m = atoi(f[3 + off]);
			r->h = atoi(f[4 + off]);
			snprintf(r->model, sizeof(r->model), "%s", f[5 + off]);
			for (char *c = r->model; *c; c++)	/* written as ETS(M;Ad;M) to keep the CSV unquoted */
				if (*c == ';')
					*c = ',';
			r->loglik = strcmp(f[14 + off], "NA") ? atof(f[14 + off]) : NAN;
			r->aicc = strcmp(f[16 + off], "NA") ? atof(f[16 + off]) : NAN;
			nfits++;
			if (pass == 0)
				nauto++;
		}
		fclose(fp);
	}

	fcs = calloc(10000, sizeof(RefFc));
	fp = open_ref("ets_ref_fc.csv");
	if (!fp)
		return -1;
	fgets(line, sizeof(line), fp);
	while (fgets(line, sizeof(line), fp) && nfc < 10000)
	{
		RefFc	   *r = &fcs[nfc];

		if (split(line, f, 32) < 10)
			continue;
		snprintf(r->series, sizeof(r->series), "%s", f[0]);
		snprintf(r->kind, sizeof(r->kind), "%s", f[1]);
		r->step = atoi(f[2]);
		for (int k = 0; k < 5; k++)
			r->v[k] = atof(f[3 + k]);
		r->sim = atoi(f[8]);
		r->sim_dev = atof(f[9]);
		nfc++;
	}
	fclose(fp);
	for (int i = 0; i < nfits; i++)
	{
		char		kind[24];

		if (i < nauto)
			snprintf(kind, sizeof(kind), "auto_%s", fits[i].fit);
		else
			snprintf(kind, sizeof(kind), "%s", fits[i].kind);
		fits[i].row0 = -1;
		for (int k = 0; k < nfc; k++)
			if (fcs[k].step == 1 && strcmp(fcs[k].series, fits[i].series) == 0 && strcmp(fcs[k].kind, kind) == 0)
			{
				fits[i].row0 = k;
				break;
			}
	}
	return 0;
}

static const Series *
find_series(const char *name)
{
	for (int i = 0; i < nseries; i++)
		if (strcmp(series[i].name, name) == 0)
			return &series[i];
	return NULL;
}

/* largest deviation of ours from R's forecasts (col 0) or bounds (cols 1-4), relative to
 * max(|R's value|, R's 95 % half-width) */
static double
fc_dev(const RefFit *r, const double *out[5], int cols_from, int cols_to, int *sim)
{
	double		worst = 0;

	*sim = 0;
	for (int i = 0; i < r->h; i++)
	{
		const RefFc *f = &fcs[r->row0 + i];
		double		hw = fabs(f->v[4] - f->v[3]) / 2;

		*sim |= f->sim;
		for (int c = cols_from; c <= cols_to; c++)
		{
			double		scale = fabs(f->v[c]) > hw ? fabs(f->v[c]) : hw,
						d;

			if (scale == 0)
				scale = 1e-12;
			d = fabs(out[c][i] - f->v[c]) / scale;
			if (f->sim && c > 0)
			{
				/* simulated: the deviation relative to the 95 % width, in units of R's own spread
				 * between two seeds (at least 2.5 % of the width) */
				double		spread = f->sim_dev > 0.025 ? f->sim_dev : 0.025;

				d = fabs(out[c][i] - f->v[c]) / (2 * hw) / spread;
			}
			if (!(d <= worst))
				worst = isnan(d) ? INFINITY : d;
		}
	}
	return worst;
}

/* a fit in another thread: the engine keeps no global state */
typedef struct
{
	const Series *s;
	EtsModel	fit;
	int			rc;
} ThreadJob;

static void *
thread_fit(void *arg)
{
	ThreadJob  *j = arg;
	char		msg[128];

	j->rc = ets_auto(j->s->y, j->s->n, j->s->m, &j->fit, msg, sizeof(msg));
	return NULL;
}

int
main(void)
{
	int			verbose = getenv("ETS_VERBOSE") != NULL,
				same = 0,
				better = 0,
				nchecks;
	double		cpu_auto = 0;
	char		msg[256];

	if (load() < 0 || nauto == 0 || load_more() < 0 || nmore == 0)
	{
		PLAN(1);
		CHECK(0, "ets: reference files test/ref/ets_ref_*.csv and autoarima_series.csv readable");
		UNIT_EXIT();
	}
	/* per automatic fit 4, per fixed fit 3, 2 summaries, per further aus_retail series 2 and 1 summary,
	 * 10 API checks, 6 option checks (test/ref/ets_ref_options.csv) */
	nchecks = 4 * nauto + 3 * (nfits - nauto) + 2 + 2 * nmore + 1 + 10 + 6;
	PLAN(nchecks);

	for (int i = 0; i < nfits; i++)
	{
		const RefFit *r = &fits[i];
		const Series *s = find_series(r->series);
		int			isauto = i < nauto,
					n,
					rc,
					sim = 0;
		EtsModel	fit;
		char		desc[32],
					label[128];
		double		mean[100],
					lo80[100],
					hi80[100],
					lo95[100],
					hi95[100];
		const double *out[5] = {mean, lo80, hi80, lo95, hi95};
		clock_t		t0;

		snprintf(label, sizeof(label), "%s %s %s", r->series, r->fit, isauto ? "auto" : r->kind);
		if (!s || r->row0 < 0 || r->h > 100)
		{
			for (int k = 0; k < (isauto ? 4 : 3); k++)
				CHECK(0, "ets %s: series and reference forecasts found", label);
			continue;
		}
		n = strcmp(r->fit, "full") == 0 ? s->n : s->n - s->h;
		t0 = clock();
		if (isauto)
			rc = ets_auto(s->y, n, s->m, &fit, msg, sizeof(msg));
		else
		{
			int			damped = r->kind[2] == 'd';
			char		tr = r->kind[1],
						se = r->kind[damped ? 3 : 2];

			rc = ets_fit(s->y, n, s->m, r->kind[0], tr, se, damped, &fit, msg, sizeof(msg));
		}
		if (isauto)
			cpu_auto += (double) (clock() - t0) / CLOCKS_PER_SEC;
		if (rc != 0)
		{
			for (int k = 0; k < (isauto ? 4 : 3); k++)
				CHECK(0, "ets %s: fitted (%s)", label, msg);
			continue;
		}
		ets_describe(&fit, desc, sizeof(desc));
		rc = ets_forecast(&fit, r->h, mean, lo80, hi80, lo95, hi95);
		if (isauto)
		{
			/* R returns ses()'s model for a constant series: "Simple exponential smoothing" = ETS(A,N,N) */
			int			ok = strcmp(desc, r->model) == 0
				|| (strcmp(r->model, "Simple exponential smoothing") == 0 && strcmp(desc, "ETS(A,N,N)") == 0);

			same += ok;
			CHECK(ok || fit.aicc <= r->aicc,
				  "ets %s: model %s as R's %s (or an AICc as low: %.4f vs %.4f)", label, desc, r->model,
				  fit.aicc, r->aicc);
			if (!ok)
			{
				SKIP("ets loglik", "another model than R's");
				SKIP("ets forecasts", "another model than R's");
				SKIP("ets bounds", "another model than R's");
				if (verbose)
					printf("# %-34s ours %-12s aicc %.4f  R %-12s aicc %.4f\n", label, desc, fit.aicc, r->model, r->aicc);
				ets_free(&fit);
				continue;
			}
		}
		if (isnan(r->loglik))
			CHECK(isnan(fit.loglik), "ets %s: no likelihood (constant series, or <= 6 points: least squares) as R", label);
		else
			CHECK(fit.loglik >= r->loglik - 0.05, "ets %s %s: loglik %.6f vs R %.6f", label, desc, fit.loglik,
				  r->loglik);
		if (rc != 0)
		{
			CHECK(0, "ets %s: forecast", label);
			CHECK(0, "ets %s: bounds", label);
		}
		else if (fit.loglik > r->loglik + 0.05)
		{
			better++;
			SKIP("ets forecasts", "a better optimum than R's");
			SKIP("ets bounds", "a better optimum than R's");
		}
		else
		{
			double		dm = fc_dev(r, out, 0, 0, &sim),
						db = fc_dev(r, out, 1, 4, &sim);

			CHECK(dm <= 0.005, "ets %s %s: forecasts within 0.5%% of R's (worst %.2e)", label, desc, dm);
			CHECK(db <= (sim ? 2.0 : 0.005), "ets %s %s: %s bounds within %s of R's (worst %.2e)", label, desc,
				  sim ? "simulated" : "analytic", sim ? "twice R's own seed-to-seed spread" : "0.5%", db);
		}
		if (verbose)
			printf("# %-34s %-12s loglik %.6f R %.6f\n", label, desc, fit.loglik, r->loglik);
		ets_free(&fit);
	}
	CHECK(same >= 0.95 * nauto, "ets: the same model as R on %d of %d automatic fits (%.1f %%, goal 95 %%)",
		  same, nauto, 100.0 * same / nauto);
	CHECK(better <= nfits / 10, "ets: %d fits reach a better optimum than R's (forecasts not compared)", better);
	if (getenv("ETS_TIMING"))
		printf("# %d automatic fits: %.3f s CPU (%.4f s per fit)\n", nauto, cpu_auto, cpu_auto / nauto);

	/* 60 more aus_retail series: the automatic choice and its likelihood */
	{
		int			same_more = 0;
		double		cpu = 0,
					cpu_r = 0;

		for (int i = 0; i < nmore; i++)
		{
			const MoreRef *r = &more[i];
			EtsModel	fit;
			char		desc[32];
			clock_t		t0 = clock();
			int			rc = ets_auto(r->s.y, r->s.n, 12, &fit, msg, sizeof(msg));

			cpu += (double) (clock() - t0) / CLOCKS_PER_SEC;
			cpu_r += r->cpu_s;
			if (rc != 0)
			{
				CHECK(0, "ets aus %s: fitted (%s)", r->s.name, msg);
				CHECK(0, "ets aus %s: loglik", r->s.name);
				continue;
			}
			ets_describe(&fit, desc, sizeof(desc));
			same_more += strcmp(desc, r->model) == 0;
			CHECK(strcmp(desc, r->model) == 0 || fit.aicc <= r->aicc, "ets aus %s: model %s as R's %s (or an AICc as low)",
				  r->s.name, desc, r->model);
			if (strcmp(desc, r->model) == 0)
				CHECK(fit.loglik >= r->loglik - 0.05, "ets aus %s %s: loglik %.6f vs R %.6f", r->s.name, desc,
					  fit.loglik, r->loglik);
			else
				SKIP("ets aus loglik", "another model than R's");
			ets_free(&fit);
		}
		CHECK(same_more >= 0.95 * nmore, "ets: the same model as R on %d of %d further aus_retail series", same_more,
			  nmore);
		if (getenv("ETS_TIMING"))
			printf("# %d further aus_retail series: %.3f s CPU, R's ets() %.3f s (%.1fx)\n", nmore, cpu, cpu_r,
				   cpu_r / cpu);
	}

	/* the API */
	{
		EtsModel	fit;
		double		y[40],
					mean[5],
					lo[5],
					hi[5];
		char		desc[32];
		volatile int cancel = 1;
		EtsOptions	o;

		for (int i = 0; i < 40; i++)
			y[i] = 7.5;
		CHECK(ets_auto(y, 40, 12, &fit, msg, sizeof(msg)) == 0 && fit.error == 'A' && fit.trend == 'N'
			  && fit.alpha == 0.99999 && fit.sigma2 == 0, "ets: a constant series is ETS(A,N,N), alpha 0.99999, sigma2 0");
		CHECK(ets_forecast(&fit, 5, mean, lo, hi, NULL, NULL) == 0 && mean[4] == 7.5 && lo[4] == 7.5 && hi[4] == 7.5,
			  "ets: a constant series forecasts itself with zero-width bounds");
		ets_free(&fit);
		for (int i = 0; i < 40; i++)
			y[i] = 10 + (i % 4) + 0.1 * i + (i % 3 == 0 ? 0.7 : -0.2);
		CHECK(ets_fit(y, 40, 4, 'A', 'N', 'M', 0, &fit, msg, sizeof(msg)) == -1 && strstr(msg, "forbidden"),
			  "ets: ETS(A,N,M) is refused as R refuses it (%s)", msg);
		y[3] = 0;
		CHECK(ets_fit(y, 40, 4, 'M', 'N', 'N', 0, &fit, msg, sizeof(msg)) == -1 && strstr(msg, "negative or zero"),
			  "ets: multiplicative error on data with a zero is refused (%s)", msg);
		CHECK(ets_auto(y, 40, 4, &fit, msg, sizeof(msg)) == 0 && fit.error == 'A',
			  "ets: the automatic choice skips multiplicative errors on data with a zero");
		ets_free(&fit);
		y[3] = NAN;
		CHECK(ets_auto(y, 40, 4, &fit, msg, sizeof(msg)) == -1 && strstr(msg, "missing"),
			  "ets: a missing value is an error (%s)", msg);
		y[3] = 13;
		CHECK(ets_auto(y, 5, 1, &fit, msg, sizeof(msg)) == 0 && fit.season == 'N' && isnan(fit.aicc),
			  "ets: 5 observations get R's least-squares Holt / SES fit, without a likelihood (test_ets_short.c)");
		ets_free(&fit);
		ets_options_default(&o);
		o.cancel = &cancel;
		CHECK(ets_auto_opts(y, 40, 4, &o, &fit, msg, sizeof(msg)) == -1 && strstr(msg, "cancel"),
			  "ets: a raised cancel flag stops the search (%s)", msg);
		fit.error = 'M';
		fit.trend = 'A';
		fit.damped = 1;
		fit.season = 'M';
		ets_describe(&fit, desc, sizeof(desc));
		CHECK(strcmp(desc, "ETS(M,Ad,M)") == 0, "ets: ets_describe gives %s", desc);
	}
	{
		/* four series fitted at once in four threads give what they give one by one */
		ThreadJob	jobs[4];
		pthread_t	th[4];
		int			ok = 1;

		for (int k = 0; k < 4; k++)
		{
			jobs[k].s = &series[k * (nseries / 4)];
			pthread_create(&th[k], NULL, thread_fit, &jobs[k]);
		}
		for (int k = 0; k < 4; k++)
		{
			EtsModel	one;

			pthread_join(th[k], NULL);
			if (jobs[k].rc != 0 || ets_auto(jobs[k].s->y, jobs[k].s->n, jobs[k].s->m, &one, msg, sizeof(msg)) != 0)
			{
				ok = 0;
				continue;
			}
			ok &= one.loglik == jobs[k].fit.loglik && one.alpha == jobs[k].fit.alpha && one.error == jobs[k].fit.error
				&& one.trend == jobs[k].fit.trend && one.season == jobs[k].fit.season;
			ets_free(&one);
			ets_free(&jobs[k].fit);
		}
		CHECK(ok, "ets: four series fitted in four threads at once equal the same fits one by one");
	}
	{
		/* EtsOptions as ets(damped = TRUE / FALSE, allow.multiplicative.trend = TRUE) */
		char		line[256],
				   *f[8];
		FILE	   *fp = open_ref("ets_ref_options.csv");
		int			k = 0;

		if (fp && fgets(line, sizeof(line), fp))
			while (k < 6 && fgets(line, sizeof(line), fp))
			{
				const Series *sr;
				EtsOptions	o;
				EtsModel	fit;
				char		desc[32];

				if (split(line, f, 8) < 4 || !(sr = find_series(f[0])))
					continue;
				for (char *c = f[2]; *c; c++)
					if (*c == ';')
						*c = ',';
				ets_options_default(&o);
				o.damped = strcmp(f[1], "damped") == 0 ? 1 : strcmp(f[1], "undamped") == 0 ? 0 : -1;
				o.allow_multiplicative_trend = strcmp(f[1], "multiplicative_trend") == 0;
				if (ets_auto_opts(sr->y, sr->n, sr->m, &o, &fit, msg, sizeof(msg)) != 0)
				{
					CHECK(0, "ets %s %s: fitted (%s)", f[0], f[1], msg);
					k++;
					continue;
				}
				ets_describe(&fit, desc, sizeof(desc));
				CHECK(strcmp(desc, f[2]) == 0 && fabs(fit.loglik - atof(f[3])) < 1e-6,
					  "ets %s with option %s: %s loglik %.6f as R's %s %s", f[0], f[1], desc, fit.loglik, f[2], f[3]);
				ets_free(&fit);
				k++;
			}
		if (fp)
			fclose(fp);
		for (; k < 6; k++)
			CHECK(0, "ets: test/ref/ets_ref_options.csv has 6 rows");
	}
	free(fits);
	free(fcs);
	free(more);
	UNIT_EXIT();
}

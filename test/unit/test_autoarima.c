/*
 * test_autoarima.c -- the automatic order selection (src/core/autoarima.c) against R's
 * forecast::auto.arima on the 68 committed reference series (test/ref/autoarima_*.csv, made by
 * test/ref/autoarima_ref.R): the unit-root tests (KPSS statistics, STL seasonal strength,
 * ndiffs/nsdiffs) on every fit, the chosen orders (share asserted), the first forecasts where
 * the orders agree, robustness (never NaN), and threads give identical results.
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

static Ser *
find_series(const char *name)
{
	for (int i = 0; i < nser; i++)
		if (strcmp(ser[i].name, name) == 0)
			return &ser[i];
	return NULL;
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

	openblas_set_num_threads(1);	/* tiny LAPACK calls: no BLAS threads (as arima_run_batch) */
	load();
	CHECK(nser == 68 && nref == 136, "read 68 series and 136 reference fits (%d, %d)", nser, nref);

	for (int i = 0; i < nref; i++)
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
		for (int k = 0; k < h; k++)
			if (!isfinite(fc[k]) || !isfinite(se[k]))
				nan_bad++;
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
	CHECK(same >= 136, "chosen orders equal R's on %d of %d fits", same, total);
	free(work);
	UNIT_EXIT();
}

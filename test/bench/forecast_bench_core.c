/*
 * forecast_bench_core.c -- the pure core of mktdb.forecast (src/core/forecast.c, no PostgreSQL, no
 * reading) timed per series on one thread, to tell the core's cost from the SQL glue's.  Reads the
 * series.csv of test/bench/forecast_bench_r.R (set, series, period, h, t, value, train; rows of one
 * series together, in t order), runs forecast_series() on every training part with each method named
 * on the command line, and prints per set and method the thread CPU milliseconds per series (each
 * series run `reps` times; the time is the mean).  Built and run by test/bench/forecast_bench_core.sh.
 *
 *   forecast_bench_core SERIES_CSV REPS METHOD...      e.g. ... series.csv 3 ets theta croston
 * FC_CORE_PER_SERIES=1: one CSV line per series instead (set, method, series, cpu_ms, description, then
 * the forecasts and bounds with 17 digits), to check that a change leaves every number as it was.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/forecast.h"

typedef struct Series
{
	char		set[32],
				name[64];
	int			m,
				h,
				n;				/* training points */
	double	   *y;
} Series;

static double
thread_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* minimal CSV reader for the bench's file: no quoted commas in set or series names */
static int
read_series(const char *path, Series **out)
{
	FILE	   *f = fopen(path, "r");
	char		line[512];
	int			ns = 0,
				cap = 0;
	Series	   *s = NULL;

	if (!f)
		return -1;
	if (!fgets(line, sizeof line, f))
		return -1;
	while (fgets(line, sizeof line, f))
	{
		char	   *fld[7];
		int			k = 0;
		char	   *p = line;

		for (char *q = line; k < 7; q++)
			if (*q == ',' || *q == '\n' || *q == 0)
			{
				int			end = *q == 0;

				*q = 0;
				fld[k++] = p;
				p = q + 1;
				if (end)
					break;
			}
		if (k < 7)
			continue;
		for (int j = 0; j < 7; j++)
			if (fld[j][0] == '"')
			{
				fld[j]++;
				fld[j][strlen(fld[j]) - 1] = 0;
			}
		if (strcmp(fld[6], "TRUE") != 0)
			continue;
		if (ns == 0 || strcmp(s[ns - 1].set, fld[0]) || strcmp(s[ns - 1].name, fld[1]))
		{
			if (ns == cap)
			{
				cap = cap ? 2 * cap : 256;
				s = realloc(s, sizeof(Series) * cap);
			}
			memset(&s[ns], 0, sizeof(Series));
			snprintf(s[ns].set, sizeof s[ns].set, "%s", fld[0]);
			snprintf(s[ns].name, sizeof s[ns].name, "%s", fld[1]);
			s[ns].m = atoi(fld[2]);
			s[ns].h = atoi(fld[3]);
			ns++;
		}
		s[ns - 1].y = realloc(s[ns - 1].y, sizeof(double) * (s[ns - 1].n + 1));
		s[ns - 1].y[s[ns - 1].n++] = strcmp(fld[5], "NA") ? atof(fld[5]) : NAN;
	}
	fclose(f);
	*out = s;
	return ns;
}

int
main(int argc, char **argv)
{
	Series	   *s;
	int			ns,
				reps,
				per_series = getenv("FC_CORE_PER_SERIES") && atoi(getenv("FC_CORE_PER_SERIES"));

	if (argc < 4)
	{
		fprintf(stderr, "usage: %s SERIES_CSV REPS METHOD...\n", argv[0]);
		return 2;
	}
	ns = read_series(argv[1], &s);
	reps = atoi(argv[2]);
	if (ns <= 0 || reps < 1)
	{
		fprintf(stderr, "no series in %s\n", argv[1]);
		return 1;
	}
	if (!per_series)
		printf("%-14s %-8s %7s %12s\n", "set", "method", "series", "cpu_ms/series");
	for (int a = 3; a < argc; a++)
	{
		int			meth = fc_method_of(argv[a]);
		double		all_ms = 0;

		if (meth < 0)
		{
			fprintf(stderr, "unknown method %s\n", argv[a]);
			return 2;
		}
		for (int i = 0; i < ns;)
		{
			int			j = i;
			double		set_ms = 0;

			for (; j < ns && strcmp(s[j].set, s[i].set) == 0; j++)
			{
				FcOptions	opt = {(FcMethod) meth, s[j].m};
				int			h = s[j].h;
				double	   *o = malloc(sizeof(double) * 5 * h),
						   *work = malloc(sizeof(double) * forecast_work_doubles(opt.method, s[j].n, s[j].m, h)),
						   *fm = malloc(sizeof(double) * h),
						   *fs = malloc(sizeof(double) * h);
				FcOut		out = {o, o + h, o + 2 * h, o + 3 * h, o + 4 * h};
				ArimaResult res;
				double		t0 = thread_ms(),
							ms;

				for (int r = 0; r < reps; r++)
					forecast_series(s[j].y, s[j].n, &opt, h, fm, fs, work, &res, &out, NULL);
				ms = (thread_ms() - t0) / reps;
				set_ms += ms;
				if (per_series)
				{
					/* the forecasts too, to check that a faster core gives the same numbers */
					printf("%s,%s,%s,%.4f,%s", s[j].set, argv[a], s[j].name, ms, out.description);
					for (int k = 0; k < 5 * h; k++)
						printf(",%.17g", o[k]);
					printf("\n");
				}
				free(o), free(work), free(fm), free(fs);
			}
			if (!per_series)
				printf("%-14s %-8s %7d %12.3f\n", s[i].set, argv[a], j - i, set_ms / (j - i));
			all_ms += set_ms;
			i = j;
		}
		if (!per_series)
			printf("%-14s %-8s %7d %12.3f\n", "all", argv[a], ns, all_ms / ns);
	}
	return 0;
}

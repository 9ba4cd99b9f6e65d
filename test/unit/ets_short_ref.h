/*
 * ets_short_ref.h -- the references of R's ets() on short series (test/ref/ets_short_ref.R: ets(y);
 * test/ref/ets_fixed_short_ref.R: ets(y, model, damped), the model and damping instead of alpha, beta) for test_ets_short.c and
 * test_ets_fixed_short.c: reading them, and the deviation of forecasts and bounds from R's.
 */
#ifndef MKTDB_ETS_SHORT_REF_H
#define MKTDB_ETS_SHORT_REF_H
#include "core/ets.h"
#include "refcsv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHORT_H 6
#define SHORT_MAXN 9

typedef struct
{
	char		name[40],
				model[4],		/* fixed references only */
				method[16];
	int			n,
				m,
				damped;
	double		y[SHORT_MAXN],
				sigma2,
				fc[SHORT_H][5];
} ShortRef;

/* reads file (from test/unit or the root) into refs; fixed: the file has model and damped columns;
 * the number of series, or -1 */
static int
short_ref_load(const char *file, int fixed, ShortRef *refs, int max)
{
	char		path[256],
				line[1024];
	FILE	   *fp;
	int			nr = 0;

	snprintf(path, sizeof path, "../ref/%s", file);
	fp = fopen(path, "r");
	if (!fp)
	{
		snprintf(path, sizeof path, "test/ref/%s", file);
		fp = fopen(path, "r");
	}
	if (!fp || !fgets(line, sizeof line, fp))
		return -1;
	while (fgets(line, sizeof line, fp))
	{
		char	   *f[16];
		ShortRef   *r;
		int			step;

		if (csv_split(line, f, 16) < 14)
			continue;
		step = atoi(f[8]);
		if (step < 1 || step > SHORT_H)
			return -1;
		if (step == 1)
		{
			char	   *tok,
					   *save;
			int			k = 0;

			if (nr == max)
				return -1;
			r = &refs[nr++];
			snprintf(r->name, sizeof r->name, "%s", f[0]);
			r->n = atoi(f[1]);
			r->m = atoi(f[2]);
			if (fixed)
			{
				snprintf(r->model, sizeof r->model, "%s", f[4]);
				r->damped = atoi(f[5]);
			}
			snprintf(r->method, sizeof r->method, "%s", f[fixed ? 6 : 4]);
			r->sigma2 = csv_num(f[7]);
			for (tok = strtok_r(f[3], ";", &save); tok && k < SHORT_MAXN; tok = strtok_r(NULL, ";", &save))
				r->y[k++] = atof(tok);
			if (k != r->n)
				return -1;
		}
		r = &refs[nr - 1];
		for (int c = 0; c < 5; c++)
			r->fc[step - 1][c] = csv_num(f[9 + c]);
	}
	fclose(fp);
	return nr;
}

/* the largest deviation of fit's forecasts and 80/95 % bounds from R's, relative to
 * max(|R's value|, R's 95 % half-width) */
static double
short_ref_dev(const EtsModel *fit, const ShortRef *r)
{
	double		fc[5][SHORT_H],
				dev = 0;

	ets_forecast(fit, SHORT_H, fc[0], fc[1], fc[2], fc[3], fc[4]);
	for (int k = 0; k < SHORT_H; k++)
	{
		double		scale = fmax(fabs(r->fc[k][0]), r->fc[k][4] - r->fc[k][0]);

		for (int c = 0; c < 5; c++)
			dev = fmax(dev, csv_rel(fc[c][k], r->fc[k][c], fmax(scale, 1e-12)));
	}
	return dev;
}
#endif

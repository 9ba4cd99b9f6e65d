/*
 * test_theta.c -- the Theta method (src/core/theta.c) against R's forecast::thetaf on the 68
 * committed reference series (test/ref/autoarima_series.csv) and two short ones, reference values
 * in test/ref/theta_ref.csv (made by test/ref/theta_ref.R): per series the seasonality test, the
 * SES alpha, and every forecast and 95 % bound within 1e-6 relative (the 6-point series, where R
 * uses HoltWinters' L-BFGS-B and theta.c a golden-section search, within 1e-3).  Also R's
 * Nelder-Mead on a textbook function.  THETA_VERBOSE=1 prints every series.
 */
#include <stdio.h>

#include "core/nmmin.h"
#include "core/theta.h"
#include "refcsv.h"
#include "unit.h"

#define MAXS 80
#define MAXN 1200
#define MAXH 30

typedef struct Ser
{
	char		name[64];
	int			m,
				h,
				n,
				seasonal;
	double		y[MAXN];
	double		alpha,
				mean[MAXH],
				lo95[MAXH],
				hi95[MAXH];
} Ser;

static Ser	ser[MAXS];
static int	nser;

static Ser *
find(const char *name)
{
	for (int i = 0; i < nser; i++)
		if (strcmp(ser[i].name, name) == 0)
			return &ser[i];
	return NULL;
}

static void
add_fixed(const char *name, int m, const double *y, int n)
{
	Ser		   *s = &ser[nser++];

	strcpy(s->name, name);
	s->m = m;
	s->n = n;
	memcpy(s->y, y, sizeof(double) * n);
}

static int
load(void)
{
	char		line[4096];
	char	   *f[20];
	FILE	   *fp = fopen("../ref/autoarima_series.csv", "r");
	static const double nile6[] = {1120, 1160, 963, 1210, 1160, 1160};
	static const double ukgas10[] = {160.1, 129.7, 84.8, 120.1, 160.1, 124.9, 84.8, 116.9, 169.7, 140.9};

	if (!fp)
		return -1;
	if (!fgets(line, sizeof line, fp))
		return -1;
	while (fgets(line, sizeof line, fp))
	{
		Ser		   *s;

		if (csv_split(line, f, 10) < 7)
			continue;
		s = find(f[0]);
		if (!s)
		{
			s = &ser[nser++];
			strcpy(s->name, f[0]);
			s->m = atoi(f[2]);
			s->n = 0;
		}
		s->y[s->n++] = csv_num(f[6]);
	}
	fclose(fp);
	add_fixed("nile_first6", 1, nile6, 6);
	add_fixed("ukgas_first10", 4, ukgas10, 10);
	fp = fopen("../ref/theta_ref.csv", "r");
	if (!fp || !fgets(line, sizeof line, fp))
		return -1;
	while (fgets(line, sizeof line, fp))
	{
		Ser		   *s;
		int			step;

		if (csv_split(line, f, 20) < 14 || !(s = find(f[0])))
			continue;
		step = atoi(f[4]);
		if (step < 1 || step > MAXH)
			continue;
		s->h = atoi(f[3]);
		s->seasonal = atoi(f[5]);
		s->alpha = csv_num(f[6]);
		s->mean[step - 1] = csv_num(f[9]);
		s->lo95[step - 1] = csv_num(f[12]);
		s->hi95[step - 1] = csv_num(f[13]);
	}
	fclose(fp);
	return 0;
}

static double
rosenbrock(int n, const double *x, void *ex)
{
	return 100 * (x[1] - x[0] * x[0]) * (x[1] - x[0] * x[0]) + (1 - x[0]) * (1 - x[0]);
}

int
main(void)
{
	int			verbose = getenv("THETA_VERBOSE") != NULL;
	int			nseas = 0;

	if (load() != 0)
	{
		PLAN(1);
		CHECK(0, "reference files test/ref/autoarima_series.csv and theta_ref.csv readable");
		UNIT_EXIT();
	}
	PLAN(2 + 3 * nser);
	{
		/* optim(c(-1.2, 1), fr, method = "Nelder-Mead"): par 1.000260 1.000506, value 8.825241e-08, 195 calls */
		double		p[2] = {-1.2, 1},
					fmin;
		int			cnt,
					fail = nm_minimize(2, p, &fmin, rosenbrock, NULL, -INFINITY, 1.490116119384765625e-8,
									   1.0, 0.5, 2.0, 500, &cnt);

		CHECK(fail == 0 && cnt == 195 && fabs(p[0] - 1.000260) < 1e-6 && fabs(p[1] - 1.000506) < 1e-6,
			  "Nelder-Mead on Rosenbrock takes R's path (fail %d, %d calls, par %.6f %.6f)", fail, cnt, p[0], p[1]);
		CHECK_NEAR(fmin, 8.825241e-08, 1e-13, "Nelder-Mead on Rosenbrock: R's minimum");
	}
	for (int i = 0; i < nser; i++)
	{
		Ser		   *s = &ser[i];
		double		mean[MAXH],
					se[MAXH],
					emean = 0,
					ebound = 0,
					tol = s->n <= 6 ? 1e-3 : 1e-6;
		ThetaFit	fit;
		int			rc = theta_forecast(s->y, s->n, s->m, s->h, mean, se, &fit);

		for (int k = 0; k < s->h && rc == 0; k++)
		{
			double		lo = mean[k] - 1.959963984540054 * se[k],
						hi = mean[k] + 1.959963984540054 * se[k],
						scale = fabs(s->hi95[k] - s->lo95[k]);

			emean = fmax(emean, csv_rel(mean[k], s->mean[k], 1e-8));
			/* bounds relative to their width too, so that a bound near zero does not blow up */
			ebound = fmax(ebound, fmax(csv_rel(lo, s->lo95[k], fmax(scale, 1e-8)),
									   csv_rel(hi, s->hi95[k], fmax(scale, 1e-8))));
		}
		nseas += s->seasonal;
		if (verbose)
			printf("# %-20s n=%3d m=%2d seas %d/%d alpha %.8f/%.8f mean %.2e bound %.2e\n", s->name, s->n, s->m,
				   fit.seasonal, s->seasonal, fit.alpha, s->alpha, emean, ebound);
		CHECK(rc == 0 && fit.seasonal == s->seasonal, "%s: seasonality test as R (%d)", s->name, s->seasonal);
		CHECK(rc == 0 && emean <= tol, "%s: %d forecasts within %g of thetaf (max rel. error %.2e)", s->name, s->h, tol, emean);
		CHECK(rc == 0 && ebound <= tol && csv_rel(fit.alpha, s->alpha, 1e-8) <= (s->n <= 6 ? 1e-2 : 1e-5),
			  "%s: alpha %.8f (R %.8f) and 95 %% bounds (max error %.2e)", s->name, fit.alpha, s->alpha, ebound);
	}
	if (verbose)
		printf("# %d of %d series seasonal\n", nseas, nser);
	UNIT_EXIT();
}

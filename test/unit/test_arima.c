/*
 * test_arima.c -- the ARIMA core against R: Gardner's Q0 against R's makeARIMA, and every
 * reference fit of test/ref/arima_ref.R (coefficients, standard errors, sigma2, loglik, AICc,
 * 12-step forecasts and 80/95 % bounds), R's default CSS-ML method, plus MA inversion, fallbacks and the
 * optimiser on a known function.  Reads the committed CSVs under test/ref (run from test/unit).
 */
#include "core/arima.h"
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAXN 1000
#define MAXS 32

typedef struct Series
{
	char		name[64];
	int			period;
	int			n;
	double		y[MAXN];
} Series;

static Series series[MAXS];
static int	nseries;

static Series *
find_series(const char *name)
{
	for (int i = 0; i < nseries; i++)
		if (strcmp(series[i].name, name) == 0)
			return &series[i];
	return NULL;
}

static void
load_data(const char *path)
{
	FILE	   *f = fopen(path, "r");
	char		line[512];

	if (!f)
	{
		printf("not ok - open %s\n", path);
		exit(1);
	}
	fgets(line, sizeof line, f);
	while (fgets(line, sizeof line, f))
	{
		char	   *fld[5];
		int			k = 0;
		char	   *p = line;
		Series	   *s;

		line[strcspn(line, "\r\n")] = 0;
		for (k = 0; k < 5; k++)
		{
			fld[k] = p;
			p = strchr(p, ',');
			if (!p)
				break;
			*p++ = 0;
		}
		s = find_series(fld[0]);
		if (!s)
		{
			s = &series[nseries++];
			snprintf(s->name, sizeof s->name, "%s", fld[0]);
			s->period = atoi(fld[1]);
			s->n = 0;
		}
		s->y[s->n++] = fld[4][0] ? atof(fld[4]) : NAN;
	}
	fclose(f);
}

/* value of key for a series in arima_ref_fit.csv; NAN when absent */
static double
ref_value(const char *name, const char *key, int *orders)
{
	FILE	   *f = fopen("../ref/arima_ref_fit.csv", "r");
	char		line[512];
	double		v = NAN;

	fgets(line, sizeof line, f);
	while (fgets(line, sizeof line, f))
	{
		char		nm[64],
					k[64];
		int			o[7];
		double		val;

		if (sscanf(line, "%63[^,],%d,%d,%d,%d,%d,%d,%d,%63[^,],%lf", nm, &o[0], &o[1], &o[2], &o[3],
				   &o[4], &o[5], &o[6], k, &val) == 10 && strcmp(nm, name) == 0)
		{
			if (orders)
				memcpy(orders, o, sizeof o);
			if (strcmp(k, key) == 0)
				v = val;
		}
	}
	fclose(f);
	return v;
}

static int
within(double got, double want, double abs_tol, double rel_tol)
{
	return fabs(got - want) <= abs_tol || fabs(got - want) <= rel_tol * fabs(want);
}

static void
test_q0(void)
{
	FILE	   *f = fopen("../ref/arima_ref_q0.csv", "r");
	char		line[4096];

	fgets(line, sizeof line, f);
	while (fgets(line, sizeof line, f))
	{
		char	   *c1 = strchr(line, ',') + 1;
		char	   *c2 = strchr(c1, ',') + 1;
		char	   *c3 = strchr(c2, ',') + 1;
		char	   *c4 = strchr(c3, ',') + 1;
		double		phi[16],
					theta[16],
					want[256],
					Q0[256];
		double	   *work;
		int			p = 0,
					q = 0,
					r,
					nw = 0;
		char	   *e;
		double		maxdiff = 0;

		for (char *s = c1; *s != ','; s = e)
		{
			phi[p] = strtod(s, &e);
			if (e == s)
				break;
			p++;
		}
		for (char *s = c2; *s != ','; s = e)
		{
			theta[q] = strtod(s, &e);
			if (e == s)
				break;
			q++;
		}
		r = atoi(c3);
		for (char *s = c4; *s && *s != '\n'; s = e)
		{
			want[nw] = strtod(s, &e);
			if (e == s)
				break;
			nw++;
		}
		work = malloc(sizeof(double) * (arima_q0_work_doubles(p, q) + 1));
		arima_q0(phi, p, theta, q, Q0, work);
		free(work);
		for (int i = 0; i < r * r && i < nw; i++)
			if (fabs(Q0[i] - want[i]) > maxdiff)
				maxdiff = fabs(Q0[i] - want[i]);
		CHECK(nw == r * r && maxdiff < 1e-10, "Q0 (Gardner) p=%d q=%d matches R's makeARIMA (max diff %.2g)", p, q, maxdiff);
	}
	fclose(f);
}

static void
test_reference_fits(void)
{
	for (int si = 0; si < nseries; si++)
	{
		Series	   *s = &series[si];
		int			o[7];
		ArimaSpec	spec;
		ArimaResult res;
		double		mean[12],
					se[12];
		double	   *work;
		int			rc;
		double		worst_coef = 0,
					worst_fc = 0,
					worst_pi = 0,
					worst_se = 0;
		int			coef_ok = 1,
					se_ok = 1,
					fc_ok = 1,
					pi_ok = 1;

		if (isnan(ref_value(s->name, "loglik", o)))
			continue;
		spec = (ArimaSpec) {o[0], o[1], o[2], o[3], o[4], o[5], o[6], (o[1] + o[4]) == 0, ARIMA_ML, 0, 0, 0, 0};
		work = malloc(sizeof(double) * arima_work_doubles(&spec, s->n));
		rc = arima_fit_series(s->y, s->n, &spec, 12, mean, se, work, &res, NULL);
		free(work);
		CHECK(rc == ARIMA_OK && res.fallback == ARIMA_FB_NONE, "%s: (%d,%d,%d)(%d,%d,%d)[%d] fitted", s->name,
			  o[0], o[1], o[2], o[3], o[4], o[5], o[6]);
		for (int i = 0; i < res.ncoef; i++)
		{
			char		nm[32],
						nmse[40];
			double		want,
						wantse;

			arima_coef_name(&spec, i, nm, sizeof nm);
			snprintf(nmse, sizeof nmse, "%s_se", nm);
			want = ref_value(s->name, nm, NULL);
			wantse = ref_value(s->name, nmse, NULL);
			if (!within(res.coef[i], want, 0.01, 0.01))
				coef_ok = 0;
			if (fabs(res.coef[i] - want) > worst_coef)
				worst_coef = fabs(res.coef[i] - want);
			if (!within(res.se[i], wantse, 0.002, 0.05))
				se_ok = 0;
			if (fabs(res.se[i] - wantse) / wantse > worst_se)
				worst_se = fabs(res.se[i] - wantse) / wantse;
		}
		CHECK(coef_ok, "%s: coefficients within 0.01 or 1%% of R (max abs diff %.2g)", s->name, worst_coef);
		CHECK(se_ok, "%s: standard errors within 5%% of R (max rel diff %.2g)", s->name, worst_se);
		CHECK_NEAR(res.loglik, ref_value(s->name, "loglik", NULL), 0.05, "%s: loglik", s->name);
		CHECK(within(res.sigma2, ref_value(s->name, "sigma2", NULL), 0, 0.01), "%s: sigma2 within 1%% (%.6g vs %.6g)",
			  s->name, res.sigma2, ref_value(s->name, "sigma2", NULL));
		CHECK_NEAR(res.aicc, ref_value(s->name, "aicc", NULL), 0.1, "%s: aicc", s->name);

		{
			FILE	   *f = fopen("../ref/arima_ref_fc.csv", "r");
			char		line[512];

			fgets(line, sizeof line, f);
			while (fgets(line, sizeof line, f))
			{
				char		nm[64];
				int			step;
				double		m,
							sd,
							lo80,
							hi80,
							lo95,
							hi95;

				if (sscanf(line, "%63[^,],%d,%lf,%lf,%lf,%lf,%lf,%lf", nm, &step, &m, &sd, &lo80, &hi80,
						   &lo95, &hi95) != 8 || strcmp(nm, s->name) != 0)
					continue;
				{
					double		k = step - 1;
					double		l80 = mean[(int) k] - 1.2815515655446004 * se[(int) k];
					double		h95 = mean[(int) k] + 1.959963984540054 * se[(int) k];
					double		efc = fabs(mean[(int) k] - m) / fabs(m);
					double		epi = fmax(fabs(l80 - lo80) / fabs(lo80), fabs(h95 - hi95) / fabs(hi95));

					if (efc > 0.005)
						fc_ok = 0;
					if (epi > 0.01)
						pi_ok = 0;
					worst_fc = fmax(worst_fc, efc);
					worst_pi = fmax(worst_pi, epi);
				}
			}
			fclose(f);
		}
		CHECK(fc_ok, "%s: 12 forecasts within 0.5%% of R (max rel diff %.2g)", s->name, worst_fc);
		CHECK(pi_ok, "%s: interval bounds within 1%% of R (max rel diff %.2g)", s->name, worst_pi);
	}
}

/* value of key for a series in arima_ref_cssml.csv; NAN when absent */
static double
cssml_value(const char *name, const char *key)
{
	FILE	   *f = fopen("../ref/arima_ref_cssml.csv", "r");
	char		line[256];
	double		v = NAN;

	fgets(line, sizeof line, f);
	while (fgets(line, sizeof line, f))
	{
		char		nm[64],
					k[64];
		double		val;

		if (sscanf(line, "%63[^,],%63[^,],%lf", nm, k, &val) == 3 && strcmp(nm, name) == 0 && strcmp(k, key) == 0)
			v = val;
	}
	fclose(f);
	return v;
}

/* R's default method: CSS start values, then ML (what automatic order selection uses) */
static void
test_css_ml(void)
{
	for (int si = 0; si < nseries; si++)
	{
		Series	   *s = &series[si];
		int			o[7];
		ArimaSpec	spec;
		ArimaResult res;
		double		mean[1],
					se[1];
		double	   *work;
		int			rc,
					ok = 1;
		double		worst = 0;

		if (isnan(cssml_value(s->name, "loglik")) || isnan(ref_value(s->name, "loglik", o)))
			continue;
		spec = (ArimaSpec) {o[0], o[1], o[2], o[3], o[4], o[5], o[6], (o[1] + o[4]) == 0, ARIMA_CSS_ML, 0, 0, 0, 0};
		work = malloc(sizeof(double) * arima_work_doubles(&spec, s->n));
		rc = arima_fit(s->y, s->n, &spec, 1, mean, se, work, &res, NULL);
		free(work);
		for (int i = 0; i < res.ncoef; i++)
		{
			char		nm[32];
			double		want;

			arima_coef_name(&spec, i, nm, sizeof nm);
			want = cssml_value(s->name, nm);
			if (!within(res.coef[i], want, 0.01, 0.01))
				ok = 0;
			worst = fmax(worst, fabs(res.coef[i] - want));
		}
		CHECK(rc == ARIMA_OK && ok && fabs(res.loglik - cssml_value(s->name, "loglik")) <= 0.05,
			  "%s: CSS-ML as R's default method (max coef diff %.2g, loglik %.4f vs %.4f)", s->name, worst,
			  res.loglik, cssml_value(s->name, "loglik"));
	}
}

/* many series on threads: the same results as one by one, whatever the thread count; cancel */
static void
test_batch(void)
{
	ArimaSpec	spec = {0, 1, 1, 0, 1, 1, 12, 0, ARIMA_ML, 0, 0, 0, 0};
	ArimaBatchItem items[MAXS];
	double		fc[MAXS][2][12];
	int			longest = 0,
				same = 1,
				count = 0;
	size_t		per;
	double	   *work;
	volatile int cancel = 0;

	for (int i = 0; i < nseries; i++)
		longest = series[i].n > longest ? series[i].n : longest;
	per = arima_work_doubles(&spec, longest);
	work = malloc(sizeof(double) * per * 3);
	for (int threads = 1; threads <= 3; threads += 2)
	{
		for (int i = 0; i < nseries; i++)
		{
			items[i].y = series[i].y;
			items[i].n = series[i].n;
			items[i].fc_mean = fc[i][0];
			items[i].fc_se = fc[i][1];
		}
		CHECK(arima_fit_batch(items, nseries, &spec, 12, threads, work, per, &cancel) == ARIMA_OK,
			  "batch of %d series on %d thread(s)", nseries, threads);
		for (int i = 0; i < nseries; i++)
		{
			ArimaResult one;
			double		m[12],
						se[12];

			arima_fit_series(series[i].y, series[i].n, &spec, 12, m, se, work, &one, NULL);
			if (!items[i].done || memcmp(m, fc[i][0], sizeof m) != 0 || memcmp(se, fc[i][1], sizeof se) != 0 ||
				one.loglik != items[i].res.loglik)
				same = 0;
			count++;
		}
	}
	CHECK(same, "batch results are bit-identical to single fits (%d comparisons)", count);
	cancel = 1;
	CHECK(arima_fit_batch(items, nseries, &spec, 12, 3, work, per, &cancel) == ARIMA_ECANCEL && !items[0].done,
		  "a set cancel flag stops the batch");
	free(work);
}

static double
rosen(int n, const double *x, void *ex)
{
	(void) n;
	(void) ex;
	return 100 * (x[1] - x[0] * x[0]) * (x[1] - x[0] * x[0]) + (1 - x[0]) * (1 - x[0]);
}

static void
test_building_blocks(void)
{
	OptimControl ctl;
	double		x[2] = {-1.2, 1};
	double		work[64],
				f;
	int			rc;
	double		ma[2] = {2.0, 0.0};
	double		ma2[2] = {-2.5, 1.0};	/* 1 - 2.5z + z^2 = (1 - 0.5z)(1 - 2z) */

	optim_defaults(&ctl);
	rc = optim_bfgs(2, x, &f, rosen, NULL, &ctl, work, NULL);
	/* R: optim(c(-1.2,1), fr, method = "BFGS") without gradient stops at 0.9998, 0.9996 */
	CHECK(rc == 0 && fabs(x[0] - 1) < 1e-2 && fabs(x[1] - 1) < 2e-2, "BFGS minimises Rosenbrock (%.4f, %.4f)", x[0], x[1]);

	CHECK(arima_ma_invert(ma, 2) == 1 && fabs(ma[0] - 0.5) < 1e-12, "MA(1) inversion 2 -> 0.5");
	CHECK(arima_ma_invert(ma2, 2) == 1 && fabs(ma2[0] + 1.0) < 1e-9 && fabs(ma2[1] - 0.25) < 1e-9,
		  "MA(2) inversion reflects the root inside the unit circle (%.6f, %.6f)", ma2[0], ma2[1]);
	{
		double		ar1[1] = {0.5},
					ar2[1] = {1.1},
					ar3[2] = {0.5, 0.6};

		CHECK(arima_ar_stationary(ar1, 1) && !arima_ar_stationary(ar2, 1) && !arima_ar_stationary(ar3, 2),
			  "AR stationarity check");
	}
}

static void
test_fallbacks(void)
{
	double		y[40],
				mean[5],
				se[5];
	ArimaSpec	spec = {1, 1, 1, 0, 0, 0, 1, 0, ARIMA_ML, 0, 0, 0, 0};
	ArimaResult res;
	double	   *work = malloc(sizeof(double) * arima_work_doubles(&spec, 40));

	for (int i = 0; i < 40; i++)
		y[i] = 5.0;
	arima_fit_series(y, 40, &spec, 5, mean, se, work, &res, NULL);
	CHECK(res.fallback == ARIMA_FB_CONSTANT && mean[4] == 5.0 && se[4] == 0.0, "constant series: mean, zero width");

	arima_fit_series(y, 3, &spec, 5, mean, se, work, &res, NULL);
	for (int i = 0; i < 3; i++)
		y[i] = i * i;
	arima_fit_series(y, 3, &spec, 5, mean, se, work, &res, NULL);
	CHECK(res.fallback == ARIMA_FB_TOO_SHORT && fabs(mean[0] - 5.0 / 3) < 1e-12 && isfinite(se[0]),
		  "3 points for ARIMA(1,1,1): too short, mean %.4f", mean[0]);

	for (int i = 0; i < 40; i++)
		y[i] = NAN;
	arima_fit_series(y, 40, &spec, 5, mean, se, work, &res, NULL);
	CHECK(res.fallback == ARIMA_FB_NO_DATA, "all missing: no data");

	/* squares overflow: the likelihood is not finite, nor the random walk's: the mean is left */
	for (int i = 0; i < 40; i++)
		y[i] = 1e160 * (1 + i % 3);
	arima_fit_series(y, 40, &spec, 5, mean, se, work, &res, NULL);
	CHECK(res.fallback == ARIMA_FB_FAILED_MEAN && isfinite(mean[0]) && !isnan(se[0]),
		  "a fit that cannot start falls back to the mean (%s)", arima_fallback_text(res.fallback));
	CHECK(strcmp(arima_fallback_text(ARIMA_FB_TOO_SHORT), "too short: mean") == 0, "fallback text");
	free(work);
}

/*
 * The automatic search's likelihood: Chandrasekhar recursions from the exact first column of
 * the stationary covariance.  Column checked against the Lyapunov solution by Smith's doubling
 * (P = sum_k T^k v v' T'^k), the likelihood against the Kalman filter (arima_like) started
 * from the full Q0, on seasonal models with random stationary, invertible coefficients.
 */
static void
test_chandrasekhar(void)
{
	uint64_t	st = 42;
	double		col_err = 0.0,
				like_err = 0.0,
				css_err = 0.0;
	int			models = 0;

	for (int it = 0; it < 60; it++)
	{
		int			s = (it % 3 == 0) ? 12 : (it % 3 == 1) ? 7 : 4;
		int			p0 = it % 3,
					q0 = (it / 3) % 3,
					P = (it / 9) % 2,
					Q = (it / 18) % 2 || it % 5 == 0;
		int			p = p0 + s * P,
					q = q0 + s * Q,
					r = p > q + 1 ? p : q + 1,
					n = 150;
		double		phi[40] = {0},
					theta[40] = {0},
					u[6],
					y[150];
		double	   *T,
				   *L,
				   *A,
				   *tmp,
				   *Q0,
				   *col,
				   *cw,
				   *kw,
				   *a,
				   *Pm;
		double		s1,
					l1,
					s2,
					l2;
		int			n1,
					n2;

		for (int i = 0; i < 6; i++)
		{
			st = st * 6364136223846793005ULL + 1442695040888963407ULL;
			u[i] = (double) (st >> 11) / 9007199254740992.0 * 1.8 - 0.9;
		}
		/* (1 - u0 B - u1 B^2)(1 - u2 B^s) and (1 + u3 B + u4 B^2)(1 + u5 B^s), |u1| small enough */
		for (int i = 0; i <= p0; i++)
			for (int j = 0; j <= P; j++)
			{
				double		c = (i == 0 ? 1.0 : -(i == 1 ? u[0] : 0.4 * u[1])) * (j == 0 ? 1.0 : -u[2]);

				if (i + j * s > 0)
					phi[i + j * s - 1] -= c;
			}
		for (int i = 0; i <= q0; i++)
			for (int j = 0; j <= Q; j++)
			{
				double		c = (i == 0 ? 1.0 : (i == 1 ? u[3] : 0.3 * u[4])) * (j == 0 ? 1.0 : u[5]);

				if (i + j * s > 0)
					theta[i + j * s - 1] += c;
			}
		if (r < 2)
			continue;
		T = calloc((size_t) r * r, sizeof(double));
		L = calloc((size_t) r * r, sizeof(double));
		A = calloc((size_t) r * r, sizeof(double));
		tmp = calloc((size_t) r * r, sizeof(double));
		Q0 = calloc((size_t) r * r, sizeof(double));
		col = calloc(r, sizeof(double));
		cw = calloc(arima_chandra_work_doubles(r), sizeof(double));
		kw = calloc(arima_kalman_work_doubles(r, 0), sizeof(double));
		a = calloc(r, sizeof(double));
		Pm = calloc((size_t) r * r, sizeof(double));
		for (int i = 0; i < r; i++)
		{
			if (i < p)
				T[i] = phi[i];
			if (i + 1 < r)
				T[i + r * (i + 1)] = 1.0;
			for (int j = 0; j < r; j++)
			{
				double		vi = i == 0 ? 1.0 : (i - 1 < q ? theta[i - 1] : 0.0),
							vj = j == 0 ? 1.0 : (j - 1 < q ? theta[j - 1] : 0.0);

				L[i + r * j] = vi * vj;
			}
		}
		memcpy(A, T, (size_t) r * r * sizeof(double));
		for (int k = 0; k < 40; k++)
		{
			/* L += A L A', A = A A */
			for (int i = 0; i < r; i++)
				for (int j = 0; j < r; j++)
				{
					double		t = 0.0;

					for (int m = 0; m < r; m++)
						t += A[i + r * m] * L[m + r * j];
					tmp[i + r * j] = t;
				}
			for (int i = 0; i < r; i++)
				for (int j = 0; j < r; j++)
				{
					double		t = 0.0;

					for (int m = 0; m < r; m++)
						t += tmp[i + r * m] * A[j + r * m];
					Q0[i + r * j] = t;
				}
			for (int i = 0; i < r * r; i++)
				L[i] += Q0[i];
			for (int i = 0; i < r; i++)
				for (int j = 0; j < r; j++)
				{
					double		t = 0.0;

					for (int m = 0; m < r; m++)
						t += A[i + r * m] * A[m + r * j];
					tmp[i + r * j] = t;
				}
			memcpy(A, tmp, (size_t) r * r * sizeof(double));
		}
		arima_q0_col0(phi, p, theta, q, col, cw);
		for (int i = 0; i < r; i++)
			col_err = fmax(col_err, fabs(col[i] - L[i]) / L[0]);

		for (int t = 0; t < n; t++)
		{
			st = st * 6364136223846793005ULL + 1442695040888963407ULL;
			y[t] = sin(0.3 * t) + (double) (st >> 11) / 9007199254740992.0 - 0.5;
		}
		/* the Kalman filter from the exact Q0 (the doubling's), as R's ARIMA_Like runs it */
		memcpy(Q0, L, (size_t) r * r * sizeof(double));
		arima_like(y, n, phi, p, theta, q, NULL, 0, a, Pm, Q0, kw, &s1, &l1, &n1);
		arima_like_chandra(y, n, phi, p, theta, q, cw, &s2, &l2, &n2);
		like_err = fmax(like_err, fabs(0.5 * (log(s1 / n1) + l1 / n1) - 0.5 * (log(s2 / n2) + l2 / n2)));
		like_err = fmax(like_err, (double) abs(n1 - n2));

		/* the search's CSS on the once-differenced series against R's ARIMA_CSS ((1-B)(1-B^s)) */
		{
			ArimaSpec	sp = {p0, 1, q0, P, 1, Q, s, 0, ARIMA_CSS, 0, 0, 0.0, 0};
			int			nd = 1 + s,
						ncond = nd + p;
			double		wd[150],
						cw[300],
						c1,
						c2;

			for (int t = 0; t < n; t++)
				wd[t] = y[t] - (t >= 1 ? y[t - 1] : 0.0);
			for (int t = n - 1; t >= s + 1; t--)
				wd[t] -= wd[t - s];
			c1 = arima_css(y, n, &sp, phi, p, theta, q, ncond, cw);
			c2 = arima_css_differenced(wd + nd, n - nd, phi, p, theta, q, ncond - nd, cw);
			css_err = fmax(css_err, fabs(c1 - c2) / c1);
		}
		models++;
		free(T);
		free(L);
		free(A);
		free(tmp);
		free(Q0);
		free(col);
		free(cw);
		free(kw);
		free(a);
		free(Pm);
	}
	CHECK(models > 40 && col_err < 1e-11,
		  "first column of Q0 from autocovariances equals the Lyapunov solution on %d seasonal models (max rel error %.2g)",
		  models, col_err);
	CHECK(like_err < 1e-11,
		  "Chandrasekhar likelihood equals the Kalman filter's on the same models (max abs difference %.2g)", like_err);
	CHECK(css_err < 1e-12,
		  "CSS on the differenced series with zero coefficients skipped equals R's ARIMA_CSS (max rel difference %.2g)",
		  css_err);
}

int
main(void)
{
	load_data("../ref/arima_data.csv");
	test_q0();
	test_chandrasekhar();
	test_building_blocks();
	test_reference_fits();
	test_css_ml();
	test_batch();
	test_fallbacks();
	UNIT_EXIT();
}

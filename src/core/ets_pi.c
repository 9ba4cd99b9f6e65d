/*
 * ets_pi.c -- forecasts and prediction intervals as forecast.ets(level = c(80, 95)) gives them
 * (forecast 8.20): point forecasts from the final state; variances of class 1 (linear), class 2
 * (multiplicative error, linear states) and class 3 (multiplicative error and season, Hyndman et al. 2008
 * ch. 6); otherwise simulated paths (5000, Gaussian errors from a splitmix64 stream with a fixed seed; R
 * uses its own RNG, so these bounds agree with R's only to Monte Carlo error), quantiles of R's type 8.
 */
#include "ets_int.h"
#include "rng.h"

#include <cblas.h>
#include <stdlib.h>

#define ETS_NPATHS 5000

static const double Q80 = 1.2815515655446004;	/* qnorm(0.9) */
static const double Q95 = 1.959963984540054;	/* qnorm(0.975) */

/* ---------------------------------------------------------------------------------------------------
 * Forecasts (forecast.ets)
 * ------------------------------------------------------------------------------------------------- */

/* class1(): mu and, when cj != NULL, the h-1 coefficients c_j = H F^j G; var (may be NULL) */
static int
class1(const EtsModel *fit, int h, double *mu, double *cj, double *var)
{
	int			p = fit->n_state,
				m = fit->m,
				tr = fit->trend == 'A',
				se = fit->season == 'A';
	double		phi = fit->damped ? fit->phi : 1.0;
	double	   *F = calloc((size_t) p * p, sizeof(double)),
			   *G = calloc(p, sizeof(double)),
			   *r = calloc(p, sizeof(double)),
			   *r2 = calloc(p, sizeof(double));

	if (!F || !G || !r || !r2)
	{
		free(F), free(G), free(r), free(r2);
		return -1;
	}
	/* r = H */
	r[0] = 1;
	if (se)
		r[p - 1] = 1;
	if (tr)
		r[1] = phi;
	F[0] = 1;
	if (tr)
		F[1] = F[p + 1] = phi;
	if (se)
	{
		F[(p - m) * p + p - 1] = 1;
		for (int k = 0; k < m - 1; k++)
			F[(p - m + 1 + k) * p + (p - m + k)] = 1;
	}
	G[0] = fit->alpha;
	if (tr)
		G[1] = fit->beta;
	if (se)
		G[2] = fit->gamma;		/* R's class1 puts gamma in row 3 with or without a trend */
	for (int i = 0; i < h; i++)
	{
		double		a = 0,
					c = 0;

		for (int k = 0; k < p; k++)
		{
			a += r[k] * fit->state[k];
			c += r[k] * G[k];
		}
		mu[i] = a;
		if (i < h - 1)
		{
			if (cj)
				cj[i] = c;
			for (int k = 0; k < p; k++)
			{
				double		s = 0;

				for (int q = 0; q < p; q++)
					s += r[q] * F[q * p + k];
				r2[k] = s;
			}
			memcpy(r, r2, sizeof(double) * p);
		}
	}
	if (var)
	{
		double		cum = 0;

		var[0] = fit->sigma2;
		for (int i = 1; i < h; i++)
		{
			cum += cj[i - 1] * cj[i - 1];
			var[i] = fit->sigma2 * (1 + cum);
		}
	}
	free(F), free(G), free(r), free(r2);
	return 0;
}

static int
class2(const EtsModel *fit, int h, double *mu, double *var)
{
	double	   *cj = malloc(sizeof(double) * (h > 1 ? h : 1)),
			   *theta = malloc(sizeof(double) * h);
	double		s2 = fit->sigma2;

	if (!cj || !theta || class1(fit, h, mu, cj, NULL) < 0)
	{
		free(cj), free(theta);
		return -1;
	}
	theta[0] = mu[0] * mu[0];
	for (int j = 1; j < h; j++)
	{
		double		s = 0;

		for (int k = 0; k < j; k++)
			s += cj[k] * cj[k] * theta[j - 1 - k];
		theta[j] = mu[j] * mu[j] + s2 * s;
	}
	for (int j = 0; j < h; j++)
		var[j] = (1 + s2) * theta[j] - mu[j] * mu[j];
	free(cj), free(theta);
	return 0;
}

/* C = A B or A B' (A r x k, B k x c or c x k), row-major */
static void
matmul(const double *A, const double *B, double *C, int r, int k, int c, int transB)
{
	cblas_dgemm(CblasRowMajor, CblasNoTrans, transB ? CblasTrans : CblasNoTrans, r, c, k, 1.0, A, k, B,
				transB ? k : c, 0.0, C, c);
}

/* K = A (x) B, A ra x ca, B rb x cb */
static void
kron(const double *A, int ra, int ca, const double *B, int rb, int cb, double *K)
{
	int			cols = ca * cb;

	for (int ia = 0; ia < ra; ia++)
		for (int ja = 0; ja < ca; ja++)
			for (int ib = 0; ib < rb; ib++)
				for (int jb = 0; jb < cb; jb++)
					K[(ia * rb + ib) * cols + ja * cb + jb] = A[ia * ca + ja] * B[ib * cb + jb];
}

/* class3(): multiplicative error and season, trend N or A */
static int
class3(const EtsModel *fit, int h, double *mu, double *var)
{
	int			m = fit->m,
				q = 1 + (fit->trend != 'N'),
				p = fit->n_state,
				d = q * m;
	double		s2 = fit->sigma2,
				phi = fit->damped ? fit->phi : 1.0;
	double		F1[4] = {0},
				G1[4] = {0};
	size_t		dd = (size_t) d * d;
	double	   *F2 = calloc((size_t) m * m, sizeof(double)),
			   *G2 = calloc((size_t) m * m, sizeof(double)),
			   *Mh = calloc(d, sizeof(double)),
			   *Mn = calloc(d, sizeof(double)),
			   *T1 = calloc(d, sizeof(double)),
			   *F21 = calloc(dd, sizeof(double)),
			   *G21 = calloc(dd, sizeof(double)),
			   *K = calloc(dd, sizeof(double)),
			   *Kt = calloc(dd, sizeof(double)),
			   *Vh = calloc(dd, sizeof(double)),
			   *A = calloc(dd, sizeof(double)),
			   *B = calloc(dd, sizeof(double)),
			   *S = calloc(dd, sizeof(double)),
			   *vec = calloc(d, sizeof(double));
	int			rc = -1;

	if (!F2 || !G2 || !Mh || !Mn || !T1 || !F21 || !G21 || !K || !Kt || !Vh || !A || !B || !S || !vec)
		goto out;
	if (q == 1)
	{
		F1[0] = 1;
		G1[0] = fit->alpha;
	}
	else
	{
		F1[0] = 1;
		F1[1] = 1;
		F1[2] = 0;
		F1[3] = phi;
		G1[0] = G1[1] = fit->alpha;
		G1[2] = G1[3] = fit->beta;
	}
	/* F2 = rbind(c(0,...,0,1), cbind(I(m-1), 0)); G2[1, m] = gamma */
	F2[m - 1] = 1;
	for (int i = 1; i < m; i++)
		F2[i * m + i - 1] = 1;
	G2[m - 1] = fit->gamma;
	/* Mh (q x m, row-major) = states[1:q] %o% states[q+1 : p] */
	for (int i = 0; i < q; i++)
		for (int j = 0; j < m; j++)
			Mh[i * m + j] = fit->state[i] * fit->state[p - m + j];
	kron(F2, m, m, F1, q, q, F21);
	kron(G2, m, m, G1, q, q, G21);
	kron(G2, m, m, F1, q, q, A);
	kron(F2, m, m, G1, q, q, B);
	for (size_t i = 0; i < dd; i++)
		K[i] = A[i] + B[i];
	/* H21 = H2 (x) H1 picks the last block of q entries (all ones) of vec: index (m-1) q + 0..q-1 */
	for (int i = 0; i < h; i++)
	{
		double		hv = 0,
					mui = 0;
		int			o = (m - 1) * q;

		for (int a = 0; a < q; a++)
			mui += Mh[a * m + m - 1];
		for (int a = 0; a < q; a++)
			for (int b = 0; b < q; b++)
				hv += Vh[(size_t) (o + a) * d + o + b];
		mu[i] = mui;
		var[i] = (1 + s2) * hv + s2 * mui * mui;
		if (i == h - 1)
			break;
		/* vec(Mh), column-major of the q x m matrix */
		for (int j = 0; j < m; j++)
			for (int a = 0; a < q; a++)
				vec[j * q + a] = Mh[a * m + j];
		/* S = F21 Vh F21' + s2 (F21 Vh G21' + G21 Vh F21' + K (Vh + vv') K' + s2 G21 (3 Vh + 2 vv') G21') */
		matmul(F21, Vh, A, d, d, d, 0);
		matmul(A, F21, S, d, d, d, 1);		/* F21 Vh F21' */
		matmul(A, G21, B, d, d, d, 1);		/* F21 Vh G21' */
		for (int r = 0; r < d; r++)
			for (int c = 0; c < d; c++)
				S[r * d + c] += s2 * (B[r * d + c] + B[c * d + r]);	/* + G21 Vh F21' = (F21 Vh G21')' */
		for (int r = 0; r < d; r++)
			for (int c = 0; c < d; c++)
				Kt[r * d + c] = Vh[r * d + c] + vec[r] * vec[c];
		matmul(K, Kt, A, d, d, d, 0);
		matmul(A, K, B, d, d, d, 1);
		for (size_t k = 0; k < dd; k++)
			S[k] += s2 * B[k];
		for (int r = 0; r < d; r++)
			for (int c = 0; c < d; c++)
				Kt[r * d + c] = 3 * Vh[r * d + c] + 2 * vec[r] * vec[c];
		matmul(G21, Kt, A, d, d, d, 0);
		matmul(A, G21, B, d, d, d, 1);
		for (size_t k = 0; k < dd; k++)
			S[k] += s2 * s2 * B[k];
		memcpy(Vh, S, sizeof(double) * dd);
		/* Mh = F1 Mh F2' + G1 Mh G2' s2 */
		matmul(F1, Mh, T1, q, q, m, 0);
		matmul(T1, F2, Mn, q, m, m, 1);
		matmul(G1, Mh, T1, q, q, m, 0);
		matmul(T1, G2, A, q, m, m, 1);
		for (int k = 0; k < d; k++)
			Mh[k] = Mn[k] + A[k] * s2;
	}
	rc = 0;
out:
	free(F2), free(G2), free(Mh), free(Mn), free(T1), free(F21), free(G21), free(K), free(Kt);
	free(Vh), free(A), free(B), free(S), free(vec);
	return rc;
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : x > y;
}

/* quantile(x, p, type = 8) of sorted x[0..n-1] */
static double
quantile8(const double *x, int n, double p)
{
	const double fuzz = 4 * 2.220446049250313e-16;
	double		nppm = 1.0 / 3 + p * (n + 1.0 / 3),
				hh;
	int			j = (int) floor(nppm + fuzz),
				lo,
				hi;

	hh = nppm - j;
	if (fabs(hh) < fuzz)
		hh = 0;
	lo = j - 1;
	hi = j;
	if (lo < 0)
		lo = 0;
	if (lo > n - 1)
		lo = n - 1;
	if (hi < 0)
		hi = 0;
	if (hi > n - 1)
		hi = n - 1;
	if (hh == 0 || x[lo] == x[hi])
		return x[lo];
	return (1 - hh) * x[lo] + hh * x[hi];
}

static double
rnorm_std(uint64_t *s)
{
	/* Marsaglia's polar method on 53-bit uniforms */
	for (;;)
	{
		double		u = (mk_splitmix64(s) >> 11) * (1.0 / 9007199254740992.0) * 2 - 1,
					v = (mk_splitmix64(s) >> 11) * (1.0 / 9007199254740992.0) * 2 - 1,
					w = u * u + v * v;

		if (w > 0 && w < 1)
			return u * sqrt(-2 * log(w) / w);
	}
}

/* pegelsfcast.C(): simulated bounds (point forecasts from the state) */
static int
simulate_bounds(const EtsModel *fit, int h, unsigned long long seed, double *lo80, double *hi80,
				double *lo95, double *hi95)
{
	int			e = code_of(fit->error),
				t = code_of(fit->trend),
				s = code_of(fit->season),
				valid = 0;
	double		phi = fit->damped ? fit->phi : 1.0,
				sd = sqrt(fit->sigma2),
				beta = t != NONE ? fit->beta : 0,
				gamma = s != NONE ? fit->gamma : 0;
	double	   *paths = malloc(sizeof(double) * (size_t) ETS_NPATHS * h),
			   *ring = malloc(sizeof(double) * (fit->m + 1)),
			   *col = malloc(sizeof(double) * ETS_NPATHS);
	uint64_t	rs = (uint64_t) seed;

	if (!paths || !ring || !col)
	{
		free(paths), free(ring), free(col);
		return -1;
	}
	for (int p = 0; p < ETS_NPATHS; p++)
	{
		EtsState	st;
		int			ok = 1;

		state_load(&st, fit->state, t, s, s != NONE ? fit->m : 1, ring);
		for (int i = 0; i < h; i++)
		{
			double		f,
						err = sd * rnorm_std(&rs),
						yv;

			if (e == MULT && err < -1)
				err = -1;
			if (state_forecast(&st, t, s, phi, &f, 1) < 0)
			{
				ok = 0;
				break;
			}
			yv = e == ADD ? f + err : f * (1.0 + err);
			paths[(size_t) valid * h + i] = yv;
			state_update(&st, t, s, fit->alpha, beta, gamma, phi, yv);
		}
		if (ok)
			valid++;
	}
	for (int i = 0; i < h; i++)
	{
		for (int p = 0; p < valid; p++)
			col[p] = paths[(size_t) p * h + i];
		qsort(col, valid, sizeof(double), cmp_double);
		if (valid == 0)
		{
			if (lo80) lo80[i] = NAN;
			if (hi80) hi80[i] = NAN;
			if (lo95) lo95[i] = NAN;
			if (hi95) hi95[i] = NAN;
			continue;
		}
		if (lo80) lo80[i] = quantile8(col, valid, 0.1);
		if (hi80) hi80[i] = quantile8(col, valid, 0.9);
		if (lo95) lo95[i] = quantile8(col, valid, 0.025);
		if (hi95) hi95[i] = quantile8(col, valid, 0.975);
	}
	free(paths), free(ring), free(col);
	return 0;
}

static int
ets_forecast_seed(const EtsModel *fit, int h, unsigned long long seed, double *mean, double *lo80,
				  double *hi80, double *lo95, double *hi95)
{
	double	   *var = NULL;
	int			rc = 0;

	if (!fit || !fit->state || h < 1 || !mean)
		return -1;
	if (fit->error == 'A' && fit->trend != 'M' && fit->season != 'M')
	{
		double	   *cj = malloc(sizeof(double) * h);

		var = malloc(sizeof(double) * h);
		rc = (!cj || !var) ? -1 : class1(fit, h, mean, cj, var);
		free(cj);
	}
	else if (fit->error == 'M' && fit->trend != 'M' && fit->season != 'M')
	{
		var = malloc(sizeof(double) * h);
		rc = !var ? -1 : class2(fit, h, mean, var);
	}
	else if (fit->error == 'M' && fit->season == 'M' && fit->trend != 'M')
	{
		var = malloc(sizeof(double) * h);
		rc = !var ? -1 : class3(fit, h, mean, var);
	}
	else
	{
		EtsState	st;
		double	   *ring = malloc(sizeof(double) * (fit->m + 1));

		if (!ring)
			return -1;
		state_load(&st, fit->state, code_of(fit->trend), code_of(fit->season), fit->m, ring);
		if (state_forecast(&st, code_of(fit->trend), code_of(fit->season), fit->damped ? fit->phi : 1.0,
						   mean, h) < 0)
			for (int i = 0; i < h; i++)
				mean[i] = NAN;
		free(ring);
		if (lo80 || hi80 || lo95 || hi95)
			rc = simulate_bounds(fit, h, seed, lo80, hi80, lo95, hi95);
		return rc;
	}
	if (rc == 0)
		for (int i = 0; i < h; i++)
		{
			double		sd = sqrt(var[i]);

			if (lo80) lo80[i] = mean[i] - Q80 * sd;
			if (hi80) hi80[i] = mean[i] + Q80 * sd;
			if (lo95) lo95[i] = mean[i] - Q95 * sd;
			if (hi95) hi95[i] = mean[i] + Q95 * sd;
		}
	free(var);
	return rc;
}

int
ets_forecast(const EtsModel *fit, int h, double *mean, double *lo80, double *hi80, double *lo95, double *hi95)
{
	return ets_forecast_seed(fit, h, fit && fit->seed ? fit->seed : 1, mean, lo80, hi80, lo95, hi95);
}

/*
 * kalman.c -- the state-space side of seasonal ARIMA, following R's stats package so that
 * likelihoods agree to rounding:
 *   arima_q0()              initial covariance of the ARMA state by Gardner, Harvey and
 *                           Phillips (1980, AS 154), as R's getQ0 (SSinit = "Gardner1980")
 *   arima_like()            the filter of R's ARIMA_Like: the differencing lives in the state
 *                           (observation y_t = a0 + sum delta_i a_{r+i}), the d diffuse states
 *                           start with variance kappa = 1e6, and observations whose prediction
 *                           variance is >= 1e4 (the diffuse start) are left out of the likelihood
 *   arima_kalman_forecast() R's KalmanForecast on the same model
 *   arima_css()             R's ARIMA_CSS (conditional sum of squares)
 * and the automatic search's faster forms of the same quantities (equal up to rounding):
 *   arima_like_chandra()    the exact likelihood of the differenced series by Chandrasekhar
 *                           recursions, from arima_q0_col0() (Q0's first column, exactly)
 *   arima_css_differenced() CSS on a differenced series, zero coefficients skipped
 * State vector: r ARMA states then nd lagged (undifferenced) values; matrices column-major.
 * Pure C, no allocation: every buffer comes from the caller.
 */
#include "arima.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------- Gardner et al. (1980) ---------- */

size_t
arima_q0_work_doubles(int p, int q)
{
	size_t		r = (size_t) (p > q + 1 ? p : q + 1);
	size_t		np = r * (r + 1) / 2;

	/* V, thetab, xnext, xrow, and (with an AR part) the rbar triangle of the Givens QR */
	return 4 * np + (p > 0 ? np * (np - 1) / 2 : 0) + 1;
}

/*
 * Adds one equation (row xnext, right-hand side ynext) to the square-root-free Givens
 * factorisation d, rbar, thetab (AS 154's INCLU2).
 */
static void
givens_include(size_t np, const double *xnext, double *xrow, double ynext,
			   double *d, double *rbar, double *thetab)
{
	size_t		ir = 0;

	memcpy(xrow, xnext, np * sizeof(double));
	for (size_t i = 0; i < np; i++)
	{
		if (xrow[i] != 0.0)
		{
			double		xi = xrow[i];
			double		di = d[i];
			double		dpi = di + xi * xi;
			double		cbar = di / dpi;
			double		sbar = xi / dpi;
			double		yk;

			d[i] = dpi;
			for (size_t k = i + 1; k < np; k++)
			{
				double		xk = xrow[k];
				double		rb = rbar[ir];

				xrow[k] = xk - xi * rb;
				rbar[ir++] = cbar * rb + sbar * xk;
			}
			yk = ynext;
			ynext = yk - xi * thetab[i];
			thetab[i] = cbar * thetab[i] + sbar * yk;
			if (di == 0.0)
				return;
		}
		else
			ir += np - i - 1;
	}
}

/*
 * Solves Q0 = T Q0 T' + v v' (v = (1, theta)) for the r x r ARMA state covariance.  With an
 * AR part the equations for the packed upper triangle are generated in AS 154's order (which
 * puts leading zeros in the rows) and solved by Givens rotations; a pure MA model is solved by
 * back substitution.  The result is R's getQ0 exactly, including its behaviour for models
 * where AS 154 is known to be inexact (R's "Gardner1980" default keeps it, and so do we).
 */
void
arima_q0(const double *phi, int p, const double *theta, int q, double *Q0, double *work)
{
	long		r = p > q + 1 ? p : q + 1;
	long		np = r * (r + 1) / 2;
	long		nrbar = np * (np - 1) / 2;
	double	   *V = work;
	double	   *thetab = V + np;
	double	   *xnext = thetab + np;
	double	   *xrow = xnext + np;
	double	   *rbar = xrow + np;
	double	   *P = Q0;			/* packed solution first, unpacked in place at the end */
	long		ind;

	if (r == 1)
	{
		Q0[0] = (p == 0) ? 1.0 : 1.0 / (1.0 - phi[0] * phi[0]);
		return;
	}

	/* V: packed products v_i v_j, column by column of the lower triangle */
	ind = 0;
	for (long j = 0; j < r; j++)
	{
		double		vj = (j == 0) ? 1.0 : (j - 1 < q ? theta[j - 1] : 0.0);

		for (long i = j; i < r; i++)
		{
			double		vi = (i == 0) ? 1.0 : (i - 1 < q ? theta[i - 1] : 0.0);

			V[ind++] = vi * vj;
		}
	}

	if (p > 0)
	{
		long		npr = np - r;
		long		npr1 = npr + 1;
		long		indj = npr;
		long		ind1 = -1;
		long		ind2 = npr - 1;
		long		ithisr,
					im;

		memset(rbar, 0, nrbar * sizeof(double));
		memset(P, 0, np * sizeof(double));
		memset(thetab, 0, np * sizeof(double));
		memset(xnext, 0, np * sizeof(double));
		ind = 0;
		for (long j = 0; j < r; j++)
		{
			double		phij = (j < p) ? phi[j] : 0.0;
			long		indi = npr1 + j;

			xnext[indj++] = 0.0;
			for (long i = j; i < r; i++)
			{
				double		ynext = V[ind++];
				double		phii = (i < p) ? phi[i] : 0.0;

				if (j != r - 1)
				{
					xnext[indj] = -phii;
					if (i != r - 1)
					{
						xnext[indi] -= phij;
						xnext[++ind1] = -1.0;
					}
				}
				xnext[npr] = -phii * phij;
				if (++ind2 >= np)
					ind2 = 0;
				xnext[ind2] += 1.0;
				givens_include(np, xnext, xrow, ynext, P, rbar, thetab);
				xnext[ind2] = 0.0;
				if (i != r - 1)
				{
					xnext[indi++] = 0.0;
					xnext[ind1] = 0.0;
				}
			}
		}

		/* back substitution */
		ithisr = nrbar - 1;
		im = np - 1;
		for (long i = 0; i < np; i++)
		{
			double		bi = thetab[im];
			long		jm = np - 1;

			for (long j = 0; j < i; j++)
				bi -= rbar[ithisr--] * P[jm--];
			P[im--] = bi;
		}

		/* undo AS 154's reordering of the unknowns */
		for (long i = 0; i < r; i++)
			xnext[i] = P[npr + i];
		ind = np - 1;
		ind1 = npr - 1;
		for (long i = 0; i < npr; i++)
			P[ind--] = P[ind1--];
		for (long i = 0; i < r; i++)
			P[i] = xnext[i];
	}
	else
	{
		/* pure MA: back substitution */
		long		indn = np;

		ind = np;
		for (long i = 0; i < r; i++)
			for (long j = 0; j <= i; j++)
			{
				--ind;
				P[ind] = V[ind];
				if (j != 0)
					P[ind] += P[--indn];
			}
	}

	/* unpack the rows of the upper triangle (row 0 is in place), then mirror */
	ind = np;
	for (long i = r - 1; i > 0; i--)
		for (long j = r - 1; j >= i; j--)
			P[r * i + j] = P[--ind];
	for (long i = 0; i < r - 1; i++)
		for (long j = i + 1; j < r; j++)
			P[i + r * j] = P[j + r * i];
}

/* ---------- the likelihood recursion ---------- */

/*
 * One prediction step of the state: anew = T a.  T has phi in the first column of the ARMA
 * block, ones on its superdiagonal, and the differencing rows below.
 */
static void
predict_state(const double *a, double *anew, const double *phi, int p, int r, const double *delta, int nd)
{
	for (int i = 0; i < r; i++)
	{
		double		t = (i < r - 1) ? a[i + 1] : 0.0;

		if (i < p)
			t += phi[i] * a[0];
		anew[i] = t;
	}
	if (nd > 0)
	{
		double		t = a[0];

		for (int i = r + 1; i < r + nd; i++)
			anew[i] = a[i - 1];
		for (int i = 0; i < nd; i++)
			t += delta[i] * a[r + i];
		anew[r] = t;
	}
}

/*
 * Pnew = T P T' + V (V = (1, theta, 0...)(1, theta, 0...)'), exploiting the structure of T.
 * nzi lists the nz indexes k with delta[k] != 0 (seasonal differencing makes most of them
 * zero); skipping the zeros gives exactly the same sums.
 */
static void
predict_cov(const double *P, double *Pnew, double *mm, const double *phi, int p,
			const double *theta, int q, int r, const double *delta, int nd, const int *nzi, int nz)
{
	int			rd = r + nd;

	/*
	 * Every element is computed on its own, with R's operations in R's order, so the loops run
	 * down columns (contiguous memory) without changing any result.
	 */
	if (nd == 0)
	{
		for (int j = 0; j < r; j++)
		{
			for (int i = 0; i < r; i++)
			{
				double		vi = (i == 0) ? 1.0 : (i - 1 < q ? theta[i - 1] : 0.0);
				double		t = (j == 0) ? vi : (j - 1 < q ? vi * theta[j - 1] : 0.0);

				if (i < p && j < p)
					t += phi[i] * phi[j] * P[0];
				if (i < r - 1 && j < r - 1)
					t += P[i + 1 + r * (j + 1)];
				if (i < p && j < r - 1)
					t += phi[i] * P[j + 1];
				if (j < p && i < r - 1)
					t += phi[j] * P[i + 1];
				Pnew[i + r * j] = t;
			}
		}
		return;
	}

	/* mm = T P, column by column */
	for (int j = 0; j < rd; j++)
	{
		const double *Pj = P + (size_t) rd * j;
		double	   *mj = mm + (size_t) rd * j;
		double		t = Pj[0];

		/* (0 + phi_i P0j) + P(i+1)j, R's sum, is phi_i P0j + P(i+1)j exactly: no branches needed */
		int			pm = p < r - 1 ? p : r - 1;

		for (int i = 0; i < pm; i++)
			mj[i] = phi[i] * Pj[0] + Pj[i + 1];
		if (r - 1 > pm)
			memcpy(mj + pm, Pj + pm + 1, (r - 1 - pm) * sizeof(double));
		mj[r - 1] = (p == r) ? phi[r - 1] * Pj[0] : 0.0;
		for (int z = 0; z < nz; z++)
			t += delta[nzi[z]] * Pj[r + nzi[z]];
		mj[r] = t;
		if (nd > 1)
			memcpy(mj + r + 1, Pj + r, (nd - 1) * sizeof(double));
	}

	/* Pnew = mm T', column i of Pnew from columns 0 and i + 1 of mm */
	for (int i = 0; i < r; i++)
	{
		double	   *Pi = Pnew + (size_t) rd * i;
		const double *mnext = mm + (size_t) rd * (i + 1);

		if (i < p && i < r - 1)
			for (int j = 0; j < rd; j++)
				Pi[j] = phi[i] * mm[j] + mnext[j];
		else if (i < r - 1)
			memcpy(Pi, mnext, rd * sizeof(double));
		else if (i < p)
			for (int j = 0; j < rd; j++)
				Pi[j] = phi[i] * mm[j];
		else
			memset(Pi, 0, rd * sizeof(double));
	}
	for (int j = 0; j < rd; j++)
	{
		double		t = mm[j];

		for (int z = 0; z < nz; z++)
			t += delta[nzi[z]] * mm[rd * (r + nzi[z]) + j];
		Pnew[rd * r + j] = t;
	}
	for (int i = 1; i < nd; i++)
		memcpy(Pnew + (size_t) rd * (r + i), mm + (size_t) rd * (r + i - 1), rd * sizeof(double));
	/* + (1, theta)(1, theta)': zero MA coefficients (most, in a seasonal model) add exact zeros */
	for (int j = 0; j <= q; j++)
	{
		double		vj = (j == 0) ? 1.0 : theta[j - 1];

		if (vj == 0.0)
			continue;
		for (int i = 0; i <= q; i++)
		{
			double		vi = (i == 0) ? 1.0 : theta[i - 1];

			if (vi != 0.0)
				Pnew[i + rd * j] += vi * vj;
		}
	}
}

size_t
arima_kalman_work_doubles(int rd, int nd)
{
	return 2 * (size_t) rd + 2 * (size_t) rd * rd + (size_t) nd + 2;
}

/* indexes of the non-zero differencing coefficients, into an int array carved from work */
static int
nonzero_delta(const double *delta, int nd, int *nzi)
{
	int			nz = 0;

	for (int k = 0; k < nd; k++)
		if (delta[k] != 0.0)
			nzi[nz++] = k;
	return nz;
}

void
arima_like(const double *y, int n, const double *phi, int p, const double *theta, int q,
		   const double *delta, int nd, double *a, double *P, double *Pn, double *work,
		   double *ssq_out, double *sumlog_out, int *nu_out)
{
	arima_like_rss(y, n, phi, p, theta, q, delta, nd, a, P, Pn, work, ssq_out, sumlog_out, nu_out, NULL);
}

void
arima_like_rss(const double *y, int n, const double *phi, int p, const double *theta, int q,
			   const double *delta, int nd, double *a, double *P, double *Pn, double *work,
			   double *ssq_out, double *sumlog_out, int *nu_out, double *rss_out)
{
	double		rss = 0.0;

	int			r = p > q + 1 ? p : q + 1;
	int			rd = r + nd;
	double	   *anew = work;
	double	   *M = anew + rd;
	double	   *mm = M + rd;	/* rd * rd */
	int		   *nzi = (int *) (mm + (size_t) rd * rd);
	int			nz = nonzero_delta(delta, nd, nzi);
	double		ssq = 0.0,
				sumlog = 0.0;
	int			nu = 0;

	for (int l = 0; l < n; l++)
	{
		predict_state(a, anew, phi, p, r, delta, nd);
		/* the first step uses the initial covariance as given (R: sUP = 0) */
		if (l > 0)
			predict_cov(P, Pn, mm, phi, p, theta, q, r, delta, nd, nzi, nz);
		if (!isnan(y[l]))
		{
			double		resid = y[l] - anew[0];
			double		gain;

			for (int i = 0; i < nd; i++)
				resid -= delta[i] * anew[r + i];
			for (int i = 0; i < rd; i++)
			{
				double		t = Pn[i];

				for (int z = 0; z < nz; z++)
					t += Pn[i + (r + nzi[z]) * rd] * delta[nzi[z]];
				M[i] = t;
			}
			gain = M[0];
			for (int j = 0; j < nd; j++)
				gain += delta[j] * M[r + j];
			if (gain < 1e4)
			{
				nu++;
				ssq += resid * resid / gain;
				sumlog += log(gain);
			}
			rss += resid * resid / gain;	/* R's residuals: resid / sqrt(gain), diffuse ones too */
			for (int i = 0; i < rd; i++)
				a[i] = anew[i] + M[i] * resid / gain;
			/*
			 * Every element, as R: Pn is symmetric only up to rounding, so mirroring one
			 * triangle would change the last bits, and through the optimiser the 7th digit.
			 */
			for (int j = 0; j < rd; j++)
			{
				double		mj = M[j];

				for (int i = 0; i < rd; i++)
					P[i + j * rd] = Pn[i + j * rd] - M[i] * mj / gain;
			}
		}
		else
		{
			memcpy(a, anew, rd * sizeof(double));
			memcpy(P, Pn, (size_t) rd * rd * sizeof(double));
		}
	}
	*ssq_out = ssq;
	*sumlog_out = sumlog;
	*nu_out = nu;
	if (rss_out)
		*rss_out = rss;
}

void
arima_kalman_forecast(int h, const double *phi, int p, const double *theta, int q,
					  const double *delta, int nd, double *a, double *P, double *work,
					  double *mean, double *var)
{
	int			r = p > q + 1 ? p : q + 1;
	int			rd = r + nd;
	double	   *anew = work;
	double	   *Pnew = anew + rd;
	double	   *mm = Pnew + rd * rd;
	int		   *nzi = (int *) (mm + (size_t) rd * rd);
	int			nz = nonzero_delta(delta, nd, nzi);

	for (int l = 0; l < h; l++)
	{
		double		fc,
					v = 0.0;

		predict_state(a, anew, phi, p, r, delta, nd);
		fc = anew[0];
		for (int i = 0; i < nd; i++)
			fc += delta[i] * anew[r + i];
		memcpy(a, anew, rd * sizeof(double));
		mean[l] = fc;

		predict_cov(P, Pnew, mm, phi, p, theta, q, r, delta, nd, nzi, nz);
		memcpy(P, Pnew, (size_t) rd * rd * sizeof(double));
		/* Z P Z' with Z = (1, 0.., delta) */
		for (int i = 0; i < rd; i++)
		{
			double		zi = (i == 0) ? 1.0 : (i >= r ? delta[i - r] : 0.0);

			if (zi == 0.0)
				continue;
			for (int j = 0; j < rd; j++)
			{
				double		zj = (j == 0) ? 1.0 : (j >= r ? delta[j - r] : 0.0);

				v += zi * zj * P[i + j * rd];
			}
		}
		var[l] = v;
	}
}

/*
 * arima_css on a series already differenced (w of length n, the first ncond points only
 * conditioning), for the automatic search: the zero coefficients of seasonal polynomials are
 * skipped and the lag-1 MA term, kept in a register, comes last, so the recursion's critical
 * path is one multiply-subtract per point.  Equal to arima_css up to rounding.
 */
double
arima_css_differenced(const double *w, int n, const double *phi, int p, const double *theta, int q,
					  int ncond, double *resid)
{
	int			pi[ARIMA_MAX_R + 1],
				qi[ARIMA_MAX_R + 1],
				np = 0,
				nq = 0,
				nu = 0;
	double		ssq = 0.0,
				th1 = q > 0 ? theta[0] : 0.0,
				prev = 0.0;

	if (p > ARIMA_MAX_R || q > ARIMA_MAX_R || ncond < 0)
		return NAN;
	for (int j = 0; j < p; j++)
		if (phi[j] != 0.0)
			pi[np++] = j;
	for (int j = q - 1; j >= 1; j--)
		if (theta[j] != 0.0)
			qi[nq++] = j;		/* lags >= 2, descending */
	for (int l = 0; l < ncond && l < n; l++)
		resid[l] = 0.0;
	for (int l = ncond; l < n; l++)
	{
		double		t = w[l];
		int			jm = l - ncond; /* MA lags j + 1 with j < jm have a residual */

		for (int k = 0; k < np; k++)
			t -= phi[pi[k]] * w[l - pi[k] - 1];
		if (jm >= q)
			for (int k = 0; k < nq; k++)
				t -= theta[qi[k]] * resid[l - qi[k] - 1];
		else
			for (int k = 0; k < nq; k++)
				if (qi[k] < jm)
					t -= theta[qi[k]] * resid[l - qi[k] - 1];
		if (jm > 0)
			t -= th1 * prev;
		resid[l] = prev = t;
		if (!isnan(t))
		{
			nu++;
			ssq += t * t;
		}
	}
	return ssq / (double) nu;
}

double
arima_css(const double *y, int n, const ArimaSpec *spec, const double *phi, int p,
		  const double *theta, int q, int ncond, double *work)
{
	double	   *w = work;
	double	   *resid = w + n;
	double		ssq = 0.0;
	int			pi[ARIMA_MAX_R + 1],
				qi[ARIMA_MAX_R + 1],
				np = 0,
				nq = 0,
				nu = 0,
				sparse = 1;
	int			s = spec->s;

	if (p > ARIMA_MAX_R || q > ARIMA_MAX_R)
		return NAN;

	memcpy(w, y, n * sizeof(double));
	for (int i = 0; i < spec->d; i++)
		for (int l = n - 1; l > 0; l--)
			w[l] -= w[l - 1];
	for (int i = 0; i < spec->D; i++)
		for (int l = n - 1; l >= s; l--)
			w[l] -= w[l - s];
	for (int l = 0; l < ncond && l < n; l++)
		resid[l] = 0.0;

	/*
	 * Seasonal polynomials are mostly zeros.  Skipping them leaves every sum bit-identical
	 * (t - 0 * x == t) unless x is NaN, so with a missing value every coefficient is kept.
	 */
	for (int l = 0; l < n && sparse; l++)
		sparse = !isnan(w[l]);
	for (int j = 0; j < p; j++)
		if (!sparse || phi[j] != 0.0)
			pi[np++] = j;
	for (int j = 0; j < q; j++)
		if (!sparse || theta[j] != 0.0)
			qi[nq++] = j;
	for (int l = ncond; l < n; l++)
	{
		double		t = w[l];
		int			jm = l - ncond < q ? l - ncond : q;

		for (int k = 0; k < np; k++)
			t -= phi[pi[k]] * w[l - pi[k] - 1];
		for (int k = 0; k < nq && qi[k] < jm; k++)
			t -= theta[qi[k]] * resid[l - qi[k] - 1];
		resid[l] = t;
		if (!isnan(t))
		{
			nu++;
			ssq += t * t;
		}
	}
	return ssq / (double) nu;
}

/* ---------- the fast likelihood of the automatic search ---------- */

size_t
arima_chandra_work_doubles(int r)
{
	size_t		r2 = (size_t) r + 2;

	return r2 * r2 + 10 * r2;
}

/*
 * First column of the stationary covariance of the ARMA state (what Q0[, 1] of R's getQ0
 * is, exactly rather than through AS 154's Givens system): with the autocovariances gamma
 * and MA(infinity) weights psi of the process (unit innovation variance),
 *   Cov(a[0], a[0]) = gamma(0),
 *   Cov(a[i], a[0]) = sum_{k=i}^{r-1} phi_{k+1} gamma(k-i+1) + theta_k psi_{k-i}.
 * gamma(0..p) solve the p + 1 Yule-Walker-type equations (Brockwell & Davis 3.3.8) by
 * Gaussian elimination with partial pivoting; O(p^3 + r^2) instead of AS 154's O(r^6).
 * Returns -1 when the system is singular (a unit root).
 */
int
arima_q0_col0(const double *phi, int p, const double *theta, int q, double *col, double *work)
{
	int			r = p > q + 1 ? p : q + 1;
	int			np1 = p + 1;
	double	   *psi = work;		/* r */
	double	   *gam = psi + r;	/* r + 1 */
	double	   *A = gam + r + 1;	/* (p + 1)^2, row-major */

#define TH(j) ((j) == 0 ? 1.0 : ((j) <= q ? theta[(j) - 1] : 0.0))
	for (int j = 0; j < r; j++)
	{
		double		t = TH(j);

		for (int i = 1; i <= p && i <= j; i++)
			t += phi[i - 1] * psi[j - i];
		psi[j] = t;
	}
	/* rows k = 0..p: gamma(k) - sum_i phi_i gamma(|k - i|) = sum_{j>=k} theta_j psi_{j-k} */
	for (int k = 0; k < np1; k++)
	{
		double	   *row = A + (size_t) k * np1;
		double		rhs = 0.0;

		memset(row, 0, np1 * sizeof(double));
		row[k] = 1.0;
		for (int i = 1; i <= p; i++)
			row[abs(k - i)] -= phi[i - 1];
		for (int j = k; j <= q; j++)
			rhs += TH(j) * psi[j - k];
		gam[k] = rhs;
	}
	for (int c = 0; c < np1; c++)
	{
		int			piv = c;
		double		best = fabs(A[(size_t) c * np1 + c]);

		for (int k = c + 1; k < np1; k++)
			if (fabs(A[(size_t) k * np1 + c]) > best)
			{
				best = fabs(A[(size_t) k * np1 + c]);
				piv = k;
			}
		if (!(best > 0.0))
			return -1;
		if (piv != c)
		{
			double		t = gam[c];

			gam[c] = gam[piv];
			gam[piv] = t;
			for (int m = 0; m < np1; m++)
			{
				t = A[(size_t) c * np1 + m];
				A[(size_t) c * np1 + m] = A[(size_t) piv * np1 + m];
				A[(size_t) piv * np1 + m] = t;
			}
		}
		for (int k = c + 1; k < np1; k++)
		{
			double		f = A[(size_t) k * np1 + c] / A[(size_t) c * np1 + c];

			if (f == 0.0)
				continue;
			for (int m = c; m < np1; m++)
				A[(size_t) k * np1 + m] -= f * A[(size_t) c * np1 + m];
			gam[k] -= f * gam[c];
		}
	}
	for (int c = np1 - 1; c >= 0; c--)
	{
		double		t = gam[c];

		for (int m = c + 1; m < np1; m++)
			t -= A[(size_t) c * np1 + m] * gam[m];
		gam[c] = t / A[(size_t) c * np1 + c];
	}
	for (int k = np1; k <= r; k++)
	{
		double		t = 0.0;

		for (int i = 1; i <= p; i++)
			t += phi[i - 1] * gam[k - i];
		for (int j = k; j <= q; j++)
			t += TH(j) * psi[j - k];
		gam[k] = t;
	}
	col[0] = gam[0];
	for (int i = 1; i < r; i++)
	{
		double		t = 0.0;

		for (int k = i; k < r; k++)
			t += (k < p ? phi[k] * gam[k - i + 1] : 0.0) + TH(k) * psi[k - i];
		col[i] = t;
	}
#undef TH
	return isfinite(gam[0]) ? 0 : -1;
}

/*
 * The exact likelihood of a stationary ARMA without missing values by the Chandrasekhar
 * recursions (Morf, Sidhu & Kailath 1974; Herbst 2015): started from the stationary
 * covariance, P_{t+1} - P_t has rank one, P_{t+1} - P_t = W_t M_t W_t', so instead of the
 * r x r Riccati update each step moves the gain K_t = T P_t Z', the innovation variance F_t
 * and the rank-one factor:
 *   F_{t+1} = F_t + M_t c^2,  K_{t+1} = K_t + (T W_t) M_t c,   (c = W_t[0])
 *   W_{t+1} = T W_t - K_t c / F_t,  M_{t+1} = M_t F_t / F_{t+1},
 * with W_1 = K_1 and M_1 = -1 / F_1.  O(r) per observation against the Kalman filter's
 * O(r^2), and only the first column of Q0 is needed.  Once M W W' is below 1e-20 F the
 * filter is at its steady state (to rounding) and only the state moves.
 * Same quantities as arima_like for nd = 0 (nu counts innovations with variance < 1e4, as
 * R); returns -1 (ssq NaN) for a non-stationary AR part.
 */
int
arima_like_chandra(const double *y, int n, const double *phi, int p, const double *theta, int q,
				   double *work, double *ssq_out, double *sumlog_out, int *nu_out)
{
	int			r = p > q + 1 ? p : q + 1;
	double	   *ph = work;		/* phi padded with zeros to r */
	double	   *a = ph + r;		/* state and rank-one factor, r + 1 each (a zero pad for */
	double	   *a2 = a + r + 1; /* the shift), double-buffered */
	double	   *W = a2 + r + 1;
	double	   *W2 = W + r + 1;
	double	   *K = W2 + r + 1;
	double	   *col = K + r;
	double	   *qwork = col + r;
	double		F,
				M,
				logF = 0.0,
				ssq = 0.0,
				sumlog = 0.0,
				prod = 1.0;
	int			nu = 0,
				moving = 1,
				nconst = 0,
				nprod = 0;

	*ssq_out = NAN;
	*sumlog_out = 0.0;
	*nu_out = 0;
	if (arima_q0_col0(phi, p, theta, q, col, qwork) != 0 || !(col[0] > 0.0))
		return -1;
	for (int i = 0; i < r; i++)
		ph[i] = i < p ? phi[i] : 0.0;
	F = col[0];
	for (int i = 0; i < r; i++)
		K[i] = (i + 1 < r ? col[i + 1] : 0.0) + ph[i] * col[0];
	memcpy(W, K, r * sizeof(double));
	M = -1.0 / F;
	memset(a, 0, (r + 1) * sizeof(double));
	a2[r] = W[r] = W2[r] = 0.0;
	for (int t = 0; t < n; t++)
	{
		double		v = y[t] - a[0];
		double		g = v / F,
					a0 = a[0],
					*sw;

		if (F < 1e4)
		{
			nu++;
			ssq += v * g;
			if (!moving)
				nconst++;
			else if (++nprod < 16)
				prod *= F;
			else
			{
				/* one log per 16 variances: 1 <= F < 1e4, so the product stays below 1e64 */
				sumlog += log(prod * F);
				prod = 1.0;
				nprod = 0;
			}
		}
		if (moving)
		{
			/* one fused pass: a <- T a + K g, W <- T W - K c / F, K <- K + (T W) M c */
			double		c = W[0],
						W0 = W[0],
						Fn = F + M * c * c,
						mc = M * c,
						cf = c / F;

			for (int i = 0; i < r; i++)
			{
				double		tw = W[i + 1] + ph[i] * W0;

				a2[i] = a[i + 1] + ph[i] * a0 + K[i] * g;
				W2[i] = tw - K[i] * cf;
				K[i] += tw * mc;
			}
			sw = W;
			W = W2;
			W2 = sw;
			M *= F / Fn;
			F = Fn;
			/* steady state (to rounding) once M W W' < 1e-20 F; checked every 8th step */
			if ((t & 7) == 7)
			{
				double		wmax = 0.0;

				for (int i = 0; i < r; i++)
					if (fabs(W[i]) > wmax)
						wmax = fabs(W[i]);
				if (fabs(M) * wmax * wmax < 1e-20 * F)
				{
					moving = 0;
					logF = log(F);
				}
			}
		}
		else
			for (int i = 0; i < r; i++)
				a2[i] = a[i + 1] + ph[i] * a0 + K[i] * g;
		sw = a;
		a = a2;
		a2 = sw;
	}
	*ssq_out = ssq;
	*sumlog_out = sumlog + log(prod) + nconst * logF;
	*nu_out = nu;
	return 0;
}

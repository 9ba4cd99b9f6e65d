/*
 * arima_params.c -- the ARIMA model's parameters, as R's stats::arima handles them: the
 * state dimension, coefficient count and names, fallback names; polynomial roots (AR
 * stationarity, MA invertibility as R's maInvert); and the parameter transforms (partrans:
 * tanh + Durbin-Levinson so that AR parts stay stationary, with their inverse and Jacobian).
 * Pure C (LAPACK for the polynomial roots).  The fit is in arima.c (see arima_impl.h).
 */
#include "arima_impl.h"

#include <complex.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define GRADTRANS_EPS 1e-3

/* ---------- small helpers ---------- */

int
arima_state_dim(const ArimaSpec *s)
{
	int			pp = s->p + s->s * s->P;
	int			qq = s->q + s->s * s->Q;

	return pp > qq + 1 ? pp : qq + 1;
}

int
arima_ncoef(const ArimaSpec *s)
{
	return s->p + s->q + s->P + s->Q + ((s->include_mean || s->include_drift) ? 1 : 0);
}

void
arima_coef_name(const ArimaSpec *s, int i, char *buf, size_t len)
{
	if (i < s->p)
		snprintf(buf, len, "ar%d", i + 1);
	else if ((i -= s->p) < s->q)
		snprintf(buf, len, "ma%d", i + 1);
	else if ((i -= s->q) < s->P)
		snprintf(buf, len, "sar%d", i + 1);
	else if ((i -= s->P) < s->Q)
		snprintf(buf, len, "sma%d", i + 1);
	else
		snprintf(buf, len, s->include_drift ? "drift" : "intercept");
}

const char *
arima_fallback_text(ArimaFallback fb)
{
	switch (fb)
	{
		case ARIMA_FB_NONE:
			return NULL;
		case ARIMA_FB_NO_DATA:
			return "no data: no forecast";
		case ARIMA_FB_TOO_SHORT:
			return "too short: mean";
		case ARIMA_FB_CONSTANT:
			return "constant: mean";
		case ARIMA_FB_FAILED_NAIVE:
			return "fit failed: naive";
		case ARIMA_FB_FAILED_MEAN:
			return "fit failed: mean";
	}
	return "unknown";
}

/* ---------- polynomials ---------- */

/* complex roots of 1 + c[0] z + ... + c[k-1] z^k (c[k-1] != 0), as eigenvalues of the companion matrix */
static int
poly_roots(const double *c, int k, double complex *roots)
{
	double		A[64 * 64];
	double		wr[64],
				wi[64];

	if (k < 1 || k > 64)
		return -1;
	/* companion matrix of the monic z^k + (c[k-2]/c[k-1]) z^(k-1) + ... + 1/c[k-1] */
	memset(A, 0, sizeof(double) * k * k);
	for (int j = 0; j < k; j++)
	{
		double		coef = (j == 0) ? 1.0 : c[j - 1];	/* coefficient of z^j */

		A[0 + (k - 1 - j) * k] = -coef / c[k - 1];
	}
	for (int i = 1; i < k; i++)
		A[i + (i - 1) * k] = 1.0;
	if (LAPACKE_dgeev(LAPACK_COL_MAJOR, 'N', 'N', k, A, k, wr, wi, NULL, 1, NULL, 1) != 0)
		return -1;
	for (int i = 0; i < k; i++)
		roots[i] = wr[i] + I * wi[i];
	return 0;
}

int
arima_poly_root_moduli(const double *c, int k, double *mod)
{
	double complex roots[64];

	if (poly_roots(c, k, roots))
		return -1;
	for (int i = 0; i < k; i++)
		mod[i] = cabs(roots[i]);
	return 0;
}

int
arima_ar_stationary(const double *ar, int k)
{
	double		c[64] = {0},
				mod[64];
	int			pk = 0;

	for (int i = 0; i < k; i++)
		if (ar[i] != 0.0)
			pk = i + 1;
	if (pk == 0)
		return 1;
	if (pk > 64)
		return 0;
	for (int i = 0; i < pk; i++)
		c[i] = -ar[i];
	if (arima_poly_root_moduli(c, pk, mod))
		return 0;
	for (int i = 0; i < pk; i++)
		if (!(mod[i] > 1.0))
			return 0;
	return 1;
}

int
arima_ma_invert(double *ma, int k)
{
	double complex roots[64];
	double complex x[65];
	int			q0 = 0,
				any = 0;

	for (int i = 0; i < k; i++)
		if (ma[i] != 0.0)
			q0 = i + 1;
	if (q0 == 0 || q0 > 64)
		return 0;
	if (poly_roots(ma, q0, roots))
		return 0;
	for (int i = 0; i < q0; i++)
		if (cabs(roots[i]) < 1.0)
			any = 1;
	if (!any)
		return 0;
	if (q0 == 1)
	{
		ma[0] = 1.0 / ma[0];
		return 1;
	}
	for (int i = 0; i < q0; i++)
		if (cabs(roots[i]) < 1.0)
			roots[i] = 1.0 / roots[i];
	/* rebuild prod (1 - z / root) */
	x[0] = 1.0;
	for (int m = 0; m < q0; m++)
	{
		x[m + 1] = 0.0;
		for (int j = m + 1; j >= 1; j--)
			x[j] = x[j] - x[j - 1] / roots[m];
	}
	for (int i = 0; i < q0; i++)
		ma[i] = creal(x[i + 1]);
	return 1;
}

/* ---------- parameter transforms (R's partrans and friends) ---------- */

static void
partrans(int p, const double *raw, double *out)
{
	double		work[ARIMA_MAX_COEF];

	for (int j = 0; j < p; j++)
		work[j] = out[j] = tanh(raw[j]);
	for (int j = 1; j < p; j++)
	{
		double		a = out[j];

		for (int k = 0; k < j; k++)
			work[k] -= a * out[j - k - 1];
		for (int k = 0; k < j; k++)
			out[k] = work[k];
	}
}

static void
invpartrans(int p, const double *phi, double *out)
{
	double		work[ARIMA_MAX_COEF];

	for (int j = 0; j < p; j++)
		work[j] = out[j] = phi[j];
	for (int j = p - 1; j > 0; j--)
	{
		double		a = out[j];

		for (int k = 0; k < j; k++)
			work[k] = (out[k] + a * out[j - k - 1]) / (1 - a * a);
		for (int k = 0; k < j; k++)
			out[k] = work[k];
	}
	for (int j = 0; j < p; j++)
		out[j] = atanh(out[j]);
}

/* transformed (optimiser) parameters -> model parameters, on the AR and SAR blocks */
void
arima_undo_pars(const ArimaSpec *s, const double *in, double *out, int n)
{
	memcpy(out, in, n * sizeof(double));
	if (s->p > 0)
		partrans(s->p, in, out);
	if (s->P > 0)
		partrans(s->P, in + s->p + s->q, out + s->p + s->q);
}

void
arima_inv_trans(const ArimaSpec *s, const double *in, double *out, int n)
{
	memcpy(out, in, n * sizeof(double));
	if (s->p > 0)
		invpartrans(s->p, in, out);
	if (s->P > 0)
		invpartrans(s->P, in + s->p + s->q, out + s->p + s->q);
}

/* R's ARIMA_transPars: expands the seasonal product into phi (p + s*P) and theta (q + s*Q) */
void
arima_trans_pars(const ArimaSpec *s, const double *in, int trans, double *phi, double *theta)
{
	int			mp = s->p,
				mq = s->q,
				msp = s->P,
				msq = s->Q,
				ns = s->s;
	int			pp = mp + ns * msp,
				qq = mq + ns * msq;
	double		params[ARIMA_MAX_COEF];
	int			n = mp + mq + msp + msq;

	if (trans)
		arima_undo_pars(s, in, params, n);
	else
		memcpy(params, in, n * sizeof(double));
	for (int i = 0; i < pp; i++)
		phi[i] = i < mp ? params[i] : 0.0;
	for (int i = 0; i < qq; i++)
		theta[i] = i < mq ? params[i + mp] : 0.0;
	for (int j = 0; j < msp; j++)
	{
		phi[(j + 1) * ns - 1] += params[j + mp + mq];
		for (int i = 0; i < mp; i++)
			phi[(j + 1) * ns + i] -= params[i] * params[j + mp + mq];
	}
	for (int j = 0; j < msq; j++)
	{
		theta[(j + 1) * ns - 1] += params[j + mp + mq + msp];
		for (int i = 0; i < mq; i++)
			theta[(j + 1) * ns + i] += params[i + mp] * params[j + mp + mq + msp];
	}
}

/* R's ARIMA_Gradtrans: A[i + j*n] = d arima_undo_pars(x)_j / d x_i by forward differences */
void
arima_grad_trans(const ArimaSpec *s, const double *x, int n, double *A)
{
	double		w1[ARIMA_MAX_COEF],
				w2[ARIMA_MAX_COEF],
				w3[ARIMA_MAX_COEF];
	int			blocks[2][2] = {{0, s->p}, {s->p + s->q, s->P}};

	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			A[i + j * n] = (i == j);
	for (int b = 0; b < 2; b++)
	{
		int			v = blocks[b][0],
					m = blocks[b][1];

		if (m == 0)
			continue;
		for (int i = 0; i < m; i++)
			w1[i] = x[v + i];
		partrans(m, w1, w2);
		for (int i = 0; i < m; i++)
		{
			w1[i] += GRADTRANS_EPS;
			partrans(m, w1, w3);
			for (int j = 0; j < m; j++)
				A[i + v + (j + v) * n] = (w3[j] - w2[j]) / GRADTRANS_EPS;
			w1[i] -= GRADTRANS_EPS;
		}
	}
}

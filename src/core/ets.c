/*
 * ets.c -- exponential smoothing state-space models as R's forecast::ets(y) fits them (forecast 8.20):
 *   - the recursions of forecast's etscalc.c (additive/multiplicative error, none/additive/multiplicative
 *     trend, damping, none/additive/multiplicative season) and its criterion
 *     lik = n log(sum e^2) [+ 2 sum log|yhat| for multiplicative errors]; loglik = -lik / 2;
 *   - the starting values of initparam() and initstate() (classical decomposition, or a linear trend +
 *     one Fourier pair when n < 3m; least squares over the first max(10, 2m) seasonally adjusted points);
 *   - R's own Nelder-Mead (nmmin.c: reflection 1, contraction 0.5, expansion 2, relative tolerance
 *     sqrt(eps), at most 2000 evaluations) on (smoothing parameters, initial states), with the "both"
 *     bounds: the usual region (lower 1e-4 / 0.8, upper 0.9999 / 0.98, beta <= alpha, gamma <= 1 - alpha)
 *     intersected with the admissible region (Hyndman et al. 2008, ch. 10), whose seasonal part checks
 *     that the roots of the characteristic polynomial lie within 1 + 1e-10 (here: a Schur-Cohn test,
 *     eigenvalues only when a root is within 1e-7 of the unit circle);
 *   - the automatic choice by AICc in R's order with R's exclusions (restrict = TRUE, no multiplicative
 *     trend unless asked, no multiplicative error on non-positive data, no season when m = 1, m > 24 or
 *     n <= m, damped only with a trend);
 *   - forecast.ets's point forecasts and variances: class 1 (linear), class 2 (multiplicative error,
 *     linear states), class 3 (multiplicative error and season); otherwise simulated paths (5000, Gaussian
 *     errors from a splitmix64 stream with a fixed seed; R uses its own RNG, so these bounds agree with R's
 *     only to Monte Carlo error), quantiles of R's type 8.
 * Pure C, no global state; every buffer is malloc'd and freed on every path.
 */
#include "ets.h"
#include "autoarima.h"
#include "nmmin.h"
#include "rng.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE 0
#define ADD 1
#define MULT 2
#define TOL 1.0e-10
#define HUGEN 1.0e10
#define ETS_NPATHS 5000

static const double Q80 = 1.2815515655446004;	/* qnorm(0.9) */
static const double Q95 = 1.959963984540054;	/* qnorm(0.975) */

static void set_msg(char *msg, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
set_msg(char *msg, size_t len, const char *fmt, ...)
{
	va_list		ap;

	if (!msg || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
}

static int
code_of(char c)
{
	return c == 'A' ? ADD : c == 'M' ? MULT : NONE;
}

/* ---------------------------------------------------------------------------------------------------
 * The recursions.  The seasonal states are kept in a ring: s[k] (k = 0 newest ... m-1 oldest, R's order)
 * is ring[(head + m - 1 - k) % m]; the update overwrites the oldest and advances head.
 * ------------------------------------------------------------------------------------------------- */
typedef struct
{
	double		l,
				b;
	double	   *ring;
	int			head,
				m;
} EtsState;

static inline double
seas_at(const EtsState *st, int k)
{
	int			i = st->head + st->m - 1 - k;

	while (i >= st->m)
		i -= st->m;
	return st->ring[i];
}

/* the h forecasts of etscalc.c's forecast() from the current state; returns 0, or -1 when a
 * multiplicative trend went negative (R's NA) */
static int
state_forecast(const EtsState *st, int trend, int season, double phi, double *f, int h)
{
	double		phistar = phi;

	for (int i = 0; i < h; i++)
	{
		double		v;

		if (trend == NONE)
			v = st->l;
		else if (trend == ADD)
			v = st->l + phistar * st->b;
		else if (st->b < 0)
			return -1;
		else
			v = st->l * pow(st->b, phistar);
		if (season != NONE)
		{
			int			j = st->m - 1 - i;

			while (j < 0)
				j += st->m;
			if (season == ADD)
				v += seas_at(st, j);
			else
				v *= seas_at(st, j);
		}
		f[i] = v;
		if (i < h - 1)
		{
			if (fabs(phi - 1.0) < TOL)
				phistar += 1.0;
			else
				phistar += pow(phi, (double) (i + 1));
		}
	}
	return 0;
}

static inline void
state_update(EtsState *st, int trend, int season, double alpha, double beta, double gamma, double phi, double y)
{
	double		oldl = st->l,
				q,
				p,
				phib,
				sold = 0;

	if (trend == NONE)
	{
		q = oldl;
		phib = 0;
	}
	else if (trend == ADD)
	{
		phib = phi * st->b;
		q = oldl + phib;
	}
	else if (fabs(phi - 1.0) < TOL)
	{
		phib = st->b;
		q = oldl * st->b;
	}
	else
	{
		phib = pow(st->b, phi);
		q = oldl * phib;
	}
	if (season != NONE)
		sold = st->ring[st->head];	/* s[m-1], the oldest */
	if (season == NONE)
		p = y;
	else if (season == ADD)
		p = y - sold;
	else
		p = fabs(sold) < TOL ? HUGEN : y / sold;
	st->l = q + alpha * (p - q);
	if (trend != NONE)
	{
		double		r;

		if (trend == ADD)
			r = st->l - oldl;
		else
			r = fabs(oldl) < TOL ? HUGEN : st->l / oldl;
		st->b = phib + (beta / alpha) * (r - phib);
	}
	if (season != NONE)
	{
		double		t;

		if (season == ADD)
			t = y - q;
		else
			t = fabs(q) < TOL ? HUGEN : y / q;
		st->ring[st->head] = sold + gamma * (t - sold);
		if (++st->head == st->m)
			st->head = 0;
	}
}

static void
state_load(EtsState *st, const double *x, int trend, int season, int m, double *ring)
{
	st->l = x[0];
	st->b = trend != NONE ? x[1] : 0.0;
	st->m = m;
	st->head = 0;
	st->ring = ring;
	if (season != NONE)
		for (int k = 0; k < m; k++)
			ring[m - 1 - k] = x[1 + (trend != NONE) + k];	/* s[k] at ring[m-1-k] with head 0 */
}

static void
state_store(const EtsState *st, int trend, int season, double *x)
{
	x[0] = st->l;
	if (trend != NONE)
		x[1] = st->b;
	if (season != NONE)
		for (int k = 0; k < st->m; k++)
			x[1 + (trend != NONE) + k] = seas_at(st, k);
}

/*
 * etscalc: one pass over y from the initial state x0.  *lik as R's etscalc; e (may be NULL) the errors;
 * amse (may be NULL) the 1..3-step in-sample MSEs; xend (may be NULL) the final state.  Returns 0, or -1
 * when R's result would be NA (a multiplicative trend below zero).
 */
static inline __attribute__((always_inline)) int
etscalc_body(const double *y, int n, const double *x0, int m, int error, int trend, int season,
			 double alpha, double beta, double gamma, double phi, double *ring,
			 double *lik, double *e, double *amse, double *xend)
{
	EtsState	st;
	double		sse = 0.0,
				prod = 1.0,
				f[3],
				denom[3] = {0, 0, 0};
	int			nf = amse ? 3 : 1,
				ex2 = 0;

	if (season == NONE)
		m = 1;
	state_load(&st, x0, trend, season, m, ring);
	if (amse)
		amse[0] = amse[1] = amse[2] = 0.0;
	for (int i = 0; i < n; i++)
	{
		double		ei;

		if (amse)
		{
			if (state_forecast(&st, trend, season, phi, f, nf) < 0)
				return -1;
		}
		else
		{
			/* the one-step forecast of state_forecast(), inline: s[m-1] is ring[head] */
			if (trend == NONE)
				f[0] = st.l;
			else if (trend == ADD)
				f[0] = st.l + phi * st.b;
			else if (st.b < 0)
				return -1;
			else
				f[0] = st.l * pow(st.b, phi);
			if (season == ADD)
				f[0] += st.ring[st.head];
			else if (season == MULT)
				f[0] *= st.ring[st.head];
		}
		ei = error == ADD ? y[i] - f[0] : (y[i] - f[0]) / f[0];
		if (e)
			e[i] = ei;
		if (amse)
			for (int j = 0; j < 3; j++)
				if (i + j < n)
				{
					double		tmp = y[i + j] - f[j];

					denom[j] += 1.0;
					amse[j] = (amse[j] * (denom[j] - 1.0) + tmp * tmp) / denom[j];
				}
		state_update(&st, trend, season, alpha, beta, gamma, phi, y[i]);
		sse += ei * ei;
		if (error == MULT)
		{
			/* sum of log|f| as the log of a product kept in range (one log per series, not per step) */
			prod *= fabs(f[0]);
			if (prod > 1e150 || prod < 1e-150)
			{
				int			ex;

				prod = frexp(prod, &ex);
				ex2 += ex;
			}
		}
	}
	*lik = n * log(sse);
	if (error == MULT)
		*lik += 2 * (log(prod) + ex2 * M_LN2);
	if (xend)
		state_store(&st, trend, season, xend);
	return 0;
}

/* the optimiser's pass (no errors, MSEs or final state kept), compiled once per model class so that
 * the recursions carry no run-time branches on the model */
#define ETS_LIK(E, T, S) \
static int etslik_##E##T##S(const double *y, int n, const double *x0, int m, double alpha, double beta, \
							double gamma, double phi, double *ring, double *lik) \
{ return etscalc_body(y, n, x0, m, E, T, S, alpha, beta, gamma, phi, ring, lik, NULL, NULL, NULL); }
#define ETS_LIK_T(E, T) ETS_LIK(E, T, 0) ETS_LIK(E, T, 1) ETS_LIK(E, T, 2)
#define ETS_LIK_E(E) ETS_LIK_T(E, 0) ETS_LIK_T(E, 1) ETS_LIK_T(E, 2)
ETS_LIK_E(1)
ETS_LIK_E(2)

typedef int (*EtsLikFn) (const double *, int, const double *, int, double, double, double, double, double *, double *);

static const EtsLikFn etslik_fns[2][3][3] = {
	{{etslik_100, etslik_101, etslik_102}, {etslik_110, etslik_111, etslik_112}, {etslik_120, etslik_121, etslik_122}},
	{{etslik_200, etslik_201, etslik_202}, {etslik_210, etslik_211, etslik_212}, {etslik_220, etslik_221, etslik_222}},
};

static int
etscalc(const double *y, int n, const double *x0, int m, int error, int trend, int season,
		double alpha, double beta, double gamma, double phi, double *ring,
		double *lik, double *e, double *amse, double *xend)
{
	if (!e && !amse && !xend)
		return etslik_fns[error - 1][trend][season] (y, n, x0, m, alpha, beta, gamma, phi, ring, lik);
	return etscalc_body(y, n, x0, m, error, trend, season, alpha, beta, gamma, phi, ring, lik, e, amse, xend);
}

/* ---------------------------------------------------------------------------------------------------
 * The admissible region (forecast's admissible(), C++ and R alike)
 * ------------------------------------------------------------------------------------------------- */
typedef struct
{
	double	   *a,
			   *b;				/* m + 2 each */
	double	   *H,				/* (m+1)^2: companion matrix */
			   *wr,
			   *wi;				/* m + 1 each */
} RootWork;

/*
 * Are all roots of P(z) = c[0] + c[1] z + ... + c[d] z^d within |z| <= r?  R computes the roots
 * (polyroot) and compares the largest modulus with r = 1 + 1e-10; the same question is answered here
 * without the roots, by the Schur-Cohn recursion on Q(w) = P(r w): while |q_0| < |q_k|, replace q by
 * (q_k q(w) - q_0 q*(w)) / w (q* the reversed polynomial), which keeps the number of roots inside the
 * unit circle (Rouche) and lowers the degree; the roots are all inside iff the recursion reaches degree 0.
 * O(d^2) instead of an eigenvalue problem on every evaluation of the optimiser's target.
 */
static int
roots_within(const double *c, int d, double r, RootWork *w)
{
	double	   *a = w->a,
			   *b = w->b,
				s = 1;

	for (int j = 0; j <= d; j++, s *= r)
		a[j] = c[j] * s;
	for (int k = d; k >= 1; k--)
	{
		double		p0 = a[0],
					pk = a[k];

		if (!(fabs(p0) < fabs(pk)))
			return 0;
		for (int j = 0; j < k; j++)
			b[j] = pk * a[j + 1] - p0 * a[k - 1 - j];
		s = 1 / b[k - 1];
		for (int j = 0; j < k; j++)
			a[j] = b[j] * s;
	}
	return 1;
}

/*
 * The largest modulus of the roots of P (c increasing, c[d] = 1), from the eigenvalues of its companion
 * matrix.  Used only when a root lies within 1e-7 of the unit circle, where the Schur-Cohn recursion
 * (whose error grows like 1 / distance of a root to the circle tested) cannot tell 1 + 1e-10 from 1.
 */
static double
max_root_modulus(const double *c, int d, RootWork *w)
{
	double		mx = 0;

	memset(w->H, 0, sizeof(double) * d * d);
	for (int j = 0; j < d; j++)
		w->H[j] = -c[d - 1 - j];	/* first row (row-major) */
	for (int i = 1; i < d; i++)
		w->H[i * d + i - 1] = 1.0;
	if (LAPACKE_dhseqr(LAPACK_ROW_MAJOR, 'E', 'N', d, 1, d, w->H, d, w->wr, w->wi, NULL, d) != 0)
		return INFINITY;
	for (int i = 0; i < d; i++)
	{
		double		a = hypot(w->wr[i], w->wi[i]);

		if (a > mx)
			mx = a;
	}
	return mx;
}

/* seasonal: m > 1 and gamma in the model; beta 0 without trend, phi 1 undamped */
static int
admissible(double alpha, double beta, double gamma, double phi, int seasonal, int m, RootWork *w)
{
	if (phi < 0 || phi > 1 + 1e-8)
		return 0;
	if (!seasonal)
	{
		if (alpha < 1 - 1 / phi || alpha > 1 + 1 / phi)
			return 0;
		if (beta < alpha * (phi - 1) || beta > (1 + phi) * (2 - alpha))
			return 0;
	}
	else if (m > 1)
	{
		double		d = 1 - 1 / phi - alpha,
					c[26];

		if (gamma < (d > 0 ? d : 0) || gamma > 1 + 1 / phi - alpha)
			return 0;
		if (alpha < 1 - 1 / phi - gamma * (1 - m + phi + phi * m) / (2 * phi * m))
			return 0;
		if (beta < -(1 - phi) * (gamma / m + alpha))
			return 0;
		/* P(z) = phi (1-a-g) + (a+b-a phi+g-1) z + (a+b-a phi) (z^2 .. z^(m-1)) + (a+b-phi) z^m + z^(m+1) */
		c[0] = phi * (1 - alpha - gamma);
		c[1] = alpha + beta - alpha * phi + gamma - 1;
		for (int i = 2; i <= m - 1; i++)
			c[i] = alpha + beta - alpha * phi;
		c[m] = alpha + beta - phi;
		c[m + 1] = 1;
		if (beta == 0 && phi == 1)
		{
			/* P(1) = 0 exactly (no trend, no damping): test P(z) / (z - 1), the root 1 itself passes */
			double		q[26];

			q[m] = c[m + 1];
			for (int j = m; j >= 1; j--)
				q[j - 1] = c[j] + q[j];
			if (!roots_within(q, m, 1 - 1e-7, w)
				&& (!roots_within(q, m, 1 + 1e-7, w) || max_root_modulus(c, m + 1, w) > 1 + 1e-10))
				return 0;
		}
		else
		{
			if (!roots_within(c, m + 1, 1 - 1e-7, w)
				&& (!roots_within(c, m + 1, 1 + 1e-7, w) || max_root_modulus(c, m + 1, w) > 1 + 1e-10))
				return 0;
		}
	}
	return 1;
}

/* ---------------------------------------------------------------------------------------------------
 * The optimiser's target (forecast's EtsTargetFunction::eval with opt.crit = "lik", bounds = "both")
 * ------------------------------------------------------------------------------------------------- */
typedef struct
{
	const double *y;
	int			n,
				m,				/* the model's period: 1 without season */
				error,
				trend,
				season,
				damped;
	int			nsm;			/* smoothing parameters in par (alpha [beta] [gamma] [phi]) */
	int			nstate;			/* initial states in par (the last seasonal one is implied) */
	double		lower[4],
				upper[4];
	double	   *x0;				/* nstate + 1 */
	double	   *ring;			/* m */
	RootWork	rw;
	volatile const int *cancel;
} Target;

static void
unpack_par(const Target *t, const double *par, double *alpha, double *beta, double *gamma, double *phi)
{
	int			j = 0;

	*alpha = par[j++];
	*beta = t->trend != NONE ? par[j++] : 0.0;
	*gamma = t->season != NONE ? par[j++] : 0.0;
	*phi = t->damped ? par[j++] : 1.0;
}

static int
check_params(const Target *t, double alpha, double beta, double gamma, double phi)
{
	if (alpha < t->lower[0] || alpha > t->upper[0])
		return 0;
	if (t->trend != NONE && (beta < t->lower[1] || beta > alpha || beta > t->upper[1]))
		return 0;
	if (t->damped && (phi < t->lower[3] || phi > t->upper[3]))
		return 0;
	if (t->season != NONE && (gamma < t->lower[2] || gamma > 1 - alpha || gamma > t->upper[2]))
		return 0;
	return admissible(alpha, beta, gamma, phi, t->season != NONE, t->m, (RootWork *) &t->rw);
}

/* the full initial state: the optimised ones and the implied last seasonal state; 0 if negative
 * multiplicative seasonal states */
static int
full_state(const Target *t, const double *states, double *x0)
{
	memcpy(x0, states, sizeof(double) * t->nstate);
	if (t->season != NONE)
	{
		int			s0 = 1 + (t->trend != NONE);
		double		sum = 0;

		for (int i = s0; i < t->nstate; i++)
			sum += x0[i];
		x0[t->nstate] = t->m * (t->season == MULT ? 1 : 0) - sum;
		if (t->season == MULT)
			for (int i = s0; i <= t->nstate; i++)
				if (x0[i] < 0)
					return 0;
	}
	return 1;
}

static double
target_fn(int npar, const double *par, void *ex)
{
	Target	   *t = (Target *) ex;
	double		alpha,
				beta,
				gamma,
				phi,
				lik;

	(void) npar;
	if (t->cancel && *t->cancel)
		return INFINITY;		/* every vertex infinite: the simplex has converged, nm_minimize returns */
	unpack_par(t, par, &alpha, &beta, &gamma, &phi);
	if (!check_params(t, alpha, beta, gamma, phi))
		return INFINITY;
	if (!full_state(t, par + t->nsm, t->x0))
		return INFINITY;
	if (etscalc(t->y, t->n, t->x0, t->m, t->error, t->trend, t->season, alpha, beta, gamma, phi,
				t->ring, &lik, NULL, NULL, NULL) < 0)
		return INFINITY;
	if (lik < -1e10)
		lik = -1e10;
	if (isnan(lik))
		return INFINITY;
	return lik;
}

/* ---------------------------------------------------------------------------------------------------
 * Starting values: initstate() and the decomposition / regression it uses
 * ------------------------------------------------------------------------------------------------- */
static double
mean_r(const double *x, int n)		/* R's mean(): a long double sum, then one correction pass */
{
	long double s = 0,
				t = 0;

	for (int i = 0; i < n; i++)
		s += x[i];
	s /= n;
	for (int i = 0; i < n; i++)
		t += x[i] - s;
	return (double) (s + t / n);
}

/* stats::decompose(x)$seasonal for period f (n >= 2f) */
static int
decompose_seasonal(const double *x, int n, int f, int mult, double *seasonal)
{
	int			nf = f % 2 ? f : f + 1,
				shift = nf / 2;
	double	   *w = malloc(sizeof(double) * nf),
			   *season = malloc(sizeof(double) * n),
			   *figure = malloc(sizeof(double) * f),
			   *tmp = malloc(sizeof(double) * (n / f + 1));
	double		mf;

	if (!w || !season || !figure || !tmp)
	{
		free(w), free(season), free(figure), free(tmp);
		return -1;
	}
	if (f % 2)
		for (int j = 0; j < nf; j++)
			w[j] = 1.0 / f;
	else
	{
		for (int j = 0; j < nf; j++)
			w[j] = 1.0 / f;
		w[0] = w[nf - 1] = 0.5 / f;
	}
	for (int i = 0; i < n; i++)
	{
		double		sum = 0;

		if (i + shift - (nf - 1) < 0 || i + shift >= n)
		{
			season[i] = NAN;
			continue;
		}
		for (int j = 0; j < nf; j++)
			sum += x[i + shift - j] * w[j];
		season[i] = mult ? x[i] / sum : x[i] - sum;
	}
	for (int i = 0; i < f; i++)
	{
		int			k = 0;

		for (int j = i; j < n; j += f)
			if (!isnan(season[j]))
				tmp[k++] = season[j];
		figure[i] = mean_r(tmp, k);
	}
	mf = mean_r(figure, f);
	for (int i = 0; i < f; i++)
		figure[i] = mult ? figure[i] / mf : figure[i] - mf;
	for (int i = 0; i < n; i++)
		seasonal[i] = figure[i % f];
	free(w), free(season), free(figure), free(tmp);
	return 0;
}

/* least squares of y on X (n x k, column-major); coef k; 0 or -1 */
static int
least_squares(const double *X, const double *y, int n, int k, double *coef)
{
	double	   *A = malloc(sizeof(double) * n * k),
			   *b = malloc(sizeof(double) * n);
	int			rc = -1;

	if (A && b)
	{
		memcpy(A, X, sizeof(double) * n * k);
		memcpy(b, y, sizeof(double) * n);
		if (LAPACKE_dgels(LAPACK_COL_MAJOR, 'N', n, k, 1, A, n, b, n) == 0)
		{
			memcpy(coef, b, sizeof(double) * k);
			rc = 0;
		}
	}
	free(A), free(b);
	return rc;
}

/* the seasonal part of initstate(): init.seas (m-1 values) and y.sa (n) */
static int
init_seasonal(const double *y, int n, int m, int season, double *init_seas, double *ysa)
{
	double	   *sd = malloc(sizeof(double) * n);

	if (!sd)
		return -1;
	if (n < 3 * m)
	{
		/* tslm(y ~ trend + fourier(y, 1)): intercept, 1..n, sin (unless m = 2), cos */
		int			k = m == 2 ? 3 : 4;
		double	   *X = malloc(sizeof(double) * n * k),
					coef[4];

		if (!X)
		{
			free(sd);
			return -1;
		}
		for (int i = 0; i < n; i++)
		{
			double		t = i + 1;

			X[i] = 1.0;
			X[n + i] = t;
			if (k == 4)
				X[2 * n + i] = sin(M_PI * (2.0 / m * t));
			X[(k - 1) * n + i] = cos(M_PI * (2.0 / m * t));
		}
		if (least_squares(X, y, n, k, coef) < 0)
		{
			free(X), free(sd);
			return -1;
		}
		free(X);
		for (int i = 0; i < n; i++)
			sd[i] = season == ADD ? y[i] - coef[0] - coef[1] * (i + 1) : y[i] / (coef[0] + coef[1] * (i + 1));
	}
	else if (decompose_seasonal(y, n, m, season == MULT, sd) < 0)
	{
		free(sd);
		return -1;
	}
	for (int k = 0; k < m - 1; k++)
		init_seas[k] = sd[m - 1 - k];
	if (season == ADD)
		for (int i = 0; i < n; i++)
			ysa[i] = y[i] - sd[i];
	else
	{
		double		sum = 0;

		for (int k = 0; k < m - 1; k++)
		{
			if (init_seas[k] < 0.01)
				init_seas[k] = 0.01;
			sum += init_seas[k];
		}
		if (sum > m)
		{
			double		s2 = 0;

			for (int k = 0; k < m - 1; k++)
				s2 += init_seas[k] + 0.01;
			for (int k = 0; k < m - 1; k++)
				init_seas[k] /= s2;
		}
		for (int i = 0; i < n; i++)
			ysa[i] = y[i] / (sd[i] > 0.01 ? sd[i] : 0.01);
	}
	free(sd);
	return 0;
}

/* initstate(y, trendtype, seasontype): x (1 + trend + (m-1) values); 0 or -1 */
static int
init_state(const double *y, int n, int m, int trend, int season, double *x, char *msg, size_t msglen)
{
	double	   *ysa = malloc(sizeof(double) * n);
	int			maxn,
				s0 = 1 + (trend != NONE);

	if (!ysa)
	{
		set_msg(msg, msglen, "out of memory");
		return -1;
	}
	if (season != NONE)
	{
		if (n < 4)
		{
			free(ysa);
			set_msg(msg, msglen, "not enough data");
			return -1;
		}
		if (init_seasonal(y, n, m, season, x + s0, ysa) < 0)
		{
			free(ysa);
			set_msg(msg, msglen, "initial seasonal states could not be computed");
			return -1;
		}
	}
	else
	{
		m = 1;
		memcpy(ysa, y, sizeof(double) * n);
	}
	maxn = 2 * m > 10 ? 2 * m : 10;
	if (maxn > n)
		maxn = n;
	if (trend == NONE)
		x[0] = mean_r(ysa, maxn);
	else
	{
		/* lsfit(1:maxn, y.sa[1:maxn]) */
		double		mx = (maxn + 1) / 2.0,
					my = mean_r(ysa, maxn),
					sxy = 0,
					sxx = 0,
					a,
					b;

		for (int i = 0; i < maxn; i++)
		{
			sxy += (i + 1 - mx) * (ysa[i] - my);
			sxx += (i + 1 - mx) * (i + 1 - mx);
		}
		b = maxn > 1 ? sxy / sxx : 0.0;
		a = my - b * mx;
		if (trend == ADD)
		{
			if (fabs(a + b) < 1e-8)
			{
				a *= 1 + 0.001;
				b *= 1 - 0.001;
			}
			x[0] = a;
			x[1] = b;
		}
		else
		{
			double		l0 = a + b,
						b0;

			if (fabs(l0) < 1e-8)
				l0 = 1e-7;
			b0 = (a + 2 * b) / l0;
			l0 = l0 / b0;
			if (fabs(b0) > 1e10)
				b0 = b0 > 0 ? 1e10 : -1e10;
			if (l0 < 1e-8 || b0 < 1e-8)
			{
				l0 = ysa[0] > 0.001 ? ysa[0] : 0.001;
				b0 = n > 1 && ysa[1] / ysa[0] > 0.001 ? ysa[1] / ysa[0] : 0.001;
			}
			x[0] = l0;
			x[1] = b0;
		}
	}
	free(ysa);
	return 0;
}

/* ---------------------------------------------------------------------------------------------------
 * One model (etsmodel())
 * ------------------------------------------------------------------------------------------------- */
#define FIT_SKIP 1				/* R's "aic = Inf" (too many parameters for the data) */

static void
model_clear(EtsModel *out)
{
	memset(out, 0, sizeof(*out));
	out->beta = out->gamma = out->phi = NAN;
	out->loglik = out->aic = out->aicc = out->bic = NAN;
}

void
ets_free(EtsModel *fit)
{
	if (!fit)
		return;
	free(fit->state);
	free(fit->init_state);
	free(fit->residuals);
	fit->state = fit->init_state = fit->residuals = NULL;
	fit->n_state = fit->n_resid = 0;
}

/* one model between its starting values and its fit: the target, the starting point, the optimiser */
typedef struct ModelFit
{
	Target		t;
	int			np;
	double		par[4 + 26];	/* smoothing parameters, then initial states */
	NmState		nm;
	double		alpha,
				beta,
				gamma,
				phi;			/* the point being evaluated (lanes) */
	int			active;			/* the optimiser still asks for points */
} ModelFit;

static void
model_release(ModelFit *f)
{
	Target	   *t = &f->t;

	free(t->x0), free(t->ring), free(t->rw.a), free(t->rw.b), free(t->rw.H), free(t->rw.wr), free(t->rw.wi);
	t->x0 = t->ring = t->rw.a = t->rw.b = t->rw.H = t->rw.wr = t->rw.wi = NULL;
}

/* etsmodel() up to the optimiser: initparam(), check.param(), initstate(), R's parameter count test.
 * Returns 0 (ready), FIT_SKIP, or -1 (R would stop()); f is released by model_release in every case. */
static int
model_prepare(const double *y, int n, int m, int error, int trend, int season, int damped,
			  volatile const int *cancel, ModelFit *f, char *msg, size_t msglen)
{
	Target	   *t = &f->t;
	int			mm = season != NONE ? m : 1,
				nsm,
				nstate,
				j = 0;
	double		lower[4] = {1e-4, 1e-4, 1e-4, 0.8},
				upper[4] = {0.9999, 0.9999, 0.9999, 0.98},
				alpha,
				beta,
				gamma,
				phi,
			   *par = f->par;

	memset(f, 0, sizeof(*f));
	/* initparam() */
	{
		double		up1 = upper[1],
					up2 = upper[2];

		alpha = lower[0] + 0.2 * (upper[0] - lower[0]) / mm;
		if (alpha > 1 || alpha < 0)
			alpha = lower[0] + 0.002;
		par[j++] = alpha;
		beta = 0;
		gamma = 0;
		phi = 1;
		if (trend != NONE)
		{
			if (alpha < up1)
				up1 = alpha;
			beta = lower[1] + 0.1 * (up1 - lower[1]);
			if (beta < 0 || beta > alpha)
				beta = alpha - 0.001;
			par[j++] = beta;
		}
		if (season != NONE)
		{
			if (1 - alpha < up2)
				up2 = 1 - alpha;
			gamma = lower[2] + 0.05 * (up2 - lower[2]);
			if (gamma < 0 || gamma > 1 - alpha)
				gamma = 1 - alpha - 0.001;
			par[j++] = gamma;
		}
		if (damped)
		{
			phi = lower[3] + 0.99 * (upper[3] - lower[3]);
			if (phi < 0 || phi > 1)
				phi = upper[3] - 0.001;
			par[j++] = phi;
		}
	}
	nsm = j;
	nstate = 1 + (trend != NONE) + (season != NONE ? mm - 1 : 0);
	f->np = nsm + nstate;

	t->y = y;
	t->n = n;
	t->m = mm;
	t->error = error;
	t->trend = trend;
	t->season = season;
	t->damped = damped;
	t->nsm = nsm;
	t->nstate = nstate;
	t->cancel = cancel;
	memcpy(t->lower, lower, sizeof(lower));
	memcpy(t->upper, upper, sizeof(upper));
	t->x0 = malloc(sizeof(double) * (nstate + 1));
	t->ring = malloc(sizeof(double) * (mm + 1));
	t->rw.a = malloc(sizeof(double) * (mm + 2));
	t->rw.b = malloc(sizeof(double) * (mm + 2));
	t->rw.H = malloc(sizeof(double) * (mm + 1) * (mm + 1));
	t->rw.wr = malloc(sizeof(double) * (mm + 1));
	t->rw.wi = malloc(sizeof(double) * (mm + 1));
	if (!t->x0 || !t->ring || !t->rw.a || !t->rw.b || !t->rw.H || !t->rw.wr || !t->rw.wi)
	{
		set_msg(msg, msglen, "out of memory");
		return -1;
	}
	/* check.param() on the starting values */
	if (!check_params(t, alpha, beta, gamma, phi))
	{
		set_msg(msg, msglen, "parameters out of range");
		return -1;
	}
	if (init_state(y, n, mm, trend, season, par + nsm, msg, msglen) < 0)
		return -1;
	if (f->np >= n - 1)
	{
		set_msg(msg, msglen, "not enough observations for %d parameters", f->np);
		return FIT_SKIP;
	}
	return 0;
}

/* etsmodel() after the optimiser (nm: its final state): pegelsresid.C at the optimum, the criteria */
static int
model_finish(ModelFit *f, EtsModel *out, char *msg, size_t msglen)
{
	Target	   *t = &f->t;
	const double *y = t->y,
			   *best = f->nm.Bvec;
	int			n = t->n,
				mm = t->m,
				error = t->error,
				trend = t->trend,
				season = t->season,
				nstate = t->nstate,
				np = f->np;
	double		alpha,
				beta,
				gamma,
				phi,
				lik,
				amse[3],
				sse = 0;
	double	   *e,
			   *xend,
			   *x0;

	if (f->nm.fail == -1 || (t->cancel && *t->cancel))
	{
		set_msg(msg, msglen, f->nm.fail == -1 ? "function cannot be evaluated at initial parameters" : "cancelled");
		return -1;
	}
	unpack_par(t, best, &alpha, &beta, &gamma, &phi);
	x0 = malloc(sizeof(double) * (nstate + 1));
	xend = malloc(sizeof(double) * (nstate + 1));
	e = malloc(sizeof(double) * n);
	if (!x0 || !xend || !e)
	{
		free(e), free(xend), free(x0);
		set_msg(msg, msglen, "out of memory");
		return -1;
	}
	memcpy(x0, best + t->nsm, sizeof(double) * nstate);
	if (season != NONE)
	{
		double		sum = 0;

		for (int i = 1 + (trend != NONE); i < nstate; i++)
			sum += x0[i];
		x0[nstate] = mm * (season == MULT ? 1 : 0) - sum;
	}
	if (etscalc(y, n, x0, mm, error, trend, season, alpha, beta, gamma, phi, t->ring, &lik, e, amse, xend) < 0
		|| isnan(lik))
	{
		free(e), free(xend), free(x0);
		set_msg(msg, msglen, "the likelihood is not defined at the optimum");
		return -1;
	}
	model_clear(out);
	out->error = error == ADD ? 'A' : 'M';
	out->trend = trend == NONE ? 'N' : trend == ADD ? 'A' : 'M';
	out->season = season == NONE ? 'N' : season == ADD ? 'A' : 'M';
	out->damped = t->damped;
	out->m = mm;
	out->alpha = alpha;
	out->beta = trend != NONE ? beta : NAN;
	out->gamma = season != NONE ? gamma : NAN;
	out->phi = t->damped ? phi : NAN;
	out->loglik = -0.5 * lik;
	out->aic = lik + 2.0 * (np + 1);
	out->bic = lik + log((double) n) * (np + 1);
	out->aicc = out->aic + 2.0 * (np + 1) * (np + 2) / (double) (n - np - 2);
	out->mse = amse[0];
	out->n_obs = n;
	out->n_params = np;
	for (int i = 0; i < n; i++)
		sse += e[i] * e[i];
	out->sigma2 = sse / (n - np);
	out->n_state = nstate + (season != NONE);
	out->state = xend;
	out->init_state = x0;
	out->residuals = e;
	out->n_resid = n;
	return 0;
}

static void
nm_begin(ModelFit *f)
{
	nm_start(&f->nm, f->np, f->par, -INFINITY, 1.490116119384765625e-8, 1.0, 0.5, 2.0, 2000);
	f->active = 1;
}

/* returns 0 (fitted), FIT_SKIP, or -1 (R would stop(): the model is not available) */
static int
etsmodel(const double *y, int n, int m, int error, int trend, int season, int damped,
		 volatile const int *cancel, EtsModel *out, char *msg, size_t msglen)
{
	ModelFit	f;
	int			rc = model_prepare(y, n, m, error, trend, season, damped, cancel, &f, msg, msglen);

	model_clear(out);
	if (rc == 0)
	{
		nm_begin(&f);
		while (nm_feed(&f.nm, target_fn(f.np, f.nm.Bvec, &f.t)))
			;
		rc = model_finish(&f, out, msg, msglen);
	}
	model_release(&f);
	return rc;
}

/* ---------------------------------------------------------------------------------------------------
 * Lock step: the trend variants of one error/season class (N, A, Ad) optimised together
 *
 * Each likelihood pass is a chain of dependent floating-point operations (the level feeds the next
 * forecast), so one pass leaves most of the core idle.  The Nelder-Mead runs of ETS(E,N,S), ETS(E,A,S)
 * and ETS(E,Ad,S) are independent: they advance together (nmmin.c's reverse-communication form) and
 * each round evaluates their points in one pass over the series, the chains interleaved.  A trendless
 * lane runs the additive-trend recursion with b = 0, beta = 0, phi = 1, which computes the very same
 * numbers (l + 1 * 0 = l, b stays 0), so every lane takes exactly the path it takes alone.
 * ------------------------------------------------------------------------------------------------- */
#define ETS_MAX_LANES 3

static inline __attribute__((always_inline)) void
lanes_body(const double *y, int n, int m, int error, int season, int L, ModelFit *const *lane, double *lik)
{
	double		l[ETS_MAX_LANES],
				b[ETS_MAX_LANES],
				phi[ETS_MAX_LANES],
				alpha[ETS_MAX_LANES],
				ba[ETS_MAX_LANES],
				gamma[ETS_MAX_LANES],
				sse[ETS_MAX_LANES],
				prod[ETS_MAX_LANES];
	double	   *ring[ETS_MAX_LANES];
	int			ex2[ETS_MAX_LANES],
				head = 0;

	if (season == NONE)
		m = 1;
	for (int k = 0; k < L; k++)
	{
		const Target *t = &lane[k]->t;
		int			tr = t->trend != NONE;

		l[k] = t->x0[0];
		b[k] = tr ? t->x0[1] : 0.0;
		phi[k] = lane[k]->phi;
		alpha[k] = lane[k]->alpha;
		ba[k] = lane[k]->beta / lane[k]->alpha;	/* 0 without trend */
		gamma[k] = lane[k]->gamma;
		ring[k] = t->ring;
		if (season != NONE)
			for (int j = 0; j < m; j++)
				ring[k][m - 1 - j] = t->x0[1 + tr + j];
		sse[k] = 0;
		prod[k] = 1;
		ex2[k] = 0;
	}
	for (int i = 0; i < n; i++)
	{
		double		yi = y[i];

		/* unrolled, so that each lane's level and trend stay in registers */
#pragma GCC unroll 3
		for (int k = 0; k < L; k++)
		{
			/* etscalc_body's one-step forecast and state_update with an additive trend */
			double		phib = phi[k] * b[k],
						q = l[k] + phib,
						f = q,
						sold = 0,
						p,
						ei,
						oldl = l[k];

			if (season != NONE)
				sold = ring[k][head];
			if (season == ADD)
				f += sold;
			else if (season == MULT)
				f *= sold;
			ei = error == ADD ? yi - f : (yi - f) / f;
			if (season == NONE)
				p = yi;
			else if (season == ADD)
				p = yi - sold;
			else
				p = fabs(sold) < TOL ? HUGEN : yi / sold;
			l[k] = q + alpha[k] * (p - q);
			b[k] = phib + ba[k] * ((l[k] - oldl) - phib);
			if (season != NONE)
			{
				double		tt;

				if (season == ADD)
					tt = yi - q;
				else
					tt = fabs(q) < TOL ? HUGEN : yi / q;
				ring[k][head] = sold + gamma[k] * (tt - sold);
			}
			sse[k] += ei * ei;
			if (error == MULT)
			{
				prod[k] *= fabs(f);
				if (prod[k] > 1e150 || prod[k] < 1e-150)
				{
					int			ex;

					prod[k] = frexp(prod[k], &ex);
					ex2[k] += ex;
				}
			}
		}
		if (season != NONE && ++head == m)
			head = 0;
	}
	for (int k = 0; k < L; k++)
	{
		lik[k] = n * log(sse[k]);
		if (error == MULT)
			lik[k] += 2 * (log(prod[k]) + ex2[k] * M_LN2);
	}
}

#define ETS_LANES(E, S, L) \
static void lanes_##E##S##L(const double *y, int n, int m, ModelFit *const *lane, double *lik) \
{ lanes_body(y, n, m, E, S, L, lane, lik); }
#define ETS_LANES_S(E, S) ETS_LANES(E, S, 1) ETS_LANES(E, S, 2) ETS_LANES(E, S, 3)
#define ETS_LANES_E(E) ETS_LANES_S(E, 0) ETS_LANES_S(E, 1) ETS_LANES_S(E, 2)
ETS_LANES_E(1)
ETS_LANES_E(2)

typedef void (*EtsLanesFn) (const double *, int, int, ModelFit *const *, double *);

static const EtsLanesFn lanes_fns[2][3][ETS_MAX_LANES] = {
	{{lanes_101, lanes_102, lanes_103}, {lanes_111, lanes_112, lanes_113}, {lanes_121, lanes_122, lanes_123}},
	{{lanes_201, lanes_202, lanes_203}, {lanes_211, lanes_212, lanes_213}, {lanes_221, lanes_222, lanes_223}},
};

/* target_fn() before the pass: 1 when the lane's point needs a pass (its parameters and initial state
 * are set), 0 when its value is Inf without one */
static int
lane_ready(ModelFit *f)
{
	Target	   *t = &f->t;

	if (t->cancel && *t->cancel)
		return 0;
	unpack_par(t, f->nm.Bvec, &f->alpha, &f->beta, &f->gamma, &f->phi);
	return check_params(t, f->alpha, f->beta, f->gamma, f->phi) && full_state(t, f->nm.Bvec + t->nsm, t->x0);
}

/* runs the optimisers of lanes[0..nl-1] (prepared, no multiplicative trend, one error and season type)
 * to their ends, as nl separate nm_minimize calls with target_fn would */
static void
optimise_lanes(ModelFit **lanes, int nl)
{
	ModelFit   *run[ETS_MAX_LANES];

	for (int k = 0; k < nl; k++)
		nm_begin(lanes[k]);
	for (;;)
	{
		int			np = 0;
		double		lik[ETS_MAX_LANES];

		for (int k = 0; k < nl; k++)
		{
			ModelFit   *f = lanes[k];

			/* feed Inf until the lane asks for a point worth a pass or finishes */
			while (f->active && !lane_ready(f))
				f->active = nm_feed(&f->nm, INFINITY);
			if (f->active)
				run[np++] = f;
		}
		if (np == 0)
			break;
		lanes_fns[run[0]->t.error - 1][run[0]->t.season][np - 1] (run[0]->t.y, run[0]->t.n, run[0]->t.m, run, lik);
		for (int k = 0; k < np; k++)
		{
			double		v = lik[k];

			if (v < -1e10)
				v = -1e10;
			if (isnan(v))
				v = INFINITY;
			run[k]->active = nm_feed(&run[k]->nm, v);
		}
	}
}

/* ---------------------------------------------------------------------------------------------------
 * Public entry points
 * ------------------------------------------------------------------------------------------------- */
void
ets_options_default(EtsOptions *o)
{
	o->allow_multiplicative_trend = 0;
	o->damped = -1;
	o->cancel = NULL;
	o->seed = 1;
}

static int
check_input(const double *y, int n, int m, char *msg, size_t msglen)
{
	if (!y || n < 1)
	{
		set_msg(msg, msglen, "no data");
		return -1;
	}
	if (m < 1)
	{
		set_msg(msg, msglen, "seasonal period must be at least 1");
		return -1;
	}
	for (int i = 0; i < n; i++)
		if (!isfinite(y[i]))
		{
			set_msg(msg, msglen, "the series has a missing or infinite value at position %d", i + 1);
			return -1;
		}
	return 0;
}

/* ses(y, alpha = 0.99999, initial = "simple")$model: what ets(y) returns for a constant series */
static int
constant_model(const double *y, int n, EtsModel *out, char *msg, size_t msglen)
{
	double		l = y[0],
				sse = 0;

	model_clear(out);
	out->state = malloc(sizeof(double));
	out->init_state = malloc(sizeof(double));
	out->residuals = malloc(sizeof(double) * n);
	if (!out->state || !out->init_state || !out->residuals)
	{
		ets_free(out);
		set_msg(msg, msglen, "out of memory");
		return -1;
	}
	out->init_state[0] = l;
	for (int i = 0; i < n; i++)
	{
		out->residuals[i] = y[i] - l;
		sse += out->residuals[i] * out->residuals[i];
		l += 0.99999 * (y[i] - l);
	}
	out->state[0] = l;
	out->error = 'A';
	out->trend = out->season = 'N';
	out->m = 1;
	out->alpha = 0.99999;
	out->sigma2 = sse / n;
	out->mse = sse / n;
	out->n_obs = n;
	out->n_params = 2;
	out->n_state = 1;
	out->n_resid = n;
	return 0;
}

/* ets(restrict = TRUE): no additive error with a multiplicative trend or season, no ETS(M,M,A) */
static int
forbidden(int e, int t, int s)
{
	return (e == ADD && (t == MULT || s == MULT)) || (e == MULT && t == MULT && s == ADD);
}

int
ets_fit(const double *y, int n, int m, char error, char trend, char season, int damped,
		EtsModel *out, char *msg, size_t msglen)
{
	int			e = code_of(error),
				t = code_of(trend),
				s = code_of(season),
				npars,
				rc,
				positive = 1;

	if (!out)
		return -1;
	model_clear(out);
	if (check_input(y, n, m, msg, msglen) < 0)
		return -1;
	if (e == NONE || (trend != 'N' && t == NONE) || (season != 'N' && s == NONE))
	{
		set_msg(msg, msglen, "invalid model type %c%c%c", error, trend, season);
		return -1;
	}
	if (n <= m)
		s = NONE;
	if (m == 1 && s != NONE)
	{
		set_msg(msg, msglen, "nonseasonal data");
		return -1;
	}
	if (m > 24 && s != NONE)
	{
		set_msg(msg, msglen, "frequency too high (m > 24) for a seasonal ETS model");
		return -1;
	}
	if (forbidden(e, t, s))
	{
		set_msg(msg, msglen, "forbidden model combination");
		return -1;
	}
	for (int i = 0; i < n; i++)
		if (y[i] <= 0)
			positive = 0;
	if (!positive && e == MULT)
	{
		set_msg(msg, msglen, "inappropriate model for data with negative or zero values");
		return -1;
	}
	if (damped && t == NONE)
	{
		set_msg(msg, msglen, "forbidden model combination (damped without trend)");
		return -1;
	}
	npars = 2 + (t != NONE ? 2 : 0) + (s != NONE ? m : 0) + (damped ? 1 : 0);
	if (n <= npars + 4)
	{
		/* R switches to HoltWintersZZ() here; not implemented */
		set_msg(msg, msglen, "too few observations (%d) for this model (needs more than %d)", n, npars + 4);
		return -1;
	}
	rc = etsmodel(y, n, m, e, t, s, damped, NULL, out, msg, msglen);
	if (rc == FIT_SKIP)
	{
		ets_free(out);
		return -1;
	}
	return rc;
}

/* one candidate model of the automatic search */
typedef struct Cand
{
	int			e,
				t,
				s,
				d,
				rc;				/* etsmodel()'s return; -2 not fitted (yet) */
	EtsModel	fit;
	char		msg[200];
} Cand;

int
ets_auto_opts(const double *y, int n, int m, const EtsOptions *opt, EtsModel *out, char *msg, size_t msglen)
{
	EtsOptions	def;
	int			positive = 1,
				ntr,
				nse,
				found = 0;
	int			trends[3] = {NONE, ADD, MULT},
				seasons[3] = {NONE, ADD, MULT};
	double		best_ic = INFINITY;
	Cand		cand[36];
	int			nc = 0;
	char		lastmsg[200] = "";

	if (!out)
		return -1;
	model_clear(out);
	if (!opt)
	{
		ets_options_default(&def);
		opt = &def;
	}
	if (check_input(y, n, m, msg, msglen) < 0)
		return -1;
	if (autoarima_is_constant(y, n))	/* forecast:::is.constant */
		return constant_model(y, n, out, msg, msglen);	/* seed irrelevant: no simulation */
	if (n <= 6)
	{
		/* n <= npars + 4 with npars = 2 for "ZZZ": R fits Holt / SES by least squares (ets_hw.c) */
		if (ets_hw_fit(y, n, m, out, msg, msglen) < 0)
			return -1;
		out->seed = opt->seed;
		return 0;
	}
	nse = (m == 1 || n <= m || m > 24) ? 1 : 3;
	ntr = opt->allow_multiplicative_trend ? 3 : 2;
	for (int i = 0; i < n; i++)
		if (y[i] <= 0)
			positive = 0;
	/* the candidates in R's order (error, trend, season, damped TRUE before FALSE) */
	for (int ie = 0; ie < 2; ie++)
	{
		int			e = ie == 0 ? ADD : MULT;

		if (e == MULT && !positive)
			continue;
		for (int it = 0; it < ntr; it++)
			for (int is = 0; is < nse; is++)
				for (int id = 0; id < 2; id++)
				{
					int			t = trends[it],
								s = seasons[is],
								d = id == 0;

					if (t == NONE && d)
						continue;
					if ((opt->damped == 0 && d) || (opt->damped == 1 && !d))
						continue;	/* as ets(damped = FALSE / TRUE): TRUE leaves out trendless models */
					if (forbidden(e, t, s))
						continue;
					memset(&cand[nc], 0, sizeof(Cand));
					cand[nc].e = e, cand[nc].t = t, cand[nc].s = s, cand[nc].d = d, cand[nc].rc = -2;
					nc++;
				}
	}
	/* fit them: the non-multiplicative trend variants of one error/season class in lock step */
	for (int i = 0; i < nc; i++)
	{
		ModelFit	mf[ETS_MAX_LANES],
				   *lanes[ETS_MAX_LANES];
		int			grp[ETS_MAX_LANES],
					ng = 0,
					nl = 0;

		if (cand[i].rc != -2)
			continue;
		if (opt->cancel && *opt->cancel)
			break;
		if (cand[i].t == MULT)
		{
			cand[i].rc = etsmodel(y, n, m, cand[i].e, cand[i].t, cand[i].s, cand[i].d, opt->cancel, &cand[i].fit,
								  cand[i].msg, sizeof cand[i].msg);
			continue;
		}
		for (int j = i; j < nc && ng < ETS_MAX_LANES; j++)
			if (cand[j].rc == -2 && cand[j].t != MULT && cand[j].e == cand[i].e && cand[j].s == cand[i].s)
				grp[ng++] = j;
		for (int g = 0; g < ng; g++)
		{
			Cand	   *c = &cand[grp[g]];

			model_clear(&c->fit);
			c->rc = model_prepare(y, n, m, c->e, c->t, c->s, c->d, opt->cancel, &mf[g], c->msg, sizeof c->msg);
			if (c->rc == 0)
				lanes[nl++] = &mf[g];
		}
		if (nl > 0)
			optimise_lanes(lanes, nl);
		for (int g = 0; g < ng; g++)
		{
			Cand	   *c = &cand[grp[g]];

			if (c->rc == 0)
				c->rc = model_finish(&mf[g], &c->fit, c->msg, sizeof c->msg);
			model_release(&mf[g]);
		}
	}
	/* the choice, in R's order: the first smallest AICc */
	for (int i = 0; i < nc; i++)
	{
		if (cand[i].rc != 0)
		{
			if (cand[i].rc != -2)
				snprintf(lastmsg, sizeof lastmsg, "%s", cand[i].msg);
			continue;
		}
		if (!isnan(cand[i].fit.aicc) && cand[i].fit.aicc < best_ic)
		{
			if (found)
				ets_free(out);
			*out = cand[i].fit;
			best_ic = cand[i].fit.aicc;
			found = 1;
		}
		else
			ets_free(&cand[i].fit);
	}
	if (opt->cancel && *opt->cancel)
	{
		if (found)
			ets_free(out);
		model_clear(out);
		set_msg(msg, msglen, "cancelled");
		return -1;
	}
	if (!found)
	{
		set_msg(msg, msglen, "no model able to be fitted%s%s", lastmsg[0] ? ": " : "", lastmsg);
		return -1;
	}
	out->seed = opt->seed;
	return 0;
}

int
ets_auto(const double *y, int n, int m, EtsModel *out, char *msg, size_t msglen)
{
	return ets_auto_opts(y, n, m, NULL, out, msg, msglen);
}

void
ets_describe(const EtsModel *fit, char *buf, size_t len)
{
	if (!buf || !len)
		return;
	snprintf(buf, len, "ETS(%c,%c%s,%c)", fit->error, fit->trend, fit->damped ? "d" : "", fit->season);
}

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

/*
 * ets_fit.c -- fitting one ETS model as forecast's etsmodel() does (forecast 8.20):
 *   - the recursions of forecast's etscalc.c (additive/multiplicative error, none/additive/multiplicative
 *     trend, damping, none/additive/multiplicative season) and its criterion
 *     lik = n log(sum e^2) [+ 2 sum log|yhat| for multiplicative errors]; loglik = -lik / 2;
 *   - R's own Nelder-Mead (nmmin.c: reflection 1, contraction 0.5, expansion 2, relative tolerance
 *     sqrt(eps), at most 2000 evaluations) on (smoothing parameters, initial states), with the "both"
 *     bounds: the usual region (lower 1e-4 / 0.8, upper 0.9999 / 0.98, beta <= alpha, gamma <= 1 - alpha)
 *     intersected with the admissible region (Hyndman et al. 2008, ch. 10), whose seasonal part checks
 *     that the roots of the characteristic polynomial lie within 1 + 1e-10 (here: a Schur-Cohn test,
 *     eigenvalues only when a root is within 1e-7 of the unit circle);
 *   - the automatic search's fits, the trend variants of one class in lock step (see "Lock step").
 * The starting values come from ets_select.c.  Pure C, no global state; malloc/free on every path.
 */
#include "ets_int.h"
#include "nmmin.h"

#include <lapacke.h>
#include <stdlib.h>

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
 * One model (etsmodel())
 * ------------------------------------------------------------------------------------------------- */
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
		ets_set_msg(msg, msglen, "out of memory");
		return -1;
	}
	/* check.param() on the starting values */
	if (!check_params(t, alpha, beta, gamma, phi))
	{
		ets_set_msg(msg, msglen, "parameters out of range");
		return -1;
	}
	if (ets_init_state(y, n, mm, trend, season, par + nsm, msg, msglen) < 0)
		return -1;
	if (f->np >= n - 1)
	{
		ets_set_msg(msg, msglen, "not enough observations for %d parameters", f->np);
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
		ets_set_msg(msg, msglen, f->nm.fail == -1 ? "function cannot be evaluated at initial parameters" : "cancelled");
		return -1;
	}
	unpack_par(t, best, &alpha, &beta, &gamma, &phi);
	x0 = malloc(sizeof(double) * (nstate + 1));
	xend = malloc(sizeof(double) * (nstate + 1));
	e = malloc(sizeof(double) * n);
	if (!x0 || !xend || !e)
	{
		free(e), free(xend), free(x0);
		ets_set_msg(msg, msglen, "out of memory");
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
		ets_set_msg(msg, msglen, "the likelihood is not defined at the optimum");
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

/* etsmodel(): 0 (fitted), FIT_SKIP, or -1 (R would stop(): the model is not available) */
int
ets_model(const double *y, int n, int m, int error, int trend, int season, int damped,
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
 * Lock step: the trend variants (N, A, Ad) of both error types of one season type optimised together
 *
 * Each likelihood pass is a chain of dependent floating-point operations (the level feeds the next
 * forecast), so one pass leaves most of the core idle.  The Nelder-Mead runs of ETS(A|M, N|A|Ad, S) are
 * independent: they advance together (nmmin.c's reverse-communication form) and each round evaluates
 * their points in one pass over the series, the chains interleaved (up to 6; a run that has converged
 * leaves the round, and a pass with one error type drops the other's code).  A trendless
 * lane runs the additive-trend recursion with b = 0, beta = 0, phi = 1, which computes the very same
 * numbers (l + 1 * 0 = l, b stays 0), so every lane takes exactly the path it takes alone.
 * ------------------------------------------------------------------------------------------------- */
#define ETS_MAX_LANES 6			/* (A, M) x (N, A, Ad) of one season type */
#define LANES_MIXED 3			/* error type of lanes_body(): per lane */

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
				ek[ETS_MAX_LANES],
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
		ek[k] = t->error;
	}
	for (int i = 0; i < n; i++)
	{
		double		yi = y[i];

		/* unrolled, so that each lane's level and trend stay in registers */
#pragma GCC unroll 6
		for (int k = 0; k < L; k++)
		{
			/* etscalc_body's one-step forecast and state_update with an additive trend */
			const int	e = error == LANES_MIXED ? ek[k] : error;
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
			ei = e == ADD ? yi - f : (yi - f) / f;
			p = deseason(season, yi, sold);
			l[k] = q + alpha[k] * (p - q);
			b[k] = phib + ba[k] * ((l[k] - oldl) - phib);
			if (season != NONE)
				ring[k][head] = season_next(season, yi, q, sold, gamma[k]);
			sse[k] += ei * ei;
			if (e == MULT)
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
		if ((error == LANES_MIXED ? ek[k] : error) == MULT)
			lik[k] += 2 * (log(prod[k]) + ex2[k] * M_LN2);
	}
}

#define ETS_LANES(E, S, L) \
static void lanes_##E##S##L(const double *y, int n, int m, ModelFit *const *lane, double *lik) \
{ lanes_body(y, n, m, E, S, L, lane, lik); }
#define ETS_LANES_S(E, S) ETS_LANES(E, S, 1) ETS_LANES(E, S, 2) ETS_LANES(E, S, 3)
#define ETS_LANES_E(E) ETS_LANES_S(E, 0) ETS_LANES_S(E, 1) ETS_LANES_S(E, 2)
#define ETS_LANES_MIXED(S) ETS_LANES(3, S, 2) ETS_LANES(3, S, 3) ETS_LANES(3, S, 4) ETS_LANES(3, S, 5) \
	ETS_LANES(3, S, 6)
ETS_LANES_E(1)
ETS_LANES_E(2)
ETS_LANES_MIXED(0)
ETS_LANES_MIXED(1)
ETS_LANES_MIXED(2)

typedef void (*EtsLanesFn) (const double *, int, int, ModelFit *const *, double *);

/* [error type: A, M, mixed][season][lanes - 1]; one error type has at most 3 lanes, mixed at least 2 */
static const EtsLanesFn lanes_fns[3][3][ETS_MAX_LANES] = {
	{{lanes_101, lanes_102, lanes_103}, {lanes_111, lanes_112, lanes_113}, {lanes_121, lanes_122, lanes_123}},
	{{lanes_201, lanes_202, lanes_203}, {lanes_211, lanes_212, lanes_213}, {lanes_221, lanes_222, lanes_223}},
	{{NULL, lanes_302, lanes_303, lanes_304, lanes_305, lanes_306},
	 {NULL, lanes_312, lanes_313, lanes_314, lanes_315, lanes_316},
	 {NULL, lanes_322, lanes_323, lanes_324, lanes_325, lanes_326}},
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

/* runs the optimisers of lanes[0..nl-1] (prepared, no multiplicative trend, one season type)
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
		{
			int			et = run[0]->t.error;

			for (int k = 1; k < np; k++)
				if (run[k]->t.error != et)
					et = LANES_MIXED;
			lanes_fns[et - 1][run[0]->t.season][np - 1] (run[0]->t.y, run[0]->t.n, run[0]->t.m, run, lik);
		}
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

/* fits the candidates (rc -2) of ets_auto_opts: a multiplicative trend alone, the other trend variants
 * of one season type (both error types) in lock step; stops early when cancelled (the rest keep rc -2) */
void
ets_fit_candidates(const double *y, int n, int m, volatile const int *cancel, EtsCand *cand, int nc)
{
	for (int i = 0; i < nc; i++)
	{
		ModelFit	mf[ETS_MAX_LANES],
				   *lanes[ETS_MAX_LANES];
		int			grp[ETS_MAX_LANES],
					ng = 0,
					nl = 0;

		if (cand[i].rc != -2)
			continue;
		if (cancel && *cancel)
			break;
		if (cand[i].t == MULT)
		{
			cand[i].rc = ets_model(y, n, m, cand[i].e, cand[i].t, cand[i].s, cand[i].d, cancel, &cand[i].fit,
								  cand[i].msg, sizeof cand[i].msg);
			continue;
		}
		for (int j = i; j < nc && ng < ETS_MAX_LANES; j++)
			if (cand[j].rc == -2 && cand[j].t != MULT && cand[j].s == cand[i].s)
				grp[ng++] = j;
		for (int g = 0; g < ng; g++)
		{
			EtsCand    *c = &cand[grp[g]];

			model_clear(&c->fit);
			c->rc = model_prepare(y, n, m, c->e, c->t, c->s, c->d, cancel, &mf[g], c->msg, sizeof c->msg);
			if (c->rc == 0)
				lanes[nl++] = &mf[g];
		}
		if (nl > 0)
			optimise_lanes(lanes, nl);
		for (int g = 0; g < ng; g++)
		{
			EtsCand    *c = &cand[grp[g]];

			if (c->rc == 0)
				c->rc = model_finish(&mf[g], &c->fit, c->msg, sizeof c->msg);
			model_release(&mf[g]);
		}
	}
}

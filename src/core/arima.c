/*
 * arima.c -- fitting seasonal ARIMA(p,d,q)(P,D,Q)s by exact maximum likelihood the way R's
 * stats::arima does: the same parameter transforms (partrans: tanh + Durbin-Levinson so that AR
 * parts stay stationary), the same objective (0.5 * (log(ssq / nu) + sumlog / nu) from the
 * Kalman filter of kalman.c), the same optimiser (optim.c, BFGS), MA invertibility enforced
 * afterwards (maInvert), standard errors from the Hessian through the Jacobian of the
 * transform, sigma2 = ssq / n.used, and forecasts by KalmanForecast.
 * Pure C: no PostgreSQL calls, all memory from the caller's work buffer (LAPACK for the
 * small linear solves), so series can be fitted on threads.  The parameters, polynomials and
 * transforms are in arima_params.c; one series with its fallbacks (no data, too short,
 * constant, failed fit) and many series on threads in arima_batch.c (see arima_impl.h).
 */
#include "arima_impl.h"

#include <lapacke.h>
#include <math.h>
#include <string.h>

#define KAPPA 1e6				/* prior variance of the diffuse (differencing) states, R's default */

/* ---------- work space ---------- */

/*
 * Under AddressSanitizer every piece of the work buffer is followed by a poisoned red zone,
 * so that a loop overrunning its piece (which plain ASan cannot see inside one allocation)
 * stops the unit tests.
 */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define REDZONE 4
#else
#define REDZONE 0
#endif

typedef struct Bump
{
	double	   *base;
	size_t		used;
} Bump;

static double *
take(Bump *b, size_t k)
{
	double	   *p = b->base ? b->base + b->used : NULL;
	size_t		k2 = k + (k & 1);	/* keep 16-byte alignment */

#if REDZONE > 0
	if (p)
		ASAN_POISON_MEMORY_REGION(p + k2, REDZONE * sizeof(double));
#endif
	b->used += k2 + REDZONE;
	return p;
}

/* everything one fit uses, carved from the work buffer */
typedef struct FitCtx
{
	const ArimaSpec *spec;
	const double *y;			/* the series */
	int			n;
	int			narma;			/* p + q + P + Q */
	int			npar;			/* estimated: narma + an intercept or drift unless fixed */
	int			ncx;			/* 1 with an intercept or drift (R's ncxreg), else 0 */
	int			pp,
				qq,
				nd,
				r,
				rd;
	int			trans;			/* objective works on transformed AR parameters */
	int			ncond;			/* CSS conditioning points */
	int			fast;			/* spec->fast and no missing value: filter the differenced series */
	double	   *wd;				/* n: the differenced series minus the regression (fast) */
	double	   *dy,
			   *dx;				/* n each: the differenced series and regressor (fast), from nd */
	double	   *w;				/* n: y minus the intercept */
	double	   *phi,
			   *theta,
			   *delta;
	double	   *a,
			   *P,
			   *Pn;
	double	   *kwork;			/* filter / forecast scratch */
	double	   *q0,
			   *q0work;
	double	   *csswork;		/* 2n */
	double	   *owork;			/* optimiser */
	double	   *H,
			   *A,
			   *tmp;			/* npar^2 each */
	double	   *par,
			   *init,
			   *coef,
			   *parscale;		/* npar each */
} FitCtx;

static void
layout(FitCtx *c, const ArimaSpec *s, int n, double *base, size_t *total)
{
	Bump		b = {base, 0};
	int			np;

#if REDZONE > 0
	if (base)
	{
		size_t		all;

		layout(c, s, n, NULL, &all);
		ASAN_UNPOISON_MEMORY_REGION(base, all * sizeof(double));
	}
#endif

	c->spec = s;
	c->n = n;
	c->narma = s->p + s->q + s->P + s->Q;
	c->ncx = (s->include_mean || s->include_drift) ? 1 : 0;
	c->npar = np = c->narma + (c->ncx && !s->fix_xreg ? 1 : 0);
	c->pp = s->p + s->s * s->P;
	c->qq = s->q + s->s * s->Q;
	c->nd = s->d + s->s * s->D;
	c->r = c->pp > c->qq + 1 ? c->pp : c->qq + 1;
	c->rd = c->r + c->nd;
	c->w = take(&b, n);
	c->wd = take(&b, n);
	c->dy = take(&b, n);
	c->dx = take(&b, n);
	c->phi = take(&b, c->pp + 1);
	c->theta = take(&b, c->qq + 1);
	c->delta = take(&b, c->nd + 1);
	c->a = take(&b, c->rd);
	c->P = take(&b, (size_t) c->rd * c->rd);
	c->Pn = take(&b, (size_t) c->rd * c->rd);
	{
		size_t		kw = arima_kalman_work_doubles(c->rd, c->nd),
					cw = arima_chandra_work_doubles(c->r);

		c->kwork = take(&b, kw > cw ? kw : cw);
	}
	c->q0 = take(&b, (size_t) c->r * c->r);
	c->q0work = take(&b, arima_q0_work_doubles(c->pp, c->qq));
	c->csswork = take(&b, 2 * (size_t) n);
	c->owork = take(&b, optim_work_doubles(np));
	c->H = take(&b, (size_t) np * np + 1);
	c->A = take(&b, (size_t) np * np + 1);
	c->tmp = take(&b, (size_t) np * np + 1);
	c->par = take(&b, np + 1);
	c->init = take(&b, np + 1);
	c->coef = take(&b, np + 1);
	c->parscale = take(&b, np + 1);
	if (total)
		*total = b.used;
}

size_t
arima_work_doubles(const ArimaSpec *spec, int n)
{
	FitCtx		c;
	size_t		t1,
				t2;
	ArimaSpec	naive = {0, 1, 0, 0, 0, 0, spec->s, 0, ARIMA_ML, 0, 0, 0, 0};

	layout(&c, spec, n, NULL, &t1);
	layout(&c, &naive, n, NULL, &t2);
	return t1 > t2 ? t1 : t2;
}

/* ---------- objectives ---------- */

/* the regression coefficient (intercept or drift) of a parameter vector */
static double
xreg_coef(const FitCtx *c, const double *par)
{
	return c->spec->fix_xreg ? c->spec->xreg_value : par[c->narma];
}

/* series minus the regression (R: x - xreg %*% beta; drift's xreg is 1..n) into c->w */
static void
demean(FitCtx *c, const double *par)
{
	if (c->spec->include_drift)
	{
		double		b = xreg_coef(c, par);

		for (int i = 0; i < c->n; i++)
			c->w[i] = c->y[i] - b * (double) (i + 1);
	}
	else if (c->spec->include_mean)
	{
		double		mu = xreg_coef(c, par);

		for (int i = 0; i < c->n; i++)
			c->w[i] = c->y[i] - mu;
	}
	else
		memcpy(c->w, c->y, c->n * sizeof(double));
}

/* R's upARIMA + ARIMA_Like: a = 0, Pn = diag(Q0, kappa * I_nd); rss may be NULL */
static void
filter_rss(FitCtx *c, double *ssq, double *sumlog, int *nu, double *rss)
{
	int			rd = c->rd,
				r = c->r;

	memset(c->a, 0, rd * sizeof(double));
	memset(c->Pn, 0, (size_t) rd * rd * sizeof(double));
	memset(c->P, 0, (size_t) rd * rd * sizeof(double));
	if (r > 1)
	{
		arima_q0(c->phi, c->pp, c->theta, c->qq, c->q0, c->q0work);
		for (int j = 0; j < r; j++)
			memcpy(c->Pn + (size_t) j * rd, c->q0 + (size_t) j * r, r * sizeof(double));
	}
	else
		c->Pn[0] = c->pp > 0 ? 1.0 / (1.0 - c->phi[0] * c->phi[0]) : 1.0;
	for (int i = r; i < rd; i++)
		c->Pn[i + (size_t) i * rd] = KAPPA;
	arima_like_rss(c->w, c->n, c->phi, c->pp, c->theta, c->qq, c->delta, c->nd, c->a, c->P, c->Pn,
				   c->kwork, ssq, sumlog, nu, rss);
}

static void
filter_at(FitCtx *c, double *ssq, double *sumlog, int *nu)
{
	filter_rss(c, ssq, sumlog, nu, NULL);
}

/*
 * The automatic search (spec->fast, no missing value) differences the series and the
 * regressor once per fit: diff(y - b x) = diff(y) - b diff(x) (equal up to rounding), so an
 * evaluation of either objective costs no differencing pass.
 */
static void
fast_setup(FitCtx *c)
{
	int			nd = c->nd;

	for (int t = nd; t < c->n; t++)
	{
		double		v = c->y[t],
					x = c->spec->include_drift ? (double) (t + 1) : 1.0;

		for (int j = 0; j < nd; j++)
		{
			v -= c->delta[j] * c->y[t - j - 1];
			x -= c->delta[j] * (c->spec->include_drift ? (double) (t - j) : 1.0);
		}
		c->dy[t] = v;
		c->dx[t] = c->ncx ? x : 0.0;
	}
}

/*
 * diff(y) - b diff(x) for the parameters par (into c->wd; without a regressor the precomputed
 * diff(y) itself); *m gets its length n - nd
 */
static const double *
fast_series(FitCtx *c, const double *par, int *m)
{
	int			nd = c->nd;

	*m = c->n - nd;
	if (c->ncx)
	{
		double		b = xreg_coef(c, par);

		for (int t = 0; t < *m; t++)
			c->wd[t] = c->dy[t + nd] - b * c->dx[t + nd];
		return c->wd;
	}
	return c->dy + nd;
}

/* R's armafn: the concentrated -loglik / n used by optim */
static double
ml_objective(int n, const double *p, void *ex)
{
	FitCtx	   *c = ex;
	double		ssq,
				sumlog,
				s2;
	int			nu;

	(void) n;
	arima_trans_pars(c->spec, p, c->trans, c->phi, c->theta);
	if (c->fast)
	{
		/* differencing outside the state (precomputed by fast_setup), state r, P0 = Q0 */
		int			m;
		const double *wd = fast_series(c, p, &m);

		if (arima_like_chandra(wd, m, c->phi, c->pp, c->theta, c->qq, c->kwork, &ssq, &sumlog, &nu) != 0)
			return NAN;
	}
	else
	{
		demean(c, p);
		filter_at(c, &ssq, &sumlog, &nu);
	}
	s2 = ssq / nu;
	return 0.5 * (log(s2) + sumlog / nu);
}

/* R's armaCSS */
static double
css_objective(int n, const double *p, void *ex)
{
	FitCtx	   *c = ex;

	(void) n;
	arima_trans_pars(c->spec, p, 0, c->phi, c->theta);
	if (c->fast)
	{
		int			m;
		const double *wd = fast_series(c, p, &m);

		return 0.5 * log(arima_css_differenced(wd, m, c->phi, c->pp, c->theta, c->qq, c->ncond - c->nd,
											   c->csswork));
	}
	demean(c, p);
	return 0.5 * log(arima_css(c->w, c->n, c->spec, c->phi, c->pp, c->theta, c->qq, c->ncond, c->csswork));
}

/*
 * The differencing polynomial (1 - B)^d (1 - B^s)^D, stored as R's Delta: the coefficients of
 * B^1..B^nd, negated.  delta has nd + 1 doubles; the product is built in place.
 */
static void
make_delta(const ArimaSpec *s, double *delta, int nd)
{
	double	   *x = delta;
	int			len = 1;

	x[0] = 1.0;
	for (int i = 1; i <= nd; i++)
		x[i] = 0.0;
	for (int k = 0; k < s->d; k++)
	{
		for (int j = len; j >= 1; j--)
			x[j] -= x[j - 1];
		len += 1;
	}
	for (int k = 0; k < s->D; k++)
	{
		for (int j = len - 1 + s->s; j >= s->s; j--)
			x[j] -= x[j - s->s];
		len += s->s;
	}
	for (int i = 0; i < nd; i++)
		delta[i] = -x[i + 1];
}

/* ---------- the fit ---------- */

/*
 * BFGS (optim.c) from c->par on fn: ARIMA_OK with res->optim_code and res->fncount set,
 * ARIMA_ECANCEL, or ARIMA_EFAIL when it failed or ended on a non-finite value.
 */
static int
optimise(FitCtx *c, OptimFn fn, const OptimControl *ctl, double *fmin, ArimaResult *res)
{
	int			rc = optim_bfgs(c->npar, c->par, fmin, fn, c, ctl, c->owork, &res->fncount);

	if (rc == -3)
		return ARIMA_ECANCEL;
	if (rc < 0 || !isfinite(*fmin))
		return ARIMA_EFAIL;
	res->optim_code = rc;
	return ARIMA_OK;
}

/*
 * method = "CSS" as stats::arima: BFGS on the conditional sum of squares (no transform), the
 * Hessian inverted for the variances (a singular one is an error, as R's solve()), sigma2 the
 * CSS residual variance, loglik from it, aic NaN (R gives NA; auto.arima adds its offset).
 */
static int
fit_css(FitCtx *c, const OptimControl *ctl, int h, double *fc_mean, double *fc_se,
		ArimaResult *res, int n_used)
{
	const ArimaSpec *spec = c->spec;
	int			np = c->npar,
				narma = c->narma,
				rc,
				nu;
	double		fmin,
				css,
				ssq,
				sumlog;

	c->ncond = spec->d + spec->D * spec->s + spec->p + spec->s * spec->P;
	if (c->ncond >= c->n)
		return ARIMA_EFAIL;
	memcpy(c->par, c->init, np * sizeof(double));
	c->trans = 0;
	if ((rc = optimise(c, css_objective, ctl, &fmin, res)) != ARIMA_OK)
		return rc;
	for (int i = 0; i < np; i++)
		res->se[i] = NAN;
	memcpy(res->coef, c->par, np * sizeof(double));
	if (spec->fix_xreg && c->ncx)
		res->coef[narma] = spec->xreg_value;
	arima_trans_pars(spec, res->coef, 0, c->phi, c->theta);
	demean(c, res->coef);
	css = arima_css(c->w, c->n, spec, c->phi, c->pp, c->theta, c->qq, c->ncond, c->csswork);
	res->sigma2 = css;
	{
		int			k = 0;

		for (int l = c->ncond; l < c->n; l++)
			k += !isnan(c->csswork[c->n + l]);
		res->rss = css * k;
	}
	res->loglik = -0.5 * (2 * n_used * fmin + n_used + n_used * log(2 * M_PI));
	res->aic = res->aicc = NAN;
	if (!isfinite(res->sigma2))
		return ARIMA_EFAIL;
	if (np > 0 && spec->hessian_gate && !spec->hessian_gate(res, spec->gate_arg))
		res->hessian_skipped = 1;
	else if (np > 0)
	{
		lapack_int ipiv[ARIMA_MAX_COEF];

		if (optim_hessian(np, c->par, css_objective, c, ctl, c->H, c->owork) != 0)
			return ARIMA_EFAIL;
		memset(c->tmp, 0, (size_t) np * np * sizeof(double));
		for (int i = 0; i < np * np; i++)
		{
			c->H[i] *= n_used;
			if (!isfinite(c->H[i]))
				return ARIMA_EFAIL;
		}
		for (int i = 0; i < np; i++)
			c->tmp[i + i * np] = 1.0;
		if (LAPACKE_dgesv(LAPACK_COL_MAJOR, np, np, c->H, np, ipiv, c->tmp, np) != 0)
			return ARIMA_EFAIL;
		for (int i = 0; i < np; i++)
			res->se[i] = c->tmp[i + i * np] >= 0.0 ? sqrt(c->tmp[i + i * np]) : NAN;
		/* the Hessian's evaluations moved the work state: back to the estimate */
		arima_trans_pars(spec, res->coef, 0, c->phi, c->theta);
		demean(c, res->coef);
	}
	if (spec->fix_xreg && c->ncx)
		res->se[narma] = NAN;
	if (h > 0)
	{
		double		mu = c->ncx ? res->coef[narma] : 0.0;

		/* R's arimaSS: the filter sets the state the forecasts start from */
		filter_at(c, &ssq, &sumlog, &nu);
		arima_kalman_forecast(h, c->phi, c->pp, c->theta, c->qq, c->delta, c->nd, c->a, c->P, c->kwork,
							  fc_mean, fc_se);
		for (int i = 0; i < h; i++)
		{
			fc_mean[i] += spec->include_drift ? mu * (double) (c->n + i + 1) : mu;
			fc_se[i] = sqrt(fc_se[i] * res->sigma2);
		}
	}
	return ARIMA_OK;
}

int
arima_fit(const double *y, int n, const ArimaSpec *spec, int h, double *fc_mean,
		  double *fc_se, double *work, ArimaResult *res, const volatile int *cancel)
{
	FitCtx		c;
	OptimControl ctl;
	int			np,
				narma,
				m = 0,
				rc,
				n_used;
	double		fmin,
				ssq,
				sumlog;
	int			nu;

	layout(&c, spec, n, work, NULL);
	c.y = y;
	np = c.npar;
	narma = c.narma;
	memset(res, 0, sizeof(*res));
	res->spec = *spec;
	res->ncoef = np;
	res->n = n;
	make_delta(spec, c.delta, c.nd);

	for (int i = 0; i < n; i++)
		if (!isnan(y[i]))
			m++;
	n_used = m - c.nd;
	res->n_used = n_used;
	if (n_used <= 0)
		return ARIMA_EFAIL;

	/* start values: zeros for the ARMA part; the intercept from least squares (the mean) */
	for (int i = 0; i < np; i++)
	{
		c.init[i] = 0.0;
		c.parscale[i] = 1.0;
	}
	if (spec->include_drift && !spec->fix_xreg)
	{
		/*
		 * R: lm(dx ~ dxreg - 1) on the differenced series and differenced 1..n, parscale 10
		 * times its standard error (the regression on the undifferenced data if that is empty)
		 */
		double		sxz = 0.0,
					szz = 0.0,
					sr = 0.0,
					b;
		int			nn = 0,
					lo = n > c.nd + 1 ? c.nd : 0;

		for (int pass = 0; pass < 2; pass++)
			for (int t = lo; t < n; t++)
			{
				double		dx = y[t],
							dz = t + 1;

				if (lo > 0)
					for (int j = 0; j < c.nd; j++)
					{
						dx -= c.delta[j] * y[t - j - 1];
						dz -= c.delta[j] * (double) (t - j);
					}
				if (isnan(dx))
					continue;
				if (pass == 0)
				{
					sxz += dx * dz;
					szz += dz * dz;
					nn++;
				}
				else
				{
					double		e = dx - (sxz / szz) * dz;

					sr += e * e;
				}
			}
		if (nn < 2 || !(szz > 0.0))
			return ARIMA_EFAIL;
		b = sxz / szz;
		c.init[narma] = b;
		c.parscale[narma] = 10.0 * sqrt(sr / (nn - 1)) / sqrt(szz);
		if (!(c.parscale[narma] > 0.0))
			return ARIMA_EFAIL;
	}
	else if (spec->include_mean && !spec->fix_xreg)
	{
		double		mean = 0.0,
					ss = 0.0;

		for (int i = 0; i < n; i++)
			if (!isnan(y[i]))
				mean += y[i];
		mean /= m;
		for (int i = 0; i < n; i++)
			if (!isnan(y[i]))
				ss += (y[i] - mean) * (y[i] - mean);
		c.init[narma] = mean;
		/* R: parscale = 10 * the standard error of the lm() coefficient */
		c.parscale[narma] = m > 1 ? 10.0 * sqrt(ss / (m - 1)) / sqrt((double) m) : 1.0;
		if (!(c.parscale[narma] > 0.0))
			return ARIMA_EFAIL;
	}
	optim_defaults(&ctl);
	ctl.parscale = c.parscale;
	ctl.cancel = cancel;
	res->nest = np;
	c.fast = spec->fast && m == n;
	if (c.fast)
		fast_setup(&c);

	if (spec->method == ARIMA_CSS)
		return fit_css(&c, &ctl, h, fc_mean, fc_se, res, n_used);

	/* as R: CSS cannot skip missing values, so a series with any goes straight to ML */
	if (spec->method == ARIMA_CSS_ML && m == n)
	{
		/* R's default: a conditional-sum-of-squares fit gives the start values */
		int			fc;

		c.ncond = spec->d + spec->D * spec->s + spec->p + spec->s * spec->P;
		if (c.ncond >= n)
			return ARIMA_EFAIL;
		memcpy(c.par, c.init, np * sizeof(double));
		if (np > 0)
		{
			rc = optim_bfgs(np, c.par, &fmin, css_objective, &c, &ctl, c.owork, &fc);
			if (rc == -3)
				return ARIMA_ECANCEL;
			if (rc == 0)
				memcpy(c.init, c.par, np * sizeof(double));
		}
		if (spec->p > 0 && !arima_ar_stationary(c.init, spec->p))
			return ARIMA_EFAIL;
		if (spec->P > 0 && !arima_ar_stationary(c.init + spec->p + spec->q, spec->P))
			return ARIMA_EFAIL;
		c.ncond = 0;
	}

	/* optimise in the transformed space, MA parts started invertible */
	arima_inv_trans(spec, c.init, c.par, np);
	if (spec->q > 0)
		arima_ma_invert(c.par + spec->p, spec->q);
	if (spec->Q > 0)
		arima_ma_invert(c.par + spec->p + spec->q + spec->P, spec->Q);
	c.trans = 1;
	if ((rc = optimise(&c, ml_objective, &ctl, &fmin, res)) != ARIMA_OK)
		return rc;

	/* enforce invertibility; if that moved the estimate, R re-evaluates there (maxit = 0) */
	memcpy(c.coef, c.par, np * sizeof(double));
	{
		int			changed = 0;

		if (spec->q > 0)
			changed |= arima_ma_invert(c.coef + spec->p, spec->q);
		if (spec->Q > 0)
			changed |= arima_ma_invert(c.coef + spec->p + spec->q + spec->P, spec->Q);
		if (changed)
		{
			OptimControl c0 = ctl;

			c0.maxit = 0;
			memcpy(c.par, c.coef, np * sizeof(double));
			optim_bfgs(np, c.par, &fmin, ml_objective, &c, &c0, c.owork, NULL);
			if (!isfinite(fmin))
				return ARIMA_EFAIL;
		}
	}

	/* var = A' (n.used H)^-1 A at the transformed estimate */
	for (int i = 0; i < np; i++)
		res->se[i] = NAN;
	/* the criterion the gate looks at, as computed again below */
	res->aic = 2 * n_used * fmin + n_used + n_used * log(2 * M_PI) + 2 * np + 2;
	if (np > 0 && spec->hessian_gate && !spec->hessian_gate(res, spec->gate_arg))
		res->hessian_skipped = 1;
	else if (np > 0 && optim_hessian(np, c.coef, ml_objective, &c, &ctl, c.H, c.owork) == 0)
	{
		lapack_int ipiv[ARIMA_MAX_COEF];
		int			ok = 1;

		for (int i = 0; i < np * np; i++)
		{
			c.H[i] *= n_used;
			ok &= isfinite(c.H[i]);
		}
		arima_grad_trans(spec, c.coef, np, c.A);
		memcpy(c.tmp, c.A, (size_t) np * np * sizeof(double));
		/* H is symmetric, so row/column order does not matter for the solve */
		if (ok && LAPACKE_dgesv(LAPACK_COL_MAJOR, np, np, c.H, np, ipiv, c.tmp, np) == 0)
		{
			for (int i = 0; i < np; i++)
			{
				double		v = 0.0;

				for (int k = 0; k < np; k++)
					v += c.A[k + i * np] * c.tmp[k + i * np];
				res->se[i] = v >= 0.0 ? sqrt(v) : NAN;
			}
		}
	}

	/* back to model parameters; the final filter gives sigma2 and the state for forecasting */
	arima_undo_pars(spec, c.coef, res->coef, np);
	if (spec->fix_xreg && c.ncx)
	{
		res->coef[narma] = spec->xreg_value;
		res->se[narma] = NAN;
	}
	arima_trans_pars(spec, res->coef, 0, c.phi, c.theta);
	demean(&c, res->coef);
	filter_rss(&c, &ssq, &sumlog, &nu, &res->rss);
	res->sigma2 = ssq / n_used;
	{
		double		value = 2 * n_used * fmin + n_used + n_used * log(2 * M_PI);
		int			npar = np + 1;
		int			nstar = n_used;	/* forecast::Arima: non-missing points less differencing */

		res->loglik = -0.5 * value;
		res->aic = value + 2 * np + 2;
		res->aicc = (nstar - npar - 1 > 0) ? res->aic + 2.0 * npar * (npar + 1) / (nstar - npar - 1) : NAN;
	}
	if (!isfinite(res->loglik) || !isfinite(res->sigma2))
		return ARIMA_EFAIL;

	if (h > 0)
	{
		double		mu = c.ncx ? res->coef[narma] : 0.0;

		arima_kalman_forecast(h, c.phi, c.pp, c.theta, c.qq, c.delta, c.nd, c.a, c.P, c.kwork,
							  fc_mean, fc_se);
		for (int i = 0; i < h; i++)
		{
			/* predict.Arima: + newxreg %*% beta, drift's newxreg is n + 1 .. n + h */
			fc_mean[i] += spec->include_drift ? mu * (double) (n + i + 1) : mu;
			fc_se[i] = sqrt(fc_se[i] * res->sigma2);
		}
		if (!arima_forecast_finite(h, fc_mean, fc_se))
			return ARIMA_EFAIL;
	}
	return ARIMA_OK;
}

int
arima_forecast_finite(int h, const double *fc_mean, const double *fc_se)
{
	/* the widest interval reported is the 95 % one; its bounds overflow before the se does */
	const double z95 = 1.959963984540054;

	for (int i = 0; i < h; i++)
		if (!isfinite(fc_mean[i]) || !isfinite(fc_se[i]) || fc_se[i] < 0.0 ||
			!isfinite(fc_mean[i] - z95 * fc_se[i]) || !isfinite(fc_mean[i] + z95 * fc_se[i]))
			return 0;
	return 1;
}

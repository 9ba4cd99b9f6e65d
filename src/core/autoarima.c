/*
 * autoarima.c -- automatic order selection for seasonal ARIMA, step for step as R's
 * forecast::auto.arima (8.20) with its defaults: d from repeated KPSS tests (urca's ur.kpss,
 * type "mu"), D from the STL seasonal strength (seas.heuristic > 0.64), the stepwise
 * first-improvement search on AICc over (p, q, P, Q, constant) with auto.arima's start models,
 * neighbour order and bounds, the CSS approximation with its likelihood offset for long or
 * high-frequency series followed by exact (CSS-ML) refits in order of the approximate
 * criterion, auto.arima's root and variance checks and its sigma2.  test/ref/README-autoarima.md
 * quotes the rules.  Pure C on the caller's work buffer (arima.c does the fitting), so series
 * run on threads through arima_run_batch().
 */
#include "autoarima.h"

#include <math.h>
#include <string.h>

#include "stl.h"

#define MAX_P 5
#define MAX_Q 5
#define MAX_SP 2
#define MAX_SQ 2
#define KPSS_CRIT 0.463			/* 5 % point of the KPSS level test: p < 0.05 iff stat > it */
#define SEAS_CRIT 0.64
#define ROOT_MIN 1.01

/* ---------- tests ---------- */

/* forecast:::is.constant: isTRUE(all.equal(x, rep(x[1], n))), NaN ignored */
int
autoarima_is_constant(const double *x, int n)
{
	double		x1 = NAN,
				sd = 0.0,
				sa = 0.0;
	int			k = 0,
				i;

	for (i = 0; i < n && isnan(x1); i++)
		x1 = x[i];
	for (; i < n; i++)
		if (!isnan(x[i]) && x[i] != x1)
		{
			sd += fabs(x[i] - x1);
			sa += fabs(x[i]);
			k++;
		}
	if (k == 0)
		return 1;
	sd /= k;
	sa /= k;
	if (isfinite(sa) && sa > 1.5e-8)
		sd /= sa;
	return sd <= 1.5e-8;
}

double
autoarima_kpss(const double *x, int n)
{
	double		mean = 0.0,
				S = 0.0,
				num = 0.0,
				s2 = 0.0,
				lr = 0.0;
	int			l = (int) trunc(3.0 * sqrt((double) n) / 13.0);

	if (n < 2)
		return NAN;
	for (int i = 0; i < n; i++)
		mean += x[i];
	mean /= n;
	for (int i = 0; i < n; i++)
	{
		double		r = x[i] - mean;

		S += r;
		num += S * S;
		s2 += r * r;
	}
	num /= (double) n * n;
	s2 /= n;
	for (int i = 1; i <= l && i < n; i++)
	{
		double		c = 0.0;

		for (int t = i; t < n; t++)
			c += (x[t] - mean) * (x[t - i] - mean);
		lr += (1.0 - (double) i / (l + 1)) * c;
	}
	return num / (s2 + 2.0 / n * lr);
}

/* forecast::ndiffs(x, test = "kpss"): NaN dropped first; work n doubles */
int
autoarima_ndiffs(const double *x, int n, double *work, double *kpss0, double *kpss1)
{
	int			k = 0,
				d = 0;
	double		st;

	*kpss0 = *kpss1 = NAN;
	for (int i = 0; i < n; i++)
		if (!isnan(x[i]))
			work[k++] = x[i];
	if (k == 0 || autoarima_is_constant(work, k))
		return 0;
	st = autoarima_kpss(work, k);
	*kpss0 = st;
	if (isnan(st))
		return 0;
	while (st > KPSS_CRIT && d < 2)
	{
		d++;
		for (int i = 0; i < k - 1; i++)
			work[i] = work[i + 1] - work[i];
		k--;
		if (k < 1 || autoarima_is_constant(work, k))
			return d;
		st = autoarima_kpss(work, k);
		if (d == 1)
			*kpss1 = st;
		if (isnan(st))
			return d - 1;
	}
	return d;
}

/*
 * forecast:::seas.heuristic: 1 - var(remainder) / var(remainder + seasonal) of
 * stl(x, s.window = 11), clamped to [0, 1]; -1 when m <= 1 or n <= 2m.  Missing values are
 * interpolated linearly first (R's mstl uses na.interp).  work: n * 3 + stl work.
 */
double
autoarima_seas_strength(const double *x, int n, int m, double *work)
{
	double	   *xx = work,
			   *sea = xx + n,
			   *tr = sea + n,
			   *sw = tr + n;
	double		mr = 0.0,
				ms = 0.0,
				vr = 0.0,
				vs = 0.0,
				v;
	int			last = -1;

	if (m <= 1 || n <= 2 * m)
		return -1.0;
	for (int i = 0; i < n; i++)
	{
		xx[i] = x[i];
		if (!isnan(x[i]))
		{
			if (last < 0)
				for (int j = 0; j < i; j++)
					xx[j] = x[i];
			else
				for (int j = last + 1; j < i; j++)
					xx[j] = x[last] + (x[i] - x[last]) * (j - last) / (double) (i - last);
			last = i;
		}
	}
	if (last < 0)
		return -1.0;
	for (int j = last + 1; j < n; j++)
		xx[j] = x[last];
	if (stl_decompose(xx, n, m, 11, sea, tr, sw) != 0)
		return -1.0;
	for (int i = 0; i < n; i++)
	{
		double		r = xx[i] - sea[i] - tr[i];

		mr += r;
		ms += r + sea[i];
	}
	mr /= n;
	ms /= n;
	for (int i = 0; i < n; i++)
	{
		double		r = xx[i] - sea[i] - tr[i];

		vr += (r - mr) * (r - mr);
		vs += (r + sea[i] - ms) * (r + sea[i] - ms);
	}
	v = 1.0 - vr / vs;
	if (isnan(v))
		return -1.0;
	return v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
}

/* forecast::nsdiffs(x, test = "seas", max.D = 1) */
int
autoarima_nsdiffs(const double *x, int n, int m, double *work, double *strength)
{
	double		s;

	*strength = NAN;
	if (autoarima_is_constant(x, n) || m <= 1 || m >= n)
		return 0;
	s = autoarima_seas_strength(x, n, m, work);
	if (s < 0.0)
		return 0;
	*strength = s;
	return s > SEAS_CRIT;
}

double
autoarima_mase_scale(const double *x, int n, int m)
{
	double		s = 0.0;
	int			k = 0,
				lag = m > 1 ? m : 1;

	for (int t = lag; t < n; t++)
		if (!isnan(x[t]) && !isnan(x[t - lag]))
		{
			s += fabs(x[t] - x[t - lag]);
			k++;
		}
	return (k > 0 && s > 0.0) ? s / k : NAN;
}

/* ---------- work space ---------- */

static int
cap_seasonal(int m)
{
	int			k = MAX_SP;

	/* R's 350-lag limit: larger seasonal orders could never be fitted */
	while (k > 0 && MAX_P + m * k + 1 > ARIMA_MAX_R)
		k--;
	return k;
}

static ArimaSpec
largest_spec(int m)
{
	int			k = m > 1 ? cap_seasonal(m) : 0;
	ArimaSpec	s = {MAX_P, 2, MAX_Q, k, m > 1, k, m > 1 ? m : 1, 1, ARIMA_CSS_ML, 0, 0, 0.0, 0};

	return s;
}

size_t
autoarima_work_doubles(int n, int m)
{
	ArimaSpec	s = largest_spec(m);

	return arima_work_doubles(&s, n) + 4 * (size_t) n + stl_work_doubles(n, m) + 16;
}

/* ---------- one model (forecast:::myarima) ---------- */

typedef struct Search
{
	const double *y;
	int			n;				/* length (leading missing values trimmed) */
	int			ns;				/* non-missing points (R's serieslength) */
	int			m;
	int			d,
				D;
	double		offset;
	int			use_aic;		/* n <= 3: AIC instead of AICc */
	double	   *work;
	const volatile int *cancel;
	int			cancelled;
	AutoArimaInfo *info;
	double		gate_below;		/* Hessian only for a criterion below this (INFINITY: always) */
	int			approx_now;		/* the fit being gated is a CSS approximation */
	int			unchecked;		/* the last fit_ic skipped the Hessian's verdict */
} Search;

/* moduli of the roots of 1 + c z + ...: smallest, after dropping trailing |c| <= 1e-8; -1 on error */
static double
min_root(const double *c, int k)
{
	double		mod[ARIMA_MAX_R + 1],
				mn = 2.0;
	int			last = 0;

	for (int i = 0; i < k; i++)
		if (fabs(c[i]) > 1e-8)
			last = i + 1;
	if (last == 0)
		return mn;
	if (last > 64 || arima_poly_root_moduli(c, last, mod) != 0)
		return -1.0;
	for (int i = 0; i < last; i++)
		if (mod[i] < mn)
			mn = mod[i];
	return mn;
}

/* auto.arima's criterion of a fit (aic set as R's, or NaN) */
static double
search_ic(const Search *S, const ArimaResult *res, int approx, double *aic_out)
{
	int			nstar = S->ns - S->d - S->D * S->m,
				npar = res->nest + 1;
	double		aic = approx ? S->offset + nstar * log(res->sigma2) + 2 * npar : res->aic;

	*aic_out = aic;
	return S->use_aic ? aic : aic + 2.0 * npar * (npar + 1) / (double) (nstar - npar - 1);
}

/*
 * The Hessian of a fit only decides whether the model is rejected (singular, or a NaN standard
 * error); a model whose criterion does not beat the search's best is not taken whatever that
 * verdict, so its Hessian is skipped.  The verdict is recovered later if R's refit order needs it.
 */
static int
hessian_gate(const ArimaResult *res, void *arg)
{
	const Search *S = arg;
	double		aic,
				ic = search_ic(S, res, S->approx_now, &aic);

	return !isnan(ic) && ic < S->gate_below;
}

/*
 * Fits (p,d,q)(P,D,Q)[m] with or without constant and returns auto.arima's criterion
 * (INFINITY when rejected).  res gets the fit, with sigma2 replaced as auto.arima does.
 */
static double
fit_ic(Search *S, int p, int q, int P, int Q, int constant, int approx, int h, double *fc,
	   double *se, ArimaResult *res)
{
	int			nd = S->d + S->D;
	ArimaSpec	sp = {p, S->d, q, P, S->D, Q, S->m, constant && nd == 0, approx ? ARIMA_CSS : ARIMA_CSS_ML,
	constant && nd == 1, 0, 0.0, 1};
	int			rc,
				nstar,
				npar,
				narma = p + q + P + Q;
	double		aic,
				ic,
				pol[ARIMA_MAX_R + 1];

	S->unchecked = 0;
	if (S->cancelled || arima_state_dim(&sp) > ARIMA_MAX_R)
		return INFINITY;
	if (S->gate_below < INFINITY)
	{
		sp.hessian_gate = hessian_gate;
		sp.gate_arg = S;
		S->approx_now = approx;
	}
	rc = arima_fit(S->y, S->n, &sp, h, fc, se, S->work, res, S->cancel);
	if (rc == ARIMA_ECANCEL)
	{
		S->cancelled = 1;
		return INFINITY;
	}
	if (rc != ARIMA_OK)
		return INFINITY;
	nstar = S->ns - S->d - S->D * S->m;
	npar = res->nest + 1;
	ic = search_ic(S, res, approx, &aic);
	if (isnan(aic))
		return INFINITY;
	res->aic = aic;
	res->aicc = aic + 2.0 * npar * (npar + 1) / (double) (nstar - npar - 1);
	if (S->info)
		S->info->sigma2_ml = res->sigma2;
	res->sigma2 = res->rss / (double) (nstar - npar + 1);

	/* the full AR and MA polynomials (seasonal product expanded), as fit$model$phi / theta */
	if (p + P > 0)
	{
		int			k = p + S->m * P;

		memset(pol, 0, sizeof(double) * k);
		for (int i = 0; i < p; i++)
			pol[i] = res->coef[i];
		for (int j = 0; j < P; j++)
		{
			double		A = res->coef[p + q + j];

			pol[(j + 1) * S->m - 1] += A;
			for (int i = 0; i < p; i++)
				pol[(j + 1) * S->m + i] -= res->coef[i] * A;
		}
		for (int i = 0; i < k; i++)
			pol[i] = -pol[i];
		{
			double		r = min_root(pol, k);

			if (r < ROOT_MIN)
				return INFINITY;
		}
	}
	if (q + Q > 0)
	{
		int			k = q + S->m * Q;

		memset(pol, 0, sizeof(double) * k);
		for (int i = 0; i < q; i++)
			pol[i] = res->coef[p + i];
		for (int j = 0; j < Q; j++)
		{
			double		B = res->coef[p + q + P + j];

			pol[(j + 1) * S->m - 1] += B;
			for (int i = 0; i < q; i++)
				pol[(j + 1) * S->m + i] += res->coef[p + i] * B;
		}
		{
			double		r = min_root(pol, k);

			if (r < ROOT_MIN)
				return INFINITY;
		}
	}
	/* checkarima: a NaN standard error (not known when the Hessian was skipped) */
	if (res->hessian_skipped)
		S->unchecked = 1;
	else
		for (int i = 0; i < res->nest; i++)
			if (isnan(res->se[i]))
				return INFINITY;
	(void) narma;
	return isnan(ic) ? INFINITY : ic;
}

/* ---------- the special cases ---------- */

/* a model with no free parameter whose differenced series is constant: the exact continuation */
static void
deterministic(Search *S, const ArimaSpec *sp, double drift, int h, double *fc, double *se,
			  ArimaResult *res, double *ext)
{
	int			n = S->n,
				nd = sp->d + sp->D * sp->s;
	double		delta[3 + 2 * 1000 + 4];
	double		x[3 + 2 * 1000 + 4];
	int			len = 1;

	/* (1 - B)^d (1 - B^s)^D */
	memset(x, 0, sizeof(double) * (nd + 1));
	x[0] = 1.0;
	for (int k = 0; k < sp->d; k++, len++)
		for (int j = len; j >= 1; j--)
			x[j] -= x[j - 1];
	for (int k = 0; k < sp->D; k++, len += sp->s)
		for (int j = len - 1 + sp->s; j >= sp->s; j--)
			x[j] -= x[j - sp->s];
	for (int i = 0; i < nd; i++)
		delta[i] = -x[i + 1];
	memcpy(ext, S->y, n * sizeof(double));
	for (int k = 0; k < h; k++)
	{
		double		v = drift * (sp->D > 0 ? sp->s : 1);

		for (int j = 0; j < nd; j++)
		{
			double		yj = ext[n + k - j - 1];

			v += delta[j] * (isnan(yj) ? 0.0 : yj);
		}
		ext[n + k] = v;
		fc[k] = v;
		se[k] = 0.0;
	}
	memset(res, 0, sizeof(*res));
	res->spec = *sp;
	res->ncoef = arima_ncoef(sp);
	if (res->ncoef > 0)
	{
		res->coef[0] = drift;
		res->se[0] = NAN;
	}
	res->sigma2 = 0.0;
	res->loglik = res->aic = res->aicc = NAN;
	res->n = n;
	res->n_used = S->ns - nd;
}

/* ---------- the search ---------- */

static int
tried(const AutoArimaInfo *I, int p, int q, int P, int Q, int c)
{
	for (int i = 0; i < I->ntrace; i++)
		if (I->trace[i].p == p && I->trace[i].q == q && I->trace[i].P == P && I->trace[i].Q == Q &&
			I->trace[i].constant == c)
			return 1;
	return 0;
}

static int	select_and_fit(const double *y0, int n0, const void *arg, int h, double *fc_mean,
						   double *fc_se, double *work, ArimaResult *res, AutoArimaInfo *I,
						   const volatile int *cancel);

int
autoarima_fit_series(const double *y0, int n0, const void *arg, int h, double *fc_mean,
					 double *fc_se, double *work, ArimaResult *res, void *extra,
					 const volatile int *cancel)
{
	AutoArimaInfo local,
			   *I = extra ? extra : &local;
	AutoTraceEntry trace[AUTO_NMODELS],
			   *user_trace = extra ? ((AutoArimaInfo *) extra)->trace : NULL;
	int			rc;

	memset(I, 0, sizeof(*I));
	I->trace = trace;			/* the search reads its path back, so it is always kept */
	rc = select_and_fit(y0, n0, arg, h, fc_mean, fc_se, work, res, I, cancel);
	if (user_trace)
		memcpy(user_trace, trace, I->ntrace * sizeof(AutoTraceEntry));
	I->trace = user_trace;
	return rc;
}

static int
select_and_fit(const double *y0, int n0, const void *arg, int h, double *fc_mean,
			   double *fc_se, double *work, ArimaResult *res, AutoArimaInfo *I,
			   const volatile int *cancel)
{
	const AutoArimaOptions *opt = arg;
	Search		S;
	int			first = 0,
				m = opt->period > 1 ? opt->period : 1,
				ns = 0,
				max_p,
				max_q,
				max_P,
				max_Q,
				d,
				D,
				constant,
				allow,
				p,
				q,
				P,
				Q,
				approx;
	ArimaSpec	base = {0, 0, 0, 0, 0, 0, m, 0, ARIMA_CSS_ML, 0, 0, 0.0, 0};
	ArimaSpec	lsp = largest_spec(m);
	double	   *aw = work,
			   *scratch = work + arima_work_doubles(&lsp, n0);
	double		best_ic = INFINITY;
	int			bp,
				bq,
				bP,
				bQ,
				bc;

	I->seas_strength = I->kpss_d0 = I->kpss_d1 = I->sigma2_ml = I->mase_scale = NAN;
	while (first < n0 && isnan(y0[first]))
		first++;
	for (int i = first; i < n0; i++)
		ns += !isnan(y0[i]);
	if (ns == 0)
		return arima_fit_series(y0, n0, &base, h, fc_mean, fc_se, aw, res, cancel);
	I->mase_scale = autoarima_mase_scale(y0, n0, m);

	memset(&S, 0, sizeof(S));
	S.y = y0 + first;
	S.n = n0 - first;
	S.ns = ns;
	S.m = m;
	S.work = aw;
	S.cancel = cancel;
	S.info = I;
	S.gate_below = INFINITY;

	/* 1. a constant series: its value, zero-width intervals */
	if (autoarima_is_constant(S.y, S.n))
	{
		base.include_mean = 1;
		arima_fit_mean(S.y, S.n, &base, h, fc_mean, fc_se, res, ARIMA_FB_CONSTANT);
		res->n = n0;
		res->sigma2 = 0.0;
		for (int i = 0; i < h; i++)
			fc_se[i] = 0.0;
		I->constant = AUTO_CONST_SERIES;
		return ARIMA_OK;
	}

	/* 2. bounds */
	max_p = ns / 3 < MAX_P ? ns / 3 : MAX_P;
	max_q = max_p;
	max_P = ns / 3 / m < MAX_SP ? ns / 3 / m : MAX_SP;
	max_Q = max_P;
	S.use_aic = ns <= 3;

	/* 3.-4. differencing */
	if (m == 1)
	{
		D = 0;
		max_P = max_Q = 0;
	}
	else if (S.n <= 2 * m)
		D = 0;
	else
		D = autoarima_nsdiffs(S.y, S.n, m, scratch, &I->seas_strength);
	if (m > 1 && isnan(I->seas_strength) && S.n > 2 * m)
	{
		double		st = autoarima_seas_strength(S.y, S.n, m, scratch);

		if (st >= 0.0)
			I->seas_strength = st;
	}
	{
		double	   *dx = scratch;
		int			k = S.n;

		memcpy(dx, S.y, S.n * sizeof(double));
		if (D > 0)
		{
			for (int t = S.n - 1; t >= m; t--)
				dx[t] -= dx[t - m];
			memmove(dx, dx + m, (S.n - m) * sizeof(double));
			k = S.n - m;
			{
				int			any = 0;

				for (int t = 0; t < k; t++)
					any |= !isnan(dx[t]);
				if (!any)
				{
					D = 0;
					memcpy(dx, S.y, S.n * sizeof(double));
					k = S.n;
				}
			}
		}
		d = autoarima_ndiffs(dx, k, scratch + S.n, &I->kpss_d0, &I->kpss_d1);
		I->nsdiffs = D;
		I->ndiffs = d;

		/* 5. constant after differencing: the exact continuation (R fixes the drift) */
		{
			double	   *ddx = scratch + S.n,
						mean = 0.0;
			int			kk = 0;

			for (int t = 0; t < k; t++)
				if (!isnan(dx[t]))
					ddx[kk++] = dx[t];
			for (int j = 0; j < d; j++)
			{
				for (int t = 0; t < kk - 1; t++)
					ddx[t] = ddx[t + 1] - ddx[t];
				kk--;
			}
			if (kk <= 0)
			{
				base.include_mean = 1;
				arima_fit_mean(S.y, S.n, &base, h, fc_mean, fc_se, res, ARIMA_FB_TOO_SHORT);
				res->n = n0;
				return ARIMA_OK;
			}
			if (autoarima_is_constant(ddx, kk))
			{
				ArimaSpec	sp = {0, d, 0, 0, D, 0, m, 0, ARIMA_CSS_ML, 0, 0, 0.0, 0};
				double	   *ext = scratch + 2 * (size_t) S.n;

				for (int t = 0; t < kk; t++)
					mean += ddx[t];
				mean /= kk;
				if (D > 0 && d == 0)
				{
					sp.include_drift = sp.fix_xreg = 1;
					sp.xreg_value = mean / m;
				}
				else if (D == 0 && d < 2)
				{
					sp.include_drift = sp.fix_xreg = 1;
					sp.xreg_value = mean;
				}
				I->constant = sp.include_drift ? AUTO_CONST_DRIFT : AUTO_CONST_NONE;
				if (h > 2 * 1000)
					h = 2 * 1000;
				deterministic(&S, &sp, sp.include_drift ? sp.xreg_value : 0.0, h, fc_mean, fc_se, res,
							  ext);
				res->n = n0;
				return ARIMA_OK;
			}
		}
	}
	S.d = d;
	S.D = D;

	/* 6. */
	if (m > 1)
	{
		if (max_P > 0)
			max_p = max_p < m - 1 ? max_p : m - 1;
		if (max_Q > 0)
			max_q = max_q < m - 1 ? max_q : m - 1;
		{
			int			cap = cap_seasonal(m);

			max_P = max_P < cap ? max_P : cap;
			max_Q = max_Q < cap ? max_Q : cap;
		}
	}

	/* 7. the CSS approximation and its offset */
	approx = (ns > 150 || m > 12);
	if (approx)
	{
		ArimaSpec	o = {0, d, 0, 0, D, 0, m, d + D == 0, ARIMA_CSS_ML, 0, 0, 0.0, 0};
		int			rc = arima_fit(S.y, S.n, &o, 0, NULL, NULL, aw, res, cancel);

		if (rc == ARIMA_ECANCEL)
			return rc;
		S.offset = rc == ARIMA_OK ? -2.0 * res->loglik - ns * log(res->sigma2) : 0.0;
	}
	I->approximation = approx;

	/* 8.-9. constant and start values */
	allow = (d + D <= 1);
	constant = allow;
	p = 2 < max_p ? 2 : max_p;
	q = 2 < max_q ? 2 : max_q;
	P = 1 < max_P ? 1 : max_P;
	Q = 1 < max_Q ? 1 : max_Q;
	if (S.n < 10)
	{
		p = p < 1 ? p : 1;
		q = q < 1 ? q : 1;
		P = Q = 0;
	}

	/* a tried model is only taken when it beats best_ic: its Hessian is needed only then */
#define TRY(pp, qq, PP, QQ, cc) \
	( S.gate_below = best_ic, \
	  ic = fit_ic(&S, (pp), (qq), (PP), (QQ), (cc), approx, 0, NULL, NULL, res), \
	  S.gate_below = INFINITY, \
	  I->trace[I->ntrace] = (AutoTraceEntry) {(pp), (qq), (PP), (QQ), (cc), ic, S.unchecked}, \
	  I->ntrace++, ic )

	{
		double		ic;
		int			k,
					startk;

		/* 10. the initial models */
		best_ic = TRY(p, q, P, Q, constant);
		bp = p;
		bq = q;
		bP = P;
		bQ = Q;
		bc = constant;
		if (TRY(0, 0, 0, 0, constant) < best_ic)
		{
			best_ic = ic;
			p = q = P = Q = 0;
		}
		if (max_p > 0 || max_P > 0)
		{
			int			pp = max_p > 0,
						PP = (m > 1) && max_P > 0;

			if (TRY(pp, 0, PP, 0, constant) < best_ic)
			{
				best_ic = ic;
				p = pp;
				P = PP;
				q = Q = 0;
			}
		}
		if (max_q > 0 || max_Q > 0)
		{
			int			qq = max_q > 0,
						QQ = (m > 1) && max_Q > 0;

			if (TRY(0, qq, 0, QQ, constant) < best_ic)
			{
				best_ic = ic;
				p = P = 0;
				q = qq;
				Q = QQ;
			}
		}
		if (constant)
		{
			if (TRY(0, 0, 0, 0, 0) < best_ic)
			{
				best_ic = ic;
				p = q = P = Q = 0;
				/* R leaves `constant` TRUE here (see below) */
			}
		}
		k = I->ntrace;

		/*
		 * 11. stepwise: neighbours in R's order, the first improvement restarts the pass.
		 * R's results matrix keeps constant as tried; "bestfit" may be a no-constant model
		 * while `constant` stays TRUE (R does not update it for the null model), so the
		 * neighbours are tried with the flag as R has it.
		 */
		startk = 0;
		while (startk < k && k < AUTO_NMODELS && !S.cancelled)
		{
			static const int moves[16][4] = {
				{0, 0, -1, 0}, {0, 0, 0, -1}, {0, 0, 1, 0}, {0, 0, 0, 1},
				{0, 0, -1, -1}, {0, 0, -1, 1}, {0, 0, 1, -1}, {0, 0, 1, 1},
				{-1, 0, 0, 0}, {0, -1, 0, 0}, {1, 0, 0, 0}, {0, 1, 0, 0},
				{-1, -1, 0, 0}, {-1, 1, 0, 0}, {1, -1, 0, 0}, {1, 1, 0, 0}
			};
			int			improved = 0;

			startk = k;
			for (int mv = 0; mv < 16; mv++)
			{
				int			np_ = p + moves[mv][0],
							nq = q + moves[mv][1],
							nP = P + moves[mv][2],
							nQ = Q + moves[mv][3];

				if (np_ < 0 || np_ > max_p || nq < 0 || nq > max_q || nP < 0 || nP > max_P ||
					nQ < 0 || nQ > max_Q)
					continue;
				if (tried(I, np_, nq, nP, nQ, constant))
					continue;
				k++;
				if (k > AUTO_NMODELS)
					break;
				if (TRY(np_, nq, nP, nQ, constant) < best_ic)
				{
					best_ic = ic;
					p = np_;
					q = nq;
					P = nP;
					Q = nQ;
					improved = 1;
					break;
				}
			}
			if (improved || k > AUTO_NMODELS)
				continue;
			if (allow && !tried(I, p, q, P, Q, !constant))
			{
				k++;
				if (k > AUTO_NMODELS)
					continue;
				if (TRY(p, q, P, Q, !constant) < best_ic)
				{
					best_ic = ic;
					constant = !constant;
				}
			}
		}
		I->nmodels = I->ntrace;
	}
#undef TRY
	if (S.cancelled)
		return ARIMA_ECANCEL;

	/* 12. exact refits in order of the approximate criterion; the first finite one is the model */
	{
		int			order[AUTO_NMODELS] = {0},
					nt = I->ntrace,
					found = -1,
					refitted = 0;

		int			tried[AUTO_NMODELS] = {0},
					resolved = 0;

resort:
		for (int i = 0; i < nt; i++)
			order[i] = i;
		/* stable insertion sort on ic: R's order(), ties by try order, Inf last */
		for (int i = 1; i < nt; i++)
		{
			int			v = order[i],
						j = i - 1;

			while (j >= 0 && I->trace[order[j]].ic > I->trace[v].ic)
			{
				order[j + 1] = order[j];
				j--;
			}
			order[j + 1] = v;
		}
		/*
		 * The first in this order never has an unchecked criterion (it beat every model before
		 * it, so its Hessian was computed), which is all the non-approximate case needs.
		 */
		if (!approx)
		{
			/* the best is the first with the smallest ic that is finite */
			if (isfinite(I->trace[order[0]].ic))
				found = order[0];
		}
		else if (isfinite(I->trace[order[0]].ic))
		{
			for (int i = 0; i < nt; i++)
			{
				AutoTraceEntry *e = &I->trace[order[i]];

				if (tried[order[i]])
					continue;
				if (e->unchecked && !resolved)
				{
					/*
					 * R's order needs the Hessian's verdict of the models whose was skipped
					 * (a rejected one sorts last): approximate refits with it, then again
					 */
					for (int k = 0; k < nt; k++)
						if (I->trace[k].unchecked)
						{
							AutoTraceEntry *u = &I->trace[k];

							u->ic = fit_ic(&S, u->p, u->q, u->P, u->Q, u->constant, 1, 0, NULL, NULL, res);
							u->unchecked = 0;
							if (S.cancelled)
								return ARIMA_ECANCEL;
						}
					resolved = 1;
					goto resort;
				}
				tried[order[i]] = 1;
				I->nrefits++;
				/* with the forecasts: the accepted refit is the final model (no second fit) */
				if (isfinite(fit_ic(&S, e->p, e->q, e->P, e->Q, e->constant, 0, h, fc_mean, fc_se, res)))
				{
					found = order[i];
					refitted = 1;
					break;
				}
				if (S.cancelled)
					return ARIMA_ECANCEL;
			}
		}
		(void) bp;
		(void) bq;
		(void) bP;
		(void) bQ;
		(void) bc;
		if (found >= 0)
		{
			AutoTraceEntry *e = &I->trace[found];
			double		ic = refitted ? 0.0	/* finite: accepted above */
				: fit_ic(&S, e->p, e->q, e->P, e->Q, e->constant, 0, h, fc_mean, fc_se, res);

			if (S.cancelled)
				return ARIMA_ECANCEL;
			if (isfinite(ic))
			{
				/* intervals with auto.arima's sigma2 */
				double		f = sqrt(res->sigma2 / I->sigma2_ml);

				for (int i = 0; i < h; i++)
					fc_se[i] *= f;
				/* rescaled intervals that overflow: no suitable model, as below */
				if (arima_forecast_finite(h, fc_mean, fc_se))
				{
					res->n = n0;
					I->constant = e->constant ? (d + D == 0 ? AUTO_CONST_MEAN : AUTO_CONST_DRIFT) : AUTO_CONST_NONE;
					return ARIMA_OK;
				}
			}
		}
	}

	/* no model: R stops ("No suitable ARIMA model found"); mktdb falls back per series */
	{
		ArimaSpec	sp = {0, d, 0, 0, D, 0, m, d + D == 0, ARIMA_CSS_ML, 0, 0, 0.0, 0};
		int			rc = arima_fit_series(S.y, S.n, &sp, h, fc_mean, fc_se, aw, res, cancel);

		if (rc == ARIMA_OK && res->fallback == ARIMA_FB_NONE)
			res->fallback = (d + D > 0) ? ARIMA_FB_FAILED_NAIVE : ARIMA_FB_FAILED_MEAN;
		res->n = n0;
		return rc;
	}
}

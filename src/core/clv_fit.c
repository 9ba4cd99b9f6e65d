/*
 * clv_fit.c -- maximum likelihood for the customer-lifetime-value models (see clv.h):
 * customers compressed to distinct (x, t_x, T) rows with weights, BFGS with a
 * backtracking line search from several starts on a deterministic sample, Newton steps
 * on the Hessian on all customers, and for BG/NBD the comparison with the limit
 * a + b -> infinity.  Pure C; work memory is malloc'd and freed on every path.
 */
#include "clv_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAMPLE_N 20000			/* starts are compared on at most this many customers */
#define NSTARTS 4
#define RIDGE_AB 1e3			/* BG/NBD beyond this a + b is compared with the limit */

enum
{
	P_BGNBD = CLV_BGNBD, P_PARETO = CLV_PARETO, P_BG_LIMIT, P_PN_LIMIT, P_GG
};

/* one likelihood to maximise; f(theta) = -loglik / scale */
typedef struct Problem
{
	int			kind;
	int			np;
	const ClvCustomers *c;		/* purchase models */
	int64_t		n;				/* Gamma-Gamma data */
	const int32_t *x;
	const double *m;
	const double *lm;			/* Gamma-Gamma: log m per row */
	int			threads;
	double		scale;
	int		   *evals;			/* counts evaluations (NULL: not counted) */
} Problem;

/* theta -> parameters: logs, but BG/NBD's limit has logit p third */
static int
to_params(const Problem *pr, const double *th, double *p)
{
	for (int k = 0; k < pr->np; k++)
	{
		if (fabs(th[k]) > 40)	/* parameters beyond e^40 or below e^-40: no maximum there */
			return -1;
		p[k] = exp(th[k]);
	}
	if (pr->kind == P_BG_LIMIT)
		p[2] = 1.0 / (1.0 + exp(-th[2]));
	return 0;
}

/* f, and its gradient g and Hessian H (np x np; either may be NULL) in theta */
static double
objective(const Problem *pr, const double *th, double *g, double *H)
{
	double		p[CLV_NPAR] = {0},
				gl[CLV_NPAR],
				hl[CLV_NPAR * CLV_NPAR];
	int			np = pr->np;
	double		ll;

	if (to_params(pr, th, p) != 0)
		return NAN;
	if (pr->evals)
		(*pr->evals)++;
	switch (pr->kind)
	{
		case P_GG:
			ll = clv_gg_loglik_pre(p, pr->n, pr->x, pr->m, pr->lm, pr->threads, g ? gl : NULL, H ? hl : NULL);
			break;
		case P_BG_LIMIT:
			ll = clv_bgnbd_limit_loglik(p, pr->c, g ? gl : NULL, H ? hl : NULL);
			break;
		case P_PARETO:
		case P_PN_LIMIT:
			ll = clv_pnbd_loglik(p, pr->kind == P_PN_LIMIT, pr->c, g ? gl : NULL, H ? hl : NULL, NULL);
			break;
		default:
			ll = clv_loglik2(pr->kind, p, pr->c, g ? gl : NULL, H ? hl : NULL);
			break;
	}
	if (g)
		for (int k = 0; k < np; k++)
			g[k] = -gl[k] / pr->scale;
	if (H)
	{
		int			ld = pr->kind == P_GG ? 3 : 4;

		for (int i = 0; i < np; i++)
			for (int j = 0; j < np; j++)
				H[i * np + j] = -hl[i * ld + j] / pr->scale;
	}
	return -ll / pr->scale;
}

static double
maxabs(int n, const double *v)
{
	double		m = 0;

	for (int i = 0; i < n; i++)
		if (!(fabs(v[i]) <= m))
			m = fabs(v[i]);
	return m;
}

/* solves A y = b for a symmetric positive definite A (Cholesky, in place); 0 or -1 */
static int
solve_spd(int n, double *A, double *b)
{
	for (int j = 0; j < n; j++)
	{
		double		d = A[j * n + j];

		for (int k = 0; k < j; k++)
			d -= A[j * n + k] * A[j * n + k];
		if (!(d > 0))
			return -1;
		A[j * n + j] = sqrt(d);
		for (int i = j + 1; i < n; i++)
		{
			double		s = A[i * n + j];

			for (int k = 0; k < j; k++)
				s -= A[i * n + k] * A[j * n + k];
			A[i * n + j] = s / A[j * n + j];
		}
	}
	for (int i = 0; i < n; i++)
	{
		for (int k = 0; k < i; k++)
			b[i] -= A[i * n + k] * b[k];
		b[i] /= A[i * n + i];
	}
	for (int i = n - 1; i >= 0; i--)
	{
		for (int k = i + 1; k < n; k++)
			b[i] -= A[k * n + i] * b[k];
		b[i] /= A[i * n + i];
	}
	return 0;
}

/*
 * BFGS on theta (in/out) until the relative change of f is below 1e-12 on two steps in a
 * row or the gradient is below 1e-9.  Returns 0 converged, -1 not, -3 cancelled.
 */
static int
bfgs(const Problem *pr, double *theta, double *fout, ClvCancelFn cancel, void *carg)
{
	int			n = pr->np;
	double		H[CLV_NPAR * CLV_NPAR],
				g[CLV_NPAR],
				g1[CLV_NPAR],
				d[CLV_NPAR],
				t1[CLV_NPAR],
				s[CLV_NPAR],
				y[CLV_NPAR];
	double		f = objective(pr, theta, g, NULL),
				f1;
	int			small = 0;
	int			status = -1;

	if (!isfinite(f) || !isfinite(maxabs(n, g)))
		return -1;
	memset(H, 0, sizeof(H));
	for (int i = 0; i < n; i++)
		H[i * n + i] = 1.0;
	for (int it = 0; it < 500; it++)
	{
		double		slope = 0,
					step = 1.0,
					dmax;
		int			ok = 0;

		if (cancel && cancel(carg))
			return -3;
		if (maxabs(n, g) <= 1e-9)
		{
			status = 0;
			break;
		}
		for (int i = 0; i < n; i++)
		{
			d[i] = 0;
			for (int j = 0; j < n; j++)
				d[i] -= H[i * n + j] * g[j];
			slope += d[i] * g[i];
		}
		if (slope >= 0)			/* not a descent direction: restart from steepest descent */
		{
			memset(H, 0, sizeof(H));
			slope = 0;
			for (int i = 0; i < n; i++)
			{
				H[i * n + i] = 1.0;
				d[i] = -g[i];
				slope -= g[i] * g[i];
			}
		}
		dmax = maxabs(n, d);
		if (dmax > 3.0)			/* at most a factor e^3 per parameter and step */
			step = 3.0 / dmax;
		for (int ls = 0; ls < 60; ls++)
		{
			for (int i = 0; i < n; i++)
				t1[i] = theta[i] + step * d[i];
			f1 = objective(pr, t1, g1, NULL);
			if (isfinite(f1) && f1 <= f + 1e-4 * step * slope && isfinite(maxabs(n, g1)))
			{
				ok = 1;
				break;
			}
			step *= 0.5;
		}
		if (!ok)
		{
			/* no decrease along d: converged when the gradient is already tiny */
			status = maxabs(n, g) <= 1e-6 ? 0 : -1;
			break;
		}
		{
			double		sy = 0,
						yHy = 0,
						Hy[CLV_NPAR];

			for (int i = 0; i < n; i++)
			{
				s[i] = t1[i] - theta[i];
				y[i] = g1[i] - g[i];
				sy += s[i] * y[i];
			}
			if (sy > 1e-18)
			{
				for (int i = 0; i < n; i++)
				{
					Hy[i] = 0;
					for (int j = 0; j < n; j++)
						Hy[i] += H[i * n + j] * y[j];
					yHy += y[i] * Hy[i];
				}
				for (int i = 0; i < n; i++)
					for (int j = 0; j < n; j++)
						H[i * n + j] += ((sy + yHy) * s[i] * s[j]) / (sy * sy) - (Hy[i] * s[j] + s[i] * Hy[j]) / sy;
			}
		}
		small = fabs(f - f1) <= 1e-12 * (fabs(f1) + 1e-300) ? small + 1 : 0;
		memcpy(theta, t1, sizeof(double) * n);
		memcpy(g, g1, sizeof(double) * n);
		f = f1;
		if (small >= 2)
		{
			status = 0;
			break;
		}
	}
	*fout = f;
	return status;
}

/*
 * Newton steps on the Hessian from theta (in/out), halving a step that does not lower
 * f, until the gradient stops falling.  Once the steps converge quadratically (step k
 * about K |step k-1|^2) and the next step's own error K |step|^2 is below NEWTON_LAST,
 * that step is taken without evaluating its end point: on a million customers each
 * evaluation is the fit's main cost, and the skipped one would only confirm digits
 * beyond 1e-13.  Returns 0 when the gradient ends below 1e-8 or the last step was taken
 * so (*gmax: the gradient at the last point evaluated), -1 otherwise (a Hessian that is
 * not positive definite, no progress), -3 cancelled.
 */
#define NEWTON_LAST 1e-13
static int
newton(const Problem *pr, double *theta, double *fout, double *gmax, ClvCancelFn cancel, void *carg)
{
	int			n = pr->np;
	double		g[CLV_NPAR],
				A[CLV_NPAR * CLV_NPAR],
				d[CLV_NPAR],
				t1[CLV_NPAR],
				g1[CLV_NPAR],
				A1[CLV_NPAR * CLV_NPAR];
	double		f = objective(pr, theta, g, A),
				f1,
				dprev = 0;		/* the last full step's size (0: none yet) */
	int			last = 0;

	if (!isfinite(f))
		return -1;
	for (int it = 0; it < 30 && maxabs(n, g) > 1e-14; it++)
	{
		double		step = 1.0;
		int			ok = 0;

		if (cancel && cancel(carg))
			return -3;
		for (int i = 0; i < n; i++)
			d[i] = -g[i];
		if (solve_spd(n, A, d) != 0)
			break;
		if (dprev > 0)
		{
			double		dn = maxabs(n, d);

			if (dn <= dprev * 1e-2 && dn / (dprev * dprev) * dn * dn <= NEWTON_LAST)
			{
				for (int i = 0; i < n; i++)
					theta[i] += d[i];
				last = 1;
				break;
			}
		}
		if (maxabs(n, d) > 3.0)
			step = 3.0 / maxabs(n, d);
		for (int ls = 0; ls < 30; ls++)
		{
			for (int i = 0; i < n; i++)
				t1[i] = theta[i] + step * d[i];
			/*
			 * the Hessian costs little more than f: evaluate all at once.  Near the optimum
			 * f no longer resolves the step (its rounding, and Pareto/NBD's quadrature, move
			 * it by some 1e-15): a smaller gradient then counts.
			 */
			f1 = objective(pr, t1, g1, A1);
			if (isfinite(f1) && isfinite(maxabs(n, g1))
				&& (f1 < f || (maxabs(n, g1) < maxabs(n, g) && f1 <= f + 1e-13 * fabs(f))))
			{
				ok = 1;
				break;
			}
			step *= 0.5;
		}
		if (!ok)
			break;
		dprev = step == 1.0 ? maxabs(n, d) : 0;
		memcpy(theta, t1, sizeof(double) * n);
		memcpy(g, g1, sizeof(double) * n);
		memcpy(A, A1, sizeof(double) * n * n);
		f = f1;
	}
	*fout = f;
	*gmax = maxabs(n, g);
	return *gmax <= 1e-8 || last ? 0 : -1;
}

/*
 * BFGS from each start on the sample; the best (lowest f) in *best.  Later starts are
 * skipped once two have reached the same optimum.  Returns 0, -1 none converged, -3.
 */
static int
run_starts(const Problem *pr, int nstarts, double starts[][CLV_NPAR], double *best, double *fbest,
		   int *nrun, ClvCancelFn cancel, void *carg)
{
	*fbest = INFINITY;
	*nrun = 0;
	for (int k = 0; k < nstarts; k++)
	{
		double		th[CLV_NPAR];
		double		f;
		int			rc;

		memcpy(th, starts[k], sizeof(th));
		rc = bfgs(pr, th, &f, cancel, carg);
		(*nrun)++;
		if (rc == -3)
			return -3;
		if (rc != 0)
			continue;
		if (isfinite(*fbest) && fabs(f - *fbest) <= 1e-10 * fabs(*fbest))
		{
			double		dmax = 0;

			for (int i = 0; i < pr->np; i++)
				if (fabs(th[i] - best[i]) > dmax)
					dmax = fabs(th[i] - best[i]);
			if (dmax <= 1e-3)
				break;			/* a second start agrees: the others would too */
		}
		if (f < *fbest)
		{
			*fbest = f;
			memcpy(best, th, sizeof(double) * CLV_NPAR);
		}
	}
	return isfinite(*fbest) ? 0 : -1;
}

/*
 * Newton on the full problem from theta; when it does not finish, BFGS (its own
 * convergence test decides; unless bfgs_done: theta is already BFGS's optimum on the full
 * problem) and then Newton again for what digits it can add.
 */
static int
polish(const Problem *full, double *theta, double *f, double *gmax, int bfgs_done, ClvCancelFn cancel, void *carg)
{
	double		th[CLV_NPAR];
	int			rc;

	if (bfgs_done)
	{
		rc = newton(full, theta, f, gmax, cancel, carg);	/* moves theta only where f falls */
		return rc == -3 ? -3 : 0;
	}
	memcpy(th, theta, sizeof(th));
	rc = newton(full, th, f, gmax, cancel, carg);
	if (rc == 0 || rc == -3)
	{
		memcpy(theta, th, sizeof(th));
		return rc;
	}
	rc = bfgs(full, theta, f, cancel, carg);
	if (rc != 0)
		return rc;
	rc = newton(full, theta, f, gmax, cancel, carg);	/* moves theta only where f falls */
	return rc == -3 ? -3 : 0;
}

/* ---------- the customers: distinct rows, a sample ---------- */

/* distinct (x, t_x, T) rows with weights, sorted by (x, t_x, T) */
typedef struct Compressed
{
	ClvCustomers c;
	int32_t    *buf;
	double	   *w;
} Compressed;

/* a row for the sort when (x, t_x, T) do not pack into 64 bits */
typedef struct WideRow
{
	int32_t		x,
				tx,
				T;
	double		w;
} WideRow;

static int
cmp_wide(const void *a, const void *b)
{
	const WideRow *u = a,
			   *v = b;

	if (u->x != v->x)
		return u->x < v->x ? -1 : 1;
	if (u->tx != v->tx)
		return u->tx < v->tx ? -1 : 1;
	return (u->T > v->T) - (u->T < v->T);
}

static int
bit_length(uint32_t v)
{
	int			b = 0;

	while (v)
	{
		b++;
		v >>= 1;
	}
	return b;
}

#define RADIX_BITS 11

/*
 * every step-th customer of src (all when step is 1, at most limit), as distinct rows
 * sorted by (x, t_x, T) with summed weights; 0 or -1 out of memory.  (x, t_x, T) packed
 * into one 64-bit key and sorted by LSD radix sort (11 bits a pass: sequential passes
 * where a hash table would miss the cache on every row); keys too wide to pack (days
 * beyond 2^21, a date range no data has) go through qsort in the same order.
 */
static int
compress(const ClvCustomers *src, int64_t step, int64_t limit, Compressed *out)
{
	int64_t		n = (src->n + step - 1) / step;
	int64_t		m = 0;
	uint32_t	xmax = 0,
				tmax = 0;
	int			sx,
				st,
				bits;
	int32_t    *bx,
			   *btx,
			   *bT;

	if (n > limit)
		n = limit;
	for (int64_t k = 0; k < n; k++)
	{
		int64_t		i = k * step;

		if ((uint32_t) src->x[i] > xmax)
			xmax = (uint32_t) src->x[i];
		if ((uint32_t) src->T[i] > tmax)
			tmax = (uint32_t) src->T[i];	/* t_x <= T */
	}
	sx = bit_length(xmax);
	st = bit_length(tmax);
	bits = sx + 2 * st;
	out->buf = malloc(sizeof(int32_t) * 3 * (size_t) (n > 0 ? n : 1));
	out->w = malloc(sizeof(double) * (size_t) (n > 0 ? n : 1));
	if (out->buf == NULL || out->w == NULL)
		goto oom;
	bx = out->buf;
	btx = bx + n;
	bT = btx + n;
	if (bits <= 64)
	{
		uint64_t   *key = malloc(sizeof(uint64_t) * 2 * (size_t) (n > 0 ? n : 1));
		double	   *wt = src->w ? malloc(sizeof(double) * 2 * (size_t) n) : NULL;
		uint64_t   *k0 = key,
				   *k1 = key + n;
		double	   *w0 = wt,
				   *w1 = wt ? wt + n : NULL;
		uint64_t	tmask = (st < 64 ? ((uint64_t) 1 << st) : 0) - 1;

		if (key == NULL || (src->w && wt == NULL))
		{
			free(key);
			free(wt);
			goto oom;
		}
		for (int64_t k = 0; k < n; k++)
		{
			int64_t		i = k * step;

			k0[k] = ((uint64_t) (uint32_t) src->x[i] << (2 * st)) | ((uint64_t) (uint32_t) src->tx[i] << st)
				| (uint32_t) src->T[i];
			if (wt)
				w0[k] = src->w[i];
		}
		for (int sh = 0; sh < bits; sh += RADIX_BITS)
		{
			int64_t		cnt[(1 << RADIX_BITS) + 1];
			uint64_t   *kt;
			double	   *wtmp;

			memset(cnt, 0, sizeof(cnt));
			for (int64_t k = 0; k < n; k++)
				cnt[((k0[k] >> sh) & ((1 << RADIX_BITS) - 1)) + 1]++;
			for (int d = 0; d < (1 << RADIX_BITS); d++)
				cnt[d + 1] += cnt[d];
			for (int64_t k = 0; k < n; k++)
			{
				int64_t		pos = cnt[(k0[k] >> sh) & ((1 << RADIX_BITS) - 1)]++;

				k1[pos] = k0[k];
				if (wt)
					w1[pos] = w0[k];
			}
			kt = k0, k0 = k1, k1 = kt;
			wtmp = w0, w0 = w1, w1 = wtmp;
		}
		for (int64_t k = 0; k < n; k++)
		{
			double		w = wt ? w0[k] : 1.0;

			if (m > 0 && k0[k] == k0[k - 1])
			{
				out->w[m - 1] += w;
				continue;
			}
			bx[m] = (int32_t) (k0[k] >> (2 * st));
			btx[m] = (int32_t) ((k0[k] >> st) & tmask);
			bT[m] = (int32_t) (k0[k] & tmask);
			out->w[m++] = w;
		}
		free(key);
		free(wt);
	}
	else
	{
		WideRow    *rows = malloc(sizeof(WideRow) * (size_t) n);

		if (rows == NULL)
			goto oom;
		for (int64_t k = 0; k < n; k++)
		{
			int64_t		i = k * step;

			rows[k] = (WideRow) {src->x[i], src->tx[i], src->T[i], src->w ? src->w[i] : 1.0};
		}
		qsort(rows, n, sizeof(WideRow), cmp_wide);
		for (int64_t k = 0; k < n; k++)
		{
			if (m > 0 && cmp_wide(&rows[k], &rows[k - 1]) == 0)
			{
				out->w[m - 1] += rows[k].w;
				continue;
			}
			bx[m] = rows[k].x;
			btx[m] = rows[k].tx;
			bT[m] = rows[k].T;
			out->w[m++] = rows[k].w;
		}
		free(rows);
	}
	out->c = *src;
	out->c.n = m;
	out->c.x = bx;
	out->c.tx = btx;
	out->c.T = bT;
	out->c.w = out->w;
	return 0;
oom:
	free(out->buf);
	free(out->w);
	out->buf = NULL;
	out->w = NULL;
	return -1;
}

static void
free_compressed(Compressed *c)
{
	free(c->buf);
	free(c->w);
	c->buf = NULL;
	c->w = NULL;
}

/* ---------- the purchase models ---------- */

/* starts, sample fit and full polish of one problem; theta (out), f (out) */
static int
fit_problem(Problem *sample, Problem *full, int nst, double starts[][CLV_NPAR], double *theta, double *f,
			double *gmax, ClvFitInfo *info, ClvCancelFn cancel, void *carg)
{
	int			nrun;
	int			rc = run_starts(sample, nst, starts, theta, f, &nrun, cancel, carg);

	if (info)
		info->starts += nrun;
	if (rc != 0)
		return rc;
	return polish(full, theta, f, gmax, sample->n == full->n && sample->c == full->c, cancel, carg);
}

/*
 * Pareto/NBD.  Its limit s, beta -> infinity at s / beta = mu (everyone's dropout rate is
 * mu; theta = log r, log alpha, log mu) is fitted first, on the sample.  At its maximum the
 * score for a spread of mu decides: adding a little spread (mu ~ Gamma(s, s / mu), Var mu =
 * mu^2 / s) changes each customer's likelihood by mu^2 / (2 s) L''(mu), so the derivative
 * of the log-likelihood in 1 / s at s = infinity is D = 1/2 sum_i (l_i'' + l_i'^2) in
 * log mu (sum_i l_i' = 0 at the maximum).  D <= 0: the likelihood falls as soon as dropout
 * rates differ and rises towards the limit from any finite s (the ridge): the limit is
 * the answer.  D > 0: the four-parameter model is fitted from the usual starts and one
 * next to the limit, and kept when it is above the limit's maximum.
 */
static int
pareto_fit(const Problem *sample, const Problem *full, int bfgs_done, double tbar, double *par, double *f,
		   double *gmax, ClvFitInfo *info, ClvCancelFn cancel, void *carg)
{
	Problem		lsample = *sample,
				lfull = *full;
	double		ls[2][CLV_NPAR] = {{0, log(tbar), log(0.1 / tbar), 0},
	{log(0.5), log(0.5 * tbar), log(1.0 / tbar), 0}};
	double		lth[CLV_NPAR],
				fl = INFINITY;
	int			nrun,
				rc,
				rcl,
				ridge = 0;

	lsample.kind = lfull.kind = P_PN_LIMIT;
	lsample.np = lfull.np = 3;
	rcl = run_starts(&lsample, 2, ls, lth, &fl, &nrun, cancel, carg);
	info->starts += nrun;
	if (rcl == -3)
		return -3;
	if (rcl == 0)
	{
		double		p[CLV_NPAR] = {exp(lth[0]), exp(lth[1]), exp(lth[2]), 0},
					g[4],
					H[16],
					op;

		if (isnan(clv_pnbd_loglik(p, 1, lsample.c, g, H, &op)))
			return -1;
		info->dispersion = 0.5 * (H[2 * 4 + 2] + op) / lsample.scale;
		ridge = !(info->dispersion > 0);
	}
	if (!ridge)
	{
		/* r, alpha, s, beta; alpha and beta in time units; first the limit's with s = 10 */
		double		s0[NSTARTS + 1][CLV_NPAR] = {
			{1, 1, 1, 1},
			{0.5, 0.5 * tbar, 0.5, tbar},
			{2, tbar, 1.5, 0.3 * tbar},
			{0.2, 0.1 * tbar, 0.3, 2 * tbar},
			{1, 1, 1, 1},
		};
		double		th[CLV_NPAR],
					f4;
		int			rc4;

		if (rcl == 0)
		{
			double		lim[CLV_NPAR] = {exp(lth[0]), exp(lth[1]), 10, 10 / exp(lth[2])};

			memcpy(s0[NSTARTS], s0[0], sizeof(s0[0]));
			memcpy(s0[0], lim, sizeof(lim));
		}
		for (int k = 0; k <= NSTARTS; k++)
			for (int i = 0; i < 4; i++)
				s0[k][i] = log(s0[k][i]);
		rc4 = run_starts(sample, rcl == 0 ? NSTARTS + 1 : NSTARTS, s0, th, &f4, &nrun, cancel, carg);
		info->starts += nrun;
		if (rc4 == -3)
			return -3;
		if (rc4 == 0 && (rcl != 0 || f4 < fl))
		{
			rc = polish(full, th, f, gmax, bfgs_done, cancel, carg);
			if (rc == 0)
				for (int i = 0; i < 4; i++)
					par[i] = exp(th[i]);
			return rc;
		}
		if (rcl != 0)
			return -1;
	}
	rc = polish(&lfull, lth, f, gmax, bfgs_done, cancel, carg);
	if (rc == 0)
	{
		par[0] = exp(lth[0]);
		par[1] = exp(lth[1]);
		par[2] = CLV_S_REPORT;
		par[3] = CLV_S_REPORT / exp(lth[2]);
		info->limit = 1;
	}
	return rc;
}

int
clv_fit(int model, const ClvCustomers *c, double *par, double *loglik, ClvFitInfo *infop,
		ClvCancelFn cancel, void *cancel_arg, char *msg, size_t msglen)
{
	Compressed	all,
				smp;
	ClvFitInfo	info;
	Problem		full,
				sample;
	double		tbar = 0,
				wsum = 0,
				th[CLV_NPAR] = {0},
				f = NAN,
				gmax = NAN;
	int			rc;
	int64_t		step;

	memset(&all, 0, sizeof(all));
	memset(&smp, 0, sizeof(smp));
	memset(&info, 0, sizeof(info));
	info.dispersion = NAN;
	if (c->n < 1)
	{
		snprintf(msg, msglen, "no customers");
		return -1;
	}
	for (int64_t i = 0; i < c->n; i++)
	{
		tbar += c->T[i] / c->unit;
		wsum += c->w ? c->w[i] : 1.0;
	}
	tbar = tbar / c->n;
	if (tbar < 1e-3)
		tbar = 1e-3;
	/* the starts run on every step-th customer: a deterministic sample */
	step = c->n > 2 * SAMPLE_N ? c->n / SAMPLE_N : 1;
	if (compress(c, 1, c->n, &all) != 0 || (step > 1 && compress(c, step, SAMPLE_N, &smp) != 0))
	{
		free_compressed(&all);
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	info.rows = all.c.n;
	full = (Problem) {model, 4, &all.c, 0, NULL, NULL, NULL, c->threads, wsum, &info.evals_full};
	sample = full;
	sample.evals = NULL;
	if (step > 1)
	{
		double		ws = 0;

		for (int64_t i = 0; i < smp.c.n; i++)
			ws += smp.w[i];
		sample.c = &smp.c;
		sample.scale = ws;
	}
	if (model == CLV_PARETO)
	{
		rc = pareto_fit(&sample, &full, step == 1, tbar, par, &f, &gmax, &info, cancel, cancel_arg);
		goto done;
	}
	{
		/* r, alpha (in time units), a, b */
		double		s0[NSTARTS][CLV_NPAR] = {
			{1, 1, 1, 1},
			{0.5, 0.5 * tbar, 0.5, 2},
			{2, tbar, 1.5, 5},
			{0.2, 0.1 * tbar, 0.3, 1},
		};
		double		f4 = INFINITY;
		int			rc4;

		for (int k = 0; k < NSTARTS; k++)
			for (int i = 0; i < 4; i++)
				s0[k][i] = log(s0[k][i]);
		rc4 = run_starts(&sample, NSTARTS, s0, th, &f4, &info.starts, cancel, cancel_arg);
		rc = rc4;
		if (rc4 != -3 && model == CLV_BGNBD && (rc4 != 0 || exp(th[2]) + exp(th[3]) > RIDGE_AB))
		{
			/*
			 * a + b runs away: compare with the limit a + b -> infinity (theta: log r,
			 * log alpha, logit p), on the sample as the starts were
			 */
			Problem		lsample = sample,
						lfull = full;
			double		ls[2][CLV_NPAR] = {{0, log(tbar), log(0.1 / 0.9), 0}};
			double		lth[CLV_NPAR],
						fl;
			int			nrun,
						rcl;

			lsample.kind = lfull.kind = P_BG_LIMIT;
			lsample.np = lfull.np = 3;
			if (rc4 == 0)
			{
				ls[1][0] = th[0];
				ls[1][1] = th[1];
				ls[1][2] = th[2] - th[3];	/* logit of a / (a + b) */
			}
			else
				memcpy(ls[1], ls[0], sizeof(ls[0]));
			rcl = run_starts(&lsample, 2, ls, lth, &fl, &nrun, cancel, cancel_arg);
			info.starts += nrun;
			if (rcl == -3)
				rc = -3;
			else if (rcl == 0 && (rc4 != 0 || fl <= f4 + 1e-12 * fabs(f4)))
			{
				rc = polish(&lfull, lth, &f, &gmax, step == 1, cancel, cancel_arg);
				if (rc == 0)
				{
					par[0] = exp(lth[0]);
					par[1] = exp(lth[1]);
					par[2] = CLV_AB_REPORT / (1.0 + exp(-lth[2]));
					par[3] = CLV_AB_REPORT / (1.0 + exp(lth[2]));
					info.limit = 1;
				}
				goto done;
			}
		}
		if (rc == 0)
			rc = polish(&full, th, &f, &gmax, step == 1, cancel, cancel_arg);
		if (rc == 0)
			for (int i = 0; i < 4; i++)
				par[i] = exp(th[i]);
	}
done:
	free_compressed(&all);
	free_compressed(&smp);
	info.grad_max = gmax;
	if (infop)
		*infop = info;
	if (rc == -1)
		snprintf(msg, msglen, info.evals_full > 0 ? "the optimiser did not converge on all customers"
				 : "no start reached a maximum of the likelihood at finite parameters");
	if (rc == 0)
		*loglik = -f * wsum;
	return rc;
}

/* ---------- Gamma-Gamma ---------- */

int
clv_gg_fit(int64_t n, const int32_t *x, const double *m, int threads, double *par, double *loglik,
		   ClvCancelFn cancel, void *cancel_arg, char *msg, size_t msglen)
{
	Problem		pr = {P_GG, 3, NULL, n, x, m, NULL, threads, (double) n, NULL};
	Problem		sample = pr;
	int32_t    *sx = NULL;
	double	   *sm = NULL,
			   *lm;
	double		mbar = 0,
				f,
				gmax,
				th[CLV_NPAR];
	int			rc;

	if (n < 1)
	{
		snprintf(msg, msglen, "no repeat customer with a positive spend");
		return -1;
	}
	lm = malloc(sizeof(double) * (size_t) n);
	if (lm == NULL)
	{
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	for (int64_t i = 0; i < n; i++)
	{
		mbar += m[i];
		lm[i] = log(m[i]);
	}
	mbar /= n;
	pr.lm = lm;
	sample = pr;
	if (n > 2 * SAMPLE_N)
	{
		/* starts compared on every k-th customer, as for the purchase model */
		int64_t		k = n / SAMPLE_N,
					j = 0;

		sx = malloc(sizeof(int32_t) * SAMPLE_N);
		sm = malloc(sizeof(double) * SAMPLE_N);
		if (sx == NULL || sm == NULL)
		{
			free(sx);
			free(sm);
			free(lm);
			snprintf(msg, msglen, "out of memory");
			return -1;
		}
		for (int64_t i = 0; i < n && j < SAMPLE_N; i += k, j++)
		{
			sx[j] = x[i];
			sm[j] = m[i];
		}
		sample.n = j;
		sample.x = sx;
		sample.m = sm;
		sample.scale = (double) j;
		sample.lm = NULL;
	}
	{
		double		s0[NSTARTS][CLV_NPAR] = {
			{1, 1, 1, 1}, {5, 3, mbar, 1}, {1, 2, mbar, 1}, {10, 10, 10 * mbar, 1}
		};

		for (int k = 0; k < NSTARTS; k++)
			for (int i = 0; i < 3; i++)
				s0[k][i] = log(s0[k][i]);
		rc = fit_problem(&sample, &pr, NSTARTS, s0, th, &f, &gmax, NULL, cancel, cancel_arg);
	}
	free(sx);
	free(sm);
	free(lm);
	if (rc == -1)
		snprintf(msg, msglen, "the optimiser did not converge");
	if (rc == 0)
	{
		for (int i = 0; i < 3; i++)
			par[i] = exp(th[i]);
		*loglik = -f * n;
	}
	return rc;
}

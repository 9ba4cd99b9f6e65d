/*
 * clv.c -- customer lifetime value numerics (see clv.h): the BG/NBD, Pareto/NBD and
 * Gamma-Gamma log-likelihoods in log space (lgamma), BG/NBD's gradient in closed form
 * (digamma), a BFGS + Newton maximiser over log-parameters, P(alive), conditional
 * expectations and spend.  Pure C; work memory is malloc'd and freed on every path.
 *
 * BG/NBD's likelihood depends on a customer through x (tables of the gamma-function
 * terms per x, rebuilt per evaluation) and through log(alpha + d / unit) for d = t_x and
 * T in whole days (tables per day), so one evaluation costs an exp and a log1p per
 * repeat customer.  Pareto/NBD evaluates 2F1 (core/hyp2f1.c) per customer and takes its
 * gradient by central differences.
 */
#include "clv.h"
#include "hyp2f1.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NPAR_MAX 4
#define SAMPLE_N 20000			/* starts are compared on at most this many customers */

double
clv_digamma(double x)
{
	double		r = 0.0;
	double		f;

	if (x <= 0 && x == floor(x))
		return NAN;
	if (x < 0)					/* reflection */
		return clv_digamma(1.0 - x) - M_PI / tan(M_PI * x);
	while (x < 10.0)
	{
		r -= 1.0 / x;
		x += 1.0;
	}
	f = 1.0 / (x * x);
	return r + log(x) - 0.5 / x
		- f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))));
}

static double
lbeta(double a, double b)
{
	return lgamma(a) + lgamma(b) - lgamma(a + b);
}

/* log(exp(u) + exp(v)) */
static double
logaddexp(double u, double v)
{
	if (u < v)
	{
		double		t = u;

		u = v;
		v = t;
	}
	if (v == -INFINITY)
		return u;
	return u + log1p(exp(v - u));
}


/* ---------- rows on threads ---------- */

#define MAX_THREADS 64
#define ROWS_PER_THREAD 100000	/* below this a thread costs more than it saves */

typedef void (*RowsFn) (const void *arg, int64_t i0, int64_t i1, double *out);

typedef struct RowsJob
{
	RowsFn		fn;
	const void *arg;
	int64_t		i0,
				i1;
	double		out[8];
} RowsJob;

static void *
rows_thread(void *p)
{
	RowsJob    *j = p;

	j->fn(j->arg, j->i0, j->i1, j->out);
	return NULL;
}

/*
 * out[0..nout) = the sums fn writes over rows [0, n), split into at most threads chunks
 * (fixed boundaries, partial sums added in chunk order: the result does not depend on timing).
 */
static void
sum_rows(int threads, int64_t n, RowsFn fn, const void *arg, double *out, int nout)
{
	RowsJob		jobs[MAX_THREADS];
	pthread_t	tid[MAX_THREADS];
	int			started[MAX_THREADS] = {0};
	int			t = threads;

	if (t > MAX_THREADS)
		t = MAX_THREADS;
	if (t > n / ROWS_PER_THREAD)
		t = (int) (n / ROWS_PER_THREAD);
	if (t < 1)
		t = 1;
	for (int k = 0; k < t; k++)
	{
		jobs[k].fn = fn;
		jobs[k].arg = arg;
		jobs[k].i0 = n * k / t;
		jobs[k].i1 = n * (k + 1) / t;
		memset(jobs[k].out, 0, sizeof(jobs[k].out));
	}
	for (int k = 1; k < t; k++)
		started[k] = pthread_create(&tid[k], NULL, rows_thread, &jobs[k]) == 0;
	rows_thread(&jobs[0]);
	for (int k = 1; k < t; k++)
	{
		if (started[k])
			pthread_join(tid[k], NULL);
		else
			rows_thread(&jobs[k]);	/* no thread: this one does the chunk */
	}
	memset(out, 0, sizeof(double) * nout);
	for (int k = 0; k < t; k++)
		for (int q = 0; q < nout; q++)
			out[q] += jobs[k].out[q];
}

/* ---------- Pareto/NBD pieces ---------- */

/*
 * log of 2F1(r+s+x, s+1 | r+x; r+s+x+1; z(t)) / (max(alpha, beta) + t)^(r+s+x): the branch
 * whose argument lies in [0, 1) (Fader & Hardie, "A note on deriving the Pareto/NBD model").
 */
static double
pnbd_log_term(const double *p, double x, double t)
{
	double		r = p[0],
				al = p[1],
				s = p[2],
				be = p[3];
	double		a = r + s + x;
	double		f;
	int			rc;

	if (al >= be)
		rc = hyp2f1(a, s + 1.0, a + 1.0, (al - be) / (al + t), &f);
	else
		rc = hyp2f1(a, r + x, a + 1.0, (be - al) / (be + t), &f);
	if (rc != 0 || !(f > 0))
		return NAN;
	return log(f) - a * log((al >= be ? al : be) + t);
}

/* log of the two terms of the Pareto/NBD likelihood bracket: alive throughout, and died in (t_x, T] */
static void
pnbd_terms(const double *p, double x, double tx, double T, double *l_alive, double *l_dead)
{
	double		r = p[0],
				al = p[1],
				s = p[2],
				be = p[3];

	*l_alive = -(r + x) * log(al + T) - s * log(be + T);
	if (tx >= T)
		*l_dead = -INFINITY;
	else
	{
		double		l1 = pnbd_log_term(p, x, tx);
		double		l2 = pnbd_log_term(p, x, T);

		/* A0 = e^l1 - e^l2 without cancellation: e^l1 (1 - e^(l2 - l1)) */
		if (l2 >= l1)
			*l_dead = -INFINITY;
		else
			*l_dead = log(s / (r + s + x)) + l1 + log(-expm1(l2 - l1));
	}
}

double
clv_loglik_one(int model, const double *p, double x, double tx, double T)
{
	double		r = p[0],
				al = p[1];

	if (model == CLV_BGNBD)
	{
		double		a = p[2],
					b = p[3];
		double		l1 = lgamma(r + x) - lgamma(r) + r * log(al) + lbeta(a, b + x) - lbeta(a, b)
			- (r + x) * log(al + T);

		if (x > 0)
			l1 = logaddexp(l1, lgamma(r + x) - lgamma(r) + r * log(al) + lbeta(a + 1, b + x - 1) - lbeta(a, b)
						   - (r + x) * log(al + tx));
		return l1;
	}
	else
	{
		double		la,
					ld;

		pnbd_terms(p, x, tx, T, &la, &ld);
		return lgamma(r + x) - lgamma(r) + r * log(al) + p[2] * log(p[3]) + logaddexp(la, ld);
	}
}

/* ---------- total log-likelihoods ---------- */

static int32_t
max_i32(int64_t n, const int32_t *v)
{
	int32_t		m = 0;

	for (int64_t i = 0; i < n; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}

/* the per-evaluation tables of BG/NBD and the rows' sums over them */
typedef struct BgTables
{
	const ClvCustomers *c;
	double		r,
				al,
				a,
				b;
	const double *C,
			   *dCr,
			   *dCa,
			   *dCb,
			   *lq,
			   *LD,
			   *ID;
	int			grad;
} BgTables;

static void
bg_rows(const void *arg, int64_t i0, int64_t i1, double *out)
{
	const BgTables *tb = arg;
	const ClvCustomers *c = tb->c;
	double		r = tb->r,
				al = tb->al,
				a = tb->a,
				b = tb->b;
	const double *C = tb->C,
			   *dCr = tb->dCr,
			   *dCa = tb->dCa,
			   *dCb = tb->dCb,
			   *lq = tb->lq,
			   *LD = tb->LD,
			   *ID = tb->ID;
	double		ll = 0,
				gr = 0,
				ga_ = 0,
				gaa = 0,
				gb = 0;

	for (int64_t i = i0; i < i1; i++)
	{
		int32_t		x = c->x[i];
		double		lt = LD[c->T[i]];
		double		rx = r + x;
		double		li = C[x] - rx * lt;

		if (x > 0)
		{
			double		ltx = LD[c->tx[i]];
			double		u = lq[x] + rx * (lt - ltx);
			double		e = exp(-fabs(u));
			double		pi = u > 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);

			li += (u > 0 ? u : 0) + log1p(e);
			if (tb->grad)
			{
				gr += dCr[x] - lt + pi * (lt - ltx);
				ga_ += r / al - rx * ID[c->T[i]] + pi * rx * (ID[c->T[i]] - ID[c->tx[i]]);
				gaa += dCa[x] + pi / a;
				gb += dCb[x] - pi / (b + x - 1);
			}
		}
		else if (tb->grad)
		{
			gr += dCr[0] - lt;
			ga_ += r / al - r * ID[c->T[i]];
			gaa += dCa[0];
			gb += dCb[0];
		}
		ll += li;
	}
	out[0] = ll;
	out[1] = gr;
	out[2] = ga_;
	out[3] = gaa;
	out[4] = gb;
}

/* BG/NBD with tables per x and per day; gradient w.r.t. the log-parameters */
static double
bgnbd_loglik(const double *p, const ClvCustomers *c, double *grad)
{
	double		r = p[0],
				al = p[1],
				a = p[2],
				b = p[3];
	int32_t		xmax = max_i32(c->n, c->x);
	int32_t		dmax = max_i32(c->n, c->T);
	double	   *C = malloc(sizeof(double) * 5 * ((size_t) xmax + 1));
	double	   *dCr = C + xmax + 1,
			   *dCa = dCr + xmax + 1,
			   *dCb = dCa + xmax + 1,
			   *lq = dCb + xmax + 1;
	double	   *LD = malloc(sizeof(double) * 2 * ((size_t) dmax + 1));
	double	   *ID = LD + dmax + 1;
	double		ll = 0,
				gr = 0,
				ga_ = 0,
				gaa = 0,
				gb = 0;
	double		base = -lgamma(r) + r * log(al) - lbeta(a, b);
	double		psr = clv_digamma(r),
				psab = clv_digamma(a + b),
				psb = clv_digamma(b);

	if (C == NULL || LD == NULL)
	{
		free(C);
		free(LD);
		return NAN;
	}
	for (int32_t x = 0; x <= xmax; x++)
	{
		C[x] = base + lgamma(r + x) + lbeta(a, b + x);
		if (grad)
		{
			double		psabx = clv_digamma(a + b + x);

			dCr[x] = clv_digamma(r + x) - psr + log(al);
			dCa[x] = psab - psabx;
			dCb[x] = clv_digamma(b + x) - psabx - psb + psab;
		}
		lq[x] = x > 0 ? log(a / (b + x - 1)) : 0;
	}
	for (int32_t d = 0; d <= dmax; d++)
	{
		LD[d] = log(al + d / c->unit);
		ID[d] = 1.0 / (al + d / c->unit);
	}
	{
		BgTables	tb = {c, r, al, a, b, C, dCr, dCa, dCb, lq, LD, ID, grad != NULL};
		double		o[5];

		sum_rows(c->threads, c->n, bg_rows, &tb, o, 5);
		ll = o[0];
		gr = o[1];
		ga_ = o[2];
		gaa = o[3];
		gb = o[4];
	}
	free(C);
	free(LD);
	if (grad)
	{
		grad[0] = gr * r;
		grad[1] = ga_ * al;
		grad[2] = gaa * a;
		grad[3] = gb * b;
	}
	return isfinite(ll) ? ll : NAN;
}

static double
pnbd_loglik_plain(const double *p, const ClvCustomers *c)
{
	double		ll = 0;

	for (int64_t i = 0; i < c->n; i++)
		ll += clv_loglik_one(CLV_PARETO, p, c->x[i], c->tx[i] / c->unit, c->T[i] / c->unit);
	return isfinite(ll) ? ll : NAN;
}

#define FD_STEP 1e-5

double
clv_loglik(int model, const double *p, const ClvCustomers *c, double *grad)
{
	if (model == CLV_BGNBD)
		return bgnbd_loglik(p, c, grad);
	if (grad)
	{
		for (int k = 0; k < 4; k++)
		{
			double		q[4];
			double		up,
						dn;

			memcpy(q, p, sizeof(q));
			q[k] = p[k] * exp(FD_STEP);
			up = pnbd_loglik_plain(q, c);
			q[k] = p[k] * exp(-FD_STEP);
			dn = pnbd_loglik_plain(q, c);
			grad[k] = (up - dn) / (2 * FD_STEP);
		}
	}
	return pnbd_loglik_plain(p, c);
}

typedef struct GgTables
{
	const int32_t *x;
	const double *m;
	double		p,
				q,
				g;
	const double *A,
			   *Ap,
			   *Aq,
			   *lx;
	int			grad;
} GgTables;

static void
gg_rows(const void *arg, int64_t i0, int64_t i1, double *out)
{
	const GgTables *tb = arg;
	double		p = tb->p,
				q = tb->q,
				g = tb->g;
	double		ll = 0,
				gp = 0,
				gq = 0,
				gg = 0;

	for (int64_t i = i0; i < i1; i++)
	{
		int32_t		k = tb->x[i];
		double		px = p * k;
		double		lm = log(tb->m[i]),
					gmx = g + tb->m[i] * k,
					lxm = log(gmx);

		ll += tb->A[k] + (px - 1) * lm + px * tb->lx[k] - (px + q) * lxm;
		if (tb->grad)
		{
			gp += tb->Ap[k] + k * (lm - lxm);
			gq += tb->Aq[k] - lxm;
			gg += q / g - (px + q) / gmx;
		}
	}
	out[0] = ll;
	out[1] = gp;
	out[2] = gq;
	out[3] = gg;
}

static double
gg_loglik_threads(const double *par, int64_t n, const int32_t *x, const double *m, double *grad, int threads)
{
	double		p = par[0],
				q = par[1],
				g = par[2];
	double		lgq = lgamma(q),
				psq = clv_digamma(q),
				lg = log(g);
	int32_t		xmax = max_i32(n, x);
	/* the gamma-function terms depend on a customer only through x: one table per evaluation */
	double	   *A = malloc(sizeof(double) * 4 * ((size_t) xmax + 1));
	double	   *Ap = A + xmax + 1,
			   *Aq = Ap + xmax + 1,
			   *lx = Aq + xmax + 1;
	double		o[4];

	if (A == NULL)
		return NAN;
	for (int32_t k = 1; k <= xmax; k++)
	{
		double		px = p * k;

		A[k] = lgamma(px + q) - lgamma(px) - lgq + q * lg;
		lx[k] = log((double) k);
		if (grad)
		{
			double		pspq = clv_digamma(px + q);

			Ap[k] = k * (pspq - clv_digamma(px) + lx[k]);
			Aq[k] = pspq - psq + lg;
		}
	}
	{
		GgTables	tb = {x, m, p, q, g, A, Ap, Aq, lx, grad != NULL};

		sum_rows(threads, n, gg_rows, &tb, o, 4);
	}
	free(A);
	if (grad)
	{
		grad[0] = o[1] * p;
		grad[1] = o[2] * q;
		grad[2] = o[3] * g;
	}
	return isfinite(o[0]) ? o[0] : NAN;
}

double
clv_gg_loglik(const double *par, int64_t n, const int32_t *x, const double *m, double *grad)
{
	return gg_loglik_threads(par, n, x, m, grad, 1);
}

/* ---------- maximiser ---------- */

/* f(theta) = -loglik / scale at parameters exp(theta); g its gradient in theta */
typedef double (*ObjFn) (const double *theta, double *g, void *ex);

typedef struct Problem
{
	int			model;			/* CLV_BGNBD, CLV_PARETO, or -1 for Gamma-Gamma */
	const ClvCustomers *c;
	int64_t		n;				/* Gamma-Gamma data */
	const int32_t *x;
	const double *m;
	double		scale;
	int			threads;		/* Gamma-Gamma's sums */
} Problem;

static double
objective(const double *theta, double *g, void *ex)
{
	Problem    *pr = ex;
	double		p[NPAR_MAX];
	double		gl[NPAR_MAX];
	int			np = pr->model < 0 ? 3 : 4;
	double		ll;

	for (int k = 0; k < np; k++)
	{
		if (fabs(theta[k]) > 40)	/* parameters beyond e^40 or below e^-40: no maximum there */
			return NAN;
		p[k] = exp(theta[k]);
	}
	if (pr->model < 0)
		ll = gg_loglik_threads(p, pr->n, pr->x, pr->m, g ? gl : NULL, pr->threads);
	else
		ll = clv_loglik(pr->model, p, pr->c, g ? gl : NULL);
	if (g)
		for (int k = 0; k < np; k++)
			g[k] = -gl[k] / pr->scale;
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

/* solves the n x n system A y = b (Gaussian elimination, partial pivoting); 0 or -1 */
static int
solve(int n, double *A, double *b)
{
	for (int k = 0; k < n; k++)
	{
		int			piv = k;

		for (int i = k + 1; i < n; i++)
			if (fabs(A[i * n + k]) > fabs(A[piv * n + k]))
				piv = i;
		if (A[piv * n + k] == 0)
			return -1;
		for (int j = 0; j < n; j++)
		{
			double		t = A[k * n + j];

			A[k * n + j] = A[piv * n + j];
			A[piv * n + j] = t;
		}
		{
			double		t = b[k];

			b[k] = b[piv];
			b[piv] = t;
		}
		for (int i = k + 1; i < n; i++)
		{
			double		f = A[i * n + k] / A[k * n + k];

			for (int j = k; j < n; j++)
				A[i * n + j] -= f * A[k * n + j];
			b[i] -= f * b[k];
		}
	}
	for (int k = n - 1; k >= 0; k--)
	{
		for (int j = k + 1; j < n; j++)
			b[k] -= A[k * n + j] * b[j];
		b[k] /= A[k * n + k];
	}
	return 0;
}

/*
 * BFGS on theta (in/out) until the relative change of f is below ftol on two steps in a
 * row or the gradient is below gtol; then, when polish, Newton steps on a Hessian from
 * central differences of the gradient.  Returns 0 converged, -1 not, -3 cancelled.
 */
static int
minimise(int n, double *theta, double *fout, ObjFn fn, void *ex, int maxit, double ftol, double gtol,
		 int polish, ClvCancelFn cancel, void *carg)
{
	double		H[NPAR_MAX * NPAR_MAX],
				g[NPAR_MAX],
				g1[NPAR_MAX],
				d[NPAR_MAX],
				t1[NPAR_MAX],
				s[NPAR_MAX],
				y[NPAR_MAX];
	double		f = fn(theta, g, ex),
				f1;
	int			small = 0;
	int			status = -1;

	if (!isfinite(f) || !isfinite(maxabs(n, g)))
		return -1;
	if (maxit == 0)				/* Newton steps only, from a start near the optimum */
		status = 0;
	memset(H, 0, sizeof(H));
	for (int i = 0; i < n; i++)
		H[i * n + i] = 1.0;
	for (int it = 0; it < maxit; it++)
	{
		double		slope = 0,
					step = 1.0,
					dmax;
		int			ok = 0;

		if (cancel && cancel(carg))
			return -3;
		if (maxabs(n, g) <= gtol)
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
			f1 = fn(t1, g1, ex);
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
			status = maxabs(n, g) <= 1e3 * gtol ? 0 : -1;
			break;
		}
		{
			double		sy = 0,
						yHy = 0,
						Hy[NPAR_MAX];

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
		small = fabs(f - f1) <= ftol * (fabs(f1) + 1e-300) ? small + 1 : 0;
		memcpy(theta, t1, sizeof(double) * n);
		memcpy(g, g1, sizeof(double) * n);
		f = f1;
		if (small >= 2)
		{
			status = 0;
			break;
		}
	}
	if (status == 0 && polish)
	{
		/* Newton steps: the last digits BFGS leaves in the parameters */
		for (int it = 0; it < 10 && maxabs(n, g) > 1e-11; it++)
		{
			double		A[NPAR_MAX * NPAR_MAX],
						gp[NPAR_MAX],
						gm[NPAR_MAX],
						b[NPAR_MAX];
			double		h = 1e-5;

			if (cancel && cancel(carg))
				return -3;
			for (int j = 0; j < n; j++)
			{
				memcpy(t1, theta, sizeof(double) * n);
				t1[j] = theta[j] + h;
				fn(t1, gp, ex);
				t1[j] = theta[j] - h;
				fn(t1, gm, ex);
				for (int i = 0; i < n; i++)
					A[i * n + j] = (gp[i] - gm[i]) / (2 * h);
			}
			for (int i = 0; i < n; i++)
				for (int j = 0; j < i; j++)
					A[i * n + j] = A[j * n + i] = 0.5 * (A[i * n + j] + A[j * n + i]);
			for (int i = 0; i < n; i++)
				b[i] = -g[i];
			if (solve(n, A, b) != 0 || maxabs(n, b) > 1.0)
				break;
			for (int i = 0; i < n; i++)
				t1[i] = theta[i] + b[i];
			f1 = fn(t1, g1, ex);
			if (!isfinite(f1) || !(maxabs(n, g1) < maxabs(n, g)))
				break;
			memcpy(theta, t1, sizeof(double) * n);
			memcpy(g, g1, sizeof(double) * n);
			f = f1;
		}
	}
	*fout = f;
	return status;
}

/* BFGS from each start on the (sampled) problem, then the best on the full problem */
static int
fit_starts(int np, int nstarts, double starts[][NPAR_MAX], Problem *sample, Problem *full,
		   double *par, double *fbest_out, ClvCancelFn cancel, void *carg, char *msg, size_t msglen)
{
	double		best[NPAR_MAX];
	double		fbest = INFINITY;
	int			rc;
	double		f;

	for (int k = 0; k < nstarts; k++)
	{
		double		th[NPAR_MAX];

		for (int i = 0; i < np; i++)
			th[i] = log(starts[k][i]);
		rc = minimise(np, th, &f, objective, sample, 500, 1e-12, 1e-9, sample == full, cancel, carg);
		if (rc == -3)
			return -3;
		if (rc == 0 && f < fbest)
		{
			fbest = f;
			memcpy(best, th, sizeof(best));
		}
	}
	if (!isfinite(fbest))
	{
		snprintf(msg, msglen, "no start reached a maximum of the likelihood at finite parameters");
		return -1;
	}
	if (sample != full)
	{
		/*
		 * The sample's optimum is close to the full data's: Newton steps alone usually finish
		 * (a few gradient evaluations on all customers instead of a BFGS run); BFGS otherwise.
		 */
		double		th[NPAR_MAX],
					g[NPAR_MAX];

		memcpy(th, best, sizeof(th));
		rc = minimise(np, th, &f, objective, full, 0, 1e-12, 1e-9, 1, cancel, carg);
		if (rc == -3)
			return -3;
		if (rc == 0 && isfinite(objective(th, g, full)) && maxabs(np, g) <= 1e-10)
			memcpy(best, th, sizeof(th));
		else
			rc = minimise(np, best, &f, objective, full, 500, 1e-12, 1e-9, 1, cancel, carg);
		if (rc == -3)
			return -3;
		if (rc != 0)
		{
			snprintf(msg, msglen, "the optimiser did not converge on all customers");
			return -1;
		}
		fbest = f;
	}
	for (int i = 0; i < np; i++)
		par[i] = exp(best[i]);
	*fbest_out = fbest;
	return 0;
}

int
clv_fit(int model, const ClvCustomers *c, double *par, double *loglik,
		ClvCancelFn cancel, void *cancel_arg, char *msg, size_t msglen)
{
	Problem		full = {model, c, 0, NULL, NULL, (double) c->n, 1};
	Problem		sample = full;
	ClvCustomers sc = *c;
	int32_t    *buf = NULL;
	double		tbar = 0;
	double		f;
	int			rc;
	double		starts[4][NPAR_MAX];

	if (c->n < 1)
	{
		snprintf(msg, msglen, "no customers");
		return -1;
	}
	for (int64_t i = 0; i < c->n; i++)
		tbar += c->T[i] / c->unit;
	tbar = tbar / c->n;
	if (tbar < 1e-3)
		tbar = 1e-3;
	if (c->n > 2 * SAMPLE_N)
	{
		/* every k-th customer: starts are compared on a deterministic sample */
		int64_t		k = c->n / SAMPLE_N;
		int64_t		m = 0;

		buf = malloc(sizeof(int32_t) * 3 * SAMPLE_N);
		if (buf == NULL)
		{
			snprintf(msg, msglen, "out of memory");
			return -1;
		}
		for (int64_t i = 0; i < c->n && m < SAMPLE_N; i += k, m++)
		{
			buf[m] = c->x[i];
			buf[SAMPLE_N + m] = c->tx[i];
			buf[2 * SAMPLE_N + m] = c->T[i];
		}
		sc.n = m;
		sc.x = buf;
		sc.tx = buf + SAMPLE_N;
		sc.T = buf + 2 * SAMPLE_N;
		sample.c = &sc;
		sample.scale = (double) m;
	}
	{
		/* r, alpha, then a, b (BG/NBD) or s, beta (Pareto/NBD); alpha and beta in time units */
		double		s0[4][NPAR_MAX] = {
			{1, 1, 1, 1},
			{0.5, 0.5 * tbar, 0.5, model == CLV_BGNBD ? 2 : tbar},
			{2, tbar, 1.5, model == CLV_BGNBD ? 5 : 0.3 * tbar},
			{0.2, 0.1 * tbar, 0.3, model == CLV_BGNBD ? 1 : 2 * tbar},
		};

		memcpy(starts, s0, sizeof(starts));
	}
	rc = fit_starts(4, 4, starts, &sample, &full, par, &f, cancel, cancel_arg, msg, msglen);
	free(buf);
	if (rc == 0)
		*loglik = -f * c->n;
	return rc;
}

int
clv_gg_fit(int64_t n, const int32_t *x, const double *m, int threads, double *par, double *loglik,
		   ClvCancelFn cancel, void *cancel_arg, char *msg, size_t msglen)
{
	Problem		pr = {-1, NULL, n, x, m, (double) n, threads};
	Problem		sample = pr;
	int32_t    *sx = NULL;
	double	   *sm = NULL;
	double		mbar = 0,
				f;
	int			rc;
	double		starts[4][NPAR_MAX];

	if (n < 1)
	{
		snprintf(msg, msglen, "no repeat customer with a positive spend");
		return -1;
	}
	for (int64_t i = 0; i < n; i++)
		mbar += m[i];
	mbar /= n;
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
	}
	{
		double		s0[4][NPAR_MAX] = {
			{1, 1, 1, 0}, {5, 3, mbar, 0}, {1, 2, mbar, 0}, {10, 10, 10 * mbar, 0}
		};

		memcpy(starts, s0, sizeof(starts));
	}
	rc = fit_starts(3, 4, starts, &sample, &pr, par, &f, cancel, cancel_arg, msg, msglen);
	free(sx);
	free(sm);
	if (rc == 0)
		*loglik = -f * n;
	return rc;
}

/* ---------- scoring ---------- */

double
clv_p_alive(int model, const double *p, double x, double tx, double T)
{
	if (model == CLV_BGNBD)
	{
		double		r = p[0],
					al = p[1],
					a = p[2],
					b = p[3];

		if (x <= 0)
			return 1.0;
		return 1.0 / (1.0 + exp(log(a / (b + x - 1)) + (r + x) * (log(al + T) - log(al + tx))));
	}
	else
	{
		double		la,
					ld;

		pnbd_terms(p, x, tx, T, &la, &ld);
		if (isnan(ld))
			return NAN;
		return 1.0 / (1.0 + exp(ld - la));
	}
}

/* (1 - q^e) / e, with its limit -log q at e = 0 */
static double
one_minus_pow_over(double q, double e)
{
	double		lq = log(q);

	if (fabs(e * lq) < 1e-10)
		return -lq * (1 - 0.5 * e * lq);
	return -expm1(e * lq) / e;
}

double
clv_expected(int model, const double *p, double x, double tx, double T, double t)
{
	double		r = p[0],
				al = p[1];

	if (t <= 0)
		return 0.0;
	if (model == CLV_BGNBD)
	{
		double		a = p[2],
					b = p[3];
		double		f;
		double		num,
					den;

		if (hyp2f1(r + x, b + x, a + b + x - 1, t / (al + T + t), &f) != 0)
			return NAN;
		num = (a + b + x - 1) / (a - 1) * (1.0 - exp((r + x) * log((al + T) / (al + T + t))) * f);
		den = x > 0 ? 1.0 + a / (b + x - 1) * exp((r + x) * log((al + T) / (al + tx))) : 1.0;
		return num / den;
	}
	else
	{
		double		s = p[2],
					be = p[3];
		double		pa = clv_p_alive(model, p, x, tx, T);

		return (r + x) * (be + T) / (al + T) * one_minus_pow_over((be + T) / (be + T + t), s - 1) * pa;
	}
}

double
clv_spend(const double *gg, double x, double m)
{
	double		p = gg[0],
				q = gg[1],
				g = gg[2];

	if (x <= 0 || isnan(m))
		return p * g / (q - 1);
	return p * (g + m * x) / (p * x + q - 1);
}

double
clv_discounted(int model, const double *p, double x, double tx, double T, double h, double d)
{
	double		sum = 0,
				prev = 0;
	int64_t		steps;

	if (h <= 0)
		return 0.0;
	if (d == 0)
		return clv_expected(model, p, x, tx, T, h);
	steps = (int64_t) ceil(h);
	for (int64_t i = 1; i <= steps; i++)
	{
		double		e = clv_expected(model, p, x, tx, T, i < h ? (double) i : h);

		sum += (e - prev) / pow(1.0 + d, (double) i);
		prev = e;
	}
	return sum;
}

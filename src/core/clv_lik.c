/*
 * clv_lik.c -- the customer-lifetime-value log-likelihoods (see clv.h) in log space:
 * BG/NBD with its gradient and Hessian in closed form, Pareto/NBD's per-customer terms
 * through 2F1 (core/hyp2f1.c; its sums with derivatives live in clv_pnbd.c), Gamma-Gamma with gradient and
 * Hessian in closed form; digamma and trigamma; the deterministic threaded sum over rows.
 * Pure C; work memory is malloc'd and freed on every path.
 *
 * BG/NBD's likelihood depends on a customer through x (tables per x, rebuilt per
 * evaluation) and through log(alpha + d / unit) for d = t_x and T in whole days (tables
 * per day), so one evaluation costs an exp and a log1p per repeat customer.  The beta
 * function ratios B(a, b + x) / B(a, b) are products over j < x of (b + j) / (a + b + j),
 * summed as log1p terms: lgamma differences lose all their digits when a and b are large
 * (as on data where nobody drops out, where the fit runs towards a + b -> infinity).
 */
#include "clv_int.h"
#include "hyp2f1.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

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

double
clv_trigamma(double x)
{
	double		r = 0.0;
	double		f;

	if (x <= 0)
		return NAN;				/* only positive arguments occur here */
	while (x < 20.0)			/* the series below: next term 5 / (66 x^11) < 4e-16 */
	{
		r += 1.0 / (x * x);
		x += 1.0;
	}
	f = 1.0 / (x * x);
	/* asymptotic: 1/x + 1/(2x^2) + 1/(6x^3) - 1/(30x^5) + 1/(42x^7) - 1/(30x^9) */
	return r + 1.0 / x + f / 2 + f / x * (1.0 / 6 - f * (1.0 / 30 - f * (1.0 / 42 - f * (1.0 / 30))));
}

double
clv_logaddexp(double u, double v)
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
#define BLOCK 8192				/* rows per partial sum: fixed, so the sums do not depend on threads */
#define ROWS_PER_THREAD 50000	/* below this a thread costs more than it saves */

typedef struct RowsJob
{
	ClvRowsFn	fn;
	const void *arg;
	int64_t		n;
	int64_t		b0,
				b1;				/* blocks [b0, b1) */
	int			nout;
	double	   *blocks;			/* nout sums per block */
} RowsJob;

static void *
rows_thread(void *p)
{
	RowsJob    *j = p;

	for (int64_t b = j->b0; b < j->b1; b++)
	{
		int64_t		i1 = (b + 1) * BLOCK < j->n ? (b + 1) * BLOCK : j->n;

		j->fn(j->arg, b * BLOCK, i1, j->blocks + b * j->nout);
	}
	return NULL;
}

void
clv_sum_rows(int threads, int64_t n, ClvRowsFn fn, const void *arg, double *out, int nout)
{
	RowsJob		jobs[MAX_THREADS];
	pthread_t	tid[MAX_THREADS];
	int			started[MAX_THREADS] = {0};
	int64_t		nb = (n + BLOCK - 1) / BLOCK;
	int			t = threads;
	double	   *blocks = calloc((size_t) (nb > 0 ? nb : 1) * nout, sizeof(double));

	memset(out, 0, sizeof(double) * nout);
	if (blocks == NULL)
	{
		for (int q = 0; q < nout; q++)
			out[q] = NAN;
		return;
	}
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
		jobs[k].n = n;
		jobs[k].b0 = nb * k / t;
		jobs[k].b1 = nb * (k + 1) / t;
		jobs[k].nout = nout;
		jobs[k].blocks = blocks;
	}
	for (int k = 1; k < t; k++)
		started[k] = pthread_create(&tid[k], NULL, rows_thread, &jobs[k]) == 0;
	rows_thread(&jobs[0]);
	for (int k = 1; k < t; k++)
	{
		if (started[k])
			pthread_join(tid[k], NULL);
		else
			rows_thread(&jobs[k]);	/* no thread: this one does the blocks */
	}
	for (int64_t b = 0; b < nb; b++)
		for (int q = 0; q < nout; q++)
			out[q] += blocks[b * nout + q];
	free(blocks);
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

void
clv_pnbd_terms(const double *p, double x, double tx, double T, double *l_alive, double *l_dead)
{
	double		r = p[0],
				al = p[1],
				s = p[2],
				be = p[3];

	if (s >= CLV_S_LIMIT)
	{
		/* the limit s, beta -> infinity: dropout rate mu = s / beta for everyone */
		double		q[3] = {r, al, s / be};

		clv_pnbd_bracket(q, 1, x, tx, T, l_alive, l_dead);
		return;
	}
	/* both with the factor beta^s: (beta / (beta + T))^s keeps its digits for large beta */
	*l_alive = -(r + x) * log(al + T) - s * log1p(T / be);
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
			*l_dead = log(s / (r + s + x)) + s * log(be) + l1 + log(-expm1(l2 - l1));
	}
}

/* log B(a, b + x) / B(a, b) = sum_{j < x} log((b + j) / (a + b + j)); x log(1 - p) in the limit */
static double
bg_log_beta_ratio(double a, double b, double x)
{
	double		s = 0;

	if (a + b >= CLV_AB_LIMIT)
		return x * log1p(-a / (a + b));
	for (int64_t j = 0; j < (int64_t) x; j++)
		s += log1p(-a / (a + b + j));
	return s;
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
		double		c = lgamma(r + x) - lgamma(r) + r * log(al) + bg_log_beta_ratio(a, b, x);
		double		l1 = c - (r + x) * log(al + T);

		/* B(a + 1, b + x - 1) / B(a, b) = B(a, b + x) / B(a, b) * a / (b + x - 1) */
		if (x > 0)
			l1 = clv_logaddexp(l1, c + (a + b >= CLV_AB_LIMIT ? log(a / b) : log(a / (b + x - 1)))
							   - (r + x) * log(al + tx));
		return l1;
	}
	else
	{
		double		la,
					ld;

		clv_pnbd_terms(p, x, tx, T, &la, &ld);
		return lgamma(r + x) - lgamma(r) + r * log(al) + clv_logaddexp(la, ld);
	}
}

double
clv_unpack_sums(const double *o, double *grad, double *hess)
{
	if (grad)
		memcpy(grad, o + 1, sizeof(double) * 4);
	if (hess)
		for (int i = 0; i < 4; i++)
			for (int j = i; j < 4; j++)
				hess[i * 4 + j] = hess[j * 4 + i] = o[5 + UT(i, j)];
	return isfinite(o[0]) ? o[0] : NAN;
}

/* ---------- BG/NBD ---------- */

static int32_t
max_i32(int64_t n, const int32_t *v)
{
	int32_t		m = 0;

	for (int64_t i = 0; i < n; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}

/*
 * Per customer l = C[x] - (r + x) L(T) + log(1 + e^u), u = Q[x] + (r + x) (L(T) - L(t_x))
 * (the second term only for x > 0), L(d) = log(alpha + d / unit).  Derivatives are with
 * respect to theta = (log r, log alpha, th2, th3): (log a, log b), or in the limit
 * a + b -> infinity (logit p, unused).  GC, HC: C's derivatives per x (4 and 10 entries,
 * upper triangle row by row); GQ, HQ: Q's with respect to th2, th3.
 */
typedef struct BgTables
{
	const ClvCustomers *c;
	double		r,
				al;
	int			level;			/* 0 loglik, 1 + gradient, 2 + Hessian */
	const double *C,
			   *Q,
			   *GC,
			   *HC,
			   *GQ,
			   *HQ,
			   *LD,
			   *ID;
} BgTables;


/*
 * The sums over rows [i0, i1).  Terms that depend on a row only through x (C, GC, HC, and
 * GQ, HQ times sums of pi, pi (1 - pi) and their products with the row's own factors) are
 * summed per run of equal x and multiplied in once per run: the rows come sorted by x
 * (clv_fit's compress), so the row loop keeps only the row's own terms.  Any order gives
 * the same sums up to rounding.
 */
static void
bg_rows(const void *arg, int64_t i0, int64_t i1, double *out)
{
	const BgTables *tb = arg;
	const ClvCustomers *c = tb->c;
	double		r = tb->r,
				al = tb->al;
	double		ll = 0,
				g[4] = {0},
				h[10] = {0};
	int			lev = tb->level;

	for (int64_t i = i0; i < i1;)
	{
		int32_t		x = c->x[i];
		double		rx = r + x;
		/* sums over the run of rows with this x: weight, pi, pi (1 - pi), times v0, v1 */
		double		W = 0,
					P = 0,
					PQ = 0,
					PQ0 = 0,
					PQ1 = 0;

		for (; i < i1 && c->x[i] == x; i++)
		{
			double		w = c->w ? c->w[i] : 1.0;
			double		lt = tb->LD[c->T[i]],
						it = tb->ID[c->T[i]];
			double		li = -rx * lt;

			W += w;
			if (lev > 0)
			{
				g[0] -= w * r * lt;
				g[1] -= w * rx * al * it;
			}
			if (lev > 1)
			{
				h[UT(0, 0)] -= w * r * lt;
				h[UT(0, 1)] -= w * r * al * it;
				h[UT(1, 1)] -= w * rx * (al * it - al * al * it * it);
			}
			if (x > 0)
			{
				double		ltx = tb->LD[c->tx[i]],
							itx = tb->ID[c->tx[i]];
				double		D = lt - ltx;
				double		u = tb->Q[x] + rx * D;
				double		e = exp(-fabs(u));
				double		pi = u > 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);

				/* log(1 + e), e in (0, 1]: log1p's extra digits are below li's rounding */
				li += (u > 0 ? u : 0) + log(1.0 + e);
				if (lev > 0)
				{
					double		v0 = r * D,
								v1 = rx * al * (it - itx),
								wp = w * pi;

					P += wp;
					g[0] += wp * v0;
					g[1] += wp * v1;
					if (lev > 1)
					{
						double		wpq = wp * (1 - pi);

						PQ += wpq;
						PQ0 += wpq * v0;
						PQ1 += wpq * v1;
						h[UT(0, 0)] += wpq * v0 * v0 + wp * r * D;
						h[UT(0, 1)] += wpq * v0 * v1 + wp * r * al * (it - itx);
						h[UT(1, 1)] += wpq * v1 * v1 + wp * rx * (al * (it - itx) - al * al * (it * it - itx * itx));
					}
				}
			}
			ll += w * li;
		}
		/* the run's x-only terms */
		ll += W * tb->C[x];
		if (lev > 0)
		{
			const double *gc = tb->GC + 4 * x;
			double		v2 = tb->GQ[2 * x],
						v3 = tb->GQ[2 * x + 1];

			for (int k = 0; k < 4; k++)
				g[k] += W * gc[k];
			g[2] += P * v2;
			g[3] += P * v3;
			if (lev > 1)
			{
				const double *hc = tb->HC + 10 * x;

				for (int k = 0; k < 10; k++)
					h[k] += W * hc[k];
				h[UT(0, 2)] += PQ0 * v2;
				h[UT(0, 3)] += PQ0 * v3;
				h[UT(1, 2)] += PQ1 * v2;
				h[UT(1, 3)] += PQ1 * v3;
				h[UT(2, 2)] += PQ * v2 * v2 + P * tb->HQ[3 * x];
				h[UT(2, 3)] += PQ * v2 * v3 + P * tb->HQ[3 * x + 1];
				h[UT(3, 3)] += PQ * v3 * v3 + P * tb->HQ[3 * x + 2];
			}
		}
	}
	out[0] += ll;
	for (int k = 0; k < 4; k++)
		out[1 + k] += g[k];
	for (int k = 0; k < 10; k++)
		out[5 + k] += h[k];
}

/*
 * BG/NBD's total log-likelihood; grad (4) and hess (4 x 4) may be NULL.  limit: theta's
 * third coordinate is logit p of the limit a + b -> infinity (p[2] = p, p[3] unused),
 * else (log a, log b).
 */
static double
bgnbd_loglik(const double *p, int limit, const ClvCustomers *c, double *grad, double *hess)
{
	double		r = p[0],
				al = p[1],
				a = p[2],
				b = p[3];
	int			level = hess ? 2 : grad ? 1 : 0;
	int32_t		xmax = max_i32(c->n, c->x);
	int32_t		dmax = max_i32(c->n, c->T);
	size_t		nx = (size_t) xmax + 1;
	double	   *C = malloc(sizeof(double) * 21 * nx);
	double	   *Q = C + nx,
			   *GC = Q + nx,
			   *HC = GC + 4 * nx,
			   *GQ = HC + 10 * nx,
			   *HQ = GQ + 2 * nx;	/* 3 per x: ends at 21 * nx */
	double	   *LD = malloc(sizeof(double) * 2 * ((size_t) dmax + 1));
	double	   *ID = LD + dmax + 1;
	double		o[CLV_NSUM];
	double		base = -lgamma(r) + r * log(al);
	double		la = log(al);
	/* running sums over j < x: 1/(r+j), 1/(r+j)^2, 1/(a+b+j), 1/(a+b+j)^2, 1/(b+j), 1/(b+j)^2, S */
	double		R1 = 0,
				R2 = 0,
				A1 = 0,
				A2 = 0,
				B1 = 0,
				B2 = 0,
				S = 0;

	if (C == NULL || LD == NULL)
	{
		free(C);
		free(LD);
		return NAN;
	}
	for (int32_t x = 0; x <= xmax; x++)
	{
		double	   *gc = GC + 4 * x,
				   *hc = HC + 10 * x;

		C[x] = base + lgamma(r + x) + S;
		gc[0] = r * (R1 + la);
		gc[1] = r;
		memset(hc, 0, sizeof(double) * 10);
		hc[UT(0, 0)] = r * (R1 + la) - r * r * R2;
		hc[UT(0, 1)] = r;
		if (limit)
		{
			/* S = x log(1 - p), Q = logit p; th2 = logit p */
			gc[2] = -x * a;
			gc[3] = 0;
			hc[UT(2, 2)] = -x * a * (1 - a);
			Q[x] = log(a / (1 - a));
			GQ[2 * x] = 1;
			GQ[2 * x + 1] = 0;
			HQ[3 * x] = HQ[3 * x + 1] = HQ[3 * x + 2] = 0;
		}
		else
		{
			double		bx = b + x - 1;

			gc[2] = -a * A1;
			gc[3] = b * (B1 - A1);
			hc[UT(2, 2)] = -a * A1 + a * a * A2;
			hc[UT(2, 3)] = a * b * A2;
			hc[UT(3, 3)] = b * (B1 - A1) + b * b * (A2 - B2);
			Q[x] = x > 0 ? log(a / bx) : 0;
			GQ[2 * x] = 1;
			GQ[2 * x + 1] = x > 0 ? -b / bx : 0;
			HQ[3 * x] = HQ[3 * x + 1] = 0;
			HQ[3 * x + 2] = x > 0 ? -b / bx + b * b / (bx * bx) : 0;
		}
		/* advance the running sums from x to x + 1 */
		R1 += 1.0 / (r + x);
		R2 += 1.0 / ((r + x) * (r + x));
		if (limit)
			S += log1p(-a);
		else
		{
			double		ab = a + b + x;

			A1 += 1.0 / ab;
			A2 += 1.0 / (ab * ab);
			B1 += 1.0 / (b + x);
			B2 += 1.0 / ((b + x) * (b + x));
			S += log1p(-a / ab);
		}
	}
	for (int32_t d = 0; d <= dmax; d++)
	{
		LD[d] = log(al + d / c->unit);
		ID[d] = 1.0 / (al + d / c->unit);
	}
	{
		BgTables	tb = {c, r, al, level, C, Q, GC, HC, GQ, HQ, LD, ID};

		clv_sum_rows(c->threads, c->n, bg_rows, &tb, o, 15);
	}
	free(C);
	free(LD);
	return clv_unpack_sums(o, grad, hess);
}

/*
 * BG/NBD at parameters (r, alpha, a, b): the limit's formulas when a + b >= CLV_AB_LIMIT;
 * the derivatives are always with respect to (log r, log alpha, log a, log b) (in the
 * limit: with respect to log a and log b at fixed a + b, i.e. through p).
 */
static double
bgnbd_at(const double *p, const ClvCustomers *c, double *grad, double *hess)
{
	if (p[2] + p[3] >= CLV_AB_LIMIT)
	{
		double		q[4] = {p[0], p[1], p[2] / (p[2] + p[3]), 0};
		double		ll = bgnbd_loglik(q, 1, c, grad, hess);

		/* d/d log a = (1 - p) d/d logit p, d/d log b = -(1 - p) d/d logit p at fixed a + b */
		if (grad)
		{
			double		g2 = grad[2];

			grad[2] = (1 - q[2]) * g2;
			grad[3] = -(1 - q[2]) * g2;
		}
		if (hess)
			for (int i = 0; i < 16; i++)
				hess[i] = NAN;	/* the limit's a and b are not parameters of a smooth surface */
		return ll;
	}
	return bgnbd_loglik(p, 0, c, grad, hess);
}

/* the limit model for the maximiser: p = (r, alpha, p, -) with theta = (log r, log alpha, logit p) */
double
clv_bgnbd_limit_loglik(const double *p, const ClvCustomers *c, double *grad, double *hess)
{
	return bgnbd_loglik(p, 1, c, grad, hess);
}

/* ---------- Pareto/NBD ---------- */

double
clv_loglik2(int model, const double *p, const ClvCustomers *c, double *grad, double *hess)
{
	if (model == CLV_BGNBD)
		return bgnbd_at(p, c, grad, hess);
	if (p[2] >= CLV_S_LIMIT)
	{
		/* the limit at mu = s / beta; d/d log s = d/d log mu = -d/d log beta at fixed mu */
		double		q[3] = {p[0], p[1], p[2] / p[3]};
		double		ll = clv_pnbd_loglik(q, 1, c, grad, hess, NULL);

		if (grad)
			grad[3] = -grad[2];
		if (hess)
			for (int i = 0; i < 16; i++)
				hess[i] = NAN;	/* s and beta are not parameters of a smooth surface there */
		return ll;
	}
	return clv_pnbd_loglik(p, 0, c, grad, hess, NULL);
}

double
clv_loglik(int model, const double *p, const ClvCustomers *c, double *grad)
{
	return clv_loglik2(model, p, c, grad, NULL);
}

/* ---------- Gamma-Gamma ---------- */

/*
 * Per customer l = A[k] + (p k - 1) log m + p k log k - (p k + q) log(gamma + m k),
 * A[k] = lgamma(p k + q) - lgamma(p k) - lgamma(q) + q log gamma.  The sums are of the
 * raw derivatives (in p, q, gamma), turned into log-parameter ones at the end.
 */
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
			   *App,
			   *Apq,
			   *Aqq,
			   *lx;
	int			level;
	const double *lm;			/* log m per row, or NULL: computed here */
} GgTables;

static void
gg_rows(const void *arg, int64_t i0, int64_t i1, double *out)
{
	const GgTables *tb = arg;
	double		p = tb->p,
				q = tb->q,
				g = tb->g;
	double		s[10] = {0};

	for (int64_t i = i0; i < i1; i++)
	{
		int32_t		k = tb->x[i];
		double		px = p * k;
		double		lm = tb->lm ? tb->lm[i] : log(tb->m[i]),
					gmx = g + tb->m[i] * k,
					lxm = log(gmx);

		s[0] += tb->A[k] + (px - 1) * lm + px * tb->lx[k] - (px + q) * lxm;
		if (tb->level > 0)
		{
			double		ig = 1.0 / gmx;

			s[1] += tb->Ap[k] + k * (lm - lxm);
			s[2] += tb->Aq[k] - lxm;
			s[3] += q / g - (px + q) * ig;
			if (tb->level > 1)
			{
				s[4] += tb->App[k];
				s[5] += tb->Apq[k];
				s[6] -= k * ig;
				s[7] += tb->Aqq[k];
				s[8] += 1.0 / g - ig;
				s[9] += -q / (g * g) + (px + q) * ig * ig;
			}
		}
	}
	for (int k = 0; k < 10; k++)
		out[k] += s[k];
}

double
clv_gg_loglik2(const double *par, int64_t n, const int32_t *x, const double *m, int threads,
			   double *grad, double *hess)
{
	return clv_gg_loglik_pre(par, n, x, m, NULL, threads, grad, hess);
}

double
clv_gg_loglik_pre(const double *par, int64_t n, const int32_t *x, const double *m, const double *lm,
				  int threads, double *grad, double *hess)
{
	double		p = par[0],
				q = par[1],
				g = par[2];
	int			level = hess ? 2 : grad ? 1 : 0;
	double		lgq = lgamma(q),
				psq = clv_digamma(q),
				tgq = clv_trigamma(q),
				lg = log(g);
	int32_t		xmax = max_i32(n, x);
	size_t		nx = (size_t) xmax + 1;
	/* the gamma-function terms depend on a customer only through x: one table per evaluation */
	double	   *A = calloc(7 * nx, sizeof(double));
	double	   *Ap = A + nx,
			   *Aq = Ap + nx,
			   *App = Aq + nx,
			   *Apq = App + nx,
			   *Aqq = Apq + nx,
			   *lx = Aqq + nx;
	double		o[10];

	if (A == NULL)
		return NAN;
	for (int32_t k = 1; k <= xmax; k++)
	{
		double		px = p * k;

		A[k] = lgamma(px + q) - lgamma(px) - lgq + q * lg;
		lx[k] = log((double) k);
		if (level > 0)
		{
			double		pspq = clv_digamma(px + q);

			Ap[k] = k * (pspq - clv_digamma(px) + lx[k]);
			Aq[k] = pspq - psq + lg;
		}
		if (level > 1)
		{
			double		tpq = clv_trigamma(px + q);

			App[k] = (double) k * k * (tpq - clv_trigamma(px));
			Apq[k] = k * tpq;
			Aqq[k] = tpq - tgq;
		}
	}
	{
		GgTables	tb = {x, m, p, q, g, A, Ap, Aq, App, Apq, Aqq, lx, level, lm};

		clv_sum_rows(threads, n, gg_rows, &tb, o, 10);
	}
	free(A);
	if (grad)
	{
		grad[0] = o[1] * p;
		grad[1] = o[2] * q;
		grad[2] = o[3] * g;
	}
	if (hess)
	{
		/* d2 l / d log u d log v = u v d2 l / du dv (+ u dl/du on the diagonal) */
		double		v[3] = {p, q, g};
		double		raw[9] = {o[4], o[5], o[6], o[5], o[7], o[8], o[6], o[8], o[9]};

		for (int i = 0; i < 3; i++)
			for (int j = 0; j < 3; j++)
				hess[i * 3 + j] = v[i] * v[j] * raw[i * 3 + j] + (i == j ? v[i] * o[1 + i] : 0);
	}
	return isfinite(o[0]) ? o[0] : NAN;
}

double
clv_gg_loglik(const double *par, int64_t n, const int32_t *x, const double *m, double *grad)
{
	return clv_gg_loglik2(par, n, x, m, 1, grad, NULL);
}

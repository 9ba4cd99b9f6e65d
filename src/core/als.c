/*
 * als.c -- implicit-feedback ALS (see als.h for the objective): CSR transpose, deterministic
 * initialisation, the threaded half-steps (Cholesky or conjugate gradient per row) and the loss.
 * Pure C; worker threads never touch PostgreSQL and run with every signal blocked.
 */
#include "als.h"
#include "rng.h"
#include "topn.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALS_CHUNK_ROWS 32		/* rows a worker claims at a time */
#define ALS_GATHER_ROWS 128		/* factor rows gathered per dsyrk in the Cholesky solve */

void
als_csr_transpose(const AlsCsr *a, AlsCsr *t)
{
	int64_t		nnz = als_nnz(a);

	t->n_rows = a->n_cols;
	t->n_cols = a->n_rows;
	memset(t->indptr, 0, sizeof(int64_t) * (t->n_rows + 1));
	for (int64_t k = 0; k < nnz; k++)
		t->indptr[a->indices[k] + 1]++;
	for (int64_t c = 0; c < t->n_rows; c++)
		t->indptr[c + 1] += t->indptr[c];
	/* rows of a in ascending order keep every column of t sorted; indptr[c] is the cursor */
	for (int64_t r = 0; r < a->n_rows; r++)
		for (int64_t k = a->indptr[r]; k < a->indptr[r + 1]; k++)
		{
			int64_t		dst = t->indptr[a->indices[k]]++;

			t->indices[dst] = (int32_t) r;
			t->data[dst] = a->data[k];
		}
	/* shift the cursors back into row starts */
	for (int64_t c = t->n_rows; c > 0; c--)
		t->indptr[c] = t->indptr[c - 1];
	t->indptr[0] = 0;
}

/* one N(0, 1) draw from two stream values (Box-Muller, the cosine branch only) */
static double
normal_draw(uint64_t *s)
{
	double		u1 = (double) ((mk_splitmix64(s) >> 11) + 1) * 0x1.0p-53;	/* (0, 1] */
	double		u2 = (double) (mk_splitmix64(s) >> 11) * 0x1.0p-53;

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

void
als_init_factors(uint64_t seed, int64_t n_users, int64_t n_items, int factors, double *X, double *Y)
{
	uint64_t	s = seed;
	double		sd = 0.1 / sqrt((double) factors);

	for (int64_t k = 0; k < n_items * factors; k++)
		Y[k] = sd * normal_draw(&s);
	for (int64_t k = 0; k < n_users * factors; k++)
		X[k] = sd * normal_draw(&s);
}

int
als_blas_threads(int n)
{
	int			old = openblas_get_num_threads();

	if (n >= 1 && n != old)
		openblas_set_num_threads(n);
	return old;
}

void
als_row_regularization(const AlsCsr *a, const AlsParams *p, double *reg)
{
	double		mean = 0.0;

	if (p->reg_exponent == 0.0 || a->n_rows == 0)
	{
		for (int64_t r = 0; r < a->n_rows; r++)
			reg[r] = p->regularization;
		return;
	}
	/* m_r = total confidence of the row = n_cols + alpha * sum of its weights */
	for (int64_t r = 0; r < a->n_rows; r++)
	{
		double		s = 0.0;

		for (int64_t k = a->indptr[r]; k < a->indptr[r + 1]; k++)
			s += a->data[k];
		reg[r] = (double) a->n_cols + p->alpha * s;
		mean += reg[r];
	}
	mean /= (double) a->n_rows;
	for (int64_t r = 0; r < a->n_rows; r++)
		reg[r] = p->regularization * pow(reg[r] / mean, p->reg_exponent);
}

/* Gram matrix G = F'F (f x f, both triangles filled) of a row-major n x f matrix. */
static void
gram(const double *F, int64_t n, int f, double *G)
{
	if (n == 0)
	{
		memset(G, 0, sizeof(double) * f * f);
		return;
	}
	cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, f, (int) n, 1.0, F, f, 0.0, G, f);
	for (int i = 0; i < f; i++)
		for (int j = 0; j < i; j++)
			G[i * f + j] = G[j * f + i];
}

/* ---------- one half-step: solve every row of a for R, with the other side F fixed ---------- */

typedef struct HalfStep
{
	const AlsCsr *a;
	const double *F;			/* n_cols x f, fixed */
	double	   *R;				/* n_rows x f, solved (holds the warm start for CG) */
	const double *G;			/* F'F */
	const double *reg;			/* per-row lambda */
	double	   *extra;			/* per-row loss terms (see solve_rows) */
	int			with_obs;		/* add the observed-pair loss terms to extra */
	const AlsParams *p;
	int64_t		next;			/* next unclaimed row (atomic) */
	int			stop;			/* set on cancel or error (atomic) */
	int			status;
	char		msg[128];
} HalfStep;

typedef struct Scratch
{
	double	   *A;				/* f x f */
	double	   *gath;			/* ALS_GATHER_ROWS x f */
	double	   *b,
			   *r,
			   *pv,
			   *Ap;
} Scratch;

static int
scratch_alloc(Scratch *s, int f)
{
	s->A = malloc(sizeof(double) * ((size_t) f * f + (size_t) ALS_GATHER_ROWS * f + 4 * (size_t) f));
	if (s->A == NULL)
		return 0;
	s->gath = s->A + (size_t) f * f;
	s->b = s->gath + (size_t) ALS_GATHER_ROWS * f;
	s->r = s->b + f;
	s->pv = s->r + f;
	s->Ap = s->pv + f;
	return 1;
}

/* Exact solve of (G + lambda I + sum_j (c_j - 1) f_j f_j') x = sum_j c_j f_j. */
static int
solve_cholesky(HalfStep *h, Scratch *s, int64_t row, double *x)
{
	const AlsCsr *a = h->a;
	int			f = h->p->factors;
	double		alpha = h->p->alpha;
	double		lambda = h->reg[row];
	int			ng = 0;

	memcpy(s->A, h->G, sizeof(double) * f * f);
	for (int i = 0; i < f; i++)
		s->A[i * f + i] += lambda;
	memset(s->b, 0, sizeof(double) * f);
	for (int64_t k = a->indptr[row]; k < a->indptr[row + 1]; k++)
	{
		const double *fj = h->F + (size_t) a->indices[k] * f;
		double		c = 1.0 + alpha * a->data[k];
		double		sq = sqrt(c - 1.0);

		cblas_daxpy(f, c, fj, 1, s->b, 1);
		for (int i = 0; i < f; i++)
			s->gath[ng * f + i] = sq * fj[i];
		if (++ng == ALS_GATHER_ROWS || k + 1 == a->indptr[row + 1])
		{
			cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, f, ng, 1.0, s->gath, f, 1.0, s->A, f);
			ng = 0;
		}
	}
	/* the row-major upper triangle is the column-major lower one: no copy in LAPACKE */
	if (LAPACKE_dposv_work(LAPACK_COL_MAJOR, 'L', f, 1, s->A, f, s->b, f) != 0)
		return 0;
	memcpy(x, s->b, sizeof(double) * f);
	return 1;
}

/* A few conjugate-gradient steps on the same system, warm-started at x (Takacs et al. 2011). */
static void
solve_cg(HalfStep *h, Scratch *s, int64_t row, double *x)
{
	const AlsCsr *a = h->a;
	int			f = h->p->factors;
	double		alpha = h->p->alpha;
	double		lambda = h->reg[row];
	double	   *r = s->r,
			   *pv = s->pv,
			   *Ap = s->Ap;
	double		rsold;

	/* r = b - A x */
	cblas_dsymv(CblasRowMajor, CblasUpper, f, -1.0, h->G, f, x, 1, 0.0, r, 1);
	cblas_daxpy(f, -lambda, x, 1, r, 1);
	for (int64_t k = a->indptr[row]; k < a->indptr[row + 1]; k++)
	{
		const double *fj = h->F + (size_t) a->indices[k] * f;
		double		c = 1.0 + alpha * a->data[k];

		cblas_daxpy(f, c - (c - 1.0) * cblas_ddot(f, fj, 1, x, 1), fj, 1, r, 1);
	}
	memcpy(pv, r, sizeof(double) * f);
	rsold = cblas_ddot(f, r, 1, r, 1);
	for (int it = 0; it < h->p->cg_steps && rsold > 1e-20; it++)
	{
		double		pAp,
					step,
					rsnew;

		cblas_dsymv(CblasRowMajor, CblasUpper, f, 1.0, h->G, f, pv, 1, 0.0, Ap, 1);
		cblas_daxpy(f, lambda, pv, 1, Ap, 1);
		for (int64_t k = a->indptr[row]; k < a->indptr[row + 1]; k++)
		{
			const double *fj = h->F + (size_t) a->indices[k] * f;
			double		c = 1.0 + alpha * a->data[k];

			cblas_daxpy(f, (c - 1.0) * cblas_ddot(f, fj, 1, pv, 1), fj, 1, Ap, 1);
		}
		pAp = cblas_ddot(f, pv, 1, Ap, 1);
		if (!(pAp > 0.0))
			break;
		step = rsold / pAp;
		cblas_daxpy(f, step, pv, 1, x, 1);
		cblas_daxpy(f, -step, Ap, 1, r, 1);
		rsnew = cblas_ddot(f, r, 1, r, 1);
		if (rsnew < 1e-20)
			break;
		/* pv = r + (rsnew / rsold) pv */
		cblas_dscal(f, rsnew / rsold, pv, 1);
		cblas_daxpy(f, 1.0, r, 1, pv, 1);
		rsold = rsnew;
	}
}

/*
 * extra[row] = lambda_row |x|^2, plus (with_obs) sum over the row's pairs of
 * c (1 - s)^2 - s^2 with s = x.f_j: the observed pairs' correction to the all-pairs
 * quadratic term, which als_fit gets from the two Gram matrices.
 */
static double
row_extra(HalfStep *h, int64_t row, const double *x)
{
	const AlsCsr *a = h->a;
	int			f = h->p->factors;
	double		e = h->reg[row] * cblas_ddot(f, x, 1, x, 1);

	if (h->with_obs)
		for (int64_t k = a->indptr[row]; k < a->indptr[row + 1]; k++)
		{
			double		sc = cblas_ddot(f, h->F + (size_t) a->indices[k] * f, 1, x, 1);
			double		c = 1.0 + h->p->alpha * a->data[k];

			e += c * (1.0 - sc) * (1.0 - sc) - sc * sc;
		}
	return e;
}

static void
halfstep_work(HalfStep *h, int poll)
{
	Scratch		s;
	int			f = h->p->factors;

	if (!scratch_alloc(&s, f))
	{
		if (__atomic_exchange_n(&h->stop, 1, __ATOMIC_SEQ_CST) == 0)
		{
			h->status = ALS_NOMEM;
			snprintf(h->msg, sizeof(h->msg), "out of memory for ALS scratch space");
		}
		return;
	}
	for (;;)
	{
		int64_t		lo,
					hi;

		if (__atomic_load_n(&h->stop, __ATOMIC_RELAXED))
			break;
		if (poll && h->p->interrupt && h->p->interrupt(h->p->interrupt_arg))
		{
			if (__atomic_exchange_n(&h->stop, 1, __ATOMIC_SEQ_CST) == 0)
			{
				h->status = ALS_CANCELLED;
				snprintf(h->msg, sizeof(h->msg), "canceled");
			}
			break;
		}
		lo = __atomic_fetch_add(&h->next, ALS_CHUNK_ROWS, __ATOMIC_RELAXED);
		if (lo >= h->a->n_rows)
			break;
		hi = lo + ALS_CHUNK_ROWS < h->a->n_rows ? lo + ALS_CHUNK_ROWS : h->a->n_rows;
		for (int64_t row = lo; row < hi; row++)
		{
			double	   *x = h->R + (size_t) row * f;

			if (h->p->solver == ALS_SOLVER_CHOLESKY)
			{
				if (!solve_cholesky(h, &s, row, x))
				{
					if (__atomic_exchange_n(&h->stop, 1, __ATOMIC_SEQ_CST) == 0)
					{
						h->status = ALS_NUMERIC;
						snprintf(h->msg, sizeof(h->msg),
								 "ALS system matrix of row %lld is not positive definite",
								 (long long) row);
					}
					break;
				}
			}
			else
				solve_cg(h, &s, row, x);
			h->extra[row] = row_extra(h, row, x);
		}
	}
	free(s.A);
}

/*
 * Runs work(arg, poll) on nthreads threads: nthreads - 1 new ones with every signal blocked (the
 * backend's handlers stay on this thread) and the caller's thread, which is the one to poll.
 */
typedef void (*AlsWorkFn) (void *arg, int poll);

typedef struct AlsThreadArg
{
	AlsWorkFn	work;
	void	   *arg;
} AlsThreadArg;

static void *
als_thread_main(void *arg)
{
	AlsThreadArg *t = arg;

	t->work(t->arg, 0);
	return NULL;
}

static void
als_run_threads(int nthreads, AlsWorkFn work, void *arg)
{
	AlsThreadArg targ = {work, arg};
	pthread_t  *tids = NULL;
	int			started = 0;

	if (nthreads > 1)
	{
		sigset_t	all,
					old;

		tids = malloc(sizeof(pthread_t) * (nthreads - 1));
		if (tids != NULL)
		{
			sigfillset(&all);
			pthread_sigmask(SIG_SETMASK, &all, &old);
			for (int t = 0; t < nthreads - 1; t++)
			{
				if (pthread_create(&tids[t], NULL, als_thread_main, &targ) != 0)
					break;
				started++;
			}
			pthread_sigmask(SIG_SETMASK, &old, NULL);
		}
	}
	work(arg, 1);
	for (int t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
	free(tids);
}

static void
halfstep_entry(void *arg, int poll)
{
	halfstep_work((HalfStep *) arg, poll);
}

/* Runs one half-step on p->threads threads (the caller's thread is one of them and polls). */
static int
halfstep_run(HalfStep *h)
{
	int			nthreads = h->p->threads < 1 ? 1 : h->p->threads;

	h->next = 0;
	h->stop = 0;
	h->status = ALS_OK;
	h->msg[0] = '\0';
	als_run_threads(h->a->n_rows > ALS_CHUNK_ROWS ? nthreads : 1, halfstep_entry, h);
	return h->status;
}

/*
 * One half-iteration: solves the rows of R (users or items) with F fixed, on the
 * threads, with OpenBLAS single-threaded inside them.
 */
static int
half_step(const AlsParams *p, const AlsCsr *a, const double *F, double *R, const double *G,
		  const double *reg, double *extra, int with_obs, char *err, size_t errlen)
{
	HalfStep	h;
	int			status;

	memset(&h, 0, sizeof(h));
	h.p = p;
	h.a = a;
	h.F = F;
	h.R = R;
	h.G = G;
	h.reg = reg;
	h.extra = extra;
	h.with_obs = with_obs;
	als_blas_threads(1);
	status = halfstep_run(&h);
	als_blas_threads(p->blas_threads);
	if (status != ALS_OK)
		snprintf(err, errlen, "%s", h.msg);
	return status;
}

int
als_fit(const AlsCsr *ui, const AlsCsr *iu, const AlsParams *p,
		double *X, double *Y, double *loss, char *err, size_t errlen)
{
	int			f = p->factors;
	int64_t		nu = ui->n_rows,
				ni = ui->n_cols;
	double	   *reg_u = malloc(sizeof(double) * (nu + 1));
	double	   *reg_i = malloc(sizeof(double) * (ni + 1));
	double	   *ext_u = malloc(sizeof(double) * (nu + 1));
	double	   *ext_i = malloc(sizeof(double) * (ni + 1));
	double	   *GX = malloc(sizeof(double) * f * f);
	double	   *GY = malloc(sizeof(double) * f * f);
	double		total_conf = (double) nu * (double) ni;
	int			status = ALS_OK;
	int			blas_saved = als_blas_threads(p->blas_threads);

	if (!reg_u || !reg_i || !ext_u || !ext_i || !GX || !GY)
	{
		status = ALS_NOMEM;
		snprintf(err, errlen, "out of memory for ALS work arrays");
		goto done;
	}
	for (int64_t k = 0; k < als_nnz(ui); k++)
		total_conf += p->alpha * ui->data[k];
	als_row_regularization(ui, p, reg_u);
	als_row_regularization(iu, p, reg_i);

	gram(Y, ni, f, GY);
	for (int it = 0; it < p->iterations; it++)
	{
		double		l;

		/* users, Y fixed */
		status = half_step(p, ui, Y, X, GY, reg_u, ext_u, 0, err, errlen);
		if (status != ALS_OK)
			goto done;
		gram(X, nu, f, GX);

		/* items, X fixed; their extra terms include the observed pairs at the final X, Y */
		status = half_step(p, iu, X, Y, GX, reg_i, ext_i, 1, err, errlen);
		if (status != ALS_OK)
			goto done;
		gram(Y, ni, f, GY);

		/* sum_{u,i} (x_u.y_i)^2 = <X'X, Y'Y>; the rest was summed per row, in row order */
		l = 0.0;
		for (int k = 0; k < f * f; k++)
			l += GX[k] * GY[k];
		for (int64_t u = 0; u < nu; u++)
			l += ext_u[u];
		for (int64_t i = 0; i < ni; i++)
			l += ext_i[i];
		loss[it] = total_conf > 0 ? l / total_conf : 0.0;
		if (p->interrupt && p->interrupt(p->interrupt_arg))
		{
			status = ALS_CANCELLED;
			snprintf(err, errlen, "canceled");
			goto done;
		}
	}
done:
	als_blas_threads(blas_saved);
	free(reg_u);
	free(reg_i);
	free(ext_u);
	free(ext_i);
	free(GX);
	free(GY);
	return status;
}

double
als_loss(const AlsCsr *ui, const AlsParams *p, const double *X, const double *Y,
		 const double *reg_u, const double *reg_i)
{
	int			f = p->factors;
	double		l = 0.0,
				total_conf = (double) ui->n_rows * (double) ui->n_cols;

	/* direct sum over every pair: for tests and small data only */
	for (int64_t u = 0; u < ui->n_rows; u++)
	{
		int64_t		k = ui->indptr[u];

		for (int64_t i = 0; i < ui->n_cols; i++)
		{
			double		s = cblas_ddot(f, X + u * f, 1, Y + i * f, 1);

			if (k < ui->indptr[u + 1] && ui->indices[k] == i)
			{
				double		c = 1.0 + p->alpha * ui->data[k];

				l += c * (1.0 - s) * (1.0 - s);
				total_conf += p->alpha * ui->data[k];
				k++;
			}
			else
				l += s * s;
		}
		l += reg_u[u] * cblas_ddot(f, X + u * f, 1, X + u * f, 1);
	}
	for (int64_t i = 0; i < ui->n_cols; i++)
		l += reg_i[i] * cblas_ddot(f, Y + i * f, 1, Y + i * f, 1);
	return total_conf > 0 ? l / total_conf : 0.0;
}

/* ---------- every user's best unseen items (stored in the model for online calls) ---------- */

#define ALS_TOP_BLOCK 256		/* users per dgemm in als_top_items (amortizes packing Y) */

typedef struct TopWork
{
	const AlsCsr *ui;
	const double *X;
	const double *Y;
	int			f;
	int			k;
	double		y_norm_max;
	int32_t    *out;
	AlsInterruptFn interrupt;
	void	   *interrupt_arg;
	int64_t		next;			/* next unclaimed user (atomic) */
	int			stop;			/* atomic */
	int			status;
} TopWork;

static void
top_work(void *arg, int poll)
{
	TopWork    *w = arg;
	int64_t		nu = w->ui->n_rows;
	int32_t		ni = (int32_t) w->ui->n_cols;
	int			f = w->f;
	double	   *S = malloc(sizeof(double) * ALS_TOP_BLOCK * (size_t) ni);
	double	   *scratch = malloc(sizeof(double) * (size_t) ni);
	int32_t    *cand = malloc(sizeof(int32_t) * (size_t) ni);
	int32_t    *idx = malloc(sizeof(int32_t) * (size_t) w->k);
	double	   *sc = malloc(sizeof(double) * (size_t) w->k);

	if (!S || !scratch || !cand || !idx || !sc)
	{
		if (__atomic_exchange_n(&w->stop, 1, __ATOMIC_SEQ_CST) == 0)
			w->status = ALS_NOMEM;
		goto done;
	}
	for (;;)
	{
		int64_t		u0,
					nb;

		if (__atomic_load_n(&w->stop, __ATOMIC_RELAXED))
			break;
		if (poll && w->interrupt && w->interrupt(w->interrupt_arg))
		{
			if (__atomic_exchange_n(&w->stop, 1, __ATOMIC_SEQ_CST) == 0)
				w->status = ALS_CANCELLED;
			break;
		}
		u0 = __atomic_fetch_add(&w->next, ALS_TOP_BLOCK, __ATOMIC_RELAXED);
		if (u0 >= nu)
			break;
		nb = nu - u0 < ALS_TOP_BLOCK ? nu - u0 : ALS_TOP_BLOCK;
		/* candidates from one matrix product, then the exact canonical top k */
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int) nb, ni, f, 1.0,
					w->X + u0 * f, f, w->Y, f, 0.0, S, ni);
		for (int64_t b = 0; b < nb; b++)
		{
			int64_t		u = u0 + b;
			const double *x = w->X + u * f;
			int64_t		lo = w->ui->indptr[u],
						hi = w->ui->indptr[u + 1];
			int			got = topn_select_exact(S + b * ni, topn_error_bound(x, f, w->y_norm_max),
												w->Y, f, x, ni, w->ui->indices + lo, hi - lo,
												w->k, scratch, cand, idx, sc);

			for (int j = 0; j < w->k; j++)
				w->out[u * w->k + j] = j < got ? idx[j] : -1;
		}
	}
done:
	free(S);
	free(scratch);
	free(cand);
	free(idx);
	free(sc);
}

int
als_top_items(const AlsCsr *ui, const double *X, const double *Y, int f, int k, int threads,
			  AlsInterruptFn interrupt, void *interrupt_arg, int32_t *out)
{
	TopWork		w;
	int			saved;

	memset(&w, 0, sizeof(w));
	w.ui = ui;
	w.X = X;
	w.Y = Y;
	w.f = f;
	w.k = k;
	w.out = out;
	w.interrupt = interrupt;
	w.interrupt_arg = interrupt_arg;
	w.status = ALS_OK;
	for (int64_t i = 0; i < ui->n_cols; i++)
	{
		double		s = 0.0;

		for (int c = 0; c < f; c++)
			s += Y[i * f + c] * Y[i * f + c];
		if (!(sqrt(s) <= w.y_norm_max))
			w.y_norm_max = sqrt(s);	/* NaN propagates: then every item is rescored */
	}
	if (k < 1 || ui->n_rows == 0)
		return ALS_OK;
	/* the workers' products run on one BLAS thread each */
	saved = als_blas_threads(1);
	als_run_threads(threads < 1 ? 1 : threads, top_work, &w);
	als_blas_threads(saved);
	return w.status;
}

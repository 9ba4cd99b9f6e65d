/*
 * als.h -- implicit-feedback alternating least squares (Hu, Koren & Volinsky 2008), pure C.
 *
 * Model: preference p_ui = 1 for every stored (u, i) pair (weights are > 0), 0 elsewhere;
 * confidence c_ui = 1 + alpha * w_ui (1 for pairs not stored).  ALS minimises
 *     sum_{u,i} c_ui (p_ui - x_u.y_i)^2 + sum_u lambda_u |x_u|^2 + sum_i lambda_i |y_i|^2
 * with lambda_u = regularization * (m_u / mean_u m_u)^nu, m_u = n_items + alpha * sum_i w_ui
 * (the user's total confidence; nu = 0 is the plain constant regularization of Hu et al.,
 * nu = 1 the frequency-scaled one of Rendle et al. 2022), and the same for items.
 *
 * Each half-iteration computes the Gram matrix Y'Y once (dsyrk, BLAS threads allowed), then
 * solves every row on worker threads (BLAS forced to one thread there) either exactly
 * (Cholesky, LAPACK dposv) or with a few warm-started conjugate-gradient steps (Takacs et
 * al. 2011, as the `implicit` library does).  Results do not depend on thread scheduling.
 *
 * The caller owns every buffer (the PostgreSQL glue allocates them in a memory context);
 * worker threads only malloc/free their own small scratch.  No PostgreSQL header here.
 */
#ifndef MKTDB_ALS_H
#define MKTDB_ALS_H

#include <stddef.h>
#include <stdint.h>

/* Compressed sparse rows: row r has entries indptr[r] .. indptr[r+1]-1, columns ascending. */
typedef struct AlsCsr
{
	int64_t		n_rows;
	int64_t		n_cols;
	int64_t    *indptr;			/* n_rows + 1 */
	int32_t    *indices;		/* nnz */
	double	   *data;			/* nnz weights (> 0) */
} AlsCsr;

typedef enum AlsSolver
{
	ALS_SOLVER_CG = 0,
	ALS_SOLVER_CHOLESKY = 1
} AlsSolver;

/* Polled on the calling thread only; a non-zero return stops the fit (ALS_CANCELLED). */
typedef int (*AlsInterruptFn) (void *arg);

typedef struct AlsParams
{
	int			factors;
	int			iterations;
	double		regularization;
	double		alpha;
	double		reg_exponent;	/* nu above, in [0, 1] */
	uint64_t	seed;
	AlsSolver	solver;
	int			cg_steps;		/* CG steps per row and half-iteration (3 in `implicit`) */
	int			threads;		/* worker threads, >= 1 */
	int			blas_threads;	/* BLAS threads for the Gram matrices, >= 1 */
	AlsInterruptFn interrupt;
	void	   *interrupt_arg;
} AlsParams;

enum
{
	ALS_OK = 0,
	ALS_CANCELLED = 1,
	ALS_NOMEM = 2,
	ALS_NUMERIC = 3				/* a system matrix was not positive definite */
};

/* nnz of a CSR */
static inline int64_t
als_nnz(const AlsCsr *a)
{
	return a->indptr[a->n_rows];
}

/* Fills t (buffers sized n_cols+1 / nnz by the caller) with the transpose of a; columns stay sorted. */
void		als_csr_transpose(const AlsCsr *a, AlsCsr *t);

/*
 * Deterministic initial factors: every entry of X and Y is normal with mean 0 and standard
 * deviation 0.1 / sqrt(factors) (Rendle et al. 2022; 0.2.0's uniform [0, 0.01) start gave every
 * factor the same sign, one shared direction the fit first has to undo: 0.931 against 0.939 of
 * EASE on msweb), from a SplitMix64 stream started at seed through Box-Muller (two values per
 * entry, cosine branch; Y first, row-major, then X), as the reference script does.
 */
void		als_init_factors(uint64_t seed, int64_t n_users, int64_t n_items, int factors,
							 double *X, double *Y);

/*
 * Fits X (n_users x factors, row-major) and Y (n_items x factors) from their initial values.
 * ui is the user x item matrix, iu its transpose.  loss[iterations] receives the loss after
 * each iteration (see als_loss).  Returns ALS_OK or an error code; err gets a short message.
 */
int			als_fit(const AlsCsr *ui, const AlsCsr *iu, const AlsParams *p,
					double *X, double *Y, double *loss, char *err, size_t errlen);

/*
 * The objective above divided by the total confidence sum_{u,i} c_ui
 * (= n_users * n_items + alpha * sum w), so that it is comparable across data sizes.
 */
double		als_loss(const AlsCsr *ui, const AlsParams *p, const double *X, const double *Y,
					 const double *reg_u, const double *reg_i);

/* Per-row regularization lambda_r as defined above, for the rows of a (users for ui, items for iu). */
void		als_row_regularization(const AlsCsr *a, const AlsParams *p, double *reg);

/*
 * Every user's best k items not in its row of ui (canonical scores topn_dot of X row u and Y
 * rows, ties to the lower index, exactly as topn_select over topn_scores), best first:
 * out[u * k + j], -1 after the last when fewer items are left.  Blocks of users are scored with
 * dgemm on `threads` threads (BLAS on one thread inside each), and only the candidates near
 * the k-th best are rescored.  Polls interrupt on the calling thread.  Returns ALS_OK,
 * ALS_CANCELLED or ALS_NOMEM.
 */
int			als_top_items(const AlsCsr *ui, const double *X, const double *Y, int f, int k, int threads,
						  AlsInterruptFn interrupt, void *interrupt_arg, int32_t *out);

/* Sets OpenBLAS's thread count, returning the previous one (online calls use 1). */
int			als_blas_threads(int n);

#endif

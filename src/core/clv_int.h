/*
 * clv_int.h -- internals shared by the customer-lifetime-value core files (clv_lik.c,
 * clv_fit.c, clv_score.c): the deterministic sum over rows on threads, small log-space
 * helpers and the Pareto/NBD likelihood's two terms.  Not part of the API (clv.h).
 */
#ifndef MKTDB_CORE_CLV_INT_H
#define MKTDB_CORE_CLV_INT_H

#include "clv.h"

#define CLV_NPAR 4				/* the most parameters of a model */
#define CLV_NSUM 16				/* the most sums one pass over the rows returns */

/* index of (i, j), i <= j, in a packed upper triangle of 4 x 4 */
#define UT(i, j) ((i) * 4 - (i) * ((i) - 1) / 2 + (j) - (i))

/* writes the sums over rows [i0, i1) into out[0..nout) (out is zeroed by the caller) */
typedef void (*ClvRowsFn) (const void *arg, int64_t i0, int64_t i1, double *out);

/*
 * out[0..nout) = the sums fn writes over rows [0, n): fixed blocks of rows summed in block
 * order, so the result depends neither on the thread count nor on timing.
 */
void		clv_sum_rows(int threads, int64_t n, ClvRowsFn fn, const void *arg, double *out, int nout);

/*
 * a model's sums over rows, o = {loglik, gradient (4), Hessian (packed upper triangle of 4 x 4,
 * row by row)}, into grad (4) and hess (4 x 4), either may be NULL; returns the loglik (NaN
 * when not finite)
 */
double		clv_unpack_sums(const double *o, double *grad, double *hess);

/* log(exp(u) + exp(v)) */
double		clv_logaddexp(double u, double v);

/* logs of the two terms of the Pareto/NBD likelihood bracket: alive throughout, died in (t_x, T] */
void		clv_pnbd_terms(const double *p, double x, double tx, double T, double *l_alive, double *l_dead);

/*
 * BG/NBD in the limit a + b -> infinity at (r, alpha, p): log-likelihood, gradient and
 * Hessian (may be NULL) with respect to (log r, log alpha, logit p) in the first three
 * places of 4 (and 4 x 4).
 */
double		clv_bgnbd_limit_loglik(const double *p, const ClvCustomers *c, double *grad, double *hess);

/*
 * Pareto/NBD's total log-likelihood by quadrature (clv_pnbd.c): p = (r, alpha, s, beta), or
 * with limit (r, alpha, mu) of the limit s, beta -> infinity; gradient (4) and Hessian
 * (4 x 4) with respect to the log-parameters (limit: the first three places), either may
 * be NULL; op (may be NULL): sum over customers of (d l / d log mu)^2 (limit only).
 */
double		clv_pnbd_loglik(const double *p, int limit, const ClvCustomers *c, double *grad, double *hess,
							double *op);

/* log A (alive at T) and log D (died in (t_x, T], -inf when t_x = T) of one customer, as clv_pnbd_loglik */
void		clv_pnbd_bracket(const double *p, int limit, double x, double tx, double T, double *l_alive,
							 double *l_dead);

/*
 * Gamma-Gamma as clv_gg_loglik2 with log m per row from lm (it does not depend on the
 * parameters: one log per row for the whole fit instead of one per evaluation); lm NULL:
 * computed per evaluation.
 */
double		clv_gg_loglik_pre(const double *par, int64_t n, const int32_t *x, const double *m, const double *lm,
							  int threads, double *grad, double *hess);

#endif

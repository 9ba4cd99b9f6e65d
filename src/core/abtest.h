/*
 * abtest.h -- campaign evaluation, pure C: per-variant moments that combine exactly
 * (Welford within a partial state, Chan et al. between states), the tests R runs
 * (prop.test without continuity correction, Welch's t.test, chisq.test for the
 * sample-ratio check, p.adjust "holm"), CUPED, the n of power.prop.test and
 * power.t.test, and Beta-posterior probabilities and expected losses, exact.
 */
#ifndef MKTDB_ABTEST_H
#define MKTDB_ABTEST_H

/* the aggregate state: float8[MK_AB_NSTATE] */
enum
{
	MK_AB_N = 0,				/* rows */
	MK_AB_MEAN_Y,
	MK_AB_M2_Y,					/* sum of squared deviations of y */
	MK_AB_MEAN_X,
	MK_AB_M2_X,
	MK_AB_C_XY,					/* sum of cross deviations */
	MK_AB_NONBINARY,			/* rows whose y is neither 0 nor 1 */
	MK_AB_SUM_Y,				/* plain sum (exact conversions for 0/1 metrics) */
	MK_AB_NSTATE
};

void		mk_ab_add(double *s, double y, double x);	/* x: 0 when there is no covariate */
void		mk_ab_combine(double *a, const double *b);	/* a += b */

/* the result of one treatment-vs-control comparison */
typedef struct MkAbCmp
{
	double		diff,
				ci_lo,
				ci_hi,
				p_value;		/* NaN when the test is undefined (R gives NaN) */
} MkAbCmp;

/* R's prop.test(c(xt, xc), c(nt, nc), correct = FALSE, conf.level = 1 - alpha) */
void		mk_prop_test(double xt, double nt, double xc, double nc, double alpha, MkAbCmp *r);

/*
 * R's t.test(yt, yc, var.equal = FALSE, conf.level = 1 - alpha) from means, sample
 * variances and counts.  Returns 0, or -1 when n < 2 in an arm, -2 when the data are
 * essentially constant (R's error "data are essentially constant").
 */
int			mk_welch_test(double mt, double vt, double nt, double mc, double vc, double nc,
						  double alpha, MkAbCmp *r);

/* R's chisq.test(counts, p = p)$p.value (p sums to 1) */
double		mk_chisq_gof_p(const double *counts, const double *p, int k);

/* R's p.adjust(p, "holm"); NaN entries are left out of the family and stay NaN */
void		mk_holm(const double *p, double *adj, int k);

/*
 * CUPED: theta = cov(y, x) / var(x) over the pooled state; each state's y replaced by
 * y - theta (x - mean x).  Returns -1 when x is constant.  mean/var: k outputs.
 */
int			mk_cuped(double *const *states, int k, double *theta, double *mean, double *var);

/* per-group n of power.prop.test / power.t.test (two-sided, two-sample); NaN: no root */
double		mk_power_prop_n(double p1, double p2, double alpha, double power);
double		mk_power_t_n(double delta, double sd, double alpha, double power);

/* the longest exact sum mk_ab_bayes runs */
#define MK_AB_BAYES_MAX_TERMS 1e9

/*
 * Beta posteriors p_c ~ Beta(ac, bc), p_t ~ Beta(at, bt): P(p_t > p_c) and the expected
 * losses E[max(p_c - p_t, 0)] (choosing treatment) and E[max(p_t - p_c, 0)], by the exact
 * finite sum when one of at, bc, ac, bt is an integer of at most MK_AB_BAYES_MAX_TERMS,
 * else (no integer parameter: a Jeffreys prior, say) by adaptive Gauss-Kronrod quadrature
 * to about 1e-15 of the result.  Returns -1 when no sum applies and a parameter exceeds
 * MK_AB_BAYES_MAX_TERMS.
 */
int			mk_ab_bayes(double ac, double bc, double at, double bt,
						double *prob, double *loss_t, double *loss_c);

/* P(Y > X), X ~ Beta(a1, b1), Y ~ Beta(a2, b2), by quadrature (mk_ab_bayes' other path) */
double		mk_ab_beta_gt_quad(double a1, double b1, double a2, double b2);

#endif

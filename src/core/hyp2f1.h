/*
 * hyp2f1.h -- the Gauss hypergeometric function 2F1(a, b; c; z) for real arguments with
 * -1 <= z < 1, as the customer-lifetime-value models need it (core/clv_lik.c and
 * clv_score.c): Pareto/NBD's likelihood, P(alive) and conditional expectation, BG/NBD's
 * conditional expectation.  Pure C.
 */
#ifndef MKTDB_CORE_HYP2F1_H
#define MKTDB_CORE_HYP2F1_H

/*
 * Sets *f = 2F1(a, b; c; z).  Returns 0, or -1 when z is outside [-1, 1), c is a pole
 * (0, -1, -2, ...), an argument is not finite, or the series did not converge.
 */
int			hyp2f1(double a, double b, double c, double z, double *f);

#endif

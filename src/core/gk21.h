/*
 * gk21.h -- the 21-point Gauss-Kronrod rule on [-1, 1] (QUADPACK's qk21): nodes +-gk21_x
 * (gk21_x[10] = 0, the centre), Kronrod weights gk21_wk; the embedded 10-point Gauss rule
 * has the nodes +-gk21_x[1], [3], ..., [9] with the weights gk21_wg.  Shared by
 * ab_bayes's quadrature (abtest.c) and Pareto/NBD's likelihood (clv_pnbd.c).
 */
#ifndef MKTDB_CORE_GK21_H
#define MKTDB_CORE_GK21_H

#include <float.h>
#include <math.h>

static const double gk21_x[11] = {
	0.995657163025808080735527280689003, 0.973906528517171720077964012084452,
	0.930157491355708226001207180059508, 0.865063366688984510732096688423493,
	0.780817726586416897063717578345042, 0.679409568299024406234327365114874,
	0.562757134668604683339000099272694, 0.433395394129247190799265943165784,
	0.294392862701460198131126603103866, 0.148874338981631210884826001129720, 0};
static const double gk21_wk[11] = {
	0.011694638867371874278064396062192, 0.032558162307964727478818972459390,
	0.054755896574351996031381300244580, 0.075039674810919952767043140916190,
	0.093125454583697605535065465083366, 0.109387158802297641899210590325805,
	0.123491976262065851077208980216070, 0.134709217311473325928054001771707,
	0.142775938577060080797094273138717, 0.147739104901338491374841515972068,
	0.149445554002916905664936468389821};
static const double gk21_wg[5] = {	/* Gauss weights of gk21_x[1], gk21_x[3], ..., gk21_x[9] */
	0.066671344308688137593568809893332, 0.149451349150580593145776339657697,
	0.219086362515982043995534934228163, 0.269266719309996355091226921569469,
	0.295524224714752870173892994651338};

/*
 * The 21-point Kronrod estimate of an integral over an interval of half-width h from the
 * integrand's values fv (fv[2i], fv[2i + 1] at centre -+ h gk21_x[i], fv[20] at the centre),
 * with QUADPACK's (qk21) error estimate in *err: |Kronrod - Gauss| scaled by the integrand's
 * spread, at least 50 epsilon of the integral of |f|.
 */
static inline double
gk21_estimate(const double *fv, double h, double *err)
{
	double		k = gk21_wk[10] * fv[20],
				g = 0,
				rabs = fabs(k),
				rasc,
				mean,
				e;

	for (int i = 0; i < 10; i++)
	{
		k += gk21_wk[i] * (fv[2 * i] + fv[2 * i + 1]);
		rabs += gk21_wk[i] * (fabs(fv[2 * i]) + fabs(fv[2 * i + 1]));
		if (i % 2 == 1)
			g += gk21_wg[i / 2] * (fv[2 * i] + fv[2 * i + 1]);
	}
	mean = 0.5 * k;
	rasc = gk21_wk[10] * fabs(fv[20] - mean);
	for (int i = 0; i < 10; i++)
		rasc += gk21_wk[i] * (fabs(fv[2 * i] - mean) + fabs(fv[2 * i + 1] - mean));
	e = fabs(k - g) * h;
	rasc *= h;
	rabs *= h;
	if (rasc != 0 && e != 0)
		e = rasc * fmin(1, pow(200 * e / rasc, 1.5));
	if (rabs > DBL_MIN / (50 * DBL_EPSILON))
		e = fmax(50 * DBL_EPSILON * rabs, e);
	*err = e;
	return k * h;
}

#endif

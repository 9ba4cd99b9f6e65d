/*
 * msprt.c -- the mixture SPRT for a difference (see msprt.h).  With the difference
 * diff ~ N(theta, v) at a look and theta ~ N(0, tau^2) under the alternative, the
 * mixture likelihood ratio against theta = 0 is
 *     Lambda = sqrt(v / (v + tau^2)) exp(tau^2 diff^2 / (2 v (v + tau^2))),
 * a nonnegative martingale under the null, so P(sup Lambda >= 1/alpha) <= alpha (Ville):
 * p = min over looks of 1/Lambda is valid at any stopping time, and the set of theta not
 * rejected, diff -/+ sqrt(v (v + tau^2) / tau^2 (log((v + tau^2) / v) - 2 log alpha)),
 * intersected over looks, is a confidence sequence.
 */
#include "core/msprt.h"

#include <math.h>

void
mk_msprt_init(MkMsprt *s)
{
	s->p = 1;
	s->lo = -INFINITY;
	s->hi = INFINITY;
}

int
mk_msprt_look(MkMsprt *s, double diff, double v, double tau, double alpha)
{
	double		t2 = tau * tau,
				llam,
				half;

	if (!(v > 0) || !isfinite(v) || !isfinite(diff) || !(tau > 0))
		return 0;
	llam = 0.5 * log(v / (v + t2)) + t2 * diff * diff / (2 * v * (v + t2));
	s->p = fmin(s->p, exp(-llam));
	half = sqrt(v * (v + t2) / t2 * (log((v + t2) / v) - 2 * log(alpha)));
	s->lo = fmax(s->lo, diff - half);
	s->hi = fmin(s->hi, diff + half);
	return 1;
}

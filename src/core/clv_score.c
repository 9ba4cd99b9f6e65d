/*
 * clv_score.c -- scoring with fitted customer-lifetime-value models (see clv.h): P(alive),
 * the conditional expectation of purchases (BG/NBD through 2F1, Pareto/NBD in closed form),
 * its discounted sum, and Gamma-Gamma's conditional mean spend.  BG/NBD in the limit
 * a + b -> infinity (CLV_AB_LIMIT) uses that limit's closed forms, Pareto/NBD in the limit
 * s, beta -> infinity (CLV_S_LIMIT) its own (P(alive) through clv_pnbd.c's quadrature).
 * Pure C.
 */
#include "clv_int.h"
#include "hyp2f1.h"

#include <math.h>

double
clv_p_alive(int model, const double *p, double x, double tx, double T)
{
	if (model == CLV_BGNBD)
	{
		double		r = p[0],
					al = p[1],
					a = p[2],
					b = p[3];
		/* a / (b + x - 1) tends to p / (1 - p) = a / b as a + b -> infinity */
		double		lq = a + b >= CLV_AB_LIMIT ? log(a / b) : log(a / (b + x - 1));

		if (x <= 0)
			return 1.0;
		return 1.0 / (1.0 + exp(lq + (r + x) * (log(al + T) - log(al + tx))));
	}
	else
	{
		double		la,
					ld;

		clv_pnbd_terms(p, x, tx, T, &la, &ld);
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
		double		num,
					den;

		if (a + b >= CLV_AB_LIMIT)
		{
			/*
			 * the limit: (a + b + x - 1) / (a - 1) -> 1 / p and 2F1(r + x, b + x; a + b + x - 1; z)
			 * -> (1 - (1 - p) z)^-(r + x), so num = (1 - ((alpha + T) / (alpha + T + p t))^(r + x)) / p
			 */
			double		pp = a / (a + b);

			num = -expm1((r + x) * log1p(-pp * t / (al + T + pp * t))) / pp;
			den = x > 0 ? 1.0 + a / b * exp((r + x) * log((al + T) / (al + tx))) : 1.0;
		}
		else
		{
			double		f;

			if (hyp2f1(r + x, b + x, a + b + x - 1, t / (al + T + t), &f) != 0)
				return NAN;
			num = (a + b + x - 1) / (a - 1) * (1.0 - exp((r + x) * log((al + T) / (al + T + t))) * f);
			den = x > 0 ? 1.0 + a / (b + x - 1) * exp((r + x) * log((al + T) / (al + tx))) : 1.0;
		}
		return num / den;
	}
	else
	{
		double		s = p[2],
					be = p[3];
		double		pa = clv_p_alive(model, p, x, tx, T);

		/*
		 * alive at T, lambda ~ Gamma(r + x, alpha + T), the remaining lifetime exponential
		 * with rate mu: E[min(life, t)] = (1 - e^(-mu t)) / mu (the formula below's limit)
		 */
		if (s >= CLV_S_LIMIT)
		{
			double		mu = s / be;

			return (r + x) / (al + T) * -expm1(-mu * t) / mu * pa;
		}
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

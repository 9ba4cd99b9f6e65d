/*
 * optim.c -- quasi-Newton minimisation as R's optim(method = "BFGS") does it: the variable
 * metric method of Nash (1990, "vmmin") on parameters divided by parscale, a backtracking
 * line search (step * 0.2, Armijo constant 1e-4), stop when the relative change of the
 * objective is below reltol, central-difference gradients with step ndeps on the scaled
 * parameters, and R's optimhess() for the Hessian at the optimum.  Doing exactly what R does
 * (not just something equivalent) is what makes the ARIMA estimates agree with R's.
 * Pure C; the caller gives the work space.
 */
#include "arima.h"

#include <math.h>
#include <string.h>

#define STEPREDN 0.2
#define ACCTOL 0.0001
#define RELTEST 10.0

void
optim_defaults(OptimControl *c)
{
	c->maxit = 100;
	c->reltol = 1.490116119384765625e-8;	/* sqrt(.Machine$double.eps) */
	c->abstol = -INFINITY;
	c->parscale = NULL;
	c->ndeps = 1e-3;
	c->cancel = NULL;
}

size_t
optim_work_doubles(int n)
{
	/* x (unscaled evaluation point), g, t, X, c, B (n x n), and two gradients for the Hessian */
	return (size_t) 7 * n + (size_t) n * n;
}

static inline double
pscale(const OptimControl *ctl, int i)
{
	return ctl->parscale ? ctl->parscale[i] : 1.0;
}

/* fn at the scaled point b: x = b * parscale (R's fminfn) */
static double
eval_scaled(int n, const double *b, double *x, OptimFn fn, void *ex, const OptimControl *ctl)
{
	for (int i = 0; i < n; i++)
		x[i] = b[i] * pscale(ctl, i);
	return fn(n, x, ex);
}

/* R's fmingr without an analytic gradient: central differences of step ndeps on b. */
static int
num_grad(int n, const double *b, double *df, double *x, OptimFn fn, void *ex, const OptimControl *ctl)
{
	for (int i = 0; i < n; i++)
		x[i] = b[i] * pscale(ctl, i);
	for (int i = 0; i < n; i++)
	{
		double		eps = ctl->ndeps;
		double		v1,
					v2;

		x[i] = (b[i] + eps) * pscale(ctl, i);
		v1 = fn(n, x, ex);
		x[i] = (b[i] - eps) * pscale(ctl, i);
		v2 = fn(n, x, ex);
		df[i] = (v1 - v2) / (2 * eps);
		if (!isfinite(df[i]))
			return -2;
		x[i] = b[i] * pscale(ctl, i);
	}
	return 0;
}

int
optim_bfgs(int n, double *par, double *fmin, OptimFn fn, void *ex, const OptimControl *ctl,
		   double *work, int *fncount)
{
	double	   *x = work;
	double	   *g = x + n;
	double	   *t = g + n;
	double	   *X = t + n;
	double	   *c = X + n;
	double	   *B = c + n;		/* lower triangle used, B[i * n + j] for j <= i */
	double	   *b = B + (size_t) n * n;
	double		f,
				Fmin,
				gradproj,
				steplength;
	int			count,
				funcount,
				gradcount,
				ilast,
				iter = 0;
	int			accpoint,
				enough;

	for (int i = 0; i < n; i++)
		b[i] = par[i] / pscale(ctl, i);

	if (ctl->maxit <= 0)
	{
		*fmin = eval_scaled(n, b, x, fn, ex, ctl);
		if (fncount)
			*fncount = 1;
		return 0;
	}
	if (n == 0)
	{
		*fmin = fn(0, par, ex);
		if (fncount)
			*fncount = 1;
		return isfinite(*fmin) ? 0 : -1;
	}

	f = eval_scaled(n, b, x, fn, ex, ctl);
	if (!isfinite(f))
		return -1;
	Fmin = f;
	funcount = gradcount = 1;
	if (num_grad(n, b, g, x, fn, ex, ctl))
		return -2;
	funcount += 2 * n;
	iter++;
	ilast = gradcount;

	do
	{
		if (ctl->cancel && *ctl->cancel)
			return -3;
		if (ilast == gradcount)
		{
			for (int i = 0; i < n; i++)
			{
				for (int j = 0; j < i; j++)
					B[i * n + j] = 0.0;
				B[i * n + i] = 1.0;
			}
		}
		for (int i = 0; i < n; i++)
		{
			X[i] = b[i];
			c[i] = g[i];
		}
		gradproj = 0.0;
		for (int i = 0; i < n; i++)
		{
			double		s = 0.0;

			for (int j = 0; j <= i; j++)
				s -= B[i * n + j] * g[j];
			for (int j = i + 1; j < n; j++)
				s -= B[j * n + i] * g[j];
			t[i] = s;
			gradproj += s * g[i];
		}

		if (gradproj < 0.0)
		{
			/* downhill: backtrack until the Armijo condition holds or nothing moves */
			steplength = 1.0;
			accpoint = 0;
			do
			{
				count = 0;
				for (int i = 0; i < n; i++)
				{
					b[i] = X[i] + steplength * t[i];
					if (RELTEST + X[i] == RELTEST + b[i])
						count++;
				}
				if (count < n)
				{
					f = eval_scaled(n, b, x, fn, ex, ctl);
					funcount++;
					accpoint = isfinite(f) && (f <= Fmin + gradproj * steplength * ACCTOL);
					if (!accpoint)
						steplength *= STEPREDN;
				}
			} while (!(count == n || accpoint));
			enough = (f > ctl->abstol) && fabs(f - Fmin) > ctl->reltol * (fabs(Fmin) + ctl->reltol);
			if (!enough)
			{
				count = n;
				Fmin = f;
			}
			if (count < n)
			{
				double		D1 = 0.0;

				Fmin = f;
				if (num_grad(n, b, g, x, fn, ex, ctl))
					return -2;
				funcount += 2 * n;
				gradcount++;
				iter++;
				for (int i = 0; i < n; i++)
				{
					t[i] = steplength * t[i];
					c[i] = g[i] - c[i];
					D1 += t[i] * c[i];
				}
				if (D1 > 0)
				{
					double		D2 = 0.0;

					for (int i = 0; i < n; i++)
					{
						double		s = 0.0;

						for (int j = 0; j <= i; j++)
							s += B[i * n + j] * c[j];
						for (int j = i + 1; j < n; j++)
							s += B[j * n + i] * c[j];
						X[i] = s;
						D2 += s * c[i];
					}
					D2 = 1.0 + D2 / D1;
					for (int i = 0; i < n; i++)
						for (int j = 0; j <= i; j++)
							B[i * n + j] += (D2 * t[i] * t[j] - X[i] * t[j] - t[i] * X[j]) / D1;
				}
				else
					ilast = gradcount;	/* not positive definite: reset */
			}
			else
			{
				/* no progress: reset once */
				if (ilast < gradcount)
				{
					count = 0;
					ilast = gradcount;
				}
			}
		}
		else
		{
			/* uphill: reset unless just reset */
			count = 0;
			if (ilast == gradcount)
				count = n;
			else
				ilast = gradcount;
		}
		if (iter >= ctl->maxit)
			break;
		if (gradcount - ilast > 2 * n)
			ilast = gradcount;	/* periodic restart */
	} while (count != n || ilast != gradcount);

	for (int i = 0; i < n; i++)
		par[i] = b[i] * pscale(ctl, i);
	*fmin = Fmin;
	if (fncount)
		*fncount = funcount;
	return iter < ctl->maxit ? 0 : 1;
}

int
optim_hessian(int n, const double *par, OptimFn fn, void *ex, const OptimControl *ctl,
			  double *H, double *work)
{
	double	   *x = work;
	double	   *df1 = x + n;
	double	   *df2 = df1 + n;
	double	   *dpar = df2 + n;

	for (int i = 0; i < n; i++)
		dpar[i] = par[i] / pscale(ctl, i);
	for (int i = 0; i < n; i++)
	{
		double		eps = ctl->ndeps / pscale(ctl, i);

		dpar[i] = dpar[i] + eps;
		if (num_grad(n, dpar, df1, x, fn, ex, ctl))
			return -2;
		dpar[i] = dpar[i] - 2 * eps;
		if (num_grad(n, dpar, df2, x, fn, ex, ctl))
			return -2;
		for (int j = 0; j < n; j++)
			H[i * n + j] = (df1[j] - df2[j]) / (2 * eps * pscale(ctl, i) * pscale(ctl, j));
		dpar[i] = dpar[i] + eps;
	}
	for (int i = 0; i < n; i++)
		for (int j = 0; j < i; j++)
		{
			double		m = 0.5 * (H[i * n + j] + H[j * n + i]);

			H[i * n + j] = H[j * n + i] = m;
		}
	return 0;
}

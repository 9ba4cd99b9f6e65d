/*
 * nmmin.c -- R's Nelder-Mead (nmmin in R's src/appl/optim.c, after Nash 1990), step by step:
 * the initial simplex from a step of 0.1 * max |par|, reflection, extension, contraction and
 * shrink in R's order, non-finite values replaced by 1e35, stop when the spread of the simplex's
 * values is below reltol * (|f0| + reltol).  Pure C, no allocation.
 */
#include "nmmin.h"

#include <math.h>
#include <string.h>

#define BIG 1.0e+35

int
nm_minimize(int n, double *Bvec, double *fmin, NmFn fn, void *ex, double abstol, double intol,
			double alpha, double bet, double gamm, int maxit, int *fncount)
{
	double		P[NM_MAX_PAR + 1][NM_MAX_PAR + 2];	/* P[i][j]: coordinate i (row n: value) of vertex j */
	int			C,
				H,
				L = 1,
				n1,
				funcount,
				fail = 0;
	int			calcvert;
	double		convtol,
				f,
				oldsize,
				size,
				step,
				temp,
				trystep,
				VH,
				VL,
				VR;

	if (n < 1 || n > NM_MAX_PAR)
		return -1;
	if (maxit <= 0)
	{
		*fmin = fn(n, Bvec, ex);
		if (fncount)
			*fncount = 0;
		return 0;
	}
	f = fn(n, Bvec, ex);
	if (!isfinite(f))
		return -1;
	funcount = 1;
	convtol = intol * (fabs(f) + intol);
	n1 = n + 1;
	C = n + 2;
	P[n1 - 1][0] = f;
	for (int i = 0; i < n; i++)
		P[i][0] = Bvec[i];
	size = 0.0;
	step = 0.0;
	for (int i = 0; i < n; i++)
		if (0.1 * fabs(Bvec[i]) > step)
			step = 0.1 * fabs(Bvec[i]);
	if (step == 0.0)
		step = 0.1;
	for (int j = 2; j <= n1; j++)
	{
		for (int i = 0; i < n; i++)
			P[i][j - 1] = Bvec[i];
		trystep = step;
		while (P[j - 2][j - 1] == Bvec[j - 2])
		{
			P[j - 2][j - 1] = Bvec[j - 2] + trystep;
			trystep *= 10;
		}
		size += trystep;
	}
	oldsize = size;
	calcvert = 1;
	do
	{
		if (calcvert)
		{
			for (int j = 0; j < n1; j++)
				if (j + 1 != L)
				{
					for (int i = 0; i < n; i++)
						Bvec[i] = P[i][j];
					f = fn(n, Bvec, ex);
					if (!isfinite(f))
						f = BIG;
					funcount++;
					P[n1 - 1][j] = f;
				}
			calcvert = 0;
		}
		VL = P[n1 - 1][L - 1];
		VH = VL;
		H = L;
		for (int j = 1; j <= n1; j++)
			if (j != L)
			{
				f = P[n1 - 1][j - 1];
				if (f < VL)
				{
					L = j;
					VL = f;
				}
				if (f > VH)
				{
					H = j;
					VH = f;
				}
			}
		if (VH <= VL + convtol || VL <= abstol)
			break;
		for (int i = 0; i < n; i++)
		{
			temp = -P[i][H - 1];
			for (int j = 0; j < n1; j++)
				temp += P[i][j];
			P[i][C - 1] = temp / n;
		}
		for (int i = 0; i < n; i++)
			Bvec[i] = (1.0 + alpha) * P[i][C - 1] - alpha * P[i][H - 1];
		f = fn(n, Bvec, ex);
		if (!isfinite(f))
			f = BIG;
		funcount++;
		VR = f;
		if (VR < VL)
		{
			P[n1 - 1][C - 1] = f;
			for (int i = 0; i < n; i++)
			{
				f = gamm * Bvec[i] + (1 - gamm) * P[i][C - 1];
				P[i][C - 1] = Bvec[i];
				Bvec[i] = f;
			}
			f = fn(n, Bvec, ex);
			if (!isfinite(f))
				f = BIG;
			funcount++;
			if (f < VR)
			{
				for (int i = 0; i < n; i++)
					P[i][H - 1] = Bvec[i];
				P[n1 - 1][H - 1] = f;
			}
			else
			{
				for (int i = 0; i < n; i++)
					P[i][H - 1] = P[i][C - 1];
				P[n1 - 1][H - 1] = VR;
			}
		}
		else
		{
			if (VR < VH)
			{
				for (int i = 0; i < n; i++)
					P[i][H - 1] = Bvec[i];
				P[n1 - 1][H - 1] = VR;
			}
			for (int i = 0; i < n; i++)
				Bvec[i] = (1 - bet) * P[i][H - 1] + bet * P[i][C - 1];
			f = fn(n, Bvec, ex);
			if (!isfinite(f))
				f = BIG;
			funcount++;
			if (f < P[n1 - 1][H - 1])
			{
				for (int i = 0; i < n; i++)
					P[i][H - 1] = Bvec[i];
				P[n1 - 1][H - 1] = f;
			}
			else if (VR >= VH)
			{
				/* shrink towards the best vertex */
				calcvert = 1;
				size = 0.0;
				for (int j = 0; j < n1; j++)
					if (j + 1 != L)
						for (int i = 0; i < n; i++)
						{
							P[i][j] = bet * (P[i][j] - P[i][L - 1]) + P[i][L - 1];
							size += fabs(P[i][j] - P[i][L - 1]);
						}
				if (size < oldsize)
					oldsize = size;
				else
				{
					fail = 10;
					break;
				}
			}
		}
	} while (funcount <= maxit);

	*fmin = P[n1 - 1][L - 1];
	for (int i = 0; i < n; i++)
		Bvec[i] = P[i][L - 1];
	if (funcount > maxit)
		fail = 1;
	if (fncount)
		*fncount = funcount;
	return fail;
}

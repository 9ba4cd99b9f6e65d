/*
 * nmmin.c -- R's Nelder-Mead (nmmin in R's src/appl/optim.c, after Nash 1990), step by step:
 * the initial simplex from a step of 0.1 * max |par|, reflection, extension, contraction and
 * shrink in R's order, non-finite values replaced by 1e35, stop when the spread of the simplex's
 * values is below reltol * (|f0| + reltol).
 *
 * Written "reverse communication" (NmState: the caller evaluates each point the optimiser asks for
 * and feeds the value back), so that a caller can run several minimisations in lock step and
 * evaluate their points together (ets_fit.c fits the trend variants of one ETS class so, one pass over
 * the series for all of them).  nm_minimize() is the ordinary call-back form on top of it; both take
 * exactly R's path.  Pure C, no allocation.
 */
#include "nmmin.h"

#include <math.h>
#include <string.h>

#define BIG 1.0e+35

enum
{
	NM_FIRST_ONLY = 1,			/* maxit <= 0: one evaluation, no search */
	NM_FIRST,					/* the starting point */
	NM_VERTEX,					/* vertex j of a (re)computed simplex */
	NM_REFLECT,
	NM_EXTEND,
	NM_CONTRACT,
	NM_DONE
};

int
nm_start(NmState *s, int n, const double *par, double abstol, double intol, double alpha, double bet,
		 double gamm, int maxit)
{
	if (n < 1 || n > NM_MAX_PAR)
		return -1;
	memset(s, 0, sizeof(*s));
	s->n = n;
	s->abstol = abstol;
	s->intol = intol;
	s->alpha = alpha;
	s->bet = bet;
	s->gamm = gamm;
	s->maxit = maxit;
	s->L = 1;
	memcpy(s->Bvec, par, sizeof(double) * n);
	s->phase = maxit <= 0 ? NM_FIRST_ONLY : NM_FIRST;
	return 0;
}

static int
nm_finish(NmState *s)
{
	int			n1 = s->n + 1;

	s->fmin = s->P[n1 - 1][s->L - 1];
	for (int i = 0; i < s->n; i++)
		s->Bvec[i] = s->P[i][s->L - 1];
	if (s->funcount > s->maxit)
		s->fail = 1;
	s->phase = NM_DONE;
	return 0;
}

/* the top of R's do-loop: the simplex's vertices (when calcvert), the convergence test, the reflection */
static int
nm_loop_top(NmState *s)
{
	int			n = s->n,
				n1 = n + 1,
				C = n + 2;
	double		f;

	if (s->calcvert)
	{
		while (s->j < n1 && s->j + 1 == s->L)
			s->j++;
		if (s->j < n1)
		{
			for (int i = 0; i < n; i++)
				s->Bvec[i] = s->P[i][s->j];
			s->phase = NM_VERTEX;
			return 1;
		}
		s->calcvert = 0;
	}
	s->VL = s->P[n1 - 1][s->L - 1];
	s->VH = s->VL;
	s->H = s->L;
	for (int j = 1; j <= n1; j++)
		if (j != s->L)
		{
			f = s->P[n1 - 1][j - 1];
			if (f < s->VL)
			{
				s->L = j;
				s->VL = f;
			}
			if (f > s->VH)
			{
				s->H = j;
				s->VH = f;
			}
		}
	if (s->VH <= s->VL + s->convtol || s->VL <= s->abstol)
		return nm_finish(s);
	for (int i = 0; i < n; i++)
	{
		double		temp = -s->P[i][s->H - 1];

		for (int j = 0; j < n1; j++)
			temp += s->P[i][j];
		s->P[i][C - 1] = temp / n;
	}
	for (int i = 0; i < n; i++)
		s->Bvec[i] = (1.0 + s->alpha) * s->P[i][C - 1] - s->alpha * s->P[i][s->H - 1];
	s->phase = NM_REFLECT;
	return 1;
}

/* the end of one iteration: R's while (funcount <= maxit) */
static int
nm_loop_end(NmState *s)
{
	if (s->funcount > s->maxit)
		return nm_finish(s);
	s->j = 0;
	return nm_loop_top(s);
}

int
nm_feed(NmState *s, double f)
{
	int			n = s->n,
				n1 = n + 1,
				C = n + 2,
				H = s->H,
				L = s->L;

	switch (s->phase)
	{
		case NM_FIRST_ONLY:
			s->fmin = f;
			s->funcount = 0;
			s->phase = NM_DONE;
			return 0;
		case NM_FIRST:
			{
				double		size = 0.0,
							step = 0.0;

				if (!isfinite(f))
				{
					s->fail = -1;
					s->phase = NM_DONE;
					return 0;
				}
				s->funcount = 1;
				s->convtol = s->intol * (fabs(f) + s->intol);
				s->P[n1 - 1][0] = f;
				for (int i = 0; i < n; i++)
					s->P[i][0] = s->Bvec[i];
				for (int i = 0; i < n; i++)
					if (0.1 * fabs(s->Bvec[i]) > step)
						step = 0.1 * fabs(s->Bvec[i]);
				if (step == 0.0)
					step = 0.1;
				for (int j = 2; j <= n1; j++)
				{
					double		trystep = step;

					for (int i = 0; i < n; i++)
						s->P[i][j - 1] = s->Bvec[i];
					while (s->P[j - 2][j - 1] == s->Bvec[j - 2])
					{
						s->P[j - 2][j - 1] = s->Bvec[j - 2] + trystep;
						trystep *= 10;
					}
					size += trystep;
				}
				s->oldsize = size;
				s->calcvert = 1;
				s->j = 0;
				return nm_loop_top(s);
			}
		case NM_VERTEX:
			if (!isfinite(f))
				f = BIG;
			s->funcount++;
			s->P[n1 - 1][s->j] = f;
			s->j++;
			return nm_loop_top(s);
		case NM_REFLECT:
			if (!isfinite(f))
				f = BIG;
			s->funcount++;
			s->VR = f;
			if (s->VR < s->VL)
			{
				s->P[n1 - 1][C - 1] = f;
				for (int i = 0; i < n; i++)
				{
					f = s->gamm * s->Bvec[i] + (1 - s->gamm) * s->P[i][C - 1];
					s->P[i][C - 1] = s->Bvec[i];
					s->Bvec[i] = f;
				}
				s->phase = NM_EXTEND;
				return 1;
			}
			if (s->VR < s->VH)
			{
				for (int i = 0; i < n; i++)
					s->P[i][H - 1] = s->Bvec[i];
				s->P[n1 - 1][H - 1] = s->VR;
			}
			for (int i = 0; i < n; i++)
				s->Bvec[i] = (1 - s->bet) * s->P[i][H - 1] + s->bet * s->P[i][C - 1];
			s->phase = NM_CONTRACT;
			return 1;
		case NM_EXTEND:
			if (!isfinite(f))
				f = BIG;
			s->funcount++;
			if (f < s->VR)
			{
				for (int i = 0; i < n; i++)
					s->P[i][H - 1] = s->Bvec[i];
				s->P[n1 - 1][H - 1] = f;
			}
			else
			{
				for (int i = 0; i < n; i++)
					s->P[i][H - 1] = s->P[i][C - 1];
				s->P[n1 - 1][H - 1] = s->VR;
			}
			return nm_loop_end(s);
		case NM_CONTRACT:
			if (!isfinite(f))
				f = BIG;
			s->funcount++;
			if (f < s->P[n1 - 1][H - 1])
			{
				for (int i = 0; i < n; i++)
					s->P[i][H - 1] = s->Bvec[i];
				s->P[n1 - 1][H - 1] = f;
			}
			else if (s->VR >= s->VH)
			{
				/* shrink towards the best vertex */
				double		size = 0.0;

				s->calcvert = 1;
				for (int j = 0; j < n1; j++)
					if (j + 1 != L)
						for (int i = 0; i < n; i++)
						{
							s->P[i][j] = s->bet * (s->P[i][j] - s->P[i][L - 1]) + s->P[i][L - 1];
							size += fabs(s->P[i][j] - s->P[i][L - 1]);
						}
				if (size < s->oldsize)
					s->oldsize = size;
				else
				{
					s->fail = 10;
					return nm_finish(s);
				}
			}
			return nm_loop_end(s);
		default:
			return 0;
	}
}

int
nm_minimize(int n, double *Bvec, double *fmin, NmFn fn, void *ex, double abstol, double intol,
			double alpha, double bet, double gamm, int maxit, int *fncount)
{
	NmState		s;

	if (nm_start(&s, n, Bvec, abstol, intol, alpha, bet, gamm, maxit) < 0)
		return -1;
	while (nm_feed(&s, fn(n, s.Bvec, ex)))
		;
	if (s.fail == -1)
		return -1;
	*fmin = s.fmin;
	memcpy(Bvec, s.Bvec, sizeof(double) * n);
	if (fncount)
		*fncount = s.funcount;
	return s.fail;
}

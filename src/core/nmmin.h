/*
 * nmmin.h -- Nelder-Mead minimisation exactly as R's nmmin() (src/appl/optim.c), which
 * forecast::ets calls through etsNelderMead (abstol -Inf, reltol sqrt(eps), alpha 1, beta 0.5,
 * gamma 2).  Doing exactly what R does, down to the order of the vertex updates, is what makes
 * the fitted parameters (and so thetaf's forecasts) agree with R's to rounding.
 */
#ifndef MKTDB_NMMIN_H
#define MKTDB_NMMIN_H

typedef double (*NmFn) (int n, const double *par, void *ex);

#define NM_MAX_PAR 32

/*
 * Minimises fn from par (n <= NM_MAX_PAR); on return par is the best vertex and *fmin its value.
 * Returns R's fail code: 0 converged, 1 maxit reached, 10 the simplex did not shrink, -1 fn is not
 * finite at the start.  *fncount (may be NULL) gets the number of evaluations.
 */
int			nm_minimize(int n, double *par, double *fmin, NmFn fn, void *ex, double abstol, double reltol,
						double alpha, double beta, double gamma, int maxit, int *fncount);

/*
 * The same minimisation, the caller evaluating: nm_start(), then while nm_feed(s, f(s->Bvec)) returns 1
 * evaluate the point s->Bvec it asks for next (the first call evaluates the starting point; pass the
 * value nm_minimize's fn would return).  When nm_feed returns 0: s->fail is the return code above,
 * s->Bvec the best vertex, s->fmin its value, s->funcount the evaluations.
 */
typedef struct NmState
{
	double		P[NM_MAX_PAR + 1][NM_MAX_PAR + 2];	/* P[i][j]: coordinate i (row n: value) of vertex j */
	double		Bvec[NM_MAX_PAR];	/* the point to evaluate; at the end the best one */
	double		fmin,
				abstol,
				intol,
				alpha,
				bet,
				gamm,
				convtol,
				oldsize,
				VH,
				VL,
				VR;
	int			n,
				maxit,
				funcount,
				fail,
				phase,
				calcvert,
				j,
				H,
				L;
} NmState;

int			nm_start(NmState *s, int n, const double *par, double abstol, double reltol, double alpha,
					 double beta, double gamma, int maxit);
int			nm_feed(NmState *s, double f);

#endif

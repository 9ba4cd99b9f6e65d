/*
 * ets_int.h -- what the ETS files share (not an API): the model codes, the state recursions of
 * forecast's etscalc.c (used by the fit and by the simulated forecasts), and the calls between
 *   ets_fit.c     the likelihood passes, the admissible region, the optimiser's target, one model's fit
 *                 and the lock-step fits of the automatic search;
 *   ets_select.c  the starting values (initstate), the automatic choice (ets_auto_opts), fixed models,
 *                 constant series, the public entry points;
 *   ets_pi.c      forecasts and prediction intervals (forecast.ets: classes 1-3, simulation);
 *   ets_hw.c      what ets() fits on 6 points or fewer (HoltWintersZZ).
 */
#ifndef MKTDB_ETS_INT_H
#define MKTDB_ETS_INT_H

#include "ets.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define NONE 0
#define ADD 1
#define MULT 2
#define TOL 1.0e-10
#define HUGEN 1.0e10
#define FIT_SKIP 1				/* R's "aic = Inf" (too many parameters for the data) */

static inline void ets_set_msg(char *msg, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static inline void
ets_set_msg(char *msg, size_t len, const char *fmt, ...)
{
	va_list		ap;

	if (!msg || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
}

static inline int
code_of(char c)
{
	return c == 'A' ? ADD : c == 'M' ? MULT : NONE;
}

/* ---------------------------------------------------------------------------------------------------
 * The recursions.  The seasonal states are kept in a ring: s[k] (k = 0 newest ... m-1 oldest, R's order)
 * is ring[(head + m - 1 - k) % m]; the update overwrites the oldest and advances head.
 * ------------------------------------------------------------------------------------------------- */
typedef struct
{
	double		l,
				b;
	double	   *ring;
	int			head,
				m;
} EtsState;

static inline double
seas_at(const EtsState *st, int k)
{
	int			i = st->head + st->m - 1 - k;

	while (i >= st->m)
		i -= st->m;
	return st->ring[i];
}

/* the h forecasts of etscalc.c's forecast() from the current state; returns 0, or -1 when a
 * multiplicative trend went negative (R's NA) */
static inline int
state_forecast(const EtsState *st, int trend, int season, double phi, double *f, int h)
{
	double		phistar = phi;

	for (int i = 0; i < h; i++)
	{
		double		v;

		if (trend == NONE)
			v = st->l;
		else if (trend == ADD)
			v = st->l + phistar * st->b;
		else if (st->b < 0)
			return -1;
		else
			v = st->l * pow(st->b, phistar);
		if (season != NONE)
		{
			int			j = st->m - 1 - i;

			while (j < 0)
				j += st->m;
			if (season == ADD)
				v += seas_at(st, j);
			else
				v *= seas_at(st, j);
		}
		f[i] = v;
		if (i < h - 1)
		{
			if (fabs(phi - 1.0) < TOL)
				phistar += 1.0;
			else
				phistar += pow(phi, (double) (i + 1));
		}
	}
	return 0;
}

/* etscalc.c's update pieces, shared by state_update() and the lock-step passes (ets_fit.c) */
static inline double
deseason(int season, double y, double sold)		/* the level's target */
{
	if (season == NONE)
		return y;
	if (season == ADD)
		return y - sold;
	return fabs(sold) < TOL ? HUGEN : y / sold;
}

static inline double
season_next(int season, double y, double q, double sold, double gamma)	/* the newest seasonal state */
{
	double		t = season == ADD ? y - q : (fabs(q) < TOL ? HUGEN : y / q);

	return sold + gamma * (t - sold);
}

static inline void
state_update(EtsState *st, int trend, int season, double alpha, double beta, double gamma, double phi, double y)
{
	double		oldl = st->l,
				q,
				p,
				phib,
				sold = 0;

	if (trend == NONE)
	{
		q = oldl;
		phib = 0;
	}
	else if (trend == ADD)
	{
		phib = phi * st->b;
		q = oldl + phib;
	}
	else if (fabs(phi - 1.0) < TOL)
	{
		phib = st->b;
		q = oldl * st->b;
	}
	else
	{
		phib = pow(st->b, phi);
		q = oldl * phib;
	}
	if (season != NONE)
		sold = st->ring[st->head];	/* s[m-1], the oldest */
	p = deseason(season, y, sold);
	st->l = q + alpha * (p - q);
	if (trend != NONE)
	{
		double		r;

		if (trend == ADD)
			r = st->l - oldl;
		else
			r = fabs(oldl) < TOL ? HUGEN : st->l / oldl;
		st->b = phib + (beta / alpha) * (r - phib);
	}
	if (season != NONE)
	{
		st->ring[st->head] = season_next(season, y, q, sold, gamma);
		if (++st->head == st->m)
			st->head = 0;
	}
}

static inline void
state_load(EtsState *st, const double *x, int trend, int season, int m, double *ring)
{
	st->l = x[0];
	st->b = trend != NONE ? x[1] : 0.0;
	st->m = m;
	st->head = 0;
	st->ring = ring;
	if (season != NONE)
		for (int k = 0; k < m; k++)
			ring[m - 1 - k] = x[1 + (trend != NONE) + k];	/* s[k] at ring[m-1-k] with head 0 */
}

static inline void
state_store(const EtsState *st, int trend, int season, double *x)
{
	x[0] = st->l;
	if (trend != NONE)
		x[1] = st->b;
	if (season != NONE)
		for (int k = 0; k < st->m; k++)
			x[1 + (trend != NONE) + k] = seas_at(st, k);
}

static inline void
model_clear(EtsModel *out)
{
	memset(out, 0, sizeof(*out));
	out->beta = out->gamma = out->phi = NAN;
	out->loglik = out->aic = out->aicc = out->bic = NAN;
}

/* one candidate model of the automatic search (ets_select.c lists them, ets_fit.c fits them) */
typedef struct EtsCand
{
	int			e,
				t,
				s,
				d,
				rc;				/* ets_model()'s return; -2 not fitted (yet) */
	EtsModel	fit;
	char		msg[200];
} EtsCand;

int			ets_init_state(const double *y, int n, int m, int trend, int season, double *x, char *msg,
						   size_t msglen);
int			ets_model(const double *y, int n, int m, int error, int trend, int season, int damped,
					  volatile const int *cancel, EtsModel *out, char *msg, size_t msglen);
void		ets_fit_candidates(const double *y, int n, int m, volatile const int *cancel, EtsCand *cand, int nc);

#endif

/*
 * arima_model.c -- the binary form of an arima model (kind 'arima'): one record per series with
 * its orders, coefficients, statistics, forecasts and recent history (format 3; formats 1 and 2
 * are still read), written by arima_train.c and arima_dist.c and decoded for the readers
 * (arima_read.c); and R's label of a fitted order.
 */
#include "mktdb.h"

#include <math.h>

#include "core/arima.h"
#include "arima_int.h"

/* R's model label, "ARIMA(0,1,1)(0,1,1)[12] with drift" */
void
arima_order_label(char *buf, size_t size, const ArimaSpec *sp)
{
	const char *c = sp->include_drift ? " with drift" : sp->include_mean ? " with non-zero mean" : "";

	if (sp->P + sp->D + sp->Q > 0)
		snprintf(buf, size, "ARIMA(%d,%d,%d)(%d,%d,%d)[%d]%s", sp->p, sp->d, sp->q, sp->P, sp->D, sp->Q, sp->s, c);
	else
		snprintf(buf, size, "ARIMA(%d,%d,%d)%s", sp->p, sp->d, sp->q, c);
}

/* the ArimaSpec of a stored record's orders (ord[7]: 0 no constant, 1 intercept, 2 drift) */
ArimaSpec
arima_rec_spec(const int32 *ord)
{
	ArimaSpec	sp = {ord[0], ord[1], ord[2], ord[3], ord[4], ord[5], ord[6], ord[7] == 1, ARIMA_ML, ord[7] == 2, 0, 0, 0};

	return sp;
}

void
put_series(MkWriter *w, const ArimaSeriesRec *r, int h)
{
	mk_put_text(w, r->series);
	mk_put_i32s(w, r->ord, 8);
	mk_put_f64s(w, r->coef, r->ncoef);
	mk_put_f64s(w, r->se, r->ncoef);
	mk_put_f64s(w, r->stats, 5);
	mk_put_i32s(w, r->ints, 4);
	mk_put_text(w, r->fallback);
	fc_put_forecasts(w, r->steps, r->ts, r->fc, h);
	mk_history_put(w, &r->hist);
}

void *
arima_decode(bytea *blob, MemoryContext cxt)
{
	MkfReader	r;
	MemoryContext old = MemoryContextSwitchTo(cxt);
	ArimaModel *m = palloc0(sizeof(ArimaModel));
	int32		fmt;

	mk_reader_open(&r, blob, MKF_KIND_ARIMA);
	fmt = mkf_get_i32(&r);
	m->horizon = mkf_get_i32(&r);
	m->time_kind = mkf_get_i32(&r);
	m->period = mkf_get_i32(&r);
	m->nseries = mkf_get_i64(&r);
	mk_reader_check(&r);
	m->fmt = fmt;
	if (fmt < 1 || fmt > ARIMA_BLOB_VERSION)
		mk_damaged(psprintf("unknown arima model format %d", fmt));
	if (m->horizon < 1 || m->horizon > MAX_HORIZON || m->nseries < 0 ||
		(m->time_kind != TK_INTEGER && m->time_kind != TK_TIME) ||
		m->nseries > (int64) (r.end - r.p) / 8)
		mk_damaged("bad arima model header");
	m->s = palloc0(sizeof(ArimaSeriesRec) * Max(m->nseries, 1));
	for (int64 i = 0; i < m->nseries; i++)
	{
		ArimaSeriesRec *s = &m->s[i];
		int64		n;
		int32	   *ord;
		ArimaSpec	sp;

		s->series = mk_get_text(&r);
		ord = mk_get_i32s(&r, &n);
		if (s->series == NULL || n != 8)
			mk_damaged("bad arima series record");
		memcpy(s->ord, ord, sizeof(s->ord));
		if (s->ord[0] < 0 || s->ord[0] > ARIMA_MAX_P || s->ord[2] < 0 || s->ord[2] > ARIMA_MAX_P ||
			s->ord[1] < 0 || s->ord[1] > ARIMA_MAX_D || s->ord[3] < 0 || s->ord[3] > ARIMA_MAX_SP ||
			s->ord[5] < 0 || s->ord[5] > ARIMA_MAX_SP || s->ord[4] < 0 || s->ord[4] > ARIMA_MAX_SD ||
			s->ord[6] < 1 || s->ord[6] > MAX_PERIOD || s->ord[7] < 0 || s->ord[7] > 2)
			mk_damaged("bad arima orders");
		sp = arima_rec_spec(s->ord);
		s->ncoef = arima_ncoef(&sp);
		s->coef = mk_get_f64s(&r, &n);
		if (n != s->ncoef)
			mk_damaged("bad arima coefficient count");
		s->se = mk_get_f64s(&r, &n);
		if (n != s->ncoef)
			mk_damaged("bad arima standard error count");
		{
			double	   *st = mk_get_f64s(&r, &n);
			int32	   *in;

			if (n != (fmt == 1 ? 4 : 5))
				mk_damaged("bad arima statistics");
			s->stats[4] = NAN;
			memcpy(s->stats, st, n * sizeof(double));
			in = mk_get_i32s(&r, &n);
			if (n != 4)
				mk_damaged("bad arima counts");
			memcpy(s->ints, in, sizeof(s->ints));
		}
		s->fallback = mk_get_text(&r);
		fc_get_forecasts(&r, m->horizon, "arima", &s->steps, &s->ts, &s->fc);
		if (fmt >= 3)
			mk_history_get(&r, &s->hist);
	}
	mk_reader_finish(&r);
	MemoryContextSwitchTo(old);
	return m;
}

/*
 * series_history.c -- the recent history of a forecast series inside a model (see
 * series_history.h): how many points to keep and their binary form.
 */
#include "series_history.h"

int
mk_history_keep(MkSeriesHistory *h, const double *y, int n, int period)
{
	int			keep = Min(Max(3 * Max(period, 1), 36), MK_HISTORY_MAX);

	h->n = Min(Max(n, 0), keep);
	h->t = palloc0(Max(h->n, 1) * sizeof(int64));
	h->y = palloc(Max(h->n, 1) * sizeof(double));
	memcpy(h->y, y + (n - h->n), h->n * sizeof(double));
	return n - h->n;
}

void
mk_history_put(MkWriter *w, const MkSeriesHistory *h)
{
	mk_put_i64s(w, h->t, h->n);
	mk_put_f64s(w, h->y, h->n);
}

void
mk_history_get(MkfReader *r, MkSeriesHistory *h)
{
	int64		nt,
				ny;

	h->t = mk_get_i64s(r, &nt);
	h->y = mk_get_f64s(r, &ny);
	if (nt != ny || nt > MK_HISTORY_MAX)
		mk_damaged("bad series history");
	h->n = (int32) nt;
}

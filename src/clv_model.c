/*
 * clv_model.c -- a customer-lifetime-value model as stored: the binary format (kind clv:
 * purchase model, time unit, calibration end, parameters, every calibration customer's
 * key and summary, the source for clv_accuracy), its JSON parameters, the lookup by name
 * through the model cache, and clv_chart's view of it.
 */
#include "mktdb.h"
#include "chart.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "core/clv.h"
#include "core/rfm.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "tcop/dest.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "clv_glue.h"

bytea *
clv_serialize(ClvModel *md)
{
	MkWriter	w;

	mk_writer_init(&w);
	mk_put_i32(&w, md->purchase_model);
	mk_put_f64(&w, md->unit);
	mk_put_i32(&w, md->cal);
	mk_put_i32(&w, md->has_amount);
	mk_put_f64s(&w, md->par, 4);
	mk_put_f64(&w, md->loglik);
	mk_put_f64s(&w, md->gg, 3);
	mk_put_f64(&w, md->gg_loglik);
	mk_put_text(&w, md->source);
	mk_put_text(&w, md->customer_column);
	mk_put_text(&w, md->date_column);
	mk_put_i32(&w, md->int_keys);
	if (md->int_keys)
		mk_put_i64s(&w, md->ikeys, md->n);
	else
	{
		mk_put_i64(&w, md->n);
		for (int64 i = 0; i < md->n; i++)
			mk_put_text(&w, md->tkeys[i]);
	}
	mk_put_i32s(&w, md->x, md->n);
	mk_put_i32s(&w, md->tx, md->n);
	mk_put_i32s(&w, md->T, md->n);
	mk_put_f64s(&w, md->m, md->n);
	return mk_writer_finish(&w, MKF_KIND_CLV);
}

void *
clv_decode(bytea *blob, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	ClvModel   *md = palloc0(sizeof(ClvModel));
	MkfReader	r;
	double	   *p;
	int64		np,
				n1,
				n2,
				n3,
				n4;

	mk_reader_open(&r, blob, MKF_KIND_CLV);
	md->purchase_model = mkf_get_i32(&r);
	md->unit = mkf_get_f64(&r);
	md->cal = mkf_get_i32(&r);
	md->has_amount = mkf_get_i32(&r) != 0;
	mk_reader_check(&r);
	if ((md->purchase_model != CLV_BGNBD && md->purchase_model != CLV_PARETO) || !(md->unit > 0))
		mk_damaged("CLV model with an unknown purchase model or time unit");
	p = mk_get_f64s(&r, &np);
	if (np != 4)
		mk_damaged("CLV model without four purchase parameters");
	memcpy(md->par, p, sizeof(md->par));
	md->loglik = mkf_get_f64(&r);
	p = mk_get_f64s(&r, &np);
	if (np != 3)
		mk_damaged("CLV model without three spend parameters");
	memcpy(md->gg, p, sizeof(md->gg));
	md->gg_loglik = mkf_get_f64(&r);
	md->source = mk_get_text(&r);
	md->customer_column = mk_get_text(&r);
	md->date_column = mk_get_text(&r);
	md->int_keys = mkf_get_i32(&r) != 0;
	mk_reader_check(&r);
	if (md->source == NULL || md->customer_column == NULL || md->date_column == NULL)
		mk_damaged("CLV model without its source");
	for (int k = 0; k < 4; k++)
		if (!(md->par[k] > 0) || !isfinite(md->par[k]))
			mk_damaged("CLV model with a non-positive parameter");
	if (md->int_keys)
		md->ikeys = mk_get_i64s(&r, &md->n);
	else
	{
		md->n = mk_get_count(&r, 8, INT32_MAX);
		md->tkeys = palloc_extended(Max(md->n, 1) * sizeof(char *), MCXT_ALLOC_HUGE);
		for (int64 i = 0; i < md->n; i++)
		{
			md->tkeys[i] = mk_get_text(&r);
			if (md->tkeys[i] == NULL)
				mk_damaged("CLV model with a NULL customer id");
		}
	}
	md->x = mk_get_i32s(&r, &n1);
	md->tx = mk_get_i32s(&r, &n2);
	md->T = mk_get_i32s(&r, &n3);
	md->m = mk_get_f64s(&r, &n4);
	if (n1 != md->n || n2 != md->n || n3 != md->n || n4 != md->n)
		mk_damaged("CLV model's customer arrays differ in length");
	for (int64 i = 0; i < md->n; i++)
		if (md->x[i] < 0 || md->tx[i] < 0 || md->tx[i] > md->T[i])
			mk_damaged("CLV model with an impossible customer summary");
	mk_reader_finish(&r);
	MemoryContextSwitchTo(old);
	return md;
}

char *
clv_params_json(ClvModel *md)
{
	MkJson		j;
	static const char *const bg[] = {"r", "alpha", "a", "b"};
	static const char *const pn[] = {"r", "alpha", "s", "beta"};
	static const char *const gg[] = {"p", "q", "gamma"};

	mk_json_begin(&j);
	for (int k = 0; k < 4; k++)
	{
		mk_json_key(&j, md->purchase_model == CLV_BGNBD ? bg[k] : pn[k]);
		mk_json_num(&j, md->par[k]);
	}
	if (md->has_amount)
		for (int k = 0; k < 3; k++)
		{
			mk_json_key(&j, gg[k]);
			mk_json_num(&j, md->gg[k]);
		}
	return mk_json_end(&j);
}


const char *
clv_model_name(int m)
{
	return m == CLV_BGNBD ? "bgnbd" : "pareto_nbd";
}

ClvModel *
clv_get_model(FunctionCallInfo fcinfo)
{
	MkModelInfo info;

	mk_arg_notnull(fcinfo, 0, "model");
	return mk_model_get(text_to_cstring(PG_GETARG_TEXT_PP(0)), "clv", clv_decode, &info);
}

/* chart.h: clv_chart's view of a model (parameters and the oldest customer's age) */
void
mk_clv_chart_view(const char *name, MkClvView *v)
{
	MkModelInfo info;
	ClvModel   *m = mk_model_get(name, "clv", clv_decode, &info);
	int32		tmax = 0;

	for (int64 i = 0; i < m->n; i++)
		tmax = Max(tmax, m->T[i]);
	v->purchase_model = m->purchase_model;
	memcpy(v->par, m->par, sizeof(v->par));
	v->T = tmax / m->unit;
	v->unit = m->unit == 1 ? "days" : m->unit == 7 ? "weeks" : "months";
	v->n = m->n;
}

/*
 * arima_read.c -- reading stored forecasting models: the set-returning functions behind the
 * views mktdb.forecasts (kinds arima and forecast) and mktdb.arima_models, and the series view
 * forecast_chart draws (chart.h).  Training is in arima_train.c, the binary form in arima_model.c.
 */
#include "mktdb.h"

#include <math.h>

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "core/arima.h"
#include "arima_int.h"
#include "chart.h"
#include "forecast_request.h"

static char *
coef_json(const ArimaSeriesRec *r)
{
	MkJson		j;
	ArimaSpec	sp = arima_rec_spec(r->ord);
	char		nm[32];

	mk_json_begin(&j);
	for (int i = 0; i < r->ncoef; i++)
	{
		arima_coef_name(&sp, i, nm, sizeof nm);
		mk_json_key(&j, nm);
		mk_json_num(&j, r->coef[i]);
		strlcat(nm, "_se", sizeof nm);
		mk_json_key(&j, nm);
		mk_json_num(&j, r->se[i]);
	}
	return mk_json_end(&j);
}

/* ---------- readers behind the views ---------- */

/*
 * Starts a materialized SRF; returns the model named by argument 0, or when it is NULL the names
 * whose newest version visible to the caller (row security applies) is an arima or forecast model.
 */
static List *
srf_model_names(FunctionCallInfo fcinfo)
{
	List	   *names = NIL;
	MemoryContext caller = CurrentMemoryContext;

	InitMaterializedSRF(fcinfo, 0);
	if (!PG_ARGISNULL(0))
		return list_make1(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute("SELECT name FROM (SELECT DISTINCT ON (name) name, kind FROM mktdb.model "
					"ORDER BY name, version DESC) n WHERE kind IN ('arima', 'forecast') ORDER BY name", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading mktdb.model failed");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		char	   *nm = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		MemoryContext o = MemoryContextSwitchTo(caller);

		names = lappend(names, pstrdup(nm));
		MemoryContextSwitchTo(o);
	}
	SPI_finish();
	return names;
}

PG_FUNCTION_INFO_V1(mktdb_arima_forecast_rows);
Datum
mktdb_arima_forecast_rows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ListCell   *lc;

	foreach(lc, srf_model_names(fcinfo))
	{
		MkModelInfo info;
		ArimaModel *m;
		Datum		lead[2];
		int32		ver;
		char	   *nm = mk_parse_model_ref((char *) lfirst(lc), &ver);

		/* mktdb.forecast's models (kind forecast) are read by forecast_sql.c */
		mk_lookup_model(nm, ver, NULL, &info);
		if (strcmp(info.kind, "forecast") == 0)
		{
			forecast_put_rows((char *) lfirst(lc), rsinfo);
			continue;
		}
		m = mk_model_get((char *) lfirst(lc), "arima", arima_decode, &info);
		lead[0] = CStringGetTextDatum(info.name);
		lead[1] = Int32GetDatum(info.version);
		for (int64 s = 0; s < m->nseries; s++)
		{
			ArimaSeriesRec *r = &m->s[s];

			CHECK_FOR_INTERRUPTS();
			if (r->ints[2] != ARIMA_FB_NO_DATA)	/* documented: fallback "no data: no forecast" */
				fc_put_rows(rsinfo, lead, 2, r->series, r->steps, r->ts, r->fc, m->horizon);
		}
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(mktdb_arima_model_rows);
Datum
mktdb_arima_model_rows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ListCell   *lc;

	foreach(lc, srf_model_names(fcinfo))
	{
		MkModelInfo info;
		ArimaModel *m = mk_model_get((char *) lfirst(lc), "arima", arima_decode, &info);
		Datum		name = CStringGetTextDatum(info.name);

		for (int64 s = 0; s < m->nseries; s++)
		{
			ArimaSeriesRec *r = &m->s[s];
			Datum		values[18];
			bool		nulls[18] = {false};

			CHECK_FOR_INTERRUPTS();
			values[0] = name;
			values[1] = Int32GetDatum(info.version);
			values[2] = jsonb_from_text(r->series);
			for (int c = 0; c < 7; c++)
				values[3 + c] = Int32GetDatum(r->ord[c]);
			values[10] = jsonb_from_text(coef_json(r));
			fc_put_float(values, nulls, 11, r->stats[0]);	/* sigma2 */
			fc_put_float(values, nulls, 12, r->stats[1]);	/* loglik */
			fc_put_float(values, nulls, 13, r->stats[3]);	/* aicc */
			values[14] = Int32GetDatum(r->ints[0]);
			if (r->fallback)
				values[15] = CStringGetTextDatum(r->fallback);
			else
				nulls[15] = true;
			/* R's optim code 0; NULL where no model was optimised (a fallback) */
			if (r->ints[2] == ARIMA_FB_NONE)
				values[16] = BoolGetDatum(r->ints[3] == 0);
			else
				nulls[16] = true;
			fc_put_float(values, nulls, 17, r->stats[4]);	/* MASE scale */
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}

/* ---------- for forecast_chart (chart_sql.c) ---------- */

int64
mk_arima_forecast_view(const char *name, const char *series_json, MkForecastView *v, const char **example)
{
	MkModelInfo info;
	ArimaModel *m = mk_model_get(name, "arima", arima_decode, &info);

	*example = m->nseries > 0 ? m->s[0].series : NULL;
	for (int64 s = 0; s < m->nseries; s++)
		if (mk_forecast_view_match(m->s[s].series, series_json, m->nseries))
		{
			ArimaSeriesRec *r = &m->s[s];
			ArimaSpec	sp = arima_rec_spec(r->ord);

			mk_forecast_view_set(v, r->series, r->fallback, m->horizon, r->steps, r->ts, r->fc, m->fmt >= 3, &r->hist);
			arima_order_label(v->description, sizeof v->description, &sp);
			break;
		}
	return m->nseries;
}

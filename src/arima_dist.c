/*
 * arima_dist.c -- grouped arima_forecast on a Citus table distributed by one of
 * the group columns: every series lives whole on one shard, so each worker fits
 * its own series and only the fits and forecasts travel.
 *
 * The pattern: Citus' run_command_on_shards runs mktdb._arima_forecast_shard
 * (the same trainer, storing nothing, returning its model as bytea) on every
 * shard; the coordinator decodes the shards' models, checks that they agree on
 * the time axis (spacing and period are inferred from the data, as on one node;
 * when shards disagree it reads the rows instead, so the answer never differs),
 * and stores one model version holding every series, as a local call does.
 */
#include "mktdb.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "arima_int.h"
#include "core/arima.h"

/* a literal for a format() pattern: quoted, with % doubled */
static char *
fmt_literal(const char *s)
{
	StringInfoData b;
	const char *q = s ? quote_literal_cstr(s) : "NULL";

	initStringInfo(&b);
	for (; *q; q++)
	{
		if (*q == '%')
			appendStringInfoChar(&b, '%');
		appendStringInfoChar(&b, *q);
	}
	return b.data;
}

/* argument n as a format()-safe literal with a cast, or NULL */
static char *
arg_literal(FunctionCallInfo fcinfo, int n, Oid outfunc_type, const char *cast)
{
	Oid			out;
	bool		varlena;

	if (PG_ARGISNULL(n))
		return psprintf("NULL::%s", cast);
	getTypeOutputInfo(outfunc_type, &out, &varlena);
	return psprintf("%s::%s", fmt_literal(OidOutputFunctionCall(out, PG_GETARG_DATUM(n))), cast);
}

static int
cmp_series(const void *a, const void *b)
{
	return strcmp(((const ArimaSeriesRec *) a)->series, ((const ArimaSeriesRec *) b)->series);
}

bool
arima_on_shards(FunctionCallInfo fcinfo, const char *source, char **groups, int ngroups)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MkTime		t0 = mk_now();
	MemoryContext caller = CurrentMemoryContext;
	char	   *dist,
			   *rel,
			   *cmd;
	bool		by_group = false,
				agree = true;
	ArimaModel **parts;
	int			nparts = 0,
				nshards,
				period = 0,
				time_kind = -1,
				nfb[ARIMA_FB_FAILED_MEAN + 1] = {0},
				not_converged = 0;
	int64		nseries = 0,
				nrows;
	ArimaSeriesRec *recs;
	MkWriter	w;
	MkJson		js;
	char	   *spec_text;
	int32		version;
	double		fit_ms;
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		args[2];

	if (ngroups == 0 || mk_pushdown == MK_PUSHDOWN_NEVER || (dist = mk_citus_dist_column(source)) == NULL)
		return false;
	for (int i = 0; i < ngroups; i++)
		by_group |= strcmp(groups[i], dist) == 0;
	if (!by_group)
		return false;
	rel = mk_source_canonical(source);

	/* every argument as the caller gave it; the shard's name in place of the source */
	cmd = psprintf("SELECT mktdb._arima_forecast_shard(%s, '%%1$s', %s, %s, %s, %s, %s, %s, %s) "
				   "FROM (SELECT FROM %%1$s LIMIT 1) nonempty",
				   fmt_literal(text_to_cstring(PG_GETARG_TEXT_PP(0))),
				   arg_literal(fcinfo, 2, TEXTOID, "text"), arg_literal(fcinfo, 3, TEXTOID, "text"),
				   arg_literal(fcinfo, 4, TEXTARRAYOID, "text[]"), arg_literal(fcinfo, 5, INT4OID, "int"),
				   arg_literal(fcinfo, 6, INT4OID, "int"), arg_literal(fcinfo, 7, INT4ARRAYOID, "int[]"),
				   arg_literal(fcinfo, 8, INT4ARRAYOID, "int[]"));
	args[0] = CStringGetTextDatum(rel);
	args[1] = CStringGetTextDatum(cmd);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT success, result FROM pg_catalog.run_command_on_shards($1::pg_catalog.regclass, $2)",
							  2, argtypes, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "run_command_on_shards failed");
	nshards = (int) SPI_processed;
	parts = MemoryContextAlloc(caller, sizeof(ArimaModel *) * Max(nshards, 1));
	for (int i = 0; i < nshards; i++)
	{
		bool		isnull;
		bool		ok = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		char	   *result = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
		ArimaModel *m;

		if (!ok)
			ereport(ERROR,
					(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
					 errmsg("fitting the series of a shard of \"%s\" failed", rel),
					 errdetail("%s", result ? result : "no message")));
		if (result == NULL || result[0] == '\0')
			continue;			/* an empty shard */
		m = arima_decode(DatumGetByteaPP(DirectFunctionCall1(byteain, CStringGetDatum(result))), caller);
		if (m->nseries == 0)
			continue;
		if (time_kind >= 0 && (m->time_kind != time_kind || m->period != period))
			agree = false;
		time_kind = m->time_kind;
		period = m->period;
		parts[nparts++] = m;
		nseries += m->nseries;
	}
	if (SPI_execute(psprintf("SELECT pg_catalog.count(*) FROM %s", mk_source_from(source)), true, 0) != SPI_OK_SELECT)
		elog(ERROR, "counting the source's rows failed");
	{
		bool		isnull;

		nrows = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	SPI_finish();
	if (!agree || nparts == 0)
	{
		if (nparts > 0)
			ereport(NOTICE,
					(errmsg("the shards of \"%s\" infer different time steps; reading the rows on the coordinator",
							rel)));
		return false;
	}

	/* one model version holds every series, in series order */
	recs = MemoryContextAllocHuge(caller, sizeof(ArimaSeriesRec) * nseries);
	nseries = 0;
	for (int i = 0; i < nparts; i++)
		for (int64 s = 0; s < parts[i]->nseries; s++)
			recs[nseries++] = parts[i]->s[s];
	qsort(recs, nseries, sizeof(ArimaSeriesRec), cmp_series);
	mk_writer_init(&w);
	mk_put_i32(&w, ARIMA_BLOB_VERSION);
	mk_put_i32(&w, PG_GETARG_INT32(5));
	mk_put_i32(&w, time_kind);
	mk_put_i32(&w, period);
	mk_put_i64(&w, nseries);
	for (int64 s = 0; s < nseries; s++)
	{
		put_series(&w, &recs[s], PG_GETARG_INT32(5));
		if (recs[s].ints[2] > 0 && recs[s].ints[2] <= ARIMA_FB_FAILED_MEAN)
			nfb[recs[s].ints[2]]++;
		not_converged += recs[s].ints[3] != 0;
	}
	fit_ms = mk_ms_since(t0);

	arima_spec_json(&js, fcinfo);
	spec_text = mk_json_end(&js);
	mk_json_begin(&js);
	mk_json_key(&js, "series");
	mk_json_int(&js, nseries);
	mk_json_key(&js, "period");
	mk_json_int(&js, period);
	arima_fallbacks_json(&js, nfb);
	mk_json_key(&js, "not_converged");
	mk_json_int(&js, not_converged);
	mk_json_key(&js, "fit_ms");
	mk_json_num(&js, fit_ms);
	/* which path ran: each worker fitted the series of its shards */
	mk_json_key(&js, "path");
	mk_json_str(&js, "pushdown");
	mk_json_key(&js, "citus_distributed_by");
	mk_json_str(&js, dist);
	mk_json_key(&js, "shards");
	mk_json_int(&js, nshards);
	mk_store_model(text_to_cstring(PG_GETARG_TEXT_PP(0)), "arima", spec_text, mk_json_end(&js), nrows, fit_ms,
				   mk_writer_finish(&w, MKF_KIND_ARIMA), &version);

	InitMaterializedSRF(fcinfo, 0);
	arima_put_rows(rsinfo, recs, nseries, PG_GETARG_INT32(5));
	return true;
}

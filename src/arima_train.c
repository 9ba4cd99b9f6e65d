/*
 * arima_train.c -- mktdb.arima_forecast(), the trainer: its own argument checks (the orders),
 * one fit per series through the pure-C core (R's arima, or auto.arima's selection) on threads,
 * and one model version holding every series' fit and forecasts.  What it shares with
 * mktdb.forecast is in forecast_request.c (arguments, batch, rows) and forecast_series.c
 * (reading the series, the time axis); the model's binary form is in arima_model.c and its
 * readers in arima_read.c; Citus shards in arima_dist.c.
 */
#include "mktdb.h"

#include <math.h>
#include <signal.h>

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "core/arima.h"
#include "core/autoarima.h"
#include "arima_int.h"
#include "forecast_request.h"

/* the core's cancel flag is the backend's own interrupt flag */
StaticAssertDecl(sizeof(sig_atomic_t) == sizeof(int), "sig_atomic_t must be an int");

/* the orders asked for (arguments pdq, seasonal_pdq) */
typedef struct ArimaOrders
{
	bool		auto_order;		/* pdq NULL: automatic order selection (issue 6) */
	bool		auto_seasonal;	/* seasonal_pdq NULL */
	int			order[3];
	int			sorder[3];
} ArimaOrders;

/* what automatic selection chose, for the model version's metrics */
typedef struct AutoCounts
{
	int			nlabels;
	int			cap;
	char	  **label;			/* R's model label, "ARIMA(0,1,1)(0,1,1)[12] with drift" */
	int		   *count;
	int64		approximated;	/* series searched with the CSS approximation */
	int64		models_tried;
	int64		refits;
	int64		constant_after_differencing;
} AutoCounts;

/* the fits of one call */
typedef struct ArimaFits
{
	ArimaSeriesRec *recs;		/* one per series */
	int			nfb[ARIMA_FB_FAILED_MEAN + 1];	/* series per fallback */
	int			not_converged;
	AutoCounts	ac;
} ArimaFits;

static void
auto_count(AutoCounts *ac, const ArimaResult *res, const AutoArimaInfo *info, MemoryContext cxt)
{
	char		buf[96];
	const ArimaSpec *sp = &res->spec;
	int			i;

	if (res->fallback != ARIMA_FB_NONE && res->fallback != ARIMA_FB_CONSTANT)
		return;					/* counted as fallbacks */
	arima_order_label(buf, sizeof buf, sp);
	for (i = 0; i < ac->nlabels; i++)
		if (strcmp(ac->label[i], buf) == 0)
			break;
	if (i == ac->nlabels)
	{
		if (ac->nlabels == ac->cap)
		{
			ac->cap = ac->cap ? 2 * ac->cap : 32;
			ac->label = ac->label ? repalloc(ac->label, ac->cap * sizeof(char *)) : MemoryContextAlloc(cxt, ac->cap * sizeof(char *));
			ac->count = ac->count ? repalloc(ac->count, ac->cap * sizeof(int)) : MemoryContextAlloc(cxt, ac->cap * sizeof(int));
		}
		ac->label[i] = MemoryContextStrdup(cxt, buf);
		ac->count[i] = 0;
		ac->nlabels++;
	}
	ac->count[i]++;
	ac->approximated += info->approximation;
	ac->models_tried += info->nmodels;
	ac->refits += info->nrefits;
	ac->constant_after_differencing += (info->nmodels == 0 && info->constant != AUTO_CONST_SERIES);
}

static const double Z80 = 1.2815515655446004;
static const double Z95 = 1.959963984540054;

/* ---------- argument checks ---------- */

static void
int_triple(ArrayType *arr, const char *argname, int *out)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (ARR_NDIM(arr) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a one-dimensional array of three integers", argname)));
	deconstruct_array(arr, INT4OID, 4, true, TYPALIGN_INT, &elems, &nulls, &n);
	if (n != 3)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must have exactly three elements, not %d", argname, n),
				 errhint("Write it as ARRAY[p, d, q] (or ARRAY[P, D, Q] for seasonal_pdq).")));
	for (int i = 0; i < 3; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain NULL", argname)));
		out[i] = DatumGetInt32(elems[i]);
		if (out[i] < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must not contain negative orders", argname)));
	}
}

static void
check_orders(const ArimaOrders *rq)
{
	if (!rq->auto_order)
	{
		if (rq->order[0] > ARIMA_MAX_P || rq->order[2] > ARIMA_MAX_P)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("pdq orders p and q must be at most %d", ARIMA_MAX_P)));
		if (rq->order[1] > ARIMA_MAX_D)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("pdq order d must be at most %d", ARIMA_MAX_D)));
	}
	if (!rq->auto_seasonal)
	{
		if (rq->sorder[0] > ARIMA_MAX_SP || rq->sorder[2] > ARIMA_MAX_SP)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("seasonal_pdq orders P and Q must be at most %d", ARIMA_MAX_SP)));
		if (rq->sorder[1] > ARIMA_MAX_SD)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("seasonal_pdq order D must be at most %d", ARIMA_MAX_SD)));
	}
}

/* checks that depend on the period (known after the data's spacing was seen) */
static void
check_model_size(const ArimaOrders *rq, int period, int64 longest)
{
	ArimaSpec	sp = {rq->order[0], rq->order[1], rq->order[2], rq->sorder[0], rq->sorder[1],
	rq->sorder[2], period, 0, ARIMA_ML, 0, 0, 0, 0};
	int			r = arima_state_dim(&sp);

	if (r > ARIMA_MAX_R)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the ARMA part is too long for period %d: max(p + period*P, q + period*Q + 1) = %d exceeds %d",
						period, r, ARIMA_MAX_R),
				 errhint("Use smaller seasonal orders, or a shorter period.")));
	if (arima_work_doubles(&sp, (int) Min(longest, INT_MAX)) > MAX_WORK_DOUBLES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("model (%d,%d,%d)(%d,%d,%d)[%d] needs too much memory to fit",
						sp.p, sp.d, sp.q, sp.P, sp.D, sp.Q, period),
				 errhint("A seasonal AR part with a long period makes the exact initial covariance expensive; use a seasonal MA part or seasonal differencing instead.")));
}

/*
 * pdq and seasonal_pdq (arguments 7, 8), checked.  pdq NULL: automatic selection of every order
 * (forecast::auto.arima), so seasonal_pdq must be NULL too.  pdq given and seasonal_pdq NULL: no
 * seasonal part, as R's arima() defaults to seasonal = c(0, 0, 0).
 */
static void
orders_parse(FunctionCallInfo fcinfo, const FcRequest *rq, ArimaOrders *ao)
{
	memset(ao, 0, sizeof(*ao));
	ao->auto_order = PG_ARGISNULL(7);
	ao->auto_seasonal = PG_ARGISNULL(8);
	if (!ao->auto_order)
		int_triple(PG_GETARG_ARRAYTYPE_P(7), "pdq", ao->order);
	if (!ao->auto_seasonal)
		int_triple(PG_GETARG_ARRAYTYPE_P(8), "seasonal_pdq", ao->sorder);
	check_orders(ao);
	if (rq->period > 0 && !ao->auto_order && !ao->auto_seasonal)
		check_model_size(ao, rq->period, 1);
	if (ao->auto_order && !ao->auto_seasonal)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("seasonal_pdq must be NULL when pdq is NULL (automatic order selection)"),
				 errhint("Leave both NULL to choose every order per series, or give pdq as well.")));
}

/* the work space of one fit, known once the period and the longest series are */
static size_t
work_per_fit(const ArimaOrders *ao, const SeriesGrid *g)
{
	ArimaSpec	spec = {ao->order[0], ao->order[1], ao->order[2], ao->sorder[0], ao->sorder[1],
	ao->sorder[2], g->period, (ao->order[1] + ao->sorder[1]) == 0, ARIMA_ML, 0, 0, 0, 0};

	if (!ao->auto_order)
	{
		check_model_size(ao, g->period, g->longest);
		return arima_work_doubles(&spec, (int) g->longest);
	}
	if (autoarima_work_doubles((int) Min(g->longest, INT_MAX), g->period) > MAX_WORK_DOUBLES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("automatic order selection for period %d and %lld periods needs too much memory",
						g->period, (long long) g->longest),
				 errhint("Use a shorter period or give the orders.")));
	return autoarima_work_doubles((int) g->longest, g->period);
}

/* ---------- the fit ---------- */

/* series s's record from its fit */
static void
fill_record(ArimaFits *f, const SeriesGrid *g, int s, const ArimaBatchItem *it, const AutoArimaInfo *info,
			int horizon, MemoryContext cxt)
{
	ArimaSeriesRec *r = &f->recs[s];
	const ArimaResult *res = &it->res;
	const double *mean = it->fc_mean,
			   *se = it->fc_se;

	memset(r, 0, sizeof(*r));
	r->series = g->sd.key[s];
	f->nfb[res->fallback]++;
	if (res->optim_code != 0)
		f->not_converged++;
	r->ord[0] = res->spec.p;
	r->ord[1] = res->spec.d;
	r->ord[2] = res->spec.q;
	r->ord[3] = res->spec.P;
	r->ord[4] = res->spec.D;
	r->ord[5] = res->spec.Q;
	r->ord[6] = res->spec.s;
	r->ord[7] = res->spec.include_drift ? 2 : res->spec.include_mean ? 1 : 0;
	r->ncoef = res->ncoef;
	r->coef = palloc(Max(res->ncoef, 1) * sizeof(double));
	r->se = palloc(Max(res->ncoef, 1) * sizeof(double));
	memcpy(r->coef, res->coef, res->ncoef * sizeof(double));
	memcpy(r->se, res->se, res->ncoef * sizeof(double));
	r->stats[0] = res->sigma2;
	r->stats[1] = res->loglik;
	r->stats[2] = res->aic;
	r->stats[3] = res->aicc;
	r->stats[4] = info ? info->mase_scale : autoarima_mase_scale(it->y, it->n, g->period);
	if (info)
		auto_count(&f->ac, res, info, cxt);
	r->ints[0] = it->n;
	r->ints[1] = res->n_used;
	r->ints[2] = res->fallback;
	r->ints[3] = res->optim_code;
	r->fallback = (char *) arima_fallback_text(res->fallback);
	series_grid_steps(g, s, horizon, &r->steps, &r->ts);
	r->fc = palloc((size_t) 5 * horizon * sizeof(double));
	for (int k = 0; k < horizon; k++)
	{
		/* only "no data: no forecast" has no numbers; anything else not finite is a numerical
		 * failure, never a silently missing row */
		if (res->fallback != ARIMA_FB_NO_DATA && (!isfinite(mean[k]) || isnan(se[k])))
			fc_not_finite(r->series, k + 1, psprintf("mean %g, standard error %g", mean[k], se[k]));
		r->fc[5 * k] = mean[k];
		r->fc[5 * k + 1] = mean[k] - Z80 * se[k];
		r->fc[5 * k + 2] = mean[k] + Z80 * se[k];
		r->fc[5 * k + 3] = mean[k] - Z95 * se[k];
		r->fc[5 * k + 4] = mean[k] + Z95 * se[k];
	}
	series_grid_history(g, s, &r->hist);
}

/*
 * Fits every series: pure C on mk_thread_count() threads, no PostgreSQL call until they are all
 * done; they poll the backend's cancel and terminate flags.
 */
static void
fit_all(ArimaFits *f, const ArimaOrders *ao, const SeriesGrid *g, int horizon, MemoryContext cxt)
{
	int			n = g->sd.nseries;
	ArimaSpec	spec = {ao->order[0], ao->order[1], ao->order[2], ao->sorder[0], ao->sorder[1],
	ao->sorder[2], g->period, (ao->order[1] + ao->sorder[1]) == 0, ARIMA_ML, 0, 0, 0, 0};
	int			nthreads = Min(mk_thread_count(), Max(n, 1));
	size_t		per_thread = work_per_fit(ao, g);
	AutoArimaOptions aopt = {g->period};
	AutoArimaInfo *infos = NULL;
	void	  **extras = NULL;
	ArimaBatchItem *items = MemoryContextAllocHuge(cxt, Max(n, 1) * sizeof(ArimaBatchItem));
	double	   *fcbuf = MemoryContextAllocHuge(cxt, (size_t) Max(n, 1) * 2 * horizon * sizeof(double));
	double	   *work = MemoryContextAllocHuge(cxt, (size_t) nthreads * per_thread * sizeof(double));

	memset(f, 0, sizeof(*f));
	f->recs = MemoryContextAllocHuge(cxt, Max(n, 1) * sizeof(ArimaSeriesRec));
	for (int s = 0; s < n; s++)
	{
		memset(&items[s], 0, sizeof(ArimaBatchItem));
		items[s].y = g->y + g->off[s];
		items[s].n = (int) (g->off[s + 1] - g->off[s]);
		items[s].fc_mean = fcbuf + (size_t) s * 2 * horizon;
		items[s].fc_se = items[s].fc_mean + horizon;
	}
	if (ao->auto_order)
	{
		infos = MemoryContextAllocHuge(cxt, Max(n, 1) * sizeof(AutoArimaInfo));
		extras = MemoryContextAllocHuge(cxt, Max(n, 1) * sizeof(void *));
		for (int s = 0; s < n; s++)
		{
			infos[s].trace = NULL;
			extras[s] = &infos[s];
		}
	}
	fc_run_batch(items, n, ao->auto_order ? autoarima_fit_series : NULL,
				 ao->auto_order ? (const void *) &aopt : (const void *) &spec, extras, horizon, nthreads,
				 work, per_thread);
	for (int s = 0; s < n; s++)
	{
		if ((s & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		fill_record(f, g, s, &items[s], infos ? &infos[s] : NULL, horizon, cxt);
	}
}

/* ---------- storing ---------- */

static void
spec_json_array(MkJson *j, const char *key, const int *v, bool isnull)
{
	mk_json_key(j, key);
	if (isnull)
	{
		mk_json_null(j);
		return;
	}
	mk_json_arr_open(j);
	for (int i = 0; i < 3; i++)
		mk_json_int(j, v[i]);
	mk_json_arr_close(j);
}

static void
spec_json(MkJson *js, const FcRequest *rq, const ArimaOrders *ao)
{
	fc_spec_json(js, rq);
	spec_json_array(js, "pdq", ao->order, ao->auto_order);
	spec_json_array(js, "seasonal_pdq", ao->sorder, ao->auto_seasonal);
}

/* The spec of a call (every argument, so that retrain replays it), from the call's arguments. */
void
arima_spec_json(MkJson *js, FunctionCallInfo fcinfo)
{
	FcRequest	rq;
	ArimaOrders ao;

	fc_request_parse(fcinfo, &rq);
	orders_parse(fcinfo, &rq, &ao);
	spec_json(js, &rq, &ao);
}

/* "fallbacks": {reason: series, ...} for the counts nfb[1..ARIMA_FB_FAILED_MEAN] */
void
arima_fallbacks_json(MkJson *js, const int *nfb)
{
	mk_json_key(js, "fallbacks");
	mk_json_obj_open(js);
	for (int f = 1; f <= ARIMA_FB_FAILED_MEAN; f++)
	{
		mk_json_key(js, arima_fallback_text((ArimaFallback) f));
		mk_json_int(js, nfb[f]);
	}
	mk_json_obj_close(js);
}


/* The forecasts of n series as the rows of arima_forecast (a series without data has none). */
void
arima_put_rows(ReturnSetInfo *rsinfo, const ArimaSeriesRec *recs, int64 n, int horizon)
{
	for (int64 s = 0; s < n; s++)
		if (recs[s].ints[2] != ARIMA_FB_NO_DATA)	/* documented: fallback "no data: no forecast" */
			fc_put_rows(rsinfo, NULL, 0, recs[s].series, recs[s].steps, recs[s].ts, recs[s].fc, horizon);
}

/* the model version's metrics: series per fallback and per chosen model, work done */
static char *
metrics_json(const SeriesGrid *g, const ArimaOrders *ao, ArimaFits *f, double train_ms)
{
	MkJson		js;
	AutoCounts *ac = &f->ac;

	fc_metrics_begin(&js, g);
	arima_fallbacks_json(&js, f->nfb);
	if (ao->auto_order)
	{
		/* series per chosen model, most frequent first */
		mk_json_key(&js, "selection");
		mk_json_str(&js, "auto.arima");
		mk_json_key(&js, "orders");
		mk_json_obj_open(&js);
		for (int i = 0; i < ac->nlabels; i++)
			for (int j = i + 1; j < ac->nlabels; j++)
				if (ac->count[j] > ac->count[i] ||
					(ac->count[j] == ac->count[i] && strcmp(ac->label[j], ac->label[i]) < 0))
				{
					char	   *tl = ac->label[i];
					int			tc = ac->count[i];

					ac->label[i] = ac->label[j];
					ac->count[i] = ac->count[j];
					ac->label[j] = tl;
					ac->count[j] = tc;
				}
		for (int i = 0; i < ac->nlabels; i++)
		{
			mk_json_key(&js, ac->label[i]);
			mk_json_int(&js, ac->count[i]);
		}
		mk_json_obj_close(&js);
		mk_json_key(&js, "approximated");
		mk_json_int(&js, ac->approximated);
		mk_json_key(&js, "models_tried");
		mk_json_int(&js, ac->models_tried);
		mk_json_key(&js, "exact_refits");
		mk_json_int(&js, ac->refits);
	}
	mk_json_key(&js, "not_converged");
	mk_json_int(&js, f->not_converged);
	fc_metrics_counts(&js, g, train_ms);
	mk_json_key(&js, "path");	/* the rows were read here (arima_dist.c: "pushdown") */
	mk_json_str(&js, "local");
	return mk_json_end(&js);
}

/* one model version holds everything */
static bytea *
model_blob(const SeriesGrid *g, int horizon, const ArimaFits *f)
{
	MkWriter	w;

	mk_writer_init(&w);
	mk_put_i32(&w, ARIMA_BLOB_VERSION);
	mk_put_i32(&w, horizon);
	mk_put_i32(&w, g->itime ? TK_INTEGER : TK_TIME);
	mk_put_i32(&w, g->period);
	mk_put_i64(&w, g->sd.nseries);
	for (int s = 0; s < g->sd.nseries; s++)
	{
		put_series(&w, &f->recs[s], horizon);
		if ((s & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return mk_writer_finish(&w, MKF_KIND_ARIMA);
}

/* ---------- the entry points ---------- */

/*
 * The trainer.  shard: called on a Citus worker for one shard's series by
 * mktdb._arima_forecast_shard (arima_dist.c): returns the model as bytea, stores nothing.
 */
static Datum
arima_forecast(FunctionCallInfo fcinfo, bool shard)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	FcRequest	rq;
	ArimaOrders ao;
	SeriesGrid	g;
	ArimaFits	f;
	MemoryContext train_cxt,
				old;
	MkTime		t0 = mk_now();
	MkJson		js;
	bytea	   *blob;
	double		train_ms;
	int32		version;

	/* ---- checks: every argument before any work ---- */
	fc_request_parse(fcinfo, &rq);
	orders_parse(fcinfo, &rq, &ao);

	/* a Citus table distributed by a group column: each worker fits its own series */
	if (!shard && arima_on_shards(fcinfo, rq.source, rq.groups, rq.ngroups))
		return (Datum) 0;
	/* forecasts go back as rows; check the call context before reading anything */
	if (!shard)
		InitMaterializedSRF(fcinfo, 0);
	train_cxt = AllocSetContextCreate(CurrentMemoryContext, "mktdb arima", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(train_cxt);

	/* ---- read: the series on their period grid, gaps and NULLs missing ---- */
	series_grid_read(&g, rq.source, rq.time_col, rq.value_col, rq.groups, rq.ngroups, rq.period, true, train_cxt);

	/* ---- fit ---- */
	fit_all(&f, &ao, &g, rq.horizon, train_cxt);
	train_ms = mk_ms_since(t0);
	if (g.sd.nseries == f.nfb[ARIMA_FB_NO_DATA])
	{
		fc_store_nothing(old, train_cxt);
		if (shard)
			PG_RETURN_NULL();	/* arima_dist.c skips the shard (a NULL pointer as bytea would crash) */
		return (Datum) 0;
	}

	/* ---- store: one model version (a shard's fits go back to the coordinator instead) ---- */
	blob = model_blob(&g, rq.horizon, &f);
	if (shard)
	{
		MemoryContextSwitchTo(old);
		blob = (bytea *) PG_DETOAST_DATUM_COPY(PointerGetDatum(blob));
		MemoryContextDelete(train_cxt);
		PG_RETURN_BYTEA_P(blob);
	}
	spec_json(&js, &rq, &ao);
	mk_store_model(rq.model, "arima", mk_json_end(&js), metrics_json(&g, &ao, &f, train_ms),
				   g.sd.nrows + g.sd.skipped, train_ms, blob, &version);

	/* ---- the forecasts as rows ---- */
	MemoryContextSwitchTo(old);
	arima_put_rows(rsinfo, f.recs, g.sd.nseries, rq.horizon);
	MemoryContextDelete(train_cxt);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(mktdb_arima_forecast);
Datum
mktdb_arima_forecast(PG_FUNCTION_ARGS)
{
	return arima_forecast(fcinfo, false);
}

/* mktdb._arima_forecast_shard(same arguments) RETURNS bytea: one shard's fits, not stored */
PG_FUNCTION_INFO_V1(mktdb_arima_forecast_shard);
Datum
mktdb_arima_forecast_shard(PG_FUNCTION_ARGS)
{
	return arima_forecast(fcinfo, true);
}

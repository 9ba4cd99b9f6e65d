/*
 * arima_int.h -- what the parts of arima_forecast share: the trainer (arima_train.c), the
 * binary model (arima_model.c), the readers (arima_read.c) and arima_dist.c (grouped forecasts
 * fitted on the Citus workers that hold the series).
 */
#ifndef MKTDB_ARIMA_INT_H
#define MKTDB_ARIMA_INT_H

#include "mktdb.h"
#include "fmgr.h"
#include "funcapi.h"
#include "core/arima.h"
#include "series_history.h"
#include "forecast_request.h"

#define ARIMA_BLOB_VERSION 3		/* 3: recent history; 2: per-series MASE scale; 1, 2 still read */


/* one stored series (also the decoded form) */
typedef struct ArimaSeriesRec
{
	char	   *series;
	int32		ord[8];			/* p d q P D Q s constant (0 none, 1 intercept, 2 drift) */
	int32		ncoef;
	double	   *coef;
	double	   *se;
	double		stats[5];		/* sigma2, loglik, aic, aicc, MASE scale (NaN: none) */
	int32		ints[4];		/* n_obs, n_used, fallback code, optimiser code (R's) */
	char	   *fallback;
	int64	   *steps;
	int64	   *ts;				/* NULL without timestamps */
	double	   *fc;				/* mean, lo80, hi80, lo95, hi95 per step */
	MkSeriesHistory hist;		/* format 3; n = 0 in older models */
} ArimaSeriesRec;

typedef struct ArimaModel
{
	int32		fmt;			/* format version the model was stored in */
	int32		horizon;
	int32		time_kind;
	int32		period;
	int64		nseries;
	ArimaSeriesRec *s;
} ArimaModel;
/* arima_model.c */
void	   *arima_decode(bytea *blob, MemoryContext cxt);	/* an ArimaModel */
void		put_series(MkWriter *w, const ArimaSeriesRec *r, int h);
void		arima_order_label(char *buf, size_t size, const ArimaSpec *sp);	/* R's, "ARIMA(0,1,1) with drift" */
ArimaSpec	arima_rec_spec(const int32 *ord);

/* arima_train.c */
void		arima_spec_json(MkJson *js, FunctionCallInfo fcinfo);	/* begins the object */
void		arima_fallbacks_json(MkJson *js, const int *nfb);
void		arima_put_rows(ReturnSetInfo *rsinfo, const ArimaSeriesRec *recs, int64 n, int horizon);

/* arima_dist.c: true when the call was served by fitting on the shards (rows already returned) */
bool		arima_on_shards(FunctionCallInfo fcinfo, const char *source, char **groups, int ngroups);

#endif

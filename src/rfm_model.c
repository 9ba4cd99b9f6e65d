/*
 * rfm_model.c -- an RFM model's bytes (the thresholds of every score, exact monetary ones as
 * text) and reading them: mktdb.rfm_of scores values against a stored model.
 */
#include "rfm_int.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "core/rfm.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "tcop/dest.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(mktdb_rfm_of);

/* the model's bytes: bins, customers, reference day, then the thresholds of scores 2..bins */
bytea *
rfm_serialize(int bins, int64 n, int32 as_of_day, const int64 *r_thr, const int64 *f_thr,
			  const double *m_thr, char *const *m_thr_text)
{
	MkWriter	w;

	mk_writer_init(&w);
	mk_put_i32(&w, bins);
	mk_put_i64(&w, n);
	mk_put_i32(&w, as_of_day);
	mk_put_i64s(&w, r_thr, bins - 1);
	mk_put_i64s(&w, f_thr, bins - 1);
	mk_put_f64s(&w, m_thr, bins - 1);
	for (int s = 0; s < bins - 1; s++)
		mk_put_text(&w, m_thr_text[s]);
	return mk_writer_finish(&w, MKF_KIND_RFM);
}

/* the cell as text: "545", or "10-3-7" when a score can have two digits */
Datum
rfm_cell_text(int r, int f, int m, int bins)
{
	if (bins <= 9)
	{
		char		c[4] = {(char) ('0' + r), (char) ('0' + f), (char) ('0' + m), '\0'};

		return CStringGetTextDatum(c);
	}
	/* two-digit scores would be ambiguous without a separator */
	return CStringGetTextDatum(psprintf("%d-%d-%d", r, f, m));
}

/* ---------- reading a model ---------- */

typedef struct RfmModel
{
	int			bins;
	int64		n;
	int32		as_of_day;
	int64	   *r_thr;
	int64	   *f_thr;
	double	   *m_thr;
} RfmModel;

static bool
nondecreasing_i64(const int64 *v, int n)
{
	for (int i = 1; i < n; i++)
		if (v[i] < v[i - 1])
			return false;
	return true;
}

static void *
rfm_decode(bytea *blob, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	RfmModel   *mdl = palloc0(sizeof(RfmModel));
	MkfReader	r;
	int64		nr,
				nf,
				nm;

	mk_reader_open(&r, blob, MKF_KIND_RFM);
	mdl->bins = mkf_get_i32(&r);
	mdl->n = mkf_get_i64(&r);
	mdl->as_of_day = mkf_get_i32(&r);
	mk_reader_check(&r);
	if (mdl->bins < RFM_MIN_BINS || mdl->bins > RFM_MAX_BINS || mdl->n < 1)
		mk_damaged("RFM model with an impossible number of bins or customers");
	mdl->r_thr = mk_get_i64s(&r, &nr);
	mdl->f_thr = mk_get_i64s(&r, &nf);
	mdl->m_thr = mk_get_f64s(&r, &nm);
	if (nr != mdl->bins - 1 || nf != mdl->bins - 1 || nm != mdl->bins - 1)
		mk_damaged("RFM thresholds do not match the number of bins");
	for (int s = 0; s < mdl->bins - 1; s++)
	{
		(void) mk_get_text(&r);	/* exact monetary thresholds: for metrics only */
		if (isnan(mdl->m_thr[s]) || (s > 0 && mdl->m_thr[s] < mdl->m_thr[s - 1]))
			mk_damaged("RFM monetary thresholds are not ordered");
	}
	if (!nondecreasing_i64(mdl->r_thr, mdl->bins - 1) || !nondecreasing_i64(mdl->f_thr, mdl->bins - 1))
		mk_damaged("RFM thresholds are not ordered");
	mk_reader_finish(&r);
	MemoryContextSwitchTo(old);
	return mdl;
}

/*
 * mktdb.rfm_of(model, recency_days, frequency, monetary) -> (r, f, m, rfm_cell,
 * segment), scored against the model's thresholds.  A NULL measure gives a NULL
 * score, cell and segment.
 */
Datum
mktdb_rfm_of(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *name;
	MkModelInfo info;
	RfmModel   *mdl;
	Datum		values[5];
	bool		nulls[5] = {false};
	int			sc[3] = {0, 0, 0};

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model must not be NULL")));
	if (!PG_ARGISNULL(3) && isnan(PG_GETARG_FLOAT8(3)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("monetary must not be NaN")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	InitMaterializedSRF(fcinfo, 0);
	mdl = mk_model_get(name, "rfm", rfm_decode, &info);

	if (!PG_ARGISNULL(1))
		sc[0] = rfm_score_int(-(int64) PG_GETARG_INT32(1), mdl->r_thr, mdl->bins);
	if (!PG_ARGISNULL(2))
		sc[1] = rfm_score_int(PG_GETARG_INT64(2), mdl->f_thr, mdl->bins);
	if (!PG_ARGISNULL(3))
		sc[2] = rfm_score_f64(PG_GETARG_FLOAT8(3), mdl->m_thr, mdl->bins);
	for (int k = 0; k < 3; k++)
	{
		values[k] = Int32GetDatum(sc[k]);
		nulls[k] = sc[k] == 0;
	}
	if (sc[0] && sc[1] && sc[2])
	{
		values[3] = rfm_cell_text(sc[0], sc[1], sc[2], mdl->bins);
		values[4] = CStringGetTextDatum(rfm_segment(sc[0], sc[1], sc[2], mdl->bins));
	}
	else
		nulls[3] = nulls[4] = true;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}

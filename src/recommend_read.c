/*
 * recommend_read.c -- the recommender's reading functions: mktdb.recommend_for (text and
 * bigint ids), mktdb.similar_items (text and bigint ids) and the batch mktdb.recommend_all,
 * over a decoded model from the per-backend cache (recommend_model.c).
 *
 * ALS: every score is the canonical topn_dot(x_u, y_i), so a precomputed list (computed at
 * training time from dgemm candidates, rescored canonically), a dense scan and recommend_all
 * agree bit for bit; recommend_for with exclude_seen and n <= K reads the list and scores only
 * the n items it returns.  similar_items: cosine of the item factors.
 * EASE: a user's scores are the sum of the stored B rows of the user's items (one fixed order),
 * similar_items is item i's row of B (what buying i adds to each other item's score).
 */
#include "recommend.h"

#include <limits.h>
#include <math.h>

#include <cblas.h>

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "core/als.h"
#include "core/ease.h"
#include "core/topn.h"

/* ---------------------------------------------------------------------------------------------
 * Reading functions
 * ------------------------------------------------------------------------------------------ */

static RecModel *
get_model(FunctionCallInfo fcinfo, MkModelInfo *info)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));

	return (RecModel *) mk_model_get(name, "recommender", decode_model, info);
}

static int
arg_n(FunctionCallInfo fcinfo, int argno)
{
	int32		n = PG_GETARG_INT32(argno);

	if (n < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n must be at least 1, not %d", n)));
	return n;
}

/* text item ids as bigint: ERROR unless every one is an integer written canonically */
static void
need_item_ints(RecModel *m, const char *model)
{
	if (m->items.type == REC_KEY_BIGINT)
		return;
	if (m->item_ints_state == 0)
	{
		int64	   *v = MemoryContextAllocHuge(m->cxt, sizeof(int64) * m->n_items);

		m->item_ints_state = 1;
		for (int64 i = 0; i < m->n_items && m->item_ints_state == 1; i++)
		{
			const char *s = m->items.blob + m->items.off[i];
			int64		len = m->items.off[i + 1] - m->items.off[i];
			char		buf[32];

			if (!parse_int64(s, len, &v[i]))
				m->item_ints_state = -1;
			else
			{
				snprintf(buf, sizeof(buf), "%lld", (long long) v[i]);
				if ((int64) strlen(buf) != len || memcmp(buf, s, len) != 0)
					m->item_ints_state = -1;
			}
		}
		if (m->item_ints_state == 1)
			m->item_ints = v;
		else
			pfree(v);
	}
	if (m->item_ints_state < 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("model \"%s\" has text item ids that are not all integers", model),
				 errhint("Call the text form of the function, e.g. with the id cast to text: mktdb.recommend_for('%s', user_id::text).",
						 model)));
}

static Datum
item_datum(RecModel *m, int32 idx, bool as_bigint)
{
	if (!as_bigint)
		return key_text_datum(&m->items, idx);
	if (m->items.type == REC_KEY_BIGINT)
		return Int64GetDatum(m->items.ikeys[idx]);
	return Int64GetDatum(m->item_ints[idx]);
}

/*
 * User u's best n from the precomputed list, when it answers the call (exclude_seen, and
 * n <= K or the list holds every item left): only the n returned items are scored.  -1: no.
 */
static int
user_top_precomputed(RecModel *m, int64 u, int n)
{
	const int32 *t;
	int			got = 0;

	if (m->top_k == 0)
		return -1;
	t = m->top + u * m->top_k;
	if (n > m->top_k && t[m->top_k - 1] >= 0)
		return -1;
	while (got < Min(n, m->top_k) && t[got] >= 0)
	{
		m->top_idx[got] = t[got];
		m->top_score[got] = m->method == REC_METHOD_EASE
			? m->top_scores[u * m->top_k + got]
			: topn_dot(m->X + u * m->f, m->Y + (int64) t[got] * m->f, m->f);
		got++;
	}
	return got;
}

static void
emit_rows(FunctionCallInfo fcinfo, RecModel *m, int got, bool as_bigint)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	for (int k = 0; k < got; k++)
	{
		Datum		v[3];
		bool		nulls[3] = {false, false, false};

		v[0] = item_datum(m, m->top_idx[k], as_bigint);
		v[1] = Float8GetDatum(m->top_score[k]);
		v[2] = Int32GetDatum(k + 1);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
}

/* EASE: user u's best n (scores: the sum of the B rows of the user's items) */
static int
ease_user_top(RecModel *m, int64 u, int n, bool exclude_seen)
{
	const int32 *items = m->indices + m->indptr[u];
	int64		len = m->indptr[u + 1] - m->indptr[u];

	int			got;

	if (exclude_seen && (got = user_top_precomputed(m, u, n)) >= 0)
		return got;
	ease_user_scores(m->b_indptr, m->b_cols, m->b_vals, m->n_items, items, len, m->scores);
	return ease_select(m->scores, m->n_items, m->popular, m->rank_of, items, exclude_seen ? len : 0, -1, n,
					   m->rank_scores, m->skip_ranks, m->top_idx, m->top_score);
}

static Datum
recommend_for_common(FunctionCallInfo fcinfo, bool as_bigint)
{
	MkModelInfo info;
	int			n = arg_n(fcinfo, 2);
	bool		exclude_seen = PG_GETARG_BOOL(3);
	RecModel   *m;
	int64		u;
	int			got;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	m = get_model(fcinfo, &info);
	if (as_bigint)
	{
		need_item_ints(m, info.name);
		u = keys_lookup_int(&m->users, PG_GETARG_INT64(1));
	}
	else
	{
		text	   *t = PG_GETARG_TEXT_PP(1);

		u = keys_lookup_text(&m->users, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	}
	if (u < 0)
	{
		/* a user the model never saw: the most popular items */
		got = (int) Min((int64) n, m->n_items);
		for (int k = 0; k < got; k++)
		{
			m->top_idx[k] = m->popular[k];
			m->top_score[k] = m->pop_share[m->popular[k]];
		}
	}
	else if (m->method == REC_METHOD_EASE)
		got = ease_user_top(m, u, n, exclude_seen);
	else if (!exclude_seen || (got = user_top_precomputed(m, u, n)) < 0)
	{
		topn_scores(m->Y, (int32) m->n_items, m->f, m->X + u * m->f, m->scores);
		got = exclude_seen
			? topn_select(m->scores, (int32) m->n_items, m->indices + m->indptr[u],
						  m->indptr[u + 1] - m->indptr[u], -1, (int) Min((int64) n, m->n_items),
						  m->top_idx, m->top_score)
			: topn_select(m->scores, (int32) m->n_items, NULL, 0, -1, (int) Min((int64) n, m->n_items),
						  m->top_idx, m->top_score);
	}
	emit_rows(fcinfo, m, got, as_bigint);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(mktdb_recommend_for_text);
Datum
mktdb_recommend_for_text(PG_FUNCTION_ARGS)
{
	return recommend_for_common(fcinfo, false);
}

PG_FUNCTION_INFO_V1(mktdb_recommend_for_int8);
Datum
mktdb_recommend_for_int8(PG_FUNCTION_ARGS)
{
	return recommend_for_common(fcinfo, true);
}

static Datum
similar_items_common(FunctionCallInfo fcinfo, bool as_bigint)
{
	MkModelInfo info;
	int			n = arg_n(fcinfo, 2);
	RecModel   *m;
	int64		i;
	int			got;
	int			saved;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	m = get_model(fcinfo, &info);
	if (as_bigint)
	{
		need_item_ints(m, info.name);
		i = keys_lookup_int(&m->items, PG_GETARG_INT64(1));
	}
	else
	{
		text	   *t = PG_GETARG_TEXT_PP(1);

		i = keys_lookup_text(&m->items, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	}
	if (i < 0)
		return (Datum) 0;		/* an item the model never saw has no neighbours */
	if (m->method == REC_METHOD_EASE)
	{
		/* row i of B: what buying i adds to each item's score; only positive weights */
		memset(m->scores, 0, sizeof(double) * m->n_items);
		for (int64 e = m->b_indptr[i]; e < m->b_indptr[i + 1]; e++)
			m->scores[m->b_cols[e]] = m->b_vals[e];
		got = ease_select(m->scores, m->n_items, m->popular, m->rank_of, NULL, 0, (int32) i, n,
						  m->rank_scores, m->skip_ranks, m->top_idx, m->top_score);
		/* only the items buying i makes more likely */
		for (int k = 0; k < got; k++)
			if (!(m->top_score[k] > 0))
				got = k;
		emit_rows(fcinfo, m, got, as_bigint);
		return (Datum) 0;
	}

	saved = als_blas_threads(1);
	cblas_dgemv(CblasRowMajor, CblasNoTrans, (int) m->n_items, m->f, 1.0, m->Y, m->f,
				m->Y + i * m->f, 1, 0.0, m->scores, 1);
	als_blas_threads(saved);
	for (int64 j = 0; j < m->n_items; j++)
	{
		double		d = m->item_norm[j] * m->item_norm[i];

		m->scores[j] = d > 0 ? m->scores[j] / d : 0.0;
	}
	got = topn_select(m->scores, (int32) m->n_items, NULL, 0, (int32) i,
					  (int) Min((int64) n, m->n_items), m->top_idx, m->top_score);
	emit_rows(fcinfo, m, got, as_bigint);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(mktdb_similar_items_text);
Datum
mktdb_similar_items_text(PG_FUNCTION_ARGS)
{
	return similar_items_common(fcinfo, false);
}

PG_FUNCTION_INFO_V1(mktdb_similar_items_int8);
Datum
mktdb_similar_items_int8(PG_FUNCTION_ARGS)
{
	return similar_items_common(fcinfo, true);
}

/*
 * mktdb.recommend_all(model, n, exclude_seen): every user's top n, the same rows as
 * recommend_for per user (same canonical scores): from the precomputed lists when they answer,
 * else blocks of users scored with one matrix-matrix product each (BLAS threads allowed: this
 * is a batch call) and the candidates near the n-th best rescored canonically.
 */
static void
ease_all(ReturnSetInfo *rsinfo, RecModel *m, int nn, bool exclude_seen)
{
	MemoryContext rowcxt = AllocSetContextCreate(CurrentMemoryContext, "mktdb recommend_all rows",
												 ALLOCSET_DEFAULT_SIZES);

	for (int64 u = 0; u < m->n_users; u++)
	{
		int			got;
		Datum		v[4];
		bool		nulls[4] = {false, false, false, false};
		MemoryContext old;

		if ((u & 255) == 0)
			CHECK_FOR_INTERRUPTS();
		got = ease_user_top(m, u, nn, exclude_seen);
		old = MemoryContextSwitchTo(rowcxt);
		v[0] = key_text_datum(&m->users, u);
		for (int k = 0; k < got; k++)
		{
			v[1] = key_text_datum(&m->items, m->top_idx[k]);
			v[2] = Float8GetDatum(m->top_score[k]);
			v[3] = Int32GetDatum(k + 1);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(rowcxt);
	}
	MemoryContextDelete(rowcxt);
}

PG_FUNCTION_INFO_V1(mktdb_recommend_all);
Datum
mktdb_recommend_all(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MkModelInfo info;
	int			n = arg_n(fcinfo, 1);
	bool		exclude_seen = PG_GETARG_BOOL(2);
	RecModel   *m;
	int64		block;
	double	   *S;
	double	   *scratch;
	int32	   *cand;
	double		y_norm_max = 0.0;
	bool		from_lists;
	int			nn;
	MemoryContext rowcxt;

	InitMaterializedSRF(fcinfo, 0);
	m = get_model(fcinfo, &info);
	nn = (int) Min((int64) n, m->n_items);
	if (m->method == REC_METHOD_EASE)
	{
		ease_all(rsinfo, m, nn, exclude_seen);
		return (Datum) 0;
	}
	/* about 16 MB of scores per block */
	block = Max(1, Min(m->n_users, (int64) (2 * 1024 * 1024) / m->n_items));
	from_lists = exclude_seen && m->top_k > 0 && nn <= m->top_k;
	if (from_lists)
		block = Min(m->n_users, 4096);
	S = palloc_extended(sizeof(double) * (from_lists ? 1 : block * m->n_items), MCXT_ALLOC_HUGE);
	scratch = palloc_extended(sizeof(double) * m->n_items, MCXT_ALLOC_HUGE);
	cand = palloc_extended(sizeof(int32) * m->n_items, MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < m->n_items; i++)
		if (!(m->item_norm[i] <= y_norm_max))
			y_norm_max = m->item_norm[i];	/* NaN propagates: then every item is rescored */
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "mktdb recommend_all rows", ALLOCSET_DEFAULT_SIZES);
	for (int64 u0 = 0; u0 < m->n_users; u0 += block)
	{
		int64		nb = Min(block, m->n_users - u0);

		CHECK_FOR_INTERRUPTS();
		if (!from_lists)
		{
			int			saved = als_blas_threads(mk_thread_count());

			cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int) nb, (int) m->n_items, m->f, 1.0,
						m->X + u0 * m->f, m->f, m->Y, m->f, 0.0, S, (int) m->n_items);
			als_blas_threads(saved);
		}
		for (int64 b = 0; b < nb; b++)
		{
			int64		u = u0 + b;
			const double *x = m->X + u * m->f;
			int			got;
			Datum		v[4];
			bool		nulls[4] = {false, false, false, false};
			MemoryContext old;

			if (from_lists)
				got = user_top_precomputed(m, u, nn);
			else
				got = topn_select_exact(S + b * m->n_items, topn_error_bound(x, m->f, y_norm_max), m->Y, m->f, x,
										(int32) m->n_items, exclude_seen ? m->indices + m->indptr[u] : NULL,
										exclude_seen ? m->indptr[u + 1] - m->indptr[u] : 0, nn, scratch,
										cand, m->top_idx, m->top_score);
			old = MemoryContextSwitchTo(rowcxt);
			v[0] = key_text_datum(&m->users, u);
			for (int k = 0; k < got; k++)
			{
				v[1] = key_text_datum(&m->items, m->top_idx[k]);
				v[2] = Float8GetDatum(m->top_score[k]);
				v[3] = Int32GetDatum(k + 1);
				tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
			}
			MemoryContextSwitchTo(old);
			MemoryContextReset(rowcxt);
		}
	}
	pfree(S);
	pfree(scratch);
	pfree(cand);
	MemoryContextDelete(rowcxt);
	return (Datum) 0;
}


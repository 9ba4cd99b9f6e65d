/*
 * recommend_model.c -- the recommender's model format: id key sets (sorted, binary-searched),
 * serialization of a trained model and its decoding for the per-backend cache.
 *
 * Ids: a user or item column of type smallint/integer/bigint is keyed by bigint, any other
 * type by its text form.  Distinct ids are sorted (bigint numerically, text bytewise) and a
 * user's or item's dense index is its position, so lookups are binary searches over the
 * stored keys.  The bigint functions on a text-keyed side compare text forms (users) or
 * convert the item ids when every one is an integer in canonical form (else ERROR 42804);
 * the text functions on a bigint-keyed side parse the text (an unparsable user is unknown).
 *
 * Payload (format layout 3): i32 layout, i32 factors (0 for EASE), i32 user key type, i32 item
 * key type, i64 n_users, i64 n_items, user keys, item keys (bigint: i64s; text: i64s
 * offsets[n+1] then one text of the concatenated keys), f64s X (n_users x f), f64s Y (n_items x
 * f), i64s indptr, i32s indices (the user x item pairs seen), i32s items by popularity, i64s
 * users per item, i32 K and i32s (n_users x K) every user's best K unseen items (-1 padded);
 * then (layout 3) i32 method (0 ALS, 1 EASE), i32 min_buyers, and EASE's pruned B: i64s
 * indptr (n_items + 1, empty for ALS), i32s columns, i32s values (float32 bit patterns), f64s
 * the scores of the precomputed lists (EASE; empty for ALS, which rescores them).
 * Layouts 1 (no precomputed lists) and 2 (no method: ALS) are still read.
 */
#include "recommend.h"

#include <limits.h>
#include <math.h>

#include <cblas.h>

#include "utils/builtins.h"

/* ---------------------------------------------------------------------------------------------
 * Key sets
 * ------------------------------------------------------------------------------------------ */
/* index of a bigint key, or -1 */
int64
keys_find_int(const KeySet *k, int64 key)
{
	int64		lo = 0,
				hi = k->n - 1;

	while (lo <= hi)
	{
		int64		mid = lo + (hi - lo) / 2;

		if (k->ikeys[mid] == key)
			return mid;
		if (k->ikeys[mid] < key)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* index of a text key, or -1 */
int64
keys_find_text(const KeySet *k, const char *s, int64 len)
{
	int64		lo = 0,
				hi = k->n - 1;

	while (lo <= hi)
	{
		int64		mid = lo + (hi - lo) / 2;
		int			c = text_cmp(k->blob + k->off[mid], k->off[mid + 1] - k->off[mid], s, len);

		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* strict int64 parse of a whole string (no spaces); false when it is not one */
bool
parse_int64(const char *s, int64 len, int64 *out)
{
	char		buf[32];
	char	   *end;
	long long	v;

	if (len <= 0 || len >= (int64) sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (!(buf[0] == '-' || (buf[0] >= '0' && buf[0] <= '9')))
		return false;
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = (int64) v;
	return true;
}

/* the index of a user/item given as text, or -1 */
int64
keys_lookup_text(const KeySet *k, const char *s, int64 len)
{
	int64		v;

	if (k->type == REC_KEY_TEXT)
		return keys_find_text(k, s, len);
	return parse_int64(s, len, &v) ? keys_find_int(k, v) : -1;
}

/* the index of a user/item given as bigint, or -1 (text-keyed: compares the decimal text form) */
int64
keys_lookup_int(const KeySet *k, int64 v)
{
	char		buf[32];

	if (k->type == REC_KEY_BIGINT)
		return keys_find_int(k, v);
	snprintf(buf, sizeof(buf), "%lld", (long long) v);
	return keys_find_text(k, buf, strlen(buf));
}

Datum
key_text_datum(const KeySet *k, int64 idx)
{
	if (k->type == REC_KEY_TEXT)
		return PointerGetDatum(cstring_to_text_with_len(k->blob + k->off[idx], (int) (k->off[idx + 1] - k->off[idx])));
	{
		/* one allocation per id (online calls return ten of these): no psprintf buffer */
		char		buf[MAXINT8LEN + 1];
		int			len = pg_lltoa(k->ikeys[idx], buf);

		return PointerGetDatum(cstring_to_text_with_len(buf, len));
	}
}
/* ---------------------------------------------------------------------------------------------
 * Serialization
 * ------------------------------------------------------------------------------------------ */

static void
put_keys(MkWriter *w, const KeySet *k)
{
	if (k->type == REC_KEY_BIGINT)
		mk_put_i64s(w, k->ikeys, k->n);
	else
	{
		mk_put_i64s(w, k->off, k->n + 1);
		/* PostgreSQL text never holds a NUL byte, so the concatenation is one C string */
		mk_put_text(w, k->blob);
	}
}

/* items by descending number of users (ties: lower index first) */
static int
cmp_pop(const void *a, const void *b, void *arg)
{
	const int64 *sort_pop = arg;
	int32		x = *(const int32 *) a,
				y = *(const int32 *) b;

	if (sort_pop[x] != sort_pop[y])
		return sort_pop[x] > sort_pop[y] ? -1 : 1;
	return x < y ? -1 : (x > y ? 1 : 0);
}

/* users per item, and the items by decreasing number of users (ties: lower index first) */
void
rec_popularity(const Prepared *pr, int32 *popular, int64 *users_per_item)
{
	for (int64 i = 0; i < pr->items.n; i++)
	{
		users_per_item[i] = pr->iu.indptr[i + 1] - pr->iu.indptr[i];
		popular[i] = (int32) i;
	}
	qsort_r(popular, pr->items.n, sizeof(int32), cmp_pop, users_per_item);
}

bytea *
serialize_model(const Prepared *pr, const RecFit *fit)
{
	MkWriter	w;
	int64		ni = pr->items.n;
	int64	   *users_per_item = palloc_extended(sizeof(int64) * Max(ni, 1), MCXT_ALLOC_HUGE);
	int32	   *popular = palloc_extended(sizeof(int32) * Max(ni, 1), MCXT_ALLOC_HUGE);
	bool		ease = fit->method == REC_METHOD_EASE;
	int64		b_nnz = ease ? fit->b_indptr[ni] : 0;

	rec_popularity(pr, popular, users_per_item);

	mk_writer_init(&w);
	mk_put_i32(&w, REC_LAYOUT);
	mk_put_i32(&w, ease ? 0 : fit->f);
	mk_put_i32(&w, pr->users.type);
	mk_put_i32(&w, pr->items.type);
	mk_put_i64(&w, pr->users.n);
	mk_put_i64(&w, ni);
	put_keys(&w, &pr->users);
	put_keys(&w, &pr->items);
	mk_put_f64s(&w, fit->X, ease ? 0 : pr->users.n * fit->f);
	mk_put_f64s(&w, fit->Y, ease ? 0 : ni * fit->f);
	mk_put_i64s(&w, pr->ui.indptr, pr->users.n + 1);
	mk_put_i32s(&w, pr->ui.indices, als_nnz(&pr->ui));
	mk_put_i32s(&w, popular, ni);
	mk_put_i64s(&w, users_per_item, ni);
	mk_put_i32(&w, fit->top_k);
	mk_put_i32s(&w, fit->top, pr->users.n * fit->top_k);
	mk_put_i32(&w, fit->method);
	mk_put_i32(&w, fit->min_buyers);
	mk_put_i64s(&w, fit->b_indptr, ease ? ni + 1 : 0);
	mk_put_i32s(&w, fit->b_cols, b_nnz);
	/* float32 values travel as their bit patterns (the format has no f32 arrays) */
	StaticAssertStmt(sizeof(float) == sizeof(int32), "float32 is 4 bytes");
	mk_put_i32s(&w, (const int32 *) fit->b_vals, b_nnz);
	mk_put_f64s(&w, fit->top_score, ease ? pr->users.n * fit->top_k : 0);
	return mk_writer_finish(&w, MKF_KIND_RECOMMENDER);
}


static void
get_keys(MkfReader *r, int type, int64 n, KeySet *k)
{
	int64		cnt;

	k->type = type;
	k->n = n;
	k->ikeys = NULL;
	k->off = NULL;
	k->blob = NULL;
	if (type == REC_KEY_BIGINT)
	{
		k->ikeys = mk_get_i64s(r, &cnt);
		if (cnt != n)
			mk_damaged("recommender id count mismatch");
		for (int64 j = 1; j < n; j++)
			if (k->ikeys[j] <= k->ikeys[j - 1])
				mk_damaged("recommender ids are not sorted");
	}
	else
	{
		int64		len;

		k->off = mk_get_i64s(r, &cnt);
		if (cnt != n + 1)
			mk_damaged("recommender id count mismatch");
		k->blob = mk_get_text(r);
		if (k->blob == NULL)
			mk_damaged("recommender ids missing");
		len = strlen(k->blob);
		if (k->off[0] != 0 || k->off[n] != len)
			mk_damaged("recommender id offsets out of range");
		for (int64 j = 0; j < n; j++)
			if (k->off[j + 1] < k->off[j])
				mk_damaged("recommender id offsets out of order");
		for (int64 j = 1; j < n; j++)
			if (text_cmp(k->blob + k->off[j - 1], k->off[j] - k->off[j - 1],
						 k->blob + k->off[j], k->off[j + 1] - k->off[j]) >= 0)
				mk_damaged("recommender ids are not sorted");
	}
}

void *
decode_model(bytea *blob, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	RecModel   *m = palloc0(sizeof(RecModel));
	MkfReader	r;
	int64		cnt,
				nnz;
	int			ut,
				it;
	int64	   *users_per_item;
	int32		layout;

	mk_reader_open(&r, blob, MKF_KIND_RECOMMENDER);
	layout = mkf_get_i32(&r);
	if (layout < 1 || layout > REC_LAYOUT)
		mk_damaged("unknown recommender layout");
	m->method = REC_METHOD_ALS;
	m->min_buyers = 1;
	m->cxt = cxt;
	m->f = mkf_get_i32(&r);
	ut = mkf_get_i32(&r);
	it = mkf_get_i32(&r);
	m->n_users = mkf_get_i64(&r);
	m->n_items = mkf_get_i64(&r);
	mk_reader_check(&r);
	if (m->f < (layout >= 3 ? 0 : 1) || m->f > REC_MAX_FACTORS || (ut != REC_KEY_BIGINT && ut != REC_KEY_TEXT) ||
		(it != REC_KEY_BIGINT && it != REC_KEY_TEXT) || m->n_users < 1 || m->n_users > REC_MAX_IDS ||
		m->n_items < 1 || m->n_items > REC_MAX_IDS)
		mk_damaged("recommender header out of range");
	get_keys(&r, ut, m->n_users, &m->users);
	get_keys(&r, it, m->n_items, &m->items);
	m->X = mk_get_f64s(&r, &cnt);
	if (cnt != m->n_users * m->f)
		mk_damaged("recommender user factors have the wrong size");
	m->Y = mk_get_f64s(&r, &cnt);
	if (cnt != m->n_items * m->f)
		mk_damaged("recommender item factors have the wrong size");
	m->indptr = mk_get_i64s(&r, &cnt);
	if (cnt != m->n_users + 1 || m->indptr[0] != 0)
		mk_damaged("recommender interaction index has the wrong size");
	m->indices = mk_get_i32s(&r, &nnz);
	if (m->indptr[m->n_users] != nnz)
		mk_damaged("recommender interaction count mismatch");
	for (int64 u = 0; u < m->n_users; u++)
	{
		if (m->indptr[u + 1] < m->indptr[u])
			mk_damaged("recommender interaction index out of order");
		for (int64 k = m->indptr[u]; k < m->indptr[u + 1]; k++)
			if (m->indices[k] < 0 || m->indices[k] >= m->n_items ||
				(k > m->indptr[u] && m->indices[k] <= m->indices[k - 1]))
				mk_damaged("recommender interactions out of range");
	}
	m->popular = mk_get_i32s(&r, &cnt);
	if (cnt != m->n_items)
		mk_damaged("recommender popularity list has the wrong size");
	users_per_item = mk_get_i64s(&r, &cnt);
	if (cnt != m->n_items)
		mk_damaged("recommender popularity counts have the wrong size");
	if (layout >= 2)
	{
		m->top_k = mkf_get_i32(&r);
		mk_reader_check(&r);
		if (m->top_k < 0 || m->top_k > REC_MAX_PRECOMPUTE)
			mk_damaged("recommender precomputed list length out of range");
		m->top = mk_get_i32s(&r, &cnt);
		if (cnt != m->n_users * m->top_k)
			mk_damaged("recommender precomputed lists have the wrong size");
		for (int64 u = 0; u < m->n_users; u++)
		{
			const int32 *t = m->top + u * m->top_k;

			for (int j = 0; j < m->top_k; j++)
				if (t[j] < -1 || t[j] >= m->n_items || (t[j] == -1 && j + 1 < m->top_k && t[j + 1] != -1))
					mk_damaged("recommender precomputed lists out of range");
		}
	}
	if (layout >= 3)
	{
		int64		bn;

		m->method = mkf_get_i32(&r);
		m->min_buyers = mkf_get_i32(&r);
		mk_reader_check(&r);
		if ((m->method != REC_METHOD_ALS && m->method != REC_METHOD_EASE) || m->min_buyers < 1 ||
			(m->method == REC_METHOD_EASE) != (m->f == 0))
			mk_damaged("recommender method out of range");
		m->b_indptr = mk_get_i64s(&r, &cnt);
		if (cnt != (m->method == REC_METHOD_EASE ? m->n_items + 1 : 0) || (cnt > 0 && m->b_indptr[0] != 0))
			mk_damaged("recommender item weights index has the wrong size");
		m->b_cols = mk_get_i32s(&r, &bn);
		m->b_vals = (float *) mk_get_i32s(&r, &cnt);
		if (cnt != bn || (m->method == REC_METHOD_EASE && m->b_indptr[m->n_items] != bn))
			mk_damaged("recommender item weights have the wrong size");
		for (int64 j = 0; m->method == REC_METHOD_EASE && j < m->n_items; j++)
		{
			if (m->b_indptr[j + 1] < m->b_indptr[j])
				mk_damaged("recommender item weights index out of order");
			for (int64 e = m->b_indptr[j]; e < m->b_indptr[j + 1]; e++)
				if (m->b_cols[e] < 0 || m->b_cols[e] >= m->n_items || m->b_cols[e] == j ||
					(e > m->b_indptr[j] && m->b_cols[e] <= m->b_cols[e - 1]) || !isfinite(m->b_vals[e]))
					mk_damaged("recommender item weights out of range");
		}
		m->top_scores = mk_get_f64s(&r, &cnt);
		if (cnt != (m->method == REC_METHOD_EASE ? m->n_users * m->top_k : 0))
			mk_damaged("recommender precomputed scores have the wrong size");
	}
	mk_reader_finish(&r);
	{
		bool	   *seen = palloc0(sizeof(bool) * m->n_items);

		for (int64 i = 0; i < m->n_items; i++)
		{
			if (m->popular[i] < 0 || m->popular[i] >= m->n_items || seen[m->popular[i]])
				mk_damaged("recommender popularity list is not a permutation");
			seen[m->popular[i]] = true;
		}
		pfree(seen);
	}
	m->pop_share = palloc_extended(sizeof(double) * m->n_items, MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < m->n_items; i++)
		m->pop_share[i] = (double) users_per_item[i] / (double) m->n_users;
	pfree(users_per_item);
	m->item_norm = palloc_extended(sizeof(double) * m->n_items, MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < m->n_items; i++)
		m->item_norm[i] = m->f > 0 ? cblas_dnrm2(m->f, m->Y + i * m->f, 1) : 0.0;
	m->scores = palloc_extended(sizeof(double) * m->n_items, MCXT_ALLOC_HUGE);
	m->top_idx = palloc_extended(sizeof(int32) * m->n_items, MCXT_ALLOC_HUGE);
	m->top_score = palloc_extended(sizeof(double) * m->n_items, MCXT_ALLOC_HUGE);
	if (m->method == REC_METHOD_EASE)
	{
		m->rank_of = palloc_extended(sizeof(int32) * m->n_items, MCXT_ALLOC_HUGE);
		for (int64 r = 0; r < m->n_items; r++)
			m->rank_of[m->popular[r]] = (int32) r;
		m->rank_scores = palloc_extended(sizeof(double) * m->n_items, MCXT_ALLOC_HUGE);
		m->skip_ranks = palloc_extended(sizeof(int32) * m->n_items, MCXT_ALLOC_HUGE);
	}
	MemoryContextSwitchTo(old);
	return m;
}


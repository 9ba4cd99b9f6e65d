/*
 * recommend_input.c -- the recommender's training input: reads (user, item, weight) rows through
 * a cursor with the caller's privileges into dense indices (ids sorted, see recommend_model.c),
 * sums duplicates, drops zero weights and applies the minimum-buyers rule, and builds the
 * user x item CSR and its transpose.
 */
#include "recommend.h"

#include <limits.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

/* ---------------------------------------------------------------------------------------------
 * Training: reading (user, item, weight) rows into dense indices
 * ------------------------------------------------------------------------------------------ */

/* Open-addressing map from an id to its first-seen index, used while reading. */
typedef struct KeyMap
{
	int			type;
	int64		n;				/* distinct keys */
	int64		cap;			/* slots, a power of two */
	int32	   *slot;			/* index + 1, 0 = empty */
	uint32	   *slot_hash;
	int64	   *ikeys;			/* by index */
	char	  **tkeys;
	int32	   *tlens;
	int64		keycap;
} KeyMap;

static inline uint32
hash_int64(int64 v)
{
	uint64		z = (uint64) v * 0x9E3779B97F4A7C15ULL;

	z ^= z >> 32;
	return (uint32) z;
}

static void
keymap_init(KeyMap *m, int type)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->cap = 1024;
	m->slot = palloc0(sizeof(int32) * m->cap);
	m->slot_hash = palloc0(sizeof(uint32) * m->cap);
	m->keycap = 512;
	if (type == REC_KEY_BIGINT)
		m->ikeys = palloc(sizeof(int64) * m->keycap);
	else
	{
		m->tkeys = palloc(sizeof(char *) * m->keycap);
		m->tlens = palloc(sizeof(int32) * m->keycap);
	}
}

static void
keymap_grow(KeyMap *m)
{
	int64		ncap = m->cap * 2;
	int32	   *ns = palloc_extended(sizeof(int32) * ncap, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	uint32	   *nh = palloc_extended(sizeof(uint32) * ncap, MCXT_ALLOC_HUGE);

	for (int64 s = 0; s < m->cap; s++)
		if (m->slot[s])
		{
			int64		t = m->slot_hash[s] & (ncap - 1);

			while (ns[t])
				t = (t + 1) & (ncap - 1);
			ns[t] = m->slot[s];
			nh[t] = m->slot_hash[s];
		}
	pfree(m->slot);
	pfree(m->slot_hash);
	m->slot = ns;
	m->slot_hash = nh;
	m->cap = ncap;
}

/* index of the key, adding it when new */
static int32
keymap_get(KeyMap *m, int64 ikey, const char *tkey, int32 tlen, const char *what)
{
	uint32		h = m->type == REC_KEY_BIGINT ? hash_int64(ikey) : hash_bytes((const unsigned char *) tkey, tlen);
	int64		s = h & (m->cap - 1);

	for (;;)
	{
		int32		idx = m->slot[s];

		if (idx == 0)
			break;
		idx--;
		if (m->slot_hash[s] == h &&
			(m->type == REC_KEY_BIGINT ? m->ikeys[idx] == ikey
			 : (m->tlens[idx] == tlen && memcmp(m->tkeys[idx], tkey, tlen) == 0)))
			return idx;
		s = (s + 1) & (m->cap - 1);
	}
	if (m->n >= REC_MAX_IDS - 1)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many distinct %s ids", what)));
	if (m->n == m->keycap)
	{
		m->keycap *= 2;
		if (m->type == REC_KEY_BIGINT)
			m->ikeys = repalloc_huge(m->ikeys, sizeof(int64) * m->keycap);
		else
		{
			m->tkeys = repalloc_huge(m->tkeys, sizeof(char *) * m->keycap);
			m->tlens = repalloc_huge(m->tlens, sizeof(int32) * m->keycap);
		}
	}
	if (m->type == REC_KEY_BIGINT)
		m->ikeys[m->n] = ikey;
	else
	{
		m->tkeys[m->n] = pnstrdup(tkey, tlen);
		m->tlens[m->n] = tlen;
	}
	m->slot[s] = (int32) (m->n + 1);
	m->slot_hash[s] = h;
	m->n++;
	if (m->n * 2 > m->cap)
		keymap_grow(m);
	return (int32) (m->n - 1);
}

static int
cmp_map_keys(const void *a, const void *b, void *arg)
{
	const KeyMap *sort_map = arg;
	int32		x = *(const int32 *) a,
				y = *(const int32 *) b;

	if (sort_map->type == REC_KEY_BIGINT)
		return sort_map->ikeys[x] < sort_map->ikeys[y] ? -1 : (sort_map->ikeys[x] > sort_map->ikeys[y] ? 1 : 0);
	return text_cmp(sort_map->tkeys[x], sort_map->tlens[x], sort_map->tkeys[y], sort_map->tlens[y]);
}

/*
 * The keys that are still used (keep[old] true) in sorted order: fills the KeySet and
 * old2new (-1 for dropped keys).
 */
static void
keymap_finish(KeyMap *m, const bool *keep, KeySet *ks, int32 *old2new)
{
	int32	   *order = palloc_extended(sizeof(int32) * Max(m->n, 1), MCXT_ALLOC_HUGE);
	int64		n = 0;

	for (int64 k = 0; k < m->n; k++)
		if (keep[k])
			order[n++] = (int32) k;
	qsort_r(order, n, sizeof(int32), cmp_map_keys, m);
	for (int64 k = 0; k < m->n; k++)
		old2new[k] = -1;
	ks->type = m->type;
	ks->n = n;
	ks->ikeys = NULL;
	ks->off = NULL;
	ks->blob = NULL;
	if (m->type == REC_KEY_BIGINT)
	{
		ks->ikeys = palloc_extended(sizeof(int64) * Max(n, 1), MCXT_ALLOC_HUGE);
		for (int64 k = 0; k < n; k++)
		{
			ks->ikeys[k] = m->ikeys[order[k]];
			old2new[order[k]] = (int32) k;
		}
	}
	else
	{
		int64		total = 0;

		for (int64 k = 0; k < n; k++)
			total += m->tlens[order[k]];
		ks->off = palloc_extended(sizeof(int64) * (n + 1), MCXT_ALLOC_HUGE);
		ks->blob = palloc_extended(total + 1, MCXT_ALLOC_HUGE);
		total = 0;
		for (int64 k = 0; k < n; k++)
		{
			ks->off[k] = total;
			memcpy(ks->blob + total, m->tkeys[order[k]], m->tlens[order[k]]);
			total += m->tlens[order[k]];
			old2new[order[k]] = (int32) k;
		}
		ks->off[n] = total;
		ks->blob[total] = '\0';
	}
	pfree(order);
}

static int
key_type_of(Oid typid)
{
	typid = getBaseType(typid);
	return (typid == INT2OID || typid == INT4OID || typid == INT8OID) ? REC_KEY_BIGINT : REC_KEY_TEXT;
}

/* reads a key datum into (ikey) or (tkey, tlen) */
static void
datum_key(Datum d, Oid typid, int type, FmgrInfo *out, int64 *ikey, char **tkey, int32 *tlen)
{
	if (type == REC_KEY_BIGINT)
	{
		switch (getBaseType(typid))
		{
			case INT2OID:
				*ikey = DatumGetInt16(d);
				break;
			case INT4OID:
				*ikey = DatumGetInt32(d);
				break;
			default:
				*ikey = DatumGetInt64(d);
		}
	}
	else
	{
		*tkey = OutputFunctionCall(out, d);
		*tlen = (int32) strlen(*tkey);
	}
}

typedef struct Triplets
{
	int64		n,
				cap;
	int32	   *u;
	int32	   *i;
	double	   *w;
} Triplets;

static void
read_interactions(const char *source, const char *user_col, const char *item_col, const char *weight_col,
				  MemoryContext work, KeyMap *um, KeyMap *im, Triplets *t, ReadStats *st)
{
	StringInfoData q;
	MkCursor	c;
	Oid			utype,
				itype,
				wtype = InvalidOid;
	FmgrInfo	uout,
				iout;
	bool		varlena;
	Oid			fn;

	initStringInfo(&q);
	appendStringInfo(&q, "SELECT %s, %s", mk_column(user_col, "user_column"), mk_column(item_col, "item_column"));
	if (weight_col)
		appendStringInfo(&q, ", %s", mk_column(weight_col, "weight_column"));
	appendStringInfo(&q, " FROM %s", mk_source_from(source));

	memset(st, 0, sizeof(*st));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	mk_cursor_open(&c, q.data, 0, NULL, NULL);
	utype = TupleDescAttr(c.tupdesc, 0)->atttypid;
	itype = TupleDescAttr(c.tupdesc, 1)->atttypid;
	if (weight_col)
	{
		mk_require_numeric(c.tupdesc, 3, psprintf("weight column \"%s\"", weight_col));
		wtype = TupleDescAttr(c.tupdesc, 2)->atttypid;
	}
	{
		MemoryContext old = MemoryContextSwitchTo(work);

		keymap_init(um, key_type_of(utype));
		keymap_init(im, key_type_of(itype));
		t->n = 0;
		t->cap = 65536;
		t->u = palloc_extended(sizeof(int32) * t->cap, MCXT_ALLOC_HUGE);
		t->i = palloc_extended(sizeof(int32) * t->cap, MCXT_ALLOC_HUGE);
		t->w = palloc_extended(sizeof(double) * t->cap, MCXT_ALLOC_HUGE);
		MemoryContextSwitchTo(old);
	}
	getTypeOutputInfo(utype, &fn, &varlena);
	fmgr_info(fn, &uout);
	getTypeOutputInfo(itype, &fn, &varlena);
	fmgr_info(fn, &iout);

	while (mk_cursor_next(&c))
	{
		for (uint64 r = 0; r < c.nrows; r++)
		{
			HeapTuple	tup = c.batch->vals[r];
			bool		unull,
						inull,
						wnull = false;
			Datum		ud = SPI_getbinval(tup, c.tupdesc, 1, &unull);
			Datum		id = SPI_getbinval(tup, c.tupdesc, 2, &inull);
			double		w = 1.0;
			int64		uk = 0,
						ik = 0;
			char	   *ut = NULL,
					   *it = NULL;
			int32		ul = 0,
						il = 0;
			MemoryContext old;

			st->rows_read++;
			if (weight_col)
			{
				Datum		wd = SPI_getbinval(tup, c.tupdesc, 3, &wnull);

				if (!wnull)
					w = mk_numeric_to_f64(wd, wtype);
			}
			if (unull || inull || wnull)
			{
				st->null_user += unull;
				st->null_item += inull && !unull;
				st->null_weight += wnull && !unull && !inull;
				continue;
			}
			if (!isfinite(w) || w < 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("weight column \"%s\" has the value %g; weights must be finite and not negative",
								weight_col, w),
						 errhint("Filter or clamp such rows in a query source; NULL weights are skipped.")));
			datum_key(ud, utype, um->type, &uout, &uk, &ut, &ul);
			datum_key(id, itype, im->type, &iout, &ik, &it, &il);
			old = MemoryContextSwitchTo(work);
			if (t->n == t->cap)
			{
				t->cap *= 2;
				t->u = repalloc_huge(t->u, sizeof(int32) * t->cap);
				t->i = repalloc_huge(t->i, sizeof(int32) * t->cap);
				t->w = repalloc_huge(t->w, sizeof(double) * t->cap);
			}
			t->u[t->n] = keymap_get(um, uk, ut, ul, "user");
			t->i[t->n] = keymap_get(im, ik, it, il, "item");
			t->w[t->n] = w;
			t->n++;
			MemoryContextSwitchTo(old);
			if (ut)
				pfree(ut);
			if (it)
				pfree(it);
		}
	}
	mk_cursor_close(&c);
	SPI_finish();
}

/* drops the keys with keep[k] false (a monotone renumbering: the order stays sorted) */
static void
keys_compact(KeySet *ks, const bool *keep, int32 *newidx)
{
	int64		n = 0,
				pos = 0;

	for (int64 k = 0; k < ks->n; k++)
	{
		newidx[k] = keep[k] ? (int32) n : -1;
		if (!keep[k])
			continue;
		if (ks->type == REC_KEY_BIGINT)
			ks->ikeys[n] = ks->ikeys[k];
		else
		{
			int64		len = ks->off[k + 1] - ks->off[k];

			memmove(ks->blob + pos, ks->blob + ks->off[k], len);
			ks->off[n] = pos;
			pos += len;
		}
		n++;
	}
	if (ks->type == REC_KEY_TEXT)
	{
		ks->off[n] = pos;
		ks->blob[pos] = '\0';
	}
	ks->n = n;
}

/*
 * Builds the sorted id sets and the user x item CSR (items ascending in each row,
 * duplicates summed, zero sums dropped, items with fewer than min_buyers distinct users left
 * out) and its transpose.
 */
static void
prepare_matrix(KeyMap *um, KeyMap *im, Triplets *t, int min_buyers, Prepared *pr)
{
	int64		nnz = t->n;
	int64		nu = um->n,
				ni = im->n;
	int64	   *cnt = palloc_extended(sizeof(int64) * (Max(nu, ni) + 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	int32	   *tu = palloc_extended(sizeof(int32) * Max(nnz, 1), MCXT_ALLOC_HUGE);
	int32	   *ti = palloc_extended(sizeof(int32) * Max(nnz, 1), MCXT_ALLOC_HUGE);
	double	   *tw = palloc_extended(sizeof(double) * Max(nnz, 1), MCXT_ALLOC_HUGE);
	bool	   *ukeep = palloc_extended(sizeof(bool) * Max(nu, 1), MCXT_ALLOC_HUGE);
	bool	   *ikeep = palloc_extended(sizeof(bool) * Max(ni, 1), MCXT_ALLOC_HUGE);
	int32	   *umap = palloc_extended(sizeof(int32) * Max(nu, 1), MCXT_ALLOC_HUGE);
	int32	   *imap = palloc_extended(sizeof(int32) * Max(ni, 1), MCXT_ALLOC_HUGE);
	int64	   *rowptr = palloc_extended(sizeof(int64) * (nu + 1), MCXT_ALLOC_HUGE);
	int64		out;

	/* dense indices = positions in the sorted id sets */
	for (int64 u = 0; u < nu; u++)
		ukeep[u] = true;
	for (int64 i = 0; i < ni; i++)
		ikeep[i] = true;
	keymap_finish(um, ukeep, &pr->users, umap);
	keymap_finish(im, ikeep, &pr->items, imap);
	for (int64 k = 0; k < nnz; k++)
	{
		t->u[k] = umap[t->u[k]];
		t->i[k] = imap[t->i[k]];
	}
	CHECK_FOR_INTERRUPTS();

	/* counting sort by item, then a stable one by user: rows come out with items ascending */
	for (int64 k = 0; k < nnz; k++)
		cnt[t->i[k] + 1]++;
	for (int64 j = 0; j < ni; j++)
		cnt[j + 1] += cnt[j];
	for (int64 k = 0; k < nnz; k++)
	{
		int64		d = cnt[t->i[k]]++;

		tu[d] = t->u[k];
		ti[d] = t->i[k];
		tw[d] = t->w[k];
	}
	for (int64 k = 0; k <= Max(nu, ni); k++)
		cnt[k] = 0;
	for (int64 k = 0; k < nnz; k++)
		cnt[tu[k] + 1]++;
	for (int64 u = 0; u < nu; u++)
		cnt[u + 1] += cnt[u];
	memcpy(rowptr, cnt, sizeof(int64) * (nu + 1));
	for (int64 k = 0; k < nnz; k++)
	{
		int64		d = cnt[tu[k]]++;

		t->u[d] = tu[k];
		t->i[d] = ti[k];
		t->w[d] = tw[k];
	}
	CHECK_FOR_INTERRUPTS();

	/* merge duplicates and drop zero sums, in place */
	for (int64 u = 0; u < nu; u++)
		ukeep[u] = false;
	for (int64 i = 0; i < ni; i++)
		ikeep[i] = false;
	pr->zero_pairs = 0;
	out = 0;
	for (int64 u = 0; u < nu; u++)
	{
		int64		lo = rowptr[u],
					hi = rowptr[u + 1];

		rowptr[u] = out;
		for (int64 k = lo; k < hi;)
		{
			int32		item = t->i[k];
			double		w = 0.0;

			for (; k < hi && t->i[k] == item; k++)
				w += t->w[k];
			if (w > 0)
			{
				t->i[out] = item;
				t->w[out] = w;
				out++;
				ukeep[u] = true;
				ikeep[item] = true;
			}
			else
				pr->zero_pairs++;
		}
	}
	rowptr[nu] = out;
	pr->duplicates = nnz - out - pr->zero_pairs;
	nnz = out;

	/*
	 * The minimum-buyers rule: an item with fewer than min_buyers distinct users says nothing
	 * reliable about what goes with it, so it is neither ranked nor used as evidence.
	 */
	pr->rare_items = pr->rare_pairs = pr->users_only_rare = 0;
	if (min_buyers > 1)
	{
		for (int64 i = 0; i <= Max(nu, ni); i++)
			cnt[i] = 0;
		for (int64 k = 0; k < nnz; k++)
			cnt[t->i[k]]++;
		for (int64 i = 0; i < ni; i++)
			if (ikeep[i] && cnt[i] < min_buyers)
			{
				ikeep[i] = false;
				pr->rare_items++;
			}
		out = 0;
		for (int64 u = 0; u < nu; u++)
		{
			int64		lo = rowptr[u],
						hi = rowptr[u + 1];

			rowptr[u] = out;
			for (int64 k = lo; k < hi; k++)
			{
				if (!ikeep[t->i[k]])
					continue;
				t->i[out] = t->i[k];
				t->w[out] = t->w[k];
				out++;
			}
			if (ukeep[u] && rowptr[u] == out)
			{
				ukeep[u] = false;
				pr->users_only_rare++;
			}
		}
		rowptr[nu] = out;
		pr->rare_pairs = nnz - out;
		nnz = out;
	}

	/* users and items left without a pair (only zero weights) are not in the model */
	keys_compact(&pr->users, ukeep, umap);
	keys_compact(&pr->items, ikeep, imap);
	pr->ui.n_rows = pr->users.n;
	pr->ui.n_cols = pr->items.n;
	pr->ui.indptr = palloc_extended(sizeof(int64) * (pr->users.n + 1), MCXT_ALLOC_HUGE);
	pr->ui.indices = palloc_extended(sizeof(int32) * Max(nnz, 1), MCXT_ALLOC_HUGE);
	pr->ui.data = palloc_extended(sizeof(double) * Max(nnz, 1), MCXT_ALLOC_HUGE);
	pr->ui.indptr[0] = 0;
	for (int64 u = 0; u < nu; u++)
	{
		if (umap[u] < 0)
			continue;
		pr->ui.indptr[umap[u] + 1] = rowptr[u + 1];
	}
	for (int64 k = 0; k < nnz; k++)
	{
		pr->ui.indices[k] = imap[t->i[k]];
		pr->ui.data[k] = t->w[k];
	}
	pr->iu.indptr = palloc_extended(sizeof(int64) * (pr->items.n + 1), MCXT_ALLOC_HUGE);
	pr->iu.indices = palloc_extended(sizeof(int32) * Max(nnz, 1), MCXT_ALLOC_HUGE);
	pr->iu.data = palloc_extended(sizeof(double) * Max(nnz, 1), MCXT_ALLOC_HUGE);
	als_csr_transpose(&pr->ui, &pr->iu);
	pfree(tu);
	pfree(ti);
	pfree(tw);
	pfree(cnt);
	pfree(rowptr);
	pfree(ukeep);
	pfree(ikeep);
	pfree(umap);
	pfree(imap);
}

/*
 * Reads the training rows (with the caller's privileges) and builds *pr: sorted ids, the CSR
 * and its transpose, items with fewer than min_buyers users left out.  The reading structures
 * are freed before returning.
 */
void
read_training_data(const char *source, const char *user_col, const char *item_col, const char *weight_col,
				   int min_buyers, MemoryContext work, Prepared *pr, ReadStats *st)
{
	KeyMap		um,
				im;
	Triplets	trip;

	read_interactions(source, user_col, item_col, weight_col, work, &um, &im, &trip, st);
	prepare_matrix(&um, &im, &trip, min_buyers, pr);
	pfree(trip.u);
	pfree(trip.i);
	pfree(trip.w);
}


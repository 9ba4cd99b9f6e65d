/*
 * recommend_sql.c -- SQL glue of the recommender (kind 'recommender'): mktdb.recommend_train,
 * mktdb.recommend_for (text and bigint ids), mktdb.similar_items (text and bigint ids) and the
 * batch mktdb.recommend_all.  The numerics live in core/als.c (training) and core/topn.c.
 *
 * Ids: a user or item column of type smallint/integer/bigint is keyed by bigint, any other
 * type by its text form.  Distinct ids are sorted (bigint numerically, text bytewise) and a
 * user's or item's dense index is its position, so lookups are binary searches over the
 * stored keys.  The bigint functions on a text-keyed side compare text forms (users) or
 * convert the item ids when every one is an integer in canonical form (else ERROR 42804);
 * the text functions on a bigint-keyed side parse the text (an unparsable user is unknown).
 *
 * Model payload (format layout 2): i32 layout, i32 factors, i32 user key type, i32 item key
 * type, i64 n_users, i64 n_items, user keys, item keys (bigint: i64s; text: i64s offsets[n+1]
 * then one text of the concatenated keys), f64s X (n_users x f), f64s Y (n_items x f), i64s
 * indptr, i32s indices (the user x item pairs seen), i32s items by popularity, i64s users per item,
 * then i32 K and i32s (n_users x K) every user's best K unseen items (-1 padded).  Layout 1 (no
 * precomputed lists) is still read.
 *
 * Online path: every score is the canonical topn_dot(x_u, y_i), so a precomputed list (computed
 * at training time from dgemm candidates, rescored canonically), a dense scan and recommend_all
 * agree bit for bit; recommend_for with exclude_seen and n <= K reads the list and scores only
 * the n items it returns.
 */
#include "mktdb.h"

#include <limits.h>
#include <math.h>

#include <cblas.h>

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/tuplestore.h"

#include "core/als.h"
#include "core/topn.h"

#define REC_LAYOUT 2
#define REC_MAX_PRECOMPUTE 1000
#define REC_KEY_BIGINT 0
#define REC_KEY_TEXT 1
#define REC_MAX_FACTORS 1024
#define REC_MAX_IDS ((int64) INT_MAX)

/* ---------------------------------------------------------------------------------------------
 * Key sets: a side's distinct ids, in sorted order (bigint or text)
 * ------------------------------------------------------------------------------------------ */

typedef struct KeySet
{
	int			type;			/* REC_KEY_BIGINT / REC_KEY_TEXT */
	int64		n;
	int64	   *ikeys;			/* bigint: n keys ascending */
	int64	   *off;			/* text: n+1 offsets into blob */
	char	   *blob;			/* text: concatenated keys */
} KeySet;

static inline int
text_cmp(const char *a, int64 alen, const char *b, int64 blen)
{
	int			c = memcmp(a, b, Min(alen, blen));

	if (c != 0)
		return c;
	return alen < blen ? -1 : (alen > blen ? 1 : 0);
}

/* index of a bigint key, or -1 */
static int64
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
static int64
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
static bool
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
static int64
keys_lookup_text(const KeySet *k, const char *s, int64 len)
{
	int64		v;

	if (k->type == REC_KEY_TEXT)
		return keys_find_text(k, s, len);
	return parse_int64(s, len, &v) ? keys_find_int(k, v) : -1;
}

/* the index of a user/item given as bigint, or -1 (text-keyed: compares the decimal text form) */
static int64
keys_lookup_int(const KeySet *k, int64 v)
{
	char		buf[32];

	if (k->type == REC_KEY_BIGINT)
		return keys_find_int(k, v);
	snprintf(buf, sizeof(buf), "%lld", (long long) v);
	return keys_find_text(k, buf, strlen(buf));
}

static Datum
key_text_datum(const KeySet *k, int64 idx)
{
	if (k->type == REC_KEY_TEXT)
		return PointerGetDatum(cstring_to_text_with_len(k->blob + k->off[idx], (int) (k->off[idx + 1] - k->off[idx])));
	return PointerGetDatum(cstring_to_text(psprintf(INT64_FORMAT, k->ikeys[idx])));
}

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

typedef struct ReadStats
{
	int64		rows_read;
	int64		null_user;
	int64		null_item;
	int64		null_weight;
} ReadStats;

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

typedef struct Prepared
{
	KeySet		users;
	KeySet		items;
	AlsCsr		ui;
	AlsCsr		iu;
	int64		duplicates;		/* rows merged into an earlier (user, item) pair */
	int64		zero_pairs;		/* pairs whose summed weight is 0: not interactions */
} Prepared;

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
 * duplicates summed, zero sums dropped) and its transpose.
 */
static void
prepare_matrix(KeyMap *um, KeyMap *im, Triplets *t, Prepared *pr)
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

static bytea *
serialize_model(const Prepared *pr, int f, const double *X, const double *Y, int top_k, const int32 *top)
{
	MkWriter	w;
	int64		ni = pr->items.n;
	int64	   *users_per_item = palloc_extended(sizeof(int64) * Max(ni, 1), MCXT_ALLOC_HUGE);
	int32	   *popular = palloc_extended(sizeof(int32) * Max(ni, 1), MCXT_ALLOC_HUGE);

	for (int64 i = 0; i < ni; i++)
	{
		users_per_item[i] = pr->iu.indptr[i + 1] - pr->iu.indptr[i];
		popular[i] = (int32) i;
	}
	qsort_r(popular, ni, sizeof(int32), cmp_pop, users_per_item);

	mk_writer_init(&w);
	mk_put_i32(&w, REC_LAYOUT);
	mk_put_i32(&w, f);
	mk_put_i32(&w, pr->users.type);
	mk_put_i32(&w, pr->items.type);
	mk_put_i64(&w, pr->users.n);
	mk_put_i64(&w, ni);
	put_keys(&w, &pr->users);
	put_keys(&w, &pr->items);
	mk_put_f64s(&w, X, pr->users.n * f);
	mk_put_f64s(&w, Y, ni * f);
	mk_put_i64s(&w, pr->ui.indptr, pr->users.n + 1);
	mk_put_i32s(&w, pr->ui.indices, als_nnz(&pr->ui));
	mk_put_i32s(&w, popular, ni);
	mk_put_i64s(&w, users_per_item, ni);
	mk_put_i32(&w, top_k);
	mk_put_i32s(&w, top, pr->users.n * top_k);
	return mk_writer_finish(&w, MKF_KIND_RECOMMENDER);
}

/* The decoded model, kept in the per-backend cache. */
typedef struct RecModel
{
	MemoryContext cxt;			/* the cache entry's context: for lazily built parts */
	int			f;
	int64		n_users;
	int64		n_items;
	KeySet		users;
	KeySet		items;
	double	   *X;
	double	   *Y;
	int64	   *indptr;
	int32	   *indices;
	int32	   *popular;
	double	   *pop_share;		/* users per item / n_users */
	double	   *item_norm;		/* |y_i|, for cosine similarity */
	int64	   *item_ints;		/* text item ids as bigint (built on first use) */
	int			item_ints_state;	/* 0 unknown, 1 built, -1 not all integers */
	int			top_k;			/* precomputed best unseen items per user (0: none) */
	int32	   *top;			/* n_users x top_k, -1 padded */
	/* scratch for online calls, reused (a backend runs one call at a time) */
	double	   *scores;
	int32	   *top_idx;
	double	   *top_score;
} RecModel;

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

static void *
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
	if (layout != 1 && layout != REC_LAYOUT)
		mk_damaged("unknown recommender layout");
	m->cxt = cxt;
	m->f = mkf_get_i32(&r);
	ut = mkf_get_i32(&r);
	it = mkf_get_i32(&r);
	m->n_users = mkf_get_i64(&r);
	m->n_items = mkf_get_i64(&r);
	mk_reader_check(&r);
	if (m->f < 1 || m->f > REC_MAX_FACTORS || (ut != REC_KEY_BIGINT && ut != REC_KEY_TEXT) ||
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
		m->item_norm[i] = cblas_dnrm2(m->f, m->Y + i * m->f, 1);
	m->scores = palloc_extended(sizeof(double) * m->n_items, MCXT_ALLOC_HUGE);
	m->top_idx = palloc_extended(sizeof(int32) * m->n_items, MCXT_ALLOC_HUGE);
	m->top_score = palloc_extended(sizeof(double) * m->n_items, MCXT_ALLOC_HUGE);
	MemoryContextSwitchTo(old);
	return m;
}

/* ---------------------------------------------------------------------------------------------
 * recommend_train
 * ------------------------------------------------------------------------------------------ */

PG_FUNCTION_INFO_V1(mktdb_recommend_train);
Datum
mktdb_recommend_train(PG_FUNCTION_ARGS)
{
	const char *name = mk_arg_text(fcinfo, 0, "model");
	const char *source = mk_arg_text(fcinfo, 1, "source");
	const char *user_col = mk_arg_text(fcinfo, 2, "user_column");
	const char *item_col = mk_arg_text(fcinfo, 3, "item_column");
	const char *weight_col = PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4));
	int32		factors,
				iterations,
				seed,
				cg_steps,
				top_k;
	int32	   *top;
	double		top_ms;
	double		reg,
				alpha,
				freq;
	const char *solver;
	MemoryContext work,
				old;
	MkTime		t0 = mk_now();
	KeyMap		um,
				im;
	Triplets	trip;
	ReadStats	st;
	Prepared	pr;
	AlsParams	p;
	double	   *X,
			   *Y,
			   *loss;
	char		err[256];
	int			rc;
	double		read_ms,
				fit_ms,
				train_ms;
	MkJson		spec,
				metrics;
	bytea	   *blob;
	int32		version;
	TupleDesc	tupdesc;
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};

	for (int a = 5; a <= 13; a++)
		mk_arg_notnull(fcinfo, a, a == 5 ? "factors" : a == 6 ? "iterations" : a == 7 ? "regularization" :
					a == 8 ? "alpha" : a == 9 ? "seed" : a == 10 ? "solver" : a == 11 ? "frequency_scaling" :
					a == 12 ? "cg_steps" : "precompute_n");
	factors = PG_GETARG_INT32(5);
	iterations = PG_GETARG_INT32(6);
	reg = PG_GETARG_FLOAT8(7);
	alpha = PG_GETARG_FLOAT8(8);
	seed = PG_GETARG_INT32(9);
	solver = text_to_cstring(PG_GETARG_TEXT_PP(10));
	freq = PG_GETARG_FLOAT8(11);
	cg_steps = PG_GETARG_INT32(12);
	top_k = PG_GETARG_INT32(13);

	/* every argument is checked before any work */
	mk_check_can_store(name, "recommender");
	if (weight_col != NULL && weight_col[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weight_column must name a column or be NULL")));
	if (factors < 1 || factors > REC_MAX_FACTORS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("factors must be between 1 and %d, not %d", REC_MAX_FACTORS, factors)));
	if (iterations < 1 || iterations > 10000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("iterations must be between 1 and 10000, not %d", iterations)));
	if (!isfinite(reg) || reg < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("regularization must be a finite number >= 0, not %g", reg)));
	if (!isfinite(alpha) || alpha < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("alpha must be a finite number >= 0, not %g", alpha),
				 errhint("The confidence of an interaction is 1 + alpha * weight.")));
	if (!isfinite(freq) || freq < 0 || freq > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("frequency_scaling must be between 0 and 1, not %g", freq),
				 errhint("0 regularizes every user and item alike; 1 scales it with their number of interactions.")));
	if (strcmp(solver, "cg") != 0 && strcmp(solver, "cholesky") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("solver must be 'cg' or 'cholesky', not '%s'", solver)));
	if (cg_steps < 1 || cg_steps > 1000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cg_steps must be between 1 and 1000, not %d", cg_steps)));
	if (top_k < 0 || top_k > REC_MAX_PRECOMPUTE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("precompute_n must be between 0 and %d, not %d", REC_MAX_PRECOMPUTE, top_k),
				 errhint("0 stores no precomputed recommendations; every call then scores all items.")));

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "recommend_train must return a row");
	tupdesc = BlessTupleDesc(tupdesc);

	work = AllocSetContextCreate(CurrentMemoryContext, "mktdb recommend_train", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(work);

	read_interactions(source, user_col, item_col, weight_col, work, &um, &im, &trip, &st);
	prepare_matrix(&um, &im, &trip, &pr);
	if (als_nnz(&pr.ui) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no interactions to train on"),
				 errdetail("%lld rows read; %lld with a NULL user, item or weight; %lld (user, item) pairs with weight 0.",
						   (long long) st.rows_read, (long long) (st.null_user + st.null_item + st.null_weight),
						   (long long) pr.zero_pairs)));
	read_ms = mk_ms_since(t0);

	/* free the reading structures before the factors are allocated */
	pfree(trip.u);
	pfree(trip.i);
	pfree(trip.w);

	memset(&p, 0, sizeof(p));
	p.factors = factors;
	p.iterations = iterations;
	p.regularization = reg;
	p.alpha = alpha;
	p.reg_exponent = freq;
	p.seed = (uint64) (int64) seed;
	p.solver = strcmp(solver, "cholesky") == 0 ? ALS_SOLVER_CHOLESKY : ALS_SOLVER_CG;
	p.cg_steps = cg_steps;
	p.threads = mk_thread_count();
	p.blas_threads = mk_thread_count();
	p.interrupt = mk_cancel_poll;
	X = palloc_extended(sizeof(double) * pr.users.n * factors, MCXT_ALLOC_HUGE);
	Y = palloc_extended(sizeof(double) * pr.items.n * factors, MCXT_ALLOC_HUGE);
	loss = palloc(sizeof(double) * iterations);
	als_init_factors(p.seed, pr.users.n, pr.items.n, factors, X, Y);
	rc = als_fit(&pr.ui, &pr.iu, &p, X, Y, loss, err, sizeof(err));
	if (rc == ALS_CANCELLED)
	{
		CHECK_FOR_INTERRUPTS();
		ereport(ERROR, (errcode(ERRCODE_QUERY_CANCELED), errmsg("recommend_train canceled")));
	}
	if (rc == ALS_NOMEM)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("%s", err)));
	if (rc == ALS_NUMERIC)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s", err),
				 errhint("Use regularization > 0, or solver => 'cg'.")));
	fit_ms = mk_ms_since(t0) - read_ms;

	/* every user's best unseen items, for the online calls (exact: see als_top_items) */
	top_k = (int32) Min((int64) top_k, pr.items.n);
	top = palloc_extended(sizeof(int32) * Max(pr.users.n * top_k, 1), MCXT_ALLOC_HUGE);
	rc = als_top_items(&pr.ui, X, Y, factors, top_k, mk_thread_count(), mk_cancel_poll, NULL, top);
	if (rc == ALS_CANCELLED)
	{
		CHECK_FOR_INTERRUPTS();
		ereport(ERROR, (errcode(ERRCODE_QUERY_CANCELED), errmsg("recommend_train canceled")));
	}
	if (rc == ALS_NOMEM)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory for the precomputed recommendations")));
	top_ms = mk_ms_since(t0) - read_ms - fit_ms;

	blob = serialize_model(&pr, factors, X, Y, top_k, top);

	mk_json_begin(&spec);
	mk_json_key(&spec, "model");
	mk_json_str(&spec, name);
	mk_json_key(&spec, "source");
	mk_json_str(&spec, source);
	mk_json_key(&spec, "user_column");
	mk_json_str(&spec, user_col);
	mk_json_key(&spec, "item_column");
	mk_json_str(&spec, item_col);
	mk_json_key(&spec, "weight_column");
	mk_json_str(&spec, weight_col);
	mk_json_key(&spec, "factors");
	mk_json_int(&spec, factors);
	mk_json_key(&spec, "iterations");
	mk_json_int(&spec, iterations);
	mk_json_key(&spec, "regularization");
	mk_json_num(&spec, reg);
	mk_json_key(&spec, "alpha");
	mk_json_num(&spec, alpha);
	mk_json_key(&spec, "seed");
	mk_json_int(&spec, seed);
	mk_json_key(&spec, "solver");
	mk_json_str(&spec, solver);
	mk_json_key(&spec, "frequency_scaling");
	mk_json_num(&spec, freq);
	mk_json_key(&spec, "cg_steps");
	mk_json_int(&spec, cg_steps);
	mk_json_key(&spec, "precompute_n");
	mk_json_int(&spec, PG_GETARG_INT32(13));

	train_ms = mk_ms_since(t0);
	mk_json_begin(&metrics);
	mk_json_key(&metrics, "loss");
	mk_json_arr_open(&metrics);
	for (int k = 0; k < iterations; k++)
		mk_json_num(&metrics, loss[k]);
	mk_json_arr_close(&metrics);
	mk_json_key(&metrics, "final_loss");
	mk_json_num(&metrics, loss[iterations - 1]);
	mk_json_key(&metrics, "n_users");
	mk_json_int(&metrics, pr.users.n);
	mk_json_key(&metrics, "n_items");
	mk_json_int(&metrics, pr.items.n);
	mk_json_key(&metrics, "n_interactions");
	mk_json_int(&metrics, als_nnz(&pr.ui));
	mk_json_key(&metrics, "density");
	mk_json_num(&metrics, (double) als_nnz(&pr.ui) / ((double) pr.users.n * (double) pr.items.n));
	mk_json_key(&metrics, "rows_read");
	mk_json_int(&metrics, st.rows_read);
	mk_json_key(&metrics, "skipped_rows");
	mk_json_int(&metrics, st.null_user + st.null_item + st.null_weight);
	mk_json_key(&metrics, "skipped_null_user");
	mk_json_int(&metrics, st.null_user);
	mk_json_key(&metrics, "skipped_null_item");
	mk_json_int(&metrics, st.null_item);
	mk_json_key(&metrics, "skipped_null_weight");
	mk_json_int(&metrics, st.null_weight);
	mk_json_key(&metrics, "duplicate_rows_merged");
	mk_json_int(&metrics, pr.duplicates);
	mk_json_key(&metrics, "zero_weight_pairs");
	mk_json_int(&metrics, pr.zero_pairs);
	mk_json_key(&metrics, "user_id_type");
	mk_json_str(&metrics, pr.users.type == REC_KEY_BIGINT ? "bigint" : "text");
	mk_json_key(&metrics, "item_id_type");
	mk_json_str(&metrics, pr.items.type == REC_KEY_BIGINT ? "bigint" : "text");
	mk_json_key(&metrics, "threads");
	mk_json_int(&metrics, p.threads);
	mk_json_key(&metrics, "read_ms");
	mk_json_num(&metrics, read_ms);
	mk_json_key(&metrics, "fit_ms");
	mk_json_num(&metrics, fit_ms);
	mk_json_key(&metrics, "precompute_n");
	mk_json_int(&metrics, top_k);
	mk_json_key(&metrics, "precompute_ms");
	mk_json_num(&metrics, top_ms);

	mk_store_model(name, "recommender", mk_json_end(&spec), mk_json_end(&metrics),
				   st.rows_read - (st.null_user + st.null_item + st.null_weight), train_ms, blob, &version);

	MemoryContextSwitchTo(old);
	values[0] = CStringGetTextDatum(name);
	values[1] = Int32GetDatum(version);
	values[2] = Int64GetDatum(pr.users.n);
	values[3] = Int64GetDatum(pr.items.n);
	values[4] = Int64GetDatum(als_nnz(&pr.ui));
	values[5] = Float8GetDatum(train_ms);
	{
		HeapTuple	tup = heap_form_tuple(tupdesc, values, nulls);

		MemoryContextDelete(work);
		PG_RETURN_DATUM(HeapTupleGetDatum(tup));
	}
}

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
		m->top_score[got] = topn_dot(m->X + u * m->f, m->Y + (int64) t[got] * m->f, m->f);
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

/*
 * model_cache.c -- per-backend cache of decoded models.
 *
 * Reading functions (segment_of, rfm_of, recommend_for, the views) look the
 * model name up in the catalog on every call (one indexed read, which also
 * applies row security), then find the decoded model by model_id here.  A
 * retrain creates a new model_id, so a newer version is noticed on the next
 * call; the older version's entry is dropped then.  At most
 * mktdb.model_cache_size entries are kept, least recently used evicted.
 */
#include "mktdb.h"

#include "funcapi.h"
#include "utils/builtins.h"

typedef struct CacheEntry
{
	int64		model_id;
	int32		version;
	char	   *name;
	char	   *kind;
	MemoryContext cxt;			/* owns the decoded model, name and kind */
	void	   *model;
	uint64		last_used;
	int64		hits;
} CacheEntry;

static CacheEntry *entries = NULL;
static int	n_entries = 0;
static int	max_entries = 0;
static uint64 clock_tick = 0;
static MemoryContext cache_cxt = NULL;

static void
evict(int i)
{
	MemoryContextDelete(entries[i].cxt);
	entries[i] = entries[n_entries - 1];
	n_entries--;
}

void *
mk_model_get(const char *ref, const char *kind, MkDecodeFn decode, MkModelInfo *info)
{
	int32		version;
	char	   *name = mk_parse_model_ref(ref, &version);
	MemoryContext cxt;
	MemoryContext old;
	bytea	   *blob;
	void	   *model;
	CacheEntry *e;

	mk_lookup_model(name, version, kind, info);

	for (int i = 0; i < n_entries; i++)
	{
		if (entries[i].model_id == info->model_id)
		{
			entries[i].last_used = ++clock_tick;
			entries[i].hits++;
			return entries[i].model;
		}
	}

	if (cache_cxt == NULL)
		cache_cxt = AllocSetContextCreate(TopMemoryContext, "mktdb model cache", ALLOCSET_SMALL_SIZES);

	/*
	 * Decode under the caller's (transient) context first: if the blob is
	 * damaged the error frees everything, and the cache never holds a partly
	 * decoded model.  Only a complete model is moved under the cache.
	 */
	cxt = AllocSetContextCreate(CurrentMemoryContext, "mktdb cached model", ALLOCSET_DEFAULT_SIZES);
	blob = mk_fetch_model_data(info->model_id);
	model = decode(blob, cxt);
	pfree(blob);

	/* a newer version replaces older ones of the same name; then LRU */
	for (int i = n_entries - 1; i >= 0; i--)
		if (strcmp(entries[i].name, info->name) == 0 && entries[i].version < info->version)
			evict(i);
	while (n_entries > 0 && n_entries >= Max(mk_model_cache_size, 1))
	{
		int			lru = 0;

		for (int i = 1; i < n_entries; i++)
			if (entries[i].last_used < entries[lru].last_used)
				lru = i;
		evict(lru);
	}
	if (n_entries >= max_entries)
	{
		int			newmax = Max(8, max_entries * 2);

		entries = entries == NULL
			? MemoryContextAlloc(cache_cxt, newmax * sizeof(CacheEntry))
			: repalloc(entries, newmax * sizeof(CacheEntry));
		max_entries = newmax;
	}
	MemoryContextSetParent(cxt, cache_cxt);
	old = MemoryContextSwitchTo(cxt);
	e = &entries[n_entries++];
	e->model_id = info->model_id;
	e->version = info->version;
	e->name = pstrdup(info->name);
	e->kind = pstrdup(info->kind);
	e->cxt = cxt;
	e->model = model;
	e->last_used = ++clock_tick;
	e->hits = 0;
	MemoryContextSwitchTo(old);
	return model;
}

/* mktdb.model_cache(): what this backend holds. */
PG_FUNCTION_INFO_V1(mktdb_model_cache);
Datum
mktdb_model_cache(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < n_entries; i++)
	{
		Datum		v[6];
		bool		nulls[6] = {false, false, false, false, false, false};

		v[0] = Int64GetDatum(entries[i].model_id);
		v[1] = CStringGetTextDatum(entries[i].name);
		v[2] = Int32GetDatum(entries[i].version);
		v[3] = CStringGetTextDatum(entries[i].kind);
		v[4] = Int64GetDatum((int64) MemoryContextMemAllocated(entries[i].cxt, true));
		v[5] = Int64GetDatum(entries[i].hits);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}

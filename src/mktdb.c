/*
 * mktdb.c -- module entry point: PG_MODULE_MAGIC, _PG_init and the GUCs.
 */
#include "mktdb.h"

#include <limits.h>
#include <unistd.h>

#include "fmgr.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

int			mk_model_cache_size = 16;
int			mk_threads = 0;
int			mk_keep_versions = 10;
int			mk_ease_memory_limit = 2 * 1024 * 1024;	/* kB */
int			mk_pushdown = MK_PUSHDOWN_AUTO;

static const struct config_enum_entry pushdown_options[] = {
	{"auto", MK_PUSHDOWN_AUTO, false},
	{"always", MK_PUSHDOWN_ALWAYS, false},
	{"never", MK_PUSHDOWN_NEVER, false},
	{NULL, 0, false}
};

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomIntVariable("mktdb.model_cache_size",
							"Decoded models kept in each backend's cache.",
							"Least recently used models are evicted beyond this number.",
							&mk_model_cache_size, 16, 1, 10000,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("mktdb.threads",
							"Threads used by mktdb's numerical work (0: one per CPU core).",
							NULL,
							&mk_threads, 0, 0, 256,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("mktdb.keep_versions",
							"Versions of each model kept after a new version is stored (0: keep all).",
							"Older versions are deleted when a trainer stores a new one.",
							&mk_keep_versions, 10, 0, 1000000,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("mktdb.ease_memory_limit",
							"Work memory recommend_train may use for an EASE model (two item x item matrices).",
							"method 'auto' uses ALS when EASE would need more; method 'ease' raises an error.",
							&mk_ease_memory_limit, 2 * 1024 * 1024, 1024, INT_MAX,
							PGC_USERSET, GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomEnumVariable("mktdb.pushdown",
							 "Where trainers that can work as aggregates do their work (auto, always, never).",
							 "auto: as aggregates pushed to the shards when the source is a Citus distributed table; "
							 "always: as aggregates for any source (they also run locally); never: read the rows here.",
							 &mk_pushdown, MK_PUSHDOWN_AUTO, pushdown_options,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("mktdb");
}

int
mk_thread_count(void)
{
	long		n;

	if (mk_threads > 0)
		return mk_threads;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : (int) Min(n, 64);
}

/*
 * mktdb.h -- the PostgreSQL glue shared by every trainer: model catalog and
 * binary format (model_store.c), per-backend model cache (model_cache.c),
 * reading training data (source.c), small JSON builder (json_build.c).
 *
 * Conventions for trainers (see kmeans_sql.c for a complete example):
 *  - check every argument before any work, with ereport(ERROR, errcode(...));
 *  - allocate work memory in a child context of CurrentMemoryContext; errors free it;
 *  - read data with mk_cursor_* or a DestReceiver under SPI (kmeans_sql.c, rfm_sql.c);
 *  - serialize with MkWriter, store with mk_store_model() once, at the end;
 *  - reading functions get the decoded model through mk_model_get().
 */
#ifndef MKTDB_H
#define MKTDB_H

#include "postgres.h"
#include "fmgr.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/date.h"
#include "utils/memutils.h"

#include "core/format.h"

/* GUCs (mktdb.c) */
extern int	mk_model_cache_size;	/* max decoded models kept per backend */
extern int	mk_threads;				/* worker threads for numerics; 0 = number of cores */
extern int	mk_ease_memory_limit;	/* kB of work memory an EASE fit may use */
extern int	mk_keep_versions;		/* versions kept per model after a store; 0 = all */
int			mk_thread_count(void);

/* mktdb.pushdown: where trainers that can run as aggregates do their work */
enum
{
	MK_PUSHDOWN_AUTO = 0,		/* as aggregates on Citus distributed tables */
	MK_PUSHDOWN_ALWAYS = 1,		/* as aggregates on any source */
	MK_PUSHDOWN_NEVER = 2		/* read the rows on this node */
};
extern int	mk_pushdown;

/* ---------- binary format, PostgreSQL side (model_store.c) ---------- */

typedef struct MkWriter
{
	StringInfoData buf;			/* header space reserved at the front */
} MkWriter;

void		mk_writer_init(MkWriter *w);
void		mk_put_i32(MkWriter *w, int32 v);
void		mk_put_i64(MkWriter *w, int64 v);
void		mk_put_f64(MkWriter *w, double v);
/* arrays are written as an i64 count followed by the elements */
void		mk_put_f64s(MkWriter *w, const double *v, int64 n);
void		mk_put_i32s(MkWriter *w, const int32 *v, int64 n);
void		mk_put_i64s(MkWriter *w, const int64 *v, int64 n);
void		mk_put_text(MkWriter *w, const char *s);	/* NULL allowed (count -1) */
bytea	   *mk_writer_finish(MkWriter *w, MkfKind kind);

/* Opens a blob for reading; ERROR 22P03 (or XX001 for a bad checksum) when it is not a valid model of that kind. */
void		mk_reader_open(MkfReader *r, bytea *blob, MkfKind kind);
/* These raise ERROR 22P03 on any out-of-bounds or absurd value. */
int64		mk_get_count(MkfReader *r, size_t elem_size, int64 max_count);
double	   *mk_get_f64s(MkfReader *r, int64 *n);	/* palloc'd copy */
int32	   *mk_get_i32s(MkfReader *r, int64 *n);
int64	   *mk_get_i64s(MkfReader *r, int64 *n);
char	   *mk_get_text(MkfReader *r);	/* palloc'd, NUL-terminated, NULL if written as NULL */
void		mk_reader_finish(MkfReader *r); /* ERROR unless the payload was consumed exactly */
void		mk_reader_check(MkfReader *r);	/* ERROR if a read so far went out of bounds */
/* raise the standard "damaged model" error with a detail */
pg_attribute_noreturn() void mk_damaged(const char *detail);

/* ---------- model catalog (model_store.c) ---------- */

typedef struct MkModelInfo
{
	int64		model_id;
	int32		version;
	char	   *name;
	char	   *kind;
	Oid			owner;
} MkModelInfo;

/* ERROR 22023 unless name is a usable model name (non-empty, <= 200 bytes, no '@'). */
void		mk_check_model_name(const char *name);

/* Raises the errors mk_store_model would (another role's name, another kind) before any work. */
void		mk_check_can_store(const char *name, const char *kind);

/*
 * Stores a new version of a model, in one INSERT; returns the model_id and sets *version.
 * spec_json / metrics_json are JSON texts (metrics may be NULL).  Serialises concurrent
 * stores of the same name; refuses to add a version to another role's model.
 */
int64		mk_store_model(const char *name, const char *kind, const char *spec_json,
						   const char *metrics_json, int64 n_rows, double train_ms, bytea *data,
						   int32 *version);

/*
 * Newest version of name visible to the caller (version 0) or the given version.
 * ERROR 42704 when there is none; ERROR 42809 when kind is not NULL and differs.
 */
void		mk_lookup_model(const char *name, int32 version, const char *kind, MkModelInfo *info);
bytea	   *mk_fetch_model_data(int64 model_id);	/* detoasted copy in CurrentMemoryContext */
/* "name@N" -> name (palloc'd) and *version = N; "name" -> version 0 (newest) */
char	   *mk_parse_model_ref(const char *ref, int32 *version);
/* deletes versions older than the newest mk_keep_versions of name (SPI connected) */
void		mk_prune_versions(const char *name);

/* ---------- per-backend cache of decoded models (model_cache.c) ---------- */

/* Decodes blob into a structure allocated in cxt (a context owned by the cache). */
typedef void *(*MkDecodeFn) (bytea *blob, MemoryContext cxt);

/*
 * Returns the decoded newest version of the model named name (optionally "name@version"),
 * decoding and caching it on first use; a newer version is noticed on the next call.
 * The result stays valid until the next mk_model_get call in this backend.
 */
void	   *mk_model_get(const char *name, const char *kind, MkDecodeFn decode, MkModelInfo *info);

/* ---------- reading training data (source.c) ---------- */

/* FROM-clause item for a source argument: a quoted relation name or "(query) AS mktdb_source". */
char	   *mk_source_from(const char *source);
/*
 * The distribution column of a Citus hash-distributed table named by source
 * (palloc'd), or NULL: a query, a local or reference table, or no Citus.
 */
char	   *mk_citus_dist_column(const char *source);
/* Whether to train through pushed-down aggregates (mktdb.pushdown; *dist_column as above, may be NULL). */
bool		mk_use_pushdown(const char *source, char **dist_column);
/* What a spec stores: a relation name resolved and schema-qualified now, a query as written. */
char	   *mk_source_canonical(const char *source);
/* quote_identifier() of a column argument, with an ERROR for NULL/empty. */
const char *mk_column(const char *col, const char *argname);

typedef struct MkCursor
{
	Portal		portal;
	TupleDesc	tupdesc;		/* valid after open */
	SPITupleTable *batch;
	uint64		nrows;			/* rows in batch */
	uint64		total;			/* rows fetched so far */
} MkCursor;

/*
 * Opens a read-only cursor over query (the caller has SPI_connect()ed); rows arrive
 * in batches of about batch_rows through mk_cursor_next(), which frees the previous
 * batch and calls CHECK_FOR_INTERRUPTS().
 */
void		mk_cursor_open(MkCursor *c, const char *query, int nargs, Oid *argtypes, Datum *args);
bool		mk_cursor_next(MkCursor *c);
void		mk_cursor_close(MkCursor *c);

/*
 * A DestReceiver fed straight by the executor: receive per row, startup (or NULL) when the rows'
 * descriptor is known, shutdown (or NULL) after the last row; the rest are no-ops.
 */
void		mk_dest_init(DestReceiver *d, bool (*receive) (TupleTableSlot *slot, DestReceiver *self),
						 void (*startup) (DestReceiver *self, int operation, TupleDesc typeinfo),
						 void (*shutdown) (DestReceiver *self));

/* ERROR 42804 unless the column (1-based) is of a numeric type; names the argument in the message. */
void		mk_require_numeric(TupleDesc td, int attno, const char *what);
bool		mk_is_numeric_type(Oid typid);
/* Any numeric datum (int2/4/8, float4/8, numeric) as float8. */
double		mk_numeric_to_f64(Datum d, Oid typid);

/* A dense matrix read from a source: rows with a NULL or non-finite feature are skipped. */
typedef struct MkMatrix
{
	int64		n;				/* usable rows */
	int			d;				/* columns */
	double	   *x;				/* n * d, row-major */
	char	  **ids;			/* n id texts when an id column was given, else NULL */
	int64		skipped;		/* rows skipped */
} MkMatrix;

/* ---------- arguments and cancellation (args.c) ---------- */

/* ERROR 22004 when argument n (0-based) is NULL; name is the argument's SQL name. */
void		mk_arg_notnull(FunctionCallInfo fcinfo, int n, const char *name);
char	   *mk_arg_text(FunctionCallInfo fcinfo, int n, const char *name);
/* Cancel poll for the threaded cores: non-zero once a cancel or terminate request arrived. */
int			mk_cancel_poll(void *arg);

/* text[] argument to a C array of strings; ERROR on NULL elements or empty arrays. */
char	  **mk_text_array(ArrayType *arr, int *n, const char *argname);

/* ---------- JSON text builder (json_build.c) ---------- */

typedef struct MkJson
{
	StringInfoData buf;
	int			depth;
	bool		need_comma[32];
} MkJson;

void		mk_json_begin(MkJson *j);	/* starts an object */
void		mk_json_key(MkJson *j, const char *key);
void		mk_json_str(MkJson *j, const char *v);	/* NULL -> null */
void		mk_json_num(MkJson *j, double v);	/* non-finite -> null */
void		mk_json_int(MkJson *j, int64 v);
void		mk_json_bool(MkJson *j, bool v);
void		mk_json_null(MkJson *j);
void		mk_json_raw(MkJson *j, const char *json);	/* an already-encoded value */
void		mk_json_obj_open(MkJson *j);
void		mk_json_obj_close(MkJson *j);
void		mk_json_arr_open(MkJson *j);
void		mk_json_arr_close(MkJson *j);
char	   *mk_json_end(MkJson *j); /* closes the outer object, returns the text */

/* elapsed milliseconds since a start taken with mk_now() */
typedef struct timespec MkTime;
MkTime		mk_now(void);
double		mk_ms_since(MkTime t0);

#endif

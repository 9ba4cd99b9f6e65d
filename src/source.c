/*
 * source.c -- reading training data.
 *
 * A source argument is a relation name (schema-qualified and quoted identifiers
 * allowed) or a query text starting with SELECT, WITH, VALUES or TABLE.  Column
 * arguments are always passed through quote_identifier().  Data is read with the
 * caller's privileges through an SPI cursor, in batches, so that nothing is held
 * twice and a cancel request is noticed between batches.
 */
#include "mktdb.h"

#include <ctype.h>
#include <math.h>
#include <time.h>

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/varlena.h"

#define MK_BATCH_ROWS 10000

static bool
starts_with_keyword(const char *s, const char *kw)
{
	size_t		n = strlen(kw);

	return pg_strncasecmp(s, kw, n) == 0 && (s[n] == '\0' || !(isalnum((unsigned char) s[n]) || s[n] == '_'));
}

char *
mk_source_from(const char *source)
{
	const char *s = source;
	List	   *names;
	RangeVar   *rv;
	Oid			relid;

	if (source == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("source must not be NULL")));
	while (isspace((unsigned char) *s) || *s == '(')
		s++;
	if (*s == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source must not be empty"),
				 errhint("Give a table or view name, or a query starting with SELECT, WITH, VALUES or TABLE.")));
	if (starts_with_keyword(s, "select") || starts_with_keyword(s, "with") ||
		starts_with_keyword(s, "values") || starts_with_keyword(s, "table"))
	{
		/* a trailing semicolon is common in pasted queries; the subquery cannot have one */
		char	   *q = pstrdup(source);
		int			len = strlen(q);

		while (len > 0 && (isspace((unsigned char) q[len - 1]) || q[len - 1] == ';'))
			q[--len] = '\0';
		return psprintf("(%s\n) AS mktdb_source", q);
	}

	/* a relation name: parse it as PostgreSQL would (quoting rules included) */
	names = stringToQualifiedNameList(source);
	rv = makeRangeVarFromNameList(names);
	relid = RangeVarGetRelid(rv, NoLock, true);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s\" does not exist", source),
				 errhint("source is a table or view name, or a query starting with SELECT, WITH, VALUES or TABLE.")));
	return psprintf("%s.%s AS mktdb_source",
					quote_identifier(get_namespace_name(get_rel_namespace(relid))),
					quote_identifier(get_rel_name(relid)));
}

/*
 * The source as it should be stored in a model's spec: a relation name is
 * resolved now and stored schema-qualified, so that mktdb.retrain() reads the
 * same relation whatever search_path it runs under (a pg_cron job's, say);
 * a query is stored as written.
 */
char *
mk_source_canonical(const char *source)
{
	char	   *from = mk_source_from(source);
	size_t		len = strlen(from);
	const char *suffix = " AS mktdb_source";

	if (from[0] == '(')
		return pstrdup(source);
	return pnstrdup(from, len - strlen(suffix));
}

char *
mk_citus_dist_column(const char *source)
{
	char	   *from,
			   *result = NULL;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	MemoryContext cxt = CurrentMemoryContext;

	if (!OidIsValid(get_extension_oid("citus", true)))
		return NULL;
	if (mk_source_from(source)[0] == '(')
		return NULL;			/* a query */
	from = mk_source_canonical(source);
	args[0] = CStringGetTextDatum(from);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT pg_catalog.column_to_column_name(logicalrelid, partkey) "
							  "FROM pg_catalog.pg_dist_partition WHERE logicalrelid = $1::pg_catalog.regclass "
							  "AND partmethod = 'h'", 1, argtypes, args, NULL, true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
	{
		char	   *col = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		if (col)
			result = MemoryContextStrdup(cxt, col);
	}
	SPI_finish();
	return result;
}

bool
mk_use_pushdown(const char *source, char **dist_column)
{
	char	   *col = mk_pushdown == MK_PUSHDOWN_NEVER ? NULL : mk_citus_dist_column(source);

	if (dist_column)
		*dist_column = col;
	return mk_pushdown == MK_PUSHDOWN_ALWAYS || (mk_pushdown == MK_PUSHDOWN_AUTO && col != NULL);
}

const char *
mk_column(const char *col, const char *argname)
{
	if (col == NULL || col[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must name a column", argname)));
	return quote_identifier(col);
}

void
mk_cursor_open(MkCursor *c, const char *query, int nargs, Oid *argtypes, Datum *args)
{
	SPIPlanPtr	plan = SPI_prepare_cursor(query, nargs, argtypes, CURSOR_OPT_NO_SCROLL);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare_cursor failed: %s", SPI_result_code_string(SPI_result));
	c->portal = SPI_cursor_open(NULL, plan, args, NULL, true);
	c->tupdesc = c->portal->tupDesc;
	c->batch = NULL;
	c->nrows = 0;
	c->total = 0;
}

bool
mk_cursor_next(MkCursor *c)
{
	CHECK_FOR_INTERRUPTS();
	if (c->batch)
	{
		SPI_freetuptable(c->batch);
		c->batch = NULL;
	}
	SPI_cursor_fetch(c->portal, true, MK_BATCH_ROWS);
	c->batch = SPI_tuptable;
	c->nrows = SPI_processed;
	c->total += c->nrows;
	return c->nrows > 0;
}

void
mk_cursor_close(MkCursor *c)
{
	if (c->batch)
		SPI_freetuptable(c->batch);
	c->batch = NULL;
	SPI_cursor_close(c->portal);
}

static void
dest_noop(DestReceiver *self)
{
}

static void
dest_startup_noop(DestReceiver *self, int operation, TupleDesc typeinfo)
{
}

void
mk_dest_init(DestReceiver *d, bool (*receive) (TupleTableSlot *slot, DestReceiver *self),
			 void (*startup) (DestReceiver *self, int operation, TupleDesc typeinfo),
			 void (*shutdown) (DestReceiver *self))
{
	d->receiveSlot = receive;
	d->rStartup = startup ? startup : dest_startup_noop;
	d->rShutdown = shutdown ? shutdown : dest_noop;
	d->rDestroy = dest_noop;
	d->mydest = DestNone;
}

bool
mk_is_numeric_type(Oid typid)
{
	typid = getBaseType(typid);
	return typid == INT2OID || typid == INT4OID || typid == INT8OID || typid == FLOAT4OID ||
		typid == FLOAT8OID || typid == NUMERICOID;
}

void
mk_require_numeric(TupleDesc td, int attno, const char *what)
{
	Oid			typid = TupleDescAttr(td, attno - 1)->atttypid;

	if (!mk_is_numeric_type(typid))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s is of type %s, not a numeric type", what, format_type_be(typid)),
				 errhint("Use a smallint, integer, bigint, real, double precision or numeric column, or cast it in a query source.")));
}

double
mk_numeric_to_f64(Datum d, Oid typid)
{
	Oid			base;

	/* the base types first: no catalog lookup per value */
	switch (typid)
	{
		case INT2OID:
			return (double) DatumGetInt16(d);
		case INT4OID:
			return (double) DatumGetInt32(d);
		case INT8OID:
			return (double) DatumGetInt64(d);
		case FLOAT4OID:
			return (double) DatumGetFloat4(d);
		case FLOAT8OID:
			return DatumGetFloat8(d);
		case NUMERICOID:
			return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, d));
	}
	base = getBaseType(typid);
	if (base != typid)
		return mk_numeric_to_f64(d, base);
	elog(ERROR, "type %u is not numeric", typid);
	return 0;					/* keep compiler quiet */
}

char	  **
mk_text_array(ArrayType *arr, int *n, const char *argname)
{
	Datum	   *elems;
	bool	   *nulls;
	int			cnt;
	char	  **out;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", argname)));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &cnt);
	if (cnt == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", argname)));
	out = palloc(cnt * sizeof(char *));
	for (int i = 0; i < cnt; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain NULL", argname)));
		out[i] = TextDatumGetCString(elems[i]);
	}
	*n = cnt;
	return out;
}

/* ---------- timing ---------- */

MkTime
mk_now(void)
{
	MkTime		t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t;
}

double
mk_ms_since(MkTime t0)
{
	MkTime		t = mk_now();

	return (t.tv_sec - t0.tv_sec) * 1e3 + (t.tv_nsec - t0.tv_nsec) / 1e6;
}

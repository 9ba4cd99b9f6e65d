/*
 * model_store.c -- the model catalog (mktdb.model) and the PostgreSQL side of
 * the binary model format: writing blobs, opening them with clear errors,
 * storing a new version, looking a model up, and mktdb.retrain().
 *
 * The pure format (header, CRC-32C, bounds-checked reads) is in core/format.c.
 */
#include "mktdb.h"

#include <errno.h>
#include <limits.h>

#include "access/genam.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

/* ---------- writer ---------- */

void
mk_writer_init(MkWriter *w)
{
	initStringInfo(&w->buf);
	/* header is filled in by mk_writer_finish; reserve VARHDRSZ + header */
	appendStringInfoSpaces(&w->buf, VARHDRSZ + MKF_HEADER_SIZE);
}

static void
put_bytes(MkWriter *w, const void *p, size_t n)
{
	if ((size_t) w->buf.len + n >= MaxAllocSize - 1)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("model is too large to store"),
				 errdetail("A serialized model must stay below 1 GB."),
				 errhint("Train on fewer rows, items or factors.")));
	appendBinaryStringInfo(&w->buf, p, (int) n);
}

void
mk_put_i32(MkWriter *w, int32 v)
{
	unsigned char b[4];

	mkf_store_i32(b, v);
	put_bytes(w, b, 4);
}

void
mk_put_i64(MkWriter *w, int64 v)
{
	unsigned char b[8];

	mkf_store_i64(b, v);
	put_bytes(w, b, 8);
}

void
mk_put_f64(MkWriter *w, double v)
{
	unsigned char b[8];

	mkf_store_f64(b, v);
	put_bytes(w, b, 8);
}

void
mk_put_f64s(MkWriter *w, const double *v, int64 n)
{
	mk_put_i64(w, n);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	put_bytes(w, v, (size_t) n * 8);
#else
	for (int64 i = 0; i < n; i++)
		mk_put_f64(w, v[i]);
#endif
}

void
mk_put_i32s(MkWriter *w, const int32 *v, int64 n)
{
	mk_put_i64(w, n);
	for (int64 i = 0; i < n; i++)
		mk_put_i32(w, v[i]);
}

void
mk_put_i64s(MkWriter *w, const int64 *v, int64 n)
{
	mk_put_i64(w, n);
	for (int64 i = 0; i < n; i++)
		mk_put_i64(w, v[i]);
}

void
mk_put_text(MkWriter *w, const char *s)
{
	if (s == NULL)
	{
		mk_put_i64(w, -1);
		return;
	}
	mk_put_i64(w, (int64) strlen(s));
	put_bytes(w, s, strlen(s));
}

bytea *
mk_writer_finish(MkWriter *w, MkfKind kind)
{
	bytea	   *b = (bytea *) w->buf.data;
	unsigned char *hdr = (unsigned char *) VARDATA(b);
	size_t		plen = w->buf.len - VARHDRSZ - MKF_HEADER_SIZE;

	SET_VARSIZE(b, w->buf.len);
	mkf_write_header(hdr, (uint16_t) kind, hdr + MKF_HEADER_SIZE, plen);
	return b;
}

/* ---------- reader ---------- */

void
mk_damaged(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid mktdb model data"),
			 errdetail("%s", detail),
			 errhint("The bytea is not a model written by mktdb, or it was damaged; retrain the model.")));
}

static const char *
kind_name(uint16 kind)
{
	switch (kind)
	{
		case MKF_KIND_KMEANS:
			return "kmeans";
		case MKF_KIND_RFM:
			return "rfm";
		case MKF_KIND_ARIMA:
			return "arima";
		case MKF_KIND_RECOMMENDER:
			return "recommender";
		case MKF_KIND_FORECAST:
			return "forecast";
		case MKF_KIND_CLV:
			return "clv";
		case MKF_KIND_TEST:
			return "test";
	}
	return "unknown";
}

void
mk_reader_open(MkfReader *r, bytea *blob, MkfKind kind)
{
	size_t		len = VARSIZE_ANY_EXHDR(blob);
	const char *data = VARDATA_ANY(blob);
	uint16		got = 0;
	const char *err = mkf_check(data, len, (uint16) kind, &got, NULL);

	if (err)
	{
		if (strncmp(err, "checksum", 8) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("mktdb model data is corrupted"),
					 errdetail("%s", err),
					 errhint("Retrain the model.")));
		if (strcmp(err, "model of another kind") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("mktdb model is of kind \"%s\", not \"%s\"", kind_name(got), kind_name(kind))));
		mk_damaged(err);
	}
	mkf_reader_init(r, data + MKF_HEADER_SIZE, len - MKF_HEADER_SIZE);
}

void
mk_reader_check(MkfReader *r)
{
	if (r->err)
		mk_damaged(r->err);
}

int64
mk_get_count(MkfReader *r, size_t elem_size, int64 max_count)
{
	int64		n = mkf_get_count(r, elem_size, max_count);

	mk_reader_check(r);
	return n;
}

/* room for a counted array of elem-byte values (the count into *n), at least one element */
static void *
alloc_counted(MkfReader *r, size_t elem, int64 *n)
{
	*n = mk_get_count(r, elem, INT64_MAX / 8);
	return palloc_extended(Max(*n, 1) * elem, MCXT_ALLOC_HUGE);
}

double *
mk_get_f64s(MkfReader *r, int64 *n)
{
	double	   *v = alloc_counted(r, sizeof(double), n);

	mkf_get_f64s(r, v, *n);
	mk_reader_check(r);
	return v;
}

int32 *
mk_get_i32s(MkfReader *r, int64 *n)
{
	int32	   *v = alloc_counted(r, sizeof(int32), n);

	mkf_get_i32s(r, v, *n);
	mk_reader_check(r);
	return v;
}

int64 *
mk_get_i64s(MkfReader *r, int64 *n)
{
	int64	   *v = alloc_counted(r, sizeof(int64), n);

	mkf_get_i64s(r, (int64_t *) v, *n);
	mk_reader_check(r);
	return v;
}

char *
mk_get_text(MkfReader *r)
{
	int64		n = mkf_get_i64(r);
	const char *p;
	char	   *s;

	mk_reader_check(r);
	if (n == -1)
		return NULL;
	p = mkf_get_raw(r, n);
	mk_reader_check(r);
	s = palloc(n + 1);
	memcpy(s, p, n);
	s[n] = '\0';
	if (strlen(s) != (size_t) n)
		mk_damaged("text field contains a NUL byte");
	return s;
}

void
mk_reader_finish(MkfReader *r)
{
	mk_reader_check(r);
	if (!mkf_reader_done(r))
		mk_damaged("unexpected bytes after the model payload");
}

/* mktdb.model_header(bytea): the checked header of a blob. */
PG_FUNCTION_INFO_V1(mktdb_model_header);
Datum
mktdb_model_header(PG_FUNCTION_ARGS)
{
	bytea	   *blob = PG_GETARG_BYTEA_PP(0);
	TupleDesc	td;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	MkfReader	r;
	uint16		kind = 0,
				version = 0;
	const char *data = VARDATA_ANY(blob);
	size_t		len = VARSIZE_ANY_EXHDR(blob);

	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	mk_reader_open(&r, blob, 0);
	mkf_check(data, len, 0, &kind, &version);
	values[0] = CStringGetTextDatum(kind_name(kind));
	values[1] = Int32GetDatum(version);
	values[2] = Int64GetDatum((int64) (len - MKF_HEADER_SIZE));
	values[3] = Int64GetDatum((int64) mkf_crc32c(0, data + MKF_HEADER_SIZE, len - MKF_HEADER_SIZE));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(td), values, nulls)));
}

/* ---------- catalog ---------- */

void
mk_check_model_name(const char *name)
{
	if (name == NULL || name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model name must not be empty")));
	if (strlen(name) > 200)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("model name is too long"),
				 errdetail("Model names are limited to 200 bytes.")));
	if (strchr(name, '@') != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model name \"%s\" must not contain \"@\"", name),
				 errhint("\"name@N\" reads version N of a model; it cannot name a new model.")));
}

/*
 * The version a new model of this name and kind would get (SPI connected).
 * Refuses a name another role owns, and a name used by another kind: the
 * catalog is read without row security (mktdb._model_head) so that such a
 * name is refused instead of colliding on UNIQUE(name, version).
 */
static int32
check_store(const char *name, const char *kind)
{
	Oid			t[1] = {TEXTOID};
	Datum		a[1];
	bool		isnull;
	Oid			owner;
	char	   *have;
	int32		version;

	a[0] = CStringGetTextDatum(name);
	if (SPI_execute_with_args("SELECT owner::oid, version FROM mktdb._model_head($1)",
							  1, t, a, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading mktdb.model failed");
	if (SPI_processed == 0)
		return 1;
	owner = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	version = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	if (!has_privs_of_role(GetUserId(), owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("model \"%s\" belongs to role \"%s\"", name, GetUserNameFromId(owner, false)),
				 errhint("Choose another model name; only the owner can add versions to a model.")));
	/* our own model: row security lets us read its kind */
	if (SPI_execute_with_args("SELECT kind FROM mktdb.model WHERE name = $1 ORDER BY version DESC LIMIT 1",
							  1, t, a, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading mktdb.model failed");
	have = SPI_processed == 1 ? SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1) : NULL;
	if (have != NULL && strcmp(have, kind) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("model \"%s\" is a %s model, not a %s model", name, have, kind),
				 errhint("Choose another name, or drop the model first with mktdb.drop_model('%s').", name)));
	return version + 1;
}

void
mk_check_can_store(const char *name, const char *kind)
{
	mk_check_model_name(name);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	(void) check_store(name, kind);
	SPI_finish();
}

int64
mk_store_model(const char *name, const char *kind, const char *spec_json,
			   const char *metrics_json, int64 n_rows, double train_ms, bytea *data,
			   int32 *version)
{
	Oid			types[7] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT8OID, FLOAT8OID, BYTEAOID};
	Datum		vals[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};
	int64		model_id;
	bool		isnull;
	int			ret;
	Oid			ltypes[1] = {TEXTOID};
	Datum		lvals[1];

	mk_check_model_name(name);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/*
	 * One lock per model name for the rest of the transaction: concurrent
	 * trainers of the same model get consecutive versions.  The catalog is
	 * read without row security here so that a name owned by another role is
	 * noticed (and refused) instead of colliding on UNIQUE(name, version).
	 */
	lvals[0] = CStringGetTextDatum(name);
	SPI_execute_with_args("SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('mktdb.model:' || $1))",
						  1, ltypes, lvals, NULL, false, 0);
	*version = check_store(name, kind);

	vals[0] = CStringGetTextDatum(name);
	vals[1] = CStringGetTextDatum(kind);
	vals[2] = CStringGetTextDatum(spec_json);
	vals[3] = metrics_json ? CStringGetTextDatum(metrics_json) : (Datum) 0;
	if (!metrics_json)
		nulls[3] = 'n';
	vals[4] = Int64GetDatum(n_rows);
	vals[5] = Float8GetDatum(train_ms);
	vals[6] = PointerGetDatum(data);
	ret = SPI_execute_with_args(psprintf("INSERT INTO mktdb.model(name, version, kind, spec, metrics, n_rows, train_ms, data) "
										 "VALUES ($1, %d, $2, $3::jsonb, $4::jsonb, $5, $6, $7) RETURNING model_id",
										 *version),
								7, types, vals, nulls, false, 1);
	if (ret != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "storing the model failed");
	model_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	mk_prune_versions(name);
	SPI_finish();
	return model_id;
}

/*
 * Row security of mktdb.model, for the direct index scan below.  First whether row
 * security applies at all, as the executor decides it (check_enable_rls: not for
 * superusers, BYPASSRLS roles or the table's owner); then the policy model_select: a
 * role sees a model it is a member of the owner of, or that was granted to a role it
 * is a member of.  The grant check is the rare path and goes through SQL.
 * test/suite_visibility.sh checks this equals the policy for a matrix of roles.
 */
static bool
model_visible(Oid relid, const char *name, Oid owner)
{
	Oid			t[2] = {TEXTOID, OIDOID};
	Datum		a[2];
	bool		visible;

	if (check_enable_rls(relid, InvalidOid, true) != RLS_ENABLED)
		return true;
	if (is_member_of_role(GetUserId(), owner))
		return true;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	a[0] = CStringGetTextDatum(name);
	a[1] = ObjectIdGetDatum(owner);
	if (SPI_execute_with_args("SELECT mktdb._can_see($1, $2::regrole)", 2, t, a, NULL, true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "checking the grants of model \"%s\" failed", name);
	{
		bool		isnull;

		visible = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	SPI_finish();
	return visible;
}

/*
 * The catalog's and its index's OIDs, looked up once per backend (three syscache probes on
 * every online call otherwise) and forgotten on any relcache invalidation of either, which a
 * DROP EXTENSION sends, so a re-created extension is found again.
 */
static Oid	catalog_relid = InvalidOid;
static Oid	catalog_idxid = InvalidOid;

/*
 * Name cache: (role, name, version asked) -> the catalog row's info, so that an online call
 * does no index scan.  Used only while the catalog has the trigger model_changed (40_recommend),
 * which sends a relcache invalidation of mktdb.model on any change of mktdb.model or
 * mktdb.model_grant; a GRANT/REVOKE or a policy change on the catalog sends one too, and role
 * membership changes reset the cache through the syscache.  Invalidations arrive at the start of
 * each transaction (and at once for the backend's own changes): a retrain committed elsewhere is
 * seen by the next transaction.
 */
#define NAME_CACHE_SIZE 64
typedef struct NameEntry
{
	Oid			userid;
	int32		version;
	char		name[256];
	int64		model_id;
	int32		found_version;
	char		kind[64];
	Oid			owner;
} NameEntry;
static NameEntry *name_cache = NULL;
static int	n_names = 0;
static int	next_name = 0;
static bool name_cache_enabled = false;

static void
catalog_oids_inval(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == catalog_relid || relid == catalog_idxid)
	{
		catalog_relid = catalog_idxid = InvalidOid;
		n_names = 0;
	}
}

static void
roles_inval(Datum arg, int cacheid, uint32 hashvalue)
{
	n_names = 0;
}

static void
catalog_oids(Oid *relid, Oid *idxid)
{
	static bool registered = false;

	if (!OidIsValid(catalog_relid) || !OidIsValid(catalog_idxid))
	{
		Oid			nsp = get_namespace_oid("mktdb", false);
		Oid			r = get_relname_relid("model", nsp);
		Oid			x = get_relname_relid("model_name_version_key", nsp);

		if (!OidIsValid(r) || !OidIsValid(x))
			elog(ERROR, "the mktdb model catalog is missing");
		if (!registered)
		{
			CacheRegisterRelcacheCallback(catalog_oids_inval, (Datum) 0);
			CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, roles_inval, (Datum) 0);
			CacheRegisterSyscacheCallback(AUTHOID, roles_inval, (Datum) 0);
			registered = true;
		}
		name_cache_enabled = OidIsValid(get_trigger_oid(r, "model_changed", true));
		n_names = 0;
		catalog_relid = r;
		catalog_idxid = x;
	}
	*relid = catalog_relid;
	*idxid = catalog_idxid;
}

/*
 * The newest (or the given) version of a model, by a direct scan of the
 * (name, version) index backwards: this runs on every online call
 * (recommend_for, segment_of), where starting the executor for a query
 * costs as much as the rest of the call.
 */
void
mk_lookup_model(const char *name, int32 version, const char *kind, MkModelInfo *info)
{
	Oid			relid,
				idxid;
	Relation	rel;
	Relation	idx;
	ScanKeyData key[2];
	int			nkeys = 1;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	bool		found;
	bool		isnull;
	Snapshot	snap;

	if (name == NULL || name[0] == '\0')
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("model name must not be empty")));
	catalog_oids(&relid, &idxid);
	for (int i = 0; name_cache_enabled && i < n_names; i++)
	{
		NameEntry  *e = &name_cache[i];

		if (e->userid == GetUserId() && e->version == version && strcmp(e->name, name) == 0)
		{
			info->model_id = e->model_id;
			info->version = e->found_version;
			info->kind = pstrdup(e->kind);
			info->owner = e->owner;
			info->name = pstrdup(name);
			goto check_kind;
		}
	}
	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, "model");

	rel = table_open(relid, AccessShareLock);
	idx = index_open(idxid, AccessShareLock);
	ScanKeyInit(&key[0], 1, BTEqualStrategyNumber, F_TEXTEQ, CStringGetTextDatum(name));
	key[0].sk_collation = idx->rd_indcollation[0];
	if (version > 0)
	{
		ScanKeyInit(&key[1], 2, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(version));
		nkeys = 2;
	}
	snap = ActiveSnapshotSet() ? GetActiveSnapshot() : GetTransactionSnapshot();
	scan = index_beginscan(rel, idx, snap, nkeys, 0);
	index_rescan(scan, key, nkeys, NULL, 0);
	slot = table_slot_create(rel, NULL);
	found = index_getnext_slot(scan, BackwardScanDirection, slot);
	if (found)
	{
		info->model_id = DatumGetInt64(slot_getattr(slot, 1, &isnull));
		info->version = DatumGetInt32(slot_getattr(slot, 3, &isnull));
		info->kind = TextDatumGetCString(slot_getattr(slot, 4, &isnull));
		info->owner = DatumGetObjectId(slot_getattr(slot, 5, &isnull));
		info->name = pstrdup(name);
	}
	ExecDropSingleTupleTableSlot(slot);
	index_endscan(scan);
	index_close(idx, AccessShareLock);
	table_close(rel, AccessShareLock);

	if (!found || !model_visible(relid, name, info->owner))
	{
		if (version > 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("model \"%s\" has no version %d", name, version),
					 errhint("SELECT version FROM mktdb.model_versions WHERE name = '%s' lists the versions kept.", name)));
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" does not exist", name),
				 errhint("Train it first, or check its name in mktdb.models.")));
	}
	if (name_cache_enabled && strlen(name) < sizeof(name_cache[0].name) &&
		strlen(info->kind) < sizeof(name_cache[0].kind))
	{
		NameEntry  *e;

		if (name_cache == NULL)
			name_cache = MemoryContextAllocZero(TopMemoryContext, sizeof(NameEntry) * NAME_CACHE_SIZE);
		/* round robin once full */
		if (n_names < NAME_CACHE_SIZE)
			e = &name_cache[n_names++];
		else
		{
			e = &name_cache[next_name];
			next_name = (next_name + 1) % NAME_CACHE_SIZE;
		}
		e->userid = GetUserId();
		e->version = version;
		strlcpy(e->name, name, sizeof(e->name));
		e->model_id = info->model_id;
		e->found_version = info->version;
		strlcpy(e->kind, info->kind, sizeof(e->kind));
		e->owner = info->owner;
	}
check_kind:
	if (kind != NULL && strcmp(kind, info->kind) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("model \"%s\" is a %s model, not a %s model", name, info->kind, kind)));
}

/* The trigger model_changed on mktdb.model and mktdb.model_grant: see the name cache above. */
PG_FUNCTION_INFO_V1(mktdb_model_changed);
Datum
mktdb_model_changed(PG_FUNCTION_ARGS)
{
	Oid			relid,
				idxid;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("mktdb._model_changed() must be called as a trigger")));
	catalog_oids(&relid, &idxid);
	CacheInvalidateRelcacheByRelid(relid);
	return PointerGetDatum(NULL);
}

bytea *
mk_fetch_model_data(int64 model_id)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			t[1] = {INT8OID};
	Datum		a[1];
	bool		isnull;
	bytea	   *out;
	Datum		d;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	a[0] = Int64GetDatum(model_id);
	if (SPI_execute_with_args("SELECT data FROM mktdb.model WHERE model_id = $1", 1, t, a, NULL, true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model version %lld was dropped meanwhile", (long long) model_id)));
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	{
		MemoryContext old = MemoryContextSwitchTo(caller);

		out = DatumGetByteaPCopy(d);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	return out;
}

void
mk_prune_versions(const char *name)
{
	Oid			t[2] = {TEXTOID, INT4OID};
	Datum		a[2];

	if (mk_keep_versions <= 0)
		return;
	a[0] = CStringGetTextDatum(name);
	a[1] = Int32GetDatum(mk_keep_versions);
	/* run as the caller: row security lets an owner delete only its own versions */
	SPI_execute_with_args("DELETE FROM mktdb.model WHERE name = $1 AND version <= "
						  "(SELECT max(version) FROM mktdb.model WHERE name = $1) - $2",
						  2, t, a, NULL, false, 0);
}

/*
 * Splits "name@N" into name and version N; plain "name" gives version 0 (newest).
 */
char *
mk_parse_model_ref(const char *ref, int32 *version)
{
	const char *at = ref ? strrchr(ref, '@') : NULL;
	char	   *end;
	long		v;

	*version = 0;
	if (at == NULL)
		return pstrdup(ref ? ref : "");
	errno = 0;
	v = strtol(at + 1, &end, 10);
	if (at[1] == '\0' || *end != '\0' || errno != 0 || v < 1 || v > INT_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid model reference \"%s\"", ref),
				 errhint("Use \"name\" for the newest version or \"name@N\" for version N.")));
	*version = (int32) v;
	return pnstrdup(ref, at - ref);
}

/* ---------- retrain ---------- */

/*
 * mktdb.retrain(model): replays the newest version's spec through the kind's
 * registered retrain function, with the privileges of the model's owner whoever
 * calls it (a superuser's pg_cron job included).
 */
PG_FUNCTION_INFO_V1(mktdb_retrain);
Datum
mktdb_retrain(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	MkModelInfo info;
	Oid			save_userid;
	int			save_sec;
	Oid			t[2] = {TEXTOID, INT8OID};
	Datum		a[2];
	bool		isnull;
	char	   *fn;
	Datum		result;
	MemoryContext caller = CurrentMemoryContext;

	mk_check_model_name(name);
	mk_lookup_model(name, 0, NULL, &info);
	if (!has_privs_of_role(GetUserId(), info.owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to retrain model \"%s\"", name),
				 errhint("Only the owner of a model (role \"%s\") can retrain it.",
						 GetUserNameFromId(info.owner, false))));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	a[0] = CStringGetTextDatum(info.kind);
	if (SPI_execute_with_args("SELECT retrain::oid::regproc::text FROM mktdb.model_kind WHERE kind = $1",
							  1, t, a, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("models of kind \"%s\" cannot be retrained by this version of mktdb", info.kind)));
	fn = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

	/*
	 * Run as the owner, in a restricted security context (as maintenance
	 * commands do): the stored source is read with the owner's privileges, and
	 * the caller's role cannot leak into it.  An error resets the user id.
	 */
	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(info.owner, save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	a[0] = CStringGetTextDatum(name);
	a[1] = Int64GetDatum(info.model_id);
	if (SPI_execute_with_args(psprintf("SELECT %s($1, (SELECT spec FROM mktdb.model WHERE model_id = $2))", fn),
							  2, t, a, NULL, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "retrain of model \"%s\" returned no row", name);
	SetUserIdAndSecContext(save_userid, save_sec);
	result = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
	{
		SPI_finish();
		PG_RETURN_NULL();
	}
	{
		MemoryContext old = MemoryContextSwitchTo(caller);

		result = PointerGetDatum(DatumGetJsonbPCopy(result));
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	PG_RETURN_DATUM(result);
}

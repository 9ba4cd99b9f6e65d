-- mktdb extension script, part 00: the model catalog.
-- (sql/mktdb--<version>.sql is assembled from sql/ext/*.sql by the Makefile.)
\echo Use "CREATE EXTENSION mktdb" to load this file. \quit

-- Every trained model version is one row.  data is the model in the mktdb binary
-- format (magic, format version, kind, length, CRC-32C); spec holds every training
-- argument so that mktdb.retrain() can replay it.
CREATE SEQUENCE mktdb.model_model_id_seq;

CREATE TABLE mktdb.model (
    model_id   bigint PRIMARY KEY DEFAULT nextval('mktdb.model_model_id_seq'),
    name       text NOT NULL CHECK (name <> '' AND octet_length(name) <= 200 AND strpos(name, '@') = 0),
    version    int NOT NULL CHECK (version >= 1),
    kind       text NOT NULL,
    owner      regrole NOT NULL DEFAULT current_user::regrole,
    spec       jsonb NOT NULL,
    metrics    jsonb,
    n_rows     bigint,
    train_ms   float8,
    trained_at timestamptz NOT NULL DEFAULT now(),
    data       bytea NOT NULL,
    UNIQUE (name, version)
);
ALTER SEQUENCE mktdb.model_model_id_seq OWNED BY mktdb.model.model_id;
-- model blobs are mostly floating point: compression costs time and saves little
ALTER TABLE mktdb.model ALTER COLUMN data SET STORAGE EXTERNAL;
COMMENT ON TABLE mktdb.model IS 'mktdb model catalog: one row per trained model version';

-- Roles a model's owner has let see and use the model (mktdb.grant_model).
CREATE TABLE mktdb.model_grant (
    name    text NOT NULL,
    grantee regrole NOT NULL,
    PRIMARY KEY (name, grantee)
);

-- user data: dumped by pg_dump, restored by pg_restore
SELECT pg_catalog.pg_extension_config_dump('mktdb.model', '');
SELECT pg_catalog.pg_extension_config_dump('mktdb.model_model_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('mktdb.model_grant', '');

-- Each model kind registers its retrain entry point here, in its own part of this
-- script: retrain(name text, spec jsonb) RETURNS jsonb replays a stored spec.
CREATE TABLE mktdb.model_kind (
    kind    text PRIMARY KEY,
    retrain regprocedure NOT NULL
);

-- Visibility: the owner (and members of the owning role), roles the model was
-- granted to, and superusers (who bypass row security).
CREATE FUNCTION mktdb._can_see(p_name text, p_owner regrole) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT pg_catalog.pg_has_role(current_user, p_owner::oid, 'MEMBER')
        OR EXISTS (SELECT 1 FROM mktdb.model_grant g
                   WHERE g.name = p_name AND pg_catalog.pg_has_role(current_user, g.grantee::oid, 'MEMBER'))
$$;

ALTER TABLE mktdb.model ENABLE ROW LEVEL SECURITY;
CREATE POLICY model_select ON mktdb.model FOR SELECT USING (mktdb._can_see(name, owner));
-- a role adds versions only as itself, and only to a name that no other role owns
CREATE POLICY model_insert ON mktdb.model FOR INSERT
    WITH CHECK (owner = current_user::regrole);
CREATE POLICY model_delete ON mktdb.model FOR DELETE
    USING (pg_catalog.pg_has_role(current_user, owner::oid, 'MEMBER'));

ALTER TABLE mktdb.model_grant ENABLE ROW LEVEL SECURITY;
CREATE POLICY grant_select ON mktdb.model_grant FOR SELECT USING (true);
CREATE POLICY grant_write ON mktdb.model_grant FOR ALL
    USING (EXISTS (SELECT 1 FROM mktdb.model m WHERE m.name = model_grant.name
                   AND pg_catalog.pg_has_role(current_user, m.owner::oid, 'MEMBER')))
    WITH CHECK (EXISTS (SELECT 1 FROM mktdb.model m WHERE m.name = model_grant.name
                   AND pg_catalog.pg_has_role(current_user, m.owner::oid, 'MEMBER')));

GRANT USAGE ON SCHEMA mktdb TO PUBLIC;
GRANT SELECT, INSERT, DELETE ON mktdb.model TO PUBLIC;
GRANT USAGE ON SEQUENCE mktdb.model_model_id_seq TO PUBLIC;
GRANT SELECT, INSERT, DELETE ON mktdb.model_grant TO PUBLIC;
GRANT SELECT ON mktdb.model_kind TO PUBLIC;

-- Views run with the caller's privileges so row security applies to them too.
CREATE VIEW mktdb.model_versions WITH (security_invoker = true) AS
SELECT name, version, kind, owner, trained_at, n_rows, train_ms,
       octet_length(data)::bigint AS size_bytes, metrics, model_id
  FROM mktdb.model;

CREATE VIEW mktdb.models WITH (security_invoker = true) AS
SELECT DISTINCT ON (name) name, version, kind, owner, trained_at, n_rows, train_ms,
       size_bytes, metrics, model_id
  FROM mktdb.model_versions
 ORDER BY name, version DESC;

GRANT SELECT ON mktdb.model_versions, mktdb.models TO PUBLIC;

-- Replays the newest version's spec with the privileges of the model's owner; the
-- trainer's own result row as jsonb.
CREATE FUNCTION mktdb._retrain(model text) RETURNS jsonb
AS 'MODULE_PATHNAME', 'mktdb_retrain' LANGUAGE C STRICT VOLATILE;

-- mktdb.retrain: one row whatever the kind.  The summary columns (model, version, n_rows,
-- train_ms) are always set; the kind's own result columns (k, inertia, iterations for
-- kmeans; n_users, n_items, n_interactions for recommender) where they apply; result
-- holds the trainer's whole result row as jsonb.
CREATE FUNCTION mktdb.retrain(model text)
RETURNS TABLE(model text, version int, n_rows bigint, train_ms float8,
              k int, inertia float8, iterations int,
              n_users bigint, n_items bigint, n_interactions bigint, result jsonb)
LANGUAGE sql STRICT VOLATILE AS $$
    SELECT r->>'model', (r->>'version')::int,
           coalesce((r->>'n_rows')::bigint, (r->>'n_interactions')::bigint), (r->>'train_ms')::float8,
           (r->>'k')::int, (r->>'inertia')::float8, (r->>'iterations')::int,
           (r->>'n_users')::bigint, (r->>'n_items')::bigint, (r->>'n_interactions')::bigint, r
      FROM mktdb._retrain($1) AS r
$$;

CREATE FUNCTION mktdb.drop_model(model text) RETURNS int
LANGUAGE plpgsql STRICT VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n_seen int;
    n_dropped int;
BEGIN
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('mktdb.model:' || model));
    SELECT count(*) INTO n_seen FROM mktdb.model m WHERE m.name = model;
    IF n_seen = 0 THEN
        RAISE EXCEPTION 'model "%" does not exist', model USING ERRCODE = 'undefined_object';
    END IF;
    DELETE FROM mktdb.model m WHERE m.name = model;
    GET DIAGNOSTICS n_dropped = ROW_COUNT;
    IF n_dropped < n_seen THEN
        RAISE EXCEPTION 'permission denied to drop model "%"', model
            USING ERRCODE = 'insufficient_privilege', HINT = 'Only the role that trained a model can drop it.';
    END IF;
    DELETE FROM mktdb.model_grant g WHERE g.name = model;
    RETURN n_dropped;
END $$;

CREATE FUNCTION mktdb.grant_model(model text, grantee regrole) RETURNS void
LANGUAGE plpgsql STRICT VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM mktdb.model m WHERE m.name = model
                   AND pg_catalog.pg_has_role(current_user, m.owner::oid, 'MEMBER')) THEN
        IF EXISTS (SELECT 1 FROM mktdb.model m WHERE m.name = model) THEN
            RAISE EXCEPTION 'permission denied to grant model "%"', model
                USING ERRCODE = 'insufficient_privilege', HINT = 'Only the role that trained a model can grant it.';
        END IF;
        RAISE EXCEPTION 'model "%" does not exist', model USING ERRCODE = 'undefined_object';
    END IF;
    INSERT INTO mktdb.model_grant VALUES (model, grantee) ON CONFLICT DO NOTHING;
END $$;

CREATE FUNCTION mktdb.revoke_model(model text, grantee regrole) RETURNS void
LANGUAGE plpgsql STRICT VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM mktdb.model m WHERE m.name = model
                   AND pg_catalog.pg_has_role(current_user, m.owner::oid, 'MEMBER')) THEN
        RAISE EXCEPTION 'model "%" does not exist or is not yours', model USING ERRCODE = 'insufficient_privilege';
    END IF;
    DELETE FROM mktdb.model_grant g WHERE g.name = model AND g.grantee = revoke_model.grantee;
END $$;

-- The header of a model blob, checked (magic, format version, kind, length, CRC-32C).
CREATE FUNCTION mktdb.model_header(data bytea)
RETURNS TABLE(kind text, format_version int, payload_bytes bigint, crc32c bigint)
AS 'MODULE_PATHNAME', 'mktdb_model_header' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

-- What this backend's model cache holds (for tests and monitoring).
CREATE FUNCTION mktdb.model_cache()
RETURNS TABLE(model_id bigint, name text, version int, kind text, bytes bigint, hits bigint)
AS 'MODULE_PATHNAME', 'mktdb_model_cache' LANGUAGE C STRICT VOLATILE;

-- Newest version and owner of a model name, whoever owns it: the trainers need it
-- to refuse adding a version to another role's model (row security would hide it).
-- SECURITY DEFINER is safe here: fixed search_path, no dynamic SQL, reads one row.
CREATE FUNCTION mktdb._model_head(p_name text) RETURNS TABLE(owner regrole, version int)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT m.owner, m.version FROM mktdb.model m WHERE m.name = p_name ORDER BY m.version DESC LIMIT 1
$$;

-- mktdb extension script, part 10: k-means segmentation (src/kmeans_sql.c, src/core/kmeans.c;
-- README "Customer segmentation").

-- Fits k-means on the feature columns of a table, view or query and stores a new version.
CREATE FUNCTION mktdb.kmeans_segment(
    model text, source text, features text[], k int,
    id_column text DEFAULT NULL,
    scaling text DEFAULT 'zscore',
    n_init int DEFAULT 3, max_iter int DEFAULT 300, tol float8 DEFAULT 1e-4, seed int DEFAULT 0)
RETURNS TABLE(model text, version int, k int, n_rows bigint, inertia float8, iterations int, train_ms float8)
AS 'MODULE_PATHNAME', 'mktdb_kmeans_segment' LANGUAGE C VOLATILE;

-- The segment (1..k) of one point given in original units.
CREATE FUNCTION mktdb.segment_of(model text, features float8[]) RETURNS int
AS 'MODULE_PATHNAME', 'mktdb_segment_of' LANGUAGE C STRICT STABLE PARALLEL SAFE;

-- The same for a model held as bytea (e.g. from mktdb.kmeans_fit).
CREATE FUNCTION mktdb.segment_of(model bytea, features float8[]) RETURNS int
AS 'MODULE_PATHNAME', 'mktdb_segment_of_bytea' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

-- Every row of the model's source: id, segment and the Euclidean distance to the segment's
-- centroid in the fitted space (NULL segment for rows with a NULL or non-finite feature).
CREATE FUNCTION mktdb.kmeans_assign(model text)
RETURNS TABLE(id text, segment int, distance float8)
AS 'MODULE_PATHNAME', 'mktdb_kmeans_assign' LANGUAGE C STRICT STABLE PARALLEL RESTRICTED;

-- Centroids (original units) of a model held as bytea.
CREATE FUNCTION mktdb.kmeans_centroids(model bytea)
RETURNS TABLE(segment int, size bigint, features text[], centroid float8[])
AS 'MODULE_PATHNAME', 'mktdb_kmeans_centroids' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

-- Shape and quality of a model held as bytea: k, features, n_rows, inertia, sizes, silhouette ...
CREATE FUNCTION mktdb.kmeans_info(model bytea) RETURNS jsonb
AS 'MODULE_PATHNAME', 'mktdb_kmeans_info' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

-- Centroids of every version of every k-means model the caller can see.
CREATE VIEW mktdb.kmeans_centroids WITH (security_invoker = true) AS
SELECT m.name AS model, m.version, c.segment, c.size, c.features, c.centroid
  FROM mktdb.model m
 CROSS JOIN LATERAL mktdb.kmeans_centroids(m.data) c
 WHERE m.kind = 'kmeans';

GRANT SELECT ON mktdb.kmeans_centroids TO PUBLIC;

-- Retrain entry point: replays a stored spec (with the search_path the model was trained
-- under, so that the source's names resolve as they did); the summary row as jsonb.
CREATE FUNCTION mktdb._kmeans_retrain(model text, spec jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    result jsonb;
BEGIN
    -- local to this function: its SET clause restores the caller's search_path on exit
    PERFORM pg_catalog.set_config('search_path', coalesce(spec->>'search_path', 'pg_catalog'), true);
    SELECT pg_catalog.to_jsonb(t) INTO result
      FROM mktdb.kmeans_segment(
               model, spec->>'source',
               ARRAY(SELECT f FROM pg_catalog.jsonb_array_elements_text(spec->'features')
                                    WITH ORDINALITY AS a(f, o) ORDER BY o),
               (spec->>'k')::int, spec->>'id_column', spec->>'scaling', (spec->>'n_init')::int,
               (spec->>'max_iter')::int, (spec->>'tol')::float8, (spec->>'seed')::int) t;
    RETURN result;
END $$;

INSERT INTO mktdb.model_kind VALUES ('kmeans', 'mktdb._kmeans_retrain(text,jsonb)');

-- The aggregate: one model per group, returned as bytea.  Its state is a bytea holding the
-- group's usable rows, so partial aggregation runs in parallel workers (and on Citus shards).
CREATE FUNCTION mktdb._kmeans_fit_add(state bytea, features float8[], k int) RETURNS bytea
AS 'MODULE_PATHNAME', 'mktdb_kmeans_fit_add' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION mktdb._kmeans_fit_add(state bytea, features float8[], k int, scaling text) RETURNS bytea
AS 'MODULE_PATHNAME', 'mktdb_kmeans_fit_add' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION mktdb._kmeans_fit_add(state bytea, features float8[], k int, scaling text,
                                      n_init int, max_iter int, tol float8, seed int) RETURNS bytea
AS 'MODULE_PATHNAME', 'mktdb_kmeans_fit_add' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION mktdb._kmeans_fit_combine(a bytea, b bytea) RETURNS bytea
AS 'MODULE_PATHNAME', 'mktdb_kmeans_fit_combine' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION mktdb._kmeans_fit_final(state bytea) RETURNS bytea
AS 'MODULE_PATHNAME', 'mktdb_kmeans_fit_final' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE mktdb.kmeans_fit(features float8[], k int) (
    SFUNC = mktdb._kmeans_fit_add, STYPE = bytea,
    COMBINEFUNC = mktdb._kmeans_fit_combine,
    FINALFUNC = mktdb._kmeans_fit_final, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE);
CREATE AGGREGATE mktdb.kmeans_fit(features float8[], k int, scaling text) (
    SFUNC = mktdb._kmeans_fit_add, STYPE = bytea,
    COMBINEFUNC = mktdb._kmeans_fit_combine,
    FINALFUNC = mktdb._kmeans_fit_final, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE);
CREATE AGGREGATE mktdb.kmeans_fit(features float8[], k int, scaling text,
                                  n_init int, max_iter int, tol float8, seed int) (
    SFUNC = mktdb._kmeans_fit_add, STYPE = bytea,
    COMBINEFUNC = mktdb._kmeans_fit_combine,
    FINALFUNC = mktdb._kmeans_fit_final, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE);

-- Training on Citus distributed tables (src/kmeans_dist.c): kmeans_segment runs these
-- aggregates where the rows are (float8[] states with a combine function, so Citus pushes
-- partial aggregation to the shards); only their states travel.
CREATE FUNCTION mktdb._kmeans_stats_add(state float8[], features float8[]) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mktdb_kmeans_stats_add' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION mktdb._kmeans_stats_combine(a float8[], b float8[]) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mktdb_kmeans_stats_combine' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE mktdb._kmeans_stats(features float8[]) (
    SFUNC = mktdb._kmeans_stats_add, STYPE = float8[],
    COMBINEFUNC = mktdb._kmeans_stats_combine, PARALLEL = SAFE);
CREATE FUNCTION mktdb._kmeans_sampled(features float8[], seed int, fraction float8) RETURNS boolean
AS 'MODULE_PATHNAME', 'mktdb_kmeans_sampled' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION mktdb._kmeans_lloyd_add(state float8[], features float8[], params float8[]) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mktdb_kmeans_lloyd_add' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION mktdb._kmeans_lloyd_combine(a float8[], b float8[]) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mktdb_kmeans_lloyd_combine' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE mktdb._kmeans_lloyd(features float8[], params float8[]) (
    SFUNC = mktdb._kmeans_lloyd_add, STYPE = float8[],
    COMBINEFUNC = mktdb._kmeans_lloyd_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE mktdb._kmeans_stats(float8[]) IS
    'internal to kmeans_segment on distributed sources: row count, means, squared deviations, minima and maxima of the features';
COMMENT ON FUNCTION mktdb._kmeans_sampled(float8[], int, float8) IS
    'internal to kmeans_segment on distributed sources: whether a row is in the seeding sample (a hash of its values and the seed below fraction)';
COMMENT ON AGGREGATE mktdb._kmeans_lloyd(float8[], float8[]) IS
    'internal to kmeans_segment on distributed sources: one Lloyd step (counts, sums and inertia for the centroids in params)';

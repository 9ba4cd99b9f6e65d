-- mktdb 0.2.0 -> 0.3.0
-- Sections follow the order of sql/ext/ (one per part of the extension script), so that
-- each capability's upgrade sits where its fresh-install SQL does.
\echo Use "ALTER EXTENSION mktdb UPDATE TO '0.3.0'" to load this file. \quit

-- 00_catalog

-- 10_kmeans
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


-- 20_rfm

-- 30_arima
-- Grouped forecasts on a Citus table distributed by a group column (src/arima_dist.c): the
-- coordinator runs this on every shard through run_command_on_shards; each worker fits the
-- series it holds and sends back its fits and forecasts, and one model version is stored.
CREATE FUNCTION mktdb._arima_forecast_shard(
    model text, source text, time_column text, value_column text, group_columns text[],
    horizon int, period int, pdq int[], seasonal_pdq int[])
RETURNS bytea
AS 'MODULE_PATHNAME', 'mktdb_arima_forecast_shard' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION mktdb._arima_forecast_shard(text, text, text, text, text[], int, int, int[], int[]) IS
'internal to arima_forecast on Citus tables distributed by a group column: one shard''s fits and forecasts as a model blob, not stored';


-- 35_forecast

-- 40_recommend

-- 50_clv

-- 60_abtest

-- 70_charts

-- 90_operations

-- 95_comments

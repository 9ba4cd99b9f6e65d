-- mktdb 0.2.0 -> 0.3.0
-- Sections follow the order of sql/ext/ (one per part of the extension script), so that
-- each capability's upgrade sits where its fresh-install SQL does.
\echo Use "ALTER EXTENSION mktdb UPDATE TO '0.3.0'" to load this file. \quit

-- 00_catalog

-- 10_kmeans

-- 20_rfm

-- 30_arima

-- 35_forecast

-- 40_recommend
-- recommend_train gains method (after seed, as in the SPEC), neighbors and min_buyers, and
-- regularization defaults to NULL (chosen on validation); alpha defaults to 1.0 as in the SPEC.
-- The signature changes, so the function is dropped and created again.
DROP FUNCTION mktdb.recommend_train(text, text, text, text, text, int, int, float8, float8, int, text, float8, int, int);
CREATE FUNCTION mktdb.recommend_train(
    model text, source text, user_column text, item_column text,
    weight_column text DEFAULT NULL,
    factors int DEFAULT 64, iterations int DEFAULT 15,
    regularization float8 DEFAULT NULL, alpha float8 DEFAULT 1.0, seed int DEFAULT 0,
    method text DEFAULT 'auto',
    solver text DEFAULT 'cg', frequency_scaling float8 DEFAULT 1.0, cg_steps int DEFAULT 3,
    precompute_n int DEFAULT 50, neighbors int DEFAULT 256, min_buyers int DEFAULT 5)
RETURNS TABLE(model text, version int, n_users bigint, n_items bigint, n_interactions bigint, train_ms float8)
AS 'MODULE_PATHNAME', 'mktdb_recommend_train' LANGUAGE C VOLATILE;

CREATE OR REPLACE FUNCTION mktdb._recommender_retrain(name text, spec jsonb) RETURNS jsonb
LANGUAGE sql VOLATILE AS $$
    SELECT pg_catalog.to_jsonb(r)
      FROM mktdb.recommend_train($1, $2->>'source', $2->>'user_column', $2->>'item_column',
                                 $2->>'weight_column',
                                 ($2->>'factors')::int, ($2->>'iterations')::int,
                                 ($2->>'regularization')::float8, ($2->>'alpha')::float8,
                                 ($2->>'seed')::int, coalesce($2->>'method', 'als'), $2->>'solver',
                                 ($2->>'frequency_scaling')::float8, ($2->>'cg_steps')::int,
                                 coalesce(($2->>'precompute_n')::int, 50),
                                 coalesce(($2->>'neighbors')::int, 256),
                                 coalesce(($2->>'min_buyers')::int, 1)) r
$$;

-- Online calls (recommend_for, segment_of, ...) find a model by name in a per-backend cache
-- instead of an index scan of the catalog (src/model_store.c); this trigger keeps the cache
-- right: any change of mktdb.model or mktdb.model_grant sends a relcache invalidation of
-- mktdb.model to every backend.  The cache is used only while the trigger exists.
CREATE FUNCTION mktdb._model_changed() RETURNS trigger
AS 'MODULE_PATHNAME', 'mktdb_model_changed' LANGUAGE C;
CREATE TRIGGER model_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mktdb.model
    FOR EACH STATEMENT EXECUTE FUNCTION mktdb._model_changed();
CREATE TRIGGER model_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mktdb.model_grant
    FOR EACH STATEMENT EXECUTE FUNCTION mktdb._model_changed();

COMMENT ON FUNCTION mktdb.recommend_train(text, text, text, text, text, int, int, float8, float8, int, text, text, float8, int, int, int, int)
    IS 'Trains a recommender (method auto | ease | als) from (user, item[, weight]) rows; regularization NULL is chosen on a validation split';
COMMENT ON FUNCTION mktdb.recommend_for(text, text, int, boolean)
    IS 'A user''s top n items (text ids); unknown users get the most popular items';
COMMENT ON FUNCTION mktdb.recommend_for(text, bigint, int, boolean)
    IS 'A user''s top n items (bigint ids); unknown users get the most popular items';
COMMENT ON FUNCTION mktdb.similar_items(text, text, int)
    IS 'Items bought with the given one (EASE: its positive weights; ALS: cosine of the factors), text ids';
COMMENT ON FUNCTION mktdb.similar_items(text, bigint, int)
    IS 'Items bought with the given one (EASE: its positive weights; ALS: cosine of the factors), bigint ids';
COMMENT ON FUNCTION mktdb.recommend_all(text, int, boolean)
    IS 'Every user''s top n items in one pass (ids as text)';
COMMENT ON FUNCTION mktdb._model_changed()
    IS 'Trigger: a change of the model catalog invalidates every backend''s model name cache';

-- 50_clv

-- 60_abtest

-- 70_charts

-- 90_operations

-- 95_comments

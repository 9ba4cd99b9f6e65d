-- mktdb extension script, part 40: implicit-feedback recommendations (kind 'recommender').
-- C code: src/recommend_sql.c over src/core/als.c and src/core/topn.c.  Guide: README "Recommendations".

-- Two model classes (README "Recommendations"): 'ease', the closed-form item x item model of
-- Steck (2019), and 'als', alternating least squares for implicit feedback (Hu, Koren & Volinsky
-- 2008).  method 'auto' uses EASE when its two n_items x n_items work matrices fit
-- mktdb.ease_memory_limit (default 2GB: about 11,500 items), ALS otherwise.  regularization
-- NULL: EASE's lambda is chosen on a per-user validation holdout carved from the training data
-- (grid 10 .. 1e4 by decades, then the half-decades around the best; seed = seed); ALS chooses
-- (alpha, regularization, frequency_scaling) among alpha x (5, 100, 1), (20, 100, 1), (100, 500, 0)
-- on the same kind of holdout (frequency_scaling NULL: chosen with it; 1 when regularization is
-- given).  Options beyond the contract: solver, frequency_scaling, cg_steps, precompute_n (ALS,
-- as in 0.2.0), neighbors (EASE keeps each item's `neighbors` strongest weights, float32) and
-- min_buyers (items bought by fewer distinct users are left out of the model: never
-- recommended, never similar, never evidence).
CREATE FUNCTION mktdb.recommend_train(
    model text, source text, user_column text, item_column text,
    weight_column text DEFAULT NULL,
    factors int DEFAULT 64, iterations int DEFAULT 15,
    regularization float8 DEFAULT NULL, alpha float8 DEFAULT 1.0, seed int DEFAULT 0,
    method text DEFAULT 'auto',
    solver text DEFAULT 'cg', frequency_scaling float8 DEFAULT NULL, cg_steps int DEFAULT 3,
    precompute_n int DEFAULT 50, neighbors int DEFAULT 256, min_buyers int DEFAULT 5)
RETURNS TABLE(model text, version int, n_users bigint, n_items bigint, n_interactions bigint, train_ms float8)
AS 'MODULE_PATHNAME', 'mktdb_recommend_train' LANGUAGE C VOLATILE;

CREATE FUNCTION mktdb.recommend_for(model text, user_id text, n int DEFAULT 10, exclude_seen boolean DEFAULT true)
RETURNS TABLE(item_id text, score float8, rank int)
AS 'MODULE_PATHNAME', 'mktdb_recommend_for_text' LANGUAGE C STRICT STABLE ROWS 10;

CREATE FUNCTION mktdb.recommend_for(model text, user_id bigint, n int DEFAULT 10, exclude_seen boolean DEFAULT true)
RETURNS TABLE(item_id bigint, score float8, rank int)
AS 'MODULE_PATHNAME', 'mktdb_recommend_for_int8' LANGUAGE C STRICT STABLE ROWS 10;

CREATE FUNCTION mktdb.similar_items(model text, item_id text, n int DEFAULT 10)
RETURNS TABLE(item_id text, score float8, rank int)
AS 'MODULE_PATHNAME', 'mktdb_similar_items_text' LANGUAGE C STRICT STABLE ROWS 10;

CREATE FUNCTION mktdb.similar_items(model text, item_id bigint, n int DEFAULT 10)
RETURNS TABLE(item_id bigint, score float8, rank int)
AS 'MODULE_PATHNAME', 'mktdb_similar_items_int8' LANGUAGE C STRICT STABLE ROWS 10;

-- Every user's top n in one pass (blocks of users scored by matrix-matrix products).
-- Ids come back as text whatever their type (cast with ::bigint for integer ids).
CREATE FUNCTION mktdb.recommend_all(model text, n int DEFAULT 10, exclude_seen boolean DEFAULT true)
RETURNS TABLE(user_id text, item_id text, score float8, rank int)
AS 'MODULE_PATHNAME', 'mktdb_recommend_all' LANGUAGE C STRICT STABLE ROWS 100000;

-- Replays a stored spec (mktdb.retrain); returns recommend_train's row as jsonb.  Specs stored
-- before 0.3.0 have no method (they retrain as ALS with their stored regularization), no
-- precompute_n, neighbors or min_buyers (then 50, 256 and 1: nothing left out, as they were
-- trained).  No SET search_path: the stored source names a table the way the trainer's session
-- resolved it (pg_catalog is searched first, so the operators and casts below cannot be
-- redirected).
CREATE FUNCTION mktdb._recommender_retrain(name text, spec jsonb) RETURNS jsonb
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

INSERT INTO mktdb.model_kind VALUES ('recommender', 'mktdb._recommender_retrain(text,jsonb)');

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

-- mktdb extension script, part 40: implicit-feedback recommendations (kind 'recommender').
-- C code: src/recommend_sql.c over src/core/als.c and src/core/topn.c.  Guide: README "Recommendations".

-- Alternating least squares for implicit feedback (Hu, Koren & Volinsky 2008).
-- Options beyond the contract: solver ('cg': a few conjugate-gradient steps per row, as the
-- `implicit` library does; 'cholesky': exact solves), frequency_scaling (0: the same
-- regularization for every user and item; 1: scaled with their total confidence, Rendle et
-- al. 2022), cg_steps, precompute_n (every user's best precompute_n unseen items are computed
-- at training time and stored, so recommend_for with exclude_seen and n <= precompute_n scores
-- only the n items it returns; 0: none stored, every call scores all items).  The defaults of regularization (SPEC's starting point 0.01), alpha (1.0)
-- and frequency_scaling are the best single choice measured by test/bench/recommend_quality.py on
-- msweb, Complete Journey and planted-taste data (README "Recommendations"): with 0.01 the factors
-- overfit badly (msweb Recall@10 0.07 against 0.64 for most-popular).
CREATE FUNCTION mktdb.recommend_train(
    model text, source text, user_column text, item_column text,
    weight_column text DEFAULT NULL,
    factors int DEFAULT 64, iterations int DEFAULT 15,
    regularization float8 DEFAULT 100.0, alpha float8 DEFAULT 5.0, seed int DEFAULT 0,
    solver text DEFAULT 'cg', frequency_scaling float8 DEFAULT 1.0, cg_steps int DEFAULT 3,
    precompute_n int DEFAULT 50)
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
-- before precompute_n existed get its default.  No SET
-- search_path: the stored source names a table the way the trainer's session resolved it
-- (pg_catalog is searched first, so the operators and casts below cannot be redirected).
CREATE FUNCTION mktdb._recommender_retrain(name text, spec jsonb) RETURNS jsonb
LANGUAGE sql VOLATILE AS $$
    SELECT pg_catalog.to_jsonb(r)
      FROM mktdb.recommend_train($1, $2->>'source', $2->>'user_column', $2->>'item_column',
                                 $2->>'weight_column',
                                 ($2->>'factors')::int, ($2->>'iterations')::int,
                                 ($2->>'regularization')::float8, ($2->>'alpha')::float8,
                                 ($2->>'seed')::int, $2->>'solver',
                                 ($2->>'frequency_scaling')::float8, ($2->>'cg_steps')::int,
                                 coalesce(($2->>'precompute_n')::int, 50)) r
$$;

INSERT INTO mktdb.model_kind VALUES ('recommender', 'mktdb._recommender_retrain(text,jsonb)');

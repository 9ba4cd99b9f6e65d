-- mktdb extension script, part 95: a one-line comment on every user-facing object that had none
-- (what it does, its units), so that \df+ mktdb.* and \dv+ mktdb.* explain themselves.  New objects
-- carry their comment in their own part; sql/comments.sql fails on any user-facing one without.

-- model catalog and operations
COMMENT ON TABLE mktdb.model_kind IS 'Model kinds and the function mktdb.retrain calls for each (internal registry)';
COMMENT ON TABLE mktdb.model_grant IS 'Roles a model''s owner let see and use the model (mktdb.grant_model / mktdb.revoke_model)';
COMMENT ON VIEW mktdb.models IS 'Newest version of each model: kind, owner, training time, rows, train_ms (milliseconds), size_bytes, metrics';
COMMENT ON VIEW mktdb.model_versions IS 'Every kept version of every model, with the columns of mktdb.models';
COMMENT ON FUNCTION mktdb.retrain(text) IS 'Retrains a model from its stored spec, reading with its owner''s privileges; the trainer''s summary as jsonb';
COMMENT ON FUNCTION mktdb.drop_model(text) IS 'Drops every version of a model';
COMMENT ON FUNCTION mktdb.grant_model(text, regrole) IS 'Lets a role see and use a model (owner only)';
COMMENT ON FUNCTION mktdb.revoke_model(text, regrole) IS 'Takes back mktdb.grant_model';
COMMENT ON FUNCTION mktdb.schedule_retrain(text, text) IS 'Schedules mktdb.retrain(model) with pg_cron on a cron schedule (e.g. ''0 3 * * *''); the job id';
COMMENT ON FUNCTION mktdb.unschedule_retrain(text) IS 'Removes the pg_cron job of mktdb.schedule_retrain for a model';
COMMENT ON FUNCTION mktdb.model_header(bytea) IS 'The checked header of a model blob: kind, format version, payload size (bytes), CRC-32C';
COMMENT ON FUNCTION mktdb.model_cache() IS 'The decoded models this backend''s cache holds (size in bytes, hits)';

-- k-means segmentation
COMMENT ON FUNCTION mktdb.kmeans_segment(text, text, text[], int, text, text, int, int, float8, int) IS
    'Fits k-means on feature columns of a table, view or query and stores a model version; inertia in the fitted space, train_ms in milliseconds';
COMMENT ON FUNCTION mktdb.segment_of(text, float8[]) IS 'The segment (1..k) of one point in original units, by a stored k-means model';
COMMENT ON FUNCTION mktdb.segment_of(bytea, float8[]) IS 'The segment (1..k) of one point in original units, by a k-means model held as bytea';
COMMENT ON FUNCTION mktdb.kmeans_assign(text) IS 'Every row of a k-means model''s source: id, segment, Euclidean distance to its centroid (fitted space)';
COMMENT ON FUNCTION mktdb.kmeans_centroids(bytea) IS 'Segments of a k-means model held as bytea: size (rows), feature names, centroid in original units';
COMMENT ON FUNCTION mktdb.kmeans_info(bytea) IS 'Shape and quality of a k-means model held as bytea: k, features, rows, inertia, sizes, silhouette';
COMMENT ON AGGREGATE mktdb.kmeans_fit(float8[], int) IS 'Aggregate: a k-means model (bytea) of the feature arrays of each group, z-scored';
COMMENT ON AGGREGATE mktdb.kmeans_fit(float8[], int, text) IS 'Aggregate: a k-means model (bytea) per group with the given scaling (zscore, minmax, none)';
COMMENT ON AGGREGATE mktdb.kmeans_fit(float8[], int, text, int, int, float8, int) IS
    'Aggregate: a k-means model (bytea) per group with scaling, n_init, max_iter, tol and seed';
COMMENT ON VIEW mktdb.kmeans_centroids IS 'Centroids (original units) and sizes (rows) of every version of every k-means model';

-- RFM scoring
COMMENT ON FUNCTION mktdb.rfm_score(text, text, text, text, text, timestamptz, int) IS
    'RFM scores per customer (recency in days, frequency in rows, monetary as summed amount) and segment; stores the thresholds as a model';
COMMENT ON FUNCTION mktdb.rfm_of(text, int, bigint, float8) IS 'Scores one customer (recency in days, frequency, monetary) against a stored RFM model';
COMMENT ON VIEW mktdb.rfm_segments IS 'Customers, share (0..1) and mean recency (days), frequency and monetary per segment of every RFM model';
COMMENT ON VIEW mktdb.rfm_thresholds IS 'The score thresholds of every RFM model: recency in days, frequency in rows, monetary exact';

-- ARIMA forecasting
COMMENT ON FUNCTION mktdb.forecasts_of(text) IS 'Forecasts of one arima_forecast or forecast model (or all visible ones for NULL): the rows behind mktdb.forecasts';
COMMENT ON FUNCTION mktdb.arima_models_of(text) IS 'Fitted orders and statistics of one ARIMA model (or all visible ones for NULL): the rows behind mktdb.arima_models';
COMMENT ON VIEW mktdb.forecasts IS 'Stored forecasts of every arima_forecast and forecast model (newest version): step, timestamp, point forecast and 80 % / 95 % interval bounds (units of the series)';
COMMENT ON VIEW mktdb.arima_models IS 'Per series of every ARIMA model: orders, period, coefficients (R''s names), sigma2, loglik, AICc, observations, fallback';

-- recommendations
COMMENT ON FUNCTION mktdb.recommend_for(text, text, int, boolean) IS 'Top n items for one user (text ids) with scores and rank 1..n; popular items for unknown users';
COMMENT ON FUNCTION mktdb.recommend_for(text, bigint, int, boolean) IS 'Top n items for one user (bigint ids) with scores and rank 1..n; popular items for unknown users';
COMMENT ON FUNCTION mktdb.recommend_all(text, int, boolean) IS 'Top n items for every user of a recommender model, as recommend_for per user (text ids)';
COMMENT ON FUNCTION mktdb.similar_items(text, text, int) IS 'The n items most similar to one item (text ids): customers who bought this also bought';
COMMENT ON FUNCTION mktdb.similar_items(text, bigint, int) IS 'The n items most similar to one item (bigint ids): customers who bought this also bought';

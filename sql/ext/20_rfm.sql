-- mktdb extension script, part 20: RFM scoring (src/rfm_sql.c, src/core/rfm.c; README "RFM scoring").

-- One row per customer; stores the score thresholds as a new version of model kind 'rfm'.
CREATE FUNCTION mktdb.rfm_score(
    model text, source text, customer_column text, date_column text, amount_column text,
    as_of timestamptz DEFAULT NULL, bins int DEFAULT 5)
RETURNS TABLE(customer_id text, recency_days int, frequency bigint, monetary float8,
              r int, f int, m int, rfm_cell text, segment text)
AS 'MODULE_PATHNAME', 'mktdb_rfm_score' LANGUAGE C VOLATILE;

-- Scores one customer's measures against a model's thresholds.
CREATE FUNCTION mktdb.rfm_of(model text, recency_days int, frequency bigint, monetary float8)
RETURNS TABLE(r int, f int, m int, rfm_cell text, segment text)
AS 'MODULE_PATHNAME', 'mktdb_rfm_of' LANGUAGE C STABLE PARALLEL SAFE;

-- rfm_score without the customer rows: what retrain runs.
CREATE FUNCTION mktdb._rfm_train(
    model text, source text, customer_column text, date_column text, amount_column text,
    as_of timestamptz, bins int)
RETURNS TABLE(model text, version int, n_rows bigint, train_ms float8)
AS 'MODULE_PATHNAME', 'mktdb_rfm_train' LANGUAGE C VOLATILE;

-- Retrain entry point: replays a stored spec; the summary row as jsonb.
CREATE FUNCTION mktdb._rfm_retrain(model text, spec jsonb) RETURNS jsonb
LANGUAGE sql VOLATILE AS $$
    SELECT pg_catalog.to_jsonb(t)
      FROM mktdb._rfm_train(model, spec->>'source', spec->>'customer_column', spec->>'date_column',
                            spec->>'amount_column', (spec->>'as_of')::timestamptz,
                            (spec->>'bins')::int) t
$$;

INSERT INTO mktdb.model_kind VALUES ('rfm', 'mktdb._rfm_retrain(text,jsonb)');

-- Customers per segment of every version of every RFM model (from the metrics stored at training).
CREATE VIEW mktdb.rfm_segments WITH (security_invoker = true) AS
SELECT v.name AS model, v.version, s->>'segment' AS segment, (s->>'customers')::bigint AS customers,
       (s->>'share')::float8 AS share, (s->>'avg_recency_days')::float8 AS avg_recency_days,
       (s->>'avg_frequency')::float8 AS avg_frequency, (s->>'avg_monetary')::float8 AS avg_monetary
  FROM mktdb.model_versions v
 CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(v.metrics->'segments') s
 WHERE v.kind = 'rfm';

-- The stored thresholds: score >= s when recency_days <= threshold (recency) or when the
-- value >= threshold (frequency, monetary); monetary thresholds are exact.
CREATE VIEW mktdb.rfm_thresholds WITH (security_invoker = true) AS
SELECT v.name AS model, v.version, t.measure, t.score, t.threshold
  FROM mktdb.model_versions v
 CROSS JOIN LATERAL (
        SELECT 'recency_days'::text, (o + 1)::int, x::numeric
          FROM pg_catalog.jsonb_array_elements_text(v.metrics->'thresholds'->'recency_days') WITH ORDINALITY a(x, o)
        UNION ALL
        SELECT 'frequency', (o + 1)::int, x::numeric
          FROM pg_catalog.jsonb_array_elements_text(v.metrics->'thresholds'->'frequency') WITH ORDINALITY a(x, o)
        UNION ALL
        SELECT 'monetary', (o + 1)::int, x::numeric
          FROM pg_catalog.jsonb_array_elements_text(v.metrics->'thresholds'->'monetary') WITH ORDINALITY a(x, o)
       ) t(measure, score, threshold)
 WHERE v.kind = 'rfm';

GRANT SELECT ON mktdb.rfm_segments, mktdb.rfm_thresholds TO PUBLIC;

-- mktdb extension script, part 70: charts (src/chart_sql.c, src/core/svg.c; README "Charts").
-- Each returns a self-contained SVG document (no script, no external reference).

CREATE FUNCTION mktdb.forecast_chart(model text, series jsonb DEFAULT '{}', width int DEFAULT 800,
                                     height int DEFAULT 400) RETURNS text
AS 'MODULE_PATHNAME', 'mktdb_forecast_chart' LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION mktdb.segment_chart(model text, width int DEFAULT 800, height int DEFAULT 400) RETURNS text
AS 'MODULE_PATHNAME', 'mktdb_segment_chart' LANGUAGE C STABLE PARALLEL RESTRICTED;

CREATE FUNCTION mktdb.rfm_chart(model text, width int DEFAULT 800, height int DEFAULT 400) RETURNS text
AS 'MODULE_PATHNAME', 'mktdb_rfm_chart' LANGUAGE C STABLE PARALLEL RESTRICTED;

COMMENT ON FUNCTION mktdb.forecast_chart(text, jsonb, int, int) IS
    'SVG chart of one series of a forecasting model: recent history, forecast, 80 % and 95 % bands (width, height in pixels)';
COMMENT ON FUNCTION mktdb.segment_chart(text, int, int) IS
    'SVG heat grid of a k-means model: each segment''s size and centroid against the overall mean per feature (width, height in pixels)';
COMMENT ON FUNCTION mktdb.rfm_chart(text, int, int) IS
    'SVG 5 x 5 grid of an RFM model: recency score against FM score, customers and segment name per cell (width, height in pixels)';

CREATE FUNCTION mktdb.clv_chart(model text, width int DEFAULT 800, height int DEFAULT 400) RETURNS text
AS 'MODULE_PATHNAME', 'mktdb_clv_chart' LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION mktdb.clv_chart(text, int, int) IS
    'SVG heat map of a customer lifetime value model: P(alive) over frequency x recency, parameters in the title (width, height in pixels)';

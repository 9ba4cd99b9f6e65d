-- charts: mktdb.forecast_chart, mktdb.segment_chart, mktdb.rfm_chart (src/chart_sql.c, src/core/svg.c).
-- A golden SVG for a tiny model of each kind, escaping of names and group values, errors and SQLSTATEs.
-- test/suite_charts.sh renders the same charts in headless Chromium and checks them with xmllint.
\set VERBOSITY default
-- tiny models: a monthly random walk (ARIMA(0,1,0): exact arithmetic), 12 points in two clusters, 8 customers
CREATE TABLE sales AS
SELECT s.store, (date '2022-01-01' + make_interval(months => g))::date AS month,
       100 + 3 * g + (g % 4) * 5 - (g % 3) * 4 + s.k * 50 AS units
  FROM generate_series(0, 23) g, (VALUES ('north', 0), ('A<&"''>', 1)) s(store, k);
SELECT count(*) FROM mktdb.arima_forecast('sales <&"''>', 'sales', 'month', 'units', ARRAY['store'], horizon => 6,
                                          pdq => ARRAY[0, 1, 0]);
CREATE TABLE pts AS
SELECT i AS id, CASE WHEN i <= 6 THEN 10 + i ELSE 40 + i END::float8 AS spend,
       CASE WHEN i <= 6 THEN 2 + i % 2 ELSE 9 + i % 3 END::float8 AS "visits<&>"
  FROM generate_series(1, 12) i;
SELECT k, n_rows FROM mktdb.kmeans_segment('seg', 'pts', ARRAY['spend', 'visits<&>'], 2, seed => 1);
CREATE TABLE orders AS
SELECT c AS customer, date '2024-06-30' - (c * 11 + o * 3) AS day, (c * 10 + o)::numeric AS amount
  FROM generate_series(1, 8) c, generate_series(1, c) o;
SELECT count(*) FROM mktdb.rfm_score('rfm', 'orders', 'customer', 'day', 'amount');

\pset tuples_only on
\pset format unaligned
-- the golden charts
SELECT mktdb.forecast_chart('sales <&"''>', '{"store": "north"}');
SELECT mktdb.segment_chart('seg', 600, 300);
SELECT mktdb.rfm_chart('rfm');
\pset tuples_only off
\pset format aligned

-- the same bytes on a second call; escaping of the model name and of group values
SELECT mktdb.forecast_chart('sales <&"''>', '{"store": "A<&\"''>"}') = mktdb.forecast_chart('sales <&"''>', '{"store": "A<&\"''>"}') AS same_bytes,
       position('sales &lt;&amp;&quot;&#39;&gt;' IN mktdb.forecast_chart('sales <&"''>', '{"store": "A<&\"''>"}')) > 0 AS name_escaped,
       position('A&lt;&amp;' IN mktdb.forecast_chart('sales <&"''>', '{"store": "A<&\"''>"}')) > 0 AS group_escaped,
       position('<&' IN mktdb.forecast_chart('sales <&"''>', '{"store": "A<&\"''>"}')) = 0 AS nothing_raw;
SELECT position('visits&lt;&amp;&gt;' IN mktdb.segment_chart('seg')) > 0 AS feature_escaped,
       mktdb.segment_chart('seg') = mktdb.segment_chart('seg') AS same_bytes,
       mktdb.rfm_chart('rfm') = mktdb.rfm_chart('rfm') AS rfm_same_bytes;
-- sizes, versions
SELECT length(mktdb.forecast_chart('sales <&"''>', '{"store": "north"}', 200, 200)) > 0 AS smallest,
       mktdb.forecast_chart('sales <&"''>', '{"store": "north"}', 4000, 4000) LIKE '<svg %width="4000" height="4000"%' AS largest,
       mktdb.rfm_chart('rfm@1') = mktdb.rfm_chart('rfm') AS by_version;
-- the stored history: what the chart draws before the forecast
SELECT (SELECT count(*) FROM regexp_matches(mktdb.forecast_chart('sales <&"''>', '{"store": "north"}'), 'stroke="#000000" stroke-width="1.5"', 'g')) AS history_paths;

-- errors: SQLSTATE and message
CREATE FUNCTION err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT q, err(q) FROM (VALUES
    ($$SELECT mktdb.forecast_chart('nope')$$),
    ($$SELECT mktdb.forecast_chart('seg')$$),
    ($$SELECT mktdb.segment_chart('rfm')$$),
    ($$SELECT mktdb.rfm_chart('sales <&"''>')$$),
    ($$SELECT mktdb.forecast_chart('sales <&"''>', '{"store": "south"}')$$),
    ($$SELECT mktdb.forecast_chart('sales <&"''>')$$),
    ($$SELECT mktdb.forecast_chart('sales <&"''>', '{"store": "north"}', 10, 400)$$),
    ($$SELECT mktdb.segment_chart('seg', 800, 100000)$$),
    ($$SELECT mktdb.rfm_chart('rfm', 199, 400)$$),
    ($$SELECT mktdb.rfm_chart('rfm', NULL)$$),
    ($$SELECT mktdb.rfm_chart(NULL)$$),
    ($$SELECT mktdb.rfm_chart('rfm@9')$$)) t(q);
-- the hint of a missing series says how to list them
SELECT mktdb.forecast_chart('sales <&"''>', '{"store": "south"}');

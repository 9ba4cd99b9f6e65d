-- charts: mktdb.forecast_chart (kinds arima and forecast), mktdb.segment_chart, mktdb.rfm_chart
-- (src/chart_sql.c, src/core/svg.c).
-- A golden SVG for a tiny model of each kind, escaping of names and group values, errors and SQLSTATEs.
-- test/suite_charts.sh renders the same charts in headless Chromium and checks them with xmllint.
\set VERBOSITY default
-- tiny models: a monthly random walk (ARIMA(0,1,0): exact arithmetic), the same series by mktdb.forecast's
-- seasonal naive method (exact too), 12 points in two clusters, 8 customers
CREATE TABLE sales AS
SELECT s.store, (date '2022-01-01' + make_interval(months => g))::date AS month,
       100 + 3 * g + (g % 4) * 5 - (g % 3) * 4 + s.k * 50 AS units
  FROM generate_series(0, 23) g, (VALUES ('north', 0), ('A<&"''>', 1)) s(store, k);
SELECT count(*) FROM mktdb.arima_forecast('sales <&"''>', 'sales', 'month', 'units', ARRAY['store'], horizon => 6,
                                          pdq => ARRAY[0, 1, 0]);
SELECT count(*) FROM mktdb.forecast('fc <&"''>', 'sales', 'month', 'units', ARRAY['store'], horizon => 6,
                                    method => 'snaive');
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
SELECT mktdb.forecast_chart('fc <&"''>', '{"store": "north"}', 600, 300);
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

-- kind forecast: the same bytes twice, escaping, its history, each method named in the title, and the
-- intervals in the legend only where the method gives them
SELECT mktdb.forecast_chart('fc <&"''>', '{"store": "A<&\"''>"}') = mktdb.forecast_chart('fc <&"''>', '{"store": "A<&\"''>"}') AS same_bytes,
       position('fc &lt;&amp;&quot;&#39;&gt;' IN mktdb.forecast_chart('fc <&"''>', '{"store": "A<&\"''>"}')) > 0 AS name_escaped,
       position('A&lt;&amp;' IN mktdb.forecast_chart('fc <&"''>', '{"store": "A<&\"''>"}')) > 0 AS group_escaped,
       position('<&' IN mktdb.forecast_chart('fc <&"''>', '{"store": "A<&\"''>"}')) = 0 AS nothing_raw,
       (SELECT count(*) FROM regexp_matches(mktdb.forecast_chart('fc <&"''>', '{"store": "north"}'), 'stroke="#000000" stroke-width="1.5"', 'g')) AS history_paths;
SELECT count(*) FROM unnest(ARRAY['auto', 'ets', 'theta', 'croston', 'sba', 'tsb', 'naive']) m,
       LATERAL mktdb.forecast('fc_' || m, 'sales', 'month', 'units', ARRAY['store'], horizon => 6, method => m) f;
SELECT m AS method,
       regexp_replace(substring(mktdb.forecast_chart('fc_' || m, '{"store": "north"}') FROM '<title>[^<]* — ([^<]*)</title>'),
                      'ETS\([ANM],[ANM]d?,[ANM]\)', 'ETS(...)') AS chart_says,
       position('80 % interval' IN mktdb.forecast_chart('fc_' || m, '{"store": "north"}')) > 0 AS interval_in_legend,
       (SELECT bool_and(lo_80 IS NOT NULL) FROM mktdb.forecasts WHERE model = 'fc_' || m) AS model_has_intervals
  FROM unnest(ARRAY['auto', 'ets', 'theta', 'croston', 'sba', 'tsb', 'naive']) m ORDER BY m;

-- models stored before 0.3.0 still chart.  An ARIMA model of format 2 is made from a format-3 one
-- by dropping each series' history and re-sealing the blob (header: "MKDB", u16 version, u16 kind,
-- u64 payload length, u32 CRC-32C, u32 0; little-endian); an RFM model of 0.2.0 had no grid counts.
CREATE FUNCTION le(b bytea, o int, n int) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT sum(get_byte(b, o + i)::bigint << (8 * i))::bigint FROM generate_series(0, n - 1) i $$;
CREATE FUNCTION le_bytes(v bigint, n int) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
    SELECT string_agg(decode(lpad(to_hex((v >> (8 * i)) & 255), 2, '0'), 'hex'), ''::bytea ORDER BY i)
      FROM generate_series(0, n - 1) i $$;
CREATE FUNCTION crc32c(p bytea) RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE crc bigint := 4294967295;
BEGIN
    FOR i IN 0 .. length(p) - 1 LOOP
        crc := crc # get_byte(p, i);
        FOR k IN 1 .. 8 LOOP
            crc := CASE WHEN crc & 1 = 1 THEN (crc >> 1) # 2197175160 ELSE crc >> 1 END;
        END LOOP;
    END LOOP;
    RETURN crc # 4294967295;
END $$;
-- a model of an older format: each series record (field element sizes in `sizes`, 0 for one
-- int32) without the history at its end; `head` bytes of header, the series count in its last 8
CREATE FUNCTION drop_history(data bytea, fmt int, head int, sizes int[]) RETURNS bytea LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    p bytea := substring(data FROM 25);
    o int := head;
    res bytea := le_bytes(fmt, 4) || substring(p FROM 5 FOR head - 4);
    start int;
    c bigint;
    sz int;
BEGIN
    FOR s IN 1 .. le(p, head - 8, 8) LOOP
        start := o;
        FOREACH sz IN ARRAY sizes LOOP
            IF sz = 0 THEN
                o := o + 4;
                CONTINUE;
            END IF;
            c := le(p, o, 8);
            o := o + 8 + greatest(c, 0)::int * sz;
        END LOOP;
        res := res || substring(p FROM start + 1 FOR o - start);
        FOR j IN 1 .. 2 LOOP                        -- the history: times, values
            o := o + 8 + le(p, o, 8)::int * 8;
        END LOOP;
    END LOOP;
    ASSERT o = length(p), 'the whole payload parsed';
    RETURN substring(data FROM 1 FOR 8) || le_bytes(length(res), 8) || le_bytes(crc32c(res), 4) || le_bytes(0, 4) || res;
END $$;
-- ARIMA format 3 -> 2: header fmt, horizon, time kind, period (i32), nseries (i64)
CREATE FUNCTION arima_v2(data bytea) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
    SELECT drop_history(data, 2, 24, '{1,4,8,8,8,4,1,8,8,8}') $$;
-- forecast format 2 -> 1: header fmt, horizon, period (i32), method (text), nseries (i64);
-- a series: series, method, description, fallback (texts), statistics, n_obs (i32), steps, times, forecasts
CREATE FUNCTION forecast_v1(data bytea) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
    SELECT drop_history(data, 1, 28 + greatest(le(substring(data FROM 25), 12, 8), 0)::int, '{1,1,1,1,8,0,8,8,8}') $$;
SELECT count(*) FROM mktdb.arima_forecast('old', 'sales', 'month', 'units', ARRAY['store'], horizon => 6,
                                          pdq => ARRAY[0, 1, 0]);
UPDATE mktdb.model SET data = arima_v2(data) WHERE name = 'old';
SELECT rfm_score IS NOT NULL AS trained FROM mktdb.rfm_score('rfm_old', 'orders', 'customer', 'day', 'amount') LIMIT 1;
UPDATE mktdb.model SET metrics = metrics - 'grid' WHERE name = 'rfm_old';
SELECT length(data) < (SELECT length(data) FROM mktdb.model WHERE name = 'sales <&"''>') AS smaller,
       (SELECT count(*) FROM mktdb.forecasts WHERE model = 'old') AS forecasts,
       (SELECT array_agg(forecast ORDER BY series::text, step) FROM mktdb.forecasts WHERE model = 'old')
     = (SELECT array_agg(forecast ORDER BY series::text, step) FROM mktdb.forecasts WHERE model = 'sales <&"''>') AS same_forecasts,
       position('History not stored' IN mktdb.forecast_chart('old', '{"store": "north"}')) > 0 AS says_history_missing,
       position('stroke="#000000" stroke-width="1.5"' IN mktdb.forecast_chart('old', '{"store": "north"}')) = 0 AS no_history_line,
       position('stroke="#0072B2" stroke-width="2" stroke-linejoin' IN mktdb.forecast_chart('old', '{"store": "north"}')) > 0 AS forecast_line,
       position('not stored in this model version' IN mktdb.rfm_chart('rfm_old')) > 0 AS rfm_says_counts_missing,
       position('Champions' IN mktdb.rfm_chart('rfm_old')) > 0 AS rfm_names_cells
  FROM mktdb.model WHERE name = 'old';
-- the same for a forecast model of format 1 (mktdb.forecast before its history was kept)
SELECT count(*) FROM mktdb.forecast('fc_old', 'sales', 'month', 'units', ARRAY['store'], horizon => 6, method => 'snaive');
UPDATE mktdb.model SET data = forecast_v1(data) WHERE name = 'fc_old';
SELECT length(data) < (SELECT length(data) FROM mktdb.model WHERE name = 'fc <&"''>') AS smaller,
       (SELECT array_agg(forecast ORDER BY series::text, step) FROM mktdb.forecasts WHERE model = 'fc_old')
     = (SELECT array_agg(forecast ORDER BY series::text, step) FROM mktdb.forecasts WHERE model = 'fc <&"''>') AS same_forecasts,
       position('History not stored' IN mktdb.forecast_chart('fc_old', '{"store": "north"}')) > 0 AS says_history_missing,
       position('stroke="#000000" stroke-width="1.5"' IN mktdb.forecast_chart('fc_old', '{"store": "north"}')) = 0 AS no_history_line,
       position('stroke="#0072B2" stroke-width="2" stroke-linejoin' IN mktdb.forecast_chart('fc_old', '{"store": "north"}')) > 0 AS forecast_line
  FROM mktdb.model WHERE name = 'fc_old';

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
    ($$SELECT mktdb.forecast_chart('fc <&"''>', '{"store": "south"}')$$),
    ($$SELECT mktdb.forecast_chart('fc <&"''>', '{}')$$),
    ($$SELECT mktdb.forecast_chart('sales <&"''>', '{"store": "north"}', 10, 400)$$),
    ($$SELECT mktdb.segment_chart('seg', 800, 100000)$$),
    ($$SELECT mktdb.rfm_chart('rfm', 199, 400)$$),
    ($$SELECT mktdb.rfm_chart('rfm', NULL)$$),
    ($$SELECT mktdb.rfm_chart(NULL)$$),
    ($$SELECT mktdb.rfm_chart('rfm@9')$$)) t(q);
-- the hint of a missing series says how to list them
SELECT mktdb.forecast_chart('sales <&"''>', '{"store": "south"}');
SELECT mktdb.forecast_chart('fc <&"''>', '{"store": "south"}');

-- forecast: mktdb.forecast (issue 14) -- every method on R's AirPassengers against R's numbers
-- (test/ref/theta_ref.csv, croston_ref.csv), 'auto' per series (combination, intermittent demand),
-- the views, forecast_accuracy and retrain for kind forecast, fallbacks on short / constant / empty
-- series, nothing stored when no series has a value (both trainers), bad input with its SQLSTATE.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
SET TimeZone = 'UTC';
SET extra_float_digits = 0;

\getenv abs_srcdir PG_ABS_SRCDIR
\set series_csv `grep -E '^(airpassengers|nile|ukgas),' :abs_srcdir/test/ref/autoarima_series.csv`
\set theta_csv `grep -E '^"(airpassengers|nile|ukgas)"' :abs_srcdir/test/ref/theta_ref.csv | tr -d '"'`
\set croston_csv `grep -E '^"(airpassengers|nile|ukgas)","(croston|naive|snaive)"' :abs_srcdir/test/ref/croston_ref.csv | tr -d '"'`

CREATE TABLE fc_series AS
SELECT split_part(l, ',', 1) AS series, split_part(l, ',', 3)::int AS period, split_part(l, ',', 4)::int AS h,
       split_part(l, ',', 5)::int AS t, nullif(split_part(l, ',', 6), 'NA')::date AS month,
       split_part(l, ',', 7)::float8 AS value
  FROM regexp_split_to_table(:'series_csv', '\n') AS x(l) WHERE l <> '';
CREATE TABLE theta_ref AS
SELECT split_part(l, ',', 1) AS series, split_part(l, ',', 5)::int AS step, split_part(l, ',', 10)::float8 AS mean,
       split_part(l, ',', 11)::float8 AS lo80, split_part(l, ',', 14)::float8 AS hi95
  FROM regexp_split_to_table(:'theta_csv', '\n') AS x(l) WHERE l <> '';
CREATE TABLE other_ref AS
SELECT split_part(l, ',', 1) AS series, split_part(l, ',', 2) AS method, split_part(l, ',', 3)::int AS step,
       split_part(l, ',', 4)::float8 AS mean
  FROM regexp_split_to_table(:'croston_csv', '\n') AS x(l) WHERE l <> '';
SELECT series, period, count(*) AS n FROM fc_series GROUP BY 1, 2 ORDER BY 1;

-- ---- theta, croston, naive, snaive equal R's (integer index, period given) ----
CREATE TABLE got AS
SELECT m AS method, f.series->>'series' AS series, f.step - n.n AS step, f.forecast, f.lo_80, f.hi_95
  FROM unnest(ARRAY['theta', 'croston', 'naive', 'snaive']) m,
       LATERAL (SELECT series, max(t) AS n, min(period) AS period, min(h) AS h FROM fc_series GROUP BY 1) n,
       LATERAL mktdb.forecast('r_' || m || '_' || n.series, format('SELECT series, t, value FROM fc_series WHERE series = %L', n.series),
                              't', 'value', ARRAY['series'], horizon => n.h, period => n.period, method => m) f;
SELECT g.method, g.series, count(*) AS steps,
       max(abs(g.forecast - coalesce(t.mean, o.mean)) / abs(coalesce(t.mean, o.mean))) < 1e-9 AS forecasts_equal_r,
       bool_and(g.method <> 'theta' OR (abs(g.lo_80 - t.lo80) < 1e-9 * abs(t.lo80) AND abs(g.hi_95 - t.hi95) < 1e-9 * abs(t.hi95))) AS theta_bounds_equal_r,
       bool_and(g.method <> 'croston' OR g.lo_80 IS NULL) AS croston_has_no_interval
  FROM got g
  LEFT JOIN theta_ref t ON g.method = 'theta' AND t.series = g.series AND t.step = g.step
  LEFT JOIN other_ref o ON o.method = g.method AND o.series = g.series AND o.step = g.step
 GROUP BY 1, 2 ORDER BY 1, 2;

-- ---- every method on AirPassengers by month (date axis: period 12 inferred, ts continues) ----
SELECT m AS method, count(*) AS steps, min(f.ts)::date AS first_month, max(f.ts)::date AS last_month,
       round(avg(f.forecast)::numeric, 1) AS mean_forecast,
       bool_and(f.lo_95 IS NULL OR (f.lo_95 <= f.lo_80 AND f.lo_80 <= f.forecast AND f.forecast <= f.hi_80 AND f.hi_80 <= f.hi_95)) AS bounds_ordered
  FROM unnest(ARRAY['auto', 'arima', 'ets', 'theta', 'croston', 'sba', 'tsb', 'naive', 'snaive']) m,
       LATERAL mktdb.forecast('ap_' || m, $$SELECT month, value FROM fc_series WHERE series = 'airpassengers'$$,
                              'month', 'value', horizon => 12, method => m) f
 GROUP BY m ORDER BY m;
-- the combination is the mean of its members
SELECT bool_and(abs(c.forecast - (e.forecast + a.forecast + t.forecast) / 3) < 1e-9 * c.forecast) AS auto_is_mean_of_three
  FROM mktdb.forecasts c
  JOIN mktdb.forecasts e ON e.model = 'ap_ets' AND e.step = c.step
  JOIN mktdb.forecasts a ON a.model = 'ap_arima' AND a.step = c.step
  JOIN mktdb.forecasts t ON t.model = 'ap_theta' AND t.step = c.step
 WHERE c.model = 'ap_auto';
SELECT model, method, description, aicc IS NOT NULL AS has_aicc, sigma2 IS NOT NULL AS has_sigma2, n_obs, fallback
  FROM mktdb.forecast_models WHERE model LIKE 'ap\_%' ORDER BY model;
SELECT kind, metrics->'methods_used' AS methods_used, metrics->>'spacing' AS spacing, (metrics->>'period')::int AS period
  FROM mktdb.models WHERE name = 'ap_auto';
-- arima through mktdb.forecast is arima_forecast's automatic selection
SELECT count(*) AS same_as_arima_forecast
  FROM mktdb.arima_forecast('ap_aa', $$SELECT month, value FROM fc_series WHERE series = 'airpassengers'$$, 'month', 'value') a
  JOIN mktdb.forecasts f ON f.model = 'ap_arima' AND f.step = a.step AND abs(f.forecast - a.forecast) < 1e-9 * a.forecast;
-- both kinds in mktdb.forecasts
SELECT m.kind, count(DISTINCT f.model) AS models FROM mktdb.forecasts f JOIN mktdb.models m ON m.name = f.model GROUP BY 1 ORDER BY 1;

-- ---- backtest: forecast_accuracy works for kind forecast ----
SELECT count(*) FROM mktdb.forecast('ap_back', $$SELECT month, value FROM fc_series WHERE series = 'airpassengers' AND t <= 120$$,
                                    'month', 'value', horizon => 24);
SELECT n, round(mae::numeric, 2) AS mae, round(smape::numeric, 3) AS smape, round(mase::numeric, 4) AS mase
  FROM mktdb.forecast_accuracy('ap_back', $$SELECT month, value FROM fc_series WHERE series = 'airpassengers'$$, 'month', 'value');
-- the same numbers computed here (MASE scale: in-sample MAE of the seasonal naive forecast)
WITH tr AS (SELECT t, value FROM fc_series WHERE series = 'airpassengers' AND t <= 120),
     sc AS (SELECT avg(abs(a.value - b.value)) AS s FROM tr a JOIN tr b ON b.t = a.t - 12),
     j AS (SELECT s.value AS y, f.forecast AS fc FROM mktdb.forecasts f
             JOIN fc_series s ON s.series = 'airpassengers' AND s.month = f.ts::date WHERE f.model = 'ap_back')
SELECT count(*) AS n, round(avg(abs(y - fc))::numeric, 2) AS mae,
       round(avg(200 * abs(y - fc) / (abs(y) + abs(fc)))::numeric, 3) AS smape,
       round((avg(abs(y - fc)) / (SELECT s FROM sc))::numeric, 4) AS mase FROM j;

-- ---- per series: intermittent demand, short, constant, gaps, no data ----
CREATE TABLE skus(sku text, day date, units float8);
INSERT INTO skus SELECT 'smooth', d::date, 50 + 10 * sin(2 * pi() * extract(dow FROM d) / 7) + (extract(doy FROM d)::int * 7919 % 11)
  FROM generate_series(date '2024-01-01', date '2024-04-30', '1 day') d;
INSERT INTO skus SELECT 'intermittent', d::date, CASE WHEN extract(doy FROM d)::int % 5 = 0 THEN 2 + extract(doy FROM d)::int % 3 ELSE 0 END
  FROM generate_series(date '2024-01-01', date '2024-04-30', '1 day') d;
INSERT INTO skus SELECT 'short', d::date, 5 + extract(day FROM d) FROM generate_series(date '2024-04-28', date '2024-04-30', '1 day') d;
INSERT INTO skus SELECT 'constant', d::date, 7 FROM generate_series(date '2024-03-01', date '2024-04-30', '1 day') d;
INSERT INTO skus SELECT 'gaps', d::date, CASE WHEN extract(day FROM d)::int % 4 = 0 THEN NULL ELSE 20 + extract(day FROM d) END
  FROM generate_series(date '2024-03-01', date '2024-04-30', '2 days') d;
INSERT INTO skus SELECT 'empty', d::date, NULL FROM generate_series(date '2024-04-01', date '2024-04-30', '1 day') d;
SELECT series->>'sku' AS sku, count(*) AS steps, min(ts)::date AS first_day, round(min(forecast)::numeric, 3) AS min_fc,
       round(max(forecast)::numeric, 3) AS max_fc
  FROM mktdb.forecast('skus', 'skus', 'day', 'units', ARRAY['sku'], horizon => 7) GROUP BY 1 ORDER BY 1;
SELECT series->>'sku' AS sku, method, description, n_obs, fallback FROM mktdb.forecast_models WHERE model = 'skus' ORDER BY 1;
-- method 'sba' by hand for the intermittent sku: Croston's ratio of smoothed sizes and intervals times 0.95
WITH d AS (SELECT row_number() OVER (ORDER BY day) AS i, units FROM skus WHERE sku = 'intermittent'),
     z AS (SELECT units, i - coalesce(lag(i) OVER (ORDER BY i), 0) AS tt, row_number() OVER (ORDER BY i) AS k FROM d WHERE units > 0),
     r AS (WITH RECURSIVE s(k, lz, lp) AS (SELECT 1::bigint, units, tt::float8 FROM z WHERE k = 1
           UNION ALL SELECT z.k, 0.1 * z.units + 0.9 * s.lz, 0.1 * z.tt + 0.9 * s.lp FROM s JOIN z ON z.k = s.k + 1)
           SELECT lz, lp FROM s ORDER BY k DESC LIMIT 1)
SELECT abs(f.forecast - 0.95 * r.lz / r.lp) < 1e-12 AS sba_by_hand
  FROM r, mktdb.forecast('skus_sba', $$SELECT * FROM skus WHERE sku = 'intermittent'$$, 'day', 'units', method => 'sba') f
 WHERE f.step = 1;
-- 'auto' never forecasts demand below zero when the series never was (bounds included)
SELECT series->>'sku' AS sku, bool_and(lo_95 >= 0) AS bounds_not_negative, min(lo_95) = 0 AS clipped
  FROM mktdb.forecasts WHERE model = 'skus' AND series->>'sku' IN ('intermittent', 'smooth') GROUP BY 1 ORDER BY 1;
-- ets on a short series (3 points): R's ets() fits Holt / SES by least squares there (no fallback);
-- R: forecast(ets(ts(c(33, 34, 35), frequency = 7)), h = 2) -> ETS(A,A,N), 36 / 37, 80 %: 35.2600958586524 /
-- 35.9536175284503, 95 % upper: 37.1315857340762 / 38.6003038921184 (R's optimiser tolerance: 1e-6 here)
SELECT count(*) FROM mktdb.forecast('skus_ets', $$SELECT * FROM skus WHERE sku = 'short'$$, 'day', 'units', ARRAY['sku'],
                                    horizon => 2, method => 'ets');
SELECT method, description, fallback FROM mktdb.forecast_models WHERE model = 'skus_ets';
SELECT step, abs(forecast - r.f) < 1e-6 * r.f AS forecast_as_r, abs(lo_80 - r.lo) < 1e-6 * r.f AS lo_80_as_r,
       abs(hi_95 - r.hi) < 1e-6 * r.f AS hi_95_as_r
  FROM mktdb.forecasts JOIN (VALUES (1, 36, 35.2600958586524, 37.1315857340762), (2, 37, 35.9536175284503, 38.6003038921184)) r(s, f, lo, hi)
    ON r.s = step
 WHERE model = 'skus_ets' ORDER BY step;
-- snaive without a full season: naive
SELECT count(*) FROM mktdb.forecast('skus_sn', $$SELECT * FROM skus WHERE sku = 'short'$$, 'day', 'units',
                                   horizon => 2, method => 'snaive');
SELECT method, description, fallback FROM mktdb.forecast_models WHERE model = 'skus_sn';

-- ---- nothing stored when no series has a value (mktdb.forecast and arima_forecast) ----
SELECT count(*) AS rows FROM mktdb.forecast('nothing', $$SELECT * FROM skus WHERE sku = 'empty'$$, 'day', 'units');
SELECT count(*) AS rows FROM mktdb.arima_forecast('nothing_arima', $$SELECT * FROM skus WHERE sku = 'empty'$$, 'day', 'units');
SELECT count(*) AS rows FROM mktdb.forecast('nothing', $$SELECT * FROM skus WHERE false$$, 'day', 'units');
SELECT count(*) AS versions_stored FROM mktdb.model WHERE name IN ('nothing', 'nothing_arima');
-- a Citus shard whose series have no value gives NULL (the coordinator skips it), not a model
SELECT mktdb._arima_forecast_shard('nothing_arima', $$SELECT * FROM skus WHERE sku = 'empty'$$, 'day', 'units',
                                   ARRAY['sku'], 12, NULL, NULL, NULL) IS NULL AS shard_gives_null;

-- ---- retrain replays the spec ----
SELECT r->>'model' AS model, r->'version' AS version, r->'n_rows' AS n_rows
  FROM (SELECT result FROM mktdb.retrain('skus')) s(r);
SELECT count(*) AS same_forecasts FROM mktdb.forecasts_of('skus@1') a JOIN mktdb.forecasts_of('skus@2') b
    USING (series, step) WHERE a.forecast = b.forecast;
SELECT kind, retrain FROM mktdb.model_kind WHERE kind = 'forecast';

-- ---- bad input: a clear error with its SQLSTATE, nothing stored ----
CREATE FUNCTION try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
CREATE TABLE neg(t int, v float8);
INSERT INTO neg VALUES (1, 3), (2, 0), (3, -1), (4, 2);
CREATE TABLE dup(t int, v float8);
INSERT INTO dup VALUES (1, 3), (1, 4), (2, 5);
-- values that overflow every fit: 22003 naming the step, never a row with an infinite bound
CREATE TABLE huge AS SELECT g AS t, CASE WHEN g % 2 = 0 THEN 1.7e308 ELSE -1.7e308 END::float8 AS v
  FROM generate_series(1, 30) g;
SELECT try(q) FROM (VALUES
  ($$SELECT * FROM mktdb.forecast('bad', 'skus', 'day', 'units', method => 'prophet')$$),
  ($$SELECT * FROM mktdb.forecast('bad', 'skus', 'day', 'units', method => NULL)$$),
  ($$SELECT * FROM mktdb.forecast('bad', 'neg', 't', 'v', method => 'croston')$$),
  ($$SELECT * FROM mktdb.forecast('bad', 'neg', 't', 'v', method => 'tsb')$$),
  ($$SELECT * FROM mktdb.forecast('bad', 'skus', 'day', 'units', horizon => 0)$$),
  ($$SELECT * FROM mktdb.forecast('bad', 'skus', 'day', 'units', period => 0)$$),
  ($$SELECT * FROM mktdb.forecast('bad', 'dup', 't', 'v')$$),
  ($$SELECT * FROM mktdb.forecast('bad', 'huge', 't', 'v', horizon => 2, method => 'naive')$$),
  ($$SELECT * FROM mktdb.forecast('bad', 'huge', 't', 'v', horizon => 2, method => 'ets')$$),
  ($$SELECT * FROM mktdb.forecast('bad', 'no_such_table', 't', 'v')$$),
  ($$SELECT * FROM mktdb.forecast('bad', 'skus', 'sku', 'units')$$),
  ($$SELECT * FROM mktdb.forecast('bad', 'skus', 'day', 'sku')$$),
  ($$SELECT * FROM mktdb.forecast_models_of('no_such_model')$$),
  ($$SELECT * FROM mktdb.forecast_models_of('ap_aa')$$)
) AS x(q);
-- auto on negative values is not intermittent demand: the combination
SELECT count(*) FROM mktdb.forecast('neg_auto', 'neg', 't', 'v', horizon => 1);
SELECT method, description, fallback FROM mktdb.forecast_models WHERE model = 'neg_auto';
SELECT count(*) AS bad_versions FROM mktdb.model WHERE name = 'bad';
-- series keys from group columns of several types (the reader builds a key when the group values
-- change): a NULL group value, numeric 1.0 and 1.00 (equal when sorted, printed apart: the rows of
-- each, interleaved by time, make separate series as their keys differ), an array, a timestamptz
CREATE TEMP TABLE gk AS
SELECT (ARRAY['a', NULL])[1 + (s % 2)] AS g_text, (ARRAY[1.0, 1.00])[1 + (s / 2)]::numeric AS g_num,
       ARRAY[s % 2, 7] AS g_arr, '2020-01-01 00:00+00'::timestamptz AS g_ts, 4 * i + s AS t, (i * s)::float8 AS v
  FROM generate_series(0, 3) s, generate_series(1, 3) i;
SELECT series, step, forecast
  FROM mktdb.forecast('gkeys', 'gk', 't', 'v', ARRAY['g_text', 'g_num', 'g_arr', 'g_ts'], horizon => 1, method => 'naive');

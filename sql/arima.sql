-- arima: mktdb.arima_forecast against R (stats::arima(method = "ML") + predict, values made by
-- test/ref/arima_ref.R and committed under test/ref), the views, time handling, per-series
-- fallbacks, retrain, and bad input with its SQLSTATE.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
SET TimeZone = 'UTC';
SET extra_float_digits = 0;

-- ---- reference data (read client-side by psql, so the server needs no file access) ----
\getenv abs_srcdir PG_ABS_SRCDIR
\set data_csv `cat :abs_srcdir/test/ref/arima_data.csv`
\set fit_csv `cat :abs_srcdir/test/ref/arima_ref_fit.csv`
\set fc_csv `cat :abs_srcdir/test/ref/arima_ref_fc.csv`

CREATE TABLE arima_data AS
SELECT split_part(l, ',', 1) AS series, split_part(l, ',', 2)::int AS period,
       split_part(l, ',', 3)::int AS t_int, nullif(split_part(l, ',', 4), '')::date AS t_date,
       nullif(split_part(l, ',', 5), '')::float8 AS value
  FROM regexp_split_to_table(:'data_csv', '\n') WITH ORDINALITY AS x(l, n)
 WHERE n > 1 AND l <> '';
CREATE TABLE ref_fit AS
SELECT split_part(l, ',', 1) AS series, split_part(l, ',', 2)::int AS p, split_part(l, ',', 3)::int AS d,
       split_part(l, ',', 4)::int AS q, split_part(l, ',', 5)::int AS sp, split_part(l, ',', 6)::int AS sd,
       split_part(l, ',', 7)::int AS sq, split_part(l, ',', 8)::int AS period,
       split_part(l, ',', 9) AS key, split_part(l, ',', 10)::float8 AS value
  FROM regexp_split_to_table(:'fit_csv', '\n') WITH ORDINALITY AS x(l, n)
 WHERE n > 1 AND l <> '';
CREATE TABLE ref_fc AS
SELECT split_part(l, ',', 1) AS series, split_part(l, ',', 2)::int AS step,
       split_part(l, ',', 3)::float8 AS mean, split_part(l, ',', 4)::float8 AS se,
       split_part(l, ',', 5)::float8 AS lo_80,
       split_part(l, ',', 6)::float8 AS hi_80, split_part(l, ',', 7)::float8 AS lo_95,
       split_part(l, ',', 8)::float8 AS hi_95
  FROM regexp_split_to_table(:'fc_csv', '\n') WITH ORDINALITY AS x(l, n)
 WHERE n > 1 AND l <> '';
SELECT series, count(*) AS n, count(value) AS non_null, min(t_date) AS first_date, min(t_int) AS first_int
  FROM arima_data GROUP BY series ORDER BY series;

-- ---- one model per reference series, with R's orders; dates where R had a calendar ----
CREATE TABLE ref_case AS
SELECT DISTINCT series, p, d, q, sp, sd, sq, period FROM ref_fit;
DO $$
DECLARE c record;
BEGIN
    FOR c IN SELECT r.*, bool_and(a.t_date IS NOT NULL) AS dated
               FROM ref_case r JOIN arima_data a USING (series)
              GROUP BY r.series, r.p, r.d, r.q, r.sp, r.sd, r.sq, r.period ORDER BY r.series LOOP
        PERFORM count(*) FROM mktdb.arima_forecast(
            'ref_' || c.series,
            format('SELECT %s AS t, value FROM arima_data WHERE series = %L',
                   CASE WHEN c.dated THEN 't_date' ELSE 't_int' END, c.series),
            't', 'value', pdq => ARRAY[c.p, c.d, c.q], seasonal_pdq => ARRAY[c.sp, c.sd, c.sq]);
    END LOOP;
END $$;

-- the inferred period and orders are R's; n_obs is the series length; no fallback
SELECT m.model, m.p, m.d, m.q, m.sp, m.sd, m.sq, m.period, m.period = r.period AS period_as_r,
       m.n_obs, m.n_obs = (SELECT count(*) FROM arima_data a WHERE a.series = r.series) AS n_obs_ok,
       m.fallback, m.converged
  FROM mktdb.arima_models m JOIN ref_case r ON m.model = 'ref_' || r.series
 ORDER BY m.model;

-- R's numbers to the README's "about 1e-10" (as test/unit/test_arima.c, which says why each
-- tolerance): coefficients within 1e-10 (relative to max(1, |R|)), standard errors 1e-7,
-- loglik 1e-8, sigma2 1e-9, AICc 1e-7.  A key missing on either side is false, not ignored.
SELECT m.model, round(m.loglik::numeric, 2) AS loglik,
       bool_and(coalesce(abs((m.coef->>f.key)::float8 - f.value) <= 1e-10 * greatest(1, abs(f.value)), false))
           FILTER (WHERE f.key NOT LIKE '%\_se' AND f.key NOT IN ('sigma2', 'loglik', 'aic', 'aicc', 'nobs')) AS coef_ok,
       bool_and(coalesce(abs((m.coef->>f.key)::float8 - f.value) <= 1e-7 * f.value, false)) FILTER (WHERE f.key LIKE '%\_se') AS se_ok,
       bool_and(coalesce(abs(m.loglik - f.value) <= 1e-8, false)) FILTER (WHERE f.key = 'loglik') AS loglik_ok,
       bool_and(coalesce(abs(m.sigma2 - f.value) <= 1e-9 * f.value, false)) FILTER (WHERE f.key = 'sigma2') AS sigma2_ok,
       bool_and(coalesce(abs(m.aicc - f.value) <= 1e-7, false)) FILTER (WHERE f.key = 'aicc') AS aicc_ok,
       count(*) FILTER (WHERE f.key NOT IN ('sigma2', 'loglik', 'aic', 'aicc', 'nobs'))
           = (SELECT count(*) FROM jsonb_object_keys(m.coef)) AS same_coef_names
  FROM mktdb.arima_models m JOIN ref_fit f ON m.model = 'ref_' || f.series
 GROUP BY m.model, m.loglik, m.coef ORDER BY m.model;

-- 12-step forecasts within 1e-8 of R's forecast standard error, the 80 % and 95 % half-widths
-- within 1e-8 relative of R's predict() (half-widths, not bounds: a bound's own size would
-- hide a wrong standard error)
SELECT f.model, count(*) AS steps,
       bool_and(coalesce(abs(f.forecast - r.mean) <= 1e-8 * r.se, false)) AS forecast_ok,
       bool_and(coalesce(abs((f.hi_80 - f.lo_80) - (r.hi_80 - r.lo_80)) <= 1e-8 * (r.hi_80 - r.lo_80), false)) AS pi80_ok,
       bool_and(coalesce(abs((f.hi_95 - f.lo_95) - (r.hi_95 - r.lo_95)) <= 1e-8 * (r.hi_95 - r.lo_95), false)) AS pi95_ok,
       bool_and(coalesce(abs((f.hi_95 + f.lo_95) / 2 - f.forecast) <= 1e-9 * greatest(1, abs(f.forecast)), false)) AS centred
  FROM mktdb.forecasts f JOIN ref_fc r ON f.model = 'ref_' || r.series AND f.step - (
        SELECT coalesce(max(t_int), 0) FROM arima_data a WHERE a.series = r.series AND a.t_date IS NULL) = r.step
 GROUP BY f.model ORDER BY f.model;

-- the timestamps continue the calendar; an integer index continues the index (ts NULL)
SELECT model, step, ts, round(forecast::numeric, 4) AS forecast
  FROM mktdb.forecasts WHERE model IN ('ref_airpass_log', 'ref_presidents', 'ref_nile', 'ref_lakehuron') AND step IN (1, 2, 12, 1973, 1984)
 ORDER BY model, step;

-- ---- one grouped call: the five aus_retail series, one model version, R's numbers per series ----
SELECT count(*) AS rows, count(DISTINCT series) AS series
  FROM mktdb.arima_forecast('retail', $$SELECT series AS sid, t_date, value FROM arima_data WHERE series LIKE 'retail%'$$,
                            't_date', 'value', group_columns => ARRAY['sid'], horizon => 12,
                            pdq => ARRAY[0,1,1], seasonal_pdq => ARRAY[0,1,1]);
SELECT series, p, d, q, sp, sd, sq, period, n_obs, fallback FROM mktdb.arima_models WHERE model = 'retail' ORDER BY series::text;
SELECT count(*) AS steps, bool_and(coalesce(abs(f.forecast - r.mean) <= 1e-8 * r.se, false)) AS same_as_single_fit_and_r
  FROM mktdb.forecasts f JOIN ref_fc r ON r.series = f.series->>'sid' AND r.step = f.step
 WHERE f.model = 'retail' AND f.series->>'sid' = 'retail_nsw_super';
SELECT name, version, kind, n_rows, metrics->'series' AS series, metrics->'spacing' AS spacing, metrics->'period' AS period
  FROM mktdb.models WHERE name = 'retail';

-- ---- time handling ----
-- daily data with a missing day and a NULL value (both missing values for the Kalman filter),
-- two groups with typed JSON keys; weekly period 7 inferred
CREATE TABLE daily AS
SELECT s AS store, 'A' || s AS region, day,
       CASE WHEN s = 2 AND day = '2024-03-10' THEN NULL
            ELSE 100 + 10 * s + 5 * sin(2 * pi() * extract(dow FROM day) / 7) + (hashint4(s * 1000 + (day - date '2024-01-01')) % 7) END AS units
  FROM generate_series(1, 2) s, generate_series(date '2024-01-01', date '2024-04-30', interval '1 day') g(d),
       LATERAL (SELECT d::date AS day) x
 WHERE NOT (s = 1 AND day = '2024-02-15');
SELECT series, step, ts, forecast > 0 AS positive, lo_95 < forecast AND forecast < hi_95 AS inside
  FROM mktdb.arima_forecast('daily', 'daily', 'day', 'units', ARRAY['store', 'region'], horizon => 3,
                            pdq => ARRAY[1,0,0], seasonal_pdq => ARRAY[0,1,1])
 ORDER BY series::text, step;
SELECT series, period, n_obs, fallback FROM mktdb.arima_models WHERE model = 'daily' ORDER BY series::text;
SELECT metrics->'missing_values' AS missing_values, metrics->'spacing' AS spacing FROM mktdb.models WHERE name = 'daily';

-- month-end dates stay month ends; weekly timestamps; hourly timestamptz
CREATE TABLE month_end AS
SELECT (date '2015-02-01' + (i || ' months')::interval - interval '1 day')::date AS d, 50 + i % 12 + i * 0.5 + (i % 5) AS v
  FROM generate_series(0, 59) i;
SELECT step, ts::date FROM mktdb.arima_forecast('month_end', 'month_end', 'd', 'v', horizon => 4,
                                                 pdq => ARRAY[0,1,1], seasonal_pdq => ARRAY[0,0,0]) ORDER BY step;
SELECT step, ts FROM mktdb.arima_forecast('weekly', $$SELECT timestamp '2020-01-06 08:00' + i * interval '1 week' AS w, (i % 9)::numeric AS v FROM generate_series(0, 119) i$$,
                                           'w', 'v', horizon => 2, pdq => ARRAY[1,0,0], seasonal_pdq => ARRAY[0,0,0]) ORDER BY step;
SELECT period FROM mktdb.arima_models WHERE model = 'weekly';
SELECT step, ts FROM mktdb.arima_forecast('hourly', $$SELECT timestamptz '2024-03-01 00:00+00' + i * interval '1 hour' AS h, i % 24 + (i % 7)::float8 AS v FROM generate_series(0, 24 * 14 - 1) i$$,
                                           'h', 'v', horizon => 2, pdq => ARRAY[1,0,0], seasonal_pdq => ARRAY[0,1,1]) ORDER BY step;
SELECT period, p, sd, sq, fallback FROM mktdb.arima_models WHERE model = 'hourly';

-- ---- per-series fallbacks: never an error for the whole call ----
CREATE TABLE mixed(sku text, t int, units float8);
INSERT INTO mixed SELECT 'normal', i, 20 + 5 * sin(i) + i % 3 FROM generate_series(1, 40) i;
INSERT INTO mixed SELECT 'short', i, i FROM generate_series(1, 3) i;
INSERT INTO mixed SELECT 'constant', i, 7 FROM generate_series(1, 30) i;
INSERT INTO mixed SELECT 'empty', i, NULL FROM generate_series(1, 10) i;
INSERT INTO mixed SELECT 'one', 5, 42;
SELECT series->>'sku' AS sku, count(*) AS steps, min(step) AS first_step, round(min(forecast)::numeric, 3) AS forecast,
       bool_and(hi_95 >= forecast AND lo_95 <= forecast) AS bounds_ok
  FROM mktdb.arima_forecast('mixed', 'mixed', 't', 'units', ARRAY['sku'], horizon => 2,
                            pdq => ARRAY[1,1,1], seasonal_pdq => ARRAY[0,0,0])
 GROUP BY 1 ORDER BY 1;
SELECT series->>'sku' AS sku, p, d, q, coef ? 'intercept' AS has_intercept, n_obs, fallback, converged, sigma2 IS NULL AS no_sigma2
  FROM mktdb.arima_models WHERE model = 'mixed' ORDER BY 1;
SELECT metrics->'fallbacks' AS fallbacks FROM mktdb.models WHERE name = 'mixed';

-- ---- retrain replays the stored spec (a new version, the same numbers) ----
SELECT spec FROM mktdb.model WHERE name = 'retail';
SELECT r->>'model' AS model, r->'version' AS version, r->'n_rows' AS n_rows, r ? 'train_ms' AS has_train_ms
  FROM (SELECT result FROM mktdb.retrain('retail')) s(r);
SELECT version, count(*) FROM mktdb.forecasts WHERE model = 'retail' GROUP BY version;
SELECT count(*) AS same_forecasts FROM mktdb.forecasts_of('retail@1') a JOIN mktdb.forecasts_of('retail@2') b
    USING (series, step) WHERE a.forecast = b.forecast AND a.hi_95 = b.hi_95;
SELECT kind, retrain FROM mktdb.model_kind WHERE kind = 'arima';

-- ---- the views follow row security: another role sees nothing until granted ----
DROP ROLE IF EXISTS regress_arima_reader;
CREATE ROLE regress_arima_reader;
SET ROLE regress_arima_reader;
SELECT count(*) AS forecasts_seen, (SELECT count(*) FROM mktdb.arima_models) AS models_seen FROM mktdb.forecasts;
RESET ROLE;
SELECT mktdb.grant_model('lh_demo_missing', 'regress_arima_reader') WHERE false;
SELECT mktdb.grant_model('ref_lh', 'regress_arima_reader');
SET ROLE regress_arima_reader;
SELECT model, count(*) FROM mktdb.forecasts GROUP BY model;
RESET ROLE;
DROP OWNED BY regress_arima_reader;
DROP ROLE regress_arima_reader;

-- ---- bad input: a clear error with its SQLSTATE, nothing stored ----
CREATE FUNCTION try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
CREATE TABLE dup(t date, v float8, label text);
INSERT INTO dup VALUES ('2024-01-01', 1, 'a'), ('2024-01-02', 2, 'b'), ('2024-01-02', 3, 'c'), ('2024-01-03', 4, 'd');
SELECT count(*) AS models_before FROM mktdb.model;
SELECT try(q) FROM (VALUES
  ($$SELECT * FROM mktdb.arima_forecast('bad', 'mixed', 't', 'units', horizon => 0, pdq => '{1,0,0}', seasonal_pdq => '{0,0,0}')$$),
  ($$SELECT * FROM mktdb.arima_forecast('bad', 'mixed', 't', 'units', horizon => NULL, pdq => '{1,0,0}', seasonal_pdq => '{0,0,0}')$$),
  ($$SELECT * FROM mktdb.arima_forecast('bad', 'mixed', 't', 'units', pdq => '{-1,0,0}', seasonal_pdq => '{0,0,0}')$$),
  ($$SELECT * FROM mktdb.arima_forecast('bad', 'mixed', 't', 'units', pdq => '{21,0,0}', seasonal_pdq => '{0,0,0}')$$),
  ($$SELECT * FROM mktdb.arima_forecast('bad', 'mixed', 't', 'units', pdq => '{1,4,0}', seasonal_pdq => '{0,0,0}')$$),
  ($$SELECT * FROM mktdb.arima_forecast('bad', 'mixed', 't', 'units', pdq => '{1,0}', seasonal_pdq => '{0,0,0}')$$),
  ($$SELECT * FROM mktdb.arima_forecast('bad', 'mixed', 't', 'units', pdq => '{1,NULL,0}', seasonal_pdq => '{0,0,0}')$$),
  ($$SELECT * FROM mktdb.arima_forecast('bad', 'mixed', 't', 'units', pdq => '{1,0,0}', seasonal_pdq => '{0,3,0}')$$),
  ($$SELECT * FROM mktdb.arima_forecast('bad', 'mixed', 't', 'units', pdq => '{1,0,0}', seasonal_pdq => '{11,0,0}')$$),
  ($$SELECT * FROM mktdb.arima_forecast('bad', 'mixed', 't', 'units', period => 0, pdq => '{1,0,0}', seasonal_pdq => '{0,0,0}')$$),
  ($$SELECT * FROM mktdb.arima_forecast('bad', 'mixed', 't', 'units', period => 100, pdq => '{1,0,0}', seasonal_pdq => '{4,0,0}')$$),
  ($$SELECT * FROM mktdb.arima_forecast('bad', 'mixed', 't', 'sku', pdq => '{1,0,0}', seasonal_pdq => '{0,0,0}')$$),
  ($$SELECT * FROM mktdb.arima_forecast('bad', 'dup', 'label', 'v', pdq => '{1,0,0}', seasonal_pdq => '{0,0,0}')$$),
  ($$SELECT * FROM mktdb.arima_forecast('bad', 'mixed', 't', 'units', ARRAY['nosuch'], pdq => '{1,0,0}', seasonal_pdq => '{0,0,0}')$$),
  ($$SELECT * FROM mktdb.arima_forecast('bad', 'mixed', 't', 'units', ARRAY['sku', NULL], pdq => '{1,0,0}', seasonal_pdq => '{0,0,0}')$$),
  ($$SELECT * FROM mktdb.arima_forecast('bad', 'dup', 't', 'v', pdq => '{1,0,0}', seasonal_pdq => '{0,0,0}')$$),
  ($$SELECT * FROM mktdb.arima_forecast('bad', 'no_such_table', 't', 'v', pdq => '{1,0,0}', seasonal_pdq => '{0,0,0}')$$),
  ($$SELECT * FROM mktdb.arima_forecast('bad', 'mixed', NULL, 'units', pdq => '{1,0,0}', seasonal_pdq => '{0,0,0}')$$),
  ($$SELECT * FROM mktdb.arima_forecast(NULL, 'mixed', 't', 'units', pdq => '{1,0,0}', seasonal_pdq => '{0,0,0}')$$),
  ($$SELECT * FROM mktdb.arima_forecast('a@b', 'mixed', 't', 'units', pdq => '{1,0,0}', seasonal_pdq => '{0,0,0}')$$),
  ($$SELECT * FROM mktdb.arima_forecast('bad', 'mixed', 't', 'units', seasonal_pdq => '{0,1,1}')$$),
  ($$SELECT * FROM mktdb.forecasts_of('kmeans_does_not_exist')$$)
) AS x(q);
SELECT count(*) AS models_after FROM mktdb.model;

-- ---- non-finite numbers: a forecast interval that overflows float8 is an error (22003) naming
-- the series and the step, never a row with infinite bounds; nothing is stored ----
CREATE TABLE huge(sku text, t int, y float8);
-- near 1e300 no model can be optimised (squares overflow); the mean's spread (~2e300) is
-- computed without overflow, so every bound is finite (sigma2 itself is not representable: NULL)
INSERT INTO huge SELECT 'e300', i, 1e300 * (i % 7) + 1e299 * sin(i) FROM generate_series(1, 60) i;
SELECT count(*) AS steps,
       bool_and(lo_95 > '-Infinity' AND hi_95 < 'Infinity' AND lo_95 < forecast AND forecast < hi_95) AS finite_bounds
  FROM mktdb.arima_forecast('huge', 'huge', 't', 'y', ARRAY['sku'], horizon => 3, pdq => '{0,1,1}');
SELECT series->>'sku' AS sku, p, d, q, fallback, sigma2 IS NULL AS no_sigma2 FROM mktdb.arima_models WHERE model = 'huge';
-- +-1.5e308: even the mean's 95 % bounds overflow, with fixed orders and with the automatic search
INSERT INTO huge SELECT 'e308', i, CASE WHEN i % 2 = 0 THEN 1.5e308 ELSE -1.5e308 END + i FROM generate_series(1, 40) i;
SELECT try(q) FROM (VALUES
  ($$SELECT * FROM mktdb.arima_forecast('huge2', 'huge', 't', 'y', ARRAY['sku'], horizon => 3, pdq => '{1,0,0}')$$),
  ($$SELECT * FROM mktdb.arima_forecast('huge2', 'huge', 't', 'y', ARRAY['sku'], horizon => 3)$$)
) AS x(q);
SELECT count(*) AS huge2_models FROM mktdb.model WHERE name = 'huge2';

-- a cancel (here a statement timeout) stops the fitting threads; nothing is stored
SET statement_timeout = '50ms';
SELECT count(*) FROM mktdb.arima_forecast('cancelled', $$SELECT series, t_date, value FROM arima_data WHERE series LIKE 'retail%'$$,
                                           't_date', 'value', ARRAY['series'], pdq => '{2,1,1}', seasonal_pdq => '{1,1,1}');
RESET statement_timeout;
SELECT count(*) AS cancelled_models FROM mktdb.model WHERE name = 'cancelled';

-- a damaged blob is refused, not crashed on (a new session: nothing cached)
\c
\set SHOW_CONTEXT never
UPDATE mktdb.model SET data = overlay(data placing '\xffff'::bytea from 40) WHERE name = 'ref_lh';
SELECT try($$SELECT * FROM mktdb.forecasts_of('ref_lh')$$);
-- a dashboard's filter on the model reaches the catalog: only that model is decoded, so the
-- damaged one above does not get in the way
SELECT count(*) AS retail_rows FROM mktdb.forecasts WHERE model = 'retail';
SELECT count(*) AS retail_fits FROM mktdb.arima_models WHERE model = 'retail';

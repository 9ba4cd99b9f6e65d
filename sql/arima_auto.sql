-- arima_auto: automatic order selection (pdq NULL) against R's forecast::auto.arima on the 68
-- committed reference series (test/ref/autoarima_*.csv, made by test/ref/autoarima_ref.R):
-- chosen orders, held-out accuracy per set, forecast_accuracy against an independent
-- computation, robustness (short, intermittent, constant, level shift, missing: never NaN),
-- metrics, bad input.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
SET TimeZone = 'UTC';
SET extra_float_digits = 0;

\getenv abs_srcdir PG_ABS_SRCDIR
\set series_csv `cat :abs_srcdir/test/ref/autoarima_series.csv`
-- the last column (R's model label) holds commas inside quotes: dropped before splitting
\set ref_csv `sed 's/,"[^"]*"$//; s/"//g' :abs_srcdir/test/ref/autoarima_ref.csv`

CREATE TABLE aa_series AS
SELECT split_part(l, ',', 1) AS series, split_part(l, ',', 2) AS set, split_part(l, ',', 3)::int AS period,
       split_part(l, ',', 4)::int AS h, split_part(l, ',', 5)::int AS t_int,
       nullif(split_part(l, ',', 7), 'NA')::float8 AS value
  FROM regexp_split_to_table(:'series_csv', '\n') WITH ORDINALITY AS x(l, n)
 WHERE n > 1 AND l <> '';
CREATE TABLE aa_ref AS
SELECT split_part(l, ',', 1) AS series, split_part(l, ',', 2) AS fit,
       split_part(l, ',', 6)::int AS p, split_part(l, ',', 7)::int AS d, split_part(l, ',', 8)::int AS q,
       split_part(l, ',', 9)::int AS sp, split_part(l, ',', 10)::int AS sd, split_part(l, ',', 11)::int AS sq,
       split_part(l, ',', 12) AS constant,
       nullif(split_part(l, ',', 25), 'NA')::float8 AS smape, nullif(split_part(l, ',', 26), 'NA')::float8 AS mase
  FROM regexp_split_to_table(:'ref_csv', '\n') WITH ORDINALITY AS x(l, n)
 WHERE n > 1 AND l <> '';
SELECT set, count(DISTINCT series) AS series, count(*) AS points FROM aa_series GROUP BY set ORDER BY set;
SELECT fit, count(*) FROM aa_ref GROUP BY fit ORDER BY fit;

-- training part (all but the last h points) and the held-out actuals
CREATE VIEW aa_train AS
SELECT s.* FROM aa_series s
  JOIN (SELECT series, max(t_int) AS n FROM aa_series GROUP BY series) m USING (series)
 WHERE s.t_int <= m.n - s.h;
CREATE VIEW aa_test AS
SELECT s.* FROM aa_series s
  JOIN (SELECT series, max(t_int) AS n FROM aa_series GROUP BY series) m USING (series)
 WHERE s.t_int > m.n - s.h;

-- ---- one grouped call per period (integer index, period given), horizon = the largest h ----
SELECT period, count(*) AS forecast_rows
  FROM (SELECT 1 AS period UNION ALL SELECT 4 UNION ALL SELECT 7 UNION ALL SELECT 12) p,
       LATERAL mktdb.arima_forecast('aa_m' || p.period,
                                    format('SELECT series, t_int, value FROM aa_train WHERE period = %s', p.period),
                                    't_int', 'value', ARRAY['series'], horizon => 24, period => p.period) f
 GROUP BY period ORDER BY period;

CREATE TABLE aa_fit AS
SELECT m.series->>'series' AS series, m.p, m.d, m.q, m.sp, m.sd, m.sq, m.period,
       CASE WHEN m.fallback = 'constant: mean' THEN 'constant_series'
            WHEN m.coef ? 'drift' THEN 'drift' WHEN m.coef ? 'intercept' THEN 'mean' ELSE 'none' END AS constant,
       m.fallback, m.mase_scale
  FROM mktdb.arima_models m WHERE m.model LIKE 'aa\_m%';

-- (a) chosen orders equal R's (holdout fits; the unit test checks the full-series fits too)
CREATE TABLE aa_cmp AS
SELECT f.series, (f.p, f.d, f.q) = (r.p, r.d, r.q)
                 AND (f.period = 1 OR (f.sp, f.sd, f.sq) = (r.sp, r.sd, r.sq))
                 AND f.constant = r.constant AS same,
       format('(%s,%s,%s)(%s,%s,%s) %s', f.p, f.d, f.q, f.sp, f.sd, f.sq, f.constant) AS mktdb,
       format('(%s,%s,%s)(%s,%s,%s) %s', r.p, r.d, r.q, r.sp, r.sd, r.sq, r.constant) AS r
  FROM aa_fit f JOIN aa_ref r ON r.series = f.series AND r.fit = 'holdout';
SELECT count(*) AS fits, count(*) FILTER (WHERE same) AS same_as_r,
       round(100.0 * count(*) FILTER (WHERE same) / count(*), 1) AS share_pct
  FROM aa_cmp;
SELECT series, mktdb, r FROM aa_cmp WHERE NOT same ORDER BY series;
SELECT count(*) FILTER (WHERE same) >= 68 AS share_at_least_measured FROM aa_cmp;

-- (b) held-out accuracy per set: mean sMAPE and MASE within 2 % of R's (or better)
CREATE TABLE aa_acc AS
SELECT s.series, s.set,
       avg(CASE WHEN t.value = 0 AND f.forecast = 0 THEN 0
                ELSE 200 * abs(t.value - f.forecast) / (abs(t.value) + abs(f.forecast)) END) AS smape,
       avg(abs(t.value - f.forecast)) / min(a.mase_scale) AS mase
  FROM aa_test t
  JOIN (SELECT DISTINCT series, set FROM aa_series) s USING (series)
  JOIN mktdb.forecasts f ON f.model = 'aa_m' || t.period AND f.series->>'series' = t.series AND f.step = t.t_int
  JOIN aa_fit a ON a.series = t.series
 GROUP BY s.series, s.set;
SELECT a.set, count(*) AS series,
       round(avg(a.smape)::numeric, 3) AS mktdb_smape, round(avg(r.smape)::numeric, 3) AS r_smape,
       round(avg(a.mase)::numeric, 3) AS mktdb_mase, round(avg(r.mase)::numeric, 3) AS r_mase,
       avg(a.smape) <= 1.02 * avg(r.smape) AS smape_ok,
       avg(a.mase) <= 1.02 * avg(r.mase) AS mase_ok
  FROM aa_acc a JOIN aa_ref r ON r.series = a.series AND r.fit = 'holdout'
 GROUP BY a.set ORDER BY a.set;
-- where the orders agree, the per-series sMAPE agrees with R's
SELECT count(*) AS same_order_series, max(abs(a.smape - r.smape)) < 0.05 AS smape_equal
  FROM aa_acc a JOIN aa_ref r ON r.series = a.series AND r.fit = 'holdout' JOIN aa_cmp c ON c.series = a.series
 WHERE c.same;

-- (c) forecast_accuracy against an independent computation (MASE scale from the training data here)
CREATE TABLE aa_scale AS
SELECT x.series, avg(abs(x.value - y.value)) AS scale
  FROM aa_train x JOIN aa_train y ON y.series = x.series AND y.t_int = x.t_int - greatest(x.period, 1)
 GROUP BY x.series;
CREATE TABLE aa_fa AS SELECT * FROM mktdb.forecast_accuracy('aa_m12', 'aa_test', 't_int', 'value', ARRAY['series']);
SELECT count(*) FILTER (WHERE series IS NOT NULL) AS series_scored, count(*) FILTER (WHERE series IS NULL) AS overall_rows FROM aa_fa;
WITH ind AS (
  SELECT t.series, count(*) AS n, avg(abs(t.value - f.forecast)) AS mae,
         sqrt(avg((t.value - f.forecast) ^ 2)) AS rmse,
         avg(100 * abs(t.value - f.forecast) / abs(t.value)) FILTER (WHERE t.value <> 0) AS mape,
         avg(CASE WHEN t.value = 0 AND f.forecast = 0 THEN 0
                  ELSE 200 * abs(t.value - f.forecast) / (abs(t.value) + abs(f.forecast)) END) AS smape,
         avg(abs(t.value - f.forecast)) / nullif(min(s.scale), 0) AS mase
    FROM aa_test t
    JOIN mktdb.forecasts f ON f.model = 'aa_m12' AND f.series->>'series' = t.series AND f.step = t.t_int
    JOIN aa_scale s ON s.series = t.series
   WHERE t.value IS NOT NULL
   GROUP BY t.series)
SELECT count(*) AS compared, count(ind.mase) AS with_mase_scale,
       bool_and(abs(fa.mae - ind.mae) <= 1e-12 * abs(ind.mae)) AS mae_equal,
       bool_and(abs(fa.rmse - ind.rmse) <= 1e-12 * abs(ind.rmse)) AS rmse_equal,
       bool_and(abs(fa.mape - ind.mape) <= 1e-12 * abs(ind.mape) OR (fa.mape IS NULL AND ind.mape IS NULL)) AS mape_equal,
       bool_and(abs(fa.smape - ind.smape) <= 1e-12 * abs(ind.smape)) AS smape_equal,
       bool_and(abs(fa.mase - ind.mase) <= 1e-9 * abs(ind.mase) OR (fa.mase IS NULL AND ind.mase IS NULL)) AS mase_equal,
       bool_and(fa.n = ind.n) AS n_equal
  FROM aa_fa fa JOIN ind ON ind.series = fa.series->>'series';
-- the overall row is the mean over all matched points
SELECT fa.n = (SELECT sum(n) FROM aa_fa WHERE series IS NOT NULL) AS overall_n_ok,
       abs(fa.mae - (SELECT sum(n * mae) / sum(n) FROM aa_fa WHERE series IS NOT NULL)) < 1e-9 AS overall_mae_ok
  FROM aa_fa fa WHERE fa.series IS NULL;

-- ---- metrics of the model version ----
SELECT name, metrics->'series' AS series, metrics->>'selection' AS selection, metrics->'approximated' AS approximated,
       (metrics->'models_tried')::int > 0 AS searched, metrics->'fallbacks' AS fallbacks, metrics ? 'fit_ms' AS timed
  FROM mktdb.model WHERE name LIKE 'aa\_m%' ORDER BY name;
SELECT key AS chosen_model, value AS series FROM mktdb.model, jsonb_each(metrics->'orders')
 WHERE name = 'aa_m4' ORDER BY value::int DESC, key;

-- ---- (d) robustness: never NaN ----
CREATE TABLE aa_edge(sku text, t int, v float8);
INSERT INTO aa_edge
SELECT 'one_point', 1, 5
UNION ALL SELECT 'two_points', t, t * 3 FROM generate_series(1, 2) t
UNION ALL SELECT 'all_null', t, NULL FROM generate_series(1, 10) t
UNION ALL SELECT 'zeros', t, 0 FROM generate_series(1, 40) t
UNION ALL SELECT 'nearly_constant', t, 100 + 1e-10 * (t % 2) FROM generate_series(1, 40) t
UNION ALL SELECT 'intermittent', t, CASE WHEN t % 7 = 0 THEN 3 WHEN t % 11 = 0 THEN 1 ELSE 0 END FROM generate_series(1, 60) t
UNION ALL SELECT 'level_shift', t, CASE WHEN t > 30 THEN 50 ELSE 10 END + (t * 7919 % 13) / 13.0 FROM generate_series(1, 60) t
UNION ALL SELECT 'with_gaps', t, CASE WHEN t % 5 = 0 THEN NULL ELSE 20 + t + (t * 31 % 7) END FROM generate_series(1, 50) t
UNION ALL SELECT 'linear', t, 2 * t + 1 FROM generate_series(1, 30) t
UNION ALL SELECT 'seasonal_exact', t, (ARRAY[1, 5, 9, 2])[1 + t % 4] FROM generate_series(1, 40) t;
SELECT series->>'sku' AS sku, count(*) AS steps,
       -- finite: NaN is not < Infinity in PostgreSQL (NaN sorts above it; NaN = NaN is true)
       bool_and(coalesce(abs(forecast) < 'Infinity' AND abs(lo_80) < 'Infinity' AND abs(hi_80) < 'Infinity'
                         AND abs(lo_95) < 'Infinity' AND abs(hi_95) < 'Infinity', false)) AS finite,
       round(min(forecast)::numeric, 3) AS first_min, round(max(forecast)::numeric, 3) AS max_fc
  FROM mktdb.arima_forecast('aa_edge', 'aa_edge', 't', 'v', ARRAY['sku'], horizon => 6, period => 4)
 GROUP BY 1 ORDER BY 1;
SELECT series->>'sku' AS sku, p, d, q, sp, sd, sq, coef ?| ARRAY['drift', 'intercept'] AS has_constant, fallback
  FROM mktdb.arima_models WHERE model = 'aa_edge' ORDER BY 1;

-- the synthetic edge cases of the reference set (short, intermittent, spike, level shift): finite
SELECT count(*) AS synthetic_forecasts,
       bool_and(coalesce(abs(f.forecast) < 'Infinity' AND abs(f.lo_95) < 'Infinity' AND abs(f.hi_95) < 'Infinity', false)) AS finite
  FROM mktdb.forecasts f JOIN (SELECT DISTINCT series FROM aa_series WHERE set = 'synthetic') s
    ON f.series->>'series' = s.series
 WHERE f.model LIKE 'aa\_m%';

-- ---- retrain replays the automatic selection ----
SELECT ((SELECT result FROM mktdb.retrain('aa_m4'))->>'version')::int AS version;
SELECT count(*) AS same_orders_after_retrain
  FROM mktdb.arima_models_of('aa_m4@1') a JOIN mktdb.arima_models_of('aa_m4@2') b USING (series)
 WHERE (a.p, a.d, a.q, a.sp, a.sd, a.sq) = (b.p, b.d, b.q, b.sp, b.sd, b.sq);

-- ---- bad input ----
CREATE FUNCTION try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT try(q) FROM (VALUES
  ($$SELECT * FROM mktdb.arima_forecast('bad', 'aa_edge', 't', 'v', seasonal_pdq => '{0,1,1}')$$),
  ($$SELECT * FROM mktdb.forecast_accuracy(NULL, 'aa_test', 't_int', 'value')$$),
  ($$SELECT * FROM mktdb.forecast_accuracy('aa_m12', 'no_such_table', 't_int', 'value')$$),
  ($$SELECT * FROM mktdb.forecast_accuracy('no_such_model', 'aa_test', 't_int', 'value')$$),
  ($$SELECT * FROM mktdb.forecast_accuracy('aa_m12', 'aa_test', 't_int', 'value', ARRAY[NULL])$$)
) AS x(q);

-- demo/demo.sql -- what demo.sh runs on the bundled grocery sample.
\set QUIET on
\pset footer off
\echo
\echo '=== The data: 2017 grocery receipts of 2,377 households (Complete Journey sample) ==='
SELECT count(*) AS receipt_lines, count(DISTINCT household_id) AS households,
       count(DISTINCT product_id) AS products, min(transaction_timestamp)::date AS first_day,
       max(transaction_timestamp)::date AS last_day, sum(sales_value) AS sales
  FROM demo.transactions;

\echo
\echo '=== 1. Customer segmentation: k-means on six behavioural features (z-scored) ==='
SELECT * FROM mktdb.kmeans_segment('households', 'demo.customer_features',
    ARRAY['recency_days', 'baskets', 'spend', 'avg_basket_value', 'distinct_products', 'discount_share'],
    k => 5, id_column => 'household_id');
\echo 'Centroids in original units (segments numbered by size):'
SELECT segment, size, c[1]::int AS recency_days, round(c[2]::numeric, 1) AS baskets, round(c[3]::numeric, 0) AS spend,
       round(c[4]::numeric, 2) AS avg_basket, round(c[5]::numeric, 0) AS products, round(c[6]::numeric, 2) AS discount_share
  FROM (SELECT segment, size, centroid AS c FROM mktdb.kmeans_centroids WHERE model = 'households') s
 ORDER BY segment;
\echo 'Segments joined back to demographics (share of households with kids per segment):'
SELECT a.segment, count(*) AS with_demographics,
       round(avg((h.kids_count NOT IN ('0', ''))::int), 2) AS share_with_kids
  FROM mktdb.kmeans_assign('households') a
  JOIN demo.households h ON h.household_id = a.id::int
 GROUP BY a.segment ORDER BY a.segment;

\echo
\echo '=== 2. RFM scoring: baskets as orders (frequency = baskets, monetary = basket value) ==='
CREATE TEMP TABLE rfm AS
SELECT * FROM mktdb.rfm_score('rfm',
    'SELECT household_id, basket_id, min(transaction_timestamp) AS ts, sum(sales_value) AS amount
       FROM demo.transactions GROUP BY household_id, basket_id',
    'household_id', 'ts', 'amount');
SELECT * FROM rfm ORDER BY monetary DESC LIMIT 5;
SELECT segment, customers, round(share::numeric, 3) AS share, round(avg_recency_days::numeric, 1) AS avg_recency_days,
       round(avg_frequency::numeric, 1) AS avg_frequency, round(avg_monetary::numeric, 2) AS avg_monetary
  FROM mktdb.rfm_segments WHERE model = 'rfm';
\echo 'Scoring a new customer against the stored thresholds:'
SELECT * FROM mktdb.rfm_of('rfm', recency_days => 5, frequency => 30, monetary => 150);

\echo
\echo '=== 3. Demand forecasting: 14 days of daily units for every department, one grouped call ==='
SELECT series->>'department' AS department, count(*) AS days_forecast, round(sum(forecast)) AS units_next_14_days
  FROM mktdb.arima_forecast('department_units', 'demo.daily_department_sales', 'day', 'units',
                            group_columns => ARRAY['department'], horizon => 14)
 GROUP BY 1 ORDER BY 1;
\echo 'The chosen model of each series (mktdb.arima_models):'
SELECT series->>'department' AS department, format('(%s,%s,%s)(%s,%s,%s)[%s]', p, d, q, sp, sd, sq, period) AS model,
       round(sigma2::numeric, 1) AS sigma2, round(aicc::numeric, 1) AS aicc, fallback
  FROM mktdb.arima_models WHERE model = 'department_units' ORDER BY 1;
\echo 'What a dashboard reads (mktdb.forecasts), produce department:'
SELECT step, ts::date AS day, round(forecast::numeric, 1) AS forecast, round(lo_80::numeric, 1) AS lo_80,
       round(hi_80::numeric, 1) AS hi_80, round(lo_95::numeric, 1) AS lo_95, round(hi_95::numeric, 1) AS hi_95
  FROM mktdb.forecasts WHERE model = 'department_units' AND series->>'department' = 'PRODUCE' ORDER BY step;
\echo 'Backtest: forecast the last 14 days of 2017 from the days before, then score against what happened:'
SELECT count(*) AS forecast_rows FROM mktdb.arima_forecast('department_backtest',
    $$SELECT department, day, units FROM demo.daily_department_sales WHERE day < '2017-12-18'$$,
    'day', 'units', group_columns => ARRAY['department'], horizon => 14);
SELECT coalesce(series->>'department', 'all departments') AS department, n, round(mae::numeric, 1) AS mae,
       round(rmse::numeric, 1) AS rmse, round(smape::numeric, 1) AS smape, round(mase::numeric, 2) AS mase
  FROM mktdb.forecast_accuracy('department_backtest', 'demo.daily_department_sales', 'day', 'units',
                               group_columns => ARRAY['department']);

\echo 'More methods (mktdb.forecast): the same backtest with the automatic choice (the mean of ETS, ARIMA'
\echo 'and Theta per series) and with ETS and Theta alone:'
SELECT m AS method, count(*) AS forecast_rows
  FROM unnest(ARRAY['auto', 'ets', 'theta']) m,
       LATERAL mktdb.forecast('department_backtest_' || m,
           $$SELECT department, day, units FROM demo.daily_department_sales WHERE day < '2017-12-18'$$,
           'day', 'units', group_columns => ARRAY['department'], horizon => 14, method => m)
 GROUP BY 1 ORDER BY 1;
\echo 'What each series got (mktdb.forecast_models):'
SELECT series->>'department' AS department, method, description, fallback
  FROM mktdb.forecast_models WHERE model = 'department_backtest_auto' ORDER BY 1;
\echo 'All departments, every model scored by forecast_accuracy on the same 14 held-out days:'
SELECT m AS model, a.n, round(a.mae::numeric, 1) AS mae, round(a.rmse::numeric, 1) AS rmse,
       round(a.smape::numeric, 1) AS smape, round(a.mase::numeric, 3) AS mase
  FROM unnest(ARRAY['department_backtest', 'department_backtest_auto', 'department_backtest_ets',
                    'department_backtest_theta']) m,
       LATERAL mktdb.forecast_accuracy(m, 'demo.daily_department_sales', 'day', 'units',
                                       group_columns => ARRAY['department']) a
 WHERE a.series IS NULL ORDER BY a.mase;

\echo
\echo '=== 4. Recommendations: household x product purchases (method auto: EASE on this catalog) ==='
SELECT * FROM mktdb.recommend_train('products', 'demo.purchases', 'household_id', 'product_id', weight_column => 'times');
SELECT metrics->>'method' AS method, metrics->>'regularization' AS regularization,
       metrics->>'rare_items_left_out' AS rare_items_left_out, metrics->>'method_reason' AS why
  FROM mktdb.models WHERE name = 'products';
\echo 'Top 5 products for household 1 (not already bought):'
SELECT r.rank, r.item_id AS product_id, p.department, p.product_category, round(r.score::numeric, 4) AS score
  FROM mktdb.recommend_for('products', 1::bigint, 5) r JOIN demo.products p ON p.product_id = r.item_id
 ORDER BY r.rank;
\echo 'Products bought with the best seller, and by how many of the same households:'
WITH best AS (SELECT product_id FROM demo.purchases GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1)
SELECT r.rank, r.item_id AS product_id, p.product_category, p.product_type, round(r.score::numeric, 4) AS weight,
       (SELECT count(*) FROM demo.purchases x JOIN demo.purchases y USING (household_id)
         WHERE x.product_id = best.product_id AND y.product_id = r.item_id) AS bought_together_by
  FROM best, mktdb.similar_items('products', best.product_id::bigint, 5) r
  JOIN demo.products p ON p.product_id = r.item_id
 ORDER BY r.rank;
\echo 'A campaign query: three products for each of five households, in one statement:'
SELECT c.household_id, r.rank, r.item_id AS product_id
  FROM (SELECT household_id FROM demo.customer_features ORDER BY spend DESC LIMIT 5) c,
       LATERAL mktdb.recommend_for('products', c.household_id::bigint, 3) r
 ORDER BY 1, 2;

\echo
\echo '=== 5. Customer lifetime value: BG/NBD + Gamma-Gamma, calibrated to the end of October ==='
SELECT model, n_customers, repeaters, params, round(loglik::numeric, 1) AS loglik, round(train_ms::numeric) AS train_ms
  FROM mktdb.clv_train('household_value', 'demo.transactions', 'household_id', 'transaction_timestamp',
                       'sales_value', calibration_end => '2017-10-31');
\echo 'The ten most valuable households over the next 13 weeks:'
SELECT customer_id AS household_id, frequency, round(recency::numeric, 1) AS recency_w, round(t::numeric, 1) AS t_w,
       round(monetary::numeric, 2) AS monetary, round(p_alive::numeric, 3) AS p_alive,
       round(expected_purchases::numeric, 2) AS purchases_13w, round(clv::numeric, 2) AS clv_13w
  FROM mktdb.customer_value('household_value', horizon => 13) ORDER BY clv DESC LIMIT 10;
\echo 'P(alive) of the households RFM calls "At Risk":'
SELECT count(*) AS households, round(avg(v.p_alive)::numeric, 3) AS avg_p_alive,
       round(min(v.p_alive)::numeric, 3) AS min_p_alive, round(sum(v.clv)::numeric, 2) AS clv_13w
  FROM rfm r JOIN mktdb.customer_value('household_value', horizon => 13) v ON v.customer_id = r.customer_id
 WHERE r.segment = 'At Risk';
\echo 'Predicted against actual purchase days in November-December, per calibration frequency:'
SELECT frequency, customers, round(actual::numeric, 2) AS actual, round(predicted::numeric, 2) AS predicted
  FROM mktdb.clv_accuracy('household_value', '2017-12-31');

\ir abtest.sql

\echo
\echo '=== The model catalog ==='
SELECT name, version, kind, n_rows, round(train_ms::numeric, 1) AS train_ms, size_bytes FROM mktdb.models ORDER BY name;

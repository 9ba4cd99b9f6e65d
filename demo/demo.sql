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

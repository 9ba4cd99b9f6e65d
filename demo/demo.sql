-- demo/demo.sql -- what demo.sh runs on the bundled grocery sample.
\pset footer off
\echo
\echo '=== The data: 2017 grocery receipts of 2,377 households (Complete Journey sample) ==='
SELECT count(*) AS receipt_lines, count(DISTINCT household_id) AS households,
       count(DISTINCT product_id) AS products, min(transaction_timestamp)::date AS first_day,
       max(transaction_timestamp)::date AS last_day, sum(sales_value) AS sales
  FROM demo.transactions;

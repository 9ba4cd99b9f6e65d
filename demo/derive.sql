-- demo/derive.sql -- analysis-ready tables derived from the raw demo tables.

-- One row per household: the features a marketer segments on.
CREATE TABLE demo.customer_features AS
SELECT household_id,
       ('2018-01-01'::date - max(transaction_timestamp)::date)         AS recency_days,
       count(DISTINCT basket_id)                                       AS baskets,
       count(*)                                                        AS lines,
       sum(sales_value)                                                AS spend,
       round(sum(sales_value) / count(DISTINCT basket_id), 2)          AS avg_basket_value,
       count(DISTINCT product_id)                                      AS distinct_products,
       round(coalesce(sum(retail_disc + coupon_disc + coupon_match_disc)
             / nullif(sum(sales_value + retail_disc + coupon_disc + coupon_match_disc), 0), 0), 4)
                                                                       AS discount_share,
       count(DISTINCT week)                                            AS weeks_active
  FROM demo.transactions
 GROUP BY household_id;
ALTER TABLE demo.customer_features ADD PRIMARY KEY (household_id);

-- Daily units and sales per department, zero-filled over the whole year so every
-- series is regular (what a forecaster needs).
CREATE TABLE demo.daily_department_sales AS
WITH depts AS (
    SELECT p.department FROM demo.transactions t JOIN demo.products p USING (product_id)
     WHERE p.department IS NOT NULL GROUP BY 1 HAVING count(*) >= 2000
), days AS (
    SELECT d::date AS day FROM generate_series('2017-01-01'::date, '2017-12-31'::date, '1 day') d
)
SELECT dp.department, days.day,
       coalesce(sum(t.quantity), 0)::int          AS units,
       coalesce(sum(t.sales_value), 0)::numeric  AS sales
  FROM depts dp CROSS JOIN days
  LEFT JOIN (demo.transactions t JOIN demo.products p USING (product_id))
         ON p.department = dp.department AND t.transaction_timestamp::date = days.day
 GROUP BY dp.department, days.day;

-- Household x product purchase counts (implicit feedback for recommendations).
CREATE VIEW demo.purchases AS
SELECT household_id, product_id, count(*) AS times, sum(quantity) AS units
  FROM demo.transactions GROUP BY household_id, product_id;

ANALYZE demo.transactions, demo.products, demo.customer_features, demo.daily_department_sales;

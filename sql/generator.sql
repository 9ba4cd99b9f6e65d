-- generator: the synthetic data generator is deterministic and realistic enough to test with.
SET client_min_messages = warning;
\set ECHO none
\i demo/generator.sql
\set ECHO all
SELECT * FROM gen.generate(customers => 300, products => 40, days => 120, seed => 7);
CREATE TEMP TABLE first_run AS
SELECT (SELECT md5(string_agg(o::text, ',' ORDER BY order_id)) FROM gen.orders o) AS orders_md5,
       (SELECT md5(string_agg(d::text, ',' ORDER BY product_id, day)) FROM gen.daily_sales d) AS sales_md5;
-- same seed, same data (also with a parallel-friendly plan)
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SELECT * FROM gen.generate(customers => 300, products => 40, days => 120, seed => 7);
SELECT (SELECT md5(string_agg(o::text, ',' ORDER BY order_id)) FROM gen.orders o) = orders_md5 AS orders_same,
       (SELECT md5(string_agg(d::text, ',' ORDER BY product_id, day)) FROM gen.daily_sales d) = sales_md5 AS sales_same
  FROM first_run;
-- another seed, other data
SELECT * FROM gen.generate(customers => 300, products => 40, days => 120, seed => 8);
SELECT (SELECT md5(string_agg(o::text, ',' ORDER BY order_id)) FROM gen.orders o) <> orders_md5 AS orders_differ
  FROM first_run;
-- every habit is present; big spenders order more per visit than occasional buyers
SELECT count(DISTINCT habit) AS habits FROM gen.customers;
SELECT (SELECT avg(n) FROM (SELECT count(*) n FROM gen.orders JOIN gen.customers USING (customer_id)
                            WHERE habit = 'big spender' GROUP BY customer_id) a)
     > (SELECT avg(n) FROM (SELECT count(*) n FROM gen.orders JOIN gen.customers USING (customer_id)
                            WHERE habit = 'occasional' GROUP BY customer_id) b) AS big_spenders_buy_more;
-- weekly seasonality: Saturdays sell more than Mondays; every series is complete
SELECT avg(units) FILTER (WHERE extract(isodow FROM day) = 6) > avg(units) FILTER (WHERE extract(isodow FROM day) = 1) AS weekly_cycle,
       count(*) = 40 * 120 AS complete
  FROM gen.daily_sales;
SELECT gen.generate(customers => 0);
RESET client_min_messages;

-- demo/generator.sql -- a deterministic, realistic synthetic retail data set of any size,
-- for tests and benchmarks at scale.  Pure SQL: every random number is a hash of
-- (row, stream, seed), so the result does not depend on the plan, on parallel
-- workers or on the order rows are produced in.
--
--   \i demo/generator.sql
--   SELECT gen.generate(customers => 10000, products => 500, days => 730, seed => 1);
--
-- creates (replacing earlier ones):
--   gen.customers(customer_id, habit, region, signup)    five buying habits
--   gen.products(product_id, category, price)             20 categories, log-normal prices
--   gen.orders(order_id, customer_id, product_id, ordered_at, quantity, amount)
--       orders over `days` days ending 2024-12-31, with weekly and yearly seasonality,
--       promotion weeks, habit-dependent frequency and spend, churn for "lapsed"
--   gen.daily_sales(product_id, day, units)                 daily units of every product:
--       level x weekday profile x yearly cycle x promotions x noise, intermittent for slow movers
CREATE SCHEMA IF NOT EXISTS gen;

-- uniform (0,1) from integers: stable across platforms and plans
CREATE OR REPLACE FUNCTION gen.u(a bigint, stream int, seed int) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ((hashint8(a * 1000003 + stream::bigint * 7919 + seed::bigint * 104729)::bigint + 2147483648) + 0.5)
           / 4294967297.0
$$;

-- standard normal by Box-Muller
CREATE OR REPLACE FUNCTION gen.n(a bigint, stream int, seed int) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT sqrt(-2 * ln(gen.u(a, stream, seed))) * cos(2 * pi() * gen.u(a, stream + 500, seed))
$$;

CREATE OR REPLACE FUNCTION gen.generate(customers int DEFAULT 10000, products int DEFAULT 500,
                                        days int DEFAULT 730, seed int DEFAULT 1)
RETURNS TABLE(n_customers bigint, n_products bigint, n_orders bigint, n_daily_sales bigint)
LANGUAGE plpgsql AS $$
DECLARE
    last_day constant date := '2024-12-31';
    first_day date := last_day - (days - 1);
BEGIN
    IF customers < 1 OR products < 1 OR days < 14 THEN
        RAISE EXCEPTION 'need customers >= 1, products >= 1, days >= 14' USING ERRCODE = '22023';
    END IF;
    DROP TABLE IF EXISTS gen.customers, gen.products, gen.orders, gen.daily_sales;

    CREATE TABLE gen.customers AS
    SELECT c AS customer_id,
           (ARRAY['weekly', 'monthly', 'occasional', 'lapsed', 'big spender'])
               [1 + (CASE WHEN u < 0.15 THEN 0 WHEN u < 0.45 THEN 1 WHEN u < 0.75 THEN 2 WHEN u < 0.93 THEN 3 ELSE 4 END)] AS habit,
           (ARRAY['north', 'south', 'east', 'west'])[1 + floor(gen.u(c, 2, seed) * 4)::int] AS region,
           first_day + floor(gen.u(c, 3, seed) * days / 3)::int AS signup
      FROM generate_series(1, customers) c, LATERAL (SELECT gen.u(c, 1, seed) AS u) x;

    CREATE TABLE gen.products AS
    SELECT p AS product_id,
           'category ' || lpad((1 + floor(gen.u(p, 11, seed) * 20)::int)::text, 2, '0') AS category,
           round((exp(1.2 + 0.8 * gen.n(p, 12, seed)))::numeric, 2) + 0.49 AS price
      FROM generate_series(1, products) p;

    -- orders: habit sets the mean gap between orders (days) and basket size; lapsed
    -- customers stop halfway; popular products are chosen more often (Zipf-like)
    CREATE TABLE gen.orders AS
    WITH habit(habit, gap, lines, qty) AS (
        VALUES ('weekly', 7, 4, 1.5), ('monthly', 30, 3, 1.3), ('occasional', 90, 2, 1.1),
               ('lapsed', 21, 3, 1.2), ('big spender', 10, 8, 2.5)
    ), visits AS (
        SELECT c.customer_id, c.habit, h.lines, h.qty, v,
               c.signup + floor(v * h.gap + gen.u(c.customer_id * 1000 + v, 21, seed) * h.gap)::int AS day
          FROM gen.customers c JOIN habit h USING (habit),
               generate_series(0, days / h.gap) v
    )
    SELECT row_number() OVER (ORDER BY vi.customer_id, vi.v, l) AS order_id,
           vi.customer_id,
           1 + floor(products * power(gen.u(k, 31, seed), 2.2))::int AS product_id,
           vi.day + make_interval(secs => floor(gen.u(k, 32, seed) * 50400 + 28800)) AS ordered_at,
           q AS quantity,
           round(q * p.price * CASE WHEN extract(week FROM vi.day)::int % 6 = 0 THEN 0.8 ELSE 1 END, 2) AS amount
      FROM visits vi
      CROSS JOIN LATERAL generate_series(1, 1 + floor(gen.u(vi.customer_id * 1000 + vi.v, 22, seed) * vi.lines * 2)::int) l
      CROSS JOIN LATERAL (SELECT (vi.customer_id * 1000 + vi.v) * 100 + l AS k) kk
      CROSS JOIN LATERAL (SELECT 1 + floor(-vi.qty * ln(gen.u(k, 33, seed)))::int AS q) qq
      JOIN gen.products p ON p.product_id = 1 + floor(products * power(gen.u(k, 31, seed), 2.2))::int
     WHERE vi.day <= last_day
       AND gen.u(vi.customer_id * 1000 + vi.v, 23, seed) <
           CASE extract(isodow FROM vi.day) WHEN 6 THEN 1.0 WHEN 7 THEN 0.9 ELSE 0.75 END
       AND (vi.habit <> 'lapsed' OR vi.day < first_day + days / 2);

    -- daily units per product: multiplicative seasonality and promotions, Poisson-like noise
    CREATE TABLE gen.daily_sales AS
    SELECT p.product_id, d::date AS day,
           greatest(0, round(lvl
               * (ARRAY[0.85, 0.9, 0.95, 1.0, 1.15, 1.35, 1.2])[extract(isodow FROM d)::int]
               * (1 + 0.25 * cos(2 * pi() * (extract(doy FROM d) - 350) / 365.25))
               * CASE WHEN extract(week FROM d)::int % 6 = 0 THEN 1.6 ELSE 1 END
               + sqrt(lvl) * gen.n(p.product_id * 100000 + (d::date - first_day), 41, seed)))::int AS units
      FROM (SELECT product_id, 40 * power(gen.u(product_id, 40, seed), 3) + 0.3 AS lvl FROM gen.products) p,
           generate_series(first_day, last_day, interval '1 day') d;

    ALTER TABLE gen.customers ADD PRIMARY KEY (customer_id);
    ALTER TABLE gen.products ADD PRIMARY KEY (product_id);
    ANALYZE gen.customers, gen.products, gen.orders, gen.daily_sales;
    RETURN QUERY SELECT (SELECT count(*) FROM gen.customers), (SELECT count(*) FROM gen.products),
                        (SELECT count(*) FROM gen.orders), (SELECT count(*) FROM gen.daily_sales);
END $$;

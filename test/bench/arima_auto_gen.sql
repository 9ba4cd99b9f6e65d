-- test/bench/arima_auto_gen.sql -- deterministic synthetic retail-like series for the automatic-ARIMA
-- benchmark (issue 6): monthly series (60..144 months, period 12) and daily series (365..730 days,
-- period 7).  Pure SQL in the style of demo/generator.sql: every random number is a hash of
-- (key, stream, seed), so the series do not depend on the plan, on parallel workers or on row order,
-- and the R side reads exactly the rows mktdb reads (the benchmark exports them with COPY).
--
--   \i test/bench/arima_auto_gen.sql
--   SELECT * FROM arima_auto_bench.generate(monthly => 10000, daily => 10000, seed => 1);
--
-- creates (replacing an earlier one)
--   arima_auto_bench.series(set text, series_id text, kind text, t date, value float8)
--     set 'monthly': t = first day of the month, all series end 2024-12; value = monthly units
--       kinds: 'regular' (trend x multiplicative seasonality x random-walk level x MA(1) noise),
--              'shift'   (the same with a level shift somewhere in the middle),
--              'intermittent' (sporadic demand: mostly zeros, geometric sizes)
--     set 'daily': all series end 2024-12-31; value = daily units (integers, >= 0)
--       kinds: 'regular' (weekday profile x yearly cycle x promotion weeks x random-walk level, count noise),
--              'slow'    (slow movers: rate 0.05..1.55 a day, many zeros)
-- Series i of a set is the same for every `monthly`/`daily` count >= i: a 500-series subset is
-- the first 500 series of the full 10,000.
CREATE SCHEMA IF NOT EXISTS arima_auto_bench;

-- the hash-based uniform and normal generators gen.u / gen.n of demo/generator.sql
\ir ../../demo/generator.sql

CREATE OR REPLACE FUNCTION arima_auto_bench.generate(monthly int DEFAULT 10000, daily int DEFAULT 10000,
                                                     seed int DEFAULT 1)
RETURNS TABLE(set text, kind text, n_series bigint, n_points bigint, min_len int, max_len int)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    IF monthly < 0 OR daily < 0 OR monthly > 1000000 OR daily > 1000000 THEN
        RAISE EXCEPTION 'monthly and daily must be between 0 and 1000000' USING ERRCODE = '22023';
    END IF;
    DROP TABLE IF EXISTS arima_auto_bench.series;
    CREATE TABLE arima_auto_bench.series(set text NOT NULL, series_id text NOT NULL, kind text NOT NULL,
                                         t date NOT NULL, value float8 NOT NULL);

    -- monthly: per-series parameters, then one row per month; key k = i * 1000 + t for per-point draws
    INSERT INTO arima_auto_bench.series
    WITH par AS (
        SELECT i, 60 + floor(gen.u(i, 1, seed) * 85)::int AS len,
               CASE WHEN gen.u(i, 2, seed) < 0.12 THEN 'intermittent'
                    WHEN gen.u(i, 2, seed) < 0.24 THEN 'shift' ELSE 'regular' END AS kind,
               exp(4 + 1.3 * gen.n(i, 3, seed)) AS lvl,
               0.006 * gen.n(i, 4, seed) AS growth,                 -- log-level per month
               0.05 + 0.30 * gen.u(i, 5, seed) AS amp1,
               2 * pi() * gen.u(i, 6, seed) AS ph1,
               0.08 * gen.u(i, 7, seed) AS amp2,
               2 * pi() * gen.u(i, 8, seed) AS ph2,
               0.005 + 0.03 * gen.u(i, 9, seed) AS rw_sd,
               0.03 + 0.12 * gen.u(i, 10, seed) AS noise_sd,
               0.3 + 0.4 * gen.u(i, 11, seed) AS shift_at,          -- share of the series
               least(1.8, greatest(0.5, 1 + 0.4 * gen.n(i, 12, seed))) AS shift_by,
               0.1 + 0.4 * gen.u(i, 13, seed) AS occur,             -- intermittent: P(demand)
               0.5 + 4 * gen.u(i, 14, seed) AS size                 -- intermittent: mean size
          FROM generate_series(1, monthly) i
    ), pts AS (
        SELECT p.*, t, i::bigint * 1000 + t AS k,
               1 + p.amp1 * cos(2 * pi() * t / 12 + p.ph1) + p.amp2 * cos(4 * pi() * t / 12 + p.ph2) AS season
          FROM par p, generate_series(1, p.len) t
    ), walk AS (
        SELECT pts.*, sum(rw_sd * gen.n(k, 20, seed)) OVER (PARTITION BY i ORDER BY t) AS rw
          FROM pts
    )
    SELECT 'monthly', 'm' || lpad(i::text, 6, '0'), kind,
           (date '2024-12-01' - make_interval(months => len - t))::date,
           CASE WHEN kind = 'intermittent' THEN
                    CASE WHEN gen.u(k, 21, seed) < occur * season
                         THEN 1 + floor(-ln(gen.u(k, 22, seed)) * size) ELSE 0 END
                ELSE round(lvl * exp(growth * t + rw
                                     + noise_sd * (gen.n(k, 23, seed) + 0.4 * gen.n(k - 1, 23, seed)))
                           * season
                           * CASE WHEN kind = 'shift' AND t > floor(shift_at * len) THEN shift_by ELSE 1 END)
           END
      FROM walk;

    -- daily: key k = (10^6 + i) * 1000 + day index, disjoint from the monthly keys
    INSERT INTO arima_auto_bench.series
    WITH par AS (
        SELECT i, 1000000 + i::bigint AS a, 365 + floor(gen.u(1000000 + i, 1, seed) * 366)::int AS len,
               CASE WHEN gen.u(1000000 + i, 2, seed) < 0.25 THEN 'slow' ELSE 'regular' END AS kind,
               gen.u(1000000 + i, 3, seed) AS ul,
               0.0008 * gen.n(1000000 + i, 4, seed) AS growth,      -- log-level per day
               0.30 * gen.u(1000000 + i, 5, seed) AS yearly,
               0.002 + 0.012 * gen.u(1000000 + i, 9, seed) AS rw_sd,
               0.4 + 0.6 * gen.u(1000000 + i, 10, seed) AS promo_lift
          FROM generate_series(1, daily) i
    ), pts AS (
        SELECT p.i, p.a, p.len, p.kind, p.growth, p.yearly, p.rw_sd, p.promo_lift, j,
               CASE WHEN p.kind = 'slow' THEN 0.05 + 1.5 * p.ul ELSE 3 + 120 * power(p.ul, 2) END AS lvl,
               p.a * 1000 + j AS k, d,
               (ARRAY[0.85, 0.9, 0.95, 1.0, 1.15, 1.35, 1.2])[extract(isodow FROM d)::int]
                   * exp(0.1 * gen.n(p.a * 10 + extract(isodow FROM d)::int, 6, seed)) AS wday,
               1 + p.yearly * cos(2 * pi() * (extract(doy FROM d) - 350) / 365.25) AS year_cycle,
               CASE WHEN gen.u(p.a * 1000 + (d - date '2000-01-03') / 7, 7, seed) < 0.08
                    THEN 1 + p.promo_lift ELSE 1 END AS promo
          FROM par p, generate_series(1, p.len) j,
               LATERAL (SELECT date '2024-12-31' - (p.len - j) AS d) dd
    ), walk AS (
        SELECT pts.*, sum(rw_sd * gen.n(k, 20, seed)) OVER (PARTITION BY i ORDER BY j) AS rw
          FROM pts
    ), rate AS (
        SELECT walk.*, lvl * exp(growth * j + rw) * wday * year_cycle * promo AS lam FROM walk
    )
    SELECT 'daily', 'd' || lpad(i::text, 6, '0'), kind, d,
           CASE WHEN lam < 3 THEN   -- small rates: zero with probability exp(-lam), else a geometric size
                    CASE WHEN gen.u(k, 21, seed) < 1 - exp(-lam)
                         THEN 1 + floor(-ln(gen.u(k, 22, seed)) * 0.4 * lam) ELSE 0 END
                ELSE greatest(0, round(lam + sqrt(lam) * gen.n(k, 23, seed)))
           END
      FROM rate;

    ALTER TABLE arima_auto_bench.series ADD PRIMARY KEY (series_id, t);
    ANALYZE arima_auto_bench.series;
    RETURN QUERY
        SELECT s.set, s.kind, count(DISTINCT s.series_id), count(*), min(c.len)::int, max(c.len)::int
          FROM arima_auto_bench.series s
          JOIN (SELECT series_id, count(*) AS len FROM arima_auto_bench.series GROUP BY 1) c USING (series_id)
         GROUP BY 1, 2 ORDER BY 1, 2;
END $$;
